"""Point targets keep the user's order and coordinates: through the run (which
sorts them for the kernels), every writer and reader, the study and the
command line."""

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from constellation.core import Constellation
from constellation.orbits import sso_inclination_deg
from constellation.patterns import walker
from constellation.sensor import Sensor
from sim import Grid, Target, Window, run
from sim.outputs import io as sio
from sim.studies.study import Study

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
TINY = Path(__file__).resolve().parent / "data" / "tiny.toml"
# Paris, Beijing, Sydney, a point on the antimeridian (+180, kept as given), two at one latitude in
# reverse longitude order, and a duplicate of Paris: nothing here is in latitude order.
LAT = [48.85, 39.9, -33.87, 10.0, 10.0, 10.0, 48.85]
LON = [2.35, 116.4, 151.21, 180.0, 30.3, -60.7, 2.35]
NAMES = ["Paris", "Beijing", "Sydney", "Antimeridian", "East", "West", "Paris again"]


def two_groups():
    inc = sso_inclination_deg(535.0)
    a = Constellation.from_orbits("a", walker(4, 2, 1, 535.0, inc, START), Sensor(max_off_nadir_deg=45.0), "a")
    b = Constellation.from_orbits("b", walker(2, 1, 0, 600.0, 53.0, START, 40.0), Sensor(max_off_nadir_deg=30.0),
                                  "b", first_satnum=91000)
    return Constellation("two", a.groups + b.groups)


def user_grid():
    rng = np.random.default_rng(3)
    lat = LAT + list(rng.uniform(-80, 80, 40).round(3))
    lon = LON + list(rng.uniform(-180, 180, 40).round(3))
    names = NAMES + [f"R{i}" for i in range(40)]
    return Grid.points(lat, lon, labels=names, name="sites")


@pytest.fixture(scope="module")
def runs():
    """The same points run in the user's order and in kernel order (per group too)."""
    grid = user_grid()
    window = Window(START, 8 * 3600.0, 60.0)
    targets = [Target("within 3 h", 3 * 3600.0)]
    user = run(two_groups(), grid, window, targets, per_group=True, device="cpu")
    kernel = run(two_groups(), grid.kernel_grid(), window, targets, per_group=True, device="cpu")
    return grid, user, kernel


def test_a_point_list_keeps_the_users_order_and_coordinates():
    g = Grid.points([48.85, 39.9], [2.35, 116.4], labels=["Paris", "Beijing"])
    assert g.lat_deg.tolist() == [48.85, 39.9] and g.lon_deg.tolist() == [2.35, 116.4]
    assert g.labels == ["Paris", "Beijing"] and g.order.tolist() == [1, 0]
    k = g.kernel_grid()
    assert k.lat_deg.tolist() == [39.9, 48.85] and k.lon_deg.tolist() == [116.4, 2.35]
    assert k.labels == ["Beijing", "Paris"] and k.order is None and k.kernel_grid() is k
    assert g.from_kernel_order(k.lat_deg).tolist() == [48.85, 39.9]
    # Longitudes within [-180, 180] stay as given; others wrap; +180 runs as -180.
    g = Grid.points([0.0, 0.0, 0.0], [180.0, 190.0, -180.0])
    assert g.lon_deg.tolist() == [180.0, -170.0, -180.0]
    assert g.kernel_grid().lon_deg.tolist() == [-180.0, -180.0, -170.0]
    # Already in kernel order: nothing to permute, the grid runs as it is.
    sorted_pts = Grid.points([1.0, 2.0], [3.0, 4.0])
    assert sorted_pts.order is None and sorted_pts.kernel_grid() is sorted_pts


def test_grids_stay_sorted_as_before():
    for grid in (Grid.regular(10.0), Grid.regular(7.5, -40, 60), Grid.equal_area(10.0)):
        assert grid.order is None and grid.kernel_grid() is grid
        order = np.lexsort((grid.lon_deg, grid.lat_deg))
        assert np.array_equal(order, np.arange(len(grid)))
    # The regular grid's longitudes go through the same wrapping as always (bit for bit).
    n_lon = 48
    raw = -180.0 + 7.5 * (np.arange(n_lon) + 0.5)
    assert np.array_equal(Grid.regular(7.5).lon_deg[:n_lon], (raw + 180.0) % 360.0 - 180.0)


def test_run_returns_the_figures_in_the_users_order(runs):
    grid, user, kernel = runs
    assert user.grid is grid
    assert user.grid.lat_deg[:len(LAT)].tolist() == LAT and user.grid.lon_deg[:len(LON)].tolist() == LON
    assert user.grid.labels[:len(NAMES)] == NAMES
    assert user.seen.sum() > 10 and (~user.seen).sum() > 0
    for k, v in kernel.figures.items():
        assert np.array_equal(user.figures[k], grid.from_kernel_order(v), equal_nan=True), k
        assert np.array_equal(user.figures[k][grid.order], v, equal_nan=True), k
    # The duplicate of Paris has Paris's figures.
    for k, v in user.figures.items():
        assert np.array_equal(v[0], v[6], equal_nan=True), k
    assert set(user.groups) == {"a", "b"}
    for name, g in user.groups.items():
        assert g.grid is grid
        for k, v in kernel.groups[name].figures.items():
            assert np.array_equal(g.figures[k], grid.from_kernel_order(v), equal_nan=True), (name, k)
    su, sk = user.summary(), kernel.summary()
    for key in ("max_revisit_s", "coverage_fraction", "accesses_per_day", "unseen_share"):
        assert su[key] == pytest.approx(sk[key], rel=1e-12), key
    assert su["targets"][0]["share_met"] == pytest.approx(sk["targets"][0]["share_met"], rel=1e-12)


def test_point_figures_follow_the_list(runs):
    grid, user, _ = runs
    rows = user.point_figures()
    assert [r["name"] for r in rows] == grid.labels
    assert [(r["lat"], r["lon"]) for r in rows[:len(LAT)]] == list(zip(LAT, LON))
    i = 2
    assert rows[i]["max_revisit_s"] == user.figures["max_revisit_s"][i]
    assert rows[i]["n_access"] == int(user.figures["n_access"][i]) and isinstance(rows[i]["n_access"], int)
    assert set(rows[0]) == {"name", "lat", "lon", "max_revisit_s", "mean_revisit_s", "mean_response_s",
                            "n_access", "coverage_fraction"}


@pytest.mark.parametrize("ext", ["nc", "csv", "geojson"])
def test_every_writer_keeps_the_order_and_the_coordinates(runs, ext, tmp_path):
    grid, user, _ = runs
    path = user.save(tmp_path / f"r.{ext}")
    back = sio.load_result(path)
    assert back.grid.kind == "points"
    assert back.grid.lat_deg.tolist() == grid.lat_deg.tolist()
    assert back.grid.lon_deg.tolist() == grid.lon_deg.tolist()
    assert back.grid.labels == grid.labels
    assert np.array_equal(back.grid.weight, grid.weight)
    for k, v in user.figures.items():
        assert np.array_equal(back.figures[k], v, equal_nan=True), k
    assert back.point_figures() == json.loads(json.dumps(user.point_figures()))
    # Files hold the whole constellation's figures (each group's are in the run only).
    whole = {k: v for k, v in user.summary().items() if k != "groups"}
    assert json.dumps(back.summary(), default=str) == json.dumps(whole, default=str)
    if ext == "csv":
        with open(path, newline="") as f:
            rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
        assert [(float(r["lat"]), float(r["lon"]), r["label"]) for r in rows[:3]] == \
            [(48.85, 2.35, "Paris"), (39.9, 116.4, "Beijing"), (-33.87, 151.21, "Sydney")]
        assert rows[0]["lon"] == "2.35" and rows[3]["lon"] == "180.0"


def test_the_json_summary_is_the_same_in_either_order(runs, tmp_path):
    _, user, kernel = runs
    a = json.loads(user.to_json(tmp_path / "u.json").read_text())["summary"]
    b = json.loads(kernel.to_json(tmp_path / "k.json").read_text())["summary"]
    assert a["points"] == b["points"] == len(user.grid)
    assert a["max_revisit_s"] == pytest.approx(b["max_revisit_s"], rel=1e-12)


# ---------------------------------------------------------------------------- the study and the command line
def write_points(path: Path) -> Path:
    path.write_text("lat,lon,name\n" + "".join(f"{a},{o},{n}\n" for a, o, n in zip(LAT, LON, NAMES)))
    return path


def test_study_runs_on_points_from_a_file_or_arrays(tmp_path):
    csv_path = write_points(tmp_path / "sites.csv")
    study = Study.from_scenario(TINY).with_overrides(points=csv_path, days=0.25)
    grid = study.grid()
    assert grid.kind == "points" and grid.name == "sites.csv"
    assert grid.lat_deg.tolist() == LAT and grid.lon_deg.tolist() == LON and grid.labels == NAMES
    assert ("points", str(csv_path)) in study.overrides
    res = study.run(device="cpu")
    assert res.grid.labels == NAMES and res.grid.lon_deg.tolist() == LON
    assert res.provenance["points"]["path"] == str(csv_path)
    assert res.provenance["options"]["points"] == str(csv_path)

    arrays = Study.from_scenario(TINY).with_overrides(points=(LAT[:3], LON[:3]))
    assert arrays.grid().labels == ["T0001", "T0002", "T0003"] and arrays.grid().name == "points"
    assert ("points", "3 points") in arrays.overrides
    named = Study.from_scenario(TINY).with_overrides(points=(LAT[:2], LON[:2], NAMES[:2]))
    assert named.grid().labels == NAMES[:2]


def test_study_refuses_points_with_a_grid_or_bad_points(tmp_path):
    base = Study.from_scenario(TINY)
    with pytest.raises(ValueError, match="give points or a grid"):
        base.with_overrides(points=([1.0], [2.0]), grid_res_deg=5.0)
    with pytest.raises(ValueError, match="runs on a point list"):
        base.with_overrides(points=([1.0], [2.0])).with_overrides(land_only=True)
    with pytest.raises(ValueError, match="latitude 91"):
        base.with_overrides(points=([91.0], [2.0]))
    with pytest.raises(ValueError, match="one length"):
        base.with_overrides(points=([1.0, 2.0], [2.0]))
    with pytest.raises(ValueError, match="empty"):
        base.with_overrides(points=([], []))
    with pytest.raises(sio.InputError, match="file not found"):
        base.with_overrides(points=tmp_path / "missing.csv")


def test_cli_run_points_prints_each_point_in_the_files_order(tmp_path):
    csv_path = write_points(tmp_path / "sites.csv")
    runner = CliRunner()
    r = runner.invoke(main, ["run", str(TINY), "--points", str(csv_path), "--days", "0.5", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["points"] == len(LAT) and out["grid"] == "sites.csv" and out["grid_kind"] == "points"
    pts = out["point_figures"]
    assert [(p["name"], p["lat"], p["lon"]) for p in pts] == list(zip(NAMES, LAT, LON))
    assert any(p["n_access"] > 0 for p in pts)

    r = runner.invoke(main, ["run", str(TINY), "--points", str(csv_path), "--days", "0.5"])
    assert r.exit_code == 0, r.output
    table = r.stdout.split("tiny: 7 points", 1)[1]
    assert [table.index(n) for n in ("Paris ", "Beijing", "Sydney", "Antimeridian")] == \
        sorted(table.index(n) for n in ("Paris ", "Beijing", "Sydney", "Antimeridian"))
    assert "   180 " in table and "116.4" in table

    r = runner.invoke(main, ["run", str(TINY), "--points", str(csv_path), "--grid-res", "5"])
    assert r.exit_code == 2 and "give --points or a grid (--grid-res), not both" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon\n48.85,east\n")
    r = runner.invoke(main, ["run", str(TINY), "--points", str(bad)])
    assert r.exit_code == 1 and "bad.csv:2: lon: cannot read 'east'" in r.output
    assert len(r.output.strip().splitlines()) == 1
