"""skops round trip, the trusted-types allow-list, and files we must refuse."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from occupancy.models import (
    TRUSTED_TYPES,
    ModelLoadError,
    RuleBasedDetector,
    load_detector,
    load_model,
    make_pipeline,
    persistence,
    save_model,
    shipped_model_path,
)

from .test_estimators import toy_training_set

#: Seeds the demo and these tests simulate with; the shipped model must not have seen them.
HELD_OUT_SEEDS = {42, 43, 44, 777, 778}


class Foreign(BaseEstimator):
    """Stands in for any class a model file might smuggle in."""

    def __init__(self, payload: str = "rm -rf /") -> None:
        self.payload = payload


@pytest.fixture(scope="module")
def fitted():
    X, y = toy_training_set(n=200)
    return make_pipeline("trees", random_state=0).fit(X, y), X


def test_trusted_types_are_exactly_what_our_pipelines_need(fitted):
    X, y = toy_training_set(n=200)
    needed: set[str] = set()
    for pipe in (
        fitted[0],
        make_pipeline("logistic").fit(X, y),
        make_pipeline("trees", calibrate=False).fit(X, y),
        RuleBasedDetector().fit(X),
    ):
        needed |= set(sio.get_untrusted_types(data=sio.dumps(pipe)))
    assert needed == set(TRUSTED_TYPES)


def test_round_trip_keeps_scores_and_metadata(fitted, tmp_path):
    pipe, X = fitted
    path = tmp_path / "m.skops"
    sidecar = save_model(pipe, path, {"training_seeds": [1, 2], "metrics": {"f1": 0.9}})
    assert sidecar == tmp_path / "m.json"

    loaded, meta = load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert meta["training_seeds"] == [1, 2]
    assert meta["metrics"] == {"f1": 0.9}
    assert meta["feature_names"][0] == "measured_share"
    assert meta["sklearn_version"] and meta["sha256"] and meta["created"]
    assert path.read_bytes()[:2] == b"PK"  # a zip archive of data, not a pickle stream


@pytest.mark.parametrize(
    ("evil", "type_name"),
    [
        (Foreign(), "Foreign"),
        (Pipeline([("f", FunctionTransformer(os.system))]), "system"),
    ],
    ids=["foreign-class", "os-system"],
)
def test_a_file_with_an_untrusted_type_is_refused_with_the_type_named(tmp_path, evil, type_name):
    path = tmp_path / "evil.skops"
    sio.dump(evil, path)
    with pytest.raises(ModelLoadError, match=type_name) as info:
        load_model(path)
    assert "occupancy train" in str(info.value)
    assert any(t.endswith(type_name) for t in info.value.untrusted)


def test_a_model_changed_after_saving_is_refused(fitted, tmp_path):
    path = tmp_path / "m.skops"
    save_model(fitted[0], path, {})
    other = make_pipeline("logistic").fit(*toy_training_set(n=200))
    sio.dump(other, path)  # a valid skops file, but not the one the sidecar describes
    with pytest.raises(ModelLoadError, match="SHA-256"):
        load_model(path)


@pytest.mark.parametrize(
    "content", [pickle.dumps({"not": "a model"}), b"PK\x03\x04 broken zip", b""]
)
def test_pickles_and_broken_files_are_refused(tmp_path, content):
    path = tmp_path / "m.skops"
    path.write_bytes(content)
    with pytest.raises(ModelLoadError, match="occupancy train"):
        load_model(path)


def test_a_skops_file_that_is_not_a_detector_is_refused(tmp_path):
    path = tmp_path / "m.skops"
    sio.dump({"a": 1}, path)
    with pytest.raises(ModelLoadError, match="does not hold a detector"):
        load_model(path)


def test_missing_file_is_a_model_load_error(tmp_path):
    with pytest.raises(ModelLoadError, match="no model file"):
        load_model(tmp_path / "absent.skops")
    with pytest.raises(ModelLoadError):
        load_detector(tmp_path / "absent.skops")


def test_shipped_model_loads_and_was_trained_on_other_seeds():
    path = shipped_model_path()
    assert path.is_file(), "occupancy/models/data/detector.skops is missing; see docs/detector.md"
    assert path.stat().st_size < 2 * 1024 * 1024
    model, meta = load_model()
    assert hasattr(model, "predict_proba")
    assert meta["training_seeds"] and not HELD_OUT_SEEDS & set(meta["training_seeds"])
    on_disk = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert on_disk["sha256"] == meta["sha256"]


def test_missing_shipped_model_falls_back_to_rules(monkeypatch, tmp_path):
    monkeypatch.setattr(persistence, "shipped_model_path", lambda: tmp_path / "none.skops")
    persistence._shipped_or_rules.cache_clear()
    try:
        model, meta = load_detector()
        assert isinstance(model, RuleBasedDetector)
        assert "fallback" in meta["estimator"]
    finally:
        persistence._shipped_or_rules.cache_clear()
