"""The time series' cost: a run with and without it (``Study.run(timeseries=...)``,
what ``revisit run SCENARIO [--timeseries FILE.csv]`` calls), in one process.

    python benchmarks/timeseries.py                     # jilin1-2030-plan, medians of 3 (~3 min)
    python benchmarks/timeseries.py tests/data/tiny.toml --repeat 1

A first run of each compiles (or loads) the kernels and is not timed; then plain
and time-series runs alternate.  Also checks that every figure of the plain run
is the same to the bit with the series on.  Prints a table, then one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sim.studies.study import Study  # noqa: E402


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="jilin1-2030-plan")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    study = Study.from_scenario(args.scenario).validated()
    grid = study.grid()

    def one(series: bool):
        t0 = time.perf_counter()
        r = study.run(device="cpu", progress=False, grid=grid, timeseries=series)
        return time.perf_counter() - t0, r

    _, plain = one(False)
    _, timed = one(True)
    same = all(np.array_equal(plain.figures[k], timed.figures[k], equal_nan=True) for k in plain.figures)
    times = {False: [], True: []}
    for _ in range(args.repeat):
        for series in (False, True):
            times[series].append(one(series)[0])
    plain_s = statistics.median(times[False])
    series_s = statistics.median(times[True])
    out = {"scenario": study.name, "satellites": len(study.constellation), "points": len(grid),
           "samples": study.window().n_samples, "repeat": args.repeat, "plain_s": times[False],
           "timeseries_s": times[True], "plain_median_s": plain_s, "timeseries_median_s": series_s,
           "ratio": series_s / plain_s, "figures_unchanged": same}
    print(f"{study.name}: {len(study.constellation)} sats, {len(grid):,} points, {out['samples']} samples")
    print(f"plain run       median {plain_s:8.2f} s  {['%.2f' % t for t in times[False]]}")
    print(f"with the series median {series_s:8.2f} s  {['%.2f' % t for t in times[True]]}")
    print(f"ratio {out['ratio']:.3f}; other figures unchanged: {same}")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
