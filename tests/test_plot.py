"""Maps, CDFs, milestone charts and ground tracks, rendered headless (Agg) from tiny runs;
land-only grids and the land mask against known geography."""

import dataclasses
import json
import math
from datetime import datetime, timezone

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib import colormaps
from matplotlib.image import imread

from cli import MAP_FIGURES as CLI_MAP_FIGURES
from cli import main
from constellation import Constellation, Sensor, walker_delta
from sim import Grid, Target, Window, run
from sim.engine import landmask as L
from sim.engine.grid import ecef_to_geodetic, geodetic_to_ecef
from sim.engine.metrics import weighted_percentile
from sim.outputs import plot as P

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
MAP_PX = (round(P.MAP_SIZE_IN[1] * P.DPI), round(P.MAP_SIZE_IN[0] * P.DPI))


def walker(n, planes):
    return Constellation.from_orbits(f"walker-{n}", walker_delta(n, planes, 1, 535, 97.5, START),
                                     Sensor(max_off_nadir_deg=45))


@pytest.fixture(scope="module")
def const6():
    return walker(6, 3)


@pytest.fixture(scope="module")
def res6(const6):
    return run(const6, Grid.regular(10.0), Window(START, 6 * 3600, 60),
               [Target("within 1 h", 3600), Target("within 30 min", 1800)])


@pytest.fixture(scope="module")
def res12():
    return run(walker(12, 4), Grid.regular(10.0), Window(START, 6 * 3600, 60), [Target("within 10 min", 600)])


def read_png(path):
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    return imread(path)


def inside_axes(fig, img, margin=4):
    """The pixels of the map axes (first axes), without its frame."""
    x0, y0, x1, y1 = fig.axes[0].get_window_extent().extents
    h = img.shape[0]
    return img[int(h - y1) + margin:int(h - y0) - margin, int(x0) + margin:int(x1) - margin, :3]


def pixel_at(fig, img, lon, lat):
    x, y = fig.axes[0].transData.transform((lon, lat))
    return img[int(round(img.shape[0] - y)), int(round(x)), :3]


def dark_pixels(rgb):
    return int(np.sum(np.all(rgb < 0.15, axis=-1)))


# ---------------------------------------------------------------------- land mask and grids
@pytest.mark.parametrize("name, lat, lon, land", [
    ("Congo basin", 0.0, 22.0, True), ("Sahara", 23.0, 10.0, True), ("Kansas", 38.5, -98.0, True),
    ("central Australia", -25.0, 134.0, True), ("Siberia", 62.0, 100.0, True), ("Greenland", 75.0, -40.0, True),
    ("Antarctic plateau", -85.0, 0.0, True), ("Amazon", -5.0, -60.0, True),
    ("mid-Pacific", 0.0, -150.0, False), ("South Atlantic", -30.0, -20.0, False), ("Arctic Ocean", 88.0, 0.0, False),
    ("Indian Ocean", -20.0, 80.0, False), ("Southern Ocean", -60.0, 100.0, False), ("North Sea", 56.0, 3.0, False),
])
def test_land_mask_knows_where_land_is(name, lat, lon, land):
    assert bool(L.is_land(lat, lon)) is land, name
    frac = float(L.land_fraction_at(lat, lon, 1.0))
    assert frac > 0.9 if land else frac < 0.1, (name, frac)


def test_land_share_of_the_earth():
    # Land (with lakes and Antarctica) covers ~29 % of the Earth's surface (149 of 510 million km2).
    n_lat, n_lon = 180, 360
    frac = L.land_fraction_cells(np.linspace(-90, 90, n_lat + 1), np.linspace(-180, 180, n_lon + 1))
    g = Grid.regular(1.0)
    share = float(np.sum(frac.ravel() * g.weight))
    assert 0.28 < share < 0.30
    # The cell table and the per-point look-up agree.
    assert np.allclose(frac.ravel(), L.land_fraction_at(g.lat_deg, g.lon_deg, 1.0))


def test_coastlines_pass_by_known_capes():
    lines = L.coastlines()
    pts = np.concatenate(lines)
    assert pts[:, 0].min() >= -180 and pts[:, 0].max() <= 180 and pts[:, 1].min() > -90
    for lat, lon in ((-34.83, 20.0), (-55.98, -67.27), (36.0, -5.6), (1.27, 103.8), (-43.6, 146.9)):
        d = np.hypot(pts[:, 0] - lon, pts[:, 1] - lat)
        assert d.min() < 0.3, (lat, lon, d.min())
    # ... and not through the middle of a continent or ocean.
    for lat, lon in ((0.0, 22.0), (0.0, -150.0), (-25.0, 134.0)):
        assert np.hypot(pts[:, 0] - lon, pts[:, 1] - lat).min() > 3


def test_land_grid_keeps_cell_areas_and_order():
    full = Grid.regular(5.0)
    land = Grid.land(5.0)
    key_full = {(a, b): k for k, (a, b) in enumerate(zip(full.lat_deg, full.lon_deg))}
    idx = np.array([key_full[(a, b)] for a, b in zip(land.lat_deg, land.lon_deg)])
    assert np.all(np.diff(idx) > 0)                       # a sorted subset of the regular grid
    assert np.allclose(land.weight, full.weight[idx] / full.weight[idx].sum())
    assert math.isclose(land.weight.sum(), 1.0)
    assert np.all(L.land_fraction_at(land.lat_deg, land.lon_deg, 5.0) >= 0.5)
    assert land.shape is None and land.res_deg == 5.0 and "land" in land.name
    # its area is the land share of the Earth (coarse cells: roughly)
    assert 0.22 < full.weight[idx].sum() < 0.36
    band = Grid.land(5.0, -30, 30)
    assert np.all(np.abs(band.lat_deg) <= 30) and len(band) < len(land)
    with pytest.raises(ValueError, match="no land"):
        Grid.land(5.0, 86, 90, min_land_share=1.01)
    with pytest.raises(ValueError):
        full.subset(np.zeros(len(full), bool))


def test_land_only_run_equals_the_global_run_on_land(const6, res6):
    # Land rows have gaps in longitude: the kernel takes its searched (non-uniform) row path
    # there, the uniform one on the full grid; both must give the same figures per point.
    land = Grid.land(10.0)
    rows = land.rows()
    assert np.sum(rows["row_dlon"] == 0) >= 10
    r = run(const6, land, res6.window)
    full = res6.grid
    key_full = {(a, b): k for k, (a, b) in enumerate(zip(full.lat_deg, full.lon_deg))}
    idx = np.array([key_full[(a, b)] for a, b in zip(land.lat_deg, land.lon_deg)])
    for name, values in r.figures.items():
        assert np.allclose(values, res6.figures[name][idx], rtol=0, atol=1e-9, equal_nan=True), name


def test_cell_index_places_points_back_on_the_global_grid():
    g = Grid.regular(10.0, -40, 40)
    i, j, shape = g.cell_index()
    assert shape == (18, 36)
    assert np.allclose(-90 + 10 * (i + 0.5), g.lat_deg) and np.allclose(-180 + 10 * (j + 0.5), g.lon_deg)
    assert Grid.points([10.0], [20.0]).cell_index() is None


# ---------------------------------------------------------------------- maps
def test_map_png_size_not_blank_with_coastlines(res6, tmp_path):
    fig = P.plot_map(res6, tmp_path / "map.png")
    img = read_png(tmp_path / "map.png")
    assert img.shape[:2] == MAP_PX
    inner = inside_axes(fig, img)
    assert inner.std() > 0.05                              # not blank
    assert len(np.unique(inner.reshape(-1, 3).round(2), axis=0)) > 20
    fig2 = P.plot_map(res6, tmp_path / "bare.png", coastlines=False)
    bare = inside_axes(fig2, read_png(tmp_path / "bare.png"))
    # Coastlines are the only near-black lines on the map: thousands of pixels.
    assert dark_pixels(inner) - dark_pixels(bare) > 2000
    title = fig.axes[0].get_title()
    for word in ("walker-6", "6 satellites", "2026-03-01", "6 h", "60 s step", "off-nadir <= 45 deg", "10 deg"):
        assert word in title
    # the targets are marked on the colour bar
    cbar_texts = [t.get_text() for t in fig.axes[1].texts]
    assert "within 1 h" in cbar_texts and "within 30 min" in cbar_texts


def test_map_puts_a_point_where_it_belongs(res6, tmp_path):
    # One cell at 45N 125E gets a long revisit, all others a short one: the dark pixel must
    # be there, not mirrored north-south, east-west or shifted by 180 deg.
    g = res6.grid
    values = np.full(len(g), 600.0)
    hot = np.flatnonzero((g.lat_deg == 45) & (g.lon_deg == 125))
    assert hot.size == 1
    values[hot] = 3 * 3600.0
    figures = dict(res6.figures, max_revisit_s=values, seen=np.ones(len(g), bool))
    r = dataclasses.replace(res6, figures=figures, targets=[])
    fig = P.plot_map(r, tmp_path / "hot.png", coastlines=False, vmax=3 * 3600.0)
    img = read_png(tmp_path / "hot.png")
    cmap = colormaps[P.CMAP_TIME]
    high = np.array(cmap(1.0)[:3])
    low = np.array(cmap(600.0 / (3 * 3600.0))[:3])
    assert np.abs(pixel_at(fig, img, 125, 45) - high).max() < 0.03
    for lon, lat in ((125, -45), (-125, 45), (-55, 45), (-55, -45), (35, 45), (125, 15)):
        assert np.abs(pixel_at(fig, img, lon, lat) - low).max() < 0.03, (lon, lat)


def test_colour_scale_is_not_washed_out_by_a_few_points(res6):
    # 0.8 % of the area (half of the rows next to the poles) at 10 h, the rest between 10
    # and 60 min: the scale ends at the 99th percentile, the few are in the top colour and named.
    g = res6.grid
    values = 600.0 + 3000.0 * (g.lon_deg + 180.0) / 360.0
    polar = (np.abs(g.lat_deg) >= 85) & (g.lon_deg < 0)
    values[polar] = 10 * 3600.0
    assert 0.0 < g.weight[polar].sum() < 0.01
    figures = dict(res6.figures, max_revisit_s=values, seen=np.ones(len(g), bool))
    fig = P.plot_map(dataclasses.replace(res6, figures=figures, targets=[]))
    cbar = fig.axes[1]
    lo, hi = cbar.get_xlim()
    assert lo == 0 and 55 <= hi <= 60                                   # minutes, not 10 h
    assert "arrow: above" in cbar.get_xlabel() and "of the area" in cbar.get_xlabel()
    # a claim within 3x of the scale widens it; one far above is named instead
    r = dataclasses.replace(res6, figures=figures, targets=[Target("within 2 h", 7200), Target("1 week", 604800)])
    fig = P.plot_map(r)
    assert fig.axes[1].get_xlim()[1] == 120.0 and "1 week: above the scale" in fig.axes[1].get_xlabel()
    import matplotlib.pyplot as plt

    plt.close("all")


def test_land_only_map_leaves_the_ocean_empty(const6, res6, tmp_path):
    r = run(const6, Grid.land(10.0), res6.window, name="walker-6 land")
    fig = r.plot_map(tmp_path / "land.png", coastlines=False)
    img = read_png(tmp_path / "land.png")
    assert img.shape[:2] == MAP_PX
    assert np.allclose(pixel_at(fig, img, -150, 0), 1.0, atol=0.02)          # Pacific: nothing drawn
    africa = pixel_at(fig, img, 25, 5)
    assert not np.allclose(africa, 1.0, atol=0.05)                           # Congo: coloured


@pytest.mark.parametrize("figure", ["mean_revisit", "mean_response", "accesses", "coverage"])
def test_other_map_figures(res6, tmp_path, figure):
    fig = P.plot_map(res6, tmp_path / f"{figure}.png", figure=figure)
    img = read_png(tmp_path / f"{figure}.png")
    assert img.shape[:2] == MAP_PX and inside_axes(fig, img).std() > 0.03
    label = fig.axes[1].get_xlabel()
    assert {"coverage": "[%]", "accesses": "accesses"}.get(figure, "[") in label


def test_map_of_a_point_list_and_never_seen_points(const6, tmp_path):
    grid = Grid.points([0.0, 45.0, 89.9, -89.9], [0.0, 100.0, 0.0, 0.0])
    r = run(const6, grid, Window(START, 3600, 60))
    assert not r.seen.all()
    fig = P.plot_map(r, tmp_path / "pts.png")
    assert read_png(tmp_path / "pts.png").shape[:2] == MAP_PX
    assert any("never seen" in t.get_text() for t in fig.axes[0].get_legend().get_texts())


def test_time_units_and_figure_names():
    assert P.time_unit(90)[0] == "s" and P.time_unit(1800)[0] == "min" and P.time_unit(3 * 3600)[0] == "min"
    assert P.time_unit(10 * 3600)[0] == "h" and P.time_unit(3 * 86400)[0] == "h" and P.time_unit(7 * 86400)[0] == "d"
    assert P.format_time(600) == "10 min" and P.format_time(86400) == "1 day" and P.format_time(5400) == "1.5 h"
    assert set(CLI_MAP_FIGURES) == set(P.MAP_FIGURES)
    with pytest.raises(ValueError, match="unknown figure"):
        P.figure_key("nope")


# ---------------------------------------------------------------------- CDF and milestones
def test_weighted_cdf_matches_the_percentiles():
    v, c = P.weighted_cdf([3.0, 1.0, 2.0, np.nan], [1.0, 2.0, 1.0, 5.0])
    assert np.allclose(v, [1, 2, 3]) and np.allclose(c, [0.5, 0.75, 1.0])
    rng = np.random.default_rng(3)
    vals, w = rng.exponential(100.0, 500), rng.uniform(0.1, 1.0, 500)
    v, c = P.weighted_cdf(vals, w)
    for q in (10, 50, 90, 95, 100):
        assert v[np.searchsorted(c, q / 100 - 1e-12)] == weighted_percentile(vals, w, q)


def test_cdf_png(res6, res12, tmp_path):
    fig = P.plot_cdf([res12, res6], tmp_path / "cdf.png")
    img = read_png(tmp_path / "cdf.png")
    assert img.shape[:2] == (round(P.CDF_SIZE_IN[1] * P.DPI), round(P.CDF_SIZE_IN[0] * P.DPI))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("walker-6") and labels[1].startswith("walker-12")   # by satellites
    # every target is a vertical line at its threshold
    xs = sorted(round(line.get_xdata()[0]) for line in ax.lines if line.get_linestyle() == "--")
    assert xs == [600, 1800, 3600]
    # each curve ends at 100 % and is the area-weighted CDF of max revisit
    curve = ax.lines[0]
    y = np.asarray(curve.get_ydata())
    assert y[-1] == 100 and np.all(np.diff(y) >= 0)


def test_milestones_png_from_results_or_saved_summaries(res6, res12, tmp_path):
    fig = P.plot_milestones([res12, res6], tmp_path / "ms.png")
    img = read_png(tmp_path / "ms.png")
    assert img.shape[:2] == (round(P.MILESTONE_SIZE_IN[1] * P.DPI), round(P.MILESTONE_SIZE_IN[0] * P.DPI))
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and list(ax.get_xticks()) == [6, 12]
    p50 = next(line for line in ax.lines if line.get_label().startswith("MRT p50"))
    assert list(p50.get_ydata()) == [res6.summary()["max_revisit_s"]["p50"], res12.summary()["max_revisit_s"]["p50"]]
    stars = [(line.get_xdata()[0], line.get_ydata()[0]) for line in ax.lines if line.get_marker() == "*"]
    assert sorted(stars) == [(6, 1800), (6, 3600), (12, 600)]
    # from JSON summaries (as `revisit run --json` writes them)
    saved = [json.loads(json.dumps(r.summary())) for r in (res6, res12)]
    P.plot_milestones(saved, tmp_path / "ms2.png")
    assert read_png(tmp_path / "ms2.png").shape == img.shape


# ---------------------------------------------------------------------- ground tracks
def test_geodetic_round_trip():
    rng = np.random.default_rng(0)
    lat, lon, h = rng.uniform(-90, 90, 2000), rng.uniform(-180, 180, 2000), rng.uniform(-1, 40000, 2000)
    lat[:2] = (90, -90)
    xyz, _ = geodetic_to_ecef(lat, lon, h)
    la, lo, hh = ecef_to_geodetic(xyz)
    assert np.abs(la - lat).max() < 1e-9 and np.abs(hh - h).max() < 1e-6
    assert np.abs((lo - lon + 180) % 360 - 180)[2:].max() < 1e-9


def test_ground_track_matches_skyfield_subpoint(const6):
    from skyfield.api import EarthSatellite, wgs84

    from sim.engine.propagate import timescale

    t, lat, lon = P.ground_tracks(const6, START, hours=1.0, step_s=300)
    ts = timescale()
    sat = EarthSatellite.from_satrec(const6.satellites[2].satrec, ts)
    times = ts.utc(START.year, START.month, START.day, 0, 0, t)
    ref_lat, ref_lon = wgs84.latlon_of(sat.at(times))
    assert np.abs(lat[2] - ref_lat.degrees).max() < 1e-3
    assert np.abs((lon[2] - ref_lon.degrees + 180) % 360 - 180).max() < 1e-3


def test_antimeridian_split():
    lon = np.array([170.0, 178.0, -176.0, -170.0])
    lat = np.array([0.0, 2.0, 5.0, 7.0])
    x, y = P.split_antimeridian(lon, lat)
    assert np.isnan(x).sum() == 1
    k = int(np.flatnonzero(np.isnan(x))[0])
    assert x[k - 1] == 180 and x[k + 1] == -180 and y[k - 1] == y[k + 1] == pytest.approx(3.0)
    finite = np.isfinite(x)
    jumps = np.abs(np.diff(x))
    assert np.all(jumps[finite[1:] & finite[:-1]] <= 180)
    x, y = P.split_antimeridian(-lon, lat)                              # westward
    k = int(np.flatnonzero(np.isnan(x))[0])
    assert x[k - 1] == -180 and x[k + 1] == 180


def test_tracks_png(const6, tmp_path):
    fig = P.plot_tracks(const6, START, tmp_path / "tracks.png", hours=1.5)
    img = read_png(tmp_path / "tracks.png")
    assert img.shape[:2] == (round(P.TRACKS_SIZE_IN[1] * P.DPI), round(P.TRACKS_SIZE_IN[0] * P.DPI))
    assert inside_axes(fig, img).std() > 0.05
    ax = fig.axes[0]
    tracks = [line for line in ax.lines if line.get_linestyle() == "-"]
    assert len(tracks) == 6
    for line in tracks:
        x = np.asarray(line.get_xdata())
        y = np.asarray(line.get_ydata())
        ok = np.isfinite(x[1:]) & np.isfinite(x[:-1])
        assert np.all(np.abs(np.diff(x))[ok] <= 180)
        assert np.nanmax(np.abs(y)) < 83.5                              # 97.5 deg orbits reach ~82.6 deg


# ---------------------------------------------------------------------- all at once, and the CLI
def test_write_plots(res6, res12, const6, tmp_path):
    paths = P.write_plots([res6, res12], tmp_path / "out", [const6, None])
    names = sorted(p.name for p in paths)
    assert names == ["max_revisit-cdf.png", "milestones.png", "walker-12-max_revisit.png",
                     "walker-6-max_revisit.png", "walker-6-tracks.png"]
    for p in paths:
        read_png(p)


def test_cli_map_tracks_and_plots(tmp_path, tiny_2h_scenario):
    runner = CliRunner()
    scen = tmp_path / "tiny.toml"
    scen.write_text(tiny_2h_scenario)
    out = tmp_path / "m.png"
    r = runner.invoke(main, ["map", str(scen), "-o", str(out), "--figure", "coverage", "--land-only"])
    assert r.exit_code == 0, r.output
    assert read_png(out).shape[:2] == MAP_PX and f"wrote {out}" in r.output
    r = runner.invoke(main, ["tracks", str(scen), "-o", str(tmp_path / "t.png"), "--hours", "0.5"])
    assert r.exit_code == 0, r.output
    read_png(tmp_path / "t.png")
    r = runner.invoke(main, ["run", str(scen), "--plots", str(tmp_path / "plots"), "--json"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "max_revisit-cdf.png", "milestones.png", "tiny-max_revisit.png", "tiny-tracks.png"]
    r = runner.invoke(main, ["run", str(scen), "--land-only", "--json"])
    land = json.loads(r.output.strip().splitlines()[-1])
    assert land["points"] == len(Grid.land(10.0)) and land["grid"].startswith("land")


def test_cli_map_needs_one_scenario(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["map", "-o", str(tmp_path / "x.png")])
    assert r.exit_code != 0 and "one scenario" in r.output and "Traceback" not in r.output
    r = runner.invoke(main, ["map", "jilin1-2019", "--figure", "nope"])
    assert r.exit_code != 0 and "nope" in r.output

