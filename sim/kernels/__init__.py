"""Numba kernels: pure functions on plain arrays (float64 positions in km, times
in seconds from the window start, angles in radians).  Nothing here knows of
files, units classes, grids or click; the engine (:mod:`sim.engine`) calls them.

- :mod:`sim.kernels.coverage`: the CPU coverage kernel and the margin primitives
  the other kernels share;
- :mod:`sim.kernels.windows`: access windows of point targets and the greedy
  imaging schedule;
- :mod:`sim.kernels.gpu`: the optional numba.cuda coverage kernel;
- :mod:`sim.kernels.interp`: Hermite interpolation of satellite states.

Their compiled code is cached on disk (``cache=True``) in a folder of its own,
:func:`cache_folder`, by a numba cache locator that matches only the files of
this package (:class:`KernelCacheLocator`): functions of other packages cache
where numba puts them by itself.
"""

import hashlib
import os
import pickle
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numba
from numba.core import caching as _caching

KERNELS_DIR = Path(__file__).resolve().parent
KERNEL_SOURCES = tuple(sorted(p.name for p in KERNELS_DIR.glob("*.py")))

# Numba names and invalidates its on-disk cache by each function's own source
# file, so a kernel in one file that inlines primitives from another would keep
# its old machine code after that file changes: silently different numbers
# after an upgrade.  The kernels' cache folder is named by the hash of every
# kernel source, so any change to any of them starts from an empty folder.
# Folders of other hashes beside it (about 12 MB each: older versions, or other
# checkouts) are removed once unused for PRUNE_AFTER_DAYS, and beyond the
# KEEP_OTHER_FOLDERS most recently used once unused for KEEP_RECENT_DAYS (one in
# use elsewhere, by a process of another version, is left alone).
PRUNE_AFTER_DAYS = 30
KEEP_OTHER_FOLDERS = 3
KEEP_RECENT_DAYS = 1
_HASH_LENGTH = 16
# Written in a cache folder after its files were checked: their names, sizes and
# times, so that an unchanged folder is not read again at the next start.
_CHECKED_NAME = ".revisit-checked"


def kernels_digest() -> str:
    """Hash of every kernel source file (hex)."""
    digest = hashlib.sha256()
    for name in KERNEL_SOURCES:
        digest.update((KERNELS_DIR / name).read_bytes())
    return digest.hexdigest()


def cache_root() -> Path:
    """The folder holding the kernels' cache folders: ``$NUMBA_CACHE_DIR/revisit``
    when NUMBA_CACHE_DIR is set, else ``$XDG_CACHE_HOME/revisit/numba`` (by default
    ``~/.cache/revisit/numba``)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]) / "revisit"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "revisit" / "numba"


def cache_folder() -> Path:
    """The kernels' cache folder: :func:`cache_root` / the first 16 hex digits of
    :func:`kernels_digest`."""
    return cache_root() / kernels_digest()[:_HASH_LENGTH]


CACHE_FOLDER = cache_folder()


# ---------------------------------------------------------------- damaged files
def _index_problem(path: Path) -> str | None:
    """Why numba could not read this index file (None: it can, or it will skip it)."""
    with open(path, "rb") as f:
        version = pickle.load(f)
        if version != numba.__version__:  # another numba's index: numba skips it unread
            return None
        stamp, overloads = pickle.loads(f.read())
    if not isinstance(overloads, dict) or not all(isinstance(v, str) for v in overloads.values()):
        return "not a numba cache index"
    return None


def _data_problem(path: Path) -> str | None:
    """Why this data file cannot be a whole pickle: numba writes them with protocol 4,
    which starts with bytes 0x80 0x04 and ends with the STOP opcode '.'."""
    with open(path, "rb") as f:
        head = f.read(2)
        if f.seek(0, os.SEEK_END) < 3:
            return "truncated"
        f.seek(-1, os.SEEK_END)
        tail = f.read(1)
    if head != b"\x80\x04":
        return "not a pickle"
    if tail != b".":
        return "truncated"
    return None


def _listing(folder: Path) -> list[tuple[str, int, int]]:
    out = []
    for entry in os.scandir(folder):
        if entry.name.endswith((".nbi", ".nbc")):
            st = entry.stat()
            out.append((entry.name, st.st_size, st.st_mtime_ns))
    return sorted(out)


def _listing_stamp(listing) -> str:
    return hashlib.sha256(repr(listing).encode()).hexdigest()


def remove_damaged_files(folder: Path) -> list[tuple[str, str]]:
    """Check every index and data file of a kernel cache folder; remove each damaged
    one with the other files of its function (its index and all its data files),
    which numba then compiles and caches again.  Returns (file, why) of the damaged
    files.  A folder unchanged since its last check (same names, sizes and times)
    is not read again.  Only one function's files go: another process may be
    writing the others at the same time."""
    try:
        listing = _listing(folder)
    except OSError:
        return []
    stamp = _listing_stamp(listing)
    checked = folder / _CHECKED_NAME
    try:
        if checked.read_text(encoding="ascii") == stamp:
            return []
    except (OSError, UnicodeDecodeError):
        pass
    damaged = []
    for name, _, _ in listing:
        path = folder / name
        try:
            why = _index_problem(path) if name.endswith(".nbi") else _data_problem(path)
        except FileNotFoundError:  # replaced or removed meanwhile by another process
            continue
        except Exception as exc:  # noqa: BLE001  (whatever unpickling a damaged file raises)
            why = f"{type(exc).__name__}: {' '.join(str(exc).split())}".rstrip(": ")
        if why:
            damaged.append((name, why))
    for name, _ in damaged:
        base = name[:-len(".nbi")] if name.endswith(".nbi") else name.rsplit(".", 2)[0]
        for other, _, _ in listing:
            if other == base + ".nbi" or (other.startswith(base + ".") and other.endswith(".nbc")):
                try:
                    os.unlink(folder / other)
                except OSError:
                    pass
    try:
        tmp = folder / f"{_CHECKED_NAME}.{os.getpid()}.tmp"
        tmp.write_text(_listing_stamp(_listing(folder)), encoding="ascii")
        os.replace(tmp, checked)
    except OSError:
        pass
    return damaged


def prune_cache_folders(current: Path, now: float | None = None) -> list[Path]:
    """Remove the kernel cache folders beside ``current`` (other kernel sources:
    older versions, other checkouts) unused for :data:`PRUNE_AFTER_DAYS`, and
    those beyond the :data:`KEEP_OTHER_FOLDERS` most recently used once unused for
    :data:`KEEP_RECENT_DAYS`; a folder's use is its time stamp, renewed at each
    start.  Only folders named like ``current`` (16 hex digits) are touched.
    Returns those removed."""
    now = time.time() if now is None else now
    others = []
    try:
        for entry in os.scandir(current.parent):
            name = entry.name
            if (name != current.name and len(name) == _HASH_LENGTH and all(c in "0123456789abcdef" for c in name)
                    and entry.is_dir(follow_symlinks=False)):
                others.append((entry.stat(follow_symlinks=False).st_mtime, Path(entry.path)))
    except OSError:
        return []
    others.sort(reverse=True)
    removed = []
    for rank, (used, path) in enumerate(others):
        idle_days = (now - used) / 86400.0
        if idle_days > PRUNE_AFTER_DAYS or (rank >= KEEP_OTHER_FOLDERS and idle_days > KEEP_RECENT_DAYS):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


_prepared: set[str] = set()


def _prepare(folder: Path) -> None:
    """Once per process and folder: mark it used, prune old folders beside it and
    remove damaged files (saying so once on stderr)."""
    if str(folder) in _prepared:
        return
    _prepared.add(str(folder))
    try:
        os.utime(folder)
    except OSError:
        pass
    prune_cache_folders(folder)
    damaged = remove_damaged_files(folder)
    if damaged:
        name, why = damaged[0]
        more = f" and {len(damaged) - 1} more" if len(damaged) > 1 else ""
        print(f"revisit: damaged numba cache files removed from {folder} ({name}: {why}{more}); the kernels "
              "they held compile again (up to a minute)", file=sys.stderr)


# ---------------------------------------------------------------- the locator
class KernelCacheLocator(_caching._SourceFileBackedLocatorMixin, _caching._CacheLocator):
    """Numba cache locator for the functions defined in ``sim/kernels`` only: their
    cache goes in :data:`CACHE_FOLDER`.  For any other function it declines (None)
    and numba's own locators place it as if revisit were not imported."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(CACHE_FOLDER)

    def get_cache_path(self):
        return self._cache_path

    @classmethod
    def from_function(cls, py_func, py_file):
        try:
            if Path(py_file).resolve().parent != KERNELS_DIR:
                return None
        except (OSError, RuntimeError, TypeError):
            return None
        locator = super().from_function(py_func, py_file)  # None when the folder cannot be made or written
        if locator is not None:
            _prepare(CACHE_FOLDER)
        return locator


def _register_locator() -> None:
    """Put :class:`KernelCacheLocator` first among numba's cache locators (once)."""
    impl = getattr(_caching, "CacheImpl", None) or getattr(_caching, "_CacheImpl")
    classes = impl._locator_classes
    classes[:] = [c for c in classes if c.__qualname__ != KernelCacheLocator.__qualname__
                  or c.__module__ != KernelCacheLocator.__module__]
    classes.insert(0, KernelCacheLocator)


_register_locator()


def num_threads() -> int:
    """Threads numba's parallel kernels use (NUMBA_NUM_THREADS, else the cores)."""
    return numba.get_num_threads()


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in numba's parallel kernels (clamped to 1 .. NUMBA_NUM_THREADS)."""
    numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))


def run_blocks(block_fn, n_blocks: int, *args) -> list:
    """``[block_fn(blk, *args) for blk in range(n_blocks)]``, on up to :func:`num_threads`
    threads.  ``block_fn`` is a ``nogil`` numba function and blocks write disjoint
    state, so plain threads run them in parallel.  A ``parallel=True`` loop would do
    the same, but compiling its parfor costs several times the kernel's own compile,
    paid by every first run, for no speed the threads do not give (the 2026-11-29
    cold-start entry of benchmarks/README.md).  The threads live as long as the
    process (:func:`_kernel_pool`): a run calls this once per time chunk, and
    starting threads each time cost a millisecond or more per chunk on a busy
    machine."""
    threads = min(num_threads(), n_blocks)
    if threads <= 1:
        return [block_fn(blk, *args) for blk in range(n_blocks)]
    return list(_kernel_pool(threads).map(lambda blk: block_fn(blk, *args), range(n_blocks)))


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _kernel_pool(threads: int) -> ThreadPoolExecutor:
    """The process's pool of kernel threads, at least ``threads`` wide (made, or
    widened, on demand).  Its tasks never wait on one another, so callers on
    several threads may share it."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL._max_workers < threads:
            if _POOL is not None:
                _POOL.shutdown(wait=False)
            _POOL = ThreadPoolExecutor(threads, thread_name_prefix="revisit-kernel")
        return _POOL


def _forget_pool_in_child() -> None:
    """A forked child has none of its parent's threads: it makes its own pool."""
    global _POOL, _POOL_LOCK
    _POOL = None
    _POOL_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)
