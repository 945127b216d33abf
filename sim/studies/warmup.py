"""Compiling the capacity claim's kernels in a second process while this one compiles the coverage kernel.

On a machine whose numba cache is empty, `revisit run` first compiles the
coverage kernel (about half a minute of one core) and then, for a scenario's
``[capacity]`` claim, the access-window and scheduling kernels
(:mod:`sim.kernels.windows`, ten seconds more).  numba compiles one function at
a time in a process (a global lock), so the second set is compiled by a child
process on another core while this one compiles the first: the child runs a
tiny capacity study (:func:`compile_claims`), which writes those kernels to the
shared on-disk cache (:mod:`sim.kernels`), and :meth:`Study.check_claims` waits
for it (:func:`wait`) before it loads them from there.  A child that fails or is
slow costs nothing but its core: the claim then compiles what it lacks itself.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from pathlib import Path

# Longest wait (s) for the child before the claim compiles for itself.
WAIT_S = 300.0

_child: subprocess.Popen | None = None


def compiled_or_cached(kernel, wanted=lambda sig: True) -> bool | None:
    """Whether numba has ``kernel`` (a dispatcher) for a signature that ``wanted``
    accepts, compiled in this process or in its on-disk cache; None when this
    numba's cache layout is not the one read here (then nobody can tell)."""
    if any(wanted(sig) for sig in kernel.signatures):
        return True
    try:
        index = kernel._cache._cache_file._index_path
    except AttributeError:
        return None
    if not os.path.exists(index):
        return False
    try:
        cached = [key[0] for key in kernel._cache._cache_file._load_index()]
    except Exception:  # noqa: BLE001  (an unreadable index: numba recompiles)
        return None
    return any(wanted(sig) for sig in cached)


def claims_kernels_cold() -> bool:
    """Whether a capacity claim would compile its window and scheduling kernels first."""
    from sim.kernels import windows as A

    return any(compiled_or_cached(k) is False for k in (A.target_windows, A.greedy_schedule))


def start(studies) -> bool:
    """Start the child compiling the capacity kernels when one of ``studies`` has a
    ``[capacity]`` claim and those kernels are neither compiled nor cached; True when started."""
    global _child
    if _child is not None or not any(getattr(s, "capacity", None) for s in studies) or not claims_kernels_cold():
        return False
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    try:
        _child = subprocess.Popen([sys.executable, "-m", "sim.studies.warmup"], env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return False
    atexit.register(stop)
    return True


def wait(timeout_s: float = WAIT_S) -> None:
    """Wait for the child started by :func:`start`, if any (at most ``timeout_s``, then stop it)."""
    global _child
    if _child is None:
        return
    try:
        _child.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _child.kill()
        _child.wait()
    _child = None


def stop() -> None:
    """Stop the child, if it still runs (at exit: a failed or interrupted run leaves none behind)."""
    global _child
    if _child is not None and _child.poll() is None:
        _child.kill()
        _child.wait()
    _child = None


def compile_claims() -> None:
    """The child's work: a tiny capacity study (2 satellites, 12 land targets, 2 h),
    which compiles every kernel a capacity claim uses, with the same argument
    types as any other (numba specialises on types, not sizes)."""
    from datetime import datetime, timezone

    from constellation import Constellation, Sensor, sso_inclination_deg, walker_delta
    from sim.engine.propagate import Window
    from sim.studies.capacity import capacity, capacity_constellation, random_land_targets

    start_utc = datetime(2026, 1, 1, tzinfo=timezone.utc)
    orbits = walker_delta(2, 2, 0, 535.0, sso_inclination_deg(535.0), start_utc)
    const = capacity_constellation(Constellation.from_orbits("warm-up", orbits, Sensor(max_off_nadir_deg=30.0)),
                                   45.0, 10.0)
    capacity(const, random_land_targets(12, seed=0), Window(start_utc, 7200.0, 60.0))


if __name__ == "__main__":
    compile_claims()
