"""Elevation-only sensors (no off-nadir limit) and which of a sensor's limits binds.

The kernel's elevation-only access edges are held to a brute-force elevation
computation at 1 s (edges interpolated between samples), whose horizon is a
parameter: the plane normal to the point's geodetic vertical (the kernel's,
as skyfield's altaz) or to its geocentric radius.
"""

import json
import math
from datetime import datetime, timezone

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SAMPLE_TLE
from reference import margin_runs
from sgp4.api import SatrecArray

from cli import main
from constellation.constants import WGS84_A_KM, WGS84_B_KM
from constellation.core import Constellation
from constellation.orbits import CircularOrbit
from constellation.scenario import load_scenario
from constellation.sensor import Sensor, edge_elevation_deg, edge_elevation_range_deg
from constellation.sweepspec import build_configuration, parse_sweep
from sim import Grid, Window, run
from sim.engine.geodesy import geodetic_to_ecef
from sim.engine.metrics import MIN_GAP_S
from sim.engine.propagate import propagate_ecef
from sim.engine.run import NO_OFF_NADIR_LIMIT_DEG, sensor_array

_, L1, L2, _, L1B, L2B = SAMPLE_TLE.read_text().splitlines()
from sim.kernels import coverage as K
from sim.studies.study import Study

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
HORIZONS = ("geocentric", "geodetic")


# ---------------------------------------------------------------------------- the brute force
def horizon_normals(grid: Grid, horizon: str) -> tuple[np.ndarray, np.ndarray]:
    """Earth-fixed positions (km) of the grid's points and the unit normals of their
    horizon planes: "geocentric" (along the point's radius) or "geodetic" (the
    ellipsoid's normal, the kernel's horizon)."""
    p, up = geodetic_to_ecef(grid.lat_deg, grid.lon_deg)
    if horizon == "geocentric":
        return p, p / np.linalg.norm(p, axis=1)[:, None]
    if horizon == "geodetic":
        return p, up
    raise ValueError(horizon)


def elevation_accesses(const, grid: Grid, window: Window, min_elevation_deg: float, horizon: str) -> list[list]:
    """Each point's access intervals [(start_s, end_s), ...]: the times some satellite
    stands at least ``min_elevation_deg`` above the point's ``horizon``, sampled at
    ``window.step_s`` with each edge put where the best margin sin(elevation) -
    sin(min) crosses zero, linear between samples; gaps under MIN_GAP_S merged."""
    t, pos, _, valid = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), window, 0,
                                      window.n_samples)
    assert valid.all()
    p, n = horizon_normals(grid, horizon)
    margin = np.full((len(grid), t.size), -np.inf)
    for s in range(pos.shape[0]):
        d = pos[s][None, :, :] - p[:, None, :]  # point -> satellite
        sin_el = np.einsum("ntk,nk->nt", d, n) / np.linalg.norm(d, axis=-1)
        margin = np.maximum(margin, sin_el - math.sin(math.radians(min_elevation_deg)))
    return [margin_runs(t, m, MIN_GAP_S) for m in margin]


def three_altitudes(sensor: Sensor) -> Constellation:
    orbits = [CircularOrbit(START, 340.0, 97.3, 10.0, 0.0), CircularOrbit(START, 570.0, 53.0, 130.0, 200.0),
              CircularOrbit(START, 1200.0, 87.0, 250.0, 90.0)]
    return Constellation.from_orbits("three", orbits, sensor)


# ---------------------------------------------------------------------------- the sensor
def test_no_off_nadir_limit_spellings_and_checks():
    for value in (None, "none", "None", " NONE "):
        assert Sensor(max_off_nadir_deg=value, min_elevation_deg=25.0).max_off_nadir_deg is None
    assert Sensor(max_off_nadir_deg=np.float32(30.0)).max_off_nadir_deg == 30.0
    for bad in (0.0, 95.0, "nothing", float("nan")):
        with pytest.raises(ValueError, match="max_off_nadir_deg"):
            Sensor(max_off_nadir_deg=bad)


def test_the_kernel_takes_no_limit_as_the_elevation_limit_alone():
    """sensor_array gives a sensor without an off-nadir limit 90 deg, and cos_reach
    then returns the elevation-only reach: Lambda = acos(R cos(eps) / r) - eps."""
    const = Constellation.from_orbits("one", [CircularOrbit(START, 500.0, 97.0, 0.0, 0.0)],
                                      Sensor(max_off_nadir_deg="none", min_elevation_deg=25.0))
    row = sensor_array(const)[0]
    assert NO_OFF_NADIR_LIMIT_DEG == 90.0 and row[K.S_SIN_ETA] == 1.0
    for r in (WGS84_A_KM + 150.0, WGS84_A_KM + 535.0, WGS84_A_KM + 20000.0):
        for R in (WGS84_B_KM, WGS84_A_KM):
            for eps in (0.0, 10.0, 25.0, 60.0):
                e = math.radians(eps)
                c, _ = K.cos_reach.py_func(r, R, row[K.S_COS_ETA], row[K.S_SIN_ETA], math.cos(e), math.sin(e))
                assert c == pytest.approx(math.cos(math.acos(R * math.cos(e) / r) - e), abs=1e-14)


def test_edge_elevation_is_the_elevation_at_the_cone_edge():
    """Against plain vectors: a line of sight eta off nadir from radius r meets the
    sphere of radius R; the elevation there over the geocentric horizon."""
    for r, R, eta in ((WGS84_A_KM + 535.0, WGS84_A_KM, 45.0), (WGS84_A_KM + 340.0, WGS84_B_KM, 30.0),
                      (WGS84_A_KM + 1200.0, 6370.0, 55.0)):
        sat = np.array([0.0, 0.0, r])
        los = np.array([math.sin(math.radians(eta)), 0.0, -math.cos(math.radians(eta))])
        b = sat @ los
        dist = -b - math.sqrt(b * b - (r * r - R * R))  # near intersection
        ground = sat + dist * los
        sin_el = (sat - ground) @ ground / (np.linalg.norm(sat - ground) * R)
        assert edge_elevation_deg(eta, r, R) == pytest.approx(math.degrees(math.asin(sin_el)), abs=1e-9)
    assert edge_elevation_deg(80.0, WGS84_A_KM + 535.0, WGS84_A_KM) == 0.0  # past the limb
    low, high = edge_elevation_range_deg(45.0, WGS84_A_KM + 340.0, WGS84_A_KM + 570.0)
    assert 38.0 < low < high < 43.0  # 45 deg off nadir is about 40 deg of elevation in low orbit


def test_describe_says_which_limit_binds():
    r535 = (WGS84_A_KM + 535.0,) * 2
    assert Sensor(min_elevation_deg=25.0).describe(r535) == "off-nadir <= 45 deg (binds), elevation >= 25 deg"
    assert Sensor(min_elevation_deg=45.0).describe(r535) == "off-nadir <= 45 deg, elevation >= 45 deg (binds)"
    assert Sensor(min_elevation_deg=25.0).describe() == "off-nadir <= 45 deg, elevation >= 25 deg"
    assert Sensor(max_off_nadir_deg=None, min_elevation_deg=25.0).describe(r535) == "elevation >= 25 deg"
    assert Sensor(max_off_nadir_deg=None, min_sun_elevation_deg=10.0).describe() == "elevation >= 0 deg, Sun >= 10 deg"
    assert Sensor().describe(r535) == "off-nadir <= 45 deg"  # no elevation limit: nothing to compare
    # Each binds somewhere between 340 and 2000 km: neither is marked.
    wide = (WGS84_A_KM + 340.0, WGS84_A_KM + 2000.0)
    assert Sensor(min_elevation_deg=30.0).binding_limit(wide) is None
    assert Sensor(min_elevation_deg=30.0).describe(wide) == "off-nadir <= 45 deg, elevation >= 30 deg"


# ---------------------------------------------------------------------------- the kernel against the brute force
@pytest.mark.parametrize("min_elevation_deg", [0.0, 25.0])
def test_elevation_only_edges_match_the_brute_force(min_elevation_deg):
    const = three_altitudes(Sensor(max_off_nadir_deg="none", min_elevation_deg=min_elevation_deg))
    rng = np.random.default_rng(11)
    grid = Grid.points(rng.uniform(-85, 85, 150), rng.uniform(-180, 180, 150))
    duration = 4 * 3600.0
    ref = elevation_accesses(const, grid, Window(START, duration, 1.0), min_elevation_deg, "geodetic")
    f = run(const, grid, Window(START, duration, 60.0), device="cpu").figures
    n_ref = np.array([len(r) for r in ref])
    assert n_ref.sum() > 200 and (min_elevation_deg == 0.0 or (n_ref == 0).sum() > 10)
    assert np.array_equal(f["n_access"], n_ref)
    first = np.array([r[0][0] if r else np.nan for r in ref])
    assert np.array_equal(np.isnan(f["first_access_s"]), np.isnan(first))
    ok = np.isfinite(first)
    # Edges within 0.2 s at a 60 s step (measured on the geodetic horizon: 0.002 s at 0 deg, 0.004 s at
    # 25 deg; coverage within 0.04 s).
    assert np.abs(f["first_access_s"][ok] - first[ok]).max() < 0.2
    covered = np.array([sum(b - a for a, b in r) for r in ref])
    assert np.abs(f["coverage_fraction"] * duration - covered).max() < 0.4
    gaps = [[g for g in np.diff([0.0, *np.ravel(r), duration])[::2] if g > MIN_GAP_S] for r in ref]
    longest = np.array([max(g) if g else 0.0 for g in gaps])
    assert np.abs(f["max_revisit_s"] - longest).max() < 0.2


def test_the_brute_force_horizon_is_a_parameter():
    """The geodetic horizon tilts by up to 0.19 deg from the geocentric one: the
    same passes, edges moved by seconds at most, not at all at the equator and poles."""
    const = three_altitudes(Sensor(max_off_nadir_deg="none", min_elevation_deg=10.0))
    grid = Grid.points([0.0, 45.0, 60.0, -45.0], [10.0, 40.0, -100.0, 170.0])
    window = Window(START, 4 * 3600.0, 1.0)
    geoc = elevation_accesses(const, grid, window, 10.0, "geocentric")
    geod = elevation_accesses(const, grid, window, 10.0, "geodetic")
    assert [len(r) for r in geoc] == [len(r) for r in geod] and sum(len(r) for r in geoc) > 0
    shift = [abs(a[0] - b[0]) for ra, rb in zip(geoc, geod) for a, b in zip(ra, rb)]
    assert max(shift) < 10.0
    assert [abs(a[0] - b[0]) for a, b in zip(geoc[0], geod[0])] == pytest.approx([0.0] * len(geoc[0]), abs=1e-6)
    with pytest.raises(ValueError):
        horizon_normals(grid, "astronomical")


def test_elevation_only_sees_more_than_the_off_nadir_limit_that_binds():
    rng = np.random.default_rng(5)
    grid = Grid.points(rng.uniform(-70, 70, 200), rng.uniform(-180, 180, 200))
    window = Window(START, 6 * 3600.0, 60.0)
    orbits = [CircularOrbit(START, 535.0, 97.5, 40.0 * k, 0.0) for k in range(3)]

    def figures(sensor):
        return run(Constellation.from_orbits("c", orbits, sensor), grid, window, device="cpu").figures

    default = figures(Sensor())
    with_elevation = figures(Sensor(min_elevation_deg=25.0))  # the 45 deg off-nadir limit binds: no change
    elevation_only = figures(Sensor(max_off_nadir_deg=None, min_elevation_deg=25.0))
    for k in default:
        assert np.array_equal(default[k], with_elevation[k], equal_nan=True), k
    assert elevation_only["coverage_fraction"].sum() > 1.5 * default["coverage_fraction"].sum()
    assert elevation_only["n_access"].sum() > default["n_access"].sum()
    assert np.all(elevation_only["coverage_fraction"] >= default["coverage_fraction"])


# ---------------------------------------------------------------------------- files, studies and the command line
SCENARIO = """
[scenario]
name = "eo"
[window]
start = 2026-01-01T00:00:00Z
hours = 3
step_s = 120
[grid]
res_deg = 10
[[group]]
name = "g"
pattern = "walker_delta"
total = 4
planes = 2
alt_km = 535
inclination_deg = "sso"
[group.sensor]
max_off_nadir_deg = "none"
min_elevation_deg = 25
"""


def test_scenario_files_and_sweeps_say_none(tmp_path):
    p = tmp_path / "eo.toml"
    p.write_text(SCENARIO)
    sensor = load_scenario(p).constellation.groups[0].sensor
    assert sensor.max_off_nadir_deg is None and sensor.min_elevation_deg == 25.0
    assert Study.from_scenario(p).run(device="cpu").sensors == ["elevation >= 25 deg"]
    p.write_text(SCENARIO.replace('"none"', '"nothing"'))
    with pytest.raises(ValueError, match=r'group\[1\].sensor.max_off_nadir_deg: expected a number or "none"'):
        load_scenario(p)
    raw = {"sweep": {"name": "w"}, "window": {"start": "2026-01-01T00:00:00Z", "hours": 1, "step_s": 60},
           "grid": {"res_deg": 10},
           "group": {"pattern": "walker_delta", "alt_km": 535, "inclination_deg": 60, "phasing": 1, "planes": 2,
                     "sats_per_plane": 2, "sensor": {"max_off_nadir_deg": "none", "min_elevation_deg": 20}}}
    sc = build_configuration(parse_sweep(raw).configurations()[0])
    assert sc.constellation.groups[0].sensor.max_off_nadir_deg is None


def test_study_warns_exactly_when_the_other_limit_binds(tmp_path):
    p = tmp_path / "both.toml"
    p.write_text(SCENARIO.replace('max_off_nadir_deg = "none"\n', ""))
    study = Study.from_scenario(p)
    # The scenario sets both: the file is taken as meant, nothing to warn.
    assert study.warnings == ()
    alone = study.with_overrides(min_elevation_deg=20.0)
    assert len(alone.warnings) == 1
    w = alone.warnings[0]
    assert "minimum elevation of 20 deg changes nothing" in w and "45 deg off-nadir limit binds" in w
    assert "--off-nadir none" in w and "group 'g' (535 km)" in w
    assert study.with_overrides(min_elevation_deg=45.0).warnings == ()           # elevation binds
    assert study.with_overrides(min_elevation_deg=20.0, off_nadir_deg=30.0).warnings == ()  # both given
    lifted = study.with_overrides(min_elevation_deg=20.0, off_nadir_deg="none")
    assert lifted.warnings == () and lifted.constellation.groups[0].sensor.max_off_nadir_deg is None
    assert ("off_nadir_deg", "none") in lifted.overrides
    # The other way round: an off-nadir limit given alone under a minimum elevation that binds.
    high = study.with_overrides(min_elevation_deg=50.0, off_nadir_deg=45.0).with_overrides(off_nadir_deg=60.0)
    assert len(high.warnings) == 1 and "60 deg off-nadir limit changes nothing" in high.warnings[0]
    assert "--min-elevation 0" in high.warnings[0]
    with pytest.raises(ValueError, match='"none"'):
        study.with_overrides(off_nadir_deg="off")


def test_cli_catalog_min_elevation_with_and_without_an_off_nadir_limit(tmp_path):
    p = tmp_path / "two.tle"
    p.write_text(f"SAT A\n{L1}\n{L2}\nSAT B\n{L1B}\n{L2B}\n")
    runner = CliRunner()
    base = ["run", "--tle", str(p), "--days", "0.25", "--grid-res", "10", "--json"]

    def call(*extra):
        r = runner.invoke(main, base + list(extra))
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout.strip().splitlines()[-1]), r.stderr

    plain, err = call()
    assert "Warning" not in err
    elev, err = call("--min-elevation", "25")
    warned = [line for line in err.splitlines() if line.startswith("Warning:")]
    assert len(warned) == 1 and "minimum elevation of 25 deg changes nothing" in warned[0]
    assert "45 deg off-nadir limit binds" in warned[0] and "--off-nadir none" in warned[0]
    assert elev["sensors"] == ["off-nadir <= 45 deg (binds), elevation >= 25 deg"]
    for key in ("accesses_per_day", "coverage_fraction", "mean_revisit_s"):
        assert elev[key] == plain[key], key
    only, err = call("--min-elevation", "25", "--off-nadir", "none")
    assert "Warning" not in err and only["sensors"] == ["elevation >= 25 deg"]
    assert only["coverage_fraction"] > 1.5 * plain["coverage_fraction"]
    assert only["accesses_per_day"] > plain["accesses_per_day"]
    _, err = call("--min-elevation", "45")  # above the 45 deg cone's edge (~40.5 deg): elevation binds
    assert "Warning" not in err


# ---------------------------------------------------------------------------- grazing passes at coarse steps
def grazing_points(const, window: Window, min_elevation_deg: float, n_times: int = 12) -> Grid:
    """Points beside the ground track of the first satellite, at several instants,
    from 30 km inside its elevation footprint's edge (on a sphere) to 5 km outside
    it in 250 m steps: passes from ~30 s long down to grazing ones and misses."""
    t, pos, vel, _ = propagate_ecef(SatrecArray([const.satellites[0].satrec]), window, 0, window.n_samples)
    r = np.linalg.norm(pos[0], axis=1)
    eps = math.radians(min_elevation_deg)
    lat, lon = [], []
    for k in np.linspace(5, t.size - 6, n_times).astype(int):
        u = pos[0, k] / r[k]
        across = np.cross(u, vel[0, k])
        across /= np.linalg.norm(across)
        edge = math.acos(WGS84_A_KM * math.cos(eps) / r[k]) - eps  # central angle of the limit
        for inside_km in np.arange(-5.0, 30.0, 0.25):
            d = edge - inside_km / WGS84_A_KM
            p = math.cos(d) * u + math.sin(d) * across
            lat.append(math.degrees(math.asin(p[2])))
            lon.append(math.degrees(math.atan2(p[1], p[0])))
    return Grid.points(np.array(lat), np.array(lon))


@pytest.mark.parametrize("step_s", [60.0, 300.0])
def test_grazing_passes_are_kept_at_coarse_steps(step_s):
    """A pass between two samples below the limit is found from a cubic model of
    the margin; at a coarse step the run samples finer (sim.engine.sampling), so
    that only passes within the tolerance of grazing (~100 m deep, ~5 s long at
    10 deg) may be lost, whatever the step asked for."""
    const = Constellation.from_orbits("one", [CircularOrbit(START, 535.0, 97.5, 30.0, 0.0)],
                                      Sensor(max_off_nadir_deg="none", min_elevation_deg=10.0))
    duration = 6 * 3600.0
    grid = grazing_points(const, Window(START, duration, 60.0), 10.0)
    ref = elevation_accesses(const, grid, Window(START, duration, 0.25), 10.0, "geodetic")
    shortest = np.array([min(b - a for a, b in r) if r else np.inf for r in ref])
    assert ((shortest > 5.0) & (shortest < 40.0)).sum() > 50  # the passes that test the model
    f = run(const, grid, Window(START, duration, step_s), device="cpu").figures
    n_ref = np.array([len(r) for r in ref])
    sure = shortest >= 10.0  # deeper than ~400 m: well beyond the tolerance
    assert np.array_equal(f["n_access"][sure], n_ref[sure])
    assert np.abs(f["n_access"] - n_ref).sum() <= (shortest < 10.0).sum()


@pytest.mark.parametrize("step_s", [60.0, 150.0])
def test_a_horizon_mask_invents_no_pass(step_s):
    """At a 0 deg mask no finer sampling is needed (the safe step is ~190 s), and a
    step whose two samples are both below the horizon can hold a peak of the margin's
    cubic model that the satellite's path never reaches: such a pass must not be
    counted.  Against a 0.25 s brute force: never more accesses than it finds, and
    the same count wherever its passes last 10 s or more."""
    const = Constellation.from_orbits("one", [CircularOrbit(START, 535.0, 97.5, 30.0, 0.0)],
                                      Sensor(max_off_nadir_deg="none", min_elevation_deg=0.0))
    duration = 4 * 3600.0
    grid = grazing_points(const, Window(START, duration, 60.0), 0.0, n_times=8)
    ref = elevation_accesses(const, grid, Window(START, duration, 0.25), 0.0, "geodetic")
    n_ref = np.array([len(r) for r in ref])
    shortest = np.array([min(b - a for a, b in r) if r else np.inf for r in ref])
    f = run(const, grid, Window(START, duration, step_s), device="cpu").figures
    assert (f["n_access"] <= n_ref).all(), np.flatnonzero(f["n_access"] > n_ref)
    sure = shortest >= 10.0
    assert np.array_equal(f["n_access"][sure], n_ref[sure])


def test_an_elevation_limit_that_binds_somewhere_refines_the_step():
    """elevation_binds (which picks the finer sample step of elevation limits) must
    say True whenever the limit lies above the lowest elevation of the cone's edge
    anywhere on the ellipsoid, the geodetic vertical's tilt (0.19 deg) included."""
    from sim.engine.sampling import elevation_binds

    r = WGS84_A_KM + 535.0
    for off_nadir in (30.0, 45.0, 60.0):
        lowest, _ = edge_elevation_range_deg(off_nadir, r, r)
        for limit in np.arange(0.0, 60.0, 0.1):
            if limit > lowest - 0.2:
                assert elevation_binds(Sensor(max_off_nadir_deg=off_nadir, min_elevation_deg=float(limit)), r), \
                    (off_nadir, limit, lowest)
