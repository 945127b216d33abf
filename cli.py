"""revisit's command line: parse, call, print.  No numerics live here."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re
import shlex
import sys
import time
from datetime import datetime, timezone
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
    seconds = float(m.group(1)) * DURATION_UNITS.get(m.group(2) or "s", 1)
    if not seconds > 0:
        raise click.BadParameter(f"{text!r}: a duration must be positive")
    return seconds


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


def _memory_limit_option(ctx, param, value):
    if value is None:
        return None
    from sim.memory import parse_size

    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc))


def simulation_options(f):
    """The options every simulating command shares (run, map, ...)."""
    opts = [
        click.option("--tle", "--catalog", "tle_path", type=click.Path(dir_okay=False),
                     help="Run a satellite catalog instead of a scenario: TLE/3LE, or OMM as CSV, JSON, XML or KVN "
                          "(CelesTrak, Space-Track)."),
        click.option("--select", "select", multiple=True,
                     help="Keep only the satellites whose name matches a glob ('JILIN*') or whose NORAD id is N "
                          "or in N-M (repeatable or comma-separated)."),
        click.option("--max-epoch-age", type=click.FloatRange(min=0), default=14.0, show_default=True,
                     help="Warn when the window starts more than this many days from a catalog element set's "
                          "epoch."),
        click.option("--start", help="Window start, ISO UTC (e.g. 2026-01-01T00:00:00Z). Default: the "
                                     "scenario's, or the catalog's latest epoch."),
        click.option("--days", type=click.FloatRange(min=0, min_open=True, max=366), help="Window length in days."),
        click.option("--step", "step_s", type=click.FloatRange(min=0.01, max=3600),
                     help="Sample step in seconds (edges are refined below it)."),
        click.option("--grid-res", type=click.FloatRange(min=0.01, max=90), help="Grid resolution in degrees."),
        click.option("--lat-min", type=click.FloatRange(-90, 90), help="Southern edge of the grid (deg)."),
        click.option("--lat-max", type=click.FloatRange(-90, 90), help="Northern edge of the grid (deg)."),
        click.option("--land-only", is_flag=True,
                     help="Only the grid cells that are mostly land (1 km GLOBE mask); statistics over land."),
        click.option("--off-nadir", type=click.FloatRange(min=0, min_open=True, max=90),
                     help="Sensor's maximum off-nadir angle (deg), for every group."),
        click.option("--min-elevation", type=click.FloatRange(min=0, max=90, max_open=True),
                     help="Minimum elevation of the satellite seen from the ground (deg)."),
        click.option("--target", "targets", multiple=True,
                     help="A revisit claim to check, e.g. 30min, 1day (repeatable; added to the scenario's)."),
        click.option("--memory-limit", callback=_memory_limit_option, metavar="SIZE",
                     help="Memory a run may use, e.g. 4GB or 512MB (default: half the available memory); "
                          "a bigger run streams in smaller chunks or is refused, saying how big it is."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def load_jobs(scenarios, tle_path) -> list[dict]:
    """Scenario files / built-in names, or one TLE catalog -> job dicts (constellation and defaults)."""
    from constellation.catalog import default_start, read_catalog
    from constellation.scenario import load_scenario
    from sim import Target

    jobs = []
    if tle_path:
        if scenarios:
            raise click.UsageError("give scenarios or --tle, not both")
        const = read_catalog(tle_path)
        jobs.append(dict(name=Path(tle_path).stem, constellation=const, source=str(tle_path),
                         start=default_start(const), duration_s=86400.0, step_s=60.0,
                         res=1.0, lat_min=-90.0, lat_max=90.0, targets=[], claim="", catalog=True))
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
                off_nadir=None, min_elevation=None, targets=(), land_only=None, select=(), max_epoch_age=14.0,
                **_ignored):
    """Apply command-line overrides to a job: -> (constellation, grid, window, targets).

    Catalog satellites that sgp4 cannot propagate over the window are dropped, with
    warnings on stderr (as are element sets older than ``max_epoch_age`` days)."""
    from constellation.catalog import default_start, select_satellites
    from constellation.validate import check_sensor_reach, check_window_near_epochs
    from sim import Grid, Target, Window
    from sim.catalog_check import check_constellation

    const = job["constellation"]
    if select:
        const = select_satellites(const, select, job["source"])
        if job.get("catalog") and not start:
            job = dict(job, start=default_start(const))
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
    if off_nadir is not None:
        check_sensor_reach(const, "--off-nadir")
    if job.get("catalog"):
        check_window_near_epochs(const, window.start, window.duration_s, option="--start")
    const, warnings = check_constellation(const, window, max_epoch_age if job.get("catalog") else None)
    for text in warnings:
        click.echo(f"Warning: {job['name']}: {text}", err=True)
    lo = lat_min if lat_min is not None else job["lat_min"]
    hi = lat_max if lat_max is not None else job["lat_max"]
    grid = (Grid.land if land_only else Grid.regular)(grid_res or job["res"], lo, hi)
    all_targets = job["targets"] + [Target(f"within {t}", parse_duration_s(t)) for t in targets]
    return const, grid, window, all_targets


def simulate_job(job: dict, **overrides):
    """Run one job with a progress bar on stderr; -> sim.Result (with its provenance)."""
    from sim import run
    from sim.provenance import build_provenance, utc_now

    const, grid, window, targets = prepare_job(job, **overrides)
    started, t0 = utc_now(), time.perf_counter()
    total = window.n_samples - 1
    label = f"{job['name']} ({len(const)} sats, {len(grid):,} points)"
    with click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_percent=True) as bar:
        done = [0]

        def progress(k, n):
            bar.update(k - done[0])
            done[0] = k

        result = run(const, grid, window, targets, name=job["name"], progress=progress,
                     memory_limit_bytes=overrides.get("memory_limit"))
    source = job.get("source")
    result.provenance = build_provenance(
        result, const, scenario_path=None if job.get("catalog") else source,
        catalog_paths=[source] if job.get("catalog") and source else [],
        command_line=shlex.join(["revisit", *sys.argv[1:]]), started_utc=started,
        wall_s=time.perf_counter() - t0, options=overrides)
    return result


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
@click.option("--plots", "plots_dir", type=click.Path(file_okay=False),
              help="Also write PNGs to this folder: a max-revisit map and ground tracks per scenario, "
                   "the max-revisit CDF and the milestone chart over all of them.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the result, with its provenance: .nc (NetCDF, CF), .csv, .geojson (per point) or .json "
                   "(summary). With several scenarios, one file each: FILE's name + '-SCENARIO'.")
def run_cmd(scenarios, tle_path, as_json, plots_dir, out_path, **overrides):
    """Simulate scenarios (default: every built-in Jilin-1 milestone) or a catalog.

    SCENARIOS are scenario files or built-in names (see `revisit scenarios`).
    Options override the scenario's own values.
    """
    results = []
    runs, constellations = [], []
    with user_errors():
        if out_path:
            from sim.io import check_output_path

            check_output_path(out_path)
        jobs = load_jobs(scenarios, tle_path)
        for job in jobs:
            result = simulate_job(job, **overrides)
            result.meta["claim"] = job["claim"]
            summary = result.summary()
            results.append(summary)
            if out_path:
                click.echo(f"wrote {result.save(output_path_for(out_path, job['name'], len(jobs) > 1))}", err=True)
            if plots_dir:
                runs.append(result)
                constellations.append(job["constellation"])
            if as_json:
                click.echo(json.dumps(_jsonable(summary)))
        if plots_dir:
            from sim.plot import write_plots

            for p in write_plots(runs, plots_dir, constellations):
                click.echo(f"wrote {p}", err=True)
    if not as_json:
        click.echo(milestone_table(results))


def output_path_for(out_path: str, name: str, several: bool) -> Path:
    """``out.nc`` for one scenario; ``out-NAME.nc`` for each of several."""
    path = Path(out_path)
    if not several:
        return path
    return path.with_name(f"{path.stem}-{re.sub(r'[^A-Za-z0-9._-]+', '_', name)}{path.suffix}")


@main.command("show")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file (JSON lines), as `run --json`.")
@click.option("--provenance", "with_provenance", is_flag=True,
              help="Print each file's provenance (inputs, versions, settings, time) as JSON instead.")
def show_cmd(files, as_json, with_provenance):
    """Print the table (or JSON) of results written by `revisit run --out`, without re-simulating.

    FILES are .nc, .csv, .geojson or .json results; the figures are read back and
    the statistics recomputed from them (a .json holds the summary itself).
    """
    from sim.io import load_provenance, load_summary

    with user_errors():
        if with_provenance:
            for f in files:
                click.echo(json.dumps(_jsonable(load_provenance(f))))
            return
        results = [load_summary(f) for f in files]
    if as_json:
        for summary in results:
            click.echo(json.dumps(_jsonable(summary)))
    else:
        click.echo(milestone_table(results))


MAP_FIGURES = ("max_revisit", "mean_revisit", "mean_response", "accesses", "coverage")  # sim.plot.MAP_FIGURES


def _one_job(scenarios, tle_path, command: str) -> dict:
    jobs = load_jobs(scenarios, tle_path)
    if len(jobs) != 1:
        raise click.UsageError(f"{command} draws one scenario: give its name or file (see `revisit scenarios`) "
                               "or --tle FILE")
    return jobs[0]


@main.command("map")
@click.argument("scenario", nargs=-1)
@simulation_options
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="PNG to write (default: SCENARIO-FIGURE.png here).")
@click.option("--figure", type=click.Choice(MAP_FIGURES), default="max_revisit", show_default=True,
              help="The per-point figure to draw.")
def map_cmd(scenario, tle_path, output, figure, **overrides):
    """Simulate one scenario or catalog and draw a world map of a per-point figure.

    Colour bar in min / h / d, the scenario's targets marked on it, never-seen
    points grey, coastlines from the GLOBE land mask (offline).
    """
    from sim.plot import safe_name

    with user_errors():
        job = _one_job(scenario, tle_path, "map")
        result = simulate_job(job, **overrides)
        path = Path(output or f"{safe_name(job['name'])}-{figure}.png")
        result.plot_map(path, figure=figure)
    click.echo(f"wrote {path}")


@main.command("tracks")
@click.argument("scenario", nargs=-1)
@click.option("--tle", "--catalog", "tle_path", type=click.Path(dir_okay=False),
              help="A satellite catalog (TLE/3LE or OMM) instead of a scenario.")
@click.option("--start", help="Start, ISO UTC. Default: the scenario's, or the catalog's latest epoch.")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True, max=24 * 31), default=1.5, show_default=True,
              help="Span of the tracks (h); 1.5 h is about one low orbit.")
@click.option("--step", "step_s", type=click.FloatRange(min=1, max=3600), default=30.0, show_default=True,
              help="Sample step (s).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="PNG to write (default: SCENARIO-tracks.png).")
def tracks_cmd(scenario, tle_path, start, hours, step_s, output):
    """Draw the ground tracks of one scenario's or catalog's satellites."""
    from sim.plot import plot_tracks, safe_name

    with user_errors():
        job = _one_job(scenario, tle_path, "tracks")
        path = Path(output or f"{safe_name(job['name'])}-tracks.png")
        plot_tracks(job["constellation"], _parse_start(start) if start else job["start"], path, hours=hours,
                    step_s=step_s)
    click.echo(f"wrote {path}")


SELECT_HELP = ("Keep only the satellites whose name matches a glob ('JILIN*') or whose NORAD id is N or in N-M "
               "(repeatable or comma-separated).")


@main.command("catalog")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--select", "select", multiple=True, help=SELECT_HELP)
@click.option("--plane-tol", type=click.FloatRange(min=0, min_open=True, max=12), default=0.5, show_default=True,
              help="Satellites whose local times of node are this close (h) fall in one plane group.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def catalog_cmd(path, select, plane_tol, as_json):
    """Summarise a satellite catalog: count, epochs, altitudes, inclinations, planes.

    PATH is a TLE/3LE file or an OMM file (CSV, JSON, XML or KVN, as CelesTrak
    and Space-Track serve them).  Planes are groups by mean local solar time of
    the descending/ascending node.
    """
    from constellation.catalog import catalog_format, read_catalog, summarize_catalog, summary_text

    with user_errors():
        fmt = catalog_format(path)
        summary = summarize_catalog(read_catalog(path, select=select, fmt=fmt), plane_tol)
    if as_json:
        click.echo(json.dumps(_jsonable(dict(summary, file=str(path), format=fmt))))
    else:
        click.echo(summary_text(summary, str(path), fmt))


@main.command("export")
@click.argument("scenario", nargs=-1)
@click.option("--tle", "--catalog", "tle_path", type=click.Path(dir_okay=False),
              help="Convert a catalog (any format `revisit catalog` reads) instead of a scenario.")
@click.option("--select", "select", multiple=True, help=SELECT_HELP)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="File to write: .tle/.3le (3LE, with names), .2le (TLE), .csv/.json/.xml/.kvn (OMM).")
def export_cmd(scenario, tle_path, select, output):
    """Write a scenario's satellites (or a catalog's) as a TLE or OMM catalog."""
    from constellation.catalog import select_satellites, write_catalog

    with user_errors():
        job = _one_job(scenario, tle_path, "export")
        const = select_satellites(job["constellation"], select, job["source"])
        fmt = write_catalog(const, output)
    click.echo(f"wrote {len(const)} satellites to {output} ({fmt})")


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
