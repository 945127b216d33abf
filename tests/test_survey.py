"""Area survey time: regions, the share imaged at least once, and the claims in `revisit run`."""

import json
import math
from datetime import datetime, timezone

import numpy as np
import pytest

from constellation import Constellation, Sensor
from constellation.constants import EARTH_ROTATION_RAD_S, WGS72_RADIUS_KM
from constellation.errors import InputError, ScenarioError
from constellation.orbits import MU_KM3_S2, CircularOrbit
from constellation.scenario import load_scenario
from sim import Grid, Window, run
from sim.studies.capacity import Targets, access_windows
from sim.studies.survey import (
    bbox_region,
    builtin_regions,
    cell_area_km2,
    load_region,
    region_grid,
    survey,
    survey_constellation,
    time_to_share,
)

START = datetime(2026, 3, 20, 2, 0, tzinfo=timezone.utc)

INSIDE = {"Beijing": (116.4, 39.9), "Urumqi": (87.6, 43.8), "Lhasa": (91.1, 29.65), "Kashgar": (76.0, 39.5),
          "Harbin": (126.6, 45.75), "Kunming": (102.7, 25.0), "Guangzhou": (113.3, 23.1), "Shanghai": (121.47, 31.23),
          "Hailar": (119.7, 49.2), "Mohe": (122.5, 52.97), "Yanji": (129.5, 42.9), "Dandong": (124.38, 40.13),
          "Hotan": (79.9, 37.1), "Altay": (88.1, 47.85), "Ruili": (97.85, 24.0), "Jinghong": (100.8, 22.0),
          "Tashkurgan": (75.2, 37.8), "Erenhot": (111.98, 43.65), "Manzhouli": (117.43, 49.6),
          "Fuyuan": (134.3, 48.36), "Haikou": (110.3, 20.0), "Sanya": (109.5, 18.25), "Taipei": (121.56, 25.04),
          "Xiamen": (118.1, 24.48), "Dalian": (121.6, 38.9), "Qingdao": (120.38, 36.07), "Yining": (81.3, 43.9),
          "Nyingchi": (94.36, 29.65), "Dongxing": (107.97, 21.55), "Hekou": (103.95, 22.52)}
OUTSIDE = {"Ulaanbaatar": (106.9, 47.9), "Seoul": (127.0, 37.55), "Pyongyang": (125.75, 39.0),
           "Hanoi": (105.85, 21.03), "Kathmandu": (85.3, 27.7), "Almaty": (76.9, 43.25),
           "Vladivostok": (131.9, 43.1), "Thimphu": (89.64, 27.47), "Khabarovsk": (135.07, 48.48),
           "Bishkek": (74.6, 42.87), "Islamabad": (73.05, 33.7), "Leh": (77.58, 34.16),
           "Myitkyina": (97.4, 25.38), "Luang Prabang": (102.13, 19.88), "Gangtok": (88.6, 27.33),
           "Osh": (72.8, 40.5), "Gilgit": (74.3, 35.9), "Chita": (113.5, 52.03), "Choibalsan": (114.5, 48.07),
           "Tokyo": (139.7, 35.7), "Manila": (121.0, 14.6)}


# ---------------------------------------------------------------- regions
def test_china_outline():
    china = load_region("china")
    assert "china" in builtin_regions() and len(china.polygons) == 3 and "coarse" in china.note
    lon_in, lat_in = np.array(list(INSIDE.values())).T
    lon_out, lat_out = np.array(list(OUTSIDE.values())).T
    inside = china.contains(lat_in, lon_in)
    assert inside.all(), [k for k, v in zip(INSIDE, inside) if not v]
    outside = china.contains(lat_out, lon_out)
    assert not outside.any(), [k for k, v in zip(OUTSIDE, outside) if v]
    grid = region_grid(china, 0.5)
    area = cell_area_km2(grid).sum()
    assert 9.2e6 < area < 9.7e6  # official total 9.6 million km2, inland waters and small islands included
    # Almost all of it is land (the GLOBE mask).
    from sim.engine.landmask import is_land
    assert np.sum(grid.weight[is_land(grid.lat_deg, grid.lon_deg)]) > 0.97


def test_region_files_and_errors(tmp_path):
    square = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    f = tmp_path / "r.geojson"
    f.write_text(json.dumps({"type": "Feature", "properties": {"name": "sq"},
                             "geometry": {"type": "Polygon", "coordinates": [square, hole]}}))
    reg = load_region(f)
    assert reg.name == "sq"
    g = region_grid(reg, 0.5)
    assert not reg.contains(np.array([5.0]), np.array([5.0]))[0] and reg.contains(np.array([1.0]), np.array([1.0]))[0]
    assert len(g) == 400 - 16
    # A square 10 deg by 10 deg at the equator, less its hole: the cells' areas.
    full = 2 * math.pi / 720 * (6371.0088 ** 2) * (math.sin(math.radians(10)) - 0.0) * 20
    assert cell_area_km2(g).sum() == pytest.approx(full * (1 - 4 / 100), rel=2e-3)
    bad = [("not json", r"r2\.geojson:1: not JSON"),
           (json.dumps({"type": "Point", "coordinates": [1, 2]}), r"type: unsupported geometry 'Point'"),
           (json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}),
            r"coordinates\[0\]: a ring needs at least 4"),
           (json.dumps({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 95], [0, 0]]]]}),
            r"coordinates\[0\]\[0\]\[2\]: \[lon, lat\] out of range"),
           (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None}]}),
            "no Polygon or MultiPolygon"),
           (json.dumps({"type": "Polygon", "coordinates": [[[170, 0], [-170, 0], [-170, 5], [170, 0]]]}),
            "antimeridian")]
    for text, msg in bad:
        p = tmp_path / "r2.geojson"
        p.write_text(text)
        with pytest.raises(InputError, match=msg):
            load_region(p)
    with pytest.raises(InputError, match="no such file or built-in region"):
        load_region("atlantis")
    box = bbox_region(170, -10, -170, 10)
    assert box.contains(np.array([0.0, 0.0, 0.0]), np.array([175.0, -175.0, 0.0])).tolist() == [True, True, False]
    with pytest.raises(ValueError):
        bbox_region(0, 10, 5, 10)


def test_a_ring_round_the_whole_parallel_is_a_polar_cap(tmp_path):
    # From -180 to 180 the ring is unambiguous: the cap north of 60 deg, whose area is
    # 2 pi R^2 (1 - sin 60 deg).  A ring merely wider than 180 deg is still refused.
    f = tmp_path / "cap.geojson"
    f.write_text(json.dumps({"type": "Polygon", "coordinates": [[[-180, 60], [180, 60], [180, 90], [-180, 90],
                                                                 [-180, 60]]]}))
    cap = load_region(f)
    g = region_grid(cap, 2.0)
    assert len(g) == 180 * 15 and g.lat_deg.min() > 60.0
    r_km = 6371.0088
    assert cell_area_km2(g).sum() == pytest.approx(2 * math.pi * r_km ** 2 * (1 - math.sin(math.radians(60))),
                                                   rel=1e-3)
    assert cap.contains(np.array([61.0, 61.0, 59.0]), np.array([-179.5, 179.5, 0.0])).tolist() == [True, True, False]
    f.write_text(json.dumps({"type": "Polygon", "coordinates": [[[-179, 60], [180, 60], [180, 90], [-179, 90],
                                                                 [-179, 60]]]}))
    with pytest.raises(InputError, match="split it at the antimeridian"):
        load_region(f)


def test_time_to_share_by_hand():
    t = np.array([10.0, np.nan, 5.0, 20.0])
    w = np.ones(4)
    assert time_to_share(t, w, 0.25) == 5.0
    assert time_to_share(t, w, 0.5) == 10.0
    assert time_to_share(t, w, 0.75) == 20.0
    assert time_to_share(t, w, 1.0) is None
    assert time_to_share(t, np.array([1.0, 0.0, 1.0, 2.0]), 1.0) == 20.0


# ---------------------------------------------------------------- survey geometry
def test_one_swath_across_a_small_region():
    """A polar orbit crosses a 6 x 1 deg box on the equator once: the share imaged
    is the swath's width over the box's, the swath crossing the equator at the
    angle psi from north that the Earth's turn gives the track:
    tan psi = omega a / v for a circular polar orbit of radius a and speed v."""
    alt_km, swath_km = 600.0, 200.0
    orbit = CircularOrbit(START, alt_km, 90.0, 40.0, -10.0)  # crosses the equator ~160 s after the start
    const = Constellation.from_orbits("one", [orbit], Sensor(kind="swath", swath_km=swath_km))
    from sgp4.api import SatrecArray

    from sim.engine.grid import ecef_to_geodetic
    from sim.engine.propagate import propagate_ecef

    w = Window(START, 600.0, 1.0)
    _, pos, _, _ = propagate_ecef(SatrecArray([const.satellites[0].satrec]), w, 0, w.n_samples)
    lat, lon, _ = ecef_to_geodetic(pos[0])
    k = int(np.flatnonzero((lat[:-1] < 0) & (lat[1:] >= 0))[0])
    lon0 = float(lon[k] + (lon[k + 1] - lon[k]) * (0 - lat[k]) / (lat[k + 1] - lat[k]))
    region = bbox_region(lon0 - 3.0, -0.5, lon0 + 3.0, 0.5)
    res = survey(const, region, Window(START, 1800.0, 60.0), res_deg=0.02)
    a = WGS72_RADIUS_KM + alt_km
    v = math.sqrt(MU_KM3_S2 / a)
    psi = math.atan(EARTH_ROTATION_RAD_S * a / v)
    box_km = math.radians(6.0) * 6378.137
    expected = swath_km / math.cos(psi) / box_km
    assert res.share_by(1800.0) == pytest.approx(expected, rel=0.015)
    assert res.time_to(1.0) is None and res.time_to(expected * 0.98) is not None
    first = res.first_access_s[np.isfinite(res.first_access_s)]
    assert first.max() - first.min() < 30.0  # one pass, crossing 1 deg of latitude in ~15 s


def test_first_access_matches_the_target_windows():
    """Two kernels, one question: each point's first access (coverage kernel) is
    the earliest start of its access windows (target kernel)."""
    rng = np.random.default_rng(4)
    orbits = [CircularOrbit(START, 550.0, 97.6, rng.uniform(0, 360), rng.uniform(0, 360)) for _ in range(3)]
    const = Constellation.from_orbits("three", orbits, Sensor(max_off_nadir_deg=35.0, min_sun_elevation_deg=5.0))
    lat, lon = rng.uniform(-70, 70, 150), rng.uniform(-180, 180, 150)
    grid = Grid.points(lat, lon)
    window = Window(START, 6 * 3600.0, 60.0)
    first = run(const, grid, window).figures["first_access_s"]
    win, _ = access_windows(const, Targets(grid.lat_deg, grid.lon_deg, [""] * len(grid), "g"), window)
    want = np.full(len(grid), np.nan)
    for j, a in zip(win.target, win.start_s):
        want[j] = a if np.isnan(want[j]) else min(want[j], a)
    assert np.isfinite(want).sum() > 30
    assert np.array_equal(np.isnan(first), np.isnan(want))
    ok = np.isfinite(want)
    assert np.allclose(first[ok], want[ok], rtol=0, atol=1e-9)


def test_darkness_images_nothing():
    """Antarctica at the June solstice: no optical image, whatever the passes."""
    orbit = CircularOrbit(datetime(2026, 6, 21, tzinfo=timezone.utc), 535.0, 97.5, 0.0, 0.0)
    const = Constellation.from_orbits("one", [orbit], Sensor(kind="swath", swath_km=300.0,
                                                             min_sun_elevation_deg=5.0))
    res = survey(const, bbox_region(0, -85, 60, -75), Window(orbit.epoch, 86400.0, 60.0), 2.0)
    assert res.share_by(86400.0) == 0.0 and res.time_to(0.5) is None
    lit = survey(survey_constellation(const, day_and_night=True), bbox_region(0, -85, 60, -75),
                 Window(orbit.epoch, 86400.0, 60.0), 2.0)
    assert lit.share_by(86400.0) > 0.5


def test_survey_constellation_keeps_named_groups():
    o = [CircularOrbit(START, 535.0, 97.5, 0.0, 0.0)]
    a = Constellation.from_orbits("a", o, Sensor(max_off_nadir_deg=45), group="a")
    b = Constellation.from_orbits("b", o, Sensor(max_off_nadir_deg=30, min_sun_elevation_deg=10), group="b")
    both = Constellation("ab", a.groups + b.groups)
    sv = survey_constellation(both, {"b": 40.0})
    assert [g.name for g in sv.groups] == ["b"]
    assert sv.groups[0].sensor == Sensor(kind="swath", swath_km=40.0, min_sun_elevation_deg=10.0)
    assert both.groups[1].sensor.kind == "off_nadir"  # untouched
    sv = survey_constellation(both, None, min_sun_elevation_deg=15.0)
    assert [g.sensor.min_sun_elevation_deg for g in sv.groups] == [15.0, 15.0]


# ---------------------------------------------------------------- scenario tables and the CLI
TINY = """
[scenario]
name = "tiny-survey"
[window]
start = 2026-03-20T00:00:00Z
hours = 3
[grid]
res_deg = 15
[[group]]
name = "wide"
pattern = "sso_planes"
alt_km = 600
ltdn_hours = [10.5]
total = 2
[group.sensor]
max_off_nadir_deg = 45
[[group]]
name = "agile"
pattern = "sso_planes"
alt_km = 535
ltdn_hours = [13.5]
total = 2
[group.sensor]
max_off_nadir_deg = 45
[survey]
claim = "a survey of the box in two days"
region = "box.geojson"
days = 2
grid_res_deg = 1
step_s = 60
required_share = 0.5
min_sun_elevation_deg = 5
[survey.swath_km]
wide = 600
[capacity]
claim = "10 targets a day"
targets_per_day = 10
random_targets = 20
seed = 1
days = 0.1
"""

BOX = {"type": "Polygon", "coordinates": [[[100, 20], [120, 20], [120, 40], [100, 40], [100, 20]]]}


def test_scenario_tables(tmp_path):
    (tmp_path / "box.geojson").write_text(json.dumps(BOX))
    p = tmp_path / "tiny.toml"
    p.write_text(TINY)
    sc = load_scenario(p)
    assert sc.survey.swath_km == {"wide": 600.0} and sc.survey.region == str(tmp_path / "box.geojson")
    assert sc.capacity.random_targets == 20 and sc.capacity.dwell_s == 10.0
    for old, new, where in (("wide = 600", "wide = 600\nnarrow = 5", r"survey\.swath_km\.narrow: no group named"),
                            ("required_share = 0.5", "required_share = 1.5", r"survey\.required_share: must be in"),
                            ("seed = 1", "seed = 1\ntargets = 5", r"capacity\.targets: unknown key"),
                            ("targets_per_day = 10", "", r"capacity\.targets_per_day: missing required key")):
        p.write_text(TINY.replace(old, new))
        with pytest.raises(ScenarioError, match=where):
            load_scenario(p)


def test_cli_survey_and_run(tmp_path):
    from click.testing import CliRunner

    from cli import main

    (tmp_path / "box.geojson").write_text(json.dumps(BOX))
    p = tmp_path / "tiny.toml"
    p.write_text(TINY)
    runner = CliRunner()
    r = runner.invoke(main, ["survey", str(p), "--json", "-o", str(tmp_path / "c.png")])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["sensors_by_group"] == {"wide": "nadir swath 600 km, Sun >= 5 deg"}
    assert out["duration_s"] == 2 * 86400 and out["grid_res_deg"] == 1 and out["points"] == 400
    assert out["verdict"] == ("met" if out["time_to_required_s"] is not None else "not met")
    assert (tmp_path / "c.png").stat().st_size > 10_000
    r = runner.invoke(main, ["survey", str(p), "--bbox", "100,20,110,30", "--swath-km", "100", "--days", "1"])
    assert r.exit_code == 0, r.output
    assert "box 100,20,110,30" in r.output and "time to reach" in r.output and "clouds not modelled" in r.output
    r = runner.invoke(main, ["survey", str(p), "--bbox", "100,20,110"])
    assert r.exit_code != 0 and "LON_MIN,LAT_MIN,LON_MAX,LAT_MAX" in r.output
    (tmp_path / "bad.geojson").write_text('{"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]}')
    r = runner.invoke(main, ["survey", str(p), "--region", str(tmp_path / "bad.geojson")])
    assert r.exit_code != 0 and "bad.geojson: coordinates[0]: a ring needs" in r.output
    assert "Traceback" not in r.output
    # `revisit run` adds the claims beyond revisit for scenarios that have them.
    r = runner.invoke(main, ["run", str(p), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["capacity"]["claim"] == "10 targets a day" and out["capacity"]["targets"] == 20
    assert out["survey"]["claim"] == "a survey of the box in two days" and out["survey"]["points"] == 400
    r = runner.invoke(main, ["run", str(p)])
    assert r.exit_code == 0, r.output
    assert "Beyond revisit" in r.output and "10 targets a day:" in r.output and "a survey of the box" in r.output
    assert "assuming 20 random land points" in r.output


def test_milestone_lines_from_summaries():
    from sim.outputs.report import beyond_revisit_lines

    cap = {"claim": "800+ target areas a day", "scheduled_per_day": 1706.0, "reachable_per_day": 1706.0,
           "targets": 2000, "verdict": "met", "list_limited": True, "assumptions": "A"}
    sv = {"claim": "a survey of China in a month", "required_share": 1.0, "time_to_required_s": 19.1 * 86400,
          "region": "china", "share_imaged": 1.0, "duration_s": 31 * 86400, "time_to_95_s": 12.2 * 86400,
          "verdict": "met", "assumptions": "B"}
    lines = beyond_revisit_lines([{"scenario": "a", "capacity": cap}, {"scenario": "b", "survey": sv},
                                  {"scenario": "c"}])
    text = "\n".join(lines)
    assert "800+ target areas a day: 1,706 targets imaged a day (bound 1,706, 2,000 targets" in text
    assert "the list, not the satellites, is the limit)  met" in text
    assert "a survey of China in a month: 100 % of china in 19.1 d (95 % in 12.2 d)  met" in text
    assert beyond_revisit_lines([{"scenario": "c"}]) == []
