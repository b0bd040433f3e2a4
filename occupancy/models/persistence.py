"""Save and load the detector with skops, never pickle, and say plainly when a file is wrong.

A pickle runs whatever code its author chose when it is loaded. skops stores a model as data
and refuses to build any type it was not told to trust, so a swapped or corrupted model file
cannot execute code on the server. We trust exactly the few non-standard types our own
pipeline is made of (``TRUSTED_TYPES``) and nothing else: a file that needs anything more was
not written by ``occupancy train`` and is rejected with ``ModelLoadError``.

Each model file ``NAME.skops`` has a JSON sidecar ``NAME.json`` with what a reviewer asks
first: library versions, training seeds, metrics, feature names, when it was made, and the
SHA-256 of the model file so the two cannot silently drift apart.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
import zipfile
from datetime import UTC, datetime
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops
import skops.io as sio
from sklearn.pipeline import Pipeline

from occupancy.models.fallback import RuleBasedDetector
from occupancy.models.features import FEATURE_NAMES
from occupancy.models.matrix import COLUMNS_PER_DAY

logger = logging.getLogger(__name__)

#: Types skops does not trust by default but our pipelines are built from. Computed from
#: fitted ``make_pipeline`` variants with ``skops.io.get_untrusted_types`` (a test keeps this
#: list and the pipeline in step).
TRUSTED_TYPES: tuple[str, ...] = (
    "occupancy.models.fallback.RuleBasedDetector",
    "occupancy.models.features.HourlyFeatures",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)
SHIPPED_NAME = "detector.skops"
RETRAIN_HINT = (
    "Retrain it with `occupancy train --data DIR --out PATH` (see docs/detector.md) or "
    "point OCCUPANCY_MODEL_PATH at a model written by `occupancy train`."
)


class ModelLoadError(RuntimeError):
    """A model file is missing, unreadable or holds something we do not trust.

    ``path`` is the file; ``untrusted`` lists the types that were found but not allowed.
    """

    def __init__(self, message: str, path: Path, untrusted: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.path = path
        self.untrusted = untrusted


def shipped_model_path() -> Path:
    """Where the model that comes with the package lives (it may be absent)."""
    return Path(str(files("occupancy.models").joinpath("data", SHIPPED_NAME)))


def metadata_path(path: Path) -> Path:
    """The JSON sidecar of a model file: ``detector.skops`` -> ``detector.json``."""
    return Path(path).with_suffix(".json")


def save_model(pipeline: Any, path: str | Path, metadata: dict[str, Any]) -> Path:
    """Write ``pipeline`` to ``path`` with skops and its metadata to the JSON sidecar.

    Library versions, the file's SHA-256, feature names (if the pipeline has a ``features``
    step) and the creation time are added to ``metadata``; keys the caller gave win.
    Returns the sidecar's path.
    """
    path = Path(path)
    _check_shape(pipeline, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(pipeline, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    info: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "numpy_version": np.__version__,
        "feature_names": _feature_names(pipeline),
        "estimator": _describe(pipeline),
    }
    info.update(metadata)
    info["sha256"] = _sha256(path)
    sidecar = metadata_path(path)
    sidecar.write_text(
        json.dumps(info, indent=2, ensure_ascii=False, default=_jsonable) + "\n", encoding="utf-8"
    )
    return sidecar


def load_model(path: str | Path | None = None) -> tuple[Any, dict[str, Any]]:
    """Load a model and its metadata; ``path=None`` loads the shipped model.

    Raises
    ------
    ModelLoadError
        The file is missing or not a skops file, holds a type outside ``TRUSTED_TYPES``, does
        not match the SHA-256 in its sidecar, or is not a detector.
    """
    path = Path(path) if path is not None else shipped_model_path()
    if not path.is_file():
        raise ModelLoadError(f"no model file at {path}. {RETRAIN_HINT}", path)
    metadata = _read_metadata(path)
    expected = metadata.get("sha256")
    if expected and expected != _sha256(path):
        raise ModelLoadError(
            f"{path} does not match the SHA-256 recorded in {metadata_path(path).name}: the "
            f"model file was changed after it was saved. {RETRAIN_HINT}",
            path,
        )
    try:
        found = tuple(sio.get_untrusted_types(file=path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ModelLoadError(
            f"{path} is not a skops model file ({exc}). {RETRAIN_HINT}", path
        ) from exc
    untrusted = tuple(t for t in found if t not in TRUSTED_TYPES)
    if untrusted:
        raise ModelLoadError(
            f"{path} contains types this project does not trust: {', '.join(untrusted)}. "
            f"Only files written by `occupancy train` are loaded. {RETRAIN_HINT}",
            path,
            untrusted,
        )
    try:
        model = sio.load(path, trusted=list(found))
    except Exception as exc:  # skops raises many types for a damaged archive
        raise ModelLoadError(f"could not read {path}: {exc}. {RETRAIN_HINT}", path) from exc
    _check_shape(model, path)
    _warn_on_version_change(metadata, path)
    return model, metadata


def load_detector(path: str | Path | None = None) -> tuple[Any, dict[str, Any]]:
    """The detector to use: the model at ``path``, else the shipped one, else the rules.

    Only a *missing shipped* model falls back to ``RuleBasedDetector`` (logged as a warning);
    a model file that exists but is wrong, or an explicit ``path`` that is missing, raises
    ``ModelLoadError`` because silently switching detectors would hide the problem.
    """
    if path is not None:
        return load_model(path)
    return _shipped_or_rules()


@lru_cache(maxsize=1)
def _shipped_or_rules() -> tuple[Any, dict[str, Any]]:
    shipped = shipped_model_path()
    if shipped.is_file():
        return load_model(shipped)
    logger.warning("no shipped model at %s; using the rule-based fallback detector", shipped)
    detector = RuleBasedDetector().fit(np.empty((0, COLUMNS_PER_DAY)))
    return detector, {"estimator": "RuleBasedDetector (fallback, not trained)"}


def _check_shape(model: Any, path: Path) -> None:
    if isinstance(model, RuleBasedDetector):
        return
    if (
        not isinstance(model, Pipeline)
        or [name for name, _ in model.steps] != ["features", "classifier"]
        or not hasattr(model, "predict_proba")
    ):
        raise ModelLoadError(
            f"{path} does not hold a detector (a Pipeline of 'features' and 'classifier' "
            f"steps), but a {type(model).__name__}. {RETRAIN_HINT}",
            path,
        )


def _read_metadata(path: Path) -> dict[str, Any]:
    sidecar = metadata_path(path)
    if not sidecar.is_file():
        logger.warning("model %s has no metadata sidecar %s", path, sidecar.name)
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read model metadata {sidecar}: {exc}", path) from exc
    if not isinstance(data, dict):
        raise ModelLoadError(f"model metadata {sidecar} is not a JSON object", path)
    return data


def _warn_on_version_change(metadata: dict[str, Any], path: Path) -> None:
    saved = str(metadata.get("sklearn_version", ""))
    if saved and saved.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        warnings.warn(
            f"{path} was trained with scikit-learn {saved}, this is {sklearn.__version__}; "
            "its scores may differ. Retrain with `occupancy train` to be sure.",
            stacklevel=3,
        )


def _feature_names(pipeline: Any) -> list[str]:
    if isinstance(pipeline, RuleBasedDetector):
        return list(FEATURE_NAMES)
    step = pipeline.named_steps.get("features") if isinstance(pipeline, Pipeline) else None
    return [str(n) for n in step.get_feature_names_out()] if step is not None else []


def _describe(pipeline: Any) -> str:
    """``CalibratedClassifierCV(LogisticRegression)``: what a reviewer needs to know first."""
    if not isinstance(pipeline, Pipeline):
        return type(pipeline).__name__
    inner = pipeline.named_steps["classifier"]
    base = getattr(inner, "estimator", None)
    if isinstance(base, Pipeline):
        base = base.steps[-1][1]
    name = type(inner).__name__
    return f"{name}({type(base).__name__})" if base is not None else name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in model metadata")
