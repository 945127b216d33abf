"""Equal-area global grids (Grid.equal_area): counts, cell areas, the kernel's row
structure, the kernel against the brute-force reference, statistics against the
regular grid, maps, result files, scenario files, sweeps and the command line."""

import importlib.util
import json
import math
from datetime import datetime, timezone

import numpy as np
import pytest
from click.testing import CliRunner
from reference import assert_kernel_matches_brute_force, random_constellation

from cli import main
from constellation.core import Constellation
from constellation.errors import InputError
from constellation.orbits import sso_inclination_deg
from constellation.patterns import walker
from constellation.scenario import GRID_KINDS, scenario_from_dict
from constellation.sensor import Sensor
from constellation.sweepspec import SweepError, parse_sweep
from sim import Grid, Target, Window, run
from sim.engine.grid import KINDS, equal_area_row_counts
from sim.outputs import io as sio
from sim.outputs.plot import map_image
from sim.studies.sweep import run_configuration

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def need_land_mask():
    # not importorskip: importing global_land_mask loads its whole 1 GB array (sim/engine/landmask.py reads the file)
    if importlib.util.find_spec("global_land_mask") is None:
        pytest.skip("global-land-mask is not installed")


def cell_table(g):
    """Independently of the builder: each point's row (its latitude), the row's cell
    count (points sharing the latitude) and its index within the row."""
    lats, inverse, counts = np.unique(g.lat_deg, return_inverse=True, return_counts=True)
    n = counts[inverse]
    j = np.arange(len(g)) - np.searchsorted(g.lat_deg, g.lat_deg, side="left")
    return lats, n, j


# ---------------------------------------------------------------------- the grid itself
@pytest.mark.parametrize("res", [10.0, 5.0, 2.0, 1.0, 0.5, 0.25])
def test_point_count_is_the_sphere_over_a_cell(res):
    g = Grid.equal_area(res)
    ideal = 4 * math.pi / math.radians(res) ** 2
    assert abs(len(g) / ideal - 1) < 0.005, (len(g), ideal)
    assert len(g) < 0.67 * len(Grid.regular(res))  # the regular grid holds pi/2 times as many
    assert g.shape is None and g.kind == "equal-area" and g.res_deg == res
    assert g.name == f"global {res:g} deg equal-area"


def test_design_notes_counts():
    assert len(Grid.equal_area(1.0)) == 41_252      # ~41k (4 pi sr / (1 deg)^2 = 41,253)
    assert len(Grid.equal_area(0.25)) == 660_064    # ~660k


@pytest.mark.parametrize("res", [5.0, 1.0])
def test_weights_are_exact_cell_areas_and_cells_are_about_res_squared(res):
    g = Grid.equal_area(res)
    lats, n, j = cell_table(g)
    dlat = math.radians(180.0 / round(180.0 / res))
    assert np.allclose(np.diff(np.radians(lats)), dlat) and lats[0] == pytest.approx(-90 + math.degrees(dlat) / 2)
    # points at the centres of n equal cells around the full circle
    assert np.allclose(g.lon_deg, -180.0 + (j + 0.5) * 360.0 / n, rtol=0, atol=1e-9)
    lat = np.radians(g.lat_deg)
    area = (2 * math.pi / n) * (np.sin(lat + dlat / 2) - np.sin(lat - dlat / 2))   # sr
    assert area.sum() == pytest.approx(4 * math.pi, rel=1e-12)                     # the cells tile the sphere
    assert np.allclose(g.weight, area / (4 * math.pi), rtol=1e-12, atol=0)
    # each cell as near res x res (the equatorial regular cell, in sr) as a whole count allows
    target = dlat * math.radians(360.0 / round(360.0 / res))
    ratio = area / target
    assert np.all(np.abs(ratio - 1) <= 0.5 / n + 1e-12)
    caps = np.abs(g.lat_deg) > 90 - 1.01 * math.degrees(dlat)       # the rows next to the poles: 3 cells
    assert np.all(n[caps] == 3)
    assert np.max(np.abs(ratio[~caps] - 1)) < 0.05
    assert np.max(np.abs(ratio[n >= 50] - 1)) < 0.01
    # the regular grid's rows, row counts as the formula gives
    assert np.array_equal(lats, np.unique(Grid.regular(res).lat_deg))
    assert np.array_equal(np.unique(g.lat_deg, return_counts=True)[1], equal_area_row_counts(res))


def test_latitude_band_keeps_the_regular_rows_and_the_global_cells():
    band = Grid.equal_area(5.0, -30, 60)
    full = Grid.equal_area(5.0)
    assert np.array_equal(np.unique(band.lat_deg), np.unique(Grid.regular(5.0, -30, 60).lat_deg))
    keep = (full.lat_deg >= -30) & (full.lat_deg <= 60)
    assert np.array_equal(band.lat_deg, full.lat_deg[keep]) and np.array_equal(band.lon_deg, full.lon_deg[keep])
    assert np.allclose(band.weight, full.weight[keep] / full.weight[keep].sum(), rtol=1e-12)
    assert band.name == "5 deg equal-area, lat -30..60" and band.kind == "equal-area"
    with pytest.raises(ValueError, match="no grid rows"):
        Grid.equal_area(10.0, 1, 4)
    with pytest.raises(ValueError, match="resolution"):
        Grid.equal_area(0.0)


@pytest.mark.parametrize("res,lo,hi", [(10.0, -90, 90), (1.0, -90, 90), (0.25, -90, 90), (2.0, -50, 70),
                                       (7.0, -90, 90)])
def test_rows_are_uniform_around_the_circle(res, lo, hi):
    """The kernel visits a row by index only when rows() finds its longitudes uniform
    (row_dlon > 0); every equal-area row must be found so."""
    g = Grid.equal_area(res, lo, hi)
    rows = g.rows()
    assert np.all(rows["row_dlon"] > 0)
    assert np.allclose(rows["row_dlon"] * rows["row_count"], 2 * math.pi, rtol=1e-12)
    assert np.allclose(rows["row_lon0"], np.radians(g.lon_deg[rows["row_start"]]), rtol=0, atol=1e-15)
    assert rows["row_count"].sum() == len(g)


def test_kinds_and_validation():
    import cli

    assert GRID_KINDS == ("regular", "equal-area") and KINDS == GRID_KINDS + ("points",)
    for name in ("run", "map", "sweep", "size"):  # every --grid-kind offers the scenario's kinds
        opt = next(p for p in cli.main.commands[name].params if p.name == "grid_kind")
        assert tuple(opt.type.choices) == GRID_KINDS, name
    assert Grid.regular(10.0).kind == "regular" and Grid.points([1.0], [2.0]).kind == "points"
    assert Grid.regular(10.0).subset(Grid.regular(10.0).lat_deg > 0).kind == "regular"
    ea = Grid.equal_area(10.0)
    sub = ea.subset(ea.lat_deg > 0, "north")
    assert sub.kind == "equal-area" and sub.res_deg == 10.0 and sub.name == "north"
    assert len(Grid.build(10.0, kind="equal-area")) == len(ea)
    assert len(Grid.build(10.0)) == 648
    with pytest.raises(ValueError, match="unknown grid kind 'hex'"):
        Grid.build(10.0, kind="hex")
    with pytest.raises(ValueError, match="needs its resolution"):
        Grid(ea.lat_deg, ea.lon_deg, ea.weight, kind="equal-area")
    with pytest.raises(ValueError, match="shape must be None"):
        Grid(ea.lat_deg, ea.lon_deg, ea.weight, "x", (18, 23), 10.0, None, "equal-area")
    assert "equal-area" in ea.describe() and "regular" in Grid.regular(10.0).describe()


def test_land_only_equal_area_grid():
    need_land_mask()
    from sim.engine.landmask import land_fraction_cells

    land = Grid.land(5.0, kind="equal-area")
    full = Grid.equal_area(5.0)
    assert land.kind == "equal-area" and land.name == "land, global 5 deg equal-area"
    idx = {(a, b): k for k, (a, b) in enumerate(zip(full.lat_deg, full.lon_deg))}
    kept = np.zeros(len(full), bool)
    kept[[idx[(a, b)] for a, b in zip(land.lat_deg, land.lon_deg)]] = True
    # each cell's land share, measured row by row from the cells' own edges (centre -+ half its width)
    share = []
    for la in np.unique(full.lat_deg):
        lon = full.lon_deg[full.lat_deg == la]
        half = 180.0 / lon.size
        share.append(land_fraction_cells([la - 2.5, la + 2.5], np.r_[lon - half, lon[-1] + half])[0])
    share = np.concatenate(share)
    assert np.array_equal(kept, share >= 0.5)
    # about the land area the regular land grid covers (both ~29 % of the sphere at 50 % land share)
    reg_full = Grid.regular(5.0)
    reg_land = Grid.land(5.0)
    ridx = {(a, b): k for k, (a, b) in enumerate(zip(reg_full.lat_deg, reg_full.lon_deg))}
    reg_area = reg_full.weight[[ridx[(a, b)] for a, b in zip(reg_land.lat_deg, reg_land.lon_deg)]].sum()
    assert full.weight[kept].sum() == pytest.approx(reg_area, abs=0.02)
    assert len(Grid.build(5.0, kind="equal-area", land_only=True)) == len(land)


# ---------------------------------------------------------------------- the kernel
@pytest.mark.parametrize("seed,kind", [(11, "off_nadir"), (12, "swath")])
def test_kernel_equals_brute_force_on_equal_area_grid(seed, kind):
    rng = np.random.default_rng(seed)
    const = random_constellation(rng, 3, kind)
    grid = Grid.equal_area(10.0)
    window = Window(START, 2 * 3600, 120.0)
    ref = assert_kernel_matches_brute_force(const, grid, window, ((None, 1), (17, 2)), device="cpu")
    assert sum(r[0] for r in ref) > 20  # plenty was seen


@pytest.fixture(scope="module")
def walker6():
    orbits = walker(6, 3, 1, 535.0, sso_inclination_deg(535.0), START)
    return Constellation.from_orbits("w6", orbits, Sensor(max_off_nadir_deg=45.0))


@pytest.fixture(scope="module")
def three_grids(walker6):
    window = Window(START, 6 * 3600.0, 60.0)
    targets = [Target("within 3 h", 3 * 3600.0)]
    return {name: run(walker6, g, window, targets, name=name, device="cpu")
            for name, g in (("regular", Grid.regular(5.0)), ("equal-area", Grid.equal_area(5.0)),
                            ("reference", Grid.regular(1.0)))}


def test_area_weighted_statistics_agree_with_the_regular_grid(three_grids):
    """Both 5 deg grids are midpoint quadratures of the same area integrals, so they
    agree to their discretisation, not bit for bit.  Tolerances, and why:
    - mean coverage fraction: the time share a point is seen varies continuously over
      the globe (it falls to 0 smoothly at the edge of what the orbits reach), so
      the quadrature error is second order in the cell size; 1 % relative (measured:
      0.07 % between the two 5 deg grids, 0.1 % against the 1 deg reference);
    - mean response time: likewise continuous in place but steeper: 2 % (measured 0.5 %);
    - shares of area (MRT within 3 h, never seen): integrals of a 0/1 field, whose error
      is about the area of the cells its boundary crosses, first order in the cell size:
      2 % of the area at 5 deg (measured 0.2-0.4 % between the grids, < 1 % against the
      reference).
    A weighting error as small as an extra cos(latitude) moves the mean coverage by
    ~18 %, far outside these (checked below, so the test can fail)."""
    s = {k: r.summary() for k, r in three_grids.items()}
    assert s["equal-area"]["points"] == 1652 and s["regular"]["points"] == 2592
    assert s["equal-area"]["grid_kind"] == "equal-area" and s["regular"]["grid_kind"] == "regular"
    for other in ("regular", "reference"):
        a, b = s["equal-area"], s[other]
        assert a["coverage_fraction"] == pytest.approx(b["coverage_fraction"], rel=0.01), other
        assert a["mean_response_s"] == pytest.approx(b["mean_response_s"], rel=0.02), other
        assert a["targets"][0]["share_met"] == pytest.approx(b["targets"][0]["share_met"], abs=0.02), other
        assert a["unseen_share"] == pytest.approx(b["unseen_share"], abs=0.02), other
    ea = three_grids["equal-area"]
    wrong = ea.grid.weight * np.cos(np.radians(ea.grid.lat_deg))
    wrong_mean = float(np.sum(wrong * ea.figures["coverage_fraction"]) / wrong.sum())
    assert abs(wrong_mean / s["reference"]["coverage_fraction"] - 1) > 0.05
    assert 0.1 < s["reference"]["targets"][0]["share_met"] < 0.9  # the share is not trivially 0 or 1


# ---------------------------------------------------------------------- maps
def test_raster_fills_the_globe_and_puts_each_point_at_its_place():
    g = Grid.equal_area(2.0)
    values = np.arange(len(g), dtype=float)
    img = g.raster(values)
    n_lat, n_lon = 90, 180
    assert img.shape == (n_lat, n_lon) and not np.isnan(img).any()
    # every point is drawn, over the raster cell holding its own centre
    i, j, _ = g.cell_index()
    assert np.array_equal(img[i, j], values)
    assert np.array_equal(np.unique(img), values)
    # every raster cell shows the point whose cell (centre +- half its width) holds the cell's centre
    _, n, _ = cell_table(g)
    lon_c = -180.0 + (np.arange(n_lon) + 0.5) * 2.0
    k = img.astype(int)
    half = 180.0 / n[k]
    assert np.array_equal(g.lat_deg[k], np.repeat(-90.0 + 2.0 * (np.arange(n_lat) + 0.5), n_lon).reshape(k.shape))
    assert np.all(np.abs(g.lon_deg[k] - lon_c[None, :]) <= half + 1e-9)
    # map_image (what plot_map draws) is the raster
    m, extent = map_image(g, values)
    assert np.array_equal(m, img) and extent == (-180.0, 180.0, -90.0, 90.0)


def test_raster_of_subsets_and_other_kinds():
    ea = Grid.equal_area(5.0)
    north = ea.subset(ea.lat_deg > 0)
    img = north.raster(np.ones(len(north)))
    assert np.isnan(img[:18]).all() and not np.isnan(img[18:]).any()
    # a regular grid and its subsets: each point in its own cell, as maps always drew them
    reg = Grid.regular(10.0, -40, 40)
    vals = np.arange(len(reg), dtype=float)
    i, j, shape = reg.cell_index()
    old = np.full(shape, np.nan)
    old[i, j] = vals
    assert np.array_equal(reg.raster(vals), old, equal_nan=True)
    assert Grid.points([10.0], [20.0]).raster([1.0]) is None
    with pytest.raises(ValueError, match="shape"):
        ea.raster(np.ones(3))


def test_plot_map_of_an_equal_area_result(three_grids, tmp_path):
    pytest.importorskip("matplotlib")
    res = three_grids["equal-area"]
    res.plot_map(tmp_path / "ea.png", coastlines=False)
    assert (tmp_path / "ea.png").stat().st_size > 10_000


# ---------------------------------------------------------------------- files
@pytest.mark.parametrize("ext", [".nc", ".csv", ".geojson"])
def test_result_files_keep_the_kind(three_grids, tmp_path, ext):
    if ext == ".nc":
        pytest.importorskip("netCDF4")
        pytest.importorskip("xarray")
    res = three_grids["equal-area"]
    path = res.save(tmp_path / f"ea{ext}")
    back = sio.load_result(path)
    g, b = res.grid, back.grid
    assert b.kind == "equal-area" and b.shape is None and b.res_deg == 5.0 and b.name == g.name
    assert np.array_equal(b.lat_deg, g.lat_deg) and np.array_equal(b.lon_deg, g.lon_deg)
    assert np.array_equal(b.weight, g.weight)
    for name, v in res.figures.items():
        assert np.array_equal(back.figures[name], v, equal_nan=True), name
    assert back.summary() == res.summary()
    assert not np.isnan(b.raster(back.figures["coverage_fraction"])).any()  # still drawable
    if ext == ".nc":
        import xarray as xr

        with xr.open_dataset(path) as ds:
            assert ds.attrs["grid_kind"] == "equal-area" and ds.attrs["revisit_layout"] == "lat_lon_and_point"
            assert ds["coverage_fraction"].dims == ("lat", "lon") and ds["point_coverage_fraction"].dims == ("point",)


def _drop_kind(path):
    """The CSV result as a version 1 file without a grid kind: its JSON in three '#'
    lines on top, no sidecar."""
    side = sio.csv_sidecar(path)
    doc = json.loads(side.read_text())
    head = dict(doc["revisit"], version=1)
    del head["grid"]["kind"]
    side.unlink()
    path.write_text(f"# {sio.FORMAT} {json.dumps(head)}\n# summary {json.dumps(doc['summary'])}\n"
                    f"# provenance {json.dumps(doc['provenance'])}\n" + path.read_text())


def test_files_without_a_kind_still_load(three_grids, walker6, tmp_path):
    """Files written before equal-area grids have no grid kind: regular with a
    resolution (regular grids and their subsets), else a point list."""
    path = three_grids["regular"].save(tmp_path / "regular.csv")
    _drop_kind(path)
    back = sio.load_result(path)
    assert back.grid.kind == "regular" and back.grid.shape == (36, 72)
    assert back.summary() == three_grids["regular"].summary()
    pts = run(walker6, Grid.points([10.0, 20.0], [30.0, 40.0]), Window(START, 3600.0, 120.0), device="cpu")
    path = pts.save(tmp_path / "pts.csv")
    _drop_kind(path)
    assert sio.load_result(path).grid.kind == "points"


# ---------------------------------------------------------------------- scenario files, sweeps
@pytest.fixture
def scenario_raw(tiny_2h_scenario):
    """tests/data/tiny_2h.toml as a dict, its [grid] updated with the keywords."""
    import tomllib

    def raw_with(**grid):
        raw = tomllib.loads(tiny_2h_scenario)
        raw["grid"].update(grid)
        return raw

    return raw_with


def test_scenario_grid_kind(scenario_raw):
    assert scenario_from_dict(scenario_raw(), "s.toml").grid_kind == "regular"
    assert scenario_from_dict(scenario_raw(kind="equal-area"), "s.toml").grid_kind == "equal-area"
    with pytest.raises(InputError) as e:
        scenario_from_dict(scenario_raw(kind="equal_area"), "s.toml")
    assert str(e.value) == "s.toml: grid.kind: unknown grid kind 'equal_area' (known: regular, equal-area)"
    with pytest.raises(InputError, match="s.toml: grid.kind: expected a string"):
        scenario_from_dict(scenario_raw(kind=3), "s.toml")


def sweep_raw(**extra):
    raw = {"sweep": {"name": "k"}, "window": {"start": "2026-01-01T00:00:00Z", "hours": 1, "step_s": 120},
           "grid": {"res_deg": 10},
           "group": {"pattern": "walker_delta", "alt_km": 535, "inclination_deg": 60, "planes": 2,
                     "sats_per_plane": 1, "sensor": {"max_off_nadir_deg": 45}}}
    raw.update(extra)
    return raw


def test_sweep_varies_the_grid_kind():
    spec = parse_sweep(sweep_raw(vary={"grid.kind": ["regular", "equal-area"]}))
    confs = spec.configurations()
    assert [c.label for c in confs] == ["grid.kind=regular", "grid.kind=equal-area"]
    recs = [run_configuration(c.to_dict()) for c in confs]
    assert [r["status"] for r in recs] == ["ok", "ok"], recs
    assert [r["result"]["points"] for r in recs] == [648, 412]
    over = parse_sweep(sweep_raw()).with_overrides(grid={"kind": "equal-area"})
    assert run_configuration(over.configurations()[0].to_dict())["result"]["points"] == 412
    from sim.outputs.report import size_text

    assert size_text("f", over.grid, 95, 600.0, None, [2], 4, [], []).splitlines()[0].endswith(
        "over the globe (equal-area grid)")
    assert size_text("f", {"res_deg": 10}, 95, 600.0, None, [2], 4, [], []).splitlines()[0].endswith("the globe")
    with pytest.raises(SweepError, match=r"grid.kind: unknown grid kind 'hex'"):
        parse_sweep(sweep_raw(grid={"res_deg": 10, "kind": "hex"}), "w.toml")
    with pytest.raises(SweepError, match=r"w.toml: vary.grid.kind: unknown grid kind 'hex'"):
        parse_sweep(sweep_raw(vary={"grid.kind": ["regular", "hex"]}), "w.toml")
    with pytest.raises(SweepError, match=r"point\[1\].grid.kind: unknown grid kind"):
        parse_sweep(sweep_raw(point=[{"grid.kind": "hex"}]), "w.toml")


# ---------------------------------------------------------------------- the command line
def test_cli_grid_kind(tmp_path, tiny_2h_scenario):
    runner = CliRunner()
    p = tmp_path / "tiny.toml"
    p.write_text(tiny_2h_scenario)
    r = runner.invoke(main, ["run", "--help"])
    assert "--grid-kind [regular|equal-area]" in r.output
    r = runner.invoke(main, ["run", str(p), "--grid-kind", "equal-area", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert out["points"] == 412 and out["grid_kind"] == "equal-area" and out["grid"] == "global 10 deg equal-area"
    # the scenario's kind, and the option overriding it
    p.write_text(tiny_2h_scenario.replace("res_deg = 10", 'res_deg = 10\nkind = "equal-area"'))
    r = runner.invoke(main, ["run", str(p), "--json"])
    assert json.loads(r.output.strip().splitlines()[-1])["points"] == 412
    r = runner.invoke(main, ["run", str(p), "--json", "--grid-kind", "regular"])
    assert json.loads(r.output.strip().splitlines()[-1])["points"] == 648
    r = runner.invoke(main, ["run", str(p), "--grid-kind", "hexagonal"])
    assert r.exit_code == 2 and "'hexagonal' is not one of 'regular', 'equal-area'" in r.output
    p.write_text(tiny_2h_scenario.replace("res_deg = 10", 'res_deg = 10\nkind = "hexagonal"'))
    r = runner.invoke(main, ["run", str(p)])
    assert r.exit_code != 0 and isinstance(r.exception, SystemExit)
    assert r.output.strip().splitlines()[-1] == (f"Error: {p}: grid.kind: unknown grid kind 'hexagonal' "
                                                 "(known: regular, equal-area)")


def test_cli_equal_area_land_only(tmp_path, tiny_2h_scenario):
    need_land_mask()
    p = tmp_path / "tiny.toml"
    p.write_text(tiny_2h_scenario)
    r = CliRunner().invoke(main, ["run", str(p), "--grid-kind", "equal-area", "--land-only", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert out["points"] == len(Grid.land(10.0, kind="equal-area")) and out["grid_kind"] == "equal-area"
    assert out["grid"] == "land, global 10 deg equal-area"


SWEEP = """
[sweep]
name = "k"
[window]
start = 2026-01-01T00:00:00Z
hours = 1
step_s = 120
[grid]
res_deg = 10
[group]
pattern = "walker_delta"
alt_km = 535
inclination_deg = 60
planes = 2
sats_per_plane = 1
[group.sensor]
max_off_nadir_deg = 45
"""


def test_cli_sweep_grid_kind(tmp_path):
    runner = CliRunner()
    p = tmp_path / "k.toml"
    p.write_text(SWEEP)
    assert "--grid-kind [regular|equal-area]" in runner.invoke(main, ["size", "--help"]).output
    out = tmp_path / "k.csv"
    r = runner.invoke(main, ["sweep", str(p), "--sequential", "--grid-kind", "equal-area", "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    assert ",412," in out.read_text().splitlines()[1]  # the points column
    p.write_text(SWEEP.replace("res_deg = 10", 'res_deg = 10\nkind = "hex"'))
    r = runner.invoke(main, ["sweep", str(p), "--list"])
    assert r.exit_code != 0 and r.output.strip().splitlines()[-1] == (
        f"Error: {p}: grid.kind: unknown grid kind 'hex' (known: regular, equal-area)")
