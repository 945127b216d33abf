"""The peers benchmark's comparison functions on a tiny case: revisit against the
numpy brute force, the skyfield reference and (when installed) NASA TAT-C.
Correctness only; no timing is checked."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import _common as C  # noqa: E402
import peers  # noqa: E402

from constellation import Constellation, Sensor, sso_inclination_deg, walker_delta  # noqa: E402
from sim import Window, run  # noqa: E402

TINY = {"satellites": 24, "planes": 6, "grid_deg": 10.0, "hours": 1.0, "step_s": 60.0}


@pytest.fixture(scope="module")
def tiny():
    const, lines, grid, window = peers.case_inputs(TINY)
    return const, lines, grid, window, peers.revisit_figures(const, grid, window)


def test_sampled_accesses_by_hand():
    # samples every 10 s over 100 s; visible at 10-20 s and 60 s, and from 90 s to the end
    vis = np.array([0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1], dtype=bool)
    acc = C.SampledAccesses(1, 100.0)
    for k, v in enumerate(vis):
        acc.update(10.0 * k, np.array([v]))
    f = acc.figures()
    # accesses [5, 25], [55, 65], [85, 100]: gaps 5 (leading), 30, 20, none trailing
    assert f["n_access"][0] == 3
    assert f["max_revisit_s"][0] == pytest.approx(30.0)
    assert f["mean_revisit_s"][0] == pytest.approx((5 + 30 + 20) / 3)
    assert f["mean_revisit_interior_s"][0] == pytest.approx(25.0)
    assert f["max_revisit_interior_s"][0] == pytest.approx(30.0)
    assert f["coverage_fraction"][0] == pytest.approx(45.0 / 100.0)
    assert f["mean_response_s"][0] == pytest.approx((25 + 900 + 400) / 200.0)
    # never visible: one gap the whole window
    acc = C.SampledAccesses(1, 100.0)
    for k in range(11):
        acc.update(10.0 * k, np.array([False]))
    f = acc.figures()
    assert f["max_revisit_s"][0] == 100.0 and not f["seen"][0] and math.isnan(f["mean_revisit_interior_s"][0])


def test_cos_reach_matches_off_nadir_angle():
    # a point exactly at the reach is seen at the off-nadir limit from the satellite
    eta = math.radians(45.0)
    R, r = 6371.0, 6371.0 + 535.0
    lam = math.acos(float(C.cos_reach(np.array(R), np.array(r), eta)))
    sat = np.array([r, 0.0, 0.0])
    pt = R * np.array([math.cos(lam), math.sin(lam), 0.0])
    los = pt - sat
    off_nadir = math.acos(np.dot(-sat, los) / (np.linalg.norm(sat) * np.linalg.norm(los)))
    assert math.degrees(off_nadir) == pytest.approx(45.0, abs=1e-9)


@pytest.mark.parametrize("kind", ["regular", "points"])
def test_row_blocked_brute_force_is_the_plain_test(kind, monkeypatch):
    """The brute force the benchmarks time (rows of points in cache-sized blocks,
    the reach per row) returns the plain all-pairs test's booleans."""
    from sim import Grid

    rng = np.random.default_rng(7)
    if kind == "regular":
        grid = Grid.regular(3.0)
        monkeypatch.setattr(C, "BRUTE_BLOCK_ELEMENTS", 5000)  # many blocks, a row each or a few
    else:
        grid = Grid.points(rng.uniform(-90, 90, 400), rng.uniform(-180, 180, 400))
    eta = math.radians(45.0)
    fast = C.RowBruteForce(grid, eta)
    phat, radius = C.grid_geometry(grid)
    seen = 0
    for _ in range(20):
        nsat = int(rng.integers(1, 40))
        u = rng.normal(size=(nsat, 3))
        r_km = u / np.linalg.norm(u, axis=1)[:, None] * rng.uniform(6700.0, 7500.0, nsat)[:, None]
        valid = rng.random(nsat) < 0.8
        expect = C.visible_any(phat, radius, r_km, eta, valid)
        assert np.array_equal(fast.visible(r_km, valid), expect)
        seen += expect.sum()
    assert 0 < seen < 20 * len(grid)  # both outcomes occur
    assert not fast.visible(np.zeros((0, 3))).any()


def test_revisit_matches_fine_brute_forces(tiny):
    """revisit at 60 s (refined edges) against the sample-only numpy and skyfield
    references at 1 s: every edge of theirs is within 0.5 s of the truth, so every
    gap within 1 s, and no pass is short enough to fall between their samples."""
    const, lines, grid, window, ours = tiny
    fine = Window(window.start, window.duration_s, 1.0)
    for name, ref in (("numpy", peers.numpy_figures(const, grid, fine)),
                      ("skyfield", peers.skyfield_figures(lines, grid, fine))):
        assert ref["seen"].sum() > 0.5 * len(grid), name
        agree = C.agreement(ours, ref, 1.0)
        for fig in ("max_revisit_s", "mean_revisit_s", "mean_revisit_interior_s", "n_access"):
            assert agree[fig]["share_within_step"] == 1.0, (name, fig, agree[fig])
            assert agree[fig]["share_defined_on_one_side_only"] == 0.0, (name, fig)
        assert agree["max_revisit_s"]["max_abs_diff"] <= 1.0
        np.testing.assert_allclose(ours["coverage_fraction"], ref["coverage_fraction"],
                                   atol=ours["n_access"].max() * 1.0 / window.duration_s + 1e-9)


def test_numpy_and_skyfield_agree_at_the_benchmark_step(tiny):
    """Same step, same test, two propagation chains (GMST-82 rotation vs skyfield's
    TEME -> GCRS -> ITRS): the same samples are visible."""
    const, lines, grid, window, ours = tiny
    a = peers.numpy_figures(const, grid, window)
    b = peers.skyfield_figures(lines, grid, window)
    np.testing.assert_array_equal(a["n_access"], b["n_access"])
    np.testing.assert_array_equal(a["max_revisit_s"], b["max_revisit_s"])
    # and against revisit at its own step: within one step wherever no pass is missed
    agree = C.agreement(ours, a, window.step_s)
    assert agree["max_revisit_s"]["share_within_step"] > 0.9


def test_tatc_agrees_with_revisit():
    pytest.importorskip("tatc")
    case = dict(TINY, grid_deg=20.0)
    const, lines, grid, window = peers.case_inputs(case)
    ours = peers.revisit_figures(const, grid, window)
    theirs = peers.tatc_figures(const, lines, grid, window)
    agree = C.agreement(ours, theirs, window.step_s)
    assert ours["seen"].sum() > 0.5 * len(grid)
    np.testing.assert_array_equal(ours["n_access"], theirs["n_access"])
    for fig in ("max_revisit_s", "mean_revisit_s", "mean_revisit_interior_s"):
        assert agree[fig]["max_abs_diff"] < 0.1, (fig, agree[fig])  # both refine edges (TAT-C to 1 ms)
        assert agree[fig]["share_defined_on_one_side_only"] == 0.0


def test_child_process_measurement(tmp_path):
    case = dict(TINY, grid_deg=30.0, hours=0.5)
    out = peers.measure("numpy", case, str(tmp_path / "numpy.npz"), timeout_s=120)
    assert "error" not in out, out
    assert out["wall_s"] > 0 and out["peak_rss_mb"] > 0 and out["points"] == 72
    saved = peers.load(str(tmp_path / "numpy.npz"))
    const, lines, grid, window = peers.case_inputs(case)
    direct = peers.numpy_figures(const, grid, window)
    np.testing.assert_array_equal(saved["max_revisit_s"], direct["max_revisit_s"])
    assert peers.scaled(out, dict(case, grid_deg=15.0, hours=1.0)) == pytest.approx(
        out["wall_s"] * 4 * (61 / 31))


def test_affine_extrapolation_recovers_a_fixed_plus_linear_cost():
    small = dict(TINY, grid_deg=10.0, hours=2.0)   # 648 points x 121 samples
    big = dict(TINY, grid_deg=5.0, hours=2.0)      # 2592 points x 121 samples
    head = dict(TINY, grid_deg=1.0, hours=24.0)    # 64800 points x 1441 samples
    cost = lambda c: 20.0 + 1e-5 * peers.n_points(c) * peers.n_samples(c)  # noqa: E731
    fit = peers.affine_extrapolation([{"case": big, "wall_s": cost(big)}, {"case": small, "wall_s": cost(small)},
                                      {"case": small, "error": "timed out"}], head)
    assert fit["fixed_s"] == pytest.approx(20.0) and fit["estimate_s"] == pytest.approx(cost(head))
    assert peers.affine_extrapolation([{"case": small, "wall_s": 1.0}], head) is None


def test_pruning_benchmark_compares_like_with_like(capsys):
    """benchmarks/pruning.py times the kernel with and without overlap pruning
    on the same chunks; both must leave the same state (it exits 1 if not)."""
    import json

    import pruning

    assert pruning.main(["--hours", "0.1"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    shell = report["rows"][0]
    assert shell["satellites"] == 8428 and shell["run_prunes"] and shell["same_state"]
    assert shell["pieces_on"] < shell["pieces_off"]


def test_points_benchmark_takes_a_peers_longest_gap_between_merged_windows():
    """brahe's windows come per (site, satellite); the gap is measured between their
    union's runs, as revisit's longest interior gap is."""
    import points

    windows = [(0, 0.0, 10.0), (0, 5.0, 20.0), (0, 50.0, 60.0), (0, 100.0, 110.0), (0, 55.0, 70.0),
               (1, 0.0, 10.0), (2, 0.0, 10.0), (2, 10.0, 30.0)]
    gaps = points.longest_interior_gaps(4, windows)
    assert gaps[0] == 30.0  # 20 -> 50 and 70 -> 100: overlapping windows merged first
    assert np.isnan(gaps[1]) and np.isnan(gaps[2]) and np.isnan(gaps[3])  # one access (touching ones join), none


def test_points_benchmark_brute_force_on_skyfield_agrees_with_the_kernel():
    """The skyfield brute force that points.py quotes: each site's longest interior gap
    within 1 s of the kernel's at a 20 deg elevation limit (12 satellites, 3 h)."""
    import points

    const = Constellation.from_orbits("w12", walker_delta(12, 3, 1, 535, sso_inclination_deg(535), points.START),
                                      Sensor(max_off_nadir_deg=None, min_elevation_deg=points.MIN_ELEVATION_DEG))
    sites = points.random_sites(12, seed=3)
    window = Window(points.START, 3 * 3600.0, 60.0)
    ours = run(const, sites, window).figures["max_revisit_interior_s"]
    brute = points.brute_force_max_gap(const, sites.lat_deg, sites.lon_deg, Window(points.START, 3 * 3600.0, 1.0))
    agree = points.gap_agreement(ours, brute)
    assert agree["same_has_gap"] == 12 and agree["compared"] >= 3, agree
    assert agree["max_abs_diff_s"] <= 1.0, agree
