"""evaluate() on hand-made flags and truth whose precision and recall are known."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from occupancy.cli import app
from occupancy.evaluate import TruthRow, evaluate, load_flags_csv, load_truth_csv
from occupancy.flags.csvfile import write_flags_csv
from occupancy.flags.record import (
    METER_OFFLINE,
    REGISTERED_SILENT,
    UNREGISTERED_ACTIVITY,
    FlagRecord,
)

TRUTH_CSV = """unit_id,archetype,occupied,registered,meter_ok
u1,unregistered_occupants,1,0,1
u2,unregistered_occupants,1,0,1
u3,unregistered_occupants,1,0,1
u4,vacant_standby,0,0,1
r1,registered_vacant,0,1,1
r2,elderly_silent,0,1,1
f1,registered_family,1,1,1
o1,registered_family,1,1,0
o2,unregistered_occupants,1,0,0
"""
# unregistered: TP u1 u2, FP u4, FN u3 -> P 2/3, R 2/3
# silent: TP r1, FP f1, FN r2 -> P 1/2, R 1/2
# offline: TP o1 o2 -> P 1, R 1 (o2 is occupied and unregistered but its meter failed)
FLAGS = [
    ("u1", UNREGISTERED_ACTIVITY),
    ("u2", UNREGISTERED_ACTIVITY),
    ("u4", UNREGISTERED_ACTIVITY),
    ("r1", REGISTERED_SILENT),
    ("f1", REGISTERED_SILENT),
    ("o1", METER_OFFLINE),
    ("o2", METER_OFFLINE),
]


@pytest.fixture
def truth(tmp_path):
    path = tmp_path / "truth.csv"
    path.write_text(TRUTH_CSV, encoding="utf-8")
    return path


def test_precision_recall_f1_per_kind(truth):
    report = evaluate(FLAGS, load_truth_csv(truth))
    u = report[UNREGISTERED_ACTIVITY]
    assert (u.tp, u.fp, u.fn) == (2, 1, 1)
    assert u.precision == pytest.approx(2 / 3) and u.recall == pytest.approx(2 / 3)
    assert u.f1 == pytest.approx(2 / 3)
    s = report[REGISTERED_SILENT]
    assert (s.tp, s.fp, s.fn) == (1, 1, 1) and s.precision == s.recall == 0.5
    o = report[METER_OFFLINE]
    assert (o.tp, o.fp, o.fn) == (2, 0, 0) and o.precision == o.recall == o.f1 == 1.0
    assert report.mistakes[REGISTERED_SILENT] == {"fp:registered_family": 1, "fn:elderly_silent": 1}
    assert report.units == 9 and report.flags == 7


def test_no_flags_and_no_positives_leave_rates_undefined():
    truth = {"f": TruthRow("f", "registered_family", True, True, True)}
    report = evaluate([], truth)
    m = report[UNREGISTERED_ACTIVITY]
    assert (m.tp, m.fp, m.fn) == (0, 0, 0)
    assert m.precision is None and m.recall is None and m.f1 is None
    assert json.loads(report.to_json())["kinds"][UNREGISTERED_ACTIVITY]["precision"] is None


def test_flags_on_unknown_units_are_false_positives_and_listed():
    truth = {"a": TruthRow("a", "x", True, False, True)}
    report = evaluate([("a", UNREGISTERED_ACTIVITY), ("zz", UNREGISTERED_ACTIVITY)], truth)
    assert report[UNREGISTERED_ACTIVITY].fp == 1
    assert report.unknown_units == ("zz",)


def test_flag_records_are_accepted_and_duplicates_count_once(truth):
    rec = FlagRecord("u1", "c", UNREGISTERED_ACTIVITY, 0.9, 0.9, "why")
    report = evaluate([rec, rec, ("u1", UNREGISTERED_ACTIVITY)], load_truth_csv(truth))
    assert report[UNREGISTERED_ACTIVITY].tp == 1 and report[UNREGISTERED_ACTIVITY].fp == 0


def test_flags_csv_round_trip_and_bad_input(tmp_path):
    path = tmp_path / "flags.csv"
    records = [FlagRecord(u, "c", k, 0.8, None, "证据", {"kind": k, "n": 1}) for u, k in FLAGS]
    assert write_flags_csv(records, path) == len(FLAGS)
    assert load_flags_csv(path) == FLAGS
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_id,kind\nu1,suspicious\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown flag kind"):
        load_flags_csv(bad)
    bad.write_text("unit,kind\nu1,meter_offline\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unit_id"):
        load_flags_csv(bad)


def test_truth_csv_needs_one_or_zero(tmp_path):
    path = tmp_path / "truth.csv"
    path.write_text("unit_id,archetype,occupied,registered,meter_ok\na,x,maybe,0,1\n")
    with pytest.raises(ValueError, match="occupied must be 1 or 0"):
        load_truth_csv(path)


def test_evaluate_command_prints_table_and_json(truth, tmp_path):
    flags = tmp_path / "flags.csv"
    flags.write_text(
        "unit_id,kind,score,evidence\n" + "".join(f"{u},{k},0.9,{{}}\n" for u, k in FLAGS)
    )
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", "--flags", str(flags), "--truth", str(truth)])
    assert result.exit_code == 0, result.output
    assert "unregistered_activity" in result.output and "0.667" in result.output
    result = runner.invoke(
        app, ["evaluate", "--flags", str(flags), "--truth", str(truth), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kinds"][REGISTERED_SILENT]["recall"] == 0.5
