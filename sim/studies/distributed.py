"""One run on a Dask cluster: the grid in bands of whole latitude rows, one task each.

Each task propagates the satellites itself and runs its band over the whole
window in the whole run's time chunks (:mod:`sim.engine.bands`), so the
figures are those of a run in this process, to the bit; they come back in the
grid's order.  Bands are sized so that each fits the memory limit divided by
the tasks that run at once (the cluster's worker threads).  Each group of a
mixed constellation (``per_group``) is run the same way, as its own run.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from constellation.core import Constellation
from sim.engine.bands import assemble, band_grid, plan_bands, plan_full_run
from sim.engine.grid import Grid
from sim.engine.propagate import Window
from sim.engine.result import Result


def run_band(constellation: Constellation, grid: Grid, window: Window, chunk_samples: int,
             memory_limit_bytes: int | None, device: str, prune_overlap: bool | None,
             numba_threads: int | None = 1, timeseries: bool = False, n_assets: int | None = None) -> Result:
    """The task: ``grid`` (one band) over ``window`` in chunks of ``chunk_samples``,
    the kernel on ``numba_threads`` threads.  The result travels without its
    constellation (the caller has it)."""
    from sim.engine.run import run
    from sim.kernels import set_num_threads

    if numba_threads:
        set_num_threads(numba_threads)
    result = run(constellation, grid, window, chunk_samples=chunk_samples, memory_limit_bytes=memory_limit_bytes,
                 device=device, prune_overlap=prune_overlap, timeseries=timeseries, n_assets=n_assets)
    return dataclasses.replace(result, constellation=None)


def planning_device(device: str) -> str:
    """The device whose chunk budget the whole run would take here."""
    if device == "auto":
        from sim.kernels import gpu

        return "gpu" if gpu.cuda_available() else "cpu"
    return device


def run_on_cluster(client, constellation: Constellation, grid: Grid, window: Window, targets=(),
                   name: str | None = None, progress: Callable[[int, int], None] | None = None,
                   memory_limit_bytes: int | None = None, per_group: bool = False, device: str = "cpu",
                   chunk_samples: int | None = None, prune_overlap: bool | None = None, timeseries: bool = False,
                   n_assets: int | None = None) -> Result:
    """:func:`sim.engine.run.run` on the cluster of ``client`` (a ``distributed.Client``):
    the same figures, with ``meta`` adding the scheduler's address and the band count.
    ``timeseries``: each band counts its points; the bands' per-sample sums add
    (:func:`sim.engine.timeseries.combine_bands`; the same series to rounding)."""
    if timeseries and device == "gpu":
        raise ValueError("the time series (timeseries=True, --timeseries) runs on the CPU only: use device "
                         "'cpu' or 'auto'")
    from dask.distributed import as_completed

    kernel_grid = grid.kernel_grid()
    slots = max(1, sum(client.nthreads().values()))
    plan_dev = planning_device(device)
    plan = plan_bands(constellation, kernel_grid, window, slots, memory_limit_bytes, chunk_samples, plan_dev)
    planned, _ = plan_full_run(constellation, len(kernel_grid), window, memory_limit_bytes, chunk_samples, plan_dev)
    runs = [(constellation, name or constellation.name, plan)]
    if per_group and len(constellation.groups) > 1:
        for g in constellation.groups:
            alone = Constellation(f"{name or constellation.name}/{g.name}", [g])
            runs.append((alone, alone.name, plan_bands(alone, kernel_grid, window, slots, memory_limit_bytes,
                                                       planned, plan_dev)))
    remote_const = {id(c): client.scatter(c, broadcast=True) for c, _, _ in runs}
    futures, where = [], {}
    for r, (const, _, p) in enumerate(runs):
        for b, (a, z) in enumerate(p.bands):
            fut = client.submit(run_band, remote_const[id(const)], band_grid(kernel_grid, a, z), window,
                                p.chunk_samples, p.task_limit_bytes, device, prune_overlap,
                                timeseries=timeseries and r == 0, n_assets=n_assets, pure=False)
            futures.append(fut)
            where[fut.key] = (r, b)
    parts = [[None] * len(p.bands) for _, _, p in runs]
    total = window.n_samples - 1
    try:
        for done, fut in enumerate(as_completed(futures), 1):
            r, b = where[fut.key]
            parts[r][b] = fut.result()
            if progress is not None and r == 0:
                finished = sum(x is not None for x in parts[0])
                progress(total * finished // len(parts[0]), total)
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
    results = []
    for (const, run_name, p), band_results in zip(runs, parts):
        meta = dict(band_results[0].meta)
        pruned = {x.meta.get("overlap_pruning") for x in band_results}
        if len(pruned) > 1:
            raise RuntimeError(f"{run_name}: bands decided overlap pruning differently ({sorted(map(str, pruned))})")
        meta.update(scheduler=client.scheduler.address, bands=len(p.bands))
        results.append(assemble(band_results, grid, kernel_grid, run_name, targets, const, meta))
    result = results[0]
    result.groups = {g.name: r for g, r in zip(constellation.groups, results[1:])}
    return result


__all__ = ["run_on_cluster", "run_band"]
