"""revisit against its peers on one constellation, grid, window and sensor.

    python benchmarks/peers.py            # prints tables, then one JSON object (~4-8 min)
    python benchmarks/peers.py --quick    # a 10 deg grid, no 1 deg baselines (~1 min)
    python benchmarks/peers.py --no-tatc  # leave TAT-C out

The constellation is the core benchmark's: a 138-satellite Walker delta
(138/6/1) on sun-synchronous planes at 535 km, every satellite with a 45 deg
off-nadir field of regard; all tools fly the same TLEs (written once and read
back).  Four tools, each in its own child process (wall time and peak RSS of
that process, measured around the work only, warm):

1. revisit: ``sim.engine.run`` end to end (sgp4, numba kernel with sub-step edge
   refinement, per-point figures);
2. numpy brute force: the product's sgp4 propagation, then every point x every
   satellite at every sample (sample-only edges, half-way between samples);
3. skyfield: ``EarthSatellite.at(times).frame_xyz(itrs)`` per satellite
   (skyfield's own frames), then the same sample-only test;
4. NASA TAT-C (``pip install -e '.[bench]'``): ``collect_observations`` ->
   ``aggregate_observations`` -> ``reduce_observations`` on the same points,
   field of regard 90 deg about the geocentric nadir.  TAT-C's per-point
   'revisit' is the mean gap between accesses, edge gaps left out: revisit's
   ``mean_revisit_interior_s``.

Per-point agreement is measured on the *comparison case* (5 deg grid, 2 hours,
60 s: short enough for every tool), with a numpy brute force at a 1 s step as
well (60x finer: sample-only edges then fall within a second of revisit's).
Speed and memory: each baseline and revisit are measured on the same case, one
the baseline finishes in minutes (the brute forces: the *headline case* itself,
1 deg, 1 day, 60 s; TAT-C: 2 deg, 2 h; --quick: the 10 deg comparison case).
TAT-C is carried to the headline case by an affine fit (fixed cost + cost per
point-sample) through its two measured runs -- an estimate, and said so in the
output.  The brute force at the same step does less work than revisit (no
edges, passes shorter than a step missed), so the script also times it at the
1 s step that matches revisit's accuracy ('numpy 1 s', timed on 15 minutes and
scaled to the day: exact for a brute force, whose cost is per sample).
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from datetime import timedelta

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402

HEADLINE = {"grid_deg": 1.0, "hours": 24.0, "step_s": 60.0}
# Speed-ups the product aims for (the brute force: at revisit's step, and at the step matching its accuracy)
ISSUE_TARGETS = {"numpy": 200, "numpy-1s": 200, "tatc": 1000}
SAVED = ("max_revisit_s", "mean_revisit_s", "mean_revisit_interior_s", "max_revisit_interior_s", "n_access",
         "coverage_fraction", "seen")


# --------------------------------------------------------------------------- the tools
def case_inputs(case: dict):
    """Constellation (TLE round trip), TLE lines, grid and window of a case dict
    {satellites, planes, grid_deg, hours, step_s}."""
    from sim import Grid, Window

    const, lines = C.tle_roundtrip(C.walker_sso(case.get("satellites", 138), case.get("planes", 6)))
    grid = Grid.regular(case["grid_deg"])
    window = Window(C.START, case["hours"] * 3600.0, case["step_s"])
    return const, lines, grid, window


def revisit_figures(const, grid, window) -> dict:
    from sim import run
    return dict(run(const, grid, window, device="cpu").figures)


def numpy_figures(const, grid, window) -> dict:
    return C.numpy_brute_force(const, grid, window)


def skyfield_figures(lines, grid, window) -> dict:
    return C.skyfield_reference(lines, grid, window)


def tatc_available() -> str | None:
    """None when TAT-C imports, else why not."""
    try:
        import tatc  # noqa: F401
        from tatc.analysis import collect_observations  # noqa: F401
    except Exception as exc:  # ImportError, or a broken dependency
        return (f"TAT-C is not importable ({type(exc).__name__}: {exc}); install it with "
                f"pip install -e '.[bench]' (the bench extra)")
    return None


def tatc_figures(const, lines, grid, window, off_nadir_deg: float = C.OFF_NADIR_DEG) -> dict:
    """TAT-C's coverage pipeline on the grid's points; per-point figures in grid order.

    ``mean_revisit_interior_s`` is TAT-C's own reduced 'revisit'; the others are
    computed here from its aggregated (merged) access intervals.
    """
    from shapely import geometry as geo
    from tatc.analysis import aggregate_observations, collect_observations, reduce_observations
    from tatc.schemas import Instrument, Satellite, TwoLineElements
    from tatc.utils.projection import NadirReference

    inst = Instrument(name="sensor", field_of_regard=2.0 * off_nadir_deg, nadir_reference=NadirReference.GEOCENTRIC)
    sats = [Satellite(name=s.name, orbit=TwoLineElements(tle=tle), instruments=[inst])
            for s, tle in zip(const.satellites, lines)]
    points = [geo.Point(lon, lat) for lat, lon in zip(grid.lat_deg, grid.lon_deg)]
    start = window.start
    end = start + timedelta(seconds=window.duration_s)
    obs = collect_observations(points, sats, start, end, instrument_index=0)
    agg = aggregate_observations(obs)
    red = reduce_observations(agg)
    return tatc_per_point(grid, window, agg, red)


def _point_keys(lon, lat):
    return [(round(float(x), 6), round(float(y), 6)) for x, y in zip(lon, lat)]


def tatc_per_point(grid, window, agg, red) -> dict:
    n = len(grid)
    T = window.duration_s
    index = {k: i for i, k in enumerate(_point_keys(grid.lon_deg, grid.lat_deg))}
    out = {name: np.full(n, np.nan) for name in SAVED}
    out["n_access"] = np.zeros(n)
    out["seen"] = np.zeros(n, dtype=bool)
    if len(red):
        idx = np.array([index[k] for k in _point_keys(red.geometry.x, red.geometry.y)])
        out["mean_revisit_interior_s"][idx] = red["revisit"].dt.total_seconds().to_numpy()
    t0 = np.datetime64(window.start.replace(tzinfo=None), "ns")
    if len(agg):
        pidx = np.array([index[k] for k in _point_keys(agg.geometry.x, agg.geometry.y)])
        s = (agg["start"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy() - t0) / np.timedelta64(1, "s")
        e = (agg["end"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy() - t0) / np.timedelta64(1, "s")
        order = np.lexsort((s, pidx))
        pidx, s, e = pidx[order], s[order], e[order]
        counts = np.bincount(pidx, minlength=n)
        out["n_access"] = counts.astype(float)
        out["seen"] = counts > 0
        first = np.full(n, np.nan)
        last = np.full(n, np.nan)
        first[pidx[::-1]] = s[::-1]  # the earliest start per point wins
        last[pidx] = e  # the latest end per point wins
        same = pidx[1:] == pidx[:-1]
        gaps = s[1:][same] - e[:-1][same]
        gmax = np.zeros(n)
        np.maximum.at(gmax, pidx[1:][same], gaps)
        gsum = np.bincount(pidx[1:][same], weights=gaps, minlength=n)
        gnum = np.bincount(pidx[1:][same], minlength=n)
        covered = np.bincount(pidx, weights=e - s, minlength=n)
        seen = out["seen"]
        lead = np.where(seen, first, T)
        trail = np.where(seen, T - last, 0.0)
        lead = np.where(lead > C.MIN_GAP_S, lead, 0.0)
        trail = np.where(trail > C.MIN_GAP_S, trail, 0.0)
        n_gaps = gnum + (lead > 0) + (trail > 0)
        out["max_revisit_s"] = np.maximum(np.maximum(gmax, lead), trail)
        out["mean_revisit_s"] = np.where(n_gaps > 0, (gsum + lead + trail) / np.maximum(n_gaps, 1), 0.0)
        out["max_revisit_interior_s"] = np.where(gnum > 0, gmax, np.nan)
        out["coverage_fraction"] = covered / T
    else:
        out["max_revisit_s"] = np.full(n, T)
        out["mean_revisit_s"] = np.full(n, T)
        out["coverage_fraction"] = np.zeros(n)
    return out


# --------------------------------------------------------------------------- child process
def child(payload: dict) -> dict:
    """Run one tool on one case in this (fresh) process: warm up on a tiny case,
    then time the real one and record this process's peak RSS around it."""
    method, case = payload["method"], payload["case"]
    const, lines, grid, window = case_inputs(case)
    tiny = dict(case, grid_deg=30.0, hours=0.25)
    t_const, t_lines, t_grid, t_window = case_inputs(dict(tiny, satellites=6, planes=6))
    if method == "revisit":
        revisit_figures(t_const, t_grid, t_window)  # numba compile / cache load
        fn = lambda: revisit_figures(const, grid, window)  # noqa: E731
    elif method == "numpy":
        numpy_figures(t_const, t_grid, t_window)
        fn = lambda: numpy_figures(const, grid, window)  # noqa: E731
    elif method == "skyfield":
        skyfield_figures(t_lines, t_grid, t_window)  # loads the timescale
        fn = lambda: skyfield_figures(lines, grid, window)  # noqa: E731
    elif method == "tatc":
        why = tatc_available()
        if why:
            return {"error": why}
        tatc_figures(t_const, t_lines, t_grid, t_window)  # numba cache, ephemeris
        fn = lambda: tatc_figures(const, lines, grid, window)  # noqa: E731
    else:
        raise ValueError(f"unknown method {method!r}")
    figures, wall, peak, work = C.timed(fn)
    out = {"method": method, "case": case, "points": len(grid), "samples": window.n_samples,
           "wall_s": wall, "peak_rss_mb": peak, "work_mb": work}
    if method == "revisit":
        from sgp4.api import SatrecArray

        from sim.engine.propagate import propagate_ecef

        sat_array = SatrecArray([s.satrec for s in const.satellites])
        t0 = time.perf_counter()
        for k0 in range(0, window.n_samples - 1, 1440):
            propagate_ecef(sat_array, window, k0, min(window.n_samples, k0 + 1441))
        out["propagation_s"] = time.perf_counter() - t0
    if payload.get("save"):
        np.savez(payload["save"], **{k: np.asarray(figures[k]) for k in SAVED})
    return out


def measure(method: str, case: dict, save: str | None = None, timeout_s: float | None = None) -> dict:
    payload = {"method": method, "case": case}
    if save:
        payload["save"] = save
    result = C.run_child(os.path.abspath(__file__), payload, timeout_s)
    result.setdefault("method", method)
    result.setdefault("case", case)
    return result


def load(path: str) -> dict:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


# --------------------------------------------------------------------------- comparison
def compare(case: dict, methods=("revisit", "numpy", "skyfield", "tatc"), workdir: str | None = None,
            timeout_s: float | None = None, fine_factor: int = 60) -> dict:
    """Run each method on ``case`` in a child process; per-point agreement of each
    with revisit (``agreement``, tolerance: that method's own step), and each
    one's time and memory.  With numpy among the methods and ``fine_factor`` > 1,
    also 'numpy-fine': the brute force at a step ``fine_factor`` times shorter,
    which shows the sample-only disagreement shrinking with the step."""
    workdir = workdir or tempfile.mkdtemp(prefix="revisit-peers-")
    jobs = [(m, m, case) for m in methods]
    if "numpy" in methods and fine_factor > 1:
        jobs.append(("numpy-fine", "numpy", dict(case, step_s=case["step_s"] / fine_factor)))
    runs, figures = {}, {}
    for label, m, c in jobs:
        path = os.path.join(workdir, f"{label}.npz")
        runs[label] = measure(m, c, path, timeout_s)
        if "error" not in runs[label]:
            figures[label] = load(path)
    agree = {}
    if "revisit" in figures:
        for label, _, c in jobs:
            if label != "revisit" and label in figures:
                agree[label] = C.agreement(figures["revisit"], figures[label], c["step_s"])
    return {"case": case, "runs": runs, "agreement": agree, "figures": figures}


def n_points(case: dict) -> int:
    return round(180 / case["grid_deg"]) * round(360 / case["grid_deg"])


def n_samples(case: dict) -> int:
    return math.ceil(case["hours"] * 3600 / case["step_s"] - 1e-9) + 1


def scaled(run: dict, to: dict) -> float | None:
    """Wall time scaled linearly by points x samples to the case ``to`` (exact for
    the brute forces, whose cost is one fixed piece of work per point and sample)."""
    if "error" in run:
        return None
    c = run["case"]
    return run["wall_s"] * n_points(to) / n_points(c) * n_samples(to) / n_samples(c)


def affine_extrapolation(runs: list[dict], to: dict) -> dict | None:
    """Wall time at ``to`` from t = fixed + per * points * samples, fitted through the
    two measured runs with the fewest and most point-samples (TAT-C's cost per
    point-sample falls as a run grows: a fixed cost per satellite, then passes)."""
    ok = [r for r in runs if "wall_s" in r]
    if len(ok) < 2:
        return None
    ok.sort(key=lambda r: n_points(r["case"]) * n_samples(r["case"]))
    lo, hi = ok[0], ok[-1]
    x0 = n_points(lo["case"]) * n_samples(lo["case"])
    x1 = n_points(hi["case"]) * n_samples(hi["case"])
    if x1 <= x0:
        return None
    per = (hi["wall_s"] - lo["wall_s"]) / (x1 - x0)
    fixed = lo["wall_s"] - per * x0
    return {"fixed_s": fixed, "per_point_sample_s": per, "from": [describe(lo["case"]), describe(hi["case"])],
            "estimate_s": fixed + per * n_points(to) * n_samples(to)}


def describe(case: dict) -> str:
    return f"{case['grid_deg']:g} deg, {case['hours']:g} h, {case['step_s']:g} s"


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def main(argv):
    quick = "--quick" in argv
    with_tatc = "--no-tatc" not in argv
    comparison = {"satellites": 138, "planes": 6, "grid_deg": 10.0 if quick else 5.0, "hours": 2.0, "step_s": 60.0}
    headline = dict(comparison, **HEADLINE)
    methods = ["revisit", "numpy", "skyfield"] + (["tatc"] if with_tatc else [])
    # Where each baseline's speed is compared with revisit's, both measured on the same case:
    # the brute forces on the headline case, TAT-C on a 2 deg grid for 2 hours (minutes for
    # TAT-C; its 1 deg day would take hours).  --quick: the comparison case.  'numpy-1s' is the
    # brute force at the step that matches revisit's accuracy, compared with revisit at 60 s.
    speed_cases = {m: comparison for m in methods if m != "revisit"}
    speed_cases["numpy-1s"] = dict(comparison, step_s=1.0)
    if not quick:
        speed_cases.update(numpy=headline, skyfield=headline)
        speed_cases["numpy-1s"] = dict(headline, hours=0.25, step_s=1.0)
        if with_tatc:
            speed_cases["tatc"] = dict(comparison, grid_deg=2.0)
    print(f"comparison case: 138 satellites (Walker 138/6/1, SSO 535 km, 45 deg off-nadir), "
          f"{describe(comparison)}; running {', '.join(methods)} ...", file=sys.stderr)
    load_before = os.getloadavg()[0]
    cmp = compare(comparison, methods, timeout_s=3600.0)
    revisit_on = {describe(comparison): cmp["runs"]["revisit"]}
    for label, c in [("revisit", headline)] + list(speed_cases.items()):
        if label == "numpy-1s":
            c = dict(c, step_s=comparison["step_s"])  # revisit at its own step on that window
        if describe(c) not in revisit_on:
            print(f"timing revisit on {describe(c)} ...", file=sys.stderr)
            revisit_on[describe(c)] = measure("revisit", c)
    runs = {}
    for m, c in speed_cases.items():
        method = "numpy" if m == "numpy-1s" else m
        if c is comparison or "error" in cmp["runs"][method]:
            runs[m] = cmp["runs"][method]
        elif m == "numpy-1s" and quick:
            runs[m] = cmp["runs"]["numpy-fine"]
        else:
            print(f"timing {m} on {describe(c)} ...", file=sys.stderr)
            runs[m] = measure(method, c, timeout_s=3600.0)
    load_after = os.getloadavg()[0]
    head = revisit_on[describe(headline)]
    rows = []
    for m in [m for m in methods if m != "revisit"] + ["numpy-1s"]:
        r = runs[m]
        same_step = r.get("case", {}).get("step_s") == comparison["step_s"]
        rv = revisit_on[describe(r["case"] if same_step else dict(r["case"], step_s=comparison["step_s"]))]
        row = {"tool": m, "case": describe(r["case"]), "error": r.get("error"),
               "wall_s": r.get("wall_s"), "revisit_wall_s": rv.get("wall_s"),
               "work_mb": r.get("work_mb"), "revisit_work_mb": rv.get("work_mb"), "peak_rss_mb": r.get("peak_rss_mb")}
        row["time_ratio"] = (row["wall_s"] / row["revisit_wall_s"]) if row["wall_s"] and row["revisit_wall_s"] else None
        row["memory_ratio"] = (row["work_mb"] / row["revisit_work_mb"]) \
            if row["work_mb"] and row["revisit_work_mb"] else None
        if m == "tatc":
            fit = affine_extrapolation([cmp["runs"]["tatc"], r], headline)
            row["headline_s"] = fit["estimate_s"] if fit else scaled(r, headline)
            row["headline_how"] = (f"affine in points x samples through {fit['from'][0]} and {fit['from'][1]}"
                                   if fit else "linear in points x samples (an upper bound: its cost per "
                                   "point-sample falls as runs grow)")
            row["fit"] = fit
        else:
            row["headline_s"] = scaled(r, headline if same_step else dict(headline, step_s=r["case"]["step_s"]))
            same_grid = n_points(r["case"]) == n_points(headline)
            row["headline_how"] = ("linear in samples: exact for a brute force" if same_grid else
                                   "linear in points x samples: a brute force's per-step overhead weighs more "
                                   "on a small grid")
            if not same_step:
                row["headline_how"] = (f"at a {r['case']['step_s']:g} s step, against revisit at "
                                       f"{comparison['step_s']:g} s; " + row["headline_how"])
            if r.get("case") == headline:
                row["headline_how"] = "measured"
        row["headline_ratio"] = (row["headline_s"] / head["wall_s"]) \
            if row["headline_s"] and "wall_s" in head else None
        rows.append(row)

    print(f"load average {load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} cores; other work on "
          f"the machine slows every tool)")
    print("\nSpeed and memory, each baseline and revisit measured on the same case (own process, warm):")
    print(f"{'tool':<9} {'case':<19} {'wall':>9} {'revisit':>9} {'x revisit':>10} {'work MB':>8} {'revisit MB':>10} "
          f"{'x mem':>6}")
    for r in rows:
        if r["error"]:
            print(f"{r['tool']:<9} not run: {r['error']}")
            continue
        print(f"{r['tool']:<9} {r['case']:<19} {fmt(r['wall_s'], '8.2f')}s {fmt(r['revisit_wall_s'], '8.2f')}s "
              f"{fmt(r['time_ratio'], '9.0f')}x {fmt(r['work_mb'], '8.0f')} {fmt(r['revisit_work_mb'], '10.0f')} "
              f"{fmt(r['memory_ratio'], '5.1f')}x")
    print("  work MB = peak RSS during the work minus the RSS before it (the process's own peak is in the JSON)")
    print(f"  numpy-1s: the brute force at a 1 s step, where its edges fall within a second of revisit's; "
          f"revisit runs that window at {comparison['step_s']:g} s")
    print(f"\nAt the headline case ({describe(headline)}, {n_points(headline):,} points, 138 satellites): revisit "
          f"measured {fmt(head.get('wall_s'), '.2f')} s (sgp4 alone {fmt(head.get('propagation_s'), '.2f')} s), "
          f"{fmt(head.get('work_mb'), '.0f')} MB; the others scaled from their case above:")
    for r in rows:
        if r["error"] or r["headline_s"] is None:
            continue
        print(f"  {r['tool']:<9} ~{r['headline_s']:9.0f} s  {r['headline_ratio']:7.0f}x revisit  ({r['headline_how']})")
    if any(r.get("fit") for r in rows):
        print("  (the TAT-C fit assumes its cost keeps growing as it does between its two measured cases)")
    for r in rows:
        target = ISSUE_TARGETS.get(r["tool"])
        if target and r["time_ratio"]:
            same = "met" if r["time_ratio"] >= target else "NOT met"
            at_head = ("met" if r["headline_ratio"] >= target else "NOT met") if r["headline_ratio"] else "-"
            print(f"  target revisit >= {target}x {r['tool']}: {same} on {r['case']} ({r['time_ratio']:.0f}x); "
                  f"{at_head} at the headline case (~{fmt(r['headline_ratio'], '.0f')}x, estimated as above)")

    print(f"\nAgreement with revisit per point on the comparison case ({describe(comparison)}, "
          f"{cmp['runs']['revisit'].get('points', '?')} points):")
    print(f"{'tool':<11} {'step':>5} {'figure':<24} {'points':>7} {'max |diff|':>11} {'mean |diff|':>11} "
          f"{'within step':>11} {'one-sided':>9} {'wall':>8} {'x revisit':>9} {'work MB':>8} {'x mem':>6}")
    rev = cmp["runs"]["revisit"]
    rev_wall = rev.get("wall_s")
    if rev_wall:
        print(f"{'revisit':<11} {comparison['step_s']:>4g}s {'(the reference here)':<24} {rev['points']:>7} "
              f"{'':>11} {'':>11} {'':>11} {'':>9} {rev_wall:>7.2f}s {1:>8.0f}x {rev['work_mb']:>8.0f} {1:>5.1f}x")
    for label, run in cmp["runs"].items():
        if label == "revisit":
            continue
        if "error" in run:
            print(f"{label:<11} {run['error']}")
            continue
        for i, (fig, a) in enumerate(cmp["agreement"].get(label, {}).items()):
            unit = " " if fig == "n_access" else "s"
            first = i == 0
            wall = fmt(run["wall_s"], "7.2f") + "s" if first else ""
            ratio = fmt(run["wall_s"] / rev_wall if rev_wall else None, "8.0f") + "x" if first else ""
            step = f"{run['case']['step_s']:g}s" if first else ""
            mem = fmt(run["work_mb"], "8.0f") if first else ""
            xmem = fmt(run["work_mb"] / rev["work_mb"] if rev.get("work_mb", 0) > 0 else None, "5.1f") + "x" \
                if first else ""
            print(f"{label if first else '':<11} {step:>5} {fig:<24} {a['points']:>7} {a['max_abs_diff']:>10.2f}{unit}"
                  f" {a['mean_abs_diff']:>10.3f}{unit} {a['share_within_step']:>11.1%} "
                  f"{a['share_defined_on_one_side_only']:>9.1%} {wall:>8} {ratio:>9} {mem:>8} {xmem:>6}")
    print("  within step: |difference| <= that tool's step (n_access: the same count); one-sided: a figure "
          "defined by one tool only\n  (e.g. mean interior revisit needs two accesses).  The sample-only "
          "brute forces miss passes and gaps shorter than\n  their step (near the poles, gaps of seconds "
          "between overlapping passes); TAT-C refines edges to a millisecond.")
    if not with_tatc:
        print("TAT-C: left out (--no-tatc)")
    result = {"benchmark": "peers", "constellation": "walker 138/6/1, SSO 535 km, 45 deg off-nadir",
              "comparison_case": comparison, "headline_case": headline, "speed": rows,
              "revisit_runs": revisit_on, "comparison_runs": cmp["runs"], "agreement": cmp["agreement"],
              "cpus": os.cpu_count(), "load_average": [load_before, load_after]}
    print(json.dumps(result, default=float))
    return result


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        print(json.dumps(child(json.loads(sys.argv[2])), default=float))
    else:
        main(sys.argv[1:])
