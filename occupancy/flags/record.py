"""A flag as the detector raises it, before it is stored or shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNREGISTERED_ACTIVITY = "unregistered_activity"
REGISTERED_SILENT = "registered_silent"
METER_OFFLINE = "meter_offline"
FLAG_KINDS = (UNREGISTERED_ACTIVITY, REGISTERED_SILENT, METER_OFFLINE)


@dataclass(frozen=True)
class FlagRecord:
    """A prompt for a human visit, never a decision.

    ``score`` orders the list (higher = more confident the flag is right); ``probability``
    is the model's occupancy probability (None for ``meter_offline``); ``evidence`` holds
    the numbers behind ``evidence_text`` so pages can render them in any language.
    """

    unit_id: str
    community: str
    kind: str
    score: float
    probability: float | None
    evidence_text: str
    evidence: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False
