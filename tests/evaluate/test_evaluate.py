"""evaluate() on hand-made flags and truth whose every metric is worked out by hand.

The legacy five-column truth checks precision, recall and F1 (and that old files still load);
the issue-4 truth adds vulnerable residents and silent hours for urgent flags, per-archetype
results, ROC AUC and the reliability table.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from occupancy.cli import app
from occupancy.evaluate import (
    TruthRow,
    evaluate,
    load_flags_csv,
    load_scores_csv,
    load_truth_csv,
    roc_auc,
)
from occupancy.flags.csvfile import write_flags_csv, write_scores_csv
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


# --- issue 4: urgent flags, archetypes, ROC AUC, calibration ---------------------------------

TRUTH_V2 = """unit_id,archetype,occupied,registered,meter_ok,vulnerable,silent_hours,faults
u1,unregistered_occupants,1,0,1,0,0.0,
u2,unregistered_occupants,1,0,1,0,0.0,gap
u3,unregistered_occupants,1,0,1,0,0.0,
u4,vacant_standby,0,0,1,0,168.0,
r1,registered_vacant,0,1,1,0,168.0,
r2,elderly_silent,0,1,1,1,30.0,duplicate;clock_skew
f1,registered_family,1,1,1,0,0.0,
o1,registered_family,1,1,0,0,0.0,offline
o2,unregistered_occupants,1,0,0,0,0.0,stuck
e1,elderly_alone,1,1,1,1,0.0,
e2,elderly_silent,0,1,1,1,12.0,
"""
U, S, OFF = UNREGISTERED_ACTIVITY, REGISTERED_SILENT, METER_OFFLINE
FLAGS_V2 = [
    ("u1", U, False),
    ("u2", U, False),
    ("u4", U, False),  # vacant: a false unregistered flag; u3 is missed
    ("r1", S, False),
    ("r2", S, True),  # vulnerable, silent 30 h: the urgent flag it needs
    ("e2", S, True),  # silent only 12 h: right kind, but a false urgent flag
    ("f1", S, False),  # a family at home flagged silent
    ("o1", OFF, False),
    ("o2", OFF, False),
]
# P(occupied); o1 and o2 (meter not ok) are unscored and left out of AUC and calibration.
SCORES_V2 = {
    "u1": 0.9,
    "u2": 0.6,
    "u3": 0.3,
    "u4": 0.7,
    "r1": 0.1,
    "r2": 0.6,
    "f1": 0.4,
    "e1": 1.0,
    "e2": 0.05,
    "o1": float("nan"),
}


@pytest.fixture
def truth_v2(tmp_path):
    path = tmp_path / "truth.csv"
    path.write_text(TRUTH_V2, encoding="utf-8")
    return load_truth_csv(path)


def test_new_truth_columns_load_and_old_files_default(truth_v2, truth):
    r2 = truth_v2["r2"]
    assert r2.vulnerable and r2.silent_hours == 30.0 and r2.faults == ("duplicate", "clock_skew")
    assert r2.expects_urgent
    assert not truth_v2["e2"].expects_urgent  # 12 h < 24 h
    assert not truth_v2["e1"].expects_urgent  # still active
    assert truth_v2["u1"].faults == () and truth_v2["o2"].faults == ("stuck",)
    legacy = load_truth_csv(truth)["r2"]
    assert (legacy.vulnerable, legacy.silent_hours, legacy.faults) == (False, None, ())
    assert not legacy.expects_urgent


def test_bad_silent_hours_names_line(tmp_path):
    path = tmp_path / "truth.csv"
    path.write_text(
        TRUTH_V2.replace("r1,registered_vacant,0,1,1,0,168.0", "r1,registered_vacant,0,1,1,0,-3")
    )
    with pytest.raises(ValueError, match=r"truth.csv:6: silent_hours"):
        load_truth_csv(path)


def test_urgent_metrics(truth_v2):
    report = evaluate(FLAGS_V2, truth_v2, days=7)
    u = report.urgent
    assert (u.expected, u.caught, u.missed, u.false_urgent) == (1, 1, 0, 1)
    assert u.unit_days == 11 * 7
    assert u.false_per_1000_unit_days == pytest.approx(1000 / 77)
    assert u.false_units == ("e2",) and u.missed_units == ()
    # Without the window length there is no rate; pairs carry no urgency at all.
    assert evaluate(FLAGS_V2, truth_v2).urgent.false_per_1000_unit_days is None
    pairs = evaluate([(unit, kind) for unit, kind, _ in FLAGS_V2], truth_v2, days=7).urgent
    assert (pairs.caught, pairs.missed, pairs.false_urgent) == (0, 1, 0)


def test_per_archetype_results(truth_v2):
    arch = evaluate(FLAGS_V2, truth_v2, days=7).archetypes
    unreg = arch["unregistered_occupants"]
    # u1, u2 right; u3 missed; o2's failed meter rightly flagged offline.
    assert (unreg.units, unreg.correct, unreg.expected) == (4, 3, U)
    assert unreg.flagged == {U: 2, S: 0, OFF: 1}
    assert arch["vacant_standby"].correct == 0 and arch["vacant_standby"].expected is None
    silent = arch["elderly_silent"]
    assert (silent.units, silent.correct, silent.urgent) == (2, 1, 2)  # e2: false urgent
    assert arch["registered_family"].correct == 1  # o1 right, f1 wrong
    assert arch["elderly_alone"].correct == 1 and arch["elderly_alone"].flagged == {
        U: 0,
        S: 0,
        OFF: 0,
    }
    assert arch["registered_vacant"].share_correct == 1.0
    assert evaluate(FLAGS_V2, truth_v2).share_correct == pytest.approx(7 / 11)


def test_roc_auc_per_kind(truth_v2):
    report = evaluate(FLAGS_V2, truth_v2, scores=SCORES_V2, days=7)
    # Unregistered, meter ok: occupied 0.9, 0.6, 0.3 against vacant 0.7 -> 1 of 3 pairs.
    assert report[U].auc == pytest.approx(1 / 3) and report[U].auc_units == 4
    # Registered, meter ok, score 1 - P: empty 0.9, 0.4, 0.95 against occupied 0.6, 0.0.
    assert report[S].auc == pytest.approx(5 / 6) and report[S].auc_units == 5
    assert report[OFF].auc is None
    assert evaluate(FLAGS_V2, truth_v2)[U].auc is None  # no scores, no AUC


def test_roc_auc_ties_and_one_class():
    assert roc_auc([1, 0], [0.5, 0.5]) == 0.5
    assert roc_auc([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]) == 1.0
    assert roc_auc([1, 1], [0.9, 0.8]) is None


def test_calibration_table(truth_v2):
    cal = evaluate(FLAGS_V2, truth_v2, scores=SCORES_V2).calibration
    assert cal.units == 9
    by_bin = {round(b.lower, 1): b for b in cal.bins}
    assert len(cal.bins) == 10
    assert (by_bin[0.0].units, by_bin[0.0].mean_predicted, by_bin[0.0].observed_rate) == (
        1,
        0.05,
        0.0,
    )
    assert by_bin[0.1].units == 1  # 0.1 sits in 0.1-0.2
    assert by_bin[0.3].units == 1 and by_bin[0.3].observed_rate == 1.0  # 0.3 in 0.3-0.4
    assert by_bin[0.6].units == 2 and by_bin[0.6].observed_rate == 0.5
    assert by_bin[0.7].units == 1 and by_bin[0.7].observed_rate == 0.0  # 0.7 in 0.7-0.8
    assert by_bin[0.9].units == 2 and by_bin[0.9].mean_predicted == pytest.approx(0.95)
    assert by_bin[0.5].units == 0 and by_bin[0.5].mean_predicted is None
    assert sum(b.units for b in cal.bins) == 9
    assert cal.brier == pytest.approx(1.8825 / 9)
    assert cal.auc_occupied == pytest.approx(14.5 / 20)


def test_everything_is_in_the_json(truth_v2):
    data = json.loads(evaluate(FLAGS_V2, truth_v2, scores=SCORES_V2, days=7).to_json())
    assert data["kinds"][U]["roc_auc"] == pytest.approx(1 / 3)
    assert data["archetypes"]["elderly_silent"]["urgent"] == 2
    assert data["urgent"]["false_per_1000_unit_days"] == pytest.approx(1000 / 77)
    assert data["calibration"]["bins"][9]["units"] == 2
    assert data["days"] == 7 and data["share_correct"] == pytest.approx(7 / 11)


def test_scores_and_urgent_flags_round_trip(tmp_path, truth_v2):
    path = tmp_path / "scores.csv"
    ids = list(SCORES_V2)
    assert write_scores_csv(ids, [SCORES_V2[u] for u in ids], path) == len(ids)
    scores = load_scores_csv(path)
    assert scores["u1"] == 0.9 and scores["o1"] != scores["o1"]  # NaN: not scored
    flags = tmp_path / "flags.csv"
    write_flags_csv([FlagRecord(u, "c", k, 0.9, None, "", urgent=g) for u, k, g in FLAGS_V2], flags)
    assert load_flags_csv(flags, with_urgent=True) == FLAGS_V2
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_id,probability\na,1.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.csv:2: probability must be a number from 0 to 1"):
        load_scores_csv(bad)
