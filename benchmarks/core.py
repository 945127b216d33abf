"""Core speed: 138 satellites, 1 day; propagation and kernel times, and the kernel
against a numpy brute force (every point x satellite x sample) run in the same script.

    python benchmarks/core.py            # prints a table, then one JSON object
    python benchmarks/core.py --quick    # 1 deg grid only

Times are medians of 3 warm runs.  The numpy baseline is sample-only (no edge
refinement, so it does less work than the kernel, and misses passes and gaps
shorter than its step).  It is timed at the kernel's steps (60 s and 10 s)
and at 1 s, the step at which its edges fall within a second of the kernel's
(the kernel still at 60 s: equal accuracy), each over a short window and
scaled to a day (exact: its cost is the same at every sample); the script
says so in its output.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone

from sgp4.api import SatrecArray

from constellation import Constellation, Sensor, sso_inclination_deg, walker_delta
from sim import Grid, Window, run
from sim.engine.propagate import propagate_ecef

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import median_time, numpy_brute_force  # noqa: E402  (shared with peers.py)

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def main(quick=False):
    const = Constellation.from_orbits("walker138", walker_delta(138, 6, 1, 535, sso_inclination_deg(535), START),
                                      Sensor(max_off_nadir_deg=45))
    sat_array = SatrecArray([s.satrec for s in const.satellites])
    cases = []
    # (resolution, kind, steps): the 0.25 deg grids at 60 s only (tens of seconds a run)
    grids = [(1.0, "regular", (60.0, 10.0))]
    if not quick:
        grids += [(0.25, "regular", (60.0,)), (0.25, "equal-area", (60.0,))]
    for res, kind, steps in grids:
        grid = Grid.build(res, kind=kind)
        for step in steps:
            window = Window(START, 86400.0, step)
            t_prop = median_time(lambda: propagate_ecef(sat_array, window, 0, window.n_samples))
            t_run = median_time(lambda: run(const, grid, window, device="cpu"), repeats=1 if res < 1 else 3)
            cases.append({"satellites": 138, "grid_deg": res, "grid_kind": kind, "points": len(grid), "step_s": step,
                          "propagation_s": t_prop, "run_s": t_run, "kernel_s": t_run - t_prop})
    from sim.kernels.gpu import cuda_available

    if cuda_available():  # the optional numba.cuda kernel, same cases, same figures
        for c in cases:
            grid = Grid.build(c["grid_deg"], kind=c["grid_kind"])
            window = Window(START, 86400.0, c["step_s"])
            run(const, grid, Window(START, 3600.0, c["step_s"]), device="gpu")  # compile
            c["run_gpu_s"] = median_time(lambda: run(const, grid, window, device="gpu"))
            c["gpu_speedup"] = c["run_s"] / c["run_gpu_s"]
    grid = Grid.regular(1.0)
    baselines = []
    # (brute-force step, window it is timed on, the kernel's step it is compared with)
    for step, timed_s, kernel_step in ((60.0, 7200.0, 60.0), (10.0, 1800.0, 10.0), (1.0, 600.0, 60.0)):
        short = Window(START, timed_s, step)
        t_np = median_time(lambda: numpy_brute_force(const, grid, short), repeats=1)
        day_s = t_np * (Window(START, 86400.0, step).n_samples - 1) / (short.n_samples - 1)
        kernel = next(c for c in cases if c["grid_deg"] == 1.0 and c["grid_kind"] == "regular"
                      and c["step_s"] == kernel_step)
        baselines.append({"name": f"numpy brute force, sample-only, 1 deg, {step:g} s", "step_s": step,
                          "timed_window_s": timed_s, "timed_s": t_np, "scaled_to_day_s": day_s,
                          "kernel_step_s": kernel_step, "kernel_speedup": day_s / kernel["kernel_s"],
                          "run_speedup": day_s / kernel["run_s"]})
    print(f"{'grid':>6} {'kind':<10} {'points':>9} {'step':>5} {'propagate':>10} {'kernel':>8} {'run':>8}")
    for c in cases:
        gpu = f"   gpu run {c['run_gpu_s']:.2f}s ({c['gpu_speedup']:.1f}x)" if "run_gpu_s" in c else ""
        print(f"{c['grid_deg']:>6} {c['grid_kind']:<10} {c['points']:>9,} {c['step_s']:>5.0f} "
              f"{c['propagation_s']:>9.2f}s "
              f"{c['kernel_s']:>7.2f}s {c['run_s']:>7.2f}s{gpu}")
    for b in baselines:
        why = " (equal accuracy: its edges within ~1 s)" if b["step_s"] != b["kernel_step_s"] else " (same step)"
        print(f"numpy brute force (1 deg, {b['step_s']:g} s, timed on {b['timed_window_s'] / 60:g} min, scaled to a "
              f"day): {b['scaled_to_day_s']:.1f} s; vs the kernel at {b['kernel_step_s']:g} s{why}: "
              f"{b['kernel_speedup']:.1f}x the kernel, {b['run_speedup']:.1f}x the whole run")
    print(json.dumps({"benchmark": "core", "cases": cases, "baselines": baselines}))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
