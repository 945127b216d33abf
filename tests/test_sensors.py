"""Swath geometry and the Sun, each against an independent computation."""

from datetime import datetime, timezone

import numpy as np
import pytest
from sgp4.api import SatrecArray

from constellation import Constellation, Sensor
from constellation.errors import ScenarioError
from constellation.orbits import CircularOrbit
from constellation.scenario import load_scenario
from sim import Grid, Window, run
from sim.engine.propagate import propagate_ecef
from sim.engine.sun import ephemeris, sun_elevation_deg

START = datetime(2026, 6, 21, 3, 0, tzinfo=timezone.utc)


def test_swath_sees_exactly_the_points_within_half_the_swath():
    """A point is imaged iff its distance from the ground track (densely
    sampled at 1 s, nearest sample) is within half the swath."""
    orbit = CircularOrbit(START, 600.0, 97.8, 40.0, 10.0)
    swath_km = 400.0
    const = Constellation.from_orbits("one", [orbit], Sensor(kind="swath", swath_km=swath_km))
    rng = np.random.default_rng(7)
    grid = Grid.points(rng.uniform(-80, 80, 4000), rng.uniform(-180, 180, 4000))
    window = Window(START, 5400.0, 60.0)
    seen = run(const, grid, window).figures["seen"]

    dense = Window(START, 5400.0, 1.0)
    _, pos, _, _ = propagate_ecef(SatrecArray([orbit.to_satrec(1)]), dense, 0, dense.n_samples)
    track = pos[0] / np.linalg.norm(pos[0], axis=1)[:, None]
    rows = grid.rows()
    radius = np.linalg.norm(rows["pxyz"], axis=1)
    cosang = np.clip(rows["phat"] @ track.T, -1, 1)
    nearest = np.argmax(cosang, axis=1)
    dist_km = np.arccos(cosang[np.arange(len(grid)), nearest]) * radius
    interior = (nearest > 120) & (nearest < dense.n_samples - 120)  # crossing inside the window
    inside = interior & (dist_km < swath_km / 2 - 1.0)
    outside = interior & (dist_km > swath_km / 2 + 1.0)
    assert inside.sum() > 30 and outside.sum() > 1000
    assert seen[inside].all()
    assert not seen[outside].any()


def test_swath_accesses_are_instants_at_the_crossing():
    orbit = CircularOrbit(START, 600.0, 97.8, 40.0, 10.0)
    const = Constellation.from_orbits("one", [orbit], Sensor(kind="swath", swath_km=300.0))
    grid = Grid.regular(2.0)
    f = run(const, grid, Window(START, 3 * 86400.0, 120.0)).figures
    assert f["seen"].any()
    assert np.all(f["coverage_fraction"] == 0.0)
    # Steps of 120 s and 10 s find the same crossings at the same instants,
    # but for points within metres of the swath's edge.
    g = run(const, grid, Window(START, 3 * 86400.0, 10.0)).figures
    same = f["n_access"] == g["n_access"]
    assert (~same).sum() <= 0.001 * f["seen"].sum()
    both = same & (f["n_access"] >= 2)
    assert np.abs(f["max_revisit_interior_s"][both] - g["max_revisit_interior_s"][both]).max() < 0.5


@pytest.mark.parametrize("lat,lon,hours", [(0, 0, 0), (39.9, 116.4, 5.5), (-33.9, 151.2, 13),
                                           (78.2, 15.6, 20), (-70, -60, 27.25), (51.5, -0.1, 40)])
def test_sun_elevation_matches_skyfield_topocentric(lat, lon, hours):
    from skyfield.api import wgs84

    from sim.engine.propagate import timescale

    window = Window(START, 2 * 86400.0, 900.0)
    k = int(hours * 4)
    mine = sun_elevation_deg(window, k, lat, lon)[0]
    eph = ephemeris()
    t = timescale().from_datetime(START) + k * 900.0 / 86400.0
    alt, _, _ = (eph["earth"] + wgs84.latlon(lat, lon)).at(t).observe(eph["sun"]).apparent().altaz()
    # The parallax (8.8 arcsec, 0.0024 deg) counted: within 0.0001 deg of the topocentric Sun.
    assert mine == pytest.approx(alt.degrees, abs=1e-4)


def test_lighting_removes_polar_night():
    """At the June solstice the Antarctic is dark all day: with lighting on,
    nothing south of the polar circle is seen; the Arctic (midnight Sun) is."""
    orbit = CircularOrbit(START, 535.0, 97.5, 0.0, 0.0)
    sensor = Sensor(max_off_nadir_deg=45.0, min_sun_elevation_deg=5.0)
    const = Constellation.from_orbits("one", [orbit], sensor)
    grid = Grid.regular(5.0)
    f = run(const, grid, Window(START, 86400.0, 60.0)).figures
    south = grid.lat_deg < -72
    north = (grid.lat_deg > 72) & (grid.lat_deg < 82)
    assert not f["seen"][south].any()
    assert f["seen"][north].all()


def test_scenario_swath_and_lighting_keys(tmp_path):
    text = """
[scenario]
name = "mix"
[window]
start = 2026-01-01T00:00:00Z
days = 1
[[group]]
name = "agile"
pattern = "walker_delta"
alt_km = 535
inclination_deg = 97.5
total = 4
planes = 2
[group.sensor]
max_off_nadir_deg = 30
min_sun_elevation_deg = 10
[[group]]
name = "wide"
pattern = "walker_delta"
alt_km = 535
inclination_deg = 97.5
total = 2
planes = 1
[group.sensor]
kind = "swath"
swath_km = 150
"""
    p = tmp_path / "mix.toml"
    p.write_text(text)
    sc = load_scenario(p)
    a, b = sc.constellation.groups
    assert a.sensor.min_sun_elevation_deg == 10 and a.sensor.kind == "off_nadir"
    assert b.sensor.kind == "swath" and b.sensor.swath_km == 150 and b.sensor.min_sun_elevation_deg is None
    p.write_text(text.replace('swath_km = 150\n', ''))
    with pytest.raises(ScenarioError, match=r"group\[2\]\.sensor\.swath_km"):
        load_scenario(p)
    p.write_text(text.replace('min_sun_elevation_deg = 10', 'min_sun_elevation_deg = 95'))
    with pytest.raises(ScenarioError, match="min_sun_elevation_deg"):
        load_scenario(p)


MIXED = """
[scenario]
name = "mixed"
[window]
start = 2026-01-01T00:00:00Z
hours = 6
[grid]
res_deg = 10
[[group]]
name = "agile"
pattern = "sso_planes"
alt_km = 535
ltdn_hours = [9, 13]
total = 4
[group.sensor]
max_off_nadir_deg = 30
[[group]]
name = "wide"
pattern = "sso_planes"
alt_km = 535
ltdn_hours = [10.5]
total = 2
[group.sensor]
kind = "swath"
swath_km = 300
"""


def test_per_group_results_add_up(tmp_path):
    p = tmp_path / "mixed.toml"
    p.write_text(MIXED)
    sc = load_scenario(p)
    res = run(sc.constellation, Grid.regular(10.0), Window(sc.start, sc.duration_s, 60.0), per_group=True)
    agile, wide = res.groups["agile"].figures, res.groups["wide"].figures
    assert np.array_equal(res.figures["seen"], agile["seen"] | wide["seen"])
    # Swath accesses are instants inside or beside the agile passes: never fewer accesses together.
    assert (res.figures["n_access"] >= agile["n_access"]).all()
    assert (res.figures["max_revisit_s"] <= np.minimum(agile["max_revisit_s"], wide["max_revisit_s"]) + 1e-9).all()
    summary = res.summary()
    assert [g["group"] for g in summary["groups"]] == ["agile", "wide"]
    assert summary["groups"][1]["sensors"] == ["nadir swath 300 km"]


def test_cli_sensor_options(tmp_path):
    import json

    from click.testing import CliRunner

    from cli import main

    p = tmp_path / "mixed.toml"
    p.write_text(MIXED)
    r = CliRunner().invoke(main, ["run", str(p), "--per-group", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert [g["group"] for g in out["groups"]] == ["agile", "wide"]
    r = CliRunner().invoke(main, ["run", str(p), "--swath-km", "120", "--min-sun-elevation", "10", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["sensors"] == ["nadir swath 120 km, Sun >= 10 deg"]
    r = CliRunner().invoke(main, ["run", str(p), "--swath-km", "120", "--off-nadir", "30"])
    assert r.exit_code != 0 and "not both" in r.output and "Traceback" not in r.output


def test_lighting_outside_the_ephemeris_is_a_clear_error():
    orbit = CircularOrbit(datetime(2055, 1, 1, tzinfo=timezone.utc), 535.0, 97.5, 0.0, 0.0)
    const = Constellation.from_orbits("late", [orbit], Sensor(min_sun_elevation_deg=10.0))
    with pytest.raises(ValueError, match="DE421 gives from 1899-07-30 to 2053-10-08"):
        run(const, Grid.regular(30.0), Window(datetime(2055, 1, 1, tzinfo=timezone.utc), 3600.0, 60.0))
