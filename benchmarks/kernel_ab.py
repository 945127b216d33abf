"""The coverage kernel against an earlier commit's, on the same arrays, in one run.

    python benchmarks/kernel_ab.py --baseline REF             # four cases, 2 h each
    python benchmarks/kernel_ab.py --baseline REF --hours 6

``sim/kernels/coverage.py`` as it was at git commit REF is imported as a module
of its own (read with ``git show``, compiled once into
``~/.cache/revisit/baselines``); each case propagates its window once, then
times ``accumulate_chunk`` alone over the same chunks with today's kernel and
REF's, alternating (medians of 3), and checks that both leave the same
per-point state (to the bit, else the largest difference of any time column
and whether the access counts agree).  Cases: 138 SSO satellites at 0.25 deg
with a 45 deg off-nadir sensor, the same with a 10 deg Sun limit, the same with
a 120 km push-broom swath, and an 8,428-satellite 53 deg shell at 1 deg with a
25 deg elevation limit.  Prints a JSON line per case, a table, then one JSON
object.  Both kernels run on numba's thread count (NUMBA_NUM_THREADS).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402

from constellation import Sensor  # noqa: E402
from sim import Grid, Window  # noqa: E402
from sim.engine.run import MIN_GAP_S  # noqa: E402
from sim.kernels import coverage as K  # noqa: E402

CHUNK_SAMPLES = 16
REPEATS = 3
# state columns holding times (s): compared as the largest difference
TIME_COLUMNS = (K.FIRST_START, K.RUN_START, K.LAST_END, K.COVERED, K.DUR_MIN, K.DUR_MAX, K.GAP_MAX, K.GAP_SUM)


def _sso(sensor: Sensor):
    const = C.walker_sso(138, 6, 1, 535.0)
    return const.with_sensor_changes(**sensor)


CASES = [
    ("138 SSO, 45 deg off-nadir", lambda: _sso({}), 0.25),
    ("138 SSO, 45 deg, Sun >= 10 deg", lambda: _sso({"min_sun_elevation_deg": 10.0}), 0.25),
    ("138 SSO, 120 km swath", lambda: _sso({"swath_km": 120.0}), 0.25),
    ("8,428-sat 53 deg shell, elevation 25", lambda: C.walker_shell(8428, 172, 1, 550.0, 53.0).with_sensor_changes(
        off_nadir_deg="none", min_elevation_deg=25.0), 1.0),
]


def as_module(obj, module):
    """A NamedTuple of arrays rebuilt as ``module``'s class of the same name (numba types by class)."""
    cls = getattr(module, type(obj).__name__)
    return cls(**{f: getattr(obj, f) for f in cls._fields})


def compare(a: np.ndarray, b: np.ndarray) -> dict:
    same = bool(np.array_equal(a, b, equal_nan=True))
    with np.errstate(invalid="ignore"):
        diff = np.abs(a[:, list(TIME_COLUMNS)] - b[:, list(TIME_COLUMNS)])
    return {"identical": same, "max_time_diff_s": float(np.nanmax(diff)) if diff.size else 0.0,
            "same_access_counts": bool(np.array_equal(a[:, K.N_ACCESS], b[:, K.N_ACCESS]))}


def measure(name, make, grid_deg, hours, old, repeats=REPEATS):
    const = make()
    grid = Grid.regular(grid_deg)
    window = Window(C.START, hours * 3600.0, 60.0)
    rows = grid.kernel_rows(numba.get_num_threads())
    chunks = C.kernel_chunks(const, window, CHUNK_SAMPLES)
    kernels = {"new": (K, rows, chunks),
               "old": (old, as_module(rows, old), [as_module(c, old) for c in chunks])}

    def kernel(which):
        mod, r, cs = kernels[which]
        state = mod.new_state(len(grid))
        start = time.perf_counter()
        for c in cs:
            mod.accumulate_chunk(state, c, r, MIN_GAP_S, False)
        return time.perf_counter() - start, state

    times = {"new": [], "old": []}
    states = {}
    for rep in range(repeats):
        for which in (("old", "new") if rep % 2 == 0 else ("new", "old")):
            dt, states[which] = kernel(which)
            times[which].append(dt)
    new_s, old_s = statistics.median(times["new"]), statistics.median(times["old"])
    return {"case": name, "satellites": len(const.satellites), "grid_deg": grid_deg, "points": len(grid),
            "hours": hours, "old_s": old_s, "new_s": new_s, "speedup": old_s / new_s,
            "times_old_s": times["old"], "times_new_s": times["new"], **compare(states["new"], states["old"])}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, metavar="REF", help="the git commit whose kernel to time against")
    ap.add_argument("--hours", type=float, default=2.0, help="window per case (default 2)")
    ap.add_argument("--only", type=int, help="run only case N (0-based)")
    ap.add_argument("--repeats", type=int, default=REPEATS, help=f"timed runs of each kernel (default {REPEATS})")
    args = ap.parse_args(argv)
    sha, old = C.load_baseline(args.baseline)
    print(f"baseline {sha[:12]}; load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"{numba.get_num_threads()} threads", flush=True)
    warm = measure("warm-up", lambda: _sso({"min_sun_elevation_deg": 10.0}), 30.0, 0.2, old)
    assert warm["same_access_counts"]
    measure("warm-up", lambda: _sso({"swath_km": 120.0}), 30.0, 0.2, old)
    measure("warm-up", CASES[3][1], 30.0, 0.1, old)
    rows = []
    for i, (name, make, grid_deg) in enumerate(CASES):
        if args.only is not None and i != args.only:
            continue
        rows.append(measure(name, make, grid_deg, args.hours, old, args.repeats))
        print(json.dumps(rows[-1]), flush=True)
    print(f"{'case':<40} {'grid':>5} {'old':>8} {'new':>8} {'old/new':>8} {'identical':>9} {'max diff':>9}")
    for r in rows:
        print(f"{r['case']:<40} {r['grid_deg']:>5g} {r['old_s']:>7.2f}s {r['new_s']:>7.2f}s {r['speedup']:>7.2f}x "
              f"{str(r['identical']):>9} {r['max_time_diff_s']:>9.1e}")
    print(f"accumulate_chunk alone over the same {CHUNK_SAMPLES}-sample chunks, {args.hours:g} h at 60 s, medians "
          f"of {args.repeats}, alternating; load average after: {os.getloadavg()[0]:.2f}")
    print(json.dumps({"benchmark": "kernel_ab", "baseline": sha, "hours": args.hours,
                      "threads": numba.get_num_threads(), "rows": rows}))
    return 0 if all(r["same_access_counts"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
