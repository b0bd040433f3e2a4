"""How good are the flags? Precision, recall and F1 per flag kind against simulated truth.

The simulator writes ``truth.csv`` (``unit_id,archetype,occupied,registered,meter_ok``, 1/0).
A unit *should* get a flag of a kind when:

* ``unregistered_activity``: occupied, not registered, meter ok;
* ``registered_silent``: registered, not occupied, meter ok;
* ``meter_offline``: meter not ok.

A flag on a unit missing from the truth counts as a false positive (a visit for nothing).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from occupancy.flags.record import (
    FLAG_KINDS,
    METER_OFFLINE,
    REGISTERED_SILENT,
    UNREGISTERED_ACTIVITY,
    FlagRecord,
)

if TYPE_CHECKING:
    from rich.table import Table

TRUTH_COLUMNS = ("unit_id", "archetype", "occupied", "registered", "meter_ok")
FLAGS_COLUMNS = ("unit_id", "kind")
_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"0", "false", "no"})


@dataclass(frozen=True, slots=True)
class TruthRow:
    """What is really true of a unit (from the simulator)."""

    unit_id: str
    archetype: str
    occupied: bool
    registered: bool
    meter_ok: bool

    def expected_kind(self) -> str | None:
        """The flag this unit should get, or None."""
        if not self.meter_ok:
            return METER_OFFLINE
        if self.occupied and not self.registered:
            return UNREGISTERED_ACTIVITY
        if self.registered and not self.occupied:
            return REGISTERED_SILENT
        return None


@dataclass(frozen=True, slots=True)
class KindMetrics:
    """Counts and rates for one flag kind; a rate is None when its denominator is 0."""

    kind: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class EvaluationReport:
    """Metrics per flag kind, plus the units that were flagged but are not in the truth."""

    kinds: dict[str, KindMetrics]
    units: int
    flags: int
    unknown_units: tuple[str, ...] = field(default=())
    #: Flag kinds with their archetypes among false positives/negatives, for diagnosis.
    mistakes: dict[str, dict[str, int]] = field(default_factory=dict)

    def __getitem__(self, kind: str) -> KindMetrics:
        return self.kinds[kind]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (rates that are undefined are ``null``)."""
        return {
            "units": self.units,
            "flags": self.flags,
            "kinds": {kind: m.to_dict() for kind, m in self.kinds.items()},
            "unknown_units": list(self.unknown_units),
            "mistakes": self.mistakes,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def table(self) -> Table:
        """A rich table: one row per flag kind."""
        from rich.table import Table

        table = Table(title=f"Flags against truth ({self.units} units, {self.flags} flags)")
        table.add_column("kind")
        for name in ("TP", "FP", "FN", "precision", "recall", "F1"):
            table.add_column(name, justify="right")
        for m in self.kinds.values():
            table.add_row(
                m.kind,
                str(m.tp),
                str(m.fp),
                str(m.fn),
                _fmt(m.precision),
                _fmt(m.recall),
                _fmt(m.f1),
            )
        return table


def evaluate(
    flags: Iterable[tuple[str, str] | FlagRecord], truth: Mapping[str, TruthRow]
) -> EvaluationReport:
    """Score flags (``(unit_id, kind)`` pairs or ``FlagRecord``s) against the truth.

    A unit flagged twice with the same kind counts once.

    >>> a = TruthRow("a", "family", occupied=True, registered=False, meter_ok=True)
    >>> b = TruthRow("b", "vacant", occupied=False, registered=False, meter_ok=True)
    >>> t = {"a": a, "b": b}
    >>> r = evaluate([("a", "unregistered_activity"), ("b", "unregistered_activity")], t)
    >>> r["unregistered_activity"].precision, r["unregistered_activity"].recall
    (0.5, 1.0)
    """
    flagged: dict[str, set[str]] = {kind: set() for kind in FLAG_KINDS}
    count = 0
    for item in flags:
        unit_id, kind = (item.unit_id, item.kind) if isinstance(item, FlagRecord) else item
        if kind not in flagged:
            raise ValueError(f"unknown flag kind {kind!r}; expected one of {', '.join(FLAG_KINDS)}")
        flagged[kind].add(unit_id)
        count += 1
    expected: dict[str, set[str]] = {kind: set() for kind in FLAG_KINDS}
    for unit_id, row in truth.items():
        kind = row.expected_kind()
        if kind is not None:
            expected[kind].add(unit_id)

    kinds: dict[str, KindMetrics] = {}
    mistakes: dict[str, dict[str, int]] = {}
    for kind in FLAG_KINDS:
        got, want = flagged[kind], expected[kind]
        kinds[kind] = KindMetrics(kind, tp=len(got & want), fp=len(got - want), fn=len(want - got))
        wrong: dict[str, int] = {}
        for unit_id in sorted(got - want):
            key = f"fp:{truth[unit_id].archetype}" if unit_id in truth else "fp:unknown"
            wrong[key] = wrong.get(key, 0) + 1
        for unit_id in sorted(want - got):
            key = f"fn:{truth[unit_id].archetype}"
            wrong[key] = wrong.get(key, 0) + 1
        mistakes[kind] = wrong
    unknown = sorted(set().union(*flagged.values()) - set(truth))
    return EvaluationReport(
        kinds=kinds,
        units=len(truth),
        flags=count,
        unknown_units=tuple(unknown),
        mistakes=mistakes,
    )


def load_truth_csv(path: str | Path) -> dict[str, TruthRow]:
    """Read the simulator's ``truth.csv`` into ``unit_id -> TruthRow``."""
    path = Path(path)
    rows: dict[str, TruthRow] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        _require(reader.fieldnames, TRUTH_COLUMNS, path)
        for line, rec in enumerate(reader, start=2):
            unit_id = (rec["unit_id"] or "").strip()
            if not unit_id:
                raise ValueError(f"{path}:{line}: empty unit_id")
            rows[unit_id] = TruthRow(
                unit_id=unit_id,
                archetype=(rec["archetype"] or "").strip(),
                occupied=_flag(rec["occupied"], path, line, "occupied"),
                registered=_flag(rec["registered"], path, line, "registered"),
                meter_ok=_flag(rec["meter_ok"], path, line, "meter_ok"),
            )
    return rows


def load_flags_csv(path: str | Path) -> list[tuple[str, str]]:
    """Read ``(unit_id, kind)`` pairs from a flags CSV (other columns are ignored)."""
    path = Path(path)
    out: list[tuple[str, str]] = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        _require(reader.fieldnames, FLAGS_COLUMNS, path)
        for line, rec in enumerate(reader, start=2):
            kind = (rec["kind"] or "").strip()
            if kind not in FLAG_KINDS:
                raise ValueError(
                    f"{path}:{line}: unknown flag kind {kind!r}; expected one of "
                    f"{', '.join(FLAG_KINDS)}"
                )
            out.append(((rec["unit_id"] or "").strip(), kind))
    return out


def _require(fieldnames: Any, columns: tuple[str, ...], path: Path) -> None:
    missing = [c for c in columns if c not in (fieldnames or [])]
    if missing:
        raise ValueError(f"{path} lacks column(s) {', '.join(missing)}; it has {fieldnames}")


def _flag(raw: str | None, path: Path, line: int, column: str) -> bool:
    value = (raw or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{path}:{line}: {column} must be 1 or 0, got {raw!r}")


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"
