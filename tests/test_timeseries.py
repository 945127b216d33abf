"""Time series of a run: the per-sample satellite counts (sim.kernels.snapshots)
against a brute force over every (sample, point, satellite), the engine's series
against access windows found by another path (sim.studies.capacity), and its
outputs (NetCDF time axis, CSV, JSON, Dask bands)."""

import hashlib
import json
import logging
import warnings
from datetime import datetime, timedelta

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import TINY_2H_TOML
from reference import START, random_constellation, sample_counts
from sgp4.api import SatrecArray

from cli import main
from sim import Grid, Study, Window
from sim.engine.run import run
from sim.engine.timeseries import SERIES, chunk_samples_to_count
from sim.outputs.io import load_result, read_series_csv
from sim.studies.capacity import Targets, access_windows
from sim.engine.propagate import propagate_ecef
from sim.engine.run import sensor_array
from sim.engine.sun import sun_unit_ecef
from sim.kernels import coverage as K
from sim.kernels import snapshots as S


def kernel_counts(const, grid, window, n_min, n_blocks):
    sensor = sensor_array(const)
    t, pos, vel, valid = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), window, 0,
                                        window.n_samples)
    u, du, rad, rdot, reach = K.satellite_frames(pos, vel, sensor)
    steps = K.SatSteps(u, du, rad, rdot, reach, valid, t, sensor, sun_unit_ecef(window, 0, window.n_samples))
    acc = S.new_counts(len(grid))
    ks = np.arange(t.size, dtype=np.int64)
    out = S.count_chunk(acc, steps, grid.kernel_rows(n_blocks), grid.weight, ks, n_min)
    return acc, out


@pytest.mark.parametrize("seed,kind,lit,grid_kind", [(1, "off_nadir", False, "regular"),
                                                     (2, "off_nadir", True, "band"),
                                                     (3, "elevation", False, "regular"),
                                                     (4, "elevation", True, "points"),
                                                     (5, "off_nadir", False, "points"),
                                                     (6, "swath", False, "regular")])
def test_counts_equal_brute_force(seed, kind, lit, grid_kind):
    rng = np.random.default_rng(seed)
    const = random_constellation(rng, int(rng.integers(3, 6)), kind, lit)
    if grid_kind == "regular":
        grid = Grid.regular(15.0)
    elif grid_kind == "band":
        grid = Grid.regular(10.0, -40, 75)
    else:
        grid = Grid.points(rng.uniform(-89, 89, 80), rng.uniform(-180, 180, 80)).kernel_grid()
    window = Window(START, 2 * 3600, 120.0)
    ref, geometric, closest = sample_counts(const, grid, window)
    # Plain geometry decides the same except on a limit (ties within 1e-9 rad).
    assert np.all((ref == geometric) | (closest < 1e-9))
    w = grid.weight
    for n_min, n_blocks in ((1, 1), (2, 3), (3, 2)):
        acc, out = kernel_counts(const, grid, window, n_min, n_blocks)
        seen = ref >= 1
        assert np.array_equal(acc[:, S.N_SEEN], seen.sum(axis=0))
        assert np.array_equal(acc[:, S.SUM_COUNT], ref.sum(axis=0))
        assert np.array_equal(acc[:, S.MAX_COUNT], ref.max(axis=0))
        assert np.array_equal(acc[:, S.N_AT_LEAST], (ref >= n_min).sum(axis=0))
        least = np.where(seen, ref, np.iinfo(np.int64).max).min(axis=0)
        assert np.array_equal(np.where(seen.any(axis=0), acc[:, S.MIN_SEEN], -1),
                              np.where(seen.any(axis=0), least, -1))
        assert np.array_equal(out[:, :, S.MAX_IN_VIEW].max(axis=0), ref.max(axis=1))
        summed = out.sum(axis=0)
        np.testing.assert_allclose(summed[:, S.W_SEEN], seen @ w, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(summed[:, S.W_AT_LEAST], (ref >= n_min) @ w, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(summed[:, S.W_COUNT], ref @ w, rtol=1e-12, atol=1e-15)
    if kind == "swath":
        assert ref.sum() == 0  # a line at an instant covers no area
    else:
        assert ref.sum() > 0 and ref.max() >= 1


def tiny_study(lit=False):
    study = Study.from_scenario(TINY_2H_TOML)
    # Lit only, at a 300 s step: the kernel samples every 150 s, so every second sample is the user's.
    return study.with_overrides(min_sun_elevation_deg=10, step_s=300) if lit else study


def counts_from_windows(study, grid):
    """How many satellites see each point at each sample, from the access windows of
    sim.studies.capacity (their own kernel): (n_samples, n_points)."""
    window = study.window()
    targets = Targets(grid.lat_deg, grid.lon_deg, [str(i) for i in range(len(grid))], "grid")
    win, _ = access_windows(study.constellation, targets, window)
    t = window.sample_times()
    counts = np.zeros((t.size, len(grid)), np.int64)
    for i, a, b in zip(win.target, win.start_s, win.end_s):
        counts[(t >= a) & (t <= b), i] += 1
    return t, counts


def test_chunks_count_each_user_sample_once():
    n, stride = 23, 3  # samples 0, 3, ..., 21 and the window's end, 22
    for per_chunk in (2, 3, 5, 23):
        got, k0 = [], 0
        while k0 < n - 1:
            k1 = min(n, k0 + per_chunk)
            got += list(k0 + chunk_samples_to_count(k0, k1, stride, n))
            k0 = k1 - 1
        assert got == list(range(0, n - 1, stride)) + [n - 1], per_chunk


@pytest.mark.parametrize("lit", [False, True])
def test_series_equals_access_windows_at_the_samples(lit):
    study = tiny_study(lit)
    grid = study.grid()
    t, counts = counts_from_windows(study, grid)
    assert counts.sum() > 0
    w = grid.weight / grid.weight.sum()
    plain = run(study.constellation, grid, study.window(), device="cpu")
    for chunk in (None, 7):
        r = run(study.constellation, grid, study.window(), device="cpu", timeseries=True, chunk_samples=chunk,
                n_blocks=3)
        s = r.series
        assert np.array_equal(s.times_s, t)
        assert s.times_utc()[1] - s.times_utc()[0] == timedelta(seconds=study.step_s)
        np.testing.assert_allclose(s.values["coverage_share"], (counts >= 1) @ w, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(s.values["share_n"], (counts >= 2) @ w, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(s.values["mean_sats_in_view"], counts @ w, rtol=1e-12, atol=1e-15)
        assert np.array_equal(s.values["max_sats_in_view"], counts.max(axis=1))
        f = r.figures
        assert np.array_equal(f["max_in_view"], counts.max(axis=0))
        assert np.array_equal(f["min_in_view"], counts.min(axis=0))
        np.testing.assert_allclose(f["mean_in_view"], counts.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(f["share_in_view"], (counts >= 1).mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(f["share_in_view_n"], (counts >= 2).mean(axis=0), rtol=1e-12)
        # Cumulative: monotone, never below the instantaneous share, ends at the share ever seen.
        cum = s.values["cumulative_share"]
        assert np.all(np.diff(cum) >= 0) and np.all(cum >= s.values["coverage_share"] - 1e-12)
        assert cum[-1] == pytest.approx(float(w[f["seen"]].sum()), abs=1e-12)
        # The other figures are those of a plain run, to the bit.
        for k, v in plain.figures.items():
            assert np.array_equal(f[k], v, equal_nan=True), k
    assert plain.series is None and "min_in_view" not in plain.figures


def test_n_assets_and_gpu_refusal():
    study = tiny_study()
    grid = study.grid()
    _, counts = counts_from_windows(study, grid)
    r = run(study.constellation, grid, study.window(), device="cpu", timeseries=True, n_assets=1)
    assert r.series.n_assets == 1
    assert np.array_equal(r.series.values["share_n"], r.series.values["coverage_share"])
    assert r.summary()["timeseries"]["n_assets"] == 1
    with pytest.raises(ValueError, match="CPU only"):
        run(study.constellation, grid, study.window(), device="gpu", timeseries=True)
    with pytest.raises(ValueError, match="at least 1"):
        run(study.constellation, grid, study.window(), device="cpu", timeseries=True, n_assets=0)


def test_point_list_keeps_its_order():
    study = tiny_study()
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(-80, 80, 40), rng.uniform(-180, 180, 40)
    grid = Grid.points(lat, lon)
    _, counts = counts_from_windows(study, grid)
    r = run(study.constellation, grid, study.window(), device="cpu", timeseries=True)
    assert np.array_equal(r.figures["max_in_view"], counts.max(axis=0))
    np.testing.assert_allclose(r.series.values["mean_sats_in_view"], counts.mean(axis=1), rtol=1e-12)


def test_netcdf_time_axis_is_utc(tmp_path):
    xr = pytest.importorskip("xarray")
    study = tiny_study()
    r = study.run(device="cpu", progress=False, timeseries=True)
    path = r.save(tmp_path / "r.nc")
    with xr.open_dataset(path) as ds:
        want = [np.datetime64(t.replace(tzinfo=None), "ns") for t in r.series.times_utc()]
        assert list(ds["time"].values) == want
        assert ds["time"].values[0] == np.datetime64("2026-01-01T00:00:00")
        assert ds["time"].encoding["calendar"] == "standard"
        assert ds["time"].attrs["axis"] == "T"
        for name in SERIES:
            assert ds[name].dims == ("time",)
        np.testing.assert_array_equal(ds["coverage_share"].values, r.series.values["coverage_share"])
        assert ds["share_n"].attrs["n_assets"] == 2
        try:
            import cf_xarray  # noqa: F401  (registers ds.cf)
        except ImportError:
            pass
        else:
            assert ds.cf.axes == {"X": ["lon"], "Y": ["lat"], "T": ["time"]}
    with xr.open_dataset(path, decode_times=False) as raw:
        since, _, ref = raw["time"].attrs["units"].partition(" since ")
        assert since == "seconds" and datetime.fromisoformat(ref) == datetime(2026, 1, 1)  # UTC: no zone
        np.testing.assert_array_equal(raw["time"].values, r.series.times_s)
    back = load_result(path)
    assert back.series is not None and back.series.start == r.series.start
    for name in SERIES:
        assert np.array_equal(back.series.values[name], r.series.values[name]), name
    assert back.summary()["timeseries"] == r.summary()["timeseries"]
    assert np.array_equal(back.figures["mean_in_view"], r.figures["mean_in_view"])


def test_cli_writes_the_series(tmp_path):
    runner = CliRunner()
    out, nc, png = tmp_path / "cov.csv", tmp_path / "r.nc", tmp_path / "t.png"
    res = runner.invoke(main, ["run", str(TINY_2H_TOML), "--device", "cpu", "--timeseries", str(out), "-o", str(nc),
                               "--json", "--assets", "1"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.splitlines()[-1])
    series = read_series_csv(out)
    assert series.n_assets == 1
    lines = out.read_text().splitlines()
    assert lines[0] == "time_utc,coverage_share,cumulative_share,share_n,mean_sats_in_view,max_sats_in_view"
    assert lines[1].startswith("2026-01-01T00:00:00.000Z,") and lines[-1].startswith("2026-01-01T02:00:00.000Z,")
    assert len(lines) == 1 + 61 == 1 + len(summary["timeseries"]["time_utc"])
    assert summary["timeseries"]["time_utc"][:2] == ["2026-01-01T00:00:00.000Z", "2026-01-01T00:02:00.000Z"]
    assert summary["timeseries"]["coverage_share"] == series.values["coverage_share"].tolist()
    side = json.loads((tmp_path / "cov.csv.json").read_text())

    assert side["csv"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() and side["n_assets"] == 1
    # No temporary file is left beside the outputs.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cov.csv", "cov.csv.json", "r.nc"]
    res = runner.invoke(main, ["plot-time", str(nc), "-o", str(png)])
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = runner.invoke(main, ["plot-time", str(out), "-o", str(tmp_path / "c.png")])
    assert res.exit_code == 0, res.output


def test_cli_refusals(tmp_path):
    runner = CliRunner()
    tiny = str(TINY_2H_TOML)
    res = runner.invoke(main, ["run", tiny, "--assets", "2"])
    assert res.exit_code != 0 and "--timeseries" in res.output
    res = runner.invoke(main, ["run", tiny, "--device", "gpu", "--timeseries", str(tmp_path / "a.csv")])
    assert res.exit_code != 0 and "CPU only" in res.output
    res = runner.invoke(main, ["run", tiny, "--timeseries", str(tmp_path / "missing" / "a.csv")])
    assert res.exit_code != 0 and "Traceback" not in res.output and "missing" in res.output
    plain = tmp_path / "plain.nc"
    assert runner.invoke(main, ["run", tiny, "--device", "cpu", "-o", str(plain)]).exit_code == 0
    res = runner.invoke(main, ["plot-time", str(plain), "-o", str(tmp_path / "p.png")])
    assert res.exit_code != 0 and "no time series" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.nc"]


def test_dask_bands_give_the_same_series():
    distributed = pytest.importorskip("dask.distributed")
    study = tiny_study().with_overrides(grid_res_deg=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        here = study.run(device="cpu", progress=False, timeseries=True)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                      silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as c:
            there = study.run(device="cpu", progress=False, timeseries=True, client=c)
    assert there.meta["bands"] > 1
    for k, v in here.figures.items():
        assert np.array_equal(there.figures[k], v, equal_nan=True), k
    for name in SERIES:
        a, b = here.series.values[name], there.series.values[name]
        if name in ("max_sats_in_view", "cumulative_share"):
            assert np.array_equal(a, b), name
        else:  # sums of the same terms in another order
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15, err_msg=name)
