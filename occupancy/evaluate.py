"""How good are the flags? Measured against the simulator's truth, the way a worker would judge.

The simulator writes ``truth.csv`` (``unit_id,archetype,occupied,registered,meter_ok`` and,
since issue 4, ``vulnerable,silent_hours,faults``). A unit *should* get a flag of a kind when:

* ``meter_offline``: meter not ok;
* ``unregistered_activity``: occupied, not registered, meter ok;
* ``registered_silent``: registered, not occupied, meter ok;

and an *urgent* flag when its meter is ok, it is registered with a vulnerable resident and
nobody has been active there for at least 24 hours (``silent_hours``).

``evaluate`` reports, beside precision, recall and F1 per kind:

* ROC AUC per kind, from each unit's P(occupied): does the score rank the right units first,
  whatever threshold is used? For ``unregistered_activity`` among meter-ok unregistered units
  (score P, positive = occupied); for ``registered_silent`` among meter-ok registered units
  (score 1 - P, positive = not occupied). Units without a score (meter offline) are left out.
* per archetype: how many units of each kind of household were handled correctly, so a weak
  spot (timer lights, night-shift workers) is not hidden in an average;
* urgent welfare flags: expected, caught, missed, and false urgent flags per 1,000 unit-days,
  the rate a community can afford to send someone up the stairs for nothing;
* a reliability (calibration) table of P(occupied) in ten bins and the Brier score: a worker
  reads "P = 0.8" as "eight in ten such homes are lived in", so that must be true.

A flag on a unit missing from the truth counts as a false positive (a visit for nothing).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from occupancy.flags.record import (
    FLAG_KINDS,
    METER_OFFLINE,
    REGISTERED_SILENT,
    UNREGISTERED_ACTIVITY,
    FlagRecord,
)

if TYPE_CHECKING:
    from rich.table import Table

    from occupancy.register.entry import RegisterEntry
    from occupancy.timeseries import HourlyWindow

TRUTH_COLUMNS = ("unit_id", "archetype", "occupied", "registered", "meter_ok")
#: Columns added in issue 4; a truth file without them still loads (defaults in TruthRow).
TRUTH_OPTIONAL_COLUMNS = ("vulnerable", "silent_hours", "faults")
FLAGS_COLUMNS = ("unit_id", "kind")
SCORES_COLUMNS = ("unit_id", "probability")
#: A registered vulnerable resident silent this long must get an urgent flag (welfare rule).
URGENT_SILENT_HOURS = 24.0
#: Equal-width bins of P(occupied) in the reliability table.
CALIBRATION_BINS = 10
#: Kinds that have a ROC AUC: the two that P(occupied) decides.
SCORED_KINDS = (UNREGISTERED_ACTIVITY, REGISTERED_SILENT)
_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"0", "false", "no"})
_NO_FLAG = "none"

FlagItem = tuple[str, str] | tuple[str, str, bool] | FlagRecord


@dataclass(frozen=True, slots=True)
class TruthRow:
    """What is really true of a unit (from the simulator).

    ``silent_hours`` is None when the truth file predates it; urgency is then not judged.
    """

    unit_id: str
    archetype: str
    occupied: bool
    registered: bool
    meter_ok: bool
    vulnerable: bool = False
    silent_hours: float | None = None
    faults: tuple[str, ...] = ()

    def expected_kind(self) -> str | None:
        """The flag this unit should get, or None."""
        if not self.meter_ok:
            return METER_OFFLINE
        if self.occupied and not self.registered:
            return UNREGISTERED_ACTIVITY
        if self.registered and not self.occupied:
            return REGISTERED_SILENT
        return None

    @property
    def expects_urgent(self) -> bool:
        """A registered vulnerable resident, meter working, nobody active for 24 hours."""
        return (
            self.meter_ok
            and self.registered
            and self.vulnerable
            and self.silent_hours is not None
            and self.silent_hours >= URGENT_SILENT_HOURS
        )


@dataclass(frozen=True, slots=True)
class KindMetrics:
    """Counts and rates for one flag kind; a rate is None when its denominator is 0.

    ``auc`` is the ROC AUC of P(occupied) for this kind (None without scores, or when the
    units it is computed on are all of one class); ``auc_units`` is how many units it used.
    """

    kind: str
    tp: int
    fp: int
    fn: int
    auc: float | None = None
    auc_units: int = 0

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
            "roc_auc": self.auc,
            "auc_units": self.auc_units,
        }


@dataclass(frozen=True, slots=True)
class ArchetypeResult:
    """How one kind of household fared.

    ``expected`` is the flag its units with a working meter should get (None: no flag).
    A unit is handled *correctly* when it got exactly its expected kind of flag and nothing
    else, and (where the truth knows ``silent_hours``) an urgent flag exactly when expected.
    ``flagged`` counts units per flag kind, ``urgent`` units with an urgent flag.
    """

    archetype: str
    units: int
    expected: str | None
    correct: int
    flagged: dict[str, int]
    urgent: int

    @property
    def share_correct(self) -> float | None:
        return _ratio(self.correct, self.units)

    def to_dict(self) -> dict[str, Any]:
        return {
            "archetype": self.archetype,
            "units": self.units,
            "expected": self.expected,
            "correct": self.correct,
            "share_correct": self.share_correct,
            "flagged": dict(self.flagged),
            "urgent": self.urgent,
        }


@dataclass(frozen=True, slots=True)
class UrgentMetrics:
    """Urgent welfare flags against ``TruthRow.expects_urgent``.

    ``unit_days`` (units x window days) is None when the window length is unknown; the false
    urgent rate is then undefined. ``judged`` is False when the truth has no ``silent_hours``
    at all (an old truth file): nothing is then expected, and the numbers say little.
    """

    expected: int
    caught: int
    false_urgent: int
    unit_days: int | None
    judged: bool = True
    missed_units: tuple[str, ...] = ()
    false_units: tuple[str, ...] = ()

    @property
    def missed(self) -> int:
        return self.expected - self.caught

    @property
    def recall(self) -> float | None:
        return _ratio(self.caught, self.expected)

    @property
    def false_per_1000_unit_days(self) -> float | None:
        if not self.unit_days:
            return None
        return self.false_urgent / self.unit_days * 1000.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "caught": self.caught,
            "missed": self.missed,
            "recall": self.recall,
            "false_urgent": self.false_urgent,
            "unit_days": self.unit_days,
            "false_per_1000_unit_days": self.false_per_1000_unit_days,
            "judged": self.judged,
            "missed_units": list(self.missed_units),
            "false_units": list(self.false_units),
        }


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    """Units whose P(occupied) fell in ``[lower, upper)`` (the last bin includes 1.0)."""

    lower: float
    upper: float
    units: int
    mean_predicted: float | None
    observed_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lower": self.lower,
            "upper": self.upper,
            "units": self.units,
            "mean_predicted": self.mean_predicted,
            "observed_rate": self.observed_rate,
        }


@dataclass(frozen=True)
class Calibration:
    """Reliability of P(occupied) on the scored units with a working meter.

    ``brier`` is the mean squared difference between P and the truth (0 is perfect; always
    answering 0.5 scores 0.25). ``auc_occupied`` ranks occupied against empty over all of
    them, registered or not.
    """

    bins: tuple[CalibrationBin, ...]
    units: int
    brier: float | None
    auc_occupied: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "brier": self.brier,
            "auc_occupied": self.auc_occupied,
            "bins": [b.to_dict() for b in self.bins],
        }


@dataclass(frozen=True)
class EvaluationReport:
    """Metrics per flag kind and archetype, urgent flags, calibration, and unknown units."""

    kinds: dict[str, KindMetrics]
    units: int
    flags: int
    unknown_units: tuple[str, ...] = field(default=())
    #: Flag kinds with their archetypes among false positives/negatives, for diagnosis.
    mistakes: dict[str, dict[str, int]] = field(default_factory=dict)
    archetypes: dict[str, ArchetypeResult] = field(default_factory=dict)
    urgent: UrgentMetrics | None = None
    calibration: Calibration | None = None
    days: int | None = None

    def __getitem__(self, kind: str) -> KindMetrics:
        return self.kinds[kind]

    @property
    def share_correct(self) -> float | None:
        """Units handled correctly over all units of the truth."""
        return _ratio(sum(a.correct for a in self.archetypes.values()), self.units)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (rates that are undefined are ``null``)."""
        return {
            "units": self.units,
            "flags": self.flags,
            "days": self.days,
            "share_correct": self.share_correct,
            "kinds": {kind: m.to_dict() for kind, m in self.kinds.items()},
            "archetypes": {name: a.to_dict() for name, a in self.archetypes.items()},
            "urgent": None if self.urgent is None else self.urgent.to_dict(),
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
            "unknown_units": list(self.unknown_units),
            "mistakes": self.mistakes,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def table(self) -> Table:
        """A rich table: one row per flag kind."""
        from rich.table import Table

        with_auc = any(m.auc_units for m in self.kinds.values())
        table = Table(title=f"Flags against truth ({self.units} units, {self.flags} flags)")
        table.add_column("kind")
        for name in ("TP", "FP", "FN", "precision", "recall", "F1"):
            table.add_column(name, justify="right")
        if with_auc:
            table.add_column("ROC AUC", justify="right")
        for m in self.kinds.values():
            row = [m.kind, str(m.tp), str(m.fp), str(m.fn)]
            row += [_fmt(m.precision), _fmt(m.recall), _fmt(m.f1)]
            if with_auc:
                row.append(_fmt(m.auc))
            table.add_row(*row)
        return table

    def archetype_table(self) -> Table:
        """One row per archetype: expected flag, share handled correctly, flags raised."""
        from rich.table import Table

        table = Table(title="Per archetype")
        table.add_column("archetype")
        table.add_column("units", justify="right")
        table.add_column("expected")
        table.add_column("correct", justify="right")
        for kind in FLAG_KINDS:
            table.add_column(_SHORT[kind], justify="right")
        table.add_column("urgent", justify="right")
        for a in self.archetypes.values():
            table.add_row(
                a.archetype,
                str(a.units),
                _SHORT.get(a.expected, _NO_FLAG),
                _fmt(a.share_correct),
                *(str(a.flagged.get(kind, 0)) for kind in FLAG_KINDS),
                str(a.urgent),
            )
        return table

    def urgent_table(self) -> Table:
        """Urgent welfare flags: caught, missed, false per 1,000 unit-days."""
        from rich.table import Table

        u = self.urgent or UrgentMetrics(0, 0, 0, None, judged=False)
        table = Table(title="Urgent welfare flags")
        for name in ("expected", "caught", "missed", "false urgent", "false / 1000 unit-days"):
            table.add_column(name, justify="right")
        table.add_row(
            str(u.expected),
            str(u.caught),
            str(u.missed),
            str(u.false_urgent),
            _fmt(u.false_per_1000_unit_days, 2),
        )
        return table

    def calibration_table(self) -> Table | None:
        """Mean predicted P(occupied) against the observed occupied share, per bin."""
        if self.calibration is None:
            return None
        from rich.table import Table

        c = self.calibration
        table = Table(title=f"Reliability of P(occupied) ({c.units} units, Brier {_fmt(c.brier)})")
        for name in ("P(occupied)", "units", "mean predicted", "observed occupied"):
            table.add_column(name, justify="right")
        for b in c.bins:
            table.add_row(
                f"{b.lower:.1f}-{b.upper:.1f}",
                str(b.units),
                _fmt(b.mean_predicted),
                _fmt(b.observed_rate),
            )
        return table

    def tables(self) -> list[Table]:
        """Every table that has something to show, in reading order."""
        out = [self.table(), self.archetype_table(), self.urgent_table()]
        calibration = self.calibration_table()
        if calibration is not None:
            out.append(calibration)
        return out


_SHORT = {
    UNREGISTERED_ACTIVITY: "unregistered",
    REGISTERED_SILENT: "silent",
    METER_OFFLINE: "offline",
}


def evaluate(
    flags: Iterable[FlagItem],
    truth: Mapping[str, TruthRow],
    *,
    scores: Mapping[str, float | None] | None = None,
    days: int | None = None,
) -> EvaluationReport:
    """Score flags against the truth.

    Parameters
    ----------
    flags : iterable of FlagRecord, ``(unit_id, kind)`` or ``(unit_id, kind, urgent)``
        A unit flagged twice with the same kind counts once. Pairs are never urgent.
    truth : mapping of unit_id to TruthRow
    scores : mapping of unit_id to P(occupied), optional
        Enables ROC AUC per kind and the calibration table. None or NaN = not scored.
    days : int, optional
        Window length, for the false urgent rate per 1,000 unit-days.

    >>> a = TruthRow("a", "family", occupied=True, registered=False, meter_ok=True)
    >>> b = TruthRow("b", "vacant", occupied=False, registered=False, meter_ok=True)
    >>> t = {"a": a, "b": b}
    >>> r = evaluate([("a", "unregistered_activity"), ("b", "unregistered_activity")], t)
    >>> r["unregistered_activity"].precision, r["unregistered_activity"].recall
    (0.5, 1.0)
    """
    flagged: dict[str, set[str]] = {kind: set() for kind in FLAG_KINDS}
    urgent: set[str] = set()
    count = 0
    for item in flags:
        unit_id, kind, is_urgent = _flag_item(item)
        if kind not in flagged:
            raise ValueError(f"unknown flag kind {kind!r}; expected one of {', '.join(FLAG_KINDS)}")
        flagged[kind].add(unit_id)
        if is_urgent:
            urgent.add(unit_id)
        count += 1
    expected: dict[str, set[str]] = {kind: set() for kind in FLAG_KINDS}
    for unit_id, row in truth.items():
        kind = row.expected_kind()
        if kind is not None:
            expected[kind].add(unit_id)

    aucs = _kind_aucs(truth, scores) if scores is not None else {}
    kinds: dict[str, KindMetrics] = {}
    mistakes: dict[str, dict[str, int]] = {}
    for kind in FLAG_KINDS:
        got, want = flagged[kind], expected[kind]
        auc, auc_units = aucs.get(kind, (None, 0))
        kinds[kind] = KindMetrics(
            kind,
            tp=len(got & want),
            fp=len(got - want),
            fn=len(want - got),
            auc=auc,
            auc_units=auc_units,
        )
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
        archetypes=_archetypes(truth, flagged, urgent),
        urgent=_urgent(truth, urgent, days),
        calibration=_calibration(truth, scores) if scores is not None else None,
        days=days,
    )


def roc_auc(
    labels: Sequence[bool] | np.ndarray, scores: Sequence[float] | np.ndarray
) -> float | None:
    """Probability that a random positive scores above a random negative (ties count half).

    None when either class is missing. Computed from ranks (Mann-Whitney U), O(n log n).

    >>> roc_auc([1, 0, 1, 0], [0.9, 0.1, 0.4, 0.4])
    0.875
    """
    from scipy.stats import rankdata

    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=float)
    positives = int(y.sum())
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(s)
    u = ranks[y].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


def _flag_item(item: FlagItem) -> tuple[str, str, bool]:
    if isinstance(item, FlagRecord):
        return item.unit_id, item.kind, bool(item.urgent)
    if len(item) == 3:
        unit_id, kind, is_urgent = item  # type: ignore[misc]
        return unit_id, kind, bool(is_urgent)
    unit_id, kind = item  # type: ignore[misc]
    return unit_id, kind, False


def _scored(
    truth: Mapping[str, TruthRow], scores: Mapping[str, float | None]
) -> tuple[list[TruthRow], np.ndarray]:
    """Truth rows with a working meter and a finite score, and those scores."""
    rows: list[TruthRow] = []
    values: list[float] = []
    for unit_id, row in truth.items():
        p = scores.get(unit_id)
        if row.meter_ok and p is not None and math.isfinite(p):
            rows.append(row)
            values.append(float(p))
    return rows, np.asarray(values, dtype=float)


def _kind_aucs(
    truth: Mapping[str, TruthRow], scores: Mapping[str, float | None]
) -> dict[str, tuple[float | None, int]]:
    rows, p = _scored(truth, scores)
    registered = np.array([r.registered for r in rows], dtype=bool)
    occupied = np.array([r.occupied for r in rows], dtype=bool)
    free = ~registered
    return {
        UNREGISTERED_ACTIVITY: (roc_auc(occupied[free], p[free]), int(free.sum())),
        REGISTERED_SILENT: (
            roc_auc(~occupied[registered], 1.0 - p[registered]),
            int(registered.sum()),
        ),
    }


def _archetypes(
    truth: Mapping[str, TruthRow], flagged: dict[str, set[str]], urgent: set[str]
) -> dict[str, ArchetypeResult]:
    groups: dict[str, list[TruthRow]] = {}
    for row in truth.values():
        groups.setdefault(row.archetype, []).append(row)
    out: dict[str, ArchetypeResult] = {}
    for name in sorted(groups):
        rows = groups[name]
        counts = dict.fromkeys(FLAG_KINDS, 0)
        correct = 0
        for row in rows:
            got = {kind for kind in FLAG_KINDS if row.unit_id in flagged[kind]}
            for kind in got:
                counts[kind] += 1
            want = row.expected_kind()
            right_kind = got == ({want} if want else set())
            right_urgency = row.silent_hours is None or (row.unit_id in urgent) == (
                row.expects_urgent
            )
            correct += right_kind and right_urgency
        ok_kinds = [r.expected_kind() for r in rows if r.meter_ok]
        expected = max(set(ok_kinds), key=ok_kinds.count, default=None) if ok_kinds else None
        out[name] = ArchetypeResult(
            archetype=name,
            units=len(rows),
            expected=expected,
            correct=correct,
            flagged=counts,
            urgent=sum(r.unit_id in urgent for r in rows),
        )
    return out


def _urgent(truth: Mapping[str, TruthRow], urgent: set[str], days: int | None) -> UrgentMetrics:
    want = {u for u, row in truth.items() if row.expects_urgent}
    return UrgentMetrics(
        expected=len(want),
        caught=len(want & urgent),
        false_urgent=len(urgent - want),
        unit_days=len(truth) * days if days else None,
        judged=any(row.silent_hours is not None for row in truth.values()),
        missed_units=tuple(sorted(want - urgent)),
        false_units=tuple(sorted(urgent - want)),
    )


def _calibration(truth: Mapping[str, TruthRow], scores: Mapping[str, float | None]) -> Calibration:
    rows, p = _scored(truth, scores)
    occupied = np.array([r.occupied for r in rows], dtype=float)
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    # floor(10 p), not np.digitize on linspace edges: 0.3 belongs in 0.3-0.4 although the
    # float edge 0.30000000000000004 is above it. 1.0 joins the last bin, 0.9-1.0.
    which = np.clip(np.floor(np.clip(p, 0.0, 1.0) * CALIBRATION_BINS), 0, CALIBRATION_BINS - 1)
    which = which.astype(np.int64)
    units = np.bincount(which, minlength=CALIBRATION_BINS)
    p_sum = np.bincount(which, weights=p, minlength=CALIBRATION_BINS)
    y_sum = np.bincount(which, weights=occupied, minlength=CALIBRATION_BINS)
    bins = tuple(
        CalibrationBin(
            lower=float(edges[k]),
            upper=float(edges[k + 1]),
            units=int(units[k]),
            mean_predicted=float(p_sum[k] / units[k]) if units[k] else None,
            observed_rate=float(y_sum[k] / units[k]) if units[k] else None,
        )
        for k in range(CALIBRATION_BINS)
    )
    brier = float(np.mean((p - occupied) ** 2)) if p.size else None
    return Calibration(
        bins=bins,
        units=int(p.size),
        brier=brier,
        auc_occupied=roc_auc(occupied.astype(bool), p),
    )


@dataclass(frozen=True)
class Comparison:
    """The detector and the reference rules judged on one window and truth.

    ``reports`` is keyed ``detector``, ``daily_energy``, ``niom`` (in that order); ``rules``
    holds the fitted reference rules, whose tuned thresholds belong in any write-up.
    """

    reports: dict[str, EvaluationReport]
    rules: dict[str, Any]
    model_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "rules": {name: _rule_params(rule) for name, rule in self.rules.items()},
            "methods": {name: report.to_dict() for name, report in self.reports.items()},
        }


def compare_methods(
    window: HourlyWindow,
    register: Mapping[str, RegisterEntry],
    truth: Mapping[str, TruthRow],
    *,
    model: Any = None,
    model_version: str = "",
    days: int | None = None,
) -> Comparison:
    """Flags of the detector and of both reference rules on the same window, evaluated.

    The rules are fitted on this window's own truth (units with a working meter and enough
    data to be scored, label = occupied), so they show the best they can do here; then all
    three go through the same ``raise_flags``, so the flag rules, the welfare rule and the
    meter-offline rule are identical and only P(occupied) differs.
    """
    from occupancy.flags.rules import raise_flags, scoreable
    from occupancy.models.features import HourlyFeatures
    from occupancy.models.matrix import window_matrix
    from occupancy.models.reference import reference_rules

    if model is None:
        from occupancy.detection.run import model_version as version_of
        from occupancy.models.persistence import load_detector

        model, metadata = load_detector()
        model_version = model_version or version_of(metadata)
    days = days if days is not None else window.days
    X = window_matrix(window)
    usable = scoreable(HourlyFeatures().summarize(X))
    rows = [
        i
        for i, unit_id in enumerate(window.unit_ids)
        if usable[i] and unit_id in truth and truth[unit_id].meter_ok
    ]
    y = np.array([truth[window.unit_ids[i]].occupied for i in rows], dtype=int)
    methods: dict[str, Any] = {"detector": model}
    rules: dict[str, Any] = {}
    for name, rule in reference_rules().items():
        rules[name] = methods[name] = rule.fit(X[rows], y)
    reports: dict[str, EvaluationReport] = {}
    for name, estimator in methods.items():
        flags, probability = raise_flags(window, register, estimator)
        scores = dict(zip(window.unit_ids, probability.tolist(), strict=True))
        reports[name] = evaluate(flags, truth, scores=scores, days=days)
    return Comparison(reports=reports, rules=rules, model_version=model_version or "")


def _rule_params(rule: Any) -> dict[str, Any]:
    fitted = {k: v for k, v in vars(rule).items() if k.endswith("_") and not k.startswith("_")}
    out = {**rule.get_params(), **fitted}
    return {
        k: float(v) if isinstance(v, (np.floating, float)) else v
        for k, v in out.items()
        if not isinstance(v, np.ndarray)
    }


def comparison_tables(reports: Mapping[str, EvaluationReport]) -> list[Table]:
    """Side-by-side tables of several methods judged on the same truth (first = detector).

    Per kind (precision, recall, F1, ROC AUC), per archetype (share correct), urgent flags
    with Brier scores, and the reliability table of every method.
    """
    from rich.table import Table

    names = list(reports)
    first = reports[names[0]]
    kinds = Table(title=f"Per flag kind ({first.units} units)")
    kinds.add_column("kind")
    kinds.add_column("metric")
    for name in names:
        kinds.add_column(name, justify="right")
    for kind in FLAG_KINDS:
        for metric in ("precision", "recall", "f1", "auc"):
            values = [getattr(reports[n][kind], metric) for n in names]
            if metric == "auc" and all(v is None for v in values):
                continue
            kinds.add_row(kind if metric == "precision" else "", metric, *_best(values))
        kinds.add_section()

    archetypes = Table(title="Per archetype: share of units handled correctly")
    archetypes.add_column("archetype")
    archetypes.add_column("units", justify="right")
    archetypes.add_column("expected")
    for name in names:
        archetypes.add_column(name, justify="right")
    for arch, a in first.archetypes.items():
        values = [
            reports[n].archetypes[arch].share_correct if arch in reports[n].archetypes else None
            for n in names
        ]
        archetypes.add_row(arch, str(a.units), _SHORT.get(a.expected, _NO_FLAG), *_best(values))
    archetypes.add_section()
    archetypes.add_row(
        "all", str(first.units), "", *_best([reports[n].share_correct for n in names])
    )

    urgent = Table(title="Urgent welfare flags")
    urgent.add_column("")
    for name in names:
        urgent.add_column(name, justify="right")
    for label, getter in (
        ("expected", lambda u: str(u.expected)),
        ("caught", lambda u: str(u.caught)),
        ("missed", lambda u: str(u.missed)),
        ("false urgent", lambda u: str(u.false_urgent)),
        ("false / 1000 unit-days", lambda u: _fmt(u.false_per_1000_unit_days, 2)),
    ):
        urgent.add_row(label, *(getter(reports[n].urgent) for n in names))
    brier = [reports[n].calibration.brier if reports[n].calibration else None for n in names]
    urgent.add_section()
    urgent.add_row("Brier score of P(occupied)", *(_fmt(b) for b in brier))

    out = [kinds, archetypes, urgent]
    if all(reports[n].calibration is not None for n in names):
        reliability = Table(
            title="Reliability of P(occupied): mean predicted / observed occupied (units)"
        )
        reliability.add_column("P(occupied)", justify="right")
        for name in names:
            reliability.add_column(name, justify="right")
        for k, b in enumerate(first.calibration.bins):  # type: ignore[union-attr]
            cells = []
            for name in names:
                c = reports[name].calibration.bins[k]  # type: ignore[union-attr]
                cells.append(
                    f"{_fmt(c.mean_predicted, 2)} / {_fmt(c.observed_rate, 2)} ({c.units})"
                    if c.units
                    else "-"
                )
            reliability.add_row(f"{b.lower:.1f}-{b.upper:.1f}", *cells)
        out.append(reliability)
    return out


def _best(values: Sequence[float | None]) -> list[str]:
    """Format values, the best (highest) in bold so the eye finds it."""
    known = [v for v in values if v is not None and not math.isnan(v)]
    top = max(known) if known else None
    return [
        f"[bold]{_fmt(v)}[/]"
        if v is not None and top is not None and v == top and len(known) > 1
        else _fmt(v)
        for v in values
    ]


def load_truth_csv(path: str | Path) -> dict[str, TruthRow]:
    """Read the simulator's ``truth.csv`` into ``unit_id -> TruthRow``.

    The five original columns are required; ``vulnerable``, ``silent_hours`` and ``faults``
    are read when present.
    """
    path = Path(path)
    rows: dict[str, TruthRow] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        _require(reader.fieldnames, TRUTH_COLUMNS, path)
        have = set(reader.fieldnames or [])
        for line, rec in enumerate(reader, start=2):
            unit_id = (rec["unit_id"] or "").strip()
            if not unit_id:
                raise ValueError(f"{path}:{line}: empty unit_id")
            vulnerable = "vulnerable" in have and (rec["vulnerable"] or "").strip() != ""
            rows[unit_id] = TruthRow(
                unit_id=unit_id,
                archetype=(rec["archetype"] or "").strip(),
                occupied=_flag(rec["occupied"], path, line, "occupied"),
                registered=_flag(rec["registered"], path, line, "registered"),
                meter_ok=_flag(rec["meter_ok"], path, line, "meter_ok"),
                vulnerable=vulnerable and _flag(rec["vulnerable"], path, line, "vulnerable"),
                silent_hours=_hours(rec.get("silent_hours"), path, line)
                if "silent_hours" in have
                else None,
                faults=tuple(
                    name.strip() for name in (rec.get("faults") or "").split(";") if name.strip()
                ),
            )
    return rows


def load_flags_csv(
    path: str | Path, *, with_urgent: bool = False
) -> list[tuple[str, str]] | list[tuple[str, str, bool]]:
    """Read ``(unit_id, kind)`` pairs from a flags CSV (other columns are ignored).

    With ``with_urgent``, ``(unit_id, kind, urgent)`` triples; a file without an ``urgent``
    column has no urgent flags.
    """
    path = Path(path)
    out: list[Any] = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        _require(reader.fieldnames, FLAGS_COLUMNS, path)
        has_urgent = "urgent" in (reader.fieldnames or [])
        for line, rec in enumerate(reader, start=2):
            kind = (rec["kind"] or "").strip()
            if kind not in FLAG_KINDS:
                raise ValueError(
                    f"{path}:{line}: unknown flag kind {kind!r}; expected one of "
                    f"{', '.join(FLAG_KINDS)}"
                )
            unit_id = (rec["unit_id"] or "").strip()
            if not with_urgent:
                out.append((unit_id, kind))
                continue
            raw = (rec["urgent"] or "").strip() if has_urgent else ""
            out.append((unit_id, kind, raw != "" and _flag(raw, path, line, "urgent")))
    return out


def load_scores_csv(path: str | Path) -> dict[str, float]:
    """Read ``unit_id,probability`` (P(occupied)) as ``occupancy detect --scores`` writes it.

    An empty probability means "not scored" (meter offline) and reads as NaN.
    """
    path = Path(path)
    out: dict[str, float] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        _require(reader.fieldnames, SCORES_COLUMNS, path)
        for line, rec in enumerate(reader, start=2):
            unit_id = (rec["unit_id"] or "").strip()
            raw = (rec["probability"] or "").strip()
            if not raw:
                out[unit_id] = math.nan
                continue
            try:
                p = float(raw)
            except ValueError:
                p = math.nan
            if not 0.0 <= p <= 1.0:
                raise ValueError(
                    f"{path}:{line}: probability must be a number from 0 to 1 (or empty for "
                    f"an unscored unit), got {raw!r}"
                )
            out[unit_id] = p
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


def _hours(raw: str | None, path: Path, line: int) -> float | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{path}:{line}: silent_hours must be hours >= 0 (or empty), got {raw!r}")
    return value


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"
