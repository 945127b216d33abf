"""The GPU coverage kernel against the CPU kernel, on the same arrays, in one run.

    python benchmarks/gpu.py                  # needs a CUDA GPU that numba can use
    python benchmarks/gpu.py --budget-s 240   # skip the cases predicted not to fit
    python benchmarks/gpu.py --quick          # the same cases on a 30 deg grid over 15 min (a smoke test)

Each case propagates its window once (the chunks the kernels take), then
times, on those same chunks:

- the CPU kernel: ``sim.kernels.coverage.accumulate_chunk`` over the chunks, on
  numba's threads (NUMBA_NUM_THREADS; all the machine's cores by default);
- the GPU path: ``sim.kernels.gpu.GpuAccumulator``, i.e. the row worklists
  built on the host, the copies to the device, the kernel, and the per-point
  state copied back;

medians of the repeats, and compares the per-point states they leave: identical
to the bit, else the largest difference of a time and whether the access counts
agree (on a GPU, fused multiply-adds and libdevice's sin and cos may move the
last bits; within 1 ms and the same counts passes).  Before the cases it times the first calls: the CPU kernels
(compiled, or loaded from numba's cache) and the GPU kernel's first launch
(always a compile).  Cases run smallest first; a case whose CPU time,
predicted from the cases before it, would overrun ``--budget-s`` is skipped and
listed as skipped.  Prints a JSON line per case, a table, then one JSON object.

Cases: 138 SSO satellites at 535 km with a 45 deg off-nadir sensor (and with a
10 deg Sun limit), and an 8,428-satellite 53 deg shell at 550 km with a 25 deg
elevation limit, at 0.25 and 0.1 deg on regular grids.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402

from sim import Grid, Window  # noqa: E402
from sim.engine.run import MIN_GAP_S  # noqa: E402
from sim.engine.sampling import sample_window  # noqa: E402
from sim.kernels import coverage as K  # noqa: E402
from sim.kernels import gpu  # noqa: E402

CHUNK_SAMPLES = 121
TIME_COLUMNS = (K.FIRST_START, K.RUN_START, K.LAST_END, K.COVERED, K.DUR_MIN, K.DUR_MAX, K.GAP_MAX, K.GAP_SUM)


def sso(**changes):
    return C.walker_sso(138, 6, 1, 535.0).with_sensor_changes(**changes) if changes else C.walker_sso(138, 6, 1, 535.0)


def shell():
    return C.walker_shell(8428, 172, 1, 550.0, 53.0).with_sensor_changes(off_nadir_deg="none",
                                                                        min_elevation_deg=25.0)


# (name, constellation factory, grid resolution in deg, window in hours)
CASES = [
    ("138 SSO, 45 deg off-nadir", sso, 0.25, 24.0),
    ("138 SSO, 45 deg, Sun >= 10 deg", lambda: sso(min_sun_elevation_deg=10.0), 0.25, 6.0),
    ("138 SSO, 45 deg off-nadir", sso, 0.1, 6.0),
    ("8,428-sat shell, elevation 25", shell, 0.25, 1.0),
    ("8,428-sat shell, elevation 25", shell, 0.1, 0.25),
]


def cpu_kernel(grid, rows, chunks):
    state = K.new_state(len(grid))
    t0 = time.perf_counter()
    for c in chunks:
        K.accumulate_chunk(state, c, rows, MIN_GAP_S, False)
    return time.perf_counter() - t0, state


def gpu_kernel(rows, chunks):
    t0 = time.perf_counter()
    acc = gpu.GpuAccumulator(rows)
    for c in chunks:
        acc.add_chunk(c, MIN_GAP_S)
    state = acc.state()
    return time.perf_counter() - t0, state


def compare(cpu: np.ndarray, dev) -> dict:
    if dev is None:
        return {"identical": False, "overflow": True}
    same = bool(np.array_equal(cpu, dev, equal_nan=True))
    with np.errstate(invalid="ignore"):
        diff = np.abs(cpu[:, list(TIME_COLUMNS)] - dev[:, list(TIME_COLUMNS)])
    return {"identical": same, "overflow": False,
            "max_time_diff_s": float(np.nanmax(diff)) if diff.size else 0.0,
            "same_access_counts": bool(np.array_equal(cpu[:, K.N_ACCESS], dev[:, K.N_ACCESS]))}


def measure(name, make, grid_deg, hours, repeats):
    const = make()
    grid = Grid.regular(grid_deg)
    window = sample_window(const, Window(C.START, hours * 3600.0, 60.0))
    t0 = time.perf_counter()
    chunks = C.kernel_chunks(const, window, CHUNK_SAMPLES)
    propagate_s = time.perf_counter() - t0
    rows = grid.kernel_rows(numba.get_num_threads())
    cpu_times, gpu_times = [], []
    cpu_state = dev_state = None
    for rep in range(repeats):
        # alternate which goes first, so neither always runs on a warmer machine
        for which in (("cpu", "gpu") if rep % 2 == 0 else ("gpu", "cpu")):
            if which == "cpu":
                dt, cpu_state = cpu_kernel(grid, rows, chunks)
                cpu_times.append(dt)
            else:
                dt, dev_state = gpu_kernel(rows, chunks)
                gpu_times.append(dt)
    cpu_s, gpu_s = statistics.median(cpu_times), statistics.median(gpu_times)
    return {"case": name, "satellites": len(const.satellites), "grid_deg": grid_deg, "points": len(grid),
            "hours": hours, "step_s": window.step_s, "samples": window.n_samples, "propagate_s": propagate_s,
            "cpu_s": cpu_s, "gpu_s": gpu_s, "gpu_speedup": cpu_s / gpu_s, "cpu_times_s": cpu_times,
            "gpu_times_s": gpu_times, "work": len(grid) * len(const.satellites) * window.n_samples,
            **compare(cpu_state, dev_state)}


def first_calls() -> dict:
    """The first CPU and GPU runs of a tiny case: compile (or cache-load) times."""
    out = {}
    for kind, make in (("off_nadir", sso), ("lit", lambda: sso(min_sun_elevation_deg=10.0)), ("elevation", shell)):
        const = make()
        grid = Grid.regular(30.0)
        window = sample_window(const, Window(C.START, 600.0, 60.0))
        chunks = C.kernel_chunks(const, window, CHUNK_SAMPLES)
        rows = grid.kernel_rows(numba.get_num_threads())
        t0 = time.perf_counter()
        cpu_kernel(grid, rows, chunks)
        out[f"cpu_first_{kind}_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        gpu_kernel(rows, chunks)
        out[f"gpu_first_{kind}_s"] = time.perf_counter() - t0
    return out


def machine() -> dict:
    from numba import cuda

    info = {"cpu_cores": os.cpu_count(), "numba_threads": numba.get_num_threads(), "numba": numba.__version__,
            "numpy": np.__version__, "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine()}
    try:
        import importlib.metadata as md
        info["numba_cuda"] = md.version("numba-cuda")
    except Exception:  # noqa: BLE001  (numba's own numba.cuda: no separate package)
        info["numba_cuda"] = None
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return dict(info, gpu="numba's CUDA simulator")
    dev = cuda.get_current_device()
    free, total = cuda.current_context().get_memory_info()
    return dict(info, gpu=dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name),
                compute_capability=list(dev.compute_capability), gpu_memory_gb=total / 1e9, gpu_free_gb=free / 1e9)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget-s", type=float, default=600.0,
                    help="skip a case whose predicted CPU time would overrun this (default 600)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of each kernel (default 3)")
    ap.add_argument("--only", type=int, help="run only case N (0-based)")
    ap.add_argument("--quick", action="store_true", help="the cases on a 30 deg grid over 15 min, once")
    args = ap.parse_args(argv)
    cases = [(n, m, 30.0, 0.25) for n, m, _, _ in CASES] if args.quick else CASES
    if args.quick:
        args.repeats = 1
    if not gpu.cuda_available():
        print("no CUDA GPU that numba can use: nothing to time", file=sys.stderr)
        return 2
    began = time.perf_counter()
    info = machine()
    print(json.dumps(info), flush=True)
    first = first_calls()
    print(json.dumps(first), flush=True)
    rows, skipped = [], []
    # seconds per point x satellite x sample of both kernels together, per constellation, from the cases so far;
    # a constellation not yet timed is guessed at 4 times the dearest (its footprints may be larger)
    seconds_per_work: dict[int, float] = {}
    for i, (name, make, grid_deg, hours) in enumerate(cases):
        if args.only is not None and i != args.only:
            continue
        n_sats = 8428 if "8,428" in name else 138
        left = args.budget_s - (time.perf_counter() - began)
        if seconds_per_work:
            rate = seconds_per_work.get(n_sats, 4.0 * max(seconds_per_work.values()))
            predicted = rate * len(Grid.regular(grid_deg)) * n_sats * (hours * 60 + 1) * args.repeats
            if predicted > left:
                skipped.append({"case": name, "grid_deg": grid_deg, "hours": hours,
                                "predicted_s": predicted, "left_s": left})
                print(json.dumps({"skipped": skipped[-1]}), flush=True)
                continue
        try:
            rows.append(measure(name, make, grid_deg, hours, args.repeats))
        except Exception:  # noqa: BLE001  (report and go on: the others still say something)
            traceback.print_exc()
            continue
        r = rows[-1]
        seconds_per_work[n_sats] = max(seconds_per_work.get(n_sats, 0.0), (r["cpu_s"] + r["gpu_s"]) / r["work"])
        print(json.dumps(r), flush=True)
    print(f"{'case':<34} {'grid':>5} {'hours':>5} {'points':>10} {'cpu':>8} {'gpu':>8} {'cpu/gpu':>8} "
          f"{'identical':>9} {'max diff':>9} {'counts':>6}")
    for r in rows:
        print(f"{r['case']:<34} {r['grid_deg']:>5g} {r['hours']:>5g} {r['points']:>10,} {r['cpu_s']:>7.2f}s "
              f"{r['gpu_s']:>7.2f}s {r['gpu_speedup']:>7.1f}x {str(r['identical']):>9} "
              f"{r.get('max_time_diff_s', math.nan):>9.1e} {'same' if r.get('same_access_counts') else 'DIFFER':>6}")
    for s in skipped:
        print(f"skipped: {s['case']} at {s['grid_deg']:g} deg ({s['predicted_s']:.0f} s predicted, "
              f"{s['left_s']:.0f} s left)")
    print(f"{info['gpu']} against {info['numba_threads']} CPU threads; medians of {args.repeats}; first calls: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in first.items()))
    print(json.dumps({"benchmark": "gpu", "machine": info, "first_calls": first, "cases": rows,
                      "skipped": skipped, "repeats": args.repeats}))
    return 0 if rows and all(r.get("same_access_counts") and r["max_time_diff_s"] <= 1e-3 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
