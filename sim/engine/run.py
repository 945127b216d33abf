"""The simulation driver: constellation + grid + window -> per-point figures of merit."""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np
from sgp4.api import SatrecArray

from constellation.constants import WGS84_A_KM
from constellation.core import Constellation
from constellation.sensor import NO_OFF_NADIR_LIMIT_DEG
from constellation.validate import check_sensor_reach
from sim.engine.grid import Grid
from sim.engine.memory import GPU_CHUNK_BUDGET_BYTES, estimate_chunk_samples, plan_chunk_samples
from sim.engine.metrics import MIN_GAP_S, REFINEMENT, Target, per_point_figures
from sim.engine.propagate import Window, propagate_ecef
from sim.engine.result import Result
from sim.engine.sampling import elevation_binds_everywhere, sample_window
from sim.engine.sun import SUN_PARALLAX_RAD, sun_unit_ecef
from sim.engine.timeseries import DEFAULT_N_ASSETS, SeriesAccumulator, build_series, series_stride
from sim.kernels import coverage as K
from sim.kernels import gpu as gpu_path
from sim.kernels import num_threads

# Overlap pruning (accumulate_chunk's prune_overlap) pays from about this many
# satellites seeing an average point at once (mean_overlap); below it the
# owner table costs more than the edges it saves (benchmarks/pruning.py).
PRUNE_OVERLAP_FROM = 0.5


def mean_overlap(reach: np.ndarray, sensor: np.ndarray, rad: np.ndarray | None = None) -> float:
    """How many satellites whose edges pruning can spare see an average point at
    once: the footprints' mean areas (caps of central angle ``reach``, rad, per
    satellite and sample, from :func:`sim.kernels.coverage.satellite_frames`) over
    the sphere's.  Push-broom satellites see instants and do not count; nor, given
    their radii ``rad`` (km, per satellite and sample), do satellites whose
    elevation limit binds everywhere at their lowest and highest while their
    off-nadir cone reaches the ground: the kernel solves their edges on each
    point's geodetic horizon and cone together, which no overlap spares.  Where
    the cone excludes nothing (no off-nadir limit, or one past the limb), an
    overlap spares their geodetic edges too (:func:`sim.kernels.coverage.cone_free`)."""
    cap = np.where(reach >= 0.0, 0.5 * (1.0 - np.cos(np.clip(reach, 0.0, math.pi))), 0.0)
    counted = sensor[:, K.S_KIND] != K.KIND_SWATH
    if rad is not None:
        for s in np.flatnonzero(counted):
            radii = rad[s][np.isfinite(rad[s]) & (rad[s] > 0.0)]
            limits = (sensor[s, K.S_COS_ETA], sensor[s, K.S_SIN_ETA], sensor[s, K.S_COS_EPS], sensor[s, K.S_SIN_EPS])
            if not radii.size or sensor[s, K.S_COS_ETA] <= 1e-12 or radii.min() * sensor[s, K.S_SIN_ETA] >= WGS84_A_KM:
                continue  # the cone excludes nothing: its geodetic edges can be spared
            if all(elevation_binds_everywhere(*limits, float(r)) for r in (radii.min(), radii.max())):
                counted[s] = False
    return float(cap[counted].mean(axis=1).sum()) if cap.size else 0.0


def sensor_array(constellation: Constellation) -> np.ndarray:
    """(nsat, 7) per satellite, the columns K.S_*: cos and sin of the off-nadir
    and elevation limits, kind, half swath (km), sin of the minimum Sun
    elevation raised by the Sun's parallax (:data:`sim.engine.sun.SUN_PARALLAX_RAD`:
    the kernels compare it with the geocentric Sun direction; K.NO_LIGHTING when
    the sensor images day and night).  No off-nadir limit (None) is
    :data:`NO_OFF_NADIR_LIMIT_DEG`."""
    rows = []
    for s in constellation.sensors_per_satellite():
        eta = math.radians(NO_OFF_NADIR_LIMIT_DEG if s.max_off_nadir_deg is None else s.max_off_nadir_deg)
        eps = math.radians(s.min_elevation_deg)
        kind = K.KIND_SWATH if s.kind == "swath" else K.KIND_OFF_NADIR
        half_swath = 0.5 * s.swath_km if s.kind == "swath" else 0.0
        sun = K.NO_LIGHTING
        if s.lit_only:  # lit where the geocentric sine n.s reaches sin(limit) + R/d cos^2(limit)
            sun = math.sin(math.radians(s.min_sun_elevation_deg)) \
                + SUN_PARALLAX_RAD * math.cos(math.radians(s.min_sun_elevation_deg)) ** 2
        rows.append((math.cos(eta), math.sin(eta), math.cos(eps), math.sin(eps), kind, half_swath, sun))
    return np.array(rows, dtype=np.float64).reshape(-1, 7)


def in_grid_order(result: Result, grid: Grid) -> Result:
    """``result``, run on ``grid.kernel_grid()``, with its figures (and each
    group's) in ``grid``'s order and ``grid`` as its grid."""
    figures = {k: grid.from_kernel_order(v) for k, v in result.figures.items()}
    groups = {name: in_grid_order(g, grid) for name, g in result.groups.items()}
    return dataclasses.replace(result, grid=grid, figures=figures, groups=groups)


def run(constellation: Constellation, grid: Grid, window: Window, targets=(), name: str | None = None,
        progress: Callable[[int, int], None] | None = None, chunk_samples: int | None = None,
        n_blocks: int | None = None, memory_limit_bytes: int | None = None, per_group: bool = False,
        device: str = "cpu", prune_overlap: bool | None = None, timeseries: bool = False,
        n_assets: int | None = None) -> Result:
    """Simulate ``constellation`` over ``window`` on ``grid``; figures per point.

    Satellites are propagated with sgp4 a chunk of samples at a time (memory is
    bounded whatever the window), and each chunk's accesses are folded into a
    per-point accumulator by :func:`sim.kernels.coverage.accumulate_chunk`.
    ``progress(done_samples, total_samples)`` is called after each chunk.
    The kernel samples at the window's step divided, where the sensors need it, until
    its model of a step keeps edges within 100 m (:func:`sim.engine.sampling.sample_window`); the
    result keeps ``window``, and ``meta["sample_step_s"]`` gives the sample step
    when it is finer.
    ``per_group``: also fly each group alone (``Result.groups``; summaries
    list them), to see what each kind of satellite contributes.
    Before anything runs, its memory is checked against ``memory_limit_bytes``
    (default: half the available memory; :func:`sim.engine.memory.plan_chunk_samples`):
    too big, it streams in smaller chunks or raises ``MemoryLimitError``.
    ``device``: "cpu" (the default: the numba kernel, the reference), "gpu"
    (sim.kernels.gpu, numba.cuda: the same source compiled for CUDA, equal to the
    CPU's figures on numba's CUDA simulator but not yet verified on a real GPU;
    ValueError when no CUDA GPU is found) or "auto" (the GPU when numba finds
    one, else the CPU; a GPU that fails, e.g. with no CUDA toolkit to compile
    for it, falls back to the CPU).  ``Result.meta["device"]`` says which ran and why.
    ``prune_overlap``: solve no access edges in steps where another satellite
    sees the point throughout (:func:`sim.kernels.coverage.accumulate_chunk`); the
    figures are the same to the bit, only the time differs.  None: when
    :func:`mean_overlap` >= :data:`PRUNE_OVERLAP_FROM`.
    ``timeseries``: also count the satellites seeing each point at the window's
    samples (:mod:`sim.engine.timeseries`): ``Result.series`` and the per-point
    N-asset figures, N = ``n_assets`` (default 2); on the CPU only (ValueError
    with device "gpu"; "auto" then takes the CPU).  The other figures are the
    same either way.
    A point list given in any order (``Grid.points``) runs sorted, as the kernels
    need (:meth:`Grid.kernel_grid`); its figures come back in the list's order,
    with the grid as given.
    """
    sats = constellation.satellites
    if not sats:
        raise ValueError("the constellation has no satellites")
    if device not in ("auto", "cpu", "gpu"):
        raise ValueError(f"device must be auto, cpu or gpu, not {device!r}")
    # A swath past the horizon would "image" points below it.
    check_sensor_reach(constellation, option="sensor", swath_only=True)
    for t in targets:
        if not isinstance(t, Target):
            raise TypeError(f"targets are Target objects, e.g. Target('within 30 min', 1800.0), not {t!r} "
                            "(Study.with_overrides(targets=['30min']) reads text)")
    again = dict(targets=targets, name=name, progress=progress, chunk_samples=chunk_samples, n_blocks=n_blocks,
                 memory_limit_bytes=memory_limit_bytes, per_group=per_group, prune_overlap=prune_overlap,
                 timeseries=timeseries, n_assets=n_assets)
    kernel_grid = grid.kernel_grid()
    if kernel_grid is not grid:
        return in_grid_order(run(constellation, kernel_grid, window, device=device, **again), grid)
    if timeseries and device == "gpu":
        raise ValueError("the time series (timeseries=True, --timeseries) runs on the CPU only: use device "
                         "'cpu' or 'auto'")
    if device == "auto":
        if timeseries or not gpu_path.cuda_available():
            return run(constellation, grid, window, device="cpu", **again)
        try:
            return run(constellation, grid, window, device="gpu", **again)
        except Exception as exc:  # noqa: BLE001  (an optional accelerator must not stop the run)
            result = run(constellation, grid, window, device="cpu", **again)
            result.meta["device"] = f"cpu (the GPU failed: {type(exc).__name__}: {exc})"
            return result
    # The kernel samples at the step divided until its edges are within 100 m (sim.engine.sampling).
    user_window, window = window, sample_window(constellation, window)
    if chunk_samples is None and device == "gpu":
        chunk_samples = estimate_chunk_samples(len(sats), len(grid), window.step_s, window.n_samples,
                                               GPU_CHUNK_BUDGET_BYTES)
    chunk_samples = plan_chunk_samples(len(sats), len(grid), window.duration_s, window.step_s, memory_limit_bytes,
                                       chunk_samples)
    sat_array = SatrecArray([s.satrec for s in sats])
    sensor = sensor_array(constellation)
    lit = bool(np.any(sensor[:, K.S_SIN_SUN] > K.NO_LIGHTING))
    rows = grid.kernel_rows(n_blocks or max(1, num_threads()))
    state = K.new_state(len(grid))
    gpu_acc = None
    if device == "gpu":
        if not gpu_path.cuda_available():
            raise ValueError("device='gpu' but numba finds no CUDA GPU (numba.cuda.is_available() is False)")
        gpu_acc = gpu_path.GpuAccumulator(rows)
    n_samples = window.n_samples
    per_chunk = chunk_samples or estimate_chunk_samples(len(sats), len(grid), window.step_s, n_samples)
    per_chunk = max(2, per_chunk)
    prune = prune_overlap
    series_acc = None
    if timeseries:
        series_acc = SeriesAccumulator(grid.weight, DEFAULT_N_ASSETS if n_assets is None else n_assets,
                                       series_stride(user_window.step_s, window.step_s), n_samples)
    k0 = 0
    while k0 < n_samples - 1:
        k1 = min(n_samples, k0 + per_chunk)
        t, pos, vel, valid = propagate_ecef(sat_array, window, k0, k1)
        u, du, rad, rdot, reach = K.satellite_frames(pos, vel, sensor)
        if prune is None:
            prune = mean_overlap(reach, sensor, rad) >= PRUNE_OVERLAP_FROM
        sun = sun_unit_ecef(window, k0, k1) if lit else np.zeros((k1 - k0, 3))
        steps = K.SatSteps(u, du, rad, rdot, reach, valid, t, sensor, sun)
        if gpu_acc is not None:
            gpu_acc.add_chunk(steps, MIN_GAP_S)
        else:
            K.accumulate_chunk(state, steps, rows, MIN_GAP_S, prune)
        if series_acc is not None:
            series_acc.add_chunk(steps, rows, k0, k1)
        if progress is not None:
            progress(k1 - 1, n_samples - 1)
        k0 = k1 - 1  # chunks share their boundary sample
    if gpu_acc is not None:
        gpu_state = gpu_acc.state()
        if gpu_state is None:  # a point met too many satellites in one step for the GPU's buffers
            result = run(constellation, grid, user_window, device="cpu", **dict(again, progress=None))
            result.meta["device"] = (f"cpu (on the GPU a point met more than {gpu_path.MAX_PIECES_PER_STEP} "
                                     f"passes beginning or ending in one step)")
            return result
        state = gpu_state
    figures = per_point_figures(state, window.duration_s, MIN_GAP_S)
    sensors = sorted({g.describe_sensor() for g in constellation.groups})
    meta = {"device": device}
    if window.step_s != user_window.step_s:
        meta.update(sample_step_s=window.step_s, refinement=f"{REFINEMENT}; sampled every {window.step_s:g} s, "
                    f"the {user_window.step_s:g} s step divided to keep edges within 100 m")
    result = Result(name or constellation.name, grid, user_window, len(sats), sensors, figures, list(targets),
                    meta=meta, constellation=constellation)
    if gpu_acc is None:
        result.meta["overlap_pruning"] = bool(prune)
    if series_acc is not None:
        result.figures.update(series_acc.point_figures())
        result.series = build_series(series_acc.sums(), figures["first_access_s"], grid.weight, user_window.start,
                                     user_window.sample_times(), series_acc.n_assets)
    if per_group and len(constellation.groups) > 1:
        for g in constellation.groups:
            alone = Constellation(f"{result.name}/{g.name}", [g])
            result.groups[g.name] = run(alone, grid, user_window, targets, progress=None, chunk_samples=chunk_samples,
                                        n_blocks=n_blocks, memory_limit_bytes=memory_limit_bytes, device=device,
                                        prune_overlap=prune_overlap)
    return result


