"""Faults as a user meets them: each ends as one line naming the cause, a non-zero
exit status, and no file created or replaced that should not be.  No Python
traceback, no hang, no allocation the machine cannot hold.

Memory refusals are checked without allocating: the available memory is made
small and the builders the refusal must come before (grids, propagation, the
simulation) fail the test if they are called.  Disk faults (full, read-only)
are simulated by patching the system calls the writers make; FIFOs and
character devices are made in tmp_path; the fake Dask server listens on
127.0.0.1 only.
"""

import errno
import json
import math
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import constellation.files as files
import sim.engine.memory as memory
from cli import main
from sim.engine.grid import Grid, count_points
from sim.studies.study import Study

ROOT = Path(__file__).resolve().parents[1]

SWEEP_TOML = """
[sweep]
name = "faults"
[window]
start = 2026-01-01T00:00:00Z
hours = 2
step_s = 120
[grid]
res_deg = 15
[[target]]
name = "within 1 h"
max_revisit_h = 1
[group]
pattern = "walker_delta"
alt_km = 535
inclination_deg = 60
phasing = 1
planes = 2
[group.sensor]
max_off_nadir_deg = 45
[vary]
sats_per_plane = [2]
"""

FAMILY_TOML = SWEEP_TOML.split("[vary]")[0].replace("planes = 2\n", "")


# ---------------------------------------------------------------- helpers
def error_line(r, late: bool = False) -> str:
    """The one error line of a failed command (asserting there is exactly one, and
    no traceback); unless ``late`` (a failure after the work), nothing but a
    run's progress label before it."""
    assert r.exit_code not in (0, None), r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    assert len(errors) == 1 and lines[-1] == errors[0], r.output
    assert late or len(lines) <= 2, r.output
    return errors[0]


def snapshot(folder: Path) -> dict:
    """Every path under ``folder`` with its kind, size, time and content."""
    out = {}
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        data = p.read_bytes() if stat.S_ISREG(st.st_mode) else None
        out[str(p.relative_to(folder))] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, data)
    return out


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def tiny(tmp_path, monkeypatch, tiny_scenario):
    """A tiny scenario file (tests/data/tiny.toml), with the working folder in tmp_path."""
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "tiny.toml"
    p.write_text(tiny_scenario)
    return p


@pytest.fixture
def sweep_spec(tmp_path):
    p = tmp_path / "sweep.toml"
    p.write_text(SWEEP_TOML)
    return p


@pytest.fixture
def little_memory(monkeypatch):
    """200 MB available: the default limit is 100 MB."""
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 200 * 10**6)


def _fail(what):
    def called(*args, **kwargs):
        pytest.fail(f"{what} was called: the refusal must come first")
    return called


@pytest.fixture
def no_grid(monkeypatch):
    for name in ("build", "regular", "equal_area", "land"):
        monkeypatch.setattr(Grid, name, classmethod(_fail(f"Grid.{name}")))


@pytest.fixture
def no_simulation(monkeypatch):
    """Every way a command simulates fails the test (the outputs are checked first)."""
    import sim.engine.propagate
    import sim.studies.capacity
    import sim.studies.study
    import sim.studies.survey
    import sim.studies.sweep

    monkeypatch.setattr(sim.studies.study, "run_engine", _fail("the simulation"))
    monkeypatch.setattr(sim.studies.survey, "run", _fail("the survey"))
    monkeypatch.setattr(sim.studies.capacity, "propagate_ecef", _fail("the targets' propagation"))
    monkeypatch.setattr(sim.engine.propagate, "propagate_ecef", _fail("the propagation"))
    monkeypatch.setattr(sim.studies.sweep, "run_configuration", _fail("a sweep configuration"))


# ---------------------------------------------------------------- memory, estimated before allocating
@pytest.mark.parametrize("res, kind, lo, hi", [(1.0, "regular", -90, 90), (0.7, "regular", -33.3, 61.2),
                                               (1.0, "equal-area", -90, 90), (0.7, "equal-area", -33.3, 61.2),
                                               (7.0, "regular", -90, 90), (2.5, "equal-area", 0, 1.5)])
def test_grid_points_are_counted_without_building(res, kind, lo, hi):
    assert count_points(res, lo, hi, kind) == len(Grid.build(res, lo, hi, kind))


def test_land_only_counts_the_full_grid_as_its_bound():
    study = Study.from_scenario("jilin1-2019").with_overrides(grid_res_deg=5.0, land_only=True)
    assert study.grid_spec.n_points() == count_points(5.0) >= len(study.grid())


@pytest.mark.parametrize("extra", [[], ["--grid-kind", "equal-area"], ["--land-only"], ["--memory-limit", "50MB"]])
def test_a_run_too_big_is_refused_before_its_grid_is_built(tiny, tmp_path, little_memory, no_grid, extra):
    before = snapshot(tmp_path)
    t0 = time.perf_counter()
    r = invoke("run", tiny, "--grid-res", "0.01", "-o", tmp_path / "r.nc", "--plots", tmp_path / "plots", *extra)
    line = error_line(r)
    assert "needs about" in line and "points" in line and "memory limit" in line and "coarser grid" in line
    assert time.perf_counter() - t0 < 20
    assert snapshot(tmp_path) == before


def test_study_checks_memory_from_the_sizes(tiny, no_grid):
    study = Study.from_scenario(tiny).with_overrides(grid_res_deg=0.01)
    assert study.grid_spec.n_points() == 18000 * 36000
    with pytest.raises(memory.MemoryLimitError, match="648,000,000 points"):
        study.check_memory(10**9)
    with pytest.raises(memory.MemoryLimitError):
        study.run(memory_limit_bytes=10**9)


def test_available_memory_is_what_the_container_leaves(monkeypatch, tmp_path):
    import psutil

    limit_file = tmp_path / "memory.max"
    limit_file.write_text("3000000000\n")
    monkeypatch.setattr(memory, "CGROUP_LIMIT_FILES", (str(tmp_path / "absent"), str(limit_file)))
    if sys.platform.startswith("linux"):
        assert memory.process_memory_limit_bytes() == min(3 * 10**9, psutil.virtual_memory().total)
        rss = psutil.Process().memory_info().rss
        avail = memory.available_memory_bytes()
        assert avail <= 3 * 10**9 - rss + 50 * 10**6  # what this process may still grow by under its limit
    limit_file.write_text("max\n")  # cgroup v2: no limit
    assert memory.process_memory_limit_bytes() <= psutil.virtual_memory().total
    assert memory.available_memory_bytes() <= psutil.virtual_memory().available


def test_memory_limit_agrees_with_dask_without_a_container(monkeypatch):
    from distributed.system import memory_limit

    monkeypatch.setattr(sys, "platform", "none")  # neither reads cgroup files
    assert memory.process_memory_limit_bytes() == memory_limit()


def test_long_ground_tracks_are_refused_before_propagating(tiny, tmp_path, little_memory, no_simulation):
    before = snapshot(tmp_path)
    line = error_line(invoke("tracks", tiny, "--hours", "744", "--step", "1", "-o", tmp_path / "t.png"))
    assert "ground tracks of 4 satellites at 2,678,401 samples" in line and "--step" in line
    assert snapshot(tmp_path) == before


def test_a_fine_survey_grid_is_refused_before_it_is_built(tiny, tmp_path, little_memory, no_grid, no_simulation):
    before = snapshot(tmp_path)
    line = error_line(invoke("survey", tiny, "--bbox", "70,10,140,60", "--grid-res", "0.01", "-o",
                             tmp_path / "s.png"))
    assert "survey grid" in line and "--grid-res" in line
    assert snapshot(tmp_path) == before


def test_access_windows_are_refused_before_propagating(tiny, tmp_path, little_memory, no_simulation):
    (tmp_path / "t.csv").write_text("10,20\n30,40\n-5,100\n")
    before = snapshot(tmp_path)
    line = error_line(invoke("targets", tiny, "--targets", tmp_path / "t.csv", "--days", "31", "--step", "1",
                             "--windows-out", tmp_path / "w.csv"))
    assert "access windows of 4 satellites to 3 targets" in line and "--days" in line
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("args, expect", [
    (["--planes", "1-100000"], "more than 1,000 plane counts"),
    (["--planes", "1-99999999999999999999999"], "more than 1,000 plane counts"),
    (["--planes", "4-200", "--max-per-plane", "1000"], "200,000 satellites"),
])
def test_absurd_sizing_searches_are_refused(tmp_path, monkeypatch, no_simulation, args, expect):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fam.toml").write_text(FAMILY_TOML)
    line = error_line(invoke("size", tmp_path / "fam.toml", "--target", "1h", "--sequential", *args))
    assert expect in line
    assert [p.name for p in tmp_path.iterdir()] == ["fam.toml"]


def test_empty_plane_counts_are_refused_not_replaced_by_the_default(tmp_path, monkeypatch, no_simulation):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fam.toml").write_text(FAMILY_TOML)
    r = invoke("size", tmp_path / "fam.toml", "--target", "1h", "--sequential", "--planes", "")
    assert r.exit_code == 2 and "'': give plane counts like 4,6,8" in r.output


def test_a_sweep_of_too_many_configurations_is_refused(tmp_path, monkeypatch, no_simulation):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "big.toml"
    spec.write_text(SWEEP_TOML.replace("sats_per_plane = [2]", f"sats_per_plane = {list(range(1, 501))}\n"
                                       f"alt_km = {list(range(500, 801))}"))
    line = error_line(invoke("sweep", spec, "--sequential"))
    assert "150,500 configurations" in line and "100,000" in line and str(spec) in line
    assert [p.name for p in tmp_path.iterdir()] == ["big.toml"]


# ---------------------------------------------------------------- writes
def _outputs_in(missing: Path, tiny: Path, sweep_spec: Path, tle: Path):
    """(command line, the output option) for every output option of every command."""
    m = str(missing)
    return [
        (["run", tiny, "-o", f"{m}/r.nc"], "-o"),
        (["run", tiny, "--plots", f"{m}/plots"], "--plots"),
        (["map", tiny, "-o", f"{m}/m.png"], "-o"),
        (["tracks", tiny, "-o", f"{m}/t.png"], "-o"),
        (["export", "--tle", tle, "-o", f"{m}/e.tle"], "-o"),
        (["survey", tiny, "--bbox", "70,10,140,60", "-o", f"{m}/s.png"], "-o"),
        (["targets", tiny, "--random", "5", "--windows-out", f"{m}/w.csv"], "--windows-out"),
        (["targets", tiny, "--random", "5", "--schedule-out", f"{m}/s.csv"], "--schedule-out"),
        (["sweep", sweep_spec, "--sequential", "-o", f"{m}/t.csv"], "-o"),
        (["sweep", sweep_spec, "--sequential", "--plot", f"{m}/t.png"], "--plot"),
        (["size", sweep_spec.parent / "fam.toml", "--target", "1h", "--planes", "2", "--sequential", "-o",
          f"{m}/z.csv"], "-o"),
        (["size", sweep_spec.parent / "fam.toml", "--target", "1h", "--planes", "2", "--sequential", "--plot",
          f"{m}/z.png"], "--plot"),
    ]


@pytest.fixture
def tle(tmp_path, tle_lines):
    p = tmp_path / "cat.tle"
    p.write_text(f"SAT A\n{tle_lines.L1}\n{tle_lines.L2}\n")
    return p


def test_every_output_into_a_missing_folder_is_refused_before_running(tiny, sweep_spec, tle, tmp_path,
                                                                       no_simulation):
    (tmp_path / "fam.toml").write_text(FAMILY_TOML)
    missing = tmp_path / "no" / "such"
    for args, option in _outputs_in(missing, tiny, sweep_spec, tle):
        before = snapshot(tmp_path)
        line = error_line(invoke(*args))
        assert re.search(r"folder '[^']*no(/such)?' does not exist", line), (args, line)
        assert snapshot(tmp_path) == before, args


def test_an_output_named_as_a_folder_or_a_folder_as_a_file(tiny, tmp_path, no_simulation):
    (tmp_path / "plots").write_text("a file")
    (tmp_path / "adir").mkdir()
    before = snapshot(tmp_path)
    assert error_line(invoke("run", tiny, "--plots", tmp_path / "plots")).endswith("plots: is not a folder")
    assert error_line(invoke("run", tiny, "-o", tmp_path / "adir")).endswith("adir: is a folder")
    assert error_line(invoke("map", tiny, "-o", tmp_path / "adir")).endswith("adir: is a folder")
    assert snapshot(tmp_path) == before


def test_duplicate_outputs_and_outputs_over_inputs_are_refused(tiny, tmp_path, sweep_spec, tle, no_simulation):
    (tmp_path / "t.csv").write_text("10,20\n")
    before = snapshot(tmp_path)
    line = error_line(invoke("run", tiny, tiny, "--out", tmp_path / "x.json"))
    assert "given twice" in line and "x-tiny.json" in line
    line = error_line(invoke("run", tiny, tiny, "--plots", tmp_path / "p"))
    assert "given twice" in line
    line = error_line(invoke("targets", tiny, "--targets", tmp_path / "t.csv", "--windows-out", tmp_path / "o.csv",
                             "--schedule-out", tmp_path / "o.csv"))
    assert "--windows-out and --schedule-out" in line
    line = error_line(invoke("targets", tiny, "--targets", tmp_path / "t.csv", "--windows-out", tmp_path / "t.csv"))
    assert "would replace the input" in line
    line = error_line(invoke("export", "--tle", tle, "-o", tle))
    assert "would replace the input" in line
    line = error_line(invoke("sweep", sweep_spec, "--sequential", "-o", tmp_path / "t.nc", "--plot",
                             tmp_path / "t.csv"))
    assert "--out and --plot" in line
    assert snapshot(tmp_path) == before


def test_a_folder_refusing_new_files_is_found_before_running(tiny, tmp_path, monkeypatch, no_simulation):
    """What os.access cannot tell for root: the probe file is refused."""
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    line = error_line(invoke("run", tiny, "-o", tmp_path / "r.nc"))
    assert "r.nc: permission denied" in line
    assert not (tmp_path / "r.nc").exists()


@pytest.mark.parametrize("code, cause, call", [(errno.ENOSPC, "disk full", "fsync"),
                                                (errno.EROFS, "read-only file system", "replace")])
def test_a_disk_failing_during_the_write_is_one_line(tiny, tmp_path, monkeypatch, code, cause, call):
    out = tmp_path / "r.csv"
    out.write_text("the old result\n")
    real = getattr(os, call)

    def failing(*args, **kwargs):
        if any(str(a).endswith(".tmp") or isinstance(a, int) for a in args):
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(files.os, call, failing)
    line = error_line(invoke("run", tiny, "-o", out), late=True)
    assert re.search(rf"r\.csv(\.json)?: {cause}", line), line  # the sidecar is written first
    assert out.read_text() == "the old result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "tiny.toml"]


def test_a_plot_that_cannot_be_written_stops_the_sweep(sweep_spec, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    real = os.replace

    def read_only(src, dst, *args, **kwargs):
        if str(dst).endswith(".png"):
            raise OSError(errno.EROFS, "Read-only file system")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(files.os, "replace", read_only)
    line = error_line(invoke("sweep", sweep_spec, "--sequential", "-o", tmp_path / "t.csv", "--plot",
                             tmp_path / "t.png"), late=True)
    assert "t.png: read-only file system" in line
    assert not (tmp_path / "t.png").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_journal_that_cannot_be_appended_to_is_one_line(sweep_spec, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    real = os.fsync

    def full(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".jsonl"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", full)
    line = error_line(invoke("sweep", sweep_spec, "--sequential", "-o", tmp_path / "t.csv"), late=True)
    assert "t.jsonl: disk full" in line


def _mknod_char(path: Path, major: int, minor: int):
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a character device here ({exc})")


def test_character_devices_are_written_in_place(tiny, tmp_path):
    _mknod_char(tmp_path / "null", 1, 3)
    _mknod_char(tmp_path / "full", 1, 7)
    r = invoke("run", tiny, "-o", tmp_path / "null")  # no extension: the .json summary
    assert r.exit_code == 0, r.output
    line = error_line(invoke("run", tiny, "-o", tmp_path / "full"), late=True)
    assert "full: disk full" in line
    for name in ("null", "full"):
        assert stat.S_ISCHR((tmp_path / name).lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "null", "tiny.toml"]


def test_a_fifo_gets_the_bytes_and_stays_a_fifo(tle, tmp_path, tle_lines):
    fifo = tmp_path / "out.tle"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = invoke("export", "--tle", tle, "-o", fifo)
    reader.join(30)
    assert r.exit_code == 0, r.output
    assert got and got[0].decode().splitlines()[1:] == [tle_lines.L1, tle_lines.L2]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_out_dev_stdout_gets_the_json_summary(tiny):
    r = subprocess.run([sys.executable, "-m", "cli", "run", str(tiny), "--out", "/dev/stdout"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout[:r.stdout.rindex("}") + 1][r.stdout.index("{"):])
    assert doc["summary"]["scenario"] == "tiny"


def test_several_scenarios_cannot_share_one_device(tiny):
    line = error_line(invoke("run", tiny, "jilin1-2019", "--out", "/dev/null"))
    assert "/dev/null: with several scenarios" in line


# ---------------------------------------------------------------- hangs and other inputs
class FakeServer:
    """A TCP server on 127.0.0.1 that accepts and sends ``payload`` (or nothing)."""

    def __init__(self, payload: bytes):
        self.payload = payload
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            try:
                conn.sendall(self.payload)
            except OSError:
                pass

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.mark.parametrize("payload", [bytes(range(7, 71)), b"", b"HTTP/1.1 400 Bad Request\r\n\r\n"],
                         ids=["garbage", "silent", "http"])
@pytest.mark.parametrize("command", ["sweep", "size"])
def test_a_scheduler_that_is_not_dask_is_refused_in_seconds(sweep_spec, tmp_path, monkeypatch, payload, command,
                                                           no_simulation):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fam.toml").write_text(FAMILY_TOML)
    server = FakeServer(payload)
    before = snapshot(tmp_path)
    args = ["sweep", sweep_spec] if command == "sweep" else ["size", tmp_path / "fam.toml", "--target", "1h",
                                                              "--planes", "2"]
    t0 = time.perf_counter()
    try:
        line = error_line(invoke(*args, "--scheduler", server.address, "--connect-timeout", "1"))
    finally:
        server.close()
    assert time.perf_counter() - t0 < 20
    assert server.address in line and ("not a Dask scheduler" in line or "no Dask scheduler answered" in line)
    assert snapshot(tmp_path) == before


def test_a_damaged_journal_is_named_with_its_line(sweep_spec, tmp_path, monkeypatch, no_simulation):
    monkeypatch.chdir(tmp_path)
    journal = tmp_path / "t.jsonl"
    journal.write_bytes(b'{"key": "a", "status": "ok"}\n\xff\xfe\x00garbage\n{"key": "b", "status": "ok"}\n')
    before = snapshot(tmp_path)
    line = error_line(invoke("sweep", sweep_spec, "--sequential", "-o", tmp_path / "t.csv", "--resume"))
    assert f"{journal}:2: not UTF-8 text" in line and "--overwrite" in line
    assert snapshot(tmp_path) == before


def test_a_torn_last_journal_line_is_still_ignored(tmp_path):
    from sim.studies.sweep import Journal

    journal = tmp_path / "t.jsonl"
    journal.write_bytes(b'{"key": "a", "status": "ok"}\n{"key": "b", "sta\xe2\x82')
    j = Journal(journal)
    assert list(j.records()) == ["a"] and j.torn == 1


@pytest.mark.parametrize("args", [
    ["run", "{d}"], ["run", "--tle", "{d}"], ["catalog", "{d}"], ["show", "{d}"], ["export", "{d}", "-o", "x.tle"],
    ["survey", "jilin1-2019", "--region", "{d}"], ["targets", "jilin1-2019", "--targets", "{d}"],
    ["sweep", "{d}", "--list"], ["tracks", "{d}"],
])
def test_a_folder_where_a_file_is_expected(tmp_path, monkeypatch, args, no_simulation):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    line = error_line(invoke(*[a.format(d=folder) for a in args]))
    assert str(folder) in line or "a-folder" in line
    assert [p.name for p in tmp_path.iterdir()] == ["a-folder.toml"]


@pytest.mark.parametrize("args", [
    ["run", "/dev/zero"], ["run", "--tle", "/dev/zero"], ["run", "jilin1-2019", "--points", "/dev/zero"],
    ["catalog", "/dev/zero"], ["show", "/dev/zero"], ["map", "/dev/zero"], ["tracks", "/dev/zero"],
    ["export", "/dev/zero", "-o", "x.tle"], ["survey", "jilin1-2019", "--region", "/dev/zero"],
    ["targets", "jilin1-2019", "--targets", "/dev/zero"], ["sweep", "/dev/zero"], ["size", "/dev/zero"],
])
def test_a_device_as_an_input_is_refused_unread(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert error_line(invoke(*args)) == "Error: /dev/zero: is a device, not a file to read"
    assert not list(tmp_path.iterdir())


def _limited_memory():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


def test_dev_zero_as_a_scenario_in_a_real_process():
    """One line and a non-zero status, with 4 GB of address space at most should
    anything read it."""
    r = subprocess.run([sys.executable, "-m", "cli", "run", "/dev/zero"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, preexec_fn=_limited_memory)
    assert r.returncode != 0
    assert r.stderr.strip().splitlines() == ["Error: /dev/zero: is a device, not a file to read"], r.stderr


# ---------------------------------------------------------------- what a careless user gives
@pytest.fixture
def fleet(tmp_path):
    """The two-satellite OMM JSON sample, copied into tmp_path."""
    p = tmp_path / "fleet.json"
    p.write_text((ROOT / "tests" / "data" / "catalog" / "sample.json").read_text())
    return p


def test_run_checks_the_sidecars_and_the_time_series_before_running(fleet, tmp_path, monkeypatch, no_simulation):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.csv.json").write_text(fleet.read_text())
    before = snapshot(tmp_path)
    # FILE.csv writes FILE.csv.json beside it: never over an input, nor over another output.
    assert "would replace the input" in error_line(invoke("run", "--tle", tmp_path / "r.csv.json", "-o", "r.csv"))
    assert "a time series is CSV" in error_line(invoke("run", "--tle", fleet, "--timeseries", "fleet"))
    assert "a time series is CSV" in error_line(invoke("run", "--tle", fleet, "--timeseries", "ts.txt"))
    line = error_line(invoke("run", "--tle", fleet, "-o", "ts.csv.json", "--timeseries", "ts.csv"))
    assert "written by --out and --timeseries" in line
    line = error_line(invoke("run", "--tle", fleet, "-o", "-", "--timeseries", "-"))
    assert "--out - and --timeseries - write to standard output together" in line
    assert "--json write to standard output" in error_line(invoke("run", "--tle", fleet, "-o", "-", "--json"))
    assert snapshot(tmp_path) == before


def test_export_checks_every_kvn_file_before_writing_one(tiny, tmp_path):
    (tmp_path / "p-00003.kvn").mkdir()
    before = snapshot(tmp_path)
    assert "p-00003.kvn" in error_line(invoke("export", tiny, "-o", tmp_path / "p.kvn"))
    assert snapshot(tmp_path) == before
    r = invoke("export", tiny, "-o", tmp_path / "t.kvn")
    assert r.exit_code == 0, r.output
    both = tmp_path / "c-00001.kvn"  # two messages in one file: exporting them writes c-00001.kvn again
    both.write_text((tmp_path / "t-00001.kvn").read_text() + "\n" + (tmp_path / "t-00002.kvn").read_text())
    before = snapshot(tmp_path)
    assert "would replace the input" in error_line(invoke("export", "--tle", both, "-o", tmp_path / "c.kvn"))
    assert snapshot(tmp_path) == before


def test_a_target_the_window_cannot_test_is_judged_only_on_unseen_points(tiny):
    # Every gap of a 3 h window is within 3 h: the claim can fail only where a point is never seen
    # (tiny leaves some unseen in 3 h); with every point seen it is "untestable" (tests/test_metrics.py).
    r = invoke("run", tiny, "--target", "3h", "--json")
    assert r.exit_code == 0, r.output
    assert ("Warning: tiny: target 'within 3h' can fail only where a point is never seen: the window (3 h) is not "
            "longer than the claim") in r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    t = out["targets"][-1]
    assert out["unseen_share"] > 0.0
    assert t["verdict"] == "not met" and "never seen" in t["reason"]
    assert t["share_met"] == pytest.approx(1.0 - out["unseen_share"], abs=1e-12)
    t = json.loads(invoke("run", tiny, "--target", "179min", "--json").output.strip().splitlines()[-1])["targets"][-1]
    assert t["verdict"] in ("met", "not met") and 0.0 <= t["share_met"] <= 1.0
    (Path(tiny).parent / "fam.toml").write_text(FAMILY_TOML)
    line = error_line(invoke("size", "fam.toml", "--sequential", "--target", "2h", "--planes", "1"))
    assert "cannot size for 'within 2h': the window (2 h) is not longer than the claim" in line


def test_a_sweep_or_search_where_every_configuration_fails_exits_non_zero(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(SWEEP_TOML.replace("alt_km = 535", "alt_km = 53500"))
    line = error_line(invoke("sweep", "bad.toml", "--sequential"), late=True)
    assert "every configuration failed" in line and "group.alt_km: must be between 150" in line
    (tmp_path / "fam.toml").write_text(FAMILY_TOML.replace("alt_km = 535", "alt_km = 53500"))
    r = invoke("size", "fam.toml", "--sequential", "--planes", "1,2", "--max-per-plane", "2")
    assert "every configuration failed" in error_line(r, late=True)
    assert "runs failed at [1, 2] planes" in r.output and "none up to" not in r.output


@pytest.mark.parametrize("edit, field", [
    (("alt_km = 535\ninclination_deg = \"sso\"\n[group.sensor]\nmax_off_nadir_deg = 45",
      'alt_km = 300\ninclination_deg = "sso"\n[group.sensor]\nkind = "swath"\nswath_km = 3900'), "sensor.swath_km"),
    (("hours = 3", "hours = 400000"), "window.hours"),
    (("hours = 3", "hours = 1e308"), "window.hours"),
    (("phasing = 1", "phasing = 1\nraan0_deg = nan"), "raan0_deg"),
    (("phasing = 1", "phasing = 1\narg_lat0_deg = inf"), "arg_lat0_deg"),
])
def test_scenario_values_beyond_what_flies_name_their_key(tiny, edit, field, no_simulation):
    tiny.write_text(tiny.read_text().replace(*edit))
    line = error_line(invoke("run", tiny))
    assert f"tiny.toml: {field}:" in line or f"tiny.toml: group[1].{field}:" in line


def test_two_groups_of_one_name_are_refused(tiny, no_simulation):
    text = tiny.read_text()
    group = text[text.index("[[group]]"):]
    tiny.write_text(text + "\n" + group.replace("alt_km = 535", "alt_km = 700"))
    assert "group[2].name: the name 'g' is group[1]'s too" in error_line(invoke("run", tiny, "--per-group"))


def test_a_swath_wider_than_the_horizon_is_refused(tiny, no_simulation):
    from constellation.constants import WGS84_A_KM
    from constellation.validate import horizon_swath_km

    # Limb to limb from 300 km: 2 R acos(R / (R + h)) = 3,838 km (cos 17.239 deg = 6378.137 / 6678.137).
    assert horizon_swath_km(WGS84_A_KM + 300.0) == pytest.approx(2 * WGS84_A_KM * math.radians(17.2389), rel=1e-5)
    tiny.write_text(tiny.read_text().replace("alt_km = 535", "alt_km = 300"))
    line = error_line(invoke("run", tiny, "--swath-km", "3900"))
    assert line.startswith("Error: --swath-km: a 3900 km swath reaches past the horizon") and "3838 km" in line


def test_a_stored_summary_is_checked_before_it_is_shown(tiny, tmp_path):
    r = invoke("run", tiny, "-o", tmp_path / "r.json")
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "r.json").read_text())
    for path, value, expect in ((("max_revisit_s",), None, "summary.max_revisit_s: missing"),
                                (("satellites",), "many", "summary.satellites: must be a whole number"),
                                (("max_revisit_s", "p50"), float("nan"), "summary.max_revisit_s.p50: must be a finite")):
        bad = json.loads(json.dumps(doc))
        where = bad["summary"]
        for key in path[:-1]:
            where = where[key]
        if value is None:
            del where[path[-1]]
        else:
            where[path[-1]] = value
        (tmp_path / "bad.json").write_text(json.dumps(bad))
        assert expect in error_line(invoke("show", tmp_path / "bad.json"))
    assert invoke("show", tmp_path / "r.json").exit_code == 0


def test_files_that_name_one_column_twice_are_refused(tiny, tmp_path, no_simulation):
    (tmp_path / "st.csv").write_text("name,lat_deg,lon_deg,lon_deg\nA,10,20,117\n")
    assert "column 'lon_deg' appears twice" in error_line(invoke("contacts", tiny, "--stations", tmp_path / "st.csv"))
    (tmp_path / "p.csv").write_text("lat,lon,latitude\n10,20,30\n")
    line = error_line(invoke("run", tiny, "--points", tmp_path / "p.csv"))
    assert "p.csv:1: header: the header names the latitude twice" in line


def test_tle_angles_out_of_range_are_refused(tmp_path, tle_lines):
    l2 = tle_lines.L2[:17] + "999.0000" + tle_lines.L2[25:68]
    from constellation.tle import tle_checksum

    l2 += str(tle_checksum(l2 + "0"))
    (tmp_path / "raan.tle").write_text(f"SAT\n{tle_lines.L1}\n{l2}\n")
    line = error_line(invoke("catalog", tmp_path / "raan.tle"))
    assert "raan.tle:3: RAAN: 999.0000 deg is outside 0-360 deg" in line


def test_a_window_reaching_a_year_past_the_epochs_is_refused(tle):
    line = error_line(invoke("run", "--tle", tle, "--start", "2026-08-01", "--days", "200", "--grid-res", "30"))
    assert "days after the newest element-set epoch" in line


def test_figures_a_day_are_not_scaled_up_from_a_shorter_window(tiny):
    r = invoke("targets", tiny, "--random", "5", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    # Each target counts once a day: 3 h cannot give more than the 5 targets.
    assert out["duration_s"] == 3 * 3600 and out["scheduled_per_day"] == out["scheduled_images"] <= 5


def test_a_station_file_error_names_the_file_s_field(tiny, tmp_path, no_simulation):
    (tmp_path / "st.toml").write_text('[[station]]\nname = "A"\nlat_deg = "40"\nlon_deg = 116\n')
    line = error_line(invoke("contacts", tiny, "--stations", tmp_path / "st.toml"))
    assert "st.toml:3: station[1].lat_deg: expected a number, got the string '40'" in line
    (tmp_path / "st.csv").write_text("name,lat_deg,lon_deg,min_elevation_deg\nA,40,116,95\n")
    line = error_line(invoke("contacts", tiny, "--stations", tmp_path / "st.csv"))
    assert "st.csv:2: min_elevation_deg: must be within [0, 89]" in line


def test_plots_must_be_named_png_and_not_share_standard_output(tiny, tmp_path, no_simulation):
    before = snapshot(tmp_path)
    for cmd in (["map", tiny], ["tracks", tiny], ["survey", "jilin1-2019"]):
        line = error_line(invoke(*cmd, "-o", tmp_path / "m.jpg"))
        assert "m.jpg: --out draws a PNG: name the file FILE.png" in line, cmd
    line = error_line(invoke("survey", "jilin1-2019", "-o", "-", "--json"))
    assert "--out - and --json write to standard output together" in line
    assert snapshot(tmp_path) == before


def test_tracks_of_a_catalog_far_from_its_epochs_are_refused(tle, tmp_path, no_simulation):
    line = error_line(invoke("tracks", "--tle", tle, "--start", "2040-01-01T00:00:00Z", "-o", tmp_path / "t.png"))
    assert "days after the newest element-set epoch" in line and not (tmp_path / "t.png").exists()


def test_a_survey_claim_is_not_judged_on_a_run_that_changes_it(tmp_path):
    from sim.studies.study import Study
    from sim.studies.survey import load_region, run_survey, survey_study

    study = survey_study(Study.from_scenario("jilin1-2019"), days=0.25).validated()
    region = load_region(study.survey.region)
    _, short = run_survey(study, region, 2.0)
    assert short["verdict"] == "not tested" and "shorter than the claim's 31 d" in short["reason"]
    _, changed = run_survey(study, region, 2.0, changed=("--swath-km",))
    assert changed["verdict"] == "not tested" and "(--swath-km)" in changed["reason"]


def test_an_empty_region_or_box_is_refused_not_replaced(no_simulation):
    # An empty --region fell back to the scenario's own region, and an empty --bbox to it too.
    line = error_line(invoke("survey", "jilin1-2019", "--region", ""))
    assert "--region is empty: give a built-in region (china) or a GeoJSON file" in line
    line = error_line(invoke("survey", "jilin1-2019", "--bbox", " "))
    assert "--bbox is empty" in line


def test_a_box_across_the_antimeridian_says_so(monkeypatch):
    import sim.studies.survey

    seen = {}

    def fake_run_survey(study, region, *args, **kwargs):
        seen["bbox"] = region.bbox
        raise ValueError("stopped before the run")

    monkeypatch.setattr(sim.studies.survey, "run_survey", fake_run_survey)
    r = invoke("survey", "jilin1-2019", "--bbox", "20,10,10,20", "--days", "1")
    assert seen["bbox"] == (20.0, 10.0, 10.0, 20.0)
    assert ("Warning: --bbox: LON_MIN 20 > LON_MAX 10, read as a box across the antimeridian, 350 deg wide "
            "(swap them for the 10 deg box)") in r.output
    r = invoke("survey", "jilin1-2019", "--bbox", "10,10,20,20", "--days", "1")
    assert "antimeridian" not in r.output


def test_commands_that_judge_no_target_do_not_warn_about_them(tiny, tmp_path, monkeypatch):
    # tiny's 1 h claim over a 30 min track: `run` says what it can judge of the claim; `tracks` judges
    # no claim and says nothing of it.
    import sim.outputs.plot

    monkeypatch.setattr(sim.outputs.plot, "plot_tracks", lambda *a, **k: None)
    r = invoke("tracks", tiny, "--hours", "0.5", "-o", tmp_path / "t.png")
    assert r.exit_code == 0, r.output
    assert "never seen" not in r.output and "Warning" not in r.output
    study = Study.from_scenario(tiny).with_overrides(duration_s=1800.0)
    assert any("can fail only where a point is never seen" in w for w in study.validated().warnings)
    assert not any("never seen" in w for w in study.validated(judge_targets=False).warnings)


def test_tracks_sampled_coarser_than_an_orbit_allows_are_flagged(tiny, tmp_path, monkeypatch):
    import sim.outputs.czml
    import sim.outputs.plot

    monkeypatch.setattr(sim.outputs.plot, "plot_tracks", lambda *a, **k: None)
    monkeypatch.setattr(sim.outputs.czml, "write_czml", lambda *a, **k: None)
    period_min = Study.from_scenario(tiny).constellation.shortest_period_s() / 60.0
    assert 90.0 < period_min < 100.0  # tiny flies at ~535 km
    r = invoke("tracks", tiny, "--step", "3600", "--hours", "3", "-o", tmp_path / "t.png")
    assert r.exit_code == 0 and "Warning: --step 3600 s is 6" in r.output and "straight chords" in r.output
    r = invoke("export", tiny, "--step", "600", "-o", tmp_path / "t.czml")
    assert r.exit_code == 0 and "Warning: --step 600 s is 10% of the shortest orbit" in r.output
    for cmd in (["tracks", tiny, "-o", tmp_path / "t.png"], ["export", tiny, "-o", tmp_path / "t.czml"]):
        assert "shortest orbit" not in invoke(*cmd).output


def test_a_csv_whose_sidecar_cannot_be_written_leaves_the_earlier_pair(tiny, tmp_path, monkeypatch):
    # The pair is replaced together: a full disk on the sidecar keeps the earlier result whole.
    import sim.outputs.io as io_mod

    out = tmp_path / "r.csv"
    assert invoke("run", tiny, "-o", out).exit_code == 0
    before = (out.read_bytes(), (tmp_path / "r.csv.json").read_bytes())

    def full(doc, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(io_mod, "_dump_json", full)
    line = error_line(invoke("run", tiny, "--grid-res", "20", "-o", out), late=True)
    assert "r.csv.json: disk full" in line
    assert (out.read_bytes(), (tmp_path / "r.csv.json").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.csv.json", "tiny.toml"]


def test_a_netcdf_library_failure_is_one_line_and_keeps_the_old_file(tiny, tmp_path, monkeypatch):
    import xarray as xr

    out = tmp_path / "r.nc"
    out.write_bytes(b"the old result")

    def hdf_error(self, *args, **kwargs):
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", hdf_error)
    line = error_line(invoke("run", tiny, "-o", out), late=True)
    assert "r.nc: NetCDF could not write the file (is the disk full?): NetCDF: HDF error" in line
    assert out.read_bytes() == b"the old result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.nc", "tiny.toml"]


def test_a_geotiff_that_does_not_read_back_is_an_error_not_a_success(tiny, tmp_path, monkeypatch):
    # GDAL reports a full disk as a warning and finishes the write: the file is read back.
    rasterio = pytest.importorskip("rasterio")
    pytest.importorskip("rioxarray")
    out = tmp_path / "r.tif"
    out.write_bytes(b"the old result")
    real_open = rasterio.open

    def truncated(path, mode="r", *args, **kwargs):
        if mode == "r" and str(path).endswith(".tmp"):
            raise rasterio.errors.RasterioIOError("TIFFReadDirectory: Failed to read directory at offset 20480")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(rasterio, "open", truncated)
    line = error_line(invoke("run", tiny, "-o", out), late=True)
    assert "r.tif: the GeoTIFF did not write whole (is the disk full?)" in line
    assert out.read_bytes() == b"the old result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.tif", "tiny.toml"]


def test_show_names_a_folder_as_a_folder(tmp_path):
    """A folder given to `show` (with or without a result's extension) is said to be one."""
    for name in ("results", "r.nc", "r.json"):
        (tmp_path / name).mkdir()
        r = invoke("show", tmp_path / name)
        assert r.exit_code == 1
        assert f"{tmp_path / name}: is a folder, not a result file" in error_line(r)
