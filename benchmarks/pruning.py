"""Overlap pruning: the kernel with and without it, on the same chunks, in one run.

    python benchmarks/pruning.py              # three constellations, 2 h each (~2 min)
    python benchmarks/pruning.py --hours 1

Where an earlier satellite sees a point throughout a step the kernel can skip
other passes' edges there (``run(..., prune_overlap=...)``; run() turns it on
from a mean overlap of sim.engine.run.PRUNE_OVERLAP_FROM).  Each case propagates its
window once, then times ``accumulate_chunk`` alone over the same chunks, off
and on, alternating (medians of 3), counts the access pieces each folds, and
checks that both leave the same per-point state to the bit.  Prints a table,
then one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402

from sim import Grid, Window  # noqa: E402
from sim.engine.run import MIN_GAP_S, PRUNE_OVERLAP_FROM, mean_overlap, sensor_array  # noqa: E402
from sim.kernels import coverage as K  # noqa: E402

CASES = [
    ("8,428-sat 53 deg shell (550 km)", lambda: C.walker_shell(8428, 172, 1, 550.0, 53.0), 1.0),
    ("1,000 SSO (535 km)", lambda: C.walker_sso(1000, 20, 1, 535.0), 1.0),
    ("138 SSO (535 km)", lambda: C.walker_sso(138, 6, 1, 535.0), 0.25),
]
CHUNK_SAMPLES = 22
REPEATS = 3


def measure(name, make, grid_deg, hours):
    const = make()
    grid = Grid.regular(grid_deg)
    window = Window(C.START, hours * 3600.0, 60.0)
    sensor = sensor_array(const)
    rows = grid.kernel_rows(numba.get_num_threads())
    chunks = C.kernel_chunks(const, window, CHUNK_SAMPLES)
    overlap = mean_overlap(chunks[0].reach, sensor)

    def kernel(prune):
        state = K.new_state(len(grid))
        pieces = 0
        start = time.perf_counter()
        for c in chunks:
            pieces += K.accumulate_chunk(state, c, rows, MIN_GAP_S, prune)
        return time.perf_counter() - start, pieces, state

    times = {False: [], True: []}
    pieces, states = {}, {}
    for _ in range(REPEATS):
        for prune in (False, True):
            dt, pieces[prune], states[prune] = kernel(prune)
            times[prune].append(dt)
    off = float(np.median(times[False]))
    on = float(np.median(times[True]))
    return {"case": name, "satellites": len(const.satellites), "grid_deg": grid_deg, "points": len(grid),
            "hours": hours, "mean_overlap": overlap, "run_prunes": overlap >= PRUNE_OVERLAP_FROM,
            "kernel_off_s": off, "kernel_on_s": on, "speedup": off / on,
            "pieces_off": int(pieces[False]), "pieces_on": int(pieces[True]),
            "same_state": bool(np.array_equal(states[False], states[True], equal_nan=True))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=2.0, help="window per case (default 2)")
    args = ap.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} (this machine's cores: {os.cpu_count()})")
    # compile both variants once, outside the timings
    tiny = measure("warm-up", lambda: C.walker_sso(13, 13, 1, 535.0), 30.0, 0.2)
    assert tiny["same_state"]
    rows = [measure(name, make, grid_deg, args.hours) for name, make, grid_deg in CASES]
    print(f"{'case':<34} {'grid':>5} {'overlap':>8} {'run prunes':>10} {'kernel off':>10} {'on':>8} "
          f"{'off/on':>7} {'pieces off':>11} {'on':>11} {'same state':>10}")
    for r in rows:
        print(f"{r['case']:<34} {r['grid_deg']:>5g} {r['mean_overlap']:>8.2f} {str(r['run_prunes']):>10} "
              f"{r['kernel_off_s']:>9.2f}s {r['kernel_on_s']:>7.2f}s {r['speedup']:>6.2f}x "
              f"{r['pieces_off']:>11,} {r['pieces_on']:>11,} {str(r['same_state']):>10}")
    print(f"kernel = accumulate_chunk alone over the same {CHUNK_SAMPLES}-sample chunks, {args.hours:g} h at 60 s, "
          f"median of {REPEATS}; overlap = satellites seeing an average point at once")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(json.dumps({"benchmark": "pruning", "hours": args.hours, "threads": numba.get_num_threads(),
                      "prune_overlap_from": PRUNE_OVERLAP_FROM, "rows": rows}))
    return 0 if all(r["same_state"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
