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
from constellation.scenario import GRID_KINDS

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


GRID_KIND_HELP = ("Grid cells: regular (res x res deg) or equal-area (cells of about equal area: 41,252 points at "
                  "1 deg, not 64,800, so less work; area-weighted statistics agree within the resolution). "
                  "Default: the scenario's, else regular.")


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
        click.option("--grid-kind", type=click.Choice(GRID_KINDS), help=GRID_KIND_HELP),
        click.option("--lat-min", type=click.FloatRange(-90, 90), help="Southern edge of the grid (deg)."),
        click.option("--lat-max", type=click.FloatRange(-90, 90), help="Northern edge of the grid (deg)."),
        click.option("--land-only", is_flag=True,
                     help="Only the grid cells that are mostly land (1 km GLOBE mask); statistics over land."),
        click.option("--off-nadir", type=click.FloatRange(min=0, min_open=True, max=90),
                     help="Sensor's maximum off-nadir angle (deg), for every group."),
        click.option("--min-elevation", type=click.FloatRange(min=0, max=90, max_open=True),
                     help="Minimum elevation of the satellite seen from the ground (deg)."),
        click.option("--swath-km", type=click.FloatRange(min=0, min_open=True, max=5000),
                     help="Make every group a fixed nadir push-broom of this swath width (km)."),
        click.option("--min-sun-elevation", type=click.FloatRange(min=-90, max=90, max_open=True),
                     help="Image only while the Sun is at least this high at the point (deg), every group."),
        click.option("--day-and-night", is_flag=True,
                     help="Drop the scenario's lighting constraint: image day and night."),
        click.option("--target", "targets", multiple=True,
                     help="A revisit claim to check, e.g. 30min, 1day (repeatable; added to the scenario's)."),
        click.option("--memory-limit", callback=_memory_limit_option, metavar="SIZE",
                     help="Memory a run may use, e.g. 4GB or 512MB (default: half the available memory); "
                          "a bigger run streams in smaller chunks or is refused, saying how big it is."),
        click.option("--device", type=click.Choice(["auto", "cpu", "gpu"]), default="auto", show_default=True,
                     help="Where the coverage kernel runs: auto takes a CUDA GPU when numba finds one, else "
                          "the CPU; both give the same figures."),
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
                         res=1.0, lat_min=-90.0, lat_max=90.0, grid_kind="regular", targets=[], claim="",
                         catalog=True))
    else:
        paths = [_resolve_scenario(a) for a in scenarios] or seed_paths()
        for p in paths:
            sc = load_scenario(p)
            jobs.append(dict(name=sc.name, constellation=sc.constellation, source=str(p), start=sc.start,
                             duration_s=sc.duration_s, step_s=sc.step_s, res=sc.grid_res_deg,
                             lat_min=sc.lat_min_deg, lat_max=sc.lat_max_deg, grid_kind=sc.grid_kind,
                             claim=sc.claim,
                             targets=[Target(t.name, t.threshold_s, t.claim) for t in sc.targets],
                             capacity=sc.capacity, survey=sc.survey))
    return jobs


def prepare_job(job: dict, start=None, days=None, step_s=None, grid_res=None, lat_min=None, lat_max=None,
                off_nadir=None, min_elevation=None, swath_km=None, min_sun_elevation=None, day_and_night=False,
                targets=(), land_only=None, select=(), max_epoch_age=14.0, grid_kind=None, **_ignored):
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
    if swath_km is not None:
        if off_nadir is not None:
            raise click.UsageError("give --off-nadir (an agile sensor) or --swath-km (a push-broom), not both")
        changes.update(kind="swath", swath_km=swath_km)
    elif off_nadir is not None:
        changes.update(kind="off_nadir", swath_km=None)
    if min_sun_elevation is not None and day_and_night:
        raise click.UsageError("give --min-sun-elevation or --day-and-night, not both")
    if min_sun_elevation is not None:
        changes["min_sun_elevation_deg"] = min_sun_elevation
    if day_and_night:
        changes["min_sun_elevation_deg"] = None
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
    grid = Grid.build(grid_res or job["res"], lo, hi, grid_kind or job.get("grid_kind", "regular"),
                      land_only=bool(land_only))
    all_targets = job["targets"] + [Target(f"within {t}", parse_duration_s(t)) for t in targets]
    return const, grid, window, all_targets


def simulate_job(job: dict, **overrides):
    """Run one job with a progress bar on stderr; -> sim.Result (with its provenance)."""
    from sim import run
    from sim.provenance import build_provenance, utc_now

    const, grid, window, targets = prepare_job(job, **overrides)
    job["simulated"] = const  # after --select and dropped satellites: what the plots must show
    started, t0 = utc_now(), time.perf_counter()
    total = window.n_samples - 1
    label = f"{job['name']} ({len(const)} sats, {len(grid):,} points)"
    with click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_percent=True) as bar:
        done = [0]

        def progress(k, n):
            bar.update(k - done[0])
            done[0] = k

        result = run(const, grid, window, targets, name=job["name"], progress=progress,
                     memory_limit_bytes=overrides.get("memory_limit"), per_group=overrides.get("per_group", False),
                     device=overrides.get("device") or "auto")
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
@click.option("--per-group", is_flag=True,
              help="Also fly each group of a mixed constellation alone and report it (takes longer).")
def run_cmd(scenarios, tle_path, as_json, plots_dir, out_path, **overrides):
    """Simulate scenarios (default: every built-in Jilin-1 milestone) or a catalog.

    SCENARIOS are scenario files or built-in names (see `revisit scenarios`).
    Options override the scenario's own values.
    """
    from sim.report import milestone_table

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
            summary.update(beyond_revisit(job))
            results.append(summary)
            if out_path:
                click.echo(f"wrote {result.save(output_path_for(out_path, job['name'], len(jobs) > 1))}", err=True)
            if plots_dir:
                runs.append(result)
                constellations.append(job.get("simulated", job["constellation"]))
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
    from sim.report import milestone_table

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


def catalog_source_options(f):
    """--tle/--catalog, --select and --max-epoch-age, for the commands that take
    a catalog instead of a scenario (targets, survey)."""
    opts = [
        click.option("--tle", "--catalog", "tle_path", type=click.Path(dir_okay=False),
                     help="A satellite catalog (TLE/3LE or OMM) instead of a scenario."),
        click.option("--select", "select", multiple=True, help=SELECT_HELP),
        click.option("--max-epoch-age", type=click.FloatRange(min=0), default=14.0, show_default=True,
                     help="Warn when the window starts more than this many days from a catalog element set's "
                          "epoch."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


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


# ---------------------------------------------------------------- target capacity and area survey
def beyond_revisit(job: dict) -> dict:
    """A scenario's claims beyond revisit, [capacity] and [survey], tested with the
    assumptions its file states (command-line overrides of the revisit run do not
    apply): {"capacity": {...}, "survey": {...}}, or {} when it has none."""
    if not (job.get("capacity") or job.get("survey")):
        return {}
    from constellation.scenario import load_scenario
    from sim.capacity import check_capacity_claim
    from sim.survey import check_survey_claim

    sc = load_scenario(job["source"])  # the file's own sensors
    out = {}
    if sc.capacity:
        click.echo(f"{sc.name}: testing '{sc.capacity.claim}' ({sc.capacity.random_targets} targets)", err=True)
        out["capacity"] = check_capacity_claim(sc.capacity, sc.constellation, sc.start, sc.step_s, sc.name)
    if sc.survey:
        click.echo(f"{sc.name}: testing '{sc.survey.claim}' ({sc.survey.days:g} days over {sc.survey.region})",
                   err=True)
        out["survey"] = check_survey_claim(sc.survey, sc.constellation, sc.start, sc.name)
    return out


@main.command("targets")
@click.argument("scenario", nargs=-1)
@catalog_source_options
@click.option("--targets", "targets_csv", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Targets: rows lat,lon[,name] in degrees, or a header naming lat and lon (and name) columns.")
@click.option("--random", "n_random", type=click.IntRange(1, 1_000_000),
              help="N random targets on land, uniform by area (default: the scenario's [capacity], else 1000).")
@click.option("--seed", type=click.IntRange(min=0),
              help="Seed of the random targets (default: the scenario's, else 0).")
@click.option("--lat-min", type=click.FloatRange(-90, 90), help="Random targets: southern limit (deg).")
@click.option("--lat-max", type=click.FloatRange(-90, 90), help="Random targets: northern limit (deg).")
@click.option("--dwell-s", type=click.FloatRange(min=0, max=3600), help="Seconds per image (default 10).")
@click.option("--slew-deg-s", type=click.FloatRange(min=0, min_open=True, max=180),
              help="Slew rate of the line of sight, deg/s (default 1.5).")
@click.option("--settle-s", type=click.FloatRange(min=0, max=3600), help="Settling time after a slew, s (default 5).")
@click.option("--start", help="Window start, ISO UTC. Default: the scenario's, or the catalog's latest epoch.")
@click.option("--days", type=click.FloatRange(min=0, min_open=True, max=31),
              help="Window length in days (default: the scenario's [capacity], else its window).")
@click.option("--step", "step_s", type=click.FloatRange(min=0.01, max=600), help="Sample step in seconds.")
@click.option("--off-nadir", type=click.FloatRange(min=0, min_open=True, max=90),
              help="Agile sensors' maximum off-nadir angle (deg), for every group.")
@click.option("--min-sun-elevation", type=click.FloatRange(min=-90, max=90, max_open=True),
              help="Image only while the Sun is at least this high at the target (deg).")
@click.option("--day-and-night", is_flag=True, help="No lighting constraint.")
@click.option("--windows-out", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Also write every access window: target, lat, lon, satellite, start_s, end_s.")
@click.option("--schedule-out", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Also write the daily schedule's images: target, lat, lon, satellite, start_s, end_s.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def targets_cmd(scenario, tle_path, select, max_epoch_age, targets_csv, n_random, seed, lat_min, lat_max, dwell_s,
                slew_deg_s, settle_s, start, days, step_s, off_nadir, min_sun_elevation, day_and_night, windows_out,
                schedule_out, as_json):
    """How many point targets a constellation images a day.

    Computes every satellite's access windows to each target (the coverage
    kernel's geometry and lighting), then schedules images greedily with a
    simple agile model: DWELL seconds per image inside one window, the line of
    sight turning at SLEW deg/s plus SETTLE seconds between images, one target
    at a time per satellite, each target once a day.  Reports targets imaged a
    day (the schedule, and the bound that ignores slews), per satellite, and the
    time to image every target once.  A scenario's [capacity] table gives the
    defaults (targets, imaging model, sensor).
    """
    from sim.capacity import (DAY_S, capacity, random_land_targets, read_targets_csv, write_schedule_csv,
                              write_windows_csv)
    from sim.report import capacity_text

    with user_errors():
        if targets_csv and n_random:
            raise click.UsageError("give --targets FILE or --random N, not both")
        for p in (windows_out, schedule_out):
            if p and not Path(p).resolve().parent.is_dir():
                raise click.BadParameter(f"folder of {p!r} does not exist")
        job = _one_job(scenario, tle_path, "targets")
        spec = job.get("capacity")
        if targets_csv:
            tg = read_targets_csv(targets_csv)
        else:
            lo = lat_min if lat_min is not None else (spec.lat_min_deg if spec else -90.0)
            hi = lat_max if lat_max is not None else (spec.lat_max_deg if spec else 90.0)
            tg = random_land_targets(n_random or (spec.random_targets if spec else 1000),
                                     seed if seed is not None else (spec.seed if spec else 0), lo, hi)
        if off_nadir is None and spec and spec.max_off_nadir_deg is not None:
            off_nadir = spec.max_off_nadir_deg
        if min_sun_elevation is None and not day_and_night and spec and spec.min_sun_elevation_deg is not None:
            min_sun_elevation = spec.min_sun_elevation_deg
        days = days or (spec.days if spec else min(job["duration_s"] / DAY_S, 31.0))
        const, _, window, _ = prepare_job(job, start=start, days=days, step_s=step_s, grid_res=90.0, lat_min=-90.0,
                                          lat_max=90.0, off_nadir=off_nadir, min_sun_elevation=min_sun_elevation,
                                          day_and_night=day_and_night, select=select, max_epoch_age=max_epoch_age)
        dwell = dwell_s if dwell_s is not None else (spec.dwell_s if spec else 10.0)
        slew = slew_deg_s if slew_deg_s is not None else (spec.slew_deg_s if spec else 1.5)
        settle = settle_s if settle_s is not None else (spec.settle_s if spec else 5.0)
        res = capacity(const, tg, window, dwell, slew, settle, name=job["name"])
        summary = res.summary()
        if spec:
            met = summary["scheduled_per_day"] >= spec.targets_per_day
            summary.update(claim=spec.claim, claimed_per_day=spec.targets_per_day,
                           verdict="met" if met else "not met")
        for p, write in ((windows_out, write_windows_csv), (schedule_out, write_schedule_csv)):
            if p:
                click.echo(f"wrote {write(res, p)}", err=True)
    if as_json:
        click.echo(json.dumps(_jsonable(summary)))
        return
    click.echo(capacity_text(summary))


def _parse_bbox(text: str):
    from sim.survey import bbox_region

    try:
        vals = [float(v) for v in text.split(",")]
        if len(vals) != 4:
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"{text!r}: give LON_MIN,LAT_MIN,LON_MAX,LAT_MAX in degrees", param_hint="'--bbox'")
    try:
        return bbox_region(*vals)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--bbox'")


@main.command("survey")
@click.argument("scenario", nargs=-1)
@catalog_source_options
@click.option("--region", help="The region: 'china' (built-in, coarse) or a GeoJSON file of Polygons/MultiPolygons "
                               "(default: the scenario's [survey]).")
@click.option("--bbox", help="A box instead: LON_MIN,LAT_MIN,LON_MAX,LAT_MAX (deg).")
@click.option("--start", help="Window start, ISO UTC. Default: the scenario's, or the catalog's latest epoch.")
@click.option("--days", type=click.FloatRange(min=0, min_open=True, max=366),
              help="Window length in days (default: the scenario's [survey], else 31).")
@click.option("--step", "step_s", type=click.FloatRange(min=0.01, max=3600), help="Sample step in seconds.")
@click.option("--grid-res", type=click.FloatRange(min=0.01, max=10),
              help="Grid resolution in degrees (default: the scenario's [survey], else 0.5).")
@click.option("--swath-km", type=click.FloatRange(min=0, min_open=True, max=5000),
              help="Every group a nadir push-broom of this swath (km), instead of the scenario's.")
@click.option("--off-nadir", type=click.FloatRange(min=0, min_open=True, max=90),
              help="Every group an agile sensor reaching this off-nadir angle (deg): an optimistic bound.")
@click.option("--min-sun-elevation", type=click.FloatRange(min=-90, max=90, max_open=True),
              help="Image only while the Sun is at least this high at the point (deg).")
@click.option("--day-and-night", is_flag=True, help="No lighting constraint.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="PNG",
              help="Also draw the cumulative curve to this PNG.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def survey_cmd(scenario, tle_path, select, max_epoch_age, region, bbox, start, days, step_s, grid_res, swath_km,
               off_nadir, min_sun_elevation, day_and_night, output, as_json):
    """How long a constellation takes to image a whole region once.

    The share of the region's area imaged at least once against time (the
    area-weighted distribution of each grid point's first access, inside the
    polygon), and the times to reach 95 % and 100 %.  Sensors: the scenario's
    [survey] swaths (else its own sensors), with lighting.  Clouds are not
    modelled: every access counts as an image.
    """
    from sim.report import survey_text
    from sim.survey import load_region, survey, survey_constellation

    with user_errors():
        if region and bbox:
            raise click.UsageError("give --region or --bbox, not both")
        if output and not Path(output).resolve().parent.is_dir():
            raise click.BadParameter(f"folder of {output!r} does not exist", param_hint="'--output'")
        job = _one_job(scenario, tle_path, "survey")
        spec = job.get("survey")
        if bbox:
            reg = _parse_bbox(bbox)
        elif region or spec:
            reg = load_region(region or spec.region)
        else:
            raise click.UsageError("give --region (e.g. china, or a GeoJSON file) or --bbox: the scenario has no "
                                   "[survey]")
        if spec and swath_km is None and off_nadir is None and spec.swath_km:
            job = dict(job, constellation=survey_constellation(job["constellation"], spec.swath_km))
        if min_sun_elevation is None and not day_and_night and spec and spec.min_sun_elevation_deg is not None:
            min_sun_elevation = spec.min_sun_elevation_deg
        const, _, window, _ = prepare_job(job, start=start, days=days or (spec.days if spec else 31.0),
                                          step_s=step_s or (spec.step_s if spec else None), grid_res=90.0,
                                          lat_min=-90.0, lat_max=90.0, off_nadir=off_nadir, swath_km=swath_km,
                                          min_sun_elevation=min_sun_elevation, day_and_night=day_and_night,
                                          select=select, max_epoch_age=max_epoch_age)
        res = survey(const, reg, window, grid_res or (spec.grid_res_deg if spec else 0.5), name=job["name"])
        summary = res.summary()
        if spec:
            t = res.time_to(spec.required_share)
            summary.update(claim=spec.claim, claimed_days=spec.days, required_share=spec.required_share,
                           time_to_required_s=t,
                           verdict="met" if t is not None and t <= spec.days * 86400.0 else "not met")
        summary["sensors_by_group"] = {g.name: g.sensor.describe() for g in const.groups}
        if output:
            from sim.plot import plot_survey

            plot_survey([res], output, claim_days=spec.days if spec else None)
            click.echo(f"wrote {output}", err=True)
    if as_json:
        click.echo(json.dumps(_jsonable(summary)))
        return
    click.echo(survey_text(summary))


# ---------------------------------------------------------------- sweeps and sizing
def sweep_dir() -> Path:
    return seed_dir() / "sweeps"


def _resolve_sweep(arg: str) -> Path:
    p = Path(arg)
    if p.exists():
        return p
    for s in sorted(sweep_dir().glob("*.toml")):
        if s.stem == arg or s.stem.replace("_", "-") == arg:
            return s
    names = ", ".join(s.stem.replace("_", "-") for s in sorted(sweep_dir().glob("*.toml")))
    raise click.ClickException(f"{arg}: no such file or built-in sweep (built-in: {names})")


def sweep_options(f):
    """Execution, resume and window/grid options shared by `sweep` and `size`."""
    opts = [
        click.option("--scheduler", metavar="tcp://HOST:PORT",
                     help="Run on this existing Dask cluster (its workers need revisit installed). Default: a "
                          "local cluster, one single-threaded worker process per core."),
        click.option("--workers", type=click.IntRange(min=1), help="Worker processes of the local cluster."),
        click.option("--sequential", is_flag=True, help="Run in this process, one configuration after another "
                                                        "(no Dask); the table is the same."),
        click.option("--resume", is_flag=True, help="Continue an interrupted run: configurations in the journal "
                                                    "(OUT with .jsonl) are not run again."),
        click.option("--overwrite", is_flag=True, help="Start again over an existing journal."),
        click.option("--days", type=click.FloatRange(min=0, min_open=True, max=366), help="Window length in days."),
        click.option("--step", "step_s", type=click.FloatRange(min=0.01, max=3600), help="Sample step (s)."),
        click.option("--grid-res", type=click.FloatRange(min=0.01, max=90), help="Grid resolution (deg)."),
        click.option("--grid-kind", type=click.Choice(GRID_KINDS), help=GRID_KIND_HELP),
        click.option("--lat-min", type=click.FloatRange(-90, 90), help="Southern edge of the grid (deg)."),
        click.option("--lat-max", type=click.FloatRange(-90, 90), help="Northern edge of the grid (deg)."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per line) instead of tables."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _sweep_spec(arg, days, step_s, grid_res, lat_min, lat_max, targets=(), grid_kind=None):
    from constellation.sweepspec import load_sweep

    spec = load_sweep(_resolve_sweep(arg))
    window = {k: v for k, v in (("days", days), ("step_s", step_s)) if v is not None}
    grid = {k: v for k, v in (("res_deg", grid_res), ("lat_min_deg", lat_min), ("lat_max_deg", lat_max),
                              ("kind", grid_kind)) if v is not None}
    extra = [{"name": f"within {t}", "max_revisit_s": parse_duration_s(t)} for t in targets]
    return spec.with_overrides(window, grid, extra)


class _Bar:
    """A click progress bar over tasks, opened at the first report (when the count is known)."""

    def __init__(self, label: str, quiet: bool = False):
        self.label, self.quiet, self.bar, self.done = label, quiet, None, 0

    def __call__(self, done: int, total: int):
        if self.quiet or total == 0:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_eta=True,
                                         show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar, self.done = None, 0


def _executor(sequential, scheduler, workers):
    from sim.sweep import make_executor

    return make_executor(sequential, scheduler, workers)


SHOW_ALL_ROWS = 40


def _check_plot_path(plot_path):
    if plot_path and not Path(plot_path).resolve().parent.is_dir():
        raise click.BadParameter(f"folder of {plot_path!r} does not exist", param_hint="'--plot'")


@main.command("sweep")
@click.argument("spec")
@click.option("-o", "--out", "out_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Table to write: .csv, or .nc (NetCDF) / .parquet with the .csv beside it. Default: the "
                   "sweep's name + .csv here. Its journal (FILE with .jsonl) records each finished configuration.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), metavar="PNG",
              help="Also draw the trade space: satellites vs MRT p95, coloured by the first target's met share.")
@click.option("--target", "targets", multiple=True, help="A revisit claim to check, e.g. 30min (repeatable; added "
                                                          "to the sweep's).")
@click.option("--retry-failed", is_flag=True, help="With --resume, run failed configurations again.")
@click.option("--list", "list_only", is_flag=True, help="Only list the configurations (key and parameters).")
@sweep_options
def sweep_cmd(spec, out_path, plot_path, targets, retry_failed, list_only, scheduler, workers, sequential, resume,
              overwrite, days, step_s, grid_res, grid_kind, lat_min, lat_max, as_json):
    """Run every configuration of a sweep file (a grid or a list over Walker or SSO
    patterns, altitude, inclination, local times, sensor, window, grid) and write
    one table of their figures: MRT p50/p95/max, mean revisit, mean response,
    each target's met share and verdict.  A failing configuration is recorded with
    its error; the others go on.  Schema: constellation/sweepspec.py; built-in
    examples in seeds/sweeps/.
    """
    from sim.report import SWEEP_NOTE, sweep_table
    from sim.sweep import pareto_front, sweep

    bar = _Bar("configurations", quiet=as_json)
    with user_errors():
        sp = _sweep_spec(spec, days, step_s, grid_res, lat_min, lat_max, targets, grid_kind)
        confs = sp.configurations()
        if list_only:
            for c in confs:
                click.echo(json.dumps(_jsonable({"index": c.index, "key": c.key, **c.params})) if as_json
                           else f"{c.index:>4} {c.key}  {c.label}")
            return
        out = Path(out_path or f"{re.sub(r'[^A-Za-z0-9._-]+', '_', sp.name)}.csv")
        _check_plot_path(plot_path)
        try:
            with _executor(sequential, scheduler, workers) as ex:
                if not as_json:
                    click.echo(f"{sp.name}: {len(confs)} configurations on {ex.description}", err=True)
                outcome = sweep(sp, out, ex, resume=resume, overwrite=overwrite, retry_failed=retry_failed,
                                progress=bar, confs=confs)
        except KeyboardInterrupt:
            bar.close()
            raise click.ClickException(f"interrupted: the finished configurations are in {out} and its journal; "
                                       f"run again with --resume to do the rest")
        finally:
            bar.close()
        if plot_path:
            from sim.plot import plot_pareto

            try:
                plot_pareto(outcome.rows, plot_path)
                outcome.written.append(Path(plot_path))
            except ValueError as exc:
                click.echo(f"no plot: {exc}", err=True)
    st = outcome.stats
    if as_json:
        for r in outcome.rows:
            click.echo(json.dumps(_jsonable(r)))
    else:
        rows = outcome.rows
        if len(rows) > SHOW_ALL_ROWS:
            front = pareto_front(rows)
            click.echo(f"Pareto front (fewest satellites for each MRT p95) of {len(rows)} configurations; "
                       f"all of them are in {outcome.written[0]}:")
            rows = front + [r for r in rows if r["status"] != "ok"]
        click.echo(sweep_table(rows))
        click.echo("")
        click.echo(SWEEP_NOTE)
    for p in outcome.written:
        click.echo(f"wrote {p}", err=True)
    click.echo(f"{st.ran} configurations run, {st.reused} taken from the journal {outcome.journal}, "
               f"{st.failed} failed", err=True)


def _parse_planes(text: str) -> list[int]:
    """'4,6,8', '4-24', '4-24:2' or a mix ('2-6,8,12-20:4') -> sorted plane counts."""
    out = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*(?::\s*(\d+)\s*)?)?", part)
        if not m or int(m.group(1)) < 1 or (m.group(2) and int(m.group(2)) < int(m.group(1))) \
                or (m.group(3) and int(m.group(3)) < 1):
            raise click.BadParameter(f"{text!r}: give plane counts like 4,6,8 or 4-24 or 4-24:2",
                                     param_hint="'--planes'")
        a = int(m.group(1))
        b = int(m.group(2) or a)
        out.update(range(a, b + 1, int(m.group(3) or 1)))
    return sorted(out)


@main.command("size")
@click.argument("family", default="walker-sso")
@click.option("--target", help="The revisit target, e.g. 10min or 30min (default: the family's first target).")
@click.option("--percentile", type=click.Choice(["100", "99", "95", "90", "50"]), default="100", show_default=True,
              help="Met when this area-weighted percentile of max revisit is within the target (100: everywhere).")
@click.option("--planes", "planes_text", help="Plane counts to try: 4,6,8 or 4-24 or 4-24:2 (default: the "
                                              "family's [size] planes).")
@click.option("--min-per-plane", type=click.IntRange(min=1), help="Fewest satellites per plane to try (default 1).")
@click.option("--max-per-plane", type=click.IntRange(min=1), help="Most satellites per plane to try (default: the "
                                                                  "family's, else 40).")
@click.option("-o", "--out", "out_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Table of every configuration evaluated (.csv, .nc or .parquet; journal beside it). Default: "
                   "FAMILY-size.csv here.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), metavar="PNG",
              help="Also draw the evaluated configurations: satellites vs MRT p95.")
@sweep_options
def size_cmd(family, target, percentile, planes_text, min_per_plane, max_per_plane, out_path, plot_path, scheduler,
             workers, sequential, resume, overwrite, days, step_s, grid_res, grid_kind, lat_min, lat_max, as_json):
    """Find the smallest constellation of a family that meets a revisit target.

    FAMILY is a sweep file (or built-in, default walker-sso: seeds/sweeps/) whose [group] is the
    family's fixed part (pattern, altitude, inclination or local times, sensor):
    its members are planes x satellites per plane.  For each plane count the
    search gallops (1, 2, 4, ... per plane) until a member meets the target, then
    bisects; plane counts that cannot beat the best total are dropped.  It
    assumes that, for a given number of planes, adding satellites per plane never
    breaks a met target (departures seen are reported).
    """
    from sim.report import size_text
    from sim.sweep import check_table_path, open_journal, size_search, write_table

    with user_errors():
        sp = _sweep_spec(family, days, step_s, grid_res, lat_min, lat_max, grid_kind=grid_kind)
        if sp.vary or sp.points:
            raise click.ClickException(f"{sp.path}: a sizing family varies only planes and sats_per_plane: remove "
                                       "[vary] and [[point]]")
        if target:
            tname, thr = f"within {target}", parse_duration_s(target)
        elif sp.targets:
            from constellation.scenario import _read_target, _Table

            t = _read_target(_Table(dict(sp.targets[0]), sp.path, "target[1]"))
            tname, thr = t.name, t.threshold_s
        else:
            raise click.UsageError("give --target (e.g. 10min): the family has no [[target]]")
        planes = _parse_planes(planes_text) if planes_text else sp.size.get("planes")
        if not planes:
            raise click.UsageError("give --planes (e.g. 4-24): the family has no [size] planes")
        lo = min_per_plane or sp.size.get("min_sats_per_plane", 1)
        hi = max_per_plane or sp.size.get("max_sats_per_plane", 40)
        out = Path(out_path or f"{re.sub(r'[^A-Za-z0-9._-]+', '_', sp.name)}-size.csv")
        check_table_path(out)
        _check_plot_path(plot_path)
        journal, known = open_journal(out, resume, overwrite)
        log = (lambda text: None) if as_json else (lambda text: click.echo(text, err=True))
        try:
            with _executor(sequential, scheduler, workers) as ex:
                log(f"{sp.name}: {tname} at percentile {percentile}, planes {planes}, {lo}-{hi} per plane, on "
                    f"{ex.description}")
                res = size_search(sp, tname, thr, ex, planes, lo, hi, int(percentile), journal, known, log)
        except KeyboardInterrupt:
            raise click.ClickException(f"interrupted: finished configurations are in the journal {journal.path}; "
                                       "run again with --resume to continue")
        res.written = write_table(res.rows, out, {"family": sp.name, "target": tname, "threshold_s": thr,
                                                  "percentile": int(percentile)})
        if plot_path and res.rows:
            from sim.plot import plot_pareto

            with contextlib.suppress(ValueError):
                plot_pareto(res.rows, plot_path)
                res.written.append(Path(plot_path))
    best = res.best
    if as_json:
        click.echo(json.dumps(_jsonable({"family": sp.name, "target": tname, "threshold_s": thr,
                                         "percentile": int(percentile), "best": best, "per_planes": res.per_planes,
                                         "evaluated": len(res.rows), "rounds": res.rounds,
                                         "warnings": res.warnings})))
    else:
        click.echo(size_text(sp.title, sp.grid, int(percentile), thr, best, planes, hi, res.per_planes, res.rows))
        for w in res.warnings:
            click.echo(f"Warning: {w}", err=True)
    for p in res.written:
        click.echo(f"wrote {p}", err=True)
    click.echo(f"{res.stats.ran} configurations run in {res.rounds} rounds, {res.stats.reused} taken from the "
               f"journal {journal.path}", err=True)


if __name__ == "__main__":
    main()
