"""Progress: Study.run shows a tqdm bar when asked (or when someone watches),
nothing when told not to, and says once when the kernels must be compiled
first; the command line's survey and targets have bars as run does."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from sim.studies import study as study_module
from sim.studies.study import COMPILING, Study

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny.toml"


@pytest.fixture(scope="module")
def tiny():
    study = Study.from_scenario(TINY)
    study.run(progress=False)  # compiled (or loaded) once for the module
    return study


def test_progress_true_shows_a_bar(tiny, capsys):
    tiny.run(progress=True)
    err = capsys.readouterr().err
    assert "tiny (4 sats), 648 points" in err and "90/90" in err  # 3 h at 120 s: 90 steps
    assert COMPILING not in err  # compiled already


def test_progress_false_and_callables_print_nothing(tiny, capsys):
    tiny.run(progress=False)
    seen = []
    tiny.run(progress=lambda done, total: seen.append((done, total)))
    assert capsys.readouterr().err == ""
    assert seen[-1] == (90, 90) and all(total == 90 for _, total in seen)


def test_the_default_follows_whether_someone_watches(tiny, capsys, monkeypatch):
    tiny.run()  # pytest captures standard error: no terminal, no notebook
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(study_module, "interactive", lambda: True)
    tiny.run()
    assert "90/90" in capsys.readouterr().err


def test_a_cold_cache_is_announced_once_before_the_bar(tiny, capsys, monkeypatch):
    monkeypatch.setattr(study_module, "kernels_cold", lambda *args: True)
    tiny.run(progress=True)
    err = capsys.readouterr().err
    assert err.count(COMPILING) == 1 and err.index(COMPILING) < err.index("90/90")


def test_kernels_cold_reads_numbas_cache(tiny, tmp_path):
    assert study_module.kernels_cold() is False  # compiled in this process
    # A fresh process with an empty cache folder has nothing compiled and no index: cold.
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "empty-cache"))
    out = subprocess.run([sys.executable, "-c", "from sim.studies.study import kernels_cold; print(kernels_cold())"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True", out.stderr


@pytest.mark.parametrize("args, label", [
    (["targets", str(TINY), "--random", "20"], "tiny (4 sats, 20 targets)"),
    (["survey", str(TINY), "--bbox", "73,18,135,54", "--days", "0.1", "--grid-res", "2"],
     "tiny (4 sats, survey of box 73,18,135,54)"),
])
def test_survey_and_targets_have_progress_bars(tiny, args, label):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert label in r.stderr  # click's bar (its label alone when standard error is not a terminal)


def test_kernels_cold_tells_the_grid_kernel_from_the_point_list_one(tmp_path, monkeypatch):
    """A grid's and a point list's coverage kernels are two specialisations (the point
    bands argument, None for a grid): one cached says nothing of the other."""
    from types import SimpleNamespace

    from numba import types

    from sim.kernels import coverage as K

    index = tmp_path / "kernel.nbi"
    index.write_bytes(b"")
    grid_sig = (types.int64, types.none)
    points_sig = (types.int64, types.Array(types.int64, 1, "C"))

    def fake(in_process, on_disk):
        cache_file = SimpleNamespace(_index_path=str(index), _load_index=lambda: {(sig, "magic"): "f" for sig in on_disk})
        return SimpleNamespace(signatures=in_process, _cache=SimpleNamespace(_cache_file=cache_file))

    monkeypatch.setattr(K, "satellite_frames", fake([(types.int64,)], []))
    for in_process, on_disk, grid_cold, points_cold in (
            ([grid_sig], [], False, True),
            ([], [grid_sig], False, True),
            ([], [points_sig], True, False),
            ([points_sig], [grid_sig], False, False),
            ([], [], True, True)):
        monkeypatch.setattr(K, "_block_pass", fake(in_process, on_disk))
        assert study_module.kernels_cold(False) is grid_cold, (in_process, on_disk)
        assert study_module.kernels_cold(True) is points_cold, (in_process, on_disk)
    index.unlink()
    assert study_module.kernels_cold(True) is True  # no index at all
