"""The occupancy detector: arrays in, P(occupied) out, in scikit-learn's style.

Nothing here knows about stores, the web, the database or the simulator; callers turn their
data into an ``HourlyWindow`` and then into ``window_matrix(window)``.
"""

from occupancy.models.detector import make_pipeline
from occupancy.models.fallback import RuleBasedDetector
from occupancy.models.features import FEATURE_NAMES, HourlyFeatures, UnitSummary, summarize
from occupancy.models.matrix import split_matrix, window_matrix
from occupancy.models.persistence import (
    TRUSTED_TYPES,
    ModelLoadError,
    load_detector,
    load_model,
    save_model,
    shipped_model_path,
)

__all__ = [
    "FEATURE_NAMES",
    "TRUSTED_TYPES",
    "HourlyFeatures",
    "ModelLoadError",
    "RuleBasedDetector",
    "UnitSummary",
    "load_detector",
    "load_model",
    "make_pipeline",
    "save_model",
    "shipped_model_path",
    "split_matrix",
    "summarize",
    "window_matrix",
]
