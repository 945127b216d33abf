"""Propagation, grids, numba coverage kernels and figures of merit."""

import hashlib
import os
from pathlib import Path

# Numba names and invalidates its on-disk cache (cache=True) by each function's
# own source file, so a kernel in sim/access.py that inlines primitives from
# sim/kernels.py would keep its old machine code after kernels.py changes:
# silently different numbers after an upgrade.  Unless the user chose a
# cache folder, keep the cache in a folder named by the hash of every numba
# source, so any change to any of them starts from a clean cache.
NUMBA_SOURCES = ("kernels.py", "access.py")


def _isolate_numba_cache() -> None:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    import numba

    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in NUMBA_SOURCES:
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

from .grid import Grid  # noqa: E402  (after the cache folder is set)
from .metrics import Target  # noqa: E402
from .propagate import Window  # noqa: E402
from .run import Result, run  # noqa: E402

__all__ = ["Grid", "Target", "Window", "Result", "run"]
