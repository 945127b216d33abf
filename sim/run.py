"""The simulation driver: constellation + grid + window -> per-point figures of merit."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numba
import numpy as np
from sgp4.api import SatrecArray

from constellation.core import Constellation

from . import gpu as gpu_path
from . import kernels as K
from .grid import Grid
from .memory import plan_chunk_samples
from .metrics import FIGURES, Target, distribution, per_point_figures, weighted_mean
from .propagate import Window, propagate_ecef
from .sun import sun_unit_ecef

# Two gaps closer than this are one access (root finding is ~1e-9 s; anything
# under a millisecond is numerical, not a revisit).
MIN_GAP_S = 1e-3
REFINEMENT = "cubic Hermite of the visibility margin between samples (edges, and passes between samples)"

# Working-memory budget of one time chunk (bytes): satellite states plus the
# kernel's access buffers.  Long windows stream through chunks of this size.
# The CPU kernel is fastest when a chunk's buffered passes stay in cache: at
# 1 deg (138 satellites, 1 day, 60 s, identical figures) 33-sample chunks ran
# 1.27x faster than 353-sample ones (256 MB), 1.2x at 2 deg, 1.08x at a 10 s
# step; 16 to 33 samples were alike.  The GPU takes bigger chunks (fewer
# launches and transfers).
CHUNK_BUDGET_BYTES = 8 * 2**20
GPU_CHUNK_BUDGET_BYTES = 256 * 2**20

# Overlap pruning (accumulate_chunk's prune_overlap) pays from about this many
# satellites seeing an average point at once (mean_overlap).  Kernel alone,
# benchmarks/pruning.py: 1.9x faster for an 8,428-satellite 53 deg shell at
# 1 deg (overlap ~20), 1.2x for 1,000 SSO satellites (2.2), 1.16x for 300 (0.6);
# neutral for 138 at 1 deg and 0.83x at 0.25 deg (0.3), where the owner table
# no longer fits in cache and little overlaps.
PRUNE_OVERLAP_FROM = 0.5


def mean_overlap(reach: np.ndarray, sensor: np.ndarray) -> float:
    """How many satellites see an average point at once: the footprints' mean
    areas (caps of central angle ``reach``, rad, per satellite and sample, from
    :func:`sim.kernels.satellite_frames`) over the sphere's.  Push-broom
    satellites see instants and do not count."""
    cap = np.where(reach >= 0.0, 0.5 * (1.0 - np.cos(np.clip(reach, 0.0, math.pi))), 0.0)
    framing = sensor[:, K.S_KIND] != K.KIND_SWATH
    return float(cap[framing].mean(axis=1).sum()) if cap.size else 0.0


def sensor_array(constellation: Constellation) -> np.ndarray:
    """(nsat, 7) per satellite, the columns K.S_*: cos and sin of the off-nadir
    and elevation limits, kind, half swath (km), sin of the minimum Sun
    elevation (K.NO_LIGHTING when the sensor images day and night)."""
    rows = []
    for s in constellation.sensors_per_satellite():
        eta = math.radians(s.max_off_nadir_deg)
        eps = math.radians(s.min_elevation_deg)
        kind = K.KIND_SWATH if s.kind == "swath" else K.KIND_OFF_NADIR
        half_swath = 0.5 * s.swath_km if s.kind == "swath" else 0.0
        sun = math.sin(math.radians(s.min_sun_elevation_deg)) if s.lit_only else K.NO_LIGHTING
        rows.append((math.cos(eta), math.sin(eta), math.cos(eps), math.sin(eps), kind, half_swath, sun))
    return np.array(rows, dtype=np.float64).reshape(-1, 7)


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


@dataclass
class Result:
    """Per-point figures of merit of one run, with what produced them."""

    name: str
    grid: Grid
    window: Window
    n_satellites: int
    sensors: list[str]
    figures: dict[str, np.ndarray]
    targets: list[Target] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    # How the result was made (inputs and their sha256, versions, settings, time):
    # see sim.provenance.build_provenance; stored by every writer, not in summary().
    provenance: dict = field(default_factory=dict)
    # Each group flown alone (run(..., per_group=True)), by group name.
    groups: dict = field(default_factory=dict)

    @property
    def seen(self) -> np.ndarray:
        return self.figures["seen"]

    def save(self, path):
        """Write the result in the format its extension names: .nc, .csv, .geojson or
        .json (atomically; see :mod:`sim.io`).  Reload with ``sim.io.load_result``."""
        from .io import save

        return save(self, path)

    def to_netcdf(self, path):
        """NetCDF-4, CF-1.8: figures on (lat, lon) for a regular grid, else on (point)."""
        from .io import to_netcdf

        return to_netcdf(self, path)

    def to_csv(self, path):
        """One row per point (lat, lon, weight, every figure), provenance in '#' lines."""
        from .io import to_csv

        return to_csv(self, path)

    def to_geojson(self, path):
        """A FeatureCollection of points with the figures as properties."""
        from .io import to_geojson

        return to_geojson(self, path)

    def to_json(self, path):
        """The summary and the provenance (no per-point figures)."""
        from .io import to_json

        return to_json(self, path)

    def plot_map(self, path=None, figure: str = "max_revisit", **kwargs):
        """World map of a per-point figure (max_revisit, mean_revisit, mean_response,
        accesses, coverage); writes a PNG when ``path`` is given.  See :func:`sim.plot.plot_map`."""
        from .plot import plot_map

        return plot_map(self, path, figure=figure, **kwargs)

    def target_results(self) -> list[dict]:
        return [t.evaluate(self.figures["max_revisit_s"], self.seen, self.grid.weight,
                           self.figures["mean_response_s"]) for t in self.targets]

    def summary(self) -> dict:
        """Area-weighted statistics and verdicts, JSON-ready (times in seconds)."""
        w = self.grid.weight
        f = self.figures
        mrt = distribution(f["max_revisit_s"], w)
        out = {
            "scenario": self.name,
            "satellites": self.n_satellites,
            "points": len(self.grid),
            "grid": self.grid.name,
            "grid_kind": self.grid.kind,
            "start": self.window.start.isoformat().replace("+00:00", "Z"),
            "duration_s": self.window.duration_s,
            "step_s": self.window.step_s,
            "refinement": REFINEMENT,
            "sensors": self.sensors,
            "max_revisit_s": {k: mrt[k] for k in ("p50", "p90", "p95", "p99", "max")},
            "max_revisit_interior_s": {k: v for k, v in distribution(f["max_revisit_interior_s"], w).items()
                                       if k != "mean"},
            "mean_revisit_s": weighted_mean(f["mean_revisit_s"], w),
            "mean_response_s": weighted_mean(f["mean_response_s"], w),
            "time_avg_gap_s": weighted_mean(f["time_avg_gap_s"], w),
            "coverage_fraction": weighted_mean(f["coverage_fraction"], w),
            "accesses_per_day": weighted_mean(f["n_access"], w) * 86400.0 / self.window.duration_s,
            "unseen_share": float(np.sum(w[~self.seen])),
            "targets": self.target_results(),
        }
        if self.groups:
            out["groups"] = [dict(group=name, **{k: v for k, v in g.summary().items() if k in GROUP_FIELDS})
                             for name, g in self.groups.items()]
        out.update(self.meta)
        return out


# What a per-group summary keeps of a full one.
GROUP_FIELDS = ("satellites", "sensors", "max_revisit_s", "mean_revisit_s", "mean_response_s",
                "coverage_fraction", "accesses_per_day", "unseen_share", "targets")


def run(constellation: Constellation, grid: Grid, window: Window, targets=(), name: str | None = None,
        progress: Callable[[int, int], None] | None = None, chunk_samples: int | None = None,
        n_blocks: int | None = None, memory_limit_bytes: int | None = None, per_group: bool = False,
        device: str = "auto", prune_overlap: bool | None = None) -> Result:
    """Simulate ``constellation`` over ``window`` on ``grid``; figures per point.

    Satellites are propagated with sgp4 a chunk of samples at a time (memory is
    bounded whatever the window), and each chunk's accesses are folded into a
    per-point accumulator by :func:`sim.kernels.accumulate_chunk`.
    ``progress(done_samples, total_samples)`` is called after each chunk.
    ``per_group``: also fly each group alone (``Result.groups``; summaries
    list them), to see what each kind of satellite contributes.
    Before anything runs, its memory is checked against ``memory_limit_bytes``
    (default: half the available memory; :func:`sim.memory.plan_chunk_samples`):
    too big, it streams in smaller chunks or raises ``MemoryLimitError``.
    ``device``: "cpu" (the numba kernel), "gpu" (sim.gpu, numba.cuda; the same
    figures; ValueError when no CUDA GPU is found) or "auto" (the GPU when
    numba finds one, else the CPU; a GPU that fails, e.g. with no CUDA
    toolkit to compile for it, falls back to the CPU).  ``Result.meta["device"]``
    says which ran and why.
    ``prune_overlap``: solve no access edges in steps where another satellite
    sees the point throughout (:func:`sim.kernels.accumulate_chunk`); the
    figures are the same to the bit, only the time differs.  None: when
    :func:`mean_overlap` >= :data:`PRUNE_OVERLAP_FROM`.
    """
    sats = constellation.satellites
    if not sats:
        raise ValueError("the constellation has no satellites")
    if device not in ("auto", "cpu", "gpu"):
        raise ValueError(f"device must be auto, cpu or gpu, not {device!r}")
    again = dict(targets=targets, name=name, progress=progress, chunk_samples=chunk_samples, n_blocks=n_blocks,
                 memory_limit_bytes=memory_limit_bytes, per_group=per_group, prune_overlap=prune_overlap)
    if device == "auto":
        if not gpu_path.cuda_available():
            return run(constellation, grid, window, device="cpu", **again)
        try:
            return run(constellation, grid, window, device="gpu", **again)
        except Exception as exc:  # noqa: BLE001  (an optional accelerator must not stop the run)
            result = run(constellation, grid, window, device="cpu", **again)
            result.meta["device"] = f"cpu (the GPU failed: {type(exc).__name__}: {exc})"
            return result
    if chunk_samples is None and device == "gpu":
        chunk_samples = estimate_chunk_samples(len(sats), len(grid), window.step_s, window.n_samples,
                                               GPU_CHUNK_BUDGET_BYTES)
    chunk_samples = plan_chunk_samples(len(sats), len(grid), window.duration_s, window.step_s, memory_limit_bytes,
                                       chunk_samples)
    sat_array = SatrecArray([s.satrec for s in sats])
    sensor = sensor_array(constellation)
    lit = bool(np.any(sensor[:, K.S_SIN_SUN] > K.NO_LIGHTING))
    rows = grid.rows()
    n_blocks = n_blocks or max(1, numba.get_num_threads())
    local_idx, block_sizes = grid.blocks(n_blocks)
    state = K.new_state(len(grid))
    gpu_acc = None
    if device == "gpu":
        if not gpu_path.cuda_available():
            raise ValueError("device='gpu' but numba finds no CUDA GPU (numba.cuda.is_available() is False)")
        gpu_acc = gpu_path.GpuAccumulator(rows, len(grid))
    n_samples = window.n_samples
    per_chunk = chunk_samples or estimate_chunk_samples(len(sats), len(grid), window.step_s, n_samples)
    per_chunk = max(2, per_chunk)
    prune = prune_overlap
    k0 = 0
    while k0 < n_samples - 1:
        k1 = min(n_samples, k0 + per_chunk)
        t, pos, vel, valid = propagate_ecef(sat_array, window, k0, k1)
        u, du, rad, rdot, reach = K.satellite_frames(pos, vel, sensor)
        if prune is None:
            prune = mean_overlap(reach, sensor) >= PRUNE_OVERLAP_FROM
        sun = sun_unit_ecef(window, k0, k1) if lit else np.zeros((k1 - k0, 3))
        if gpu_acc is not None:
            gpu_acc.add_chunk(u, du, rad, rdot, reach, valid, t, sensor, sun, MIN_GAP_S)
        else:
            K.accumulate_chunk(state, u, du, rad, rdot, reach, valid, t, sensor, sun, rows["phat"], rows["nxyz"],
                               rows["pt_lon"],
                               rows["row_start"], rows["row_count"], rows["row_geoc_lat"], rows["row_radius"],
                               rows["row_lon0"], rows["row_dlon"], local_idx, block_sizes, MIN_GAP_S, prune)
        if progress is not None:
            progress(k1 - 1, n_samples - 1)
        k0 = k1 - 1  # chunks share their boundary sample
    if gpu_acc is not None:
        gpu_state = gpu_acc.state()
        if gpu_state is None:  # a point met too many satellites in one step for the GPU's buffers
            result = run(constellation, grid, window, device="cpu", **dict(again, progress=None))
            result.meta["device"] = (f"cpu (on the GPU a point met more than {gpu_path.MAX_PIECES_PER_STEP} "
                                     f"passes beginning or ending in one step)")
            return result
        state = gpu_state
    figures = per_point_figures(state, window.duration_s, MIN_GAP_S)
    sensors = sorted({g.sensor.describe() for g in constellation.groups})
    result = Result(name or constellation.name, grid, window, len(sats), sensors, figures, list(targets),
                    meta={"device": device})
    if gpu_acc is None:
        result.meta["overlap_pruning"] = bool(prune)
    if per_group and len(constellation.groups) > 1:
        for g in constellation.groups:
            alone = Constellation(f"{result.name}/{g.name}", [g])
            result.groups[g.name] = run(alone, grid, window, targets, progress=None, chunk_samples=chunk_samples,
                                        n_blocks=n_blocks, memory_limit_bytes=memory_limit_bytes, device=device,
                                        prune_overlap=prune_overlap)
    return result


__all__ = ["run", "Result", "Window", "Grid", "Target", "FIGURES"]
