"""Numba's cache is invalidated per source file only; revisit keys its cache
folder by every numba source so a kernel never runs stale inlined code."""

import hashlib
import os
from pathlib import Path

import numba
import pytest

import sim

SIM_DIR = Path(sim.__file__).resolve().parent


def test_every_numba_module_is_in_the_cache_key():
    uses_numba = {p.name for p in SIM_DIR.glob("*.py") if "@njit" in p.read_text()}
    assert uses_numba and uses_numba <= set(sim.NUMBA_SOURCES)


@pytest.mark.skipif(bool(os.environ.get("NUMBA_CACHE_DIR")), reason="the user chose the cache folder")
def test_cache_folder_changes_with_any_numba_source():
    digest = hashlib.sha256()
    for name in sim.NUMBA_SOURCES:
        digest.update((SIM_DIR / name).read_bytes())
    if numba.config.CACHE_DIR:  # empty when ~/.cache is not writable: numba's default then
        assert Path(numba.config.CACHE_DIR).name == digest.hexdigest()[:16]
