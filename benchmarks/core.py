"""Core speed: 138 satellites, 1 day; propagation and kernel times, and the kernel
against a numpy brute force (every point x satellite x sample) run in the same script.

    python benchmarks/core.py            # prints a table, then one JSON object
    python benchmarks/core.py --quick    # 1 deg grid only

Times are medians of 3 warm runs.  The numpy baseline is sample-only (no edge
refinement, so it does less work than the kernel) and is timed over a 2-hour
window, then scaled to a day; the script says so in its output.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone

from sgp4.api import SatrecArray

from constellation import Constellation, Sensor, sso_inclination_deg, walker_delta
from sim import Grid, Window, run
from sim.propagate import propagate_ecef

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import median_time, numpy_brute_force  # noqa: E402  (shared with peers.py)

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def main(quick=False):
    const = Constellation.from_orbits("walker138", walker_delta(138, 6, 1, 535, sso_inclination_deg(535), START),
                                      Sensor(max_off_nadir_deg=45))
    sat_array = SatrecArray([s.satrec for s in const.satellites])
    cases = []
    grids = [1.0] if quick else [1.0, 0.25]
    for res in grids:
        grid = Grid.regular(res)
        for step in (60.0, 10.0):
            if res == 0.25 and step == 10.0:
                continue  # minutes per run today; see the closing note of issue 2
            window = Window(START, 86400.0, step)
            t_prop = median_time(lambda: propagate_ecef(sat_array, window, 0, window.n_samples))
            t_run = median_time(lambda: run(const, grid, window, device="cpu"), repeats=1 if res < 1 else 3)
            cases.append({"satellites": 138, "grid_deg": res, "points": len(grid), "step_s": step,
                          "propagation_s": t_prop, "run_s": t_run, "kernel_s": t_run - t_prop})
    from sim.gpu import cuda_available

    if cuda_available():  # the optional numba.cuda kernel, same cases, same figures
        for c in cases:
            grid = Grid.regular(c["grid_deg"])
            window = Window(START, 86400.0, c["step_s"])
            run(const, grid, Window(START, 3600.0, c["step_s"]), device="gpu")  # compile
            c["run_gpu_s"] = median_time(lambda: run(const, grid, window, device="gpu"))
            c["gpu_speedup"] = c["run_s"] / c["run_gpu_s"]
    grid = Grid.regular(1.0)
    short = Window(START, 7200.0, 60.0)
    t_np = median_time(lambda: numpy_brute_force(const, grid, short), repeats=1) * 86400 / 7200
    base = next(c for c in cases if c["grid_deg"] == 1.0 and c["step_s"] == 60.0)
    baseline = {"name": "numpy brute force, sample-only, 1 deg, 60 s", "timed_window_s": 7200,
                "scaled_to_day_s": t_np, "kernel_speedup": t_np / base["kernel_s"]}
    print(f"{'grid':>6} {'points':>8} {'step':>5} {'propagate':>10} {'kernel':>8} {'run':>8}")
    for c in cases:
        gpu = f"   gpu run {c['run_gpu_s']:.2f}s ({c['gpu_speedup']:.1f}x)" if "run_gpu_s" in c else ""
        print(f"{c['grid_deg']:>6} {c['points']:>8} {c['step_s']:>5.0f} {c['propagation_s']:>9.2f}s "
              f"{c['kernel_s']:>7.2f}s {c['run_s']:>7.2f}s{gpu}")
    print(f"numpy brute force (1 deg, 60 s, timed on 2 h, scaled to a day): {t_np:.1f} s; "
          f"kernel speedup {baseline['kernel_speedup']:.1f}x")
    print(json.dumps({"benchmark": "core", "cases": cases, "baseline": baseline}))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
