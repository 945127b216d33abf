"""Numba kernels: pure functions on plain arrays (float64 positions in km, times
in seconds from the window start, angles in radians).  Nothing here knows of
files, units classes, grids or click; the engine (:mod:`sim.engine`) calls them.

- :mod:`sim.kernels.coverage`: the CPU coverage kernel and the margin primitives
  the other kernels share;
- :mod:`sim.kernels.windows`: access windows of point targets and the greedy
  imaging schedule;
- :mod:`sim.kernels.gpu`: the optional numba.cuda coverage kernel;
- :mod:`sim.kernels.interp`: Hermite interpolation of satellite states.
"""

import hashlib
import os
from pathlib import Path

import numba

# Numba names and invalidates its on-disk cache (cache=True) by each function's
# own source file, so a kernel in one file that inlines primitives from another
# would keep its old machine code after that file changes: silently different
# numbers after an upgrade.  Unless the user chose a cache folder, keep the
# cache in a folder named by the hash of every kernel source, so any change to
# any of them starts from a clean cache.
KERNEL_SOURCES = tuple(sorted(p.name for p in Path(__file__).resolve().parent.glob("*.py")))


def _isolate_numba_cache() -> None:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in KERNEL_SOURCES:
        digest.update((here / name).read_bytes())
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = root / "revisit" / "numba" / digest.hexdigest()[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # numba falls back to __pycache__ beside the sources
    if os.access(folder, os.W_OK):
        numba.config.CACHE_DIR = str(folder)


_isolate_numba_cache()


def num_threads() -> int:
    """Threads numba's parallel kernels use (NUMBA_NUM_THREADS, else the cores)."""
    return numba.get_num_threads()


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in numba's parallel kernels (clamped to 1 .. NUMBA_NUM_THREADS)."""
    numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))
