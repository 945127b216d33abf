"""Result files open cleanly in other tools: xarray (CF-1.10: CRS, bounds, cell
measures, maps that plot), GDAL/rasterio (the CRS of the NetCDF and the
GeoTIFF), cf_xarray, pandas (a plain CSV), and notebooks (a short repr)."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from results import assert_same_result, tiny_run

from cli import main
from sim import Grid
from sim.outputs import io as sio

DATA = Path(__file__).resolve().parent / "data"
WGS84_AREA_M2 = 5.10065621718e14  # the WGS-84 ellipsoid's surface
NAMES = ["Paris #1", "Lyon, France", 'the "Q" site', "Zürich", "北京", "NA"]


@pytest.fixture(scope="module")
def grids():
    return {"regular": tiny_run(), "equal-area": tiny_run(Grid.equal_area(10.0)),
            "land": tiny_run(Grid.land(10.0)), "band": tiny_run(Grid.regular(10.0, -40.0, 60.0))}


@pytest.fixture(scope="module")
def named():
    lat = [48.85, 45.76, 0.0, 47.37, 39.9, -22.56]
    lon = [2.35, 4.84, 0.0, 8.54, 116.4, 17.08]
    return tiny_run(Grid.points(lat, lon, labels=NAMES, name="names"))


# ---------------------------------------------------------------------------- NetCDF / xarray
@pytest.mark.parametrize("kind", ["regular", "equal-area", "land", "band"])
def test_every_figure_has_crs_bounds_and_cell_measures(grids, kind, tmp_path):
    import xarray as xr

    res = grids[kind]
    path = res.to_netcdf(tmp_path / "r.nc")
    with xr.open_dataset(path) as ds:
        assert ds.attrs["Conventions"] == "CF-1.10"
        crs = ds["crs"].attrs
        assert crs["grid_mapping_name"] == "latitude_longitude" and crs["semi_major_axis"] == 6378137.0
        assert crs["inverse_flattening"] == pytest.approx(298.257223563, rel=1e-15)
        assert 'AUTHORITY["EPSG","4326"]' in crs["crs_wkt"] and crs["spatial_ref"] == crs["crs_wkt"]
        for name in res.figures:
            da = ds[name]
            assert da.dims == ("lat", "lon") and da.attrs["grid_mapping"] == "crs"
            assert da.attrs["cell_measures"] == "area: cell_area"
            assert "(s)" not in da.attrs["long_name"], name
        assert ds["lat"].attrs["bounds"] == "lat_bnds" and ds["lon"].attrs["bounds"] == "lon_bnds"
        lat_b, lon_b = ds["lat_bnds"].values, ds["lon_bnds"].values
        assert np.allclose(lat_b.mean(axis=1), ds["lat"].values) and np.allclose(lon_b.mean(axis=1), ds["lon"])
        assert ds["cell_area"].attrs["units"] == "m2" and ds["cell_area"].attrs["standard_name"] == "cell_area"
        if kind in ("regular", "equal-area", "land"):  # the global raster covers the ellipsoid once
            assert float(ds["cell_area"].sum()) == pytest.approx(WGS84_AREA_M2, rel=1e-9)
        if kind in ("equal-area", "land"):
            assert ds.attrs["revisit_layout"] == "lat_lon_and_point"
            total = float(ds["point_cell_area"].sum())  # the points' own cells: all of the Earth, or the land
            assert total == pytest.approx(WGS84_AREA_M2, rel=1e-9) if kind == "equal-area" else \
                0.2 * WGS84_AREA_M2 < total < 0.4 * WGS84_AREA_M2
            assert ds["point_max_revisit_s"].attrs["cell_measures"] == "area: point_cell_area"
    assert_same_result(res, sio.load_result(path))


def test_the_raster_view_holds_each_points_value(grids):
    for kind in ("equal-area", "land"):
        res = grids[kind]
        ds = res.to_xarray()
        g = res.grid
        img = ds["max_revisit_s"].values
        i, j, _ = g.cell_index()
        if kind == "land":  # each land point in its own cell, NaN elsewhere
            assert np.array_equal(img[i, j], res.figures["max_revisit_s"])
            assert np.isnan(img).sum() == img.size - len(g)
        else:  # the equal-area grid fills the raster without holes
            assert not np.isnan(img).any()
            assert set(np.unique(img)) <= set(res.figures["max_revisit_s"])
        assert np.array_equal(ds["point_max_revisit_s"].values, res.figures["max_revisit_s"])  # exact
        assert np.array_equal(ds["point_lat"].values, g.lat_deg)


def test_integer_and_flag_types_on_disk(grids, named, tmp_path):
    import netCDF4

    for res in (grids["regular"], grids["equal-area"], named):
        path = res.to_netcdf(tmp_path / "r.nc")
        with netCDF4.Dataset(path) as nc:
            assert nc.variables["n_access"].dtype == np.int32
            assert nc.variables["seen"].dtype == np.int8
            if "point_n_access" in nc.variables:
                assert nc.variables["point_n_access"].dtype == np.int32
                assert nc.variables["n_access"]._FillValue == -1  # the raster's empty cells


def test_to_xarray_is_what_the_file_holds(grids, tmp_path):
    import xarray as xr

    res = grids["land"]
    ds = res.to_xarray()
    with xr.open_dataset(res.to_netcdf(tmp_path / "r.nc")) as back:
        assert set(back.variables) == set(ds.variables)
        for name in ds.variables:
            np.testing.assert_array_equal(back[name].values, ds[name].values, err_msg=name)
            assert json.dumps(back[name].attrs, default=str) == json.dumps(ds[name].attrs, default=str), name


def test_point_lists_stay_on_a_point_dimension(named):
    ds = named.to_xarray()
    assert ds.attrs["revisit_layout"] == "point" and ds.attrs["featureType"] == "point"
    assert ds["max_revisit_s"].dims == ("point",) and list(ds["label"].values) == NAMES
    assert ds["max_revisit_s"].attrs["grid_mapping"] == "crs" and "cell_measures" not in ds["max_revisit_s"].attrs


def test_cf_xarray_finds_bounds_and_cell_measures(grids, tmp_path):
    pytest.importorskip("cf_xarray")
    import xarray as xr

    path = grids["equal-area"].to_netcdf(tmp_path / "r.nc")
    with xr.open_dataset(path) as ds:
        assert ds.cf.bounds["lat"] == ["lat_bnds"] and ds.cf.bounds["lon"] == ["lon_bnds"]
        assert ds.cf.bounds["point_lat"] == ["point_lat_bnds"]
        assert ds.cf.cell_measures["area"] == ["cell_area", "point_cell_area"]
        assert ds.cf["max_revisit_s"].cf.cell_measures == {"area": ["cell_area"]}
        assert ds.cf.grid_mapping_names == {"latitude_longitude": ["crs"]}
        assert ds.cf.axes == {"X": ["lon"], "Y": ["lat"]}


def test_xarray_plots_the_equal_area_map(grids, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import xarray as xr

    path = grids["equal-area"].to_netcdf(tmp_path / "r.nc")
    with xr.open_dataset(path) as ds:
        mesh = ds.max_revisit_s.plot()
        assert mesh.get_array().shape == (18 * 36,) or mesh.get_array().shape == (18, 36)
        label = " ".join(mesh.colorbar.ax.get_ylabel().split())  # xarray wraps long labels
        assert label == "longest gap, edge gaps included [s]", label  # the unit once
        assert mesh.axes.get_xlabel().startswith("longitude") and mesh.axes.get_ylabel().startswith("latitude")
    plt.close("all")


def test_rasterio_reads_the_crs_of_the_netcdf(grids, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    path = grids["equal-area"].to_netcdf(tmp_path / "r.nc")
    with rasterio.open(f"netcdf:{path}:max_revisit_s") as src:
        assert src.crs.to_epsg() == 4326
        assert src.shape == (18, 36) and src.transform.c == -180.0 and src.transform.f == 90.0


# ---------------------------------------------------------------------------- GeoTIFF
def test_geotiff_one_band_per_figure_or_the_one_chosen(grids, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    pytest.importorskip("rioxarray")
    res = grids["land"]
    path = res.to_geotiff(tmp_path / "all.tif")
    raster = res.grid.raster(res.figures["max_revisit_s"].astype(float))[::-1]  # north up
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4326 and src.count == len(res.figures)
        assert src.descriptions == tuple(res.figures) and src.units[0] == "s"
        assert src.transform.a == 10.0 and src.transform.e == -10.0 and src.transform.f == 90.0
        np.testing.assert_array_equal(src.read(1), raster)
        assert np.isnan(src.nodata)
        assert json.loads(src.tags()["revisit_summary"]) == json.loads(json.dumps(sio.jsonable(res.summary())))
    path = res.to_geotiff(tmp_path / "mrt.tif", figure="mean_response_s")
    with rasterio.open(path) as src:
        assert src.count == 1 and src.descriptions == ("mean_response_s",)
    with pytest.raises(sio.InputError, match="no figure 'nope'"):
        res.to_geotiff(tmp_path / "x.tif", figure="nope")


def test_geotiff_of_a_point_list_is_refused(named, tmp_path):
    pytest.importorskip("rioxarray")
    with pytest.raises(sio.InputError, match="a point list has no map"):
        named.save(tmp_path / "p.tif")
    assert not (tmp_path / "p.tif").exists()


def test_cli_writes_and_shows_a_geotiff(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    pytest.importorskip("rioxarray")
    out = tmp_path / "map.tif"
    r = CliRunner().invoke(main, ["run", str(DATA / "tiny.toml"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 4326 and "max_revisit_s" in src.descriptions
    shown = CliRunner().invoke(main, ["show", str(out), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["scenario"] == "tiny"


def test_cli_says_what_to_install_for_a_geotiff(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rioxarray", None)  # as if it were not installed
    r = CliRunner().invoke(main, ["run", str(DATA / "tiny.toml"), "-o", str(tmp_path / "map.tif")])
    assert r.exit_code != 0 and "Traceback" not in r.output
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "pip install 'revisit[gis]'" in last, r.output
    assert list(tmp_path.iterdir()) == []  # refused before the run


# ---------------------------------------------------------------------------- CSV and pandas
def test_pandas_reads_the_csv_as_it_is(named, tmp_path):
    pd = pytest.importorskip("pandas")
    path = named.to_csv(tmp_path / "p.csv")
    assert sio.csv_sidecar(path).is_file() and not path.read_text().startswith("#")
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])  # "NA" is a name here
    assert list(df["label"]) == NAMES
    plain = pd.read_csv(path)  # no options: every row, every name but the one pandas takes for missing
    assert plain.shape[0] == len(NAMES) and list(plain["label"][:5]) == NAMES[:5]
    ref = named.to_dataframe()
    assert list(ref["name"]) == NAMES
    for col in ref.columns:
        got = df["label" if col == "name" else col]
        if col == "name":
            assert list(got) == list(ref[col])
        else:
            np.testing.assert_array_equal(got.to_numpy(dtype=float), ref[col].to_numpy(dtype=float), err_msg=col)
    assert df["n_access"].dtype.kind == "i"
    back = sio.load_result(path)
    assert back.grid.labels == NAMES
    assert_same_result(named, back)


def test_revisit_show_reads_the_csv_and_its_sidecar(tmp_path):
    out = tmp_path / "r.csv"
    r = CliRunner().invoke(main, ["run", str(DATA / "tiny.toml"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert f"wrote {out} and {out}.json" in r.output
    for f in (out, Path(f"{out}.json")):
        shown = CliRunner().invoke(main, ["show", str(f), "--json"])
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.output)["scenario"] == "tiny"


def test_a_changed_csv_or_a_missing_sidecar_is_refused(named, tmp_path):
    path = named.to_csv(tmp_path / "p.csv")
    path.write_text(path.read_text().replace("Zürich", "Zurich"))
    with pytest.raises(sio.InputError, match="is not the CSV its sidecar p.csv.json describes"):
        sio.load_result(path)
    sio.csv_sidecar(path).unlink()
    with pytest.raises(sio.InputError, match="not a revisit result: no p.csv.json beside it"):
        sio.load_result(path)


# ---------------------------------------------------------------------------- pandas and notebooks
def test_to_dataframe(grids, named):
    df = grids["land"].to_dataframe()
    res = grids["land"]
    assert list(df.columns) == ["lat", "lon", "weight", *res.figures] and len(df) == len(res.grid)
    assert df.index.name == "point"
    assert df["seen"].dtype == bool and df["n_access"].dtype == np.int64 and df["max_revisit_s"].dtype == float
    np.testing.assert_array_equal(df["weight"], res.grid.weight)
    assert list(named.to_dataframe().columns[:4]) == ["lat", "lon", "weight", "name"]


def test_repr_is_one_short_line_and_html_a_table(grids):
    res = grids["regular"]
    text = repr(res)
    assert "\n" not in text and len(text) < 200, text
    s = res.summary()
    assert re.match(r"<Result tiny: 6 satellites, 648 points \(global 10 deg\), 2026-01-01T00:00Z \+ 6\.0 h "
                    r"\(step 60 s\); MRT p50 \S+ \S+, p95 \S+ \S+>$", text), text
    assert s["max_revisit_s"]["p50"] > 0
    html = res._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == 7 + len(res.targets) and len(html) < 3000
    assert "within 3 h" in html


# ---------------------------------------------------------------------------- sweep tables
def test_sweep_table_netcdf_has_units_and_long_names(tmp_path):
    import xarray as xr

    from sim.studies.sweep import FIGURE_COLUMNS, write_table

    rows = []
    for i, alt in enumerate((500.0, 600.0)):
        row = {"index": i, "key": f"k{i}", "label": f"alt_km={alt:g}", "alt_km": alt,
               "sensor.max_off_nadir_deg": 30.0, "window.days": 1.0, "status": "ok"}
        row.update({k: 1.5 for k in FIGURE_COLUMNS})
        row.update(satellites=12, points=648, within_10_min_threshold_s=600.0, within_10_min_share_met=0.25,
                   within_10_min_verdict="not met", within_10_min_share_mean_response_met=0.5, error="")
        rows.append(row)
    write_table(rows, tmp_path / "t.nc")
    with xr.open_dataset(tmp_path / "t.nc") as ds:
        units = {k: ds[k].attrs.get("units") for k in ds.data_vars}
        assert units["max_revisit_p95_s"] == units["mean_response_s"] == units["within_10_min_threshold_s"] == "s"
        assert units["coverage_fraction"] == units["within_10_min_share_met"] == units["satellites"] == "1"
        assert units["accesses_per_day"] == "d-1" and units["alt_km"] == "km" and units["window.days"] == "d"
        assert units["sensor.max_off_nadir_deg"] == "degree"
        assert units["label"] is None and units["status"] is None  # text has no unit
        for k in ds.data_vars:
            name = ds[k].attrs["long_name"]
            assert name and "(s)" not in name, k
        assert ds["max_revisit_p95_s"].attrs["long_name"] == "area-weighted 95th percentile of the points' max revisit"
        assert ds["within_10_min_share_met"].attrs["long_name"].startswith("within_10_min: share of the area")
