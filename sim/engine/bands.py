"""One run split into bands of whole latitude rows, each run on its own (a Dask task).

Every ground point's figures depend only on the satellites, the window and the
point, so a grid's rows can be run in separate pieces and put back together.
For the pieces to give the very figures of the whole run (to the bit) each
band runs with the whole run's time chunks (:func:`plan_full_run`: the chunk
boundaries, which the first chunk's overlap-pruning decision also depends on,
are then those of the whole run; that decision depends on the satellites
alone) on the rows of the whole run's kernel grid, and :func:`assemble` puts
the figures back in the grid's order.  Bands are cut so that each fits its
share of the memory limit (:func:`plan_bands`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from constellation.core import Constellation
from sim.engine.grid import Grid
from sim.engine.memory import (GPU_CHUNK_BUDGET_BYTES, MemoryLimitError, default_memory_limit_bytes,
                               estimate_chunk_samples, estimate_run_memory, format_bytes, plan_chunk_samples)
from sim.engine.propagate import Window
from sim.engine.result import Result

# Bands per worker slot: a few, so that a slow band does not hold the others up.
BANDS_PER_SLOT = 4


def plan_full_run(constellation: Constellation, n_points: int, window: Window,
                  memory_limit_bytes: int | None = None, chunk_samples: int | None = None,
                  device: str = "cpu") -> tuple[int | None, int]:
    """What :func:`sim.engine.run.run` does with ``chunk_samples`` for the whole grid
    (``n_points``) with these settings (the same rule, step by step): the planned
    value it passes on to each group's run, and the samples per time chunk it takes."""
    n_sat = len(constellation)
    if chunk_samples is None and device == "gpu":
        chunk_samples = estimate_chunk_samples(n_sat, n_points, window.step_s, window.n_samples,
                                               GPU_CHUNK_BUDGET_BYTES)
    chunk_samples = plan_chunk_samples(n_sat, n_points, window.duration_s, window.step_s, memory_limit_bytes,
                                       chunk_samples)
    per_chunk = chunk_samples or estimate_chunk_samples(n_sat, n_points, window.step_s, window.n_samples)
    return chunk_samples, max(2, per_chunk)


def row_bands(grid: Grid, n_bands: int) -> list[tuple[int, int]]:
    """``grid``'s points (kernel order) as at most ``n_bands`` runs [start, stop) of
    whole latitude rows holding about equal numbers of points, south to north."""
    rows = grid.rows()
    ends = rows["row_start"] + rows["row_count"]
    n = len(grid)
    n_bands = max(1, min(int(n_bands), ends.size))
    cuts = {0, n}
    for k in range(1, n_bands):
        i = int(np.searchsorted(ends, k * n / n_bands))  # the row holding the k-th share's boundary
        cuts.add(int(ends[min(i, ends.size - 1)]))
    edges = sorted(cuts)
    return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


@dataclass(frozen=True)
class BandPlan:
    """How a run is split: ``bands`` [start, stop) of the kernel grid's points,
    each run with ``chunk_samples`` under ``task_limit_bytes`` (None: no limit known)."""

    bands: list
    chunk_samples: int
    task_limit_bytes: int | None


def plan_bands(constellation: Constellation, kernel_grid: Grid, window: Window, slots: int,
               memory_limit_bytes: int | None = None, chunk_samples: int | None = None,
               device: str = "cpu") -> BandPlan:
    """Bands for ``slots`` tasks running at once: :data:`BANDS_PER_SLOT` per slot, or
    more, smaller ones until each fits the memory limit (default: half the memory
    available here) divided by ``slots`` with the whole run's chunks.  Raises
    :class:`MemoryLimitError` when a single latitude row does not fit."""
    _, per_chunk = plan_full_run(constellation, len(kernel_grid), window, memory_limit_bytes, chunk_samples,
                                 device)
    limit = memory_limit_bytes if memory_limit_bytes is not None else default_memory_limit_bytes()
    task_limit = None if limit is None else max(1, limit // max(1, slots))
    n_rows = kernel_grid.rows()["row_start"].size
    n_bands = min(n_rows, BANDS_PER_SLOT * max(1, slots))
    n_sat = len(constellation)

    def fits(bands):
        return task_limit is None or all(
            estimate_run_memory(n_sat, b - a, window.duration_s, window.step_s, per_chunk).total_bytes <= task_limit
            for a, b in bands)

    bands = row_bands(kernel_grid, n_bands)
    while not fits(bands):
        if len(bands) >= n_rows:
            need = max(estimate_run_memory(n_sat, b - a, window.duration_s, window.step_s, per_chunk).total_bytes
                       for a, b in bands)
            raise MemoryLimitError(
                f"one latitude row needs {format_bytes(need)} with the run's time chunks, more than each task's "
                f"share of the memory limit ({format_bytes(task_limit)} of {format_bytes(limit)} over {slots} "
                f"tasks at once): raise the limit (--memory-limit, memory_limit_bytes) or use fewer workers")
        n_bands = min(n_rows, 2 * n_bands)
        bands = row_bands(kernel_grid, n_bands)
    return BandPlan(bands, per_chunk, task_limit)


def band_grid(kernel_grid: Grid, start: int, stop: int) -> Grid:
    """Points [start, stop) of ``kernel_grid`` (whole rows) as a grid of their own."""
    mask = np.zeros(len(kernel_grid), bool)
    mask[start:stop] = True
    return kernel_grid.subset(mask)


def assemble(parts: list[Result], grid: Grid, kernel_grid: Grid, name: str, targets=(),
             constellation: Constellation | None = None, meta: dict | None = None) -> Result:
    """One result on ``grid`` from the results of its bands (``parts``, south to
    north over ``kernel_grid``); each group's likewise."""
    from sim.engine.run import in_grid_order

    first = parts[0]
    figures = {k: np.concatenate([p.figures[k] for p in parts]) for k in first.figures}
    groups = {g: assemble([p.groups[g] for p in parts], kernel_grid, kernel_grid, first.groups[g].name,
                          first.groups[g].targets, first.groups[g].constellation, first.groups[g].meta)
              for g in first.groups}
    series = None
    if first.series is not None:
        from sim.engine.timeseries import combine_bands

        ends = np.cumsum([len(p.grid) for p in parts])
        band_weights = [float(kernel_grid.weight[e - len(p.grid):e].sum()) for e, p in zip(ends, parts)]
        series = combine_bands([p.series for p in parts], band_weights, figures["first_access_s"],
                               kernel_grid.weight)
    result = Result(name, kernel_grid, first.window, first.n_satellites, list(first.sensors), figures,
                    list(targets), meta=dict(first.meta if meta is None else meta),
                    constellation=constellation if constellation is not None else first.constellation,
                    groups=groups, series=series)
    return in_grid_order(result, grid) if kernel_grid is not grid else result


__all__ = ["BANDS_PER_SLOT", "BandPlan", "plan_full_run", "row_bands", "plan_bands", "band_grid", "assemble"]
