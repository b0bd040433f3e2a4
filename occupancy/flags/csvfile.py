"""Flags as a CSV file: what ``occupancy evaluate`` reads and a spreadsheet opens.

``evidence`` is the evidence dict as JSON, so nothing is lost on the way to a file; the
columns ``evaluate`` needs are ``unit_id`` and ``kind``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from occupancy.flags.record import FlagRecord

FLAGS_CSV_COLUMNS = (
    "unit_id",
    "community",
    "kind",
    "score",
    "probability",
    "urgent",
    "evidence_text",
    "evidence",
)


def write_flags_csv(flags: Iterable[FlagRecord], path: str | Path) -> int:
    """Write flags to ``path`` (UTF-8 with BOM so Excel shows Chinese); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FLAGS_CSV_COLUMNS)
        for flag in flags:
            writer.writerow(
                [
                    flag.unit_id,
                    flag.community,
                    flag.kind,
                    f"{flag.score:.4f}",
                    "" if flag.probability is None else f"{flag.probability:.4f}",
                    "1" if flag.urgent else "0",
                    flag.evidence_text,
                    json.dumps(flag.evidence, ensure_ascii=False, sort_keys=True),
                ]
            )
            count += 1
    return count
