"""One run on Dask against the same run in this process: wall times, speed-up and
efficiency per worker.

    python benchmarks/dask_run.py                      # jilin1-2030-plan, 1 deg, 6 h; 1 and 2 workers
    python benchmarks/dask_run.py --workers 1,2,4 --hours 2 --grid-res 2

The in-process run is timed with numba on one thread (the baseline a worker is
compared with) and on all of this machine's threads (what `revisit run` does
without --scheduler).  Each local cluster (single-threaded worker processes, as
`revisit run --scheduler local` starts) runs the study once to load the
kernels from numba's cache, then the timed run; its start-up is reported
apart.  Speed-up = the one-thread in-process time / the cluster's; efficiency
= speed-up / workers.  Figures are checked equal to the in-process run's.
Prints a table, then one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sim import Study  # noqa: E402
from sim.kernels import num_threads, set_num_threads  # noqa: E402


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="jilin1-2030-plan")
    ap.add_argument("--grid-res", type=float, default=1.0)
    ap.add_argument("--hours", type=float, default=6.0)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    args = ap.parse_args(argv)
    from dask.distributed import Client, LocalCluster

    warnings.simplefilter("ignore")
    study = Study.from_scenario(args.scenario).with_overrides(grid_res_deg=args.grid_res,
                                                              duration_s=args.hours * 3600).validated()
    all_threads = num_threads()
    study.with_overrides(duration_s=600).run(progress=False, device="cpu")  # compile or load the kernels
    set_num_threads(1)
    ref, t_one = timed(lambda: study.run(progress=False, device="cpu"))
    set_num_threads(all_threads)
    _, t_all = timed(lambda: study.run(progress=False, device="cpu"))
    rows = [{"how": "in process, 1 thread", "workers": 0, "wall_s": t_one},
            {"how": f"in process, {all_threads} threads", "workers": 0, "wall_s": t_all}]
    for n in [int(x) for x in args.workers.split(",")]:
        t0 = time.perf_counter()
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            start_s = time.perf_counter() - t0
            study.with_overrides(duration_s=600).run(progress=False, device="cpu", client=client)  # warm workers
            res, wall = timed(lambda: study.run(progress=False, device="cpu", client=client))
        same = all(np.array_equal(ref.figures[k], res.figures[k], equal_nan=True) for k in ref.figures)
        rows.append({"how": f"local cluster, {n} worker{'s' * (n > 1)}", "workers": n, "wall_s": wall,
                     "cluster_start_s": start_s, "bands": res.meta["bands"], "identical_figures": same,
                     "speedup": t_one / wall, "efficiency": t_one / wall / n})
    print(f"{study.describe()}, {len(ref.grid):,} points, {args.hours:g} h at {study.step_s:g} s; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'how':<28} {'wall':>8} {'start':>7} {'bands':>6} {'speed-up':>9} {'eff./worker':>12} {'same':>5}")
    for r in rows:
        extra = (f"{r['cluster_start_s']:>6.1f}s {r['bands']:>6} {r['speedup']:>8.2f}x {r['efficiency']:>12.2f} "
                 f"{str(r['identical_figures']):>5}" if r["workers"] else "")
        print(f"{r['how']:<28} {r['wall_s']:>7.2f}s {extra}")
    print(json.dumps({"benchmark": "distributed", "scenario": study.name, "grid_deg": args.grid_res,
                      "points": len(ref.grid), "hours": args.hours, "step_s": study.step_s,
                      "satellites": len(study.constellation), "cores": os.cpu_count(),
                      "load_average": os.getloadavg(), "runs": rows}))


if __name__ == "__main__":
    main()
