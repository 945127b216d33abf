"""How revisit's time and memory grow with satellites, grid, window and step.

    python benchmarks/scale.py --quick    # ~2 minutes: smaller sweeps around a 2 deg base
    python benchmarks/scale.py            # the full sweeps around the 1 deg base (long: see below)
    python benchmarks/scale.py --only satellites   # one sweep (satellites, grid_deg, days, step_s, equal-area)

One axis at a time around a base case (138-satellite Walker 138/6/1 on
sun-synchronous planes at 535 km, 45 deg off-nadir, global 1 deg grid, 1 day,
60 s step), not the full cross product.  The Starlink-size case is an
8,428-satellite Walker delta shell (172 planes x 49, phasing 1) at 550 km and
53 deg; the other constellations are SSO Walker deltas at 535 km.  The grids
are regular (res x res deg cells); the 'equal-area' sweep runs the base case,
the 0.25 deg case and the 8,428-satellite shell on equal-area grids (``Grid.equal_area``: ~4 pi / res^2
points, about 41k at 1 deg and 660k at 0.25 deg), marked 'ea' in the grid column.

Every case runs ``sim.engine.run`` end to end in its own child process, warm (a tiny
run first loads the numba cache), and reports its wall time, the sgp4
propagation's share (propagation of the whole window timed alone, in the
same chunks), and memory: 'work MB' is the peak RSS during the run minus the
RSS before it, 'peak MB' the process's peak (interpreter and imports
included).  Long windows stream through time chunks (``sim.engine.memory``), so the
7- and 30-day cases should need about the 1-day case's memory.
Prints a table, then one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402

CONSTELLATIONS = {
    # satellites: (planes, phasing, alt_km, inclination_deg or None for SSO)
    13: (13, 1, 535.0, None),
    60: (6, 1, 535.0, None),
    138: (6, 1, 535.0, None),
    1000: (20, 1, 535.0, None),
    8428: (172, 1, 550.0, 53.0),
}
FULL = {
    "base": {"satellites": 138, "grid_deg": 1.0, "grid_kind": "regular", "days": 1.0, "step_s": 60.0},
    "sweeps": {"satellites": [13, 60, 138, 1000, 8428], "grid_deg": [2.0, 1.0, 0.5, 0.25],
               "days": [1.0, 7.0, 30.0], "step_s": [60.0, 10.0]},
    "extra": {"equal-area": [{"grid_kind": "equal-area"}, {"grid_kind": "equal-area", "grid_deg": 0.25},
                             {"grid_kind": "equal-area", "satellites": 8428}]},
}
QUICK = {
    "base": {"satellites": 138, "grid_deg": 2.0, "grid_kind": "regular", "days": 1.0, "step_s": 60.0},
    "sweeps": {"satellites": [13, 60, 138, 1000], "grid_deg": [2.0, 1.0],
               "days": [1.0, 7.0, 30.0], "step_s": [60.0, 10.0]},
    "extra": {"equal-area": [{"grid_kind": "equal-area"}]},
}
# The end-to-end targets (2 cores, warm)
TARGETS = [({"satellites": 138, "grid_deg": 0.25, "grid_kind": "regular", "days": 1.0}, 2.0,
            "138 sats / 1 day / 0.25 deg"),
           ({"satellites": 138, "grid_deg": 0.25, "grid_kind": "equal-area", "days": 1.0}, 2.0,
            "138 sats / 1 day / 0.25 deg equal-area"),
           ({"satellites": 8428, "grid_deg": 1.0, "grid_kind": "regular", "days": 1.0}, 60.0,
            "8,428 sats / 1 day / 1 deg"),
           ({"satellites": 8428, "grid_deg": 1.0, "grid_kind": "equal-area", "days": 1.0}, 60.0,
            "8,428 sats / 1 day / 1 deg equal-area")]


def constellation(n: int):
    planes, phasing, alt_km, inc = CONSTELLATIONS[n]
    if inc is None:
        return C.walker_sso(n, planes, phasing, alt_km)
    return C.walker_shell(n, planes, phasing, alt_km, inc)


def child(case: dict) -> dict:
    from sgp4.api import SatrecArray

    from sim import Grid, Window, run
    from sim.engine.metrics import weighted_percentile
    from sim.engine.propagate import propagate_ecef

    const = constellation(case["satellites"])
    grid = Grid.build(case["grid_deg"], kind=case.get("grid_kind", "regular"))
    window = Window(C.START, case["days"] * 86400.0, case["step_s"])
    run(constellation(13), Grid.regular(30.0), Window(C.START, 3600.0, case["step_s"]), device="cpu")  # warm numba
    done = []  # progress(done_samples, total) after each chunk: the run's chunking
    result, wall, peak, work = C.timed(lambda: run(const, grid, window, progress=lambda d, n: done.append(d),
                                                   device="cpu"))
    # propagation alone, in the chunks the run used (chunks share their boundary sample)
    sat_array = SatrecArray([s.satrec for s in const.satellites])
    per_chunk = max(2, done[0] + 1 if done else window.n_samples)
    t0 = time.perf_counter()
    k0 = 0
    while k0 < window.n_samples - 1:
        k1 = min(window.n_samples, k0 + per_chunk)
        propagate_ecef(sat_array, window, k0, k1)
        k0 = k1 - 1
    prop = time.perf_counter() - t0
    f = result.figures
    return {"case": case, "points": len(grid), "samples": window.n_samples,
            "chunk_samples": per_chunk, "chunks": len(done), "run_s": wall, "propagation_s": prop,
            "work_mb": work, "peak_rss_mb": peak,
            "max_revisit_p95_s": weighted_percentile(f["max_revisit_s"], grid.weight, 95),
            "seen_share": float(grid.weight[f["seen"]].sum())}


def cases(spec: dict, only: str | None = None) -> list[tuple[str, dict]]:
    """(sweep, case) pairs: the base case once, then each sweep's other values."""
    base = spec["base"]
    out = [("base", dict(base))]
    for axis, values in spec["sweeps"].items():
        if only and axis != only:
            continue
        out += [(axis, dict(base, **{axis: v})) for v in values if v != base[axis]]
    for sweep, overrides in spec.get("extra", {}).items():
        if only and sweep != only:
            continue
        out += [(sweep, dict(base, **o)) for o in overrides]
    return out


def main(argv):
    quick = "--quick" in argv
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    spec = QUICK if quick else FULL
    timeout_s = 600.0 if quick else 3600.0
    rows = []
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} (this machine's cores: {os.cpu_count()}; other work slows "
          f"every time here)")
    print(f"{'sweep':<11} {'sats':>5} {'grid':>5}   {'points':>8} {'days':>5} {'step':>5} {'samples':>8} {'chunk':>6} "
          f"{'run':>9} {'sgp4':>8} {'sgp4 %':>6} {'work MB':>8} {'peak MB':>8} {'MRT p95':>9}", flush=True)
    for sweep, case in cases(spec, only):
        r = C.run_child(os.path.abspath(__file__), case, timeout_s)
        r.update(sweep=sweep, case=case)
        rows.append(r)
        kind = "ea" if case.get("grid_kind") == "equal-area" else ""
        head = (f"{sweep:<11} {case['satellites']:>5} {case['grid_deg']:>5g}{kind:<2} {r.get('points', 0):>8} "
                f"{case['days']:>5g} {case['step_s']:>5g}")
        if "error" in r:
            print(f"{head} failed: {r['error']}", flush=True)
            continue
        print(f"{head} {r['samples']:>8} {r['chunk_samples']:>6} {r['run_s']:>8.2f}s {r['propagation_s']:>7.2f}s "
              f"{100 * r['propagation_s'] / r['run_s']:>5.0f}% {r['work_mb']:>8.0f} {r['peak_rss_mb']:>8.0f} "
              f"{r['max_revisit_p95_s'] / 60:>7.1f}min", flush=True)
    verdicts = []
    for want, limit_s, label in TARGETS:
        hit = [r for r in rows if "run_s" in r and all(r["case"][k] == v for k, v in want.items())
               and r["case"]["step_s"] == 60.0]
        if hit:
            t = hit[0]["run_s"]
            verdicts.append({"target": label, "limit_s": limit_s, "run_s": t, "met": t <= limit_s})
            verdict = "met" if t <= limit_s else "NOT met"
            print(f"target {label} (60 s step) under ~{limit_s:g} s: {verdict} ({t:.1f} s)")
        else:
            verdicts.append({"target": label, "limit_s": limit_s, "run_s": None, "met": None})
            print(f"target {label}: not run in this mode")
    print("run = sim.engine.run end to end, warm; sgp4 = propagation of the whole window alone; work MB = peak RSS during "
          "the run minus RSS before it")
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f}")
    print(json.dumps({"benchmark": "scale", "mode": "quick" if quick else "full", "base": spec["base"],
                      "rows": rows, "targets": verdicts, "cpus": os.cpu_count(),
                      "load_average": [load_before[0], load_after[0]]}, default=float))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        print(json.dumps(child(json.loads(sys.argv[2])), default=float))
    else:
        main(sys.argv[1:])
