"""Numba's cache is invalidated per source file only; revisit keys its kernels'
cache folder by every kernel source so a kernel never runs stale inlined code,
keeps numba itself inside sim/kernels so that key covers all of it, gives that
folder to its own kernels only (a user's cache=True functions cache where numba
would put them without revisit), recovers from damaged cache files and prunes
old folders."""

import hashlib
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import sim.kernels
from sim.kernels import coverage as K

ROOT = Path(__file__).resolve().parents[1]
KERNELS_DIR = Path(sim.kernels.__file__).resolve().parent


def run_python(code: str, env_extra: dict, cwd: Path | None = None, timeout: float = 300):
    """``code`` in a fresh interpreter that imports this checkout's modules."""
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    env.update(env_extra)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_numba_is_used_only_in_sim_kernels():
    users = {p.relative_to(ROOT).as_posix() for d in ("sim", "constellation") for p in (ROOT / d).rglob("*.py")
             if re.search(r"^\s*(import numba|from numba\b)", p.read_text(), re.M)}
    assert users and all(u.startswith("sim/kernels/") for u in users), users


def test_every_kernel_module_is_in_the_cache_key():
    assert set(sim.kernels.KERNEL_SOURCES) == {p.name for p in KERNELS_DIR.glob("*.py")}


def test_cache_folder_changes_with_any_kernel_source():
    digest = hashlib.sha256()
    for name in sim.kernels.KERNEL_SOURCES:
        digest.update((KERNELS_DIR / name).read_bytes())
    assert sim.kernels.CACHE_FOLDER.name == digest.hexdigest()[:16]
    if not os.access(sim.kernels.CACHE_FOLDER, os.W_OK):
        pytest.skip("the cache folder is not writable: numba's own locators place the kernels")
    assert Path(K.new_state._cache.cache_path) == sim.kernels.CACHE_FOLDER


def test_importing_sim_leaves_numbas_cache_folder_alone():
    assert sim.kernels.KernelCacheLocator.from_function(test_every_kernel_module_is_in_the_cache_key,
                                                        __file__) is None
    r = run_python("""
        import numba
        before = numba.config.CACHE_DIR
        import sim, sim.kernels.coverage, sim.engine.run
        print(repr(before), repr(numba.config.CACHE_DIR))
        """, {})
    assert r.returncode == 0, r.stderr
    before, after = r.stdout.split()
    assert before == after == "''"


USER_MODULE = """
from numba import njit


@njit(cache=True)
def plus_one(x):
    return x + 1
"""


@pytest.mark.parametrize("numba_cache_dir", [False, True])
def test_a_users_function_caches_where_numba_puts_it(tmp_path, numba_cache_dir):
    """A user's cache=True function after ``import sim``: in __pycache__ beside its
    file, or under NUMBA_CACHE_DIR as numba lays it out; never in revisit's folder."""
    (tmp_path / "usermod.py").write_text(USER_MODULE)
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    if numba_cache_dir:
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-cache")
    code = """
        import sys
        sys.path.insert(0, {folder!r})
        import sim, sim.kernels.coverage
        import usermod
        assert usermod.plus_one(1) == 2
        print(usermod.plus_one._cache.cache_path)
        print(sim.kernels.coverage.new_state._cache.cache_path)
        """.format(folder=str(tmp_path))
    with_sim = run_python(code, env)
    assert with_sim.returncode == 0, with_sim.stderr
    user_path, kernel_path = with_sim.stdout.split()
    without_sim = run_python(code.replace("import sim, sim.kernels.coverage", "pass")
                             .replace("print(sim.kernels.coverage.new_state._cache.cache_path)", ""), env)
    assert without_sim.returncode == 0, without_sim.stderr
    assert user_path == without_sim.stdout.strip()
    if numba_cache_dir:
        assert Path(user_path).parent == tmp_path / "numba-cache"
        assert Path(kernel_path).parent == tmp_path / "numba-cache" / "revisit"
    else:
        assert Path(user_path) == tmp_path / "__pycache__"
        assert Path(kernel_path).parent == tmp_path / "xdg" / "revisit" / "numba"
    assert list(Path(user_path).glob("usermod.plus_one-*.nbi"))
    assert not list(Path(kernel_path).glob("usermod*"))


KERNEL_CALL = """
    import numpy as np
    import sim.kernels.coverage as K
    s = K.new_state(3)
    assert s.shape == (3, K.NSTATE), s.shape
    print("ok")
    """


def _garbage(path: Path):
    path.write_bytes(bytes(range(256)) * 4)


def _truncated(path: Path):
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])


def test_damaged_cache_files_are_removed_and_the_kernels_compile_again(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    first = run_python(KERNEL_CALL, env)
    assert first.returncode == 0 and "ok" in first.stdout, first.stderr
    folder = next((tmp_path / "revisit" / "numba").iterdir())
    index = next(folder.glob("coverage.new_state-*.nbi"))
    for damage, which in ((_garbage, "nbi"), (_truncated, "nbi"), (_truncated, "nbc"), (_garbage, "nbc")):
        target = index if which == "nbi" else next(folder.glob("coverage.new_state-*.nbc"))
        damage(target)
        r = run_python(KERNEL_CALL, env)
        assert r.returncode == 0 and r.stdout.strip() == "ok", (damage.__name__, which, r.stderr)
        said = [line for line in r.stderr.splitlines() if "damaged numba cache" in line]
        assert len(said) == 1 and str(folder) in said[0] and target.name in said[0], r.stderr
        assert "Traceback" not in r.stderr
        again = run_python(KERNEL_CALL, env)  # cached again, and no more message
        assert again.returncode == 0 and "damaged" not in again.stderr, again.stderr
        assert index.exists()


def test_an_unchanged_folder_is_not_read_again(tmp_path, monkeypatch):
    (tmp_path / "f-1.py311.nbi").write_bytes(b"garbage")
    assert [name for name, _ in sim.kernels.remove_damaged_files(tmp_path)] == ["f-1.py311.nbi"]
    assert not (tmp_path / "f-1.py311.nbi").exists()
    monkeypatch.setattr(sim.kernels, "_index_problem", lambda path: pytest.fail("read again"))
    assert sim.kernels.remove_damaged_files(tmp_path) == []


def test_old_cache_folders_are_pruned(tmp_path):
    now = time.time()
    current = tmp_path / "0123456789abcdef"
    current.mkdir()
    ages_days = {"aaaaaaaaaaaaaaa1": 0.1, "aaaaaaaaaaaaaaa2": 0.2, "aaaaaaaaaaaaaaa3": 0.3, "aaaaaaaaaaaaaaa4": 0.4,
                 "aaaaaaaaaaaaaaa5": 2.0, "aaaaaaaaaaaaaaa6": 5.0, "aaaaaaaaaaaaaaa7": 40.0}
    for name, days in ages_days.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.nbi").write_bytes(b"")
        os.utime(tmp_path / name, (now - days * 86400, now - days * 86400))
    (tmp_path / "not-a-cache-folder").mkdir()
    os.utime(tmp_path / "not-a-cache-folder", (now - 400 * 86400, now - 400 * 86400))
    removed = {p.name for p in sim.kernels.prune_cache_folders(current, now)}
    # used within a day: kept, however many; older beyond the three most recent, or a month old: removed
    assert removed == {"aaaaaaaaaaaaaaa5", "aaaaaaaaaaaaaaa6", "aaaaaaaaaaaaaaa7"}
    assert {p.name for p in tmp_path.iterdir()} == {"0123456789abcdef", "not-a-cache-folder", "aaaaaaaaaaaaaaa1",
                                                    "aaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaa3", "aaaaaaaaaaaaaaa4"}


def test_no_kernel_is_compiled_for_a_literal_argument(monkeypatch):
    """A callee typed with a literal (``n = 0`` passed before a loop makes it
    Literal[int](0), then int64) is compiled twice: seconds of a first run's
    compile each time.  The coverage kernel is typed afresh (callees come from
    the cache, so their signatures show what typing asked for), for a grid and
    for a point list: no callee is asked for a literal argument."""
    from numba import njit
    from numba.core.registry import CPUDispatcher

    from sim import Study

    fresh = njit(error_model="numpy", nogil=True)(K._block_pass.py_func)
    monkeypatch.setattr(K, "_block_pass", fresh)
    study = Study.from_scenario(ROOT / "tests" / "data" / "tiny.toml")
    study.run()
    study.with_overrides(points=([10.0, -30.0, 45.0], [20.0, 140.0, 7.5])).run()
    assert len(fresh.signatures) == 2  # a grid's and a point list's
    callees = {name: d for name, d in vars(K).items() if isinstance(d, CPUDispatcher) and d.signatures}
    assert {"_step_rows", "_step_points", "_merge_block", "_with_room"} <= set(callees)
    literal = {name: [str(s) for s in d.signatures if "Literal" in str(s)] for name, d in callees.items()}
    assert not {name: s for name, s in literal.items() if s}
