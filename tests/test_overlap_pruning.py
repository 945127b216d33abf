"""Overlap pruning (``run(..., prune_overlap=True)``, accumulate_chunk's flag).

Where an earlier satellite sees a point throughout a step, the kernel solves no
edges of other passes in that step and drops passes that only such steps hold.
That must change no figure, to the bit: the runs of access are the union of
the passes, and the union's ends are the same edges.  The constellations here
fly in tight trains with wide sensors, so most of their steps are seen by
several satellites at once and the pruning has work to skip (checked: it folds
far fewer access pieces).
"""

import math
from datetime import datetime, timezone

import numpy as np
import pytest
from reference import brute_force
from sgp4.api import SatrecArray

from constellation import Constellation, Sensor, walker_delta
from constellation.orbits import CircularOrbit
from sim import Grid, Window, run
from sim.engine.propagate import propagate_ecef
from sim.engine.run import MIN_GAP_S, PRUNE_OVERLAP_FROM, mean_overlap, sensor_array
from sim.kernels import coverage as K

START = datetime(2026, 3, 1, tzinfo=timezone.utc)


def trains(rng, n_trains=3, per_train=5, sensor=None, group="train", first_satnum=90000):
    """Satellites a few degrees apart in a few planes: footprints that overlap."""
    orbits = []
    for _ in range(n_trains):
        alt = rng.uniform(450, 800)
        inc = rng.uniform(30, 100)
        raan = rng.uniform(0, 360)
        arg = rng.uniform(0, 360)
        for j in range(per_train):
            orbits.append(CircularOrbit(START, alt + rng.uniform(-30, 30), inc, raan + rng.uniform(-4, 4),
                                        arg + j * rng.uniform(1.5, 6.0)))
    sensor = sensor or Sensor(max_off_nadir_deg=rng.uniform(40, 60), min_elevation_deg=rng.uniform(0, 10))
    return Constellation.from_orbits(group, orbits, sensor, group=group, first_satnum=first_satnum)


def figures_equal(a, b):
    return {k: np.array_equal(a.figures[k], b.figures[k], equal_nan=True) for k in a.figures}


CASES = [
    # seed, lit, push-broom group too, grid, sensor
    (11, False, False, "regular", "cone"),
    (12, True, False, "regular", "cone"),
    (13, False, True, "band", "cone"),
    (14, True, True, "points", "cone"),
    (15, False, False, "points", "cone"),
    # elevation alone (edges on the geodetic horizon), and a cone past the limb
    (16, False, False, "regular", "elevation"),
    (17, True, False, "points", "elevation"),
    (18, False, True, "points", "elevation"),
    (19, True, False, "band", "past the limb"),
]


@pytest.mark.parametrize("seed,lit,swath,grid_kind,limits", CASES)
def test_pruning_changes_no_figure(seed, lit, swath, grid_kind, limits):
    rng = np.random.default_rng(seed)
    sun = float(rng.uniform(-5, 20)) if lit else None
    if limits == "cone":
        sensor = Sensor(max_off_nadir_deg=rng.uniform(40, 60), min_elevation_deg=rng.uniform(0, 10),
                        min_sun_elevation_deg=sun)
    else:
        sensor = Sensor(max_off_nadir_deg=None if limits == "elevation" else 75.0,
                        min_elevation_deg=rng.uniform(5, 25), min_sun_elevation_deg=sun)
    const = trains(rng, sensor=sensor)
    if swath:
        pushbroom = trains(rng, 1, 4, Sensor(kind="swath", swath_km=float(rng.uniform(300, 1200))), "pushbroom",
                           first_satnum=91000)
        const = Constellation("mixed", const.groups + pushbroom.groups)
    if grid_kind == "regular":
        grid = Grid.regular(5.0)
    elif grid_kind == "band":
        grid = Grid.regular(3.0, -60, 75)
    else:
        grid = Grid.points(rng.uniform(-89.9, 89.9, 400), rng.uniform(-180, 180, 400))
    window = Window(START, 6 * 3600, float(rng.choice([30.0, 60.0, 120.0])))
    plain = run(const, grid, window, device="cpu", prune_overlap=False)
    assert plain.meta["overlap_pruning"] is False
    for chunk, blocks in ((None, 1), (13, 2), (50, 3)):
        pruned = run(const, grid, window, device="cpu", prune_overlap=True, chunk_samples=chunk, n_blocks=blocks)
        assert pruned.meta["overlap_pruning"] is True
        same = figures_equal(plain, pruned)
        assert all(same.values()), (chunk, blocks, [k for k, v in same.items() if not v])
    assert np.nansum(plain.figures["n_access"]) > 0


def chunk_inputs(const, grid, window):
    sensor = sensor_array(const)
    t, pos, vel, valid = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), window, 0,
                                        window.n_samples)
    u, du, rad, rdot, reach = K.satellite_frames(pos, vel, sensor)
    return K.SatSteps(u, du, rad, rdot, reach, valid, t, sensor, np.zeros((t.size, 3))), grid.kernel_rows(2)


@pytest.mark.parametrize("sensor,grid", [(Sensor(max_off_nadir_deg=55.0), Grid.regular(4.0)),
                                         (Sensor(max_off_nadir_deg=None, min_elevation_deg=10.0), Grid.regular(4.0)),
                                         (Sensor(max_off_nadir_deg=None, min_elevation_deg=10.0),
                                          Grid.points(np.linspace(-80, 80, 500), np.linspace(-180, 179, 500)))])
def test_pruning_skips_work_and_keeps_the_state(sensor, grid):
    """Footprints of a dense shell overlap (~3 satellites see a point at once):
    most passes lie wholly in steps other satellites see throughout and are
    never folded, and the kernel's state (every accumulator column) is the
    same to the bit; for a cone and for an elevation limit alone, whose edges
    are solved on the geodetic horizon, on a grid and on a point list."""
    orbits = walker_delta(300, 15, 1, 700.0, 60.0, START)
    const = Constellation.from_orbits("shell", orbits, sensor)
    grid = grid.kernel_grid()
    window = Window(START, 4 * 3600, 60.0)
    sats, rows = chunk_inputs(const, grid, window)
    states, pieces = [], []
    for prune in (False, True):
        state = K.new_state(len(grid))
        pieces.append(K.accumulate_chunk(state, sats, rows, MIN_GAP_S, prune))
        K.close_open_runs(state)
        states.append(state)
    assert np.array_equal(states[0], states[1])
    assert pieces[1] < 0.7 * pieces[0], pieces  # measured 0.59


@pytest.mark.parametrize("sensor", [Sensor(max_off_nadir_deg=55.0, min_elevation_deg=5.0, min_sun_elevation_deg=0.0),
                                    Sensor(max_off_nadir_deg=None, min_elevation_deg=5.0, min_sun_elevation_deg=0.0)])
def test_pruned_kernel_equals_brute_force(sensor):
    """Independent of the unpruned kernel: the slow every-point reference."""
    rng = np.random.default_rng(31)
    const = trains(rng, 2, 4, sensor)
    grid = Grid.regular(15.0)
    window = Window(START, 3 * 3600, 60.0)
    ref = brute_force(const, grid, window)
    res = run(const, grid, window, device="cpu", prune_overlap=True, chunk_samples=40, n_blocks=2)
    st = res.figures
    for i, (n_acc, gmax, gsum, cov) in enumerate(ref):
        assert st["n_access"][i] == n_acc, i
        interior = st["max_revisit_interior_s"][i]
        assert (0.0 if math.isnan(interior) else interior) == pytest.approx(gmax, abs=1e-9)
        assert st["coverage_fraction"][i] * window.duration_s == pytest.approx(cov, rel=1e-12, abs=1e-9)
    assert sum(r[0] for r in ref) > 0


def test_mean_overlap_is_the_footprints_share_of_the_sphere():
    """A known answer: N satellites with central angle L see 2 pi (1 - cos L) N
    of the sphere's 4 pi, so the mean number at once is N (1 - cos L) / 2."""
    reach = np.full((10, 5), math.radians(5.0))
    sensor = np.zeros((10, 7))
    assert mean_overlap(reach, sensor) == pytest.approx(10 * (1 - math.cos(math.radians(5.0))) / 2)
    sensor[:4, K.S_KIND] = K.KIND_SWATH  # push-brooms see instants: not counted
    assert mean_overlap(reach, sensor) == pytest.approx(6 * (1 - math.cos(math.radians(5.0))) / 2)
    reach[5:, :] = -1.0  # below the ground: sees nothing
    assert mean_overlap(reach, sensor) == pytest.approx(1 * (1 - math.cos(math.radians(5.0))) / 2)


def test_mean_overlap_leaves_out_cones_bound_by_elevation_everywhere():
    """A satellite whose elevation limit binds everywhere while its cone reaches the
    ground has its edges solved on the geodetic horizon and the cone together, which
    no overlap spares: a 64 deg cone under a 20 deg limit at 535 km is left out.  An
    elevation limit alone, a 70 deg cone past the limb (the cone excludes nothing:
    an overlap spares their geodetic edges), a 45 deg cone under a 20 deg limit (the
    cone binds) and a 30 deg cone under a 40 deg limit (each binds somewhere) count."""
    from sim.engine.sampling import elevation_binds_everywhere

    sensors = [Sensor(max_off_nadir_deg=None, min_elevation_deg=20), Sensor(max_off_nadir_deg=70, min_elevation_deg=10),
               Sensor(max_off_nadir_deg=45, min_elevation_deg=20), Sensor(max_off_nadir_deg=30, min_elevation_deg=40),
               Sensor(max_off_nadir_deg=64, min_elevation_deg=20)]
    groups = [Constellation.from_orbits("one", [CircularOrbit(START, 535, 97.5, 70 * k, 0)], s, group=f"g{k}",
                                        first_satnum=90000 + k).groups[0] for k, s in enumerate(sensors)]
    sensor = sensor_array(Constellation("mixed", groups))
    r = 6378.137 + 535.0
    assert elevation_binds_everywhere(*sensor[4, :4], r) and r * sensor[4, K.S_SIN_ETA] < 6356.0  # cone on the ground
    reach = np.full((5, 5), math.radians(5.0))
    rad = np.full((5, 5), r)
    cap = (1 - math.cos(math.radians(5.0))) / 2
    assert mean_overlap(reach, sensor) == pytest.approx(5 * cap)
    assert mean_overlap(reach, sensor, rad) == pytest.approx(4 * cap)


def test_run_prunes_only_where_footprints_overlap():
    rng = np.random.default_rng(41)
    grid = Grid.regular(10.0)
    window = Window(START, 1800, 60.0)
    sparse = Constellation.from_orbits("two", [CircularOrbit(START, 535, 97.5, 0, 0),
                                               CircularOrbit(START, 535, 97.5, 90, 0)],
                                       Sensor(max_off_nadir_deg=45.0))
    dense = trains(rng, 6, 20, Sensor(max_off_nadir_deg=60.0))
    assert run(sparse, grid, window, device="cpu").meta["overlap_pruning"] is False
    assert run(dense, grid, window, device="cpu").meta["overlap_pruning"] is True
    assert PRUNE_OVERLAP_FROM > 0
