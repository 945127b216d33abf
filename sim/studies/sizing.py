"""Sizing: the smallest member of a constellation family that meets a revisit target.

A family is a sweep file whose ``[group]`` is the fixed part (pattern,
altitude, inclination or local times, sensor); its members are planes x
satellites per plane.  :func:`size_search` gallops then bisects per plane
count on the Dask (or sequential) executor of :mod:`sim.studies.sweep`;
:func:`brute_force_family` runs every member and is its test reference.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from constellation.errors import InputError
from constellation.sweepspec import Configuration, SweepSpec, slug
from sim.studies.sweep import PERCENTILE_KEYS, Journal, RunStats, run_configurations, table_rows


# A search is refused before anything runs beyond these: each plane count is a
# search of several runs, and every member is built satellite by satellite.
MAX_PLANE_COUNTS = 1_000
MAX_SATELLITES = 100_000  # in the largest member tried: most planes x most satellites per plane


def check_search_size(planes, max_sats_per_plane: int) -> None:
    """Refuse (InputError) more than :data:`MAX_PLANE_COUNTS` plane counts, or a
    largest member of more than :data:`MAX_SATELLITES` satellites."""
    n = len(planes)
    if n > MAX_PLANE_COUNTS:
        raise InputError(f"{n:,} plane counts to try, more than the {MAX_PLANE_COUNTS:,} a search takes (each is "
                         "a search of several runs): give fewer, e.g. 4-24:2", field="--planes")
    most = max(planes) * max_sats_per_plane
    if most > MAX_SATELLITES:
        raise InputError(f"the largest member tried would be {max(planes):,} planes x {max_sats_per_plane:,} per "
                         f"plane = {most:,} satellites, more than the {MAX_SATELLITES:,} a configuration may have: "
                         "lower the plane counts or --max-per-plane", field="--planes")


@dataclass
class SizeOutcome:
    """What a sizing search found: ``best`` (a table row, or None), per plane count the
    smallest satellites per plane meeting the target (or why none), every row
    evaluated, and the departures from monotonicity seen."""

    target: dict
    percentile: int
    best: dict | None
    per_planes: list[dict]
    rows: list[dict]
    stats: RunStats
    rounds: int
    warnings: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def meets_target(row: dict, target_name: str, threshold_s: float, percentile: int = 100) -> bool:
    """Whether a row meets the target: every point's max revisit within it (percentile
    100: the target's share met is 100 %), or the area-weighted percentile of max
    revisit within it.  A failed configuration does not."""
    if row.get("status") != "ok":
        return False
    if percentile == 100:
        return row.get(f"{slug(target_name)}_share_met") == 1.0
    v = row.get(f"max_revisit_{PERCENTILE_KEYS[percentile]}_s")
    return v is not None and v <= threshold_s


def family_target(spec: SweepSpec, target: str | None = None) -> tuple[str, float]:
    """The sizing target: ``target`` ("10min", seconds) when given, else the
    family's first ``[[target]]``: -> (name, threshold in seconds)."""
    from constellation.scenario import read_target
    from sim.engine.metrics import untestable_reason
    from sim.studies.study import parse_duration_s

    if target:
        name, threshold_s = f"within {target}", parse_duration_s(target)
    elif not spec.targets:
        raise InputError("the family has no [[target]]: give one (e.g. 10min)", spec.path, field="--target")
    else:
        t = read_target(spec.targets[0], spec.path, "target[1]")
        name, threshold_s = t.name, t.threshold_s
    w = spec.window
    window_s = float(w["hours"]) * 3600.0 if "hours" in w else float(w.get("days", 1.0)) * 86400.0
    if window_s <= threshold_s:
        # No member could fail the target, so none could be told apart.
        raise InputError(f"cannot size for {name!r}: {untestable_reason(threshold_s, window_s)}", spec.path,
                         field="window")
    return name, threshold_s


def family_spec(spec: SweepSpec, target_name: str, threshold_s: float) -> SweepSpec:
    """The family with the sizing target as its only target."""
    return dataclasses.replace(spec, targets=[{"name": target_name, "max_revisit_s": float(threshold_s)}])


def family_configuration(spec: SweepSpec, planes: int, sats_per_plane: int, index: int = 0) -> Configuration:
    return spec.configuration({"planes": planes, "sats_per_plane": sats_per_plane}, index)


def _probes(lo: int, hi: int | None, cap: int, k: int) -> list[int]:
    """Up to ``k`` satellites-per-plane values to try in the unknown range (lo, u]."""
    u = cap if hi is None else min(cap, hi - 1)
    if u <= lo:
        return []
    if hi is None or hi - 1 > cap:  # no member known to meet (within the cap): gallop upwards
        out, x = [], lo
        for _ in range(k):
            x = min(u, max(x + 1, 2 * x))
            out.append(x)
            if x == u:
                break
        return out
    n = u - lo  # unknowns lo+1 .. u; the answer is the first meeting one, or hi
    k = min(k, n)
    return sorted({lo + max(1, round(n * (j + 1) / (k + 1))) for j in range(k)} - {lo})


def size_search(spec: SweepSpec, target_name: str, threshold_s: float, executor, planes: list[int],
                min_sats_per_plane: int = 1, max_sats_per_plane: int = 40, percentile: int = 100,
                journal: Journal | None = None, known: dict | None = None,
                log: Callable[[str], None] | None = None) -> SizeOutcome:
    """The smallest member (planes x sats_per_plane, fewest satellites, then fewest planes)
    of the family ``spec`` (its group with ``planes`` and ``sats_per_plane`` set) that
    meets the target.  For every plane count, satellites per plane are searched by
    galloping (1, 2, 4, ...) until one meets, then by k-section; each round runs one
    batch of configurations (a few per plane count, to fill the executor's slots).
    Plane counts that cannot beat the best total found are dropped.  Assumes meeting
    is monotone in satellites per plane for fixed planes (violations seen are reported)."""
    if percentile not in PERCENTILE_KEYS:
        raise InputError(f"percentile must be one of {', '.join(map(str, PERCENTILE_KEYS))}", field="--percentile")
    if not planes:
        raise InputError("no plane counts to search", field="--planes")
    if not 1 <= min_sats_per_plane <= max_sats_per_plane:
        raise InputError(f"need 1 <= min_sats_per_plane ({min_sats_per_plane}) <= max_sats_per_plane "
                         f"({max_sats_per_plane})", field="--max-per-plane")
    planes = sorted(set(planes))
    check_search_size(planes, max_sats_per_plane)
    spec = family_spec(spec, target_name, threshold_s)
    known = {} if known is None else known
    meets, fails = {p: set() for p in planes}, {p: set() for p in planes}
    # A member whose run failed says nothing of the target: its plane count's search stops there.
    errors: dict[int, str] = {}
    confs, rows_by_key = {}, {}
    stats = RunStats()
    best = None  # (total, planes, sats_per_plane)
    rounds = 0
    warnings = []

    def bounds(p):
        hi = min(meets[p]) if meets[p] else None
        lo = max([s for s in fails[p] if hi is None or s < hi], default=min_sats_per_plane - 1)
        return lo, hi

    def cap_of(p):
        if best is None:
            return max_sats_per_plane
        total, bp, _ = best
        limit = total // p if p < bp else (total - 1) // p
        return min(max_sats_per_plane, limit)

    while True:
        wanted = {}
        for p in planes:
            lo, hi = bounds(p)
            wanted[p] = (lo, hi, cap_of(p))
        active = [p for p in planes if p not in errors and _probes(*wanted[p], 1)]
        if not active:
            break
        k = max(1, executor.slots // len(active))
        batch = []
        for p in active:
            for s in _probes(*wanted[p], k):
                c = family_configuration(spec, p, s, len(confs))
                confs.setdefault(c.key, c)
                batch.append(confs[c.key])
        rounds += 1
        if log is not None:
            shown = ", ".join(f"{c.params['planes']}x{c.params['sats_per_plane']}" for c in batch)
            log(f"round {rounds}: {len(batch)} configurations ({shown})"
                + (f"; best so far {best[1]}x{best[2]} = {best[0]}" if best else ""))
        records, st = run_configurations(batch, executor, journal, known)
        stats.ran += st.ran
        stats.reused += st.reused
        for c, rec in zip(batch, records):
            row = table_rows([c], [rec])[0]
            rows_by_key[c.key] = row
            p, s = c.params["planes"], c.params["sats_per_plane"]
            if row["status"] != "ok":
                errors.setdefault(p, f"{p}x{s} failed: {row['error']}")
                warnings.append(f"{p}x{s} failed: {row['error']}")
            elif meets_target(row, target_name, threshold_s, percentile):
                meets[p].add(s)
            else:
                fails[p].add(s)
        for p in active:
            lo, hi = bounds(p)
            if hi is not None and hi - lo == 1 and hi <= cap_of(p):
                cand = (p * hi, p, hi)
                if best is None or cand[:2] < best[:2]:
                    best = cand
    per_planes = []
    for p in planes:
        lo, hi = bounds(p)
        bad = sorted(s for s in fails[p] if hi is not None and s > hi)
        if bad:
            warnings.append(f"not monotone at {p} planes: {hi} per plane meet the target but {bad} do not")
        if p in errors:
            per_planes.append({"planes": p, "sats_per_plane": None, "satellites": None,
                               "status": f"not searched further: {errors[p]}"})
        elif hi is not None and hi - lo == 1:
            per_planes.append({"planes": p, "sats_per_plane": hi, "satellites": p * hi, "status": "smallest"})
        elif cap_of(p) < max_sats_per_plane and best is not None:
            per_planes.append({"planes": p, "sats_per_plane": None, "satellites": None,
                               "status": f"more than {lo} per plane; cannot beat {best[0]}"})
        else:
            per_planes.append({"planes": p, "sats_per_plane": None, "satellites": None,
                               "status": f"none up to {max_sats_per_plane} per plane"})
    ordered = sorted(confs.values(), key=lambda c: (c.params["planes"], c.params["sats_per_plane"]))
    rows = []
    for c in ordered:
        row = dict(rows_by_key[c.key])
        row["meets_target"] = meets_target(row, target_name, threshold_s, percentile)
        err = row.pop("error")
        row["error"] = err
        rows.append(row)
    best_row = None
    if best is not None:
        best_row = next(r for r in rows if r["planes"] == best[1] and r["sats_per_plane"] == best[2])
    stats.failed = sum(r["status"] != "ok" for r in rows)
    return SizeOutcome({"name": target_name, "threshold_s": threshold_s}, percentile, best_row, per_planes, rows,
                       stats, rounds, warnings)


def brute_force_family(spec: SweepSpec, planes: Iterable[int], sats_per_plane: Iterable[int], executor,
                       target_name: str, threshold_s: float, percentile: int = 100) -> tuple[dict | None, list]:
    """Every member run (no search): the smallest meeting the target, and all rows.
    The reference that :func:`size_search` is tested against."""
    spec = family_spec(spec, target_name, threshold_s)
    confs = [family_configuration(spec, p, s, i) for i, (p, s) in
             enumerate((p, s) for p in planes for s in sats_per_plane)]
    records, _ = run_configurations(confs, executor)
    rows = table_rows(confs, records)
    good = [r for r in rows if meets_target(r, target_name, threshold_s, percentile)]
    best = min(good, key=lambda r: (r["satellites"], r["planes"])) if good else None
    return best, rows
