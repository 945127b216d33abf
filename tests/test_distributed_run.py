"""One run on a Dask cluster (bands of latitude rows) gives the in-process figures, to the bit."""

import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from sim import Study
from sim.engine.bands import plan_bands, row_bands
from sim.engine.memory import FIXED_BYTES, MemoryLimitError, estimate_run_memory

distributed = pytest.importorskip("dask.distributed")

TINY = Path(__file__).parent / "data" / "tiny.toml"


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as c:
        yield c


def base(**kw):
    return Study.from_scenario("jilin1-2019").with_overrides(duration_s=2 * 3600, **kw)


CASES = {
    "regular": dict(grid_res_deg=6),
    "equal-area": dict(grid_res_deg=6, grid_kind="equal-area"),
    "band": dict(grid_res_deg=3, lat_min_deg=20, lat_max_deg=50),
    "points": dict(points=([10, -30, 45.5, 0, 80, 10, -89.5], [170, 20, -179.9, 180, 0, -5, 33])),
}


def assert_same(a, b):
    assert a.figures.keys() == b.figures.keys()
    for k in a.figures:
        assert np.array_equal(a.figures[k], b.figures[k], equal_nan=True), k
    assert a.groups.keys() == b.groups.keys()
    for g in a.groups:
        assert_same(a.groups[g], b.groups[g])


def without_cluster_fields(summary):
    return {k: v for k, v in summary.items() if k not in ("scheduler", "bands")}


@pytest.mark.parametrize("case", list(CASES))
def test_figures_identical_to_the_bit(client, case):
    study = base(**CASES[case])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        here = study.run(progress=False)
        there = study.run(progress=False, client=client)
    assert_same(here, there)
    assert np.array_equal(here.grid.lat_deg, there.grid.lat_deg)
    assert np.array_equal(here.grid.lon_deg, there.grid.lon_deg)
    assert there.meta["bands"] > 1 and there.meta["scheduler"] == client.scheduler.address
    assert without_cluster_fields(there.summary()) == here.summary()
    assert there.provenance["options"]["bands"] == there.meta["bands"]


def test_per_group_and_overlap_pruning(client):
    study = base(grid_res_deg=10)
    here = study.run(progress=False, per_group=True)
    there = study.run(progress=False, per_group=True, client=client)
    assert len(there.groups) == len(study.constellation.groups) > 1
    assert_same(here, there)
    pruned = Study.from_scenario("jilin1-2030-plan").with_overrides(grid_res_deg=10, duration_s=1800,
                                                                     off_nadir_deg=60)
    here, there = pruned.run(progress=False), pruned.run(progress=False, client=client)
    assert here.meta["overlap_pruning"] is True and there.meta["overlap_pruning"] is True
    assert_same(here, there)


def test_bands_are_whole_rows_of_about_equal_points():
    grid = base(grid_res_deg=2, grid_kind="equal-area").grid()
    bands = row_bands(grid, 8)
    starts = set(grid.rows()["row_start"].tolist()) | {len(grid)}
    assert bands[0][0] == 0 and bands[-1][1] == len(grid)
    assert all(a in starts and b in starts for a, b in bands)
    assert all(b1[1] == b2[0] for b1, b2 in zip(bands, bands[1:]))
    sizes = [b - a for a, b in bands]
    assert max(sizes) < 1.5 * len(grid) / len(bands)


def test_bands_fit_the_memory_limit_per_task():
    study = base(grid_res_deg=2)
    grid, window = study.grid(), study.window()
    n_sat = len(study.constellation)
    whole = estimate_run_memory(n_sat, len(grid), window.duration_s, window.step_s).total_bytes
    limit = 2 * (FIXED_BYTES + (whole - FIXED_BYTES) // 20)  # each task a twentieth of the points' memory
    plan = plan_bands(study.constellation, grid, window, slots=2, memory_limit_bytes=limit)
    assert len(plan.bands) >= 20 and plan.task_limit_bytes == limit // 2
    for a, b in plan.bands:
        need = estimate_run_memory(n_sat, b - a, window.duration_s, window.step_s, plan.chunk_samples)
        assert need.total_bytes <= plan.task_limit_bytes
    with pytest.raises(MemoryLimitError, match="one latitude row"):
        plan_bands(study.constellation, grid, window, slots=2, memory_limit_bytes=2 * FIXED_BYTES)


def test_cli_run_on_a_local_cluster_gives_the_same_json():
    runner = CliRunner()
    args = ["run", str(TINY), "--grid-res", "10", "--json"]
    here = runner.invoke(main, args)
    there = runner.invoke(main, args + ["--scheduler", "local", "--workers", "2"])
    assert here.exit_code == 0, here.output
    assert there.exit_code == 0, there.output
    a = json.loads(here.stdout.strip().splitlines()[-1])
    b = json.loads(there.stdout.strip().splitlines()[-1])
    assert b["bands"] > 1 and b["scheduler"].startswith("tcp://")
    assert without_cluster_fields(b) == a


def test_cli_workers_needs_a_local_cluster():
    r = CliRunner().invoke(main, ["run", str(TINY), "--workers", "2"])
    assert r.exit_code != 0 and "--scheduler local" in r.output


def test_local_workers_start_with_interrupts_ignored():
    """A terminal's Ctrl-C reaches every process of the group: local Dask workers start
    with SIGINT ignored (inherited across exec), so only this process stops the run and
    no worker prints a traceback; this process's own handler is restored after."""
    import signal
    import subprocess
    import sys

    from sim.studies.sweep import _workers_ignore_interrupts

    # Python's own handler, as in a terminal (a shell starts background jobs with SIGINT ignored).
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        probe = [sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"]
        with _workers_ignore_interrupts():
            inside = subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()
        outside = subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()
        assert (inside, outside) == ("True", "False")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, inherited)
