"""Results on disk: every format reads back the same result, files are written
atomically, runs are deterministic, and the memory guard estimates and refuses."""

import csv
import hashlib
import json
import os
import shlex
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from results import START, assert_same_result, canonical, tiny_constellation, tiny_run

from cli import main
from sim import Grid, Window
from sim.engine import memory
from sim.engine.metrics import REFINEMENT, per_point_figures
from sim.engine.propagate import propagate_ecef
from sim.kernels import coverage as K
from sim.outputs import io as sio

RUN_MODULE = sys.modules["sim.engine.run"]  # `sim.engine.run` the attribute is the function

TINY = """
[scenario]
name = "tiny"
claim = "anywhere within 2 hours"

[[target]]
name = "within 2 h"
max_revisit_h = 2

[window]
start = 2026-01-01T00:00:00Z
hours = 6
step_s = 60

[grid]
res_deg = 10

[[group]]
name = "g"
pattern = "walker_delta"
total = 6
planes = 3
phasing = 1
alt_km = 535
inclination_deg = "sso"
[group.sensor]
max_off_nadir_deg = 45
"""


@pytest.fixture(scope="module")
def regular_result():
    return tiny_run()


@pytest.fixture(scope="module")
def points_result():
    lat = [31.2, -33.9, 64.1, 0.0, 51.5, -77.8]
    lon = [121.5, 18.4, -21.9, 0.0, -0.1, 166.7]
    grid = Grid.points(lat, lon, weight=[1, 2, 1, 1, 3, 1], labels=["Shanghai", "Cape Town", "Reykjavik",
                                                                     "Null Island", "London, UK", "McMurdo"],
                       name="six cities")
    return tiny_run(grid)


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("ext", ["nc", "csv", "geojson"])
@pytest.mark.parametrize("which", ["regular_result", "points_result"])
def test_round_trip(ext, which, request, tmp_path):
    res = request.getfixturevalue(which)
    assert np.isnan(res.figures["max_revisit_interior_s"]).any()  # NaNs travel too
    path = tmp_path / f"r.{ext}"
    assert res.save(path) == path
    back = sio.load_result(path)
    assert_same_result(res, back)
    prov = back.provenance
    assert prov["window"]["step_s"] == 60.0 and prov["satellites"] == 6
    assert prov["versions"]["sgp4"] and prov["versions"]["numpy"] == np.__version__
    assert sio.load_summary(path) == back.summary()


def test_json_holds_summary_and_provenance(regular_result, tmp_path):
    path = regular_result.to_json(tmp_path / "r.json")
    doc = json.loads(path.read_text())
    assert doc["summary"] == json.loads(canonical(regular_result.summary()))
    assert doc["summary"]["claim"] == "anywhere within 3 hours"
    assert doc["provenance"]["refinement"] == REFINEMENT
    assert sio.load_summary(path) == doc["summary"]
    with pytest.raises(sio.InputError, match="summary and provenance only"):
        sio.load_result(path)


def test_netcdf_is_cf_on_lat_lon(regular_result, tmp_path):
    import netCDF4
    import xarray as xr

    path = regular_result.to_netcdf(tmp_path / "r.nc")
    # Read with the netCDF library itself (not xarray) as a second, independent reader.
    with netCDF4.Dataset(path) as nc:
        assert nc.Conventions == "CF-1.10"
        assert set(nc.dimensions) == {"lat", "lon", "nv"}  # nv: the two ends of a cell's bounds
        assert nc.variables["max_revisit_s"].dimensions == ("lat", "lon")
        assert nc.variables["lat"].units == "degrees_north" and nc.variables["lon"].units == "degrees_east"
        assert nc.variables["max_revisit_s"].units == "s" and nc.variables["coverage_fraction"].units == "1"
        lat = nc.variables["lat"][:].data
        lon = nc.variables["lon"][:].data
        mrt = nc.variables["max_revisit_s"][:].data
        seen = nc.variables["seen"][:].data
        assert json.loads(nc.revisit_provenance)["grid"]["points"] == 648
    assert lat.shape == (18,) and lon.shape == (36,)
    assert np.allclose(lat, np.arange(-85, 90, 10)) and np.allclose(lon, np.arange(-175, 180, 10))
    g = regular_result.grid
    for i in (0, 100, 333, 647):  # point i sits at (lat row, lon column) of its coordinates
        r, c = int(np.flatnonzero(lat == g.lat_deg[i])[0]), int(np.flatnonzero(lon == g.lon_deg[i])[0])
        assert mrt[r, c] == regular_result.figures["max_revisit_s"][i]
        assert seen[r, c] == regular_result.seen[i]
    with xr.open_dataset(path) as ds:
        assert ds["max_revisit_s"].dims == ("lat", "lon")
        assert ds["mean_response_s"].attrs["long_name"].startswith("mean wait")
        assert np.isclose(float(ds["area_weight"].sum()), 1.0)


def test_netcdf_point_layout(points_result, tmp_path):
    import xarray as xr

    path = points_result.to_netcdf(tmp_path / "p.nc")
    with xr.open_dataset(path) as ds:
        assert ds.attrs["featureType"] == "point"
        assert ds["max_revisit_s"].dims == ("point",) and ds.sizes["point"] == 6
        assert "London, UK" in [str(x) for x in ds["label"].values]


def test_csv_reads_with_plain_tools(regular_result, tmp_path):
    path = regular_result.to_csv(tmp_path / "r.csv")
    lines = path.read_text().splitlines()
    side = json.loads(sio.csv_sidecar(path).read_text())  # what rebuilds it: beside the CSV, not in it
    assert side["csv"]["columns"] == lines[0].split(",") and side["csv"]["rows"] == 648 == len(lines) - 1
    assert side["revisit"]["format"] == "revisit-result" and side["provenance"]["satellites"] == 6
    rows = list(csv.DictReader(lines))
    assert len(rows) == 648
    assert list(rows[0])[:3] == ["lat", "lon", "weight"] and "access_max_s" in rows[0]
    g, f = regular_result.grid, regular_result.figures
    for i in (0, 400):
        assert float(rows[i]["lat"]) == g.lat_deg[i] and float(rows[i]["lon"]) == g.lon_deg[i]
        assert float(rows[i]["mean_response_s"]) == f["mean_response_s"][i]
    unseen = int(np.flatnonzero(~regular_result.seen)[0])
    assert rows[unseen]["seen"] == "0" and rows[unseen]["access_min_s"] == ""  # NaN is an empty cell
    assert rows[0]["n_access"] == str(int(f["n_access"][0]))  # counts are whole numbers
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(path)
    assert df.shape == (648, 3 + len(f))


def test_geojson_is_a_feature_collection(points_result, tmp_path):
    path = points_result.to_geojson(tmp_path / "p.geojson")
    doc = json.loads(path.read_text())
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 6
    feat = next(ft for ft in doc["features"] if ft["properties"]["label"] == "Reykjavik")
    i = points_result.grid.labels.index("Reykjavik")
    assert feat["geometry"]["type"] == "Point"
    assert feat["geometry"]["coordinates"] == [points_result.grid.lon_deg[i], points_result.grid.lat_deg[i]]
    assert feat["geometry"]["coordinates"] == pytest.approx([-21.9, 64.1], abs=1e-12)
    props = feat["properties"]
    assert props["max_revisit_s"] == points_result.figures["max_revisit_s"][i]
    assert props["seen"] is bool(points_result.seen[i])
    assert "NaN" not in path.read_text()  # strict JSON: NaN is null
    assert doc["provenance"]["grid"]["name"] == "six cities"


def test_unknown_extension_is_refused(regular_result, tmp_path):
    with pytest.raises(sio.InputError, match="unknown output format '.txt'"):
        regular_result.save(tmp_path / "r.txt")
    assert list(tmp_path.iterdir()) == []


def test_garbage_file_is_an_input_error(tmp_path):
    for name, text in (("a.csv", "lat,lon\n1,2\n"), ("b.geojson", "{}"), ("c.nc", "not netcdf"),
                       ("d.json", "[1, 2]")):
        p = tmp_path / name
        p.write_text(text)
        with pytest.raises(sio.InputError):
            sio.load_summary(p)


# ---------------------------------------------------------------------------- CLI: run --out, show
@pytest.fixture
def scenario(tmp_path):
    p = tmp_path / "tiny.toml"
    p.write_text(TINY)
    return p


@pytest.mark.parametrize("ext", ["nc", "csv", "geojson", "json"])
def test_show_prints_what_run_printed(ext, scenario, tmp_path, monkeypatch):
    runner = CliRunner()
    out = tmp_path / f"tiny.{ext}"
    args = ["run", str(scenario), "--json", "--out", str(out)]
    monkeypatch.setattr(sys, "argv", ["/usr/bin/revisit", *args])  # what a shell would have run
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    run_json = r.stdout.strip().splitlines()[-1]
    shown = runner.invoke(main, ["show", str(out), "--json"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.strip() == run_json
    table_run = runner.invoke(main, ["run", str(scenario)])
    table_show = runner.invoke(main, ["show", str(out)])
    assert table_show.exit_code == 0
    assert table_show.stdout == table_run.stdout[table_run.stdout.index("scenario "):]
    prov = json.loads(runner.invoke(main, ["show", str(out), "--provenance"]).stdout)
    assert prov["scenario"]["text"] == TINY
    assert prov["scenario"]["sha256"] == hashlib.sha256(TINY.encode()).hexdigest()
    assert prov["command_line"] == shlex.join(["revisit", *args]) and prov["wall_s"] > 0
    assert prov["started_utc"].endswith("Z") and prov["window"]["duration_s"] == 21600
    assert prov["groups"][0]["sensor"]["max_off_nadir_deg"] == 45


def test_several_scenarios_get_one_file_each(scenario, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(TINY.replace('name = "tiny"', 'name = "other one"'))
    r = CliRunner().invoke(main, ["run", str(scenario), str(other), "--out", str(tmp_path / "res.json")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.glob("res*")) == ["res-other_one.json", "res-tiny.json"]
    assert json.loads((tmp_path / "res-other_one.json").read_text())["summary"]["scenario"] == "other one"


def test_catalog_provenance_has_its_hash(tmp_path, tle_lines):
    L1, L2, _, _ = tle_lines

    p = tmp_path / "one.tle"
    p.write_text(f"SAT A\n{L1}\n{L2}\n")
    out = tmp_path / "one.json"
    r = CliRunner().invoke(main, ["run", "--tle", str(p), "--days", "0.05", "--grid-res", "10", "--out", str(out)])
    assert r.exit_code == 0, r.output
    prov = json.loads(out.read_text())["provenance"]
    assert prov["scenario"] is None
    assert prov["catalogs"][0]["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------- atomic writes
def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_failed_run_leaves_no_file_and_keeps_the_old_one(scenario, tmp_path, monkeypatch):
    out = tmp_path / "kept.csv"
    out.write_text("an earlier result\n")
    before = _snapshot(tmp_path)
    calls = []
    real = RUN_MODULE.propagate_ecef

    def failing(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(*args)

    monkeypatch.setattr(RUN_MODULE, "propagate_ecef", failing)
    monkeypatch.setattr(RUN_MODULE, "estimate_chunk_samples", lambda *a, **k: 40)  # several chunks
    for target in (out, tmp_path / "new.nc"):
        calls.clear()
        r = CliRunner().invoke(main, ["run", str(scenario), "--out", str(target)])
        assert isinstance(r.exception, RuntimeError) and len(calls) == 3  # failed midway
        assert _snapshot(tmp_path) == before


def _fail_midway(ext, monkeypatch):
    """Make the writer for ``ext`` fail after part of the file is written."""
    if ext == "nc":
        import xarray as xr
        real = xr.Dataset.to_netcdf

        def to_netcdf(self, path, *a, **k):
            real(self, path, *a, **k)  # a complete file at the temporary path, then a failure
            raise OSError("quota exceeded")

        monkeypatch.setattr(xr.Dataset, "to_netcdf", to_netcdf)
        return
    if ext == "json":
        def dump(obj, f, **k):
            f.write('{"summary": {"scenario": ')
            raise OSError("quota exceeded")

        monkeypatch.setattr(sio.json, "dump", dump)
        return
    monkeypatch.setattr(sio, "BLOCK_ROWS", 100)  # 648 points: 7 blocks
    calls = []
    if ext == "csv":
        real_col = sio._text_column

        def col(*a):
            calls.append(1)
            if len(calls) > 4 * 15:  # 15 columns: fail in the fifth block
                raise OSError("quota exceeded")
            return real_col(*a)

        monkeypatch.setattr(sio, "_text_column", col)
    else:
        real_dumps = json.dumps

        def dumps(obj, *a, **k):
            calls.append(1)
            if len(calls) == 400:
                raise OSError("quota exceeded")
            return real_dumps(obj, *a, **k)

        monkeypatch.setattr(sio.json, "dumps", dumps)


@pytest.mark.parametrize("ext", ["csv", "geojson", "nc", "json"])
def test_failed_write_leaves_no_partial_file(ext, regular_result, tmp_path, monkeypatch):
    out = tmp_path / f"kept.{ext}"
    out.write_bytes(b"previous contents")
    before = _snapshot(tmp_path)
    written = []
    real_atomic = sio.atomic_write

    def spy(path, write):
        def wrapped(tmp):
            try:
                write(tmp)
            finally:
                written.append(os.path.getsize(tmp))
        return real_atomic(path, wrapped)

    real_pair = sio.atomic_write_pair

    def measured(write, tmp):
        try:
            write(tmp)
        finally:
            written.append(os.path.getsize(tmp))

    def spy_pair(path, write, side_path, write_side):  # a CSV and its sidecar
        return real_pair(path, lambda tmp: measured(write, tmp), side_path, write_side)

    monkeypatch.setattr(sio, "atomic_write", spy)
    monkeypatch.setattr(sio, "atomic_write_pair", spy_pair)
    _fail_midway(ext, monkeypatch)
    with pytest.raises(OSError, match="quota exceeded"):
        regular_result.save(out)
    monkeypatch.undo()
    assert written and written[0] > 10  # the failure came after bytes reached the temporary file
    assert _snapshot(tmp_path) == before


def test_interrupt_during_write_cleans_up(tmp_path):
    out = tmp_path / "x.json"
    out.write_text("old")

    def write(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sio.atomic_write(out, write)
    assert _snapshot(tmp_path) == {"x.json": b"old"}


def test_written_file_mode(regular_result, tmp_path):
    umask = os.umask(0o022)
    try:
        p = regular_result.to_json(tmp_path / "a.json")
        assert p.stat().st_mode & 0o777 == 0o644
        p.chmod(0o600)
        regular_result.to_json(p)
        assert p.stat().st_mode & 0o777 == 0o600  # an existing file keeps its mode
    finally:
        os.umask(umask)


# ---------------------------------------------------------------------------- determinism
def test_same_inputs_same_numbers(regular_result):
    again = tiny_run()
    for k, v in regular_result.figures.items():
        assert np.array_equal(v, again.figures[k], equal_nan=True), k
    # Chunking (which the memory guard may shrink) does not change a bit either.
    chunked = tiny_run(chunk_samples=7)
    for k, v in regular_result.figures.items():
        assert np.array_equal(v, chunked.figures[k], equal_nan=True), k


def test_same_inputs_same_csv(scenario, tmp_path):
    texts = []
    for i in range(2):
        out = tmp_path / f"run{i}.csv"
        r = CliRunner().invoke(main, ["run", str(scenario), "--out", str(out)])
        assert r.exit_code == 0, r.output
        side = json.loads(sio.csv_sidecar(out).read_text())
        assert side["csv"].pop("file") == out.name
        prov = side.pop("provenance")
        assert prov["started_utc"] and prov["wall_s"] is not None
        for key in ("started_utc", "wall_s"):
            prov.pop(key)
        texts.append([json.dumps(side), json.dumps(prov), out.read_text()])
    assert texts[0] == texts[1]


# ---------------------------------------------------------------------------- memory guard
def test_estimate_of_a_big_run_is_a_few_gb():
    est = memory.estimate_run_memory(138, Grid.regular(0.25).lat_deg.size, 30 * 86400.0, 60.0)
    n = 720 * 1440
    assert est.n_points == n
    # at least what the state and figures must hold, at most a few GB
    assert est.total_bytes > n * 8 * (K.NSTATE + 11)
    assert est.total_bytes < 2e9, est.describe()
    # a window 30 times longer streams: same peak
    assert est.total_bytes == memory.estimate_run_memory(138, n, 86400.0, 60.0).total_bytes


def test_estimate_covers_the_arrays_a_run_allocates():
    """The per-point and per-sample constants bound the arrays the code really makes."""
    const = tiny_constellation()
    window = Window(START, 3600.0, 60.0)
    n_sat, n_pts = 6, 500
    state = K.new_state(n_pts)
    assert state.nbytes <= memory.STATE_BYTES_PER_POINT * n_pts
    figs = per_point_figures(state, 3600.0, 1e-3)
    assert state.nbytes + sum(v.nbytes for v in figs.values()) <= memory.FIGURES_BYTES_PER_POINT * n_pts
    grid = Grid.regular(10.0)
    rows = grid.rows()
    held = sum(a.nbytes for a in rows.values()) + 3 * grid.lat_deg.nbytes + grid.blocks(2)[0].nbytes
    assert held <= memory.GRID_BYTES_PER_POINT * len(grid)
    t, pos, vel, valid = propagate_ecef([s.satrec for s in const.satellites], window, 0, 61)
    sensor = RUN_MODULE.sensor_array(const)
    frames = K.satellite_frames(pos, vel, sensor)
    per_sat_sample = (pos.nbytes + vel.nbytes + valid.nbytes + sum(a.nbytes for a in frames)) / (n_sat * 61)
    assert per_sat_sample <= memory.BYTES_PER_SATELLITE_SAMPLE


def test_tiny_limit_is_refused_with_the_size():
    with pytest.raises(memory.MemoryLimitError) as err:
        tiny_run(memory_limit_bytes=1_000_000)
    msg = str(err.value)
    assert "needs about" in msg and "1.0 MB" in msg and "coarser grid" in msg and "\n" not in msg


def test_a_tight_limit_shrinks_chunks_not_results(regular_result):
    n_pts = len(regular_result.grid)
    full = memory.estimate_run_memory(6, n_pts, 6 * 3600.0, 60.0)
    assert full.chunk_samples == 361  # the whole window in one chunk
    p = full.parts
    limit = p["fixed"] + p["grid"] + p["state"] + max(p["kernel tables"] + 50 * memory.bytes_per_sample(6, n_pts, 60.0),
                                                      p["figures"] + p["output"])
    assert limit < full.total_bytes
    chunk = memory.plan_chunk_samples(6, n_pts, 6 * 3600.0, 60.0, limit)
    assert 50 <= chunk < 361
    assert memory.estimate_run_memory(6, n_pts, 6 * 3600.0, 60.0, chunk).total_bytes <= limit
    res = tiny_run(memory_limit_bytes=limit)
    for k, v in regular_result.figures.items():
        assert np.array_equal(v, res.figures[k], equal_nan=True), k


def test_default_limit_is_half_the_available_memory(monkeypatch):
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 8 * 10**9)
    assert memory.default_memory_limit_bytes() == 4 * 10**9
    with pytest.raises(memory.MemoryLimitError, match=r"50% of the 8.0 GB available"):
        memory.plan_chunk_samples(138, 20_000_000, 86400.0, 60.0)


@pytest.mark.parametrize("text, value", [("4GB", 4 * 10**9), ("512 MB", 512 * 10**6), ("2GiB", 2 * 2**30),
                                         ("1e9", 10**9), ("1.5g", 1.5e9)])
def test_parse_size(text, value):
    assert memory.parse_size(text) == value


@pytest.mark.parametrize("text", ["", "lots", "4 GBs", "0", "-1GB"])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError):
        memory.parse_size(text)


def test_available_memory_is_plausible():
    avail = memory.available_memory_bytes()
    assert avail is None or 10**7 < avail < 2**50


def test_an_interrupted_csv_leaves_the_earlier_pair_readable(tmp_path, monkeypatch):
    """Ctrl-C while the new CSV is flushed to disk: the earlier CSV and its sidecar
    stay a pair that loads (the sidecar was once renamed before the CSV was ready)."""
    import os as os_module

    from constellation import files
    from sim.outputs.io import load_result, to_csv

    from results import tiny_run

    res = tiny_run()
    path = tmp_path / "x.csv"
    to_csv(res, path)
    before = (path.read_bytes(), (tmp_path / "x.csv.json").read_bytes())
    real_fsync = os_module.fsync

    def interrupt_at_the_csv(fd):
        name = os_module.path.basename(os_module.readlink(f"/proc/self/fd/{fd}"))
        if name.startswith(".x.csv.") and not name.startswith(".x.csv.json."):
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", interrupt_at_the_csv)
    res.meta["claim"] = "changed"
    with pytest.raises(KeyboardInterrupt):
        to_csv(res, path)
    monkeypatch.undo()
    assert (path.read_bytes(), (tmp_path / "x.csv.json").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv", "x.csv.json"]
    load_result(path)  # still a pair


@pytest.mark.parametrize("ext", ["nc", "csv", "geojson"])
def test_show_gives_back_the_groups_and_series_of_any_result_file(ext, tmp_path):
    """Per-group figures and the time series are not per-point figures: show takes
    them from the summary the run wrote, so every format shows what .json shows."""
    out, series = tmp_path / f"g.{ext}", tmp_path / "ts.csv"
    r = CliRunner().invoke(main, ["run", "jilin1-2019", "--grid-res", "30", "--days", "0.1", "--per-group",
                                  "--timeseries", str(series), "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    ran = json.loads(r.stdout)
    shown = json.loads(CliRunner().invoke(main, ["show", str(out), "--json"]).stdout)
    assert shown["groups"] == ran["groups"] and len(shown["groups"]) > 1
    assert {k: v for k, v in ran["timeseries"].items() if not isinstance(v, list)} == shown["timeseries"]
    text = CliRunner().invoke(main, ["show", str(out)]).stdout
    assert all(f"  {g['group']}"[:18] in text for g in ran["groups"])
