"""Compare what the meters say with what the register says, and raise flags where they differ.

The detector only answers "is someone living here?" (P(occupied)); whether that is worth a
visit depends on the register, and that comparison lives here, in rules a person can read:

* **meter_offline**: fewer than ``min_coverage`` of the window's hours measured, or nothing
  measured in its last 24 hours, or no data at all for a registered unit. We do not guess
  from too little data; a silent meter is itself worth a look. Score: 1 - measured share.
* **unregistered_activity**: not in the register (or registered with 0 occupants) and
  P(occupied) >= ``threshold``. Score: P(occupied).
* **registered_silent**: the register lists occupants and P(occupied) < ``threshold``.
  Score: 1 - P(occupied); ``urgent`` when the register marks the resident vulnerable (an
  elderly person living alone whose home went quiet).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from occupancy.flags.evidence import absent_evidence, evidence_text, unit_evidence
from occupancy.flags.record import (
    METER_OFFLINE,
    REGISTERED_SILENT,
    UNREGISTERED_ACTIVITY,
    FlagRecord,
)
from occupancy.models.features import HourlyFeatures, UnitSummary
from occupancy.models.matrix import window_matrix
from occupancy.register.entry import RegisterEntry
from occupancy.timeseries import HourlyWindow


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
        summary = _feature_step(model).summarize(X)
        scored = scoreable(summary, min_coverage)
        if scored.any():
            proba = np.asarray(model.predict_proba(X[scored]))
            probability[scored] = proba[:, _positive_column(model)]
        for i, unit_id in enumerate(window.unit_ids):
            flag = _flag_for(window, summary, i, register.get(unit_id), probability[i], threshold)
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


def scoreable(summary: UnitSummary, min_coverage: float = 0.5) -> np.ndarray:
    """Units with enough data to be scored: ``min_coverage`` of hours and some in the last 24.

    Training uses the same mask, so the model never learns from a unit it would not score.
    """
    recent = summary.last24_measured_hours > 0
    return (summary.measured_share >= min_coverage) & recent


def _flag_for(
    window: HourlyWindow,
    summary: UnitSummary,
    i: int,
    entry: RegisterEntry | None,
    p: float,
    threshold: float,
) -> FlagRecord | None:
    occupants = entry.registered_occupants if entry is not None else None
    vulnerable = bool(entry.vulnerable) if entry is not None else False
    community = window.communities[i] or (entry.community if entry is not None else "")
    if np.isnan(p):
        kind, score, probability = METER_OFFLINE, 1.0 - float(summary.measured_share[i]), None
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
    return FlagRecord(
        unit_id=window.unit_ids[i],
        community=community,
        kind=kind,
        score=round(score, 4),
        probability=probability,
        evidence_text=evidence_text(evidence),
        evidence=evidence,
        urgent=kind == REGISTERED_SILENT and vulnerable,
    )


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
