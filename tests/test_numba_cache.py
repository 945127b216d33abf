"""Numba's cache is invalidated per source file only; revisit keys its cache
folder by every kernel source so a kernel never runs stale inlined code, and
keeps numba itself inside sim/kernels so that key covers all of it."""

import hashlib
import os
import re
from pathlib import Path

import numba
import pytest

import sim.kernels

ROOT = Path(__file__).resolve().parents[1]
KERNELS_DIR = Path(sim.kernels.__file__).resolve().parent


def test_numba_is_used_only_in_sim_kernels():
    users = {p.relative_to(ROOT).as_posix() for d in ("sim", "constellation") for p in (ROOT / d).rglob("*.py")
             if re.search(r"^\s*(import numba|from numba\b)", p.read_text(), re.M)}
    assert users and all(u.startswith("sim/kernels/") for u in users), users


def test_every_kernel_module_is_in_the_cache_key():
    assert set(sim.kernels.KERNEL_SOURCES) == {p.name for p in KERNELS_DIR.glob("*.py")}


@pytest.mark.skipif(bool(os.environ.get("NUMBA_CACHE_DIR")), reason="the user chose the cache folder")
def test_cache_folder_changes_with_any_kernel_source():
    digest = hashlib.sha256()
    for name in sim.kernels.KERNEL_SOURCES:
        digest.update((KERNELS_DIR / name).read_bytes())
    if numba.config.CACHE_DIR:  # empty when ~/.cache is not writable: numba's default then
        assert Path(numba.config.CACHE_DIR).name == digest.hexdigest()[:16]
