"""Figures of merit on interval sets worked by hand."""

import numpy as np
import pytest

from sim.engine.metrics import Target, per_point_figures, weighted_percentile
from sim.kernels import coverage as K

T = 100.0
MIN_GAP = 1e-3


def _figures(intervals_per_point):
    state = K.new_state(len(intervals_per_point))
    for i, intervals in enumerate(intervals_per_point):
        for a, b in sorted(intervals):
            K.merge_piece(state, i, a, b, MIN_GAP)
    return per_point_figures(state, T, MIN_GAP)


def test_hand_worked_points():
    f = _figures([
        [(10, 20), (50, 60)],                 # gaps 10 (edge), 30, 40 (edge)
        [],                                   # never seen
        [(0, 100)],                           # always seen
        [(5, 15), (10, 30), (30.0005, 40)],   # overlaps and a sub-millisecond gap join: one access 5..40
    ])
    assert f["max_revisit_s"].tolist() == [40, 100, 0, 60]
    assert f["mean_revisit_s"] == pytest.approx([80 / 3, 100, 0, 32.5])
    # response time = sum(gap^2) / (2T)
    assert f["mean_response_s"] == pytest.approx([(100 + 900 + 1600) / 200, 50, 0, (25 + 3600) / 200])
    assert f["time_avg_gap_s"] == pytest.approx(2 * f["mean_response_s"])
    assert f["coverage_fraction"] == pytest.approx([0.2, 0, 1, 0.35])
    assert f["n_access"].tolist() == [2, 0, 1, 1]
    assert f["access_max_s"][3] == pytest.approx(35)
    assert f["access_min_s"][0] == pytest.approx(10)
    assert f["max_revisit_interior_s"][0] == pytest.approx(30)
    assert np.isnan(f["max_revisit_interior_s"][3])
    assert f["seen"].tolist() == [True, False, True, True]


def test_weighted_percentile():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    w = np.array([0.1, 0.2, 0.3, 0.4])
    assert weighted_percentile(v, w, 50) == 3.0   # 0.1+0.2 < 0.5 <= 0.6
    assert weighted_percentile(v, w, 10) == 1.0
    assert weighted_percentile(v, w, 100) == 4.0
    assert weighted_percentile(v, w, 30) == 2.0


def test_target_share_and_verdict():
    w = np.array([0.25, 0.25, 0.5])
    mrt = np.array([100.0, 2000.0, 500.0])
    seen = np.array([True, True, False])
    r = Target("within 30 min", 1800).evaluate(mrt, seen, w)
    assert r["share_met"] == pytest.approx(0.25)   # unseen points never meet a claim
    assert r["verdict"] == "not met"
    r = Target("within 1 h", 3600).evaluate(mrt, np.array([True, True, True]), w)
    assert r["share_met"] == 1.0 and r["verdict"] == "met"


def test_a_target_no_shorter_than_the_window_is_not_judged():
    w = np.array([0.5, 0.5])
    mrt = np.array([100.0, 7200.0])  # in a 2 h window every gap is <= 2 h: a 2 h claim could not fail...
    everywhere = np.array([True, True])
    r = Target("within 2 h", 7200).evaluate(mrt, everywhere, w, mrt, window_s=7200.0)
    assert r["verdict"] == "untestable" and r["share_met"] is None and r["share_mean_response_met"] is None
    seen = np.array([True, False])  # ...except where a point is never seen
    r = Target("within 2 h", 7200).evaluate(mrt, seen, w, mrt, window_s=7200.0)
    assert r["verdict"] == "not met" and r["share_met"] == 0.5 and "never seen" in r["reason"]
    r = Target("within 2 h", 7200).evaluate(mrt, seen, w, mrt, window_s=7200.5)
    assert r["verdict"] == "not met" and r["share_met"] == 0.5 and "reason" not in r
