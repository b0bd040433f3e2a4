"""Flags as a CSV file: what ``occupancy evaluate`` reads and a spreadsheet opens.

``evidence`` is the evidence dict as JSON, so nothing is lost on the way to a file; the
columns ``evaluate`` needs are ``unit_id`` and ``kind`` (and ``urgent`` for the welfare
numbers). The scores file holds P(occupied) of every unit, for ROC AUC and calibration.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

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


SCORES_CSV_COLUMNS = ("unit_id", "probability")


def write_scores_csv(
    unit_ids: Sequence[str], probability: Sequence[float] | np.ndarray, path: str | Path
) -> int:
    """Write each unit's P(occupied), empty where it was not scored (meter offline).

    ``occupancy evaluate --scores`` reads this back for ROC AUC and the reliability table;
    it holds every unit, flagged or not, which a flags file cannot. Returns the row count.
    """
    path = Path(path)
    p = np.asarray(probability, dtype=float)
    if p.shape != (len(unit_ids),):
        raise ValueError(f"{len(unit_ids)} units but {p.size} probabilities")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(SCORES_CSV_COLUMNS)
        writer.writerows(
            (unit_id, "" if np.isnan(value) else f"{value:.4f}")
            for unit_id, value in zip(unit_ids, p.tolist(), strict=True)
        )
    return len(unit_ids)
