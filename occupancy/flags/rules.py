"""Compare what the meters say with what the register says, and raise flags where they differ.

The detector only answers "is someone living here?" (P(occupied)); whether that is worth a
visit depends on the register, and that comparison lives here, in rules a person can read:

* **meter_offline**: fewer than ``min_coverage`` of the window's hours measured, or nothing
  measured in its last 24 hours, or no data at all for a registered unit. We do not guess
  from too little data; a silent meter is itself worth a look. Score: 1 - measured share.
  The welfare rule below comes first: it needs only the last day well measured, so a
  vulnerable resident silent for a day is urgent even when the week is too patchy to score.
* **unregistered_activity**: not in the register (or registered with 0 occupants) and
  P(occupied) >= ``threshold``. Score: P(occupied).
* **meter_offline** also when the register stood still for ``STUCK_HOURS`` or more while
  the meter kept reporting (a stuck meter), with that in the evidence instead of a guess.
* **registered_silent**: the register lists occupants and P(occupied) < ``threshold``.
  Score: 1 - P(occupied).
* **the welfare rule** (``occupancy.flags.welfare``): a registered *vulnerable* resident
  whose home shows no human activity for ``WELFARE_SILENT_HOURS`` (24 h) at the window end
  gets an **urgent** ``registered_silent`` flag, whatever P(occupied) says: a week that was
  lived in until yesterday still scores as occupied, and a week too patchy to score gives
  no P(occupied) at all. Other registered_silent flags are not urgent. ``raise_flags`` and
  ``welfare_flags`` agree on who is urgent on the same data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from occupancy.flags.evidence import absent_evidence, evidence_text, unit_evidence
from occupancy.flags.record import (
    METER_OFFLINE,
    REGISTERED_SILENT,
    UNREGISTERED_ACTIVITY,
    FlagRecord,
)
from occupancy.flags.welfare import STUCK_HOURS, Silence, is_silent, silence
from occupancy.models.activity import frozen_hours
from occupancy.models.features import HourlyFeatures, UnitSummary, feature_matrix
from occupancy.models.matrix import window_matrix
from occupancy.register.entry import RegisterEntry
from occupancy.timeseries import HourlyWindow, plus_hours


def raise_flags(
    window: HourlyWindow,
    register: Mapping[str, RegisterEntry],
    model: Any = None,
    *,
    threshold: float = 0.5,
    min_coverage: float = 0.5,
) -> tuple[list[FlagRecord], np.ndarray]:
    """Flags for one window, and P(occupied) for each of its units.

    Parameters
    ----------
    window : HourlyWindow
        Hourly data of the units to check (whole days from a local midnight).
    register : mapping of unit_id to RegisterEntry
        The move-in register of the same communities. Registered units missing from the
        window are flagged ``meter_offline``, so pass only the communities the window covers.
    model : estimator with ``predict_proba``, optional
        Takes ``window_matrix(window)`` rows; column of class 1 is P(occupied). Default: the
        shipped model, or ``RuleBasedDetector`` if none is installed (``load_detector``).
    threshold : float, default=0.5
        P(occupied) at or above which a unit counts as lived in.
    min_coverage : float, default=0.5
        Share of the window's hours that must be measured before a unit is scored.

    Returns
    -------
    flags : list of FlagRecord
        Urgent flags first, then by descending score.
    probability : ndarray of shape (len(window.unit_ids),)
        P(occupied) per window unit, NaN where the unit was not scored (meter offline).
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    if not 0.0 <= min_coverage <= 1.0:
        raise ValueError(f"min_coverage must be in [0, 1], got {min_coverage}")
    if model is None:
        from occupancy.models.persistence import load_detector

        model, _ = load_detector()

    n = len(window.unit_ids)
    probability = np.full(n, np.nan)
    flags: list[FlagRecord] = []
    if n:
        X = window_matrix(window)
        features = _feature_step(model)
        summary = features.summarize(X)
        status = _welfare_silence(X[:, : summary.hours], window, register)
        stuck = status.frozen_hours >= STUCK_HOURS
        scored = scoreable(summary, min_coverage) & ~stuck
        if scored.any():
            probability[scored] = _predict(model, features, summary, X, scored)
        entries = [register.get(unit_id) for unit_id in window.unit_ids]
        occupants = np.array([e.registered_occupants if e else 0 for e in entries])
        vulnerable = np.array([bool(e.vulnerable) if e else False for e in entries])
        silent = is_silent(status)
        # Decide who gets a flag for all units at once; build evidence only for those.
        with np.errstate(invalid="ignore"):
            flagged = (
                np.isnan(probability)
                | ((occupants > 0) & vulnerable & silent)
                | ((occupants == 0) & (probability >= threshold))
                | ((occupants > 0) & (probability < threshold))
            )
        for i in np.flatnonzero(flagged):
            flag = _flag_for(
                window,
                summary,
                status,
                int(i),
                entries[i],
                probability[i],
                threshold,
                welfare_silent=bool(silent[i]),
            )
            if flag is not None:
                flags.append(flag)

    present = set(window.unit_ids)
    for unit_id, entry in register.items():
        if unit_id in present:
            continue
        evidence = absent_evidence(
            window.days,
            registered_occupants=entry.registered_occupants,
            vulnerable=entry.vulnerable,
        )
        flags.append(
            FlagRecord(
                unit_id=unit_id,
                community=entry.community,
                kind=METER_OFFLINE,
                score=1.0,
                probability=None,
                evidence_text=evidence_text(evidence),
                evidence=evidence,
            )
        )
    flags.sort(key=lambda f: (not f.urgent, -f.score, f.unit_id))
    return flags, probability


def _welfare_silence(
    energy: np.ndarray, window: HourlyWindow, register: Mapping[str, RegisterEntry]
) -> Silence:
    """``silence`` for every unit; the human-activity rule runs only on vulnerable residents.

    Others get the register's frozen hours (stuck meters) and "never silent": the welfare
    rule does not apply to them, and it is the costly part of a 100,000-unit run.
    """
    n = energy.shape[0]
    rows = np.array(
        [
            (e := register.get(u)) is not None and e.vulnerable and e.registered_occupants > 0
            for u in window.unit_ids
        ],
        dtype=bool,
    )
    frozen, moved = frozen_hours(energy)
    full = np.full(n, np.nan)
    out = Silence(
        hours_since_activity=full.copy(),
        hours_since_measured=full.copy(),
        quiet_measured_hours=np.zeros(n, dtype=np.int64),
        frozen_hours=frozen,
        moved=moved,
        measured_hours=np.zeros(n, dtype=np.int64),
        mean_daily_kwh=full.copy(),
        standby_daily_kwh=full.copy(),
        hours_looked_at=energy.shape[1],
    )
    if rows.any():
        part = silence(energy[rows], window.start.hour)
        for name in (
            "hours_since_activity",
            "hours_since_measured",
            "quiet_measured_hours",
            "measured_hours",
            "mean_daily_kwh",
            "standby_daily_kwh",
        ):
            getattr(out, name)[rows] = getattr(part, name)
    # Units the rule does not look at are never "silent": 0 hours since activity.
    out.hours_since_activity[~rows] = 0.0
    return out


def trainable(X: np.ndarray, min_coverage: float = 0.5) -> np.ndarray:
    """Rows of a window matrix that ``raise_flags`` would score: what training may use.

    Scoreable (``scoreable``) and the register not stuck: a unit flagged meter_offline is
    never given a probability, so the model must not learn from one either.
    """
    summary = HourlyFeatures().summarize(X)
    frozen, _ = frozen_hours(X[:, : summary.hours])
    return scoreable(summary, min_coverage) & (frozen < STUCK_HOURS)


def scoreable(summary: UnitSummary, min_coverage: float = 0.5) -> np.ndarray:
    """Units with enough data to be scored: ``min_coverage`` of hours and some in the last 24.

    Training uses the same mask, so the model never learns from a unit it would not score.
    """
    recent = summary.last24_measured_hours > 0
    return (summary.measured_share >= min_coverage) & recent


def _flag_for(
    window: HourlyWindow,
    summary: UnitSummary,
    status: Silence,
    i: int,
    entry: RegisterEntry | None,
    p: float,
    threshold: float,
    *,
    welfare_silent: bool,
) -> FlagRecord | None:
    occupants = entry.registered_occupants if entry is not None else None
    vulnerable = bool(entry.vulnerable) if entry is not None else False
    community = window.communities[i] or (entry.community if entry is not None else "")
    urgent = False
    # The welfare rule first: it reads only the last day (measured, meter reporting and not
    # stuck, all inside ``is_silent``), so a week too patchy to score (P NaN) must not hide
    # it behind meter_offline; welfare_flags raises it on the same data.
    if occupants and vulnerable and welfare_silent:
        kind, urgent = REGISTERED_SILENT, True
        probability = None if np.isnan(p) else float(p)
        score = 1.0 if probability is None else 1.0 - probability
    elif np.isnan(p):
        kind, score, probability = METER_OFFLINE, 1.0 - float(summary.measured_share[i]), None
        if status.frozen_hours[i] >= STUCK_HOURS:
            score = max(score, min(1.0, float(status.frozen_hours[i]) / summary.hours))
    elif not occupants and p >= threshold:
        kind, score, probability = UNREGISTERED_ACTIVITY, float(p), float(p)
    elif occupants and p < threshold:
        kind, score, probability = REGISTERED_SILENT, 1.0 - float(p), float(p)
    else:
        return None
    evidence = unit_evidence(
        summary,
        i,
        kind=kind,
        registered_occupants=occupants,
        vulnerable=vulnerable,
        probability=probability,
    )
    # The welfare rule's own count for a vulnerable resident, the model's for everyone else.
    welfare = bool(occupants) and vulnerable
    since = status.hours_since_activity[i] if welfare else summary.hours_since_active[i]
    evidence["hours_since_activity"] = None if np.isnan(since) else float(round(since))
    # Real hours from the window start (columns are), not wall-clock ones: across a daylight
    # saving change the two differ by an hour.
    evidence["last_activity_at"] = (
        None
        if np.isnan(since)
        else plus_hours(window.start, summary.hours - float(since) - 1).isoformat()
    )
    evidence["register_frozen_hours"] = round(float(status.frozen_hours[i]))
    evidence["urgent"] = urgent
    return FlagRecord(
        unit_id=window.unit_ids[i],
        community=community,
        kind=kind,
        score=round(score, 4),
        probability=probability,
        evidence_text=evidence_text(evidence),
        evidence=evidence,
        urgent=urgent,
    )


def _predict(
    model: Any, features: HourlyFeatures, summary: UnitSummary, X: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """P(occupied) of ``rows``, reusing the features already computed for the evidence.

    A detector pipeline (``features`` then the classifier) gets the feature matrix straight
    into its classifier, so the features are not computed twice; other estimators (the
    rule-based fallback, the reference rules) get the window rows. Prediction runs on one
    thread, like training: OpenMP over a busy machine's cores was slower, not faster.
    """
    steps = getattr(model, "named_steps", None)
    with threadpool_limits(limits=1):
        if steps is not None and steps.get("features") is not None and len(model.steps) > 1:
            F = feature_matrix(summary)[rows]
            proba = np.asarray(model[1:].predict_proba(F))
        else:
            proba = np.asarray(model.predict_proba(X[rows]))
    return proba[:, _positive_column(model)]


def _feature_step(model: Any) -> HourlyFeatures:
    """The model's own feature step, so the evidence counts what the model counted."""
    steps = getattr(model, "named_steps", None)
    step = steps.get("features") if steps is not None else None
    if isinstance(step, HourlyFeatures):
        return step
    margin = getattr(model, "margin_kwh", None)
    event = getattr(model, "event_kwh", None)
    if margin is not None and event is not None:
        return HourlyFeatures(margin_kwh=margin, event_kwh=event)
    return HourlyFeatures()


def _positive_column(model: Any) -> int:
    classes = list(getattr(model, "classes_", [0, 1]))
    for value in (1, True, "1", "occupied"):
        if value in classes:
            return classes.index(value)
    return len(classes) - 1
