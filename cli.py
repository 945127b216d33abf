"""revisit's command line: parse, call, print.  No numerics live here."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re
import sys
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import click

from constellation.errors import InputError

DURATION_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
                  "d": 86400, "day": 86400, "days": 86400}


def seed_dir() -> Path:
    return Path(str(resources.files("seeds")))


def seed_paths() -> list[Path]:
    return sorted(seed_dir().glob("*.toml"))


def parse_duration_s(text: str) -> float:
    """'30min', '10 m', '1day', '2h', '600' (seconds) -> seconds."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-z]*)\s*", text.lower())
    if not m or (m.group(2) and m.group(2) not in DURATION_UNITS):
        raise click.BadParameter(f"{text!r} is not a duration like 30min, 1day, 2h or 600s")
    return float(m.group(1)) * DURATION_UNITS.get(m.group(2) or "s", 1)


def format_duration(seconds) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    s = float(seconds)
    if s < 120:
        return f"{s:.0f} s"
    if s < 2 * 3600:
        return f"{s / 60:.1f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def format_share(share: float) -> str:
    """Percent, never rounded up to 100 % (or down to 0 %) when it is not."""
    pct = 100.0 * share
    text = f"{pct:.1f}%"
    if text == "100.0%" and share < 1.0:
        text = f"{math.floor(pct * 100) / 100:.2f}%"
    if text == "0.0%" and share > 0.0:
        text = "<0.1%"
    return text


def _jsonable(obj):
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else obj
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def _parse_start(text: str) -> datetime:
    try:
        start = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO date-time such as 2026-01-01T00:00:00Z",
                                 param_hint="'--start'")
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    return start.astimezone(timezone.utc)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="revisit")
def main():
    """How often does a satellite constellation see every place on Earth?

    revisit propagates a constellation (a scenario file or a TLE catalog) with
    sgp4, measures with a numba coverage kernel when each point of a global
    grid is within a satellite's sensor reach, and reports revisit-time
    statistics against claims such as "anywhere within 30 minutes".

    Start with `revisit run` (the built-in Jilin-1 milestones) or
    `revisit scenarios`.
    """


@main.command("scenarios")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def scenarios_cmd(as_json):
    """List the built-in milestone scenarios (seeds/)."""
    from constellation.scenario import load_scenario

    rows = []
    for p in seed_paths():
        sc = load_scenario(p)
        rows.append({"name": sc.name, "satellites": len(sc.constellation), "claim": sc.claim or "-",
                     "days": sc.duration_s / 86400, "file": p.name, "title": sc.title})
    if as_json:
        for r in rows:
            click.echo(json.dumps(r))
        return
    click.echo(f"{'name':<18} {'sats':>5}  {'window':>6}  claim")
    for r in rows:
        click.echo(f"{r['name']:<18} {r['satellites']:>5}  {r['days']:>5g}d  {r['claim']}")


def _resolve_scenario(arg: str) -> Path:
    p = Path(arg)
    if p.exists():
        return p
    for s in seed_paths():
        if s.stem == arg or s.stem.replace("_", "-") == arg:
            return s
    from constellation.scenario import load_scenario

    for s in seed_paths():
        if load_scenario(s).name == arg:
            return s
    names = ", ".join(s.stem.replace("_", "-") for s in seed_paths())
    raise click.ClickException(f"{arg}: no such file or built-in scenario (built-in: {names})")


def simulation_options(f):
    """The options every simulating command shares (run, map, ...)."""
    opts = [
        click.option("--tle", "tle_path", type=click.Path(dir_okay=False),
                     help="Run a TLE/3LE catalog instead of a scenario."),
        click.option("--start", help="Window start, ISO UTC (e.g. 2026-01-01T00:00:00Z). Default: the "
                                     "scenario's, or the catalog's latest epoch."),
        click.option("--days", type=click.FloatRange(min=0, min_open=True, max=366), help="Window length in days."),
        click.option("--step", "step_s", type=click.FloatRange(min=0.01, max=3600),
                     help="Sample step in seconds (edges are refined below it)."),
        click.option("--grid-res", type=click.FloatRange(min=0.01, max=90), help="Grid resolution in degrees."),
        click.option("--lat-min", type=click.FloatRange(-90, 90), help="Southern edge of the grid (deg)."),
        click.option("--lat-max", type=click.FloatRange(-90, 90), help="Northern edge of the grid (deg)."),
        click.option("--off-nadir", type=click.FloatRange(min=0, min_open=True, max=90),
                     help="Sensor's maximum off-nadir angle (deg), for every group."),
        click.option("--min-elevation", type=click.FloatRange(min=0, max=90, max_open=True),
                     help="Minimum elevation of the satellite seen from the ground (deg)."),
        click.option("--target", "targets", multiple=True,
                     help="A revisit claim to check, e.g. 30min, 1day (repeatable; added to the scenario's)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def load_jobs(scenarios, tle_path) -> list[dict]:
    """Scenario files / built-in names, or one TLE catalog -> job dicts (constellation and defaults)."""
    from constellation.scenario import load_scenario
    from constellation.tle import read_tle
    from sim import Target

    jobs = []
    if tle_path:
        if scenarios:
            raise click.UsageError("give scenarios or --tle, not both")
        const = read_tle(tle_path)
        epochs = [s.satrec.jdsatepoch + s.satrec.jdsatepochF for s in const.satellites]
        latest = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(days=max(epochs) - 2440587.5)
        jobs.append(dict(name=Path(tle_path).stem, constellation=const, source=str(tle_path),
                         start=latest.replace(second=0, microsecond=0), duration_s=86400.0, step_s=60.0,
                         res=1.0, lat_min=-90.0, lat_max=90.0, targets=[], claim=""))
    else:
        paths = [_resolve_scenario(a) for a in scenarios] or seed_paths()
        for p in paths:
            sc = load_scenario(p)
            jobs.append(dict(name=sc.name, constellation=sc.constellation, source=str(p), start=sc.start,
                             duration_s=sc.duration_s, step_s=sc.step_s, res=sc.grid_res_deg,
                             lat_min=sc.lat_min_deg, lat_max=sc.lat_max_deg, claim=sc.claim,
                             targets=[Target(t.name, t.threshold_s, t.claim) for t in sc.targets]))
    return jobs


def prepare_job(job: dict, start=None, days=None, step_s=None, grid_res=None, lat_min=None, lat_max=None,
                off_nadir=None, min_elevation=None, targets=(), **_ignored):
    """Apply command-line overrides to a job: -> (constellation, grid, window, targets)."""
    from sim import Grid, Target, Window

    const = job["constellation"]
    changes = {}
    if off_nadir is not None:
        changes["max_off_nadir_deg"] = off_nadir
    if min_elevation is not None:
        changes["min_elevation_deg"] = min_elevation
    if changes:
        for g in const.groups:
            g.sensor = dataclasses.replace(g.sensor, **changes)
    window = Window(_parse_start(start) if start else job["start"],
                    (days * 86400.0) if days else job["duration_s"], step_s or job["step_s"])
    lo = lat_min if lat_min is not None else job["lat_min"]
    hi = lat_max if lat_max is not None else job["lat_max"]
    grid = Grid.regular(grid_res or job["res"], lo, hi)
    all_targets = job["targets"] + [Target(f"within {t}", parse_duration_s(t)) for t in targets]
    return const, grid, window, all_targets


def simulate_job(job: dict, **overrides):
    """Run one job with a progress bar on stderr; -> sim.Result."""
    from sim import run

    const, grid, window, targets = prepare_job(job, **overrides)
    total = window.n_samples - 1
    label = f"{job['name']} ({len(const)} sats, {len(grid):,} points)"
    with click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_percent=True) as bar:
        done = [0]

        def progress(k, n):
            bar.update(k - done[0])
            done[0] = k

        return run(const, grid, window, targets, name=job["name"], progress=progress)


@contextlib.contextmanager
def user_errors():
    """Input problems become one-line click errors (non-zero exit), never tracebacks."""
    try:
        yield
    except (InputError, ValueError) as exc:
        raise click.ClickException(str(exc))


@main.command("run")
@click.argument("scenarios", nargs=-1)
@simulation_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per scenario (JSON lines).")
def run_cmd(scenarios, tle_path, as_json, **overrides):
    """Simulate scenarios (default: every built-in Jilin-1 milestone) or a catalog.

    SCENARIOS are scenario files or built-in names (see `revisit scenarios`).
    Options override the scenario's own values.
    """
    results = []
    with user_errors():
        for job in load_jobs(scenarios, tle_path):
            summary = simulate_job(job, **overrides).summary()
            summary["claim"] = job["claim"]
            results.append(summary)
            if as_json:
                click.echo(json.dumps(_jsonable(summary)))
    if not as_json:
        click.echo(milestone_table(results))


def milestone_table(results: list[dict]) -> str:
    head = (f"{'scenario':<18} {'sats':>5} {'claim':<24} {'MRT p50':>8} {'MRT p95':>8} {'MRT max':>8} "
            f"{'mean rev':>8} {'response':>8} {'met':>7}  verdict")
    lines = [head, "-" * len(head)]
    for r in results:
        mrt = r["max_revisit_s"]
        tg = r["targets"]
        claim = ", ".join(t["name"] for t in tg) if tg else "(none)"
        met = ", ".join(format_share(t["share_met"]) for t in tg) if tg else "-"
        verdict = ", ".join(t["verdict"] for t in tg) if tg else "-"
        lines.append(f"{r['scenario']:<18} {r['satellites']:>5} {claim:<24} {format_duration(mrt['p50']):>8} "
                     f"{format_duration(mrt['p95']):>8} {format_duration(mrt['max']):>8} "
                     f"{format_duration(r['mean_revisit_s']):>8} {format_duration(r['mean_response_s']):>8} "
                     f"{met:>7}  {verdict}")
    lines.append("")
    lines.append("MRT: area-weighted percentiles of each point's longest gap (gaps at the window's edges count); "
                 "mean rev: mean gap; response: mean wait for a random request, sum(gap^2)/(2T); "
                 "met: share of the area whose MRT meets the claim.")
    if any(r.get("unseen_share", 0) > 0 for r in results):
        lines.append("Points never seen in a window count with MRT = the window length.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
