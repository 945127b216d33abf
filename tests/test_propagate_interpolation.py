"""sgp4 at a coarse step with cubic Hermite in between (sim.engine.propagate) against
sgp4 at every sample: within 50 m wherever it is used, and sgp4 itself wherever
its own check says it would not be."""

import math
from datetime import datetime, timezone

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec, SatrecArray

from constellation import CircularOrbit, sso_inclination_deg
from sim.engine import propagate as P
from sim.engine.propagate import Window, propagate_ecef
from sim.kernels.interp import hermite_states

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
EPOCH_DAYS = (START - datetime(1949, 12, 31, tzinfo=timezone.utc)).total_seconds() / 86400.0


def _elements(satnum, ecc, argp_deg, inc_deg, period_min, bstar=1e-4, raan_deg=30.0, mo_deg=0.0):
    s = Satrec()
    s.sgp4init(WGS72, "i", satnum, EPOCH_DAYS, bstar, 0.0, 0.0, ecc, math.radians(argp_deg),
               math.radians(inc_deg), math.radians(mo_deg), 2 * math.pi / period_min, math.radians(raan_deg))
    return s


def ordinary_satellites():
    leo = [CircularOrbit(START, alt, inc, raan, u, 0.0, bstar).to_satrec(10 + i)
           for i, (alt, inc, raan, u, bstar) in enumerate([
               (535.0, sso_inclination_deg(535.0), 0.0, 0.0, 0.0),
               (550.0, 53.0, 120.0, 45.0, 1e-4),
               (350.0, 97.0, 240.0, 200.0, 5e-4),
               (1200.0, 87.9, 60.0, 10.0, 0.0)])]
    meo_geo = [_elements(20, 0.01, 0.0, 55.0, 717.97, 0.0),      # GNSS-like (deep-space sgp4)
               _elements(21, 0.0002, 0.0, 0.05, 1436.1, 0.0)]    # geostationary
    return leo + meo_geo


def _direct_and_interpolated(sats, window):
    arr = SatrecArray(sats)
    t, p1, v1, ok1 = propagate_ecef(arr, window, 0, window.n_samples, interpolate=False)
    t2, p2, v2, ok2 = propagate_ecef(arr, window, 0, window.n_samples, interpolate=True)
    assert np.array_equal(t, t2)
    return (p1, v1, ok1), (p2, v2, ok2)


@pytest.mark.parametrize("step_s", [10.0, 7.0, 30.0])
def test_interpolation_within_50_m_of_sgp4(step_s):
    window = Window(START, 6 * 3600.0, step_s)
    (p1, v1, ok1), (p2, v2, ok2) = _direct_and_interpolated(ordinary_satellites(), window)
    assert ok1.all() and np.array_equal(ok1, ok2)
    assert not np.array_equal(p1, p2)  # interpolated (the check did not fall back to sgp4)
    err_m = np.linalg.norm(p1 - p2, axis=-1) * 1000
    assert err_m.max() < 50.0
    assert err_m.max() < 2.0  # what it is for these orbits (~0.4 m in LEO): step^4 at 60 s
    assert np.linalg.norm(v1 - v2, axis=-1).max() < 0.5e-3  # km/s
    # at the nodes (whole minutes) it is sgp4 itself
    at_nodes = np.isclose(np.mod(window.sample_times(), 60.0), 0.0)
    assert np.abs(p1[:, at_nodes] - p2[:, at_nodes]).max() < 1e-9


def test_used_by_default_only_for_fine_steps():
    sats = SatrecArray(ordinary_satellites())
    fine = Window(START, 3600.0, 10.0)
    _, p, _, _ = propagate_ecef(sats, fine, 0, fine.n_samples)
    _, pi, _, _ = propagate_ecef(sats, fine, 0, fine.n_samples, interpolate=True)
    _, pd, _, _ = propagate_ecef(sats, fine, 0, fine.n_samples, interpolate=False)
    assert np.array_equal(p, pi) and not np.array_equal(p, pd)
    coarse = Window(START, 3600.0, 60.0)
    _, p, _, _ = propagate_ecef(sats, coarse, 0, coarse.n_samples)
    _, pd, _, _ = propagate_ecef(sats, coarse, 0, coarse.n_samples, interpolate=False)
    assert np.array_equal(p, pd)


def test_chunks_agree_at_their_shared_sample():
    sats = SatrecArray(ordinary_satellites())
    window = Window(START, 3 * 3600.0 + 17.0, 10.0)  # the last step is shorter
    _, p_all, v_all, _ = propagate_ecef(sats, window, 0, window.n_samples)
    for k0, k1 in ((0, 50), (49, 404), (403, window.n_samples), (7, 9)):
        t, p, v, ok = propagate_ecef(sats, window, k0, k1)
        assert ok.all()
        np.testing.assert_array_equal(p, p_all[:, k0:k1])
        np.testing.assert_array_equal(v, v_all[:, k0:k1])


def test_heavy_drag_and_eccentric_orbits_fall_back_to_sgp4():
    """sgp4's velocity lags its position under heavy drag, and a Molniya orbit's
    perigee pass is sharp: there the check refuses and every sample is sgp4's;
    a satellite that decays in the window also falls back (sgp4 fails at a node)."""
    window = Window(START, 6 * 3600.0, 10.0)
    hard = [CircularOrbit(START, 220.0, 51.6, 0.0, 0.0, 0.0, 0.005).to_satrec(30),
            _elements(31, 0.72, 270.0, 63.4, 717.97),
            CircularOrbit(START, 150.0, 51.6, 0.0, 0.0, 0.0, 0.1).to_satrec(32)]
    for sat in hard:
        (p1, v1, ok1), (p2, v2, ok2) = _direct_and_interpolated(ordinary_satellites()[:2] + [sat], window)
        np.testing.assert_array_equal(ok1, ok2)
        np.testing.assert_array_equal(p1[ok1], p2[ok1])
    # the check's estimate tracks the true error (here the cases interpolation refuses)
    nodes = np.arange(0.0, 6 * 3600.0 + 1, 60.0)
    for sat in hard[:2]:
        pos_n, vel_n, valid_n = P._ecef_at(SatrecArray([sat]), window, nodes)
        assert valid_n.all() and P.interpolation_error_km(pos_n, vel_n, 60.0) > P.INTERPOLATION_TOLERANCE_KM
        mid = Window(START, 6 * 3600.0, 10.0)
        forced = hermite_states  # the raw interpolation the check protects against
        t = mid.sample_times()
        j = np.floor(t / 60.0).astype(np.int64)
        pos = np.empty((1, t.size, 3))
        vel = np.empty((1, t.size, 3))
        ok = np.empty((1, t.size), dtype=bool)
        forced(pos_n, vel_n, valid_n, j, t / 60.0 - j, 60.0, pos, vel, ok)
        _, pd, _, _ = propagate_ecef([sat], mid, 0, mid.n_samples, interpolate=False)
        true_m = np.linalg.norm(pos - pd, axis=-1).max() * 1000
        est_m = P.interpolation_error_km(pos_n, vel_n, 60.0) * 1000
        assert true_m > P.INTERPOLATION_TOLERANCE_KM * 1000  # the refusal was needed
        assert 0.4 * true_m < est_m < 2.5 * true_m
