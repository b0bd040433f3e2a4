"""A grid worker's door-knock list: the flags assigned to them, in walking order, with only
what a visit needs.

Order: urgent first (a vulnerable resident may need help now), then building, entrance,
floor and room in natural order (``walking.natural_key``: "2" before "10", missing last),
then unit ID. A row carries the address, the kind, a one-line reason in zh-CN and English,
the registered occupants and whether a vulnerable resident lives there, and when it was
assigned; no P(occupied), no consumption figures, no names (the register holds none).

Visited flags: a list for walking (print, CSV) shows only ``assigned`` flags. A page may
pass ``visited_since`` (the local midnight of today) to add the flags the worker visited
since then at the bottom, in walking order, with their outcome: the page shows them greyed
so a wrong entry can be corrected (``record_visit`` allows it until the secretary closes the
flag). A flag sent for a revisit is ``assigned`` again and shows the last outcome.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, TextIO

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from occupancy.db.tables import (
    ASSIGNED_FLAG_STATE,
    GRID_WORKER,
    VISITED_FLAG_STATE,
    Flag,
    Unit,
    User,
)
from occupancy.flags.record import METER_OFFLINE, REGISTERED_SILENT, UNREGISTERED_ACTIVITY
from occupancy.workflow.walking import natural_key

LANGUAGES = ("zh-CN", "en")


@dataclass(frozen=True)
class WorklistRow:
    """One door to knock on."""

    flag_id: int
    unit_id: str
    #: ``assigned`` (to visit) or ``visited`` (done today, correctable).
    state: str
    community: str
    grid: str
    building: str
    entrance: str
    floor: str
    room: str
    kind: str
    urgent: bool
    evidence_zh: str
    evidence_en: str
    #: None when the unit is not in the register (unregistered activity).
    registered_occupants: int | None
    vulnerable: bool
    assigned_at: datetime | None
    #: The last visit's outcome: a revisit shows what was found before.
    outcome: str | None = None
    visited_at: datetime | None = None
    #: The note of today's visit, so correcting the outcome does not wipe it (not exported).
    outcome_note: str = ""

    def evidence(self, language: str) -> str:
        return self.evidence_en if language == "en" else self.evidence_zh


@dataclass(frozen=True)
class WorkerList:
    """A secretary's view of one worker's list."""

    username: str
    display_name: str
    grid: str
    active: bool
    rows: list[WorklistRow] = field(default_factory=list)


def walking_key(row: WorklistRow) -> tuple[Any, ...]:
    """Assigned before visited; urgent first; then building, entrance, floor, room."""
    return (
        row.state != ASSIGNED_FLAG_STATE,
        not row.urgent,
        natural_key(row.building),
        natural_key(row.entrance),
        natural_key(row.floor),
        natural_key(row.room),
        row.unit_id,
        row.flag_id,
    )


def worklist(
    session: Session, worker: User | int, *, visited_since: datetime | None = None
) -> list[WorklistRow]:
    """The door-knock list of ``worker`` (a User or its id), in walking order."""
    worker_id = worker if isinstance(worker, int) else worker.id
    condition = and_(Flag.state == ASSIGNED_FLAG_STATE, Flag.assigned_to_id == worker_id)
    if visited_since is not None:
        condition = or_(
            condition,
            and_(
                Flag.state == VISITED_FLAG_STATE,
                Flag.visited_by_id == worker_id,
                Flag.visited_at >= visited_since.astimezone(UTC),
            ),
        )
    rows = [_row(flag, unit) for flag, unit in session.execute(_query().where(condition))]
    return sorted(rows, key=walking_key)


def worklists_for_community(
    session: Session, community: str, *, visited_since: datetime | None = None
) -> list[WorkerList]:
    """Every grid worker's list in ``community``: the active grid workers (an empty list
    shows who is free) and anyone else still holding flags there (a deactivated worker's
    flags must be reassigned), by grid and username."""
    condition = and_(Flag.community == community, Flag.state == ASSIGNED_FLAG_STATE)
    if visited_since is not None:
        condition = or_(
            condition,
            and_(
                Flag.community == community,
                Flag.state == VISITED_FLAG_STATE,
                Flag.visited_by_id.is_not(None),
                Flag.visited_at >= visited_since.astimezone(UTC),
            ),
        )
    by_worker: dict[int, list[WorklistRow]] = {}
    for flag, unit in session.execute(_query().where(condition)):
        holder = flag.visited_by_id if flag.state == VISITED_FLAG_STATE else flag.assigned_to_id
        by_worker.setdefault(holder, []).append(_row(flag, unit))
    workers = session.scalars(
        select(User).where(
            or_(
                and_(
                    User.community == community,
                    User.role == GRID_WORKER,
                    User.active.is_(True),
                ),
                User.id.in_(list(by_worker)),
            )
        )
    ).all()
    lists = [
        WorkerList(
            username=w.username,
            display_name=w.display_name,
            grid=w.grid,
            active=bool(w.active),
            rows=sorted(by_worker.get(w.id, []), key=walking_key),
        )
        for w in workers
    ]
    return sorted(lists, key=lambda w: (natural_key(w.grid), w.username))


#: CSV columns: (zh-CN header, English header, value of a row).
def _columns(language: str, tz: tzinfo) -> list[tuple[str, str, Any]]:
    zh = language != "en"

    def yes(value: bool) -> str:
        return ("是" if zh else "yes") if value else ""

    return [
        ("紧急", "Urgent", lambda r: yes(r.urgent)),
        ("楼栋", "Building", lambda r: r.building),
        ("单元", "Entrance", lambda r: r.entrance),
        ("楼层", "Floor", lambda r: r.floor),
        ("房号", "Room", lambda r: r.room),
        ("户号", "Unit ID", lambda r: r.unit_id),
        ("提示类型", "Kind", lambda r: kind_label(r.kind, language)),
        ("依据", "Evidence", lambda r: r.evidence(language)),
        (
            "登记人数",
            "Registered",
            lambda r: (
                ("未登记" if zh else "not registered")
                if r.registered_occupants is None
                else r.registered_occupants
            ),
        ),
        ("重点关怀", "Vulnerable", lambda r: yes(r.vulnerable)),
        ("分派时间", "Assigned", lambda r: _local(r.assigned_at, tz)),
        ("上次结果", "Last outcome", lambda r: outcome_label(r.outcome, language)),
        ("提示编号", "Flag", lambda r: r.flag_id),
    ]


def worklist_csv(
    rows: Iterable[WorklistRow], stream: TextIO, language: str = "zh-CN", *, tz: tzinfo = UTC
) -> int:
    """Write the list as CSV for Excel: UTF-8 with a BOM (Excel on Chinese Windows reads
    BOM-less files as GBK and garbles them), headers in ``language``, a running number
    first so a printed sheet and the phone list match. Returns the rows written.

    ``stream`` is a text stream opened with ``newline=""``. Cells that Excel would run as a
    formula (``=``, ``+``, ``@``, or ``-`` not starting a number) get a leading apostrophe.
    """
    columns = _columns(language, tz)
    writer = csv.writer(stream, lineterminator="\r\n")
    stream.write("\ufeff")
    writer.writerow(
        ["序号" if language != "en" else "No."] + [_header(c, language) for c in columns]
    )
    count = 0
    for count, row in enumerate(rows, start=1):
        writer.writerow([count] + [_cell(value(row)) for _, _, value in columns])
    return count


def kind_label(kind: str, language: str) -> str:
    return _KINDS.get(kind, (kind, kind))[language == "en"]


def outcome_label(outcome: str | None, language: str) -> str:
    if not outcome:
        return ""
    return _OUTCOMES.get(outcome, (outcome, outcome))[language == "en"]


def short_evidence(kind: str, evidence: dict[str, Any], language: str) -> str:
    """One line saying why the flag is there, in ``language`` (zh-CN unless ``en``)."""
    e = evidence or {}
    en = language == "en"
    if kind == METER_OFFLINE:
        frozen = _num(e.get("register_frozen_hours"))
        if frozen:
            return f"register unchanged for {frozen:.0f} h" if en else f"读数 {frozen:.0f} 小时未变"
        since = _num(e.get("hours_since_measured"))
        if e.get("in_window") is False or not e.get("hours_measured"):
            total = _num(e.get("hours_total")) or 0
            return f"no readings for {total:.0f} h" if en else f"{total:.0f} 小时无读数"
        share = _num(e.get("measured_share")) or 0
        text = f"meter reported {share:.0%} of hours" if en else f"电表仅上报 {share:.0%} 的小时"
        if since:
            text += f", silent {since:.0f} h" if en else f"，已 {since:.0f} 小时无读数"
        return text
    if kind == REGISTERED_SILENT:
        since = _num(e.get("hours_since_activity"))
        days = _num(e.get("days")) or (_num(e.get("hours_total")) or 0) / 24
        if since is None and not days:  # evidence without numbers: say no more than we know
            text = "no recent activity" if en else "近期无用电活动"
        elif since is None:
            text = f"no activity in {days:g} days" if en else f"{days:g} 天内无用电活动"
        else:
            text = f"no activity for {since:.0f} h" if en else f"已 {since:.0f} 小时无用电活动"
        if e.get("urgent"):
            text += " (urgent)" if en else "（紧急）"
        return text
    if kind == UNREGISTERED_ACTIVITY:
        days, active = e.get("measured_days"), e.get("evening_active_days")
        head = "not registered" if en else "未登记住户"
        if e.get("registered_occupants") == 0:
            head = "registered empty" if en else "登记为空置"
        if days:
            head += (
                f"; evening activity {active} of {days} days"
                if en
                else f"；{days} 天中 {active} 天晚间有用电"
            )
        lit, seen = e.get("lights_nights_on"), e.get("lights_nights_observed")
        if seen:
            head += f"; lights on {lit} of {seen} nights" if en else f"；{seen} 晚中 {lit} 晚亮灯"
        return head
    return ""


def _query() -> Select:
    return select(Flag, Unit).outerjoin(Unit, Unit.unit_id == Flag.unit_id)


def _row(flag: Flag, unit: Unit | None) -> WorklistRow:
    evidence = dict(flag.evidence or {})
    if flag.urgent:
        evidence["urgent"] = True
    occupants = unit.registered_occupants if unit is not None else None
    return WorklistRow(
        flag_id=flag.id,
        unit_id=flag.unit_id,
        state=flag.state,
        community=flag.community,
        grid=unit.grid if unit else "",
        building=unit.building if unit else "",
        entrance=unit.entrance if unit else "",
        floor=unit.floor if unit else "",
        room=unit.room if unit else "",
        kind=flag.kind,
        urgent=bool(flag.urgent),
        evidence_zh=short_evidence(flag.kind, evidence, "zh-CN"),
        evidence_en=short_evidence(flag.kind, evidence, "en"),
        registered_occupants=occupants,
        vulnerable=bool(unit.vulnerable) if unit else False,
        assigned_at=_utc(flag.assigned_at),
        outcome=flag.outcome,
        visited_at=_utc(flag.visited_at),
        outcome_note=(flag.outcome_note or "") if flag.state == VISITED_FLAG_STATE else "",
    )


#: The pages' labels (``kind.*`` and ``outcome.*`` in occupancy/api/i18n.py and
#: messages/flags.py), repeated here so the workflow layer does not import the web layer;
#: tests/workflow/test_worklist.py keeps the two the same.
_KINDS = {
    UNREGISTERED_ACTIVITY: ("未登记但有生活迹象", "Unregistered activity"),
    REGISTERED_SILENT: ("已登记但无生活迹象", "Registered, silent"),
    METER_OFFLINE: ("电表离线", "Meter offline"),
}
_OUTCOMES = {
    "found_registered": ("见到住户，已登记", "Occupant found, registered"),
    "found_needs_help": ("见到住户，需要帮助", "Occupant found, needs help"),
    "vacant": ("空置", "Vacant"),
    "no_answer": ("无人应门", "No answer"),
    "refused": ("拒绝配合", "Refused"),
    "other": ("其他", "Other"),
}


def _header(column: tuple[str, str, Any], language: str) -> str:
    return column[1] if language == "en" else column[0]


def _cell(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=+@\t\r" or (value[0] == "-" and not _is_number(value)):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _local(moment: datetime | None, tz: tzinfo) -> str:
    return "" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands times back without their zone; they were written in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


__all__: Sequence[str] = (
    "WorkerList",
    "WorklistRow",
    "kind_label",
    "outcome_label",
    "short_evidence",
    "walking_key",
    "worklist",
    "worklist_csv",
    "worklists_for_community",
)
