"""The audit trail as CSV, written row by row so a year of events streams in constant memory.

UTF-8 with a byte-order mark, because that is how Excel on a Chinese Windows PC recognises
UTF-8 (without it community names come out garbled). Cells that a spreadsheet would run as
a formula are defused: the claimed username of a failed sign-in is typed by anyone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, tzinfo

from occupancy.db.tables import AuditEvent

COLUMNS = (
    "at",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "community",
    "address",
    "detail",
)
BOM = "\ufeff"
#: Leading characters that make Excel, LibreOffice or WPS treat a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as text a spreadsheet shows as text (OWASP "CSV injection")."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def local_time(moment: datetime, tz: tzinfo) -> str:
    """ISO 8601 with the offset, in the communities' time zone (what the people reading the
    export live in); naive values (SQLite) are UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).isoformat(timespec="seconds")


def csv_row(event: AuditEvent, tz: tzinfo) -> list[str]:
    return [
        local_time(event.at, tz),
        *(safe_cell(getattr(event, column)) for column in COLUMNS[1:]),
    ]


def iter_csv(events: Iterable[AuditEvent], tz: tzinfo, *, batch: int = 500) -> Iterator[str]:
    """The BOM and header, then the events in chunks of ``batch`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for event in events:
        writer.writerow(csv_row(event, tz))
        pending += 1
        if pending >= batch:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()
