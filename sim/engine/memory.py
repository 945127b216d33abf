"""How much memory a run needs, checked against a limit before it starts.

A run holds, for its whole length, per ground point: the grid (coordinates,
weights, unit vectors, the kernel's row and block tables), the kernel's
accumulator state (``kernels.new_state``: 12 float64), and at the end the
figures of merit (``metrics.per_point_figures``: a copy of the state, eleven
float64 figures and their temporaries) and what the writers need.  Per time
chunk it holds the satellites' states (sgp4 output in TEME, Earth-fixed
positions and velocities, unit vectors and rates, radii, reach) and the
kernel's buffer of access pieces.  The window's length only sets the number
of chunks: it streams, so days cost time, not memory.

The constants below are bytes counted from the code (arrays allocated and
the largest temporaries alive together), rounded up; the check compares
their sum with a limit (default: half the memory available now).  When only
the chunk part is too large, the run streams in smaller chunks; when even the
smallest chunk does not fit, the run is refused with what to shrink.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

from constellation.errors import InputError
from sim.kernels.coverage import NSTATE

# Per ground point (bytes), alive for the whole run.
GRID_BYTES_PER_POINT = 200      # lat/lon/weight (24), xyz/up/unit vectors (72), lon, block index, build temporaries
STATE_BYTES_PER_POINT = 8 * NSTATE
KERNEL_BYTES_PER_POINT = 40     # per chunk: open-pass keys, starts and steps, counting-sort tables
FIGURES_BYTES_PER_POINT = 8 * NSTATE + 8 * 12 + 1 + 8 * 8   # state copy, figures, seen, temporaries
OUTPUT_BYTES_PER_POINT = 8 * 15  # writers: one converted copy of the per-point columns
# Per satellite and sample of a chunk: sgp4's r, v (48) and error code, Earth-fixed
# pos/vel (48), rotation temporaries (~32), unit vectors and rates (48), radius,
# radial rate and reach (24), validity.
BYTES_PER_SATELLITE_SAMPLE = 208
# Per buffered access piece: point index, start, end (24), the sort's order
# array (8) and the buffer's spare capacity (it grows by doubling).
BYTES_PER_ACCESS_PIECE = 48
# Per ground point and sample: the overlap-pruning owner table (int32), counted
# whether or not a run prunes (sim.engine.run decides after its first chunk).
OWNER_BYTES_PER_POINT_SAMPLE = 4
# Fixed working margin: sgp4 arrays of satellites, sensor table, small buffers.
FIXED_BYTES = 32 * 2**20
# A whole window propagated at once (ground tracks, access windows), per satellite
# and sample: sgp4's r, v and error code (49), Earth-fixed pos/vel (48), rotation
# temporaries (~32), validity; tracks add geodetic lat/lon/height, their masked
# copies and matplotlib's vertices.  Measured for 138 satellites (interpolated
# states, peak RSS over the 0.6 GB a tracks plot starts at): 64 B at 168 h / 10 s,
# 79 B at 744 h / 30 s.
PROPAGATION_BYTES_PER_SATELLITE_SAMPLE = 136
TRACK_BYTES_PER_SATELLITE_SAMPLE = 160
# Per access window of a target (sim.studies.capacity): target, satellite, start,
# end, the sorts and joins around them and the reachable pairs' codes.  Measured
# ~94 B for 138 satellites and 20,000 targets over a day (4.3 million windows);
# the count comes from access_pieces_per_sample, about twice the windows found there.
BYTES_PER_ACCESS_WINDOW = 96
# Building a region's survey grid holds the regular grid of its whole latitude
# band (coordinates, weights, sort and containment temporaries), per band point
# (measured ~49 B between 0.1 and 0.05 deg over China).
REGION_BAND_BYTES_PER_POINT = 96
# The smallest chunk the guard shrinks to before refusing.
MIN_CHUNK_SAMPLES = 4
DEFAULT_LIMIT_FRACTION = 0.5


# Working-memory budget of one time chunk (bytes): satellite states plus the
# kernel's access buffers.  Long windows stream through chunks of this size.
# The CPU kernel is fastest when a chunk's buffered passes stay in cache, so
# its budget is a cache's, not memory's (benchmarks/README.md, 2026-11-23: time chunks);
# the GPU takes bigger chunks (fewer launches and transfers).
CHUNK_BUDGET_BYTES = 8 * 2**20
GPU_CHUNK_BUDGET_BYTES = 256 * 2**20

def estimate_chunk_samples(n_sat: int, n_points: int, step_s: float, n_samples: int,
                           budget_bytes: int = CHUNK_BUDGET_BYTES) -> int:
    """Samples per chunk so that one chunk's working memory stays within budget.

    Per sample: satellite states (56 bytes per satellite) and the access
    intervals the kernel buffers (~40 bytes each, counting the sort).  A LEO
    footprint of ~5 deg reach sweeps ~2*reach*0.0011 rad/s of sphere; with a
    factor 2 for grids denser near the poles where sun-synchronous tracks meet.
    """
    passes_per_s = n_sat * n_points * (2 * 0.1 * 0.0011) / (4 * math.pi) * 2
    per_sample = 56 * n_sat + 40 * passes_per_s * step_s
    return int(max(16, min(n_samples, budget_bytes // max(per_sample, 1))))


class MemoryLimitError(InputError):
    """The run would need more memory than its limit allows."""


def access_pieces_per_sample(n_satellites: int, n_points: int, step_s: float) -> float:
    """Access pieces the kernel buffers per sample (the model of
    ``sim.engine.run.estimate_chunk_samples``: footprints of ~0.1 rad reach sweeping
    ~0.0011 rad/s, doubled for rows dense near the poles)."""
    passes_per_s = n_satellites * n_points * (2 * 0.1 * 0.0011) / (4 * math.pi) * 2
    return passes_per_s * step_s


def bytes_per_sample(n_satellites: int, n_points: int, step_s: float) -> float:
    """Working memory (bytes) of one sample of a time chunk."""
    return (BYTES_PER_SATELLITE_SAMPLE * n_satellites + OWNER_BYTES_PER_POINT_SAMPLE * n_points
            + BYTES_PER_ACCESS_PIECE * access_pieces_per_sample(n_satellites, n_points, step_s))


@dataclass(frozen=True)
class MemoryEstimate:
    """What a run needs (bytes), by part."""

    n_satellites: int
    n_points: int
    n_samples: int
    chunk_samples: int
    parts: dict

    @property
    def total_bytes(self) -> int:
        """Peak: the grid and state throughout, plus the larger of the time loop's
        working memory (chunk, kernel tables) and the end's (figures, output)."""
        p = self.parts
        return int(p["fixed"] + p["grid"] + p["state"]
                   + max(p["chunk"] + p["kernel tables"], p["figures"] + p["output"]))

    @property
    def per_point_bytes(self) -> int:
        p = self.parts
        return int(p["grid"] + p["state"] + max(p["kernel tables"], p["figures"] + p["output"]))

    def describe(self) -> str:
        parts = ", ".join(f"{k} {format_bytes(v)}" for k, v in self.parts.items() if v)
        return (f"about {format_bytes(self.total_bytes)} at its peak ({self.n_points:,} points, "
                f"{self.n_satellites} satellites, chunks of {self.chunk_samples} of {self.n_samples:,} samples: "
                f"{parts})")


def estimate_run_memory(n_satellites: int, n_points: int, duration_s: float, step_s: float,
                        chunk_samples: int | None = None) -> MemoryEstimate:
    """Peak memory (bytes) of :func:`sim.engine.run` for these sizes, by part.

    ``chunk_samples`` None means the chunk size ``run`` picks by itself
    (:func:`sim.engine.run.estimate_chunk_samples`).
    """
    n_samples = int(math.ceil(duration_s / step_s - 1e-9)) + 1
    if chunk_samples is None:
        chunk_samples = estimate_chunk_samples(n_satellites, n_points, step_s, n_samples)
    chunk_samples = max(2, min(int(chunk_samples), n_samples))
    parts = {
        "grid": GRID_BYTES_PER_POINT * n_points,
        "state": STATE_BYTES_PER_POINT * n_points,
        "kernel tables": KERNEL_BYTES_PER_POINT * n_points,
        "chunk": int(chunk_samples * bytes_per_sample(n_satellites, n_points, step_s)),
        "figures": FIGURES_BYTES_PER_POINT * n_points,
        "output": OUTPUT_BYTES_PER_POINT * n_points,
        "fixed": FIXED_BYTES,
    }
    return MemoryEstimate(n_satellites, n_points, n_samples, chunk_samples, parts)


# A container's memory limit: cgroup v1's hard limit, cgroup v2's hard and throttling limits.
CGROUP_LIMIT_FILES = (
    "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    "/sys/fs/cgroup/memory.max",
    "/sys/fs/cgroup/memory.high",
)


def process_memory_limit_bytes() -> int | None:
    """The most memory this process may hold (bytes): the smallest of the host's
    total, a container's cgroup limit (CGROUP_LIMIT_FILES; 'max' or an
    unreadable file is no limit) and RLIMIT_RSS; None when psutil is missing.
    The figure Dask sizes its workers by (``distributed.system.memory_limit``),
    read here without importing distributed."""
    try:
        import psutil

        limit = int(psutil.virtual_memory().total)
    except Exception:  # noqa: BLE001  (psutil missing or an unknown platform: no limit known)
        return None
    if sys.platform.startswith("linux"):
        for path in CGROUP_LIMIT_FILES:
            try:
                with open(path) as f:
                    value = int(f.read().strip())
            except (OSError, ValueError):
                continue
            if value > 0:
                limit = min(limit, value)
    try:
        import resource

        hard = resource.getrlimit(resource.RLIMIT_RSS)[1]
        if 0 < hard < limit:
            limit = hard
    except (ImportError, OSError, ValueError):
        pass
    return limit


def available_memory_bytes() -> int | None:
    """Memory this process may still allocate (bytes): the smaller of what the
    host has available now and what its own limit
    (:func:`process_memory_limit_bytes`) leaves it; None when unknown.  psutil
    alone reports the host's memory, which a container limited to less than
    the host would exceed before the kernel kills it."""
    try:
        import psutil

        avail = int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001  (psutil missing or an unknown platform: no check)
        return None
    limit = process_memory_limit_bytes()
    if limit is None:
        return avail
    try:
        left = limit - int(psutil.Process().memory_info().rss)
    except Exception:  # noqa: BLE001  (no RSS figure: the host's)
        return avail
    return max(0, min(avail, left))


def default_memory_limit_bytes(fraction: float = DEFAULT_LIMIT_FRACTION) -> int | None:
    avail = available_memory_bytes()
    return None if avail is None else int(avail * fraction)


def parse_size(text) -> int:
    """'4GB', '512 MB', '2GiB', '1e9' (bytes) -> bytes (``dask.utils.parse_bytes``:
    kB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB of 1024).  Raises ValueError."""
    from dask.utils import parse_bytes

    if isinstance(text, str) and not text.strip():
        raise ValueError(f"{text!r} is not a size like 4GB, 512MB or 2GiB")
    try:
        value = parse_bytes(text.strip() if isinstance(text, str) else text)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"{text!r} is not a size like 4GB, 512MB or 2GiB") from None
    if not value >= 1:
        raise ValueError(f"{text!r}: a memory limit must be at least 1 byte")
    return int(value)


# Decimal units, as sizes are typed (4GB); dask.utils.format_bytes prints binary ones (3.73 GiB).
def format_bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def _limit(memory_limit_bytes: int | None) -> tuple[int | None, str]:
    """(the limit, how it was set) for a refusal's message; None: unknown, no check."""
    if memory_limit_bytes is not None:
        return memory_limit_bytes, ""
    avail = available_memory_bytes()
    if avail is None:
        return None, ""
    origin = f" ({DEFAULT_LIMIT_FRACTION:.0%} of the {format_bytes(avail)} available)"
    return int(avail * DEFAULT_LIMIT_FRACTION), origin


def check_fits(needed_bytes: float, what: str, shrink: str, memory_limit_bytes: int | None = None) -> None:
    """Raise :class:`MemoryLimitError` when ``needed_bytes`` (an estimate, made before
    anything is allocated) exceed ``memory_limit_bytes`` (default: half the
    available memory; no check when that is unknown).  ``what``: the work, as the
    message's subject ('these ground tracks'); ``shrink``: how to make it smaller."""
    limit, origin = _limit(memory_limit_bytes)
    if limit is None or needed_bytes <= limit:
        return
    raise MemoryLimitError(f"{what} would need about {format_bytes(needed_bytes)}, more than the memory limit of "
                           f"{format_bytes(limit)}{origin}: {shrink}")


def estimate_tracks_bytes(n_satellites: int, n_samples: int) -> int:
    """Peak memory of ground tracks of ``n_satellites`` over ``n_samples`` samples."""
    return int(FIXED_BYTES + TRACK_BYTES_PER_SATELLITE_SAMPLE * n_satellites * n_samples)


def estimate_access_windows_bytes(n_satellites: int, n_targets: int, duration_s: float, step_s: float,
                                  chunk_samples: int) -> int:
    """Peak memory of the access windows of ``n_targets`` point targets
    (:func:`sim.studies.capacity.access_windows`): the whole window's satellite
    states, one stretch's frames and the windows found."""
    n_samples = int(math.ceil(duration_s / step_s - 1e-9)) + 1
    windows = access_pieces_per_sample(n_satellites, n_targets, step_s) * (n_samples - 1)
    return int(FIXED_BYTES + PROPAGATION_BYTES_PER_SATELLITE_SAMPLE * n_satellites * n_samples
               + BYTES_PER_SATELLITE_SAMPLE * n_satellites * min(chunk_samples, n_samples)
               + BYTES_PER_ACCESS_WINDOW * windows)


def plan_chunk_samples(n_satellites: int, n_points: int, duration_s: float, step_s: float,
                       memory_limit_bytes: int | None = None, chunk_samples: int | None = None) -> int | None:
    """Check a run against its memory limit before it starts.

    Returns ``chunk_samples`` unchanged (None: ``run`` picks the chunk size
    itself) when the run fits, a smaller number of samples per chunk when only
    smaller chunks fit, and raises :class:`MemoryLimitError` (saying how big
    the run is and what to shrink) when even :data:`MIN_CHUNK_SAMPLES`-sample
    chunks do not fit.  ``memory_limit_bytes`` None: half the memory available
    now (no check when that is unknown).
    """
    limit, origin = _limit(memory_limit_bytes)
    if limit is None:
        return chunk_samples
    est = estimate_run_memory(n_satellites, n_points, duration_s, step_s, chunk_samples)
    if est.total_bytes <= limit:
        return chunk_samples
    p = est.parts
    room = limit - (p["fixed"] + p["grid"] + p["state"])
    per_sample = bytes_per_sample(n_satellites, n_points, step_s)
    fit = int((room - p["kernel tables"]) // per_sample) if room > p["kernel tables"] else 0
    if fit >= MIN_CHUNK_SAMPLES and p["figures"] + p["output"] <= room:
        return min(fit, est.chunk_samples)
    smallest = estimate_run_memory(n_satellites, n_points, duration_s, step_s, MIN_CHUNK_SAMPLES)
    per_point = smallest.per_point_bytes
    biggest = "the grid's points" if per_point >= smallest.parts["chunk"] else "each chunk's satellites and passes"
    raise MemoryLimitError(
        f"this run needs {smallest.describe()}, more than the memory limit of {format_bytes(limit)}{origin}; "
        f"most of it is {biggest}: use a coarser grid (twice the resolution in degrees, a quarter of the "
        f"points), an equal-area grid (--grid-kind equal-area, ~64 % of a global grid's points) or a "
        f"latitude band, fewer satellites or a shorter step, or raise the limit (--memory-limit, "
        f"memory_limit_bytes); the window's length does not matter (it streams)")
