"""revisit's command line: parse, build a study, call one function, print.  No numerics live here."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import stat
import sys
from pathlib import Path

import click

from constellation.errors import InputError
from constellation.scenario import GRID_KINDS


def _jsonable(obj):
    from sim.engine.result import jsonable

    return jsonable(obj)


def _duration(text: str) -> float:
    from sim.studies.study import parse_duration_s

    try:
        return parse_duration_s(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc))


def _check_targets(ctx, param, values):
    for v in values or ():
        _duration(v)
    return values


def refuse_device(value):
    """A character or block device (/dev/zero, a terminal) given as a file to read
    has no end: refused at once, in one line.  Pipes and FIFOs are read."""
    try:
        st = os.stat(value)
    except (OSError, ValueError, TypeError):
        return value
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        raise click.ClickException(f"{value}: is a device, not a file to read")
    return value


class InputPath(click.Path):
    """A file a command reads (:func:`refuse_device`); what it holds is the reader's to judge."""

    def convert(self, value, param, ctx):
        return super().convert(refuse_device(value), param, ctx)


def _input_file(ctx, param, value):
    """A file (or built-in name) a command reads: a device is refused."""
    return refuse_device(value) if value is not None else value


def _input_files(ctx, param, values):
    """Scenario files or built-in names: a device among them is refused."""
    for v in values or ():
        refuse_device(v)
    return values


def _check_start(ctx, param, value):
    if value is None:
        return None
    from sim.studies.study import parse_start

    try:
        return parse_start(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc))


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
    from constellation.constants import SECONDS_PER_DAY
    from constellation.scenario import builtin_scenarios, load_scenario

    rows = []
    for p in builtin_scenarios():
        sc = load_scenario(p)
        rows.append({"name": sc.name, "satellites": len(sc.constellation), "claim": sc.claim or "-",
                     "days": sc.duration_s / SECONDS_PER_DAY, "file": p.name, "title": sc.title})
    if as_json:
        for r in rows:
            click.echo(json.dumps(r))
        return
    click.echo(f"{'name':<18} {'sats':>5}  {'window':>6}  claim")
    for r in rows:
        click.echo(f"{r['name']:<18} {r['satellites']:>5}  {r['days']:>5g}d  {r['claim']}")


def _memory_limit_option(ctx, param, value):
    if value is None:
        return None
    from sim.engine.memory import parse_size

    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc))


def _options(*opts):
    """A decorator applying click options in the order given (as they appear in --help)."""
    def apply(f):
        for opt in reversed(opts):
            f = opt(f)
        return f
    return apply


GRID_KIND_HELP = ("Grid cells: regular (res x res deg) or equal-area (cells of about equal area: 41,252 points at "
                  "1 deg, not 64,800, so less work; area-weighted statistics agree within the resolution). "
                  "Default: the scenario's, else regular.")
SELECT_HELP = ("Keep only the satellites whose name is given or matches a glob ('JILIN*') or whose NORAD id is N "
               "(or Alpha-5, A0001) or in N-M (repeatable or comma-separated).")
MAX_EPOCH_AGE_HELP = "Warn when the window starts more than this many days from a catalog element set's epoch."


def catalog_options(tle_help: str = "A satellite catalog (TLE/3LE or OMM) instead of a scenario."):
    """--tle/--catalog, --select and --max-epoch-age."""
    return _options(
        click.option("--tle", "--catalog", "tle_path", type=InputPath(), metavar="FILE", help=tle_help),
        click.option("--select", "select", multiple=True, help=SELECT_HELP),
        click.option("--max-epoch-age", type=click.FloatRange(min=0), default=14.0, show_default=True,
                     help=MAX_EPOCH_AGE_HELP))


def window_options(max_days: float = 366, max_step_s: float = 3600, days_help: str = "Window length in days.",
                   start_help: str = "Window start, ISO UTC (e.g. 2026-01-01T00:00:00Z). Default: the scenario's, "
                                     "or the catalog's latest epoch."):
    """--start, --days and --step."""
    return _options(
        click.option("--start", callback=_check_start, help=start_help),
        click.option("--days", type=click.FloatRange(min=0, min_open=True, max=max_days), help=days_help),
        click.option("--step", "step_s", type=click.FloatRange(min=0.01, max=max_step_s),
                     help="Step in seconds (edges are refined below it; sampled finer where the sensors need it)."))


def grid_options(max_res: float = 90, res_help: str = "Grid resolution in degrees."):
    """--grid-res, --grid-kind, --lat-min, --lat-max."""
    return _options(
        click.option("--grid-res", type=click.FloatRange(min=0.01, max=max_res), help=res_help),
        click.option("--grid-kind", type=click.Choice(GRID_KINDS), help=GRID_KIND_HELP),
        click.option("--lat-min", type=click.FloatRange(-90, 90), help="Southern edge of the grid (deg)."),
        click.option("--lat-max", type=click.FloatRange(-90, 90), help="Northern edge of the grid (deg)."))


class OffNadirType(click.ParamType):
    """An off-nadir limit: degrees in (0, 90], or "none" (no off-nadir limit)."""

    name = "off-nadir limit"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.strip().lower() == "none":
            return "none"
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of degrees or none", param, ctx)
        return click.FloatRange(min=0, min_open=True, max=90).convert(number, param, ctx)


OFF_NADIR = click.option("--off-nadir", type=OffNadirType(), metavar="DEG|none",
                         help="Sensor's maximum off-nadir angle (deg), for every group; none: no off-nadir limit, "
                              "the minimum elevation alone.")
MIN_ELEVATION = click.option("--min-elevation", type=click.FloatRange(min=0, max=90, max_open=True),
                             help="Minimum elevation of the satellite seen from the ground (deg).")
SWATH = click.option("--swath-km", type=click.FloatRange(min=0, min_open=True, max=5000),
                     help="Make every group a fixed nadir push-broom of this swath width (km).")
MIN_SUN = click.option("--min-sun-elevation", type=click.FloatRange(min=-90, max=90, max_open=True),
                       help="Image only while the Sun is at least this high at the point (deg), every group.")
DAY_AND_NIGHT = click.option("--day-and-night", is_flag=True,
                             help="Drop the scenario's lighting constraint: image day and night.")


STATIONS_HELP = ("Ground stations images come down at: a built-in network (china-rs, china-rs-polar) or a "
                 "station file (.toml, .csv)")
STATIONS = click.option("--stations", "stations", metavar="NETWORK|FILE", callback=_input_file,
                        help=STATIONS_HELP + "; adds the time from a request to its image on the ground (system "
                                             "response) and the data latency. Default: the scenario's [ground].")


def sensor_options(f):
    """--off-nadir, --min-elevation, --swath-km, --min-sun-elevation, --day-and-night."""
    return _options(OFF_NADIR, MIN_ELEVATION, SWATH, MIN_SUN, DAY_AND_NIGHT)(f)


def _out_path(ctx, param, value):
    # "-" is standard output, written in place as any stream (see constellation.files.atomic_write).
    return "/dev/stdout" if value == "-" else value


def out_option(help_text: str, required: bool = False, stdout: bool = True):
    """-o/--out: the file a command writes (the same spelling on every command); ``-``: standard
    output, unless ``stdout`` is False (what the command writes needs a file name)."""
    return click.option("-o", "--out", "out_path", type=click.Path(allow_dash=stdout), metavar="FILE",
                        required=required, callback=_out_path,
                        help=help_text + (" '-': standard output." if stdout else ""))


def simulation_options(f):
    """The options every simulating command shares (run, map)."""
    return _options(
        catalog_options("Run a satellite catalog instead of a scenario: TLE/3LE, or OMM as CSV, JSON, XML or KVN "
                        "(CelesTrak, Space-Track)."),
        window_options(),
        grid_options(),
        click.option("--land-only", is_flag=True,
                     help="Only the grid cells that are mostly land (1 km GLOBE mask); statistics over land."),
        sensor_options,
        click.option("--target", "targets", multiple=True, callback=_check_targets,
                     help="A revisit claim to check, e.g. 30min, 1day (repeatable; added to the scenario's)."),
        click.option("--memory-limit", callback=_memory_limit_option, metavar="SIZE",
                     help="Memory a run may use, e.g. 4GB or 512MB (default: half the available memory); "
                          "a bigger run streams in smaller chunks or is refused, saying how big it is."),
        click.option("--device", type=click.Choice(["auto", "cpu", "gpu"]), default="cpu", show_default=True,
                     help="Where the coverage kernel runs: cpu, the reference; gpu, the optional CUDA kernel "
                          "(not yet verified on a real GPU); auto, a CUDA GPU when numba finds one, else the CPU."),
        STATIONS,
    )(f)


def scheduler_option(help_text: str):
    """--scheduler, as `run`, `sweep` and `size` take it."""
    return click.option("--scheduler", metavar="local|tcp://HOST:PORT", help=help_text)


workers_option = click.option("--workers", type=click.IntRange(min=1), help="Worker processes of the local cluster.")


# Study keyword -> the option that sets it, so that errors name what the user typed.
OPTION_NAMES = {"off_nadir_deg": "--off-nadir", "start": "--start", "swath_km": "--swath-km",
                "min_elevation_deg": "--min-elevation", "min_sun_elevation_deg": "--min-sun-elevation"}


@contextlib.contextmanager
def user_errors():
    """Input problems become one-line click errors (non-zero exit), never tracebacks."""
    from sim.studies.study import option_error

    try:
        yield
    except InputError as exc:
        raise click.ClickException(str(option_error(exc, OPTION_NAMES)))
    except ValueError as exc:
        raise click.ClickException(str(exc))
    except OSError as exc:  # a file no reader or writer turned into an InputError
        where = f"{exc.filename}: " if exc.filename else ""
        raise click.ClickException(f"{where}{exc.strerror or exc}")
    except MemoryError as exc:  # an allocation no estimate foresaw
        raise click.ClickException(f"out of memory ({' '.join(str(exc).split()) or 'MemoryError'})")


def check_outputs(outputs, inputs=()) -> None:
    """Before anything runs: every ``(option, path)`` a command will write must be
    writable (:func:`constellation.files.check_writable`: its folder exists and
    takes a new file, the path is not a folder), and no two may be one file nor
    any be an input file, which it would replace.  FIFOs and devices
    (``/dev/stdout``) are written in place and may take several outputs."""
    from constellation.files import check_writable, is_stream

    given_in = {os.path.realpath(p): p for p in inputs if p and os.path.isfile(p)}
    seen: dict[str, tuple[str, str]] = {}
    for option, path in outputs:
        if not path:
            continue
        check_writable(path)
        if is_stream(path):
            continue
        key = os.path.realpath(path)
        if key in given_in:
            raise click.ClickException(f"{path}: {option} would replace the input {given_in[key]}")
        if key in seen:
            first_option, first = seen[key]
            what = f"by {first_option} and {option}" if first_option != option else f"twice by {option}"
            raise click.ClickException(f"{path}: written {what} ({first} and {path} are one file); give each "
                                       "output its own file")
        seen[key] = (option, str(path))


def check_png(path, option: str = "--out") -> None:
    """A plot's file must say it is a PNG (a stream, such as standard output, excepted)."""
    from constellation.files import is_stream

    if path and not is_stream(path) and Path(path).suffix.lower() != ".png":
        raise click.ClickException(f"{path}: {option} draws a PNG: name the file FILE.png")


def load_studies(scenarios, tle_path, select=(), max_epoch_age=None) -> list:
    """Scenario files or built-in names (default: every milestone), or one catalog -> studies."""
    from constellation.scenario import builtin_scenarios
    from sim.studies.study import Study

    if tle_path:
        if scenarios:
            raise click.UsageError("give scenarios or --tle, not both")
        return [Study.from_catalog(tle_path, select=select or None, max_epoch_age_days=max_epoch_age)]
    studies = [Study.from_scenario(a) for a in (scenarios or builtin_scenarios())]
    return [s.with_overrides(select=select) for s in studies] if select else studies


def one_study(scenarios, tle_path, command: str, select=(), max_epoch_age=None):
    studies = load_studies(scenarios, tle_path, select, max_epoch_age)
    if len(studies) != 1:
        raise click.UsageError(f"{command} draws one scenario: give its name or file (see `revisit scenarios`) "
                               "or --tle FILE")
    return studies[0]


def with_options(study, start=None, days=None, step_s=None, grid_res=None, grid_kind=None, lat_min=None,
                 lat_max=None, land_only=False, off_nadir=None, min_elevation=None, swath_km=None,
                 min_sun_elevation=None, day_and_night=False, targets=(), points=None, stations=None,
                 **_run_options):
    """The study with the command line's overrides applied."""
    if points is not None:
        grid = [opt for opt, v in (("--grid-res", grid_res), ("--grid-kind", grid_kind), ("--lat-min", lat_min),
                                   ("--lat-max", lat_max), ("--land-only", land_only or None)) if v is not None]
        if grid:
            raise click.UsageError(f"give --points or a grid ({', '.join(grid)}), not both")
    if swath_km is not None and off_nadir is not None:
        raise click.UsageError("give --off-nadir (an agile sensor) or --swath-km (a push-broom), not both")
    if min_sun_elevation is not None and day_and_night:
        raise click.UsageError("give --min-sun-elevation or --day-and-night, not both")
    return study.with_overrides(start=start, days=days, step_s=step_s, grid_res_deg=grid_res, grid_kind=grid_kind,
                                lat_min_deg=lat_min, lat_max_deg=lat_max, land_only=land_only or None,
                                off_nadir_deg=off_nadir, min_elevation_deg=min_elevation, swath_km=swath_km,
                                min_sun_elevation_deg=min_sun_elevation, day_and_night=day_and_night,
                                targets=targets, points=points, stations=stations)


def validated(study, judge_targets: bool = False):
    """The study with what sgp4 cannot fly dropped; its warnings on stderr (those on
    the scenario's revisit and delivery-time targets only where the command judges
    them: ``judge_targets``)."""
    study = study.validated(judge_targets)
    for text in study.warnings:
        click.echo(f"Warning: {study.name}: {text}", err=True)
    return study


@contextlib.contextmanager
def sample_bar(label: str, total: int, point_bands: bool = False):
    """A click progress bar on stderr over a window's samples: yields ``progress(done, total)``.
    Before it, one line when the numba kernels must be compiled first (``point_bands``: the
    point-list kernel, for a grid that ``uses_point_bands``)."""
    from sim.studies.study import COMPILING, kernels_cold

    if kernels_cold(point_bands):
        click.echo(COMPILING, err=True)
    with click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_percent=True) as bar:
        done = [0]

        def progress(k, n):
            bar.update(k - done[0])
            done[0] = k

        yield progress


def run_cluster(scheduler, workers):
    """The Dask executor `run --scheduler` asks for (None: run in this process); as a
    context manager it opens the client (``.client``) and closes what it started."""
    from sim.studies.sweep import LOCAL_SCHEDULER, DaskExecutor

    if scheduler is None:
        if workers is not None:
            raise click.UsageError("--workers sets the workers of a local cluster: give --scheduler local")
        return None
    if workers is not None and scheduler != LOCAL_SCHEDULER:
        raise click.UsageError("--workers sets the workers of a local cluster, not of one at --scheduler ADDRESS")
    return DaskExecutor(scheduler=scheduler, n_workers=workers)


def simulate(study, memory_limit=None, device="cpu", per_group=False, client=None, timeseries=False, n_assets=None,
             **_overrides):
    """Run one study with a progress bar on stderr: -> sim.Result (with its provenance);
    on the Dask cluster of ``client`` when given; with its time series when ``timeseries``."""
    study = validated(study, judge_targets=True)
    study.check_memory(memory_limit)  # from the sizes alone: a run too big for memory builds nothing
    grid = study.grid()
    label = f"{study.name} ({len(study.constellation)} sats, {len(grid):,} points)"
    # With a ground network, a second bar over the latency's samples (the window and its tail).
    ground_bar = _Bar(f"{study.name}: request to ground via {study.ground.name}") if study.ground else None
    try:
        with sample_bar(label, study.window().n_samples - 1, grid.uses_point_bands()) as progress:
            return study.run(device=device or "cpu", progress=progress, memory_limit_bytes=memory_limit,
                             per_group=per_group, grid=grid, command_line=shlex.join(["revisit", *sys.argv[1:]]),
                             client=client, ground_progress=ground_bar,
                             **({"timeseries": True, "n_assets": n_assets} if timeseries else {}))
    finally:
        if ground_bar is not None:
            ground_bar.close()


@main.command("run")
@click.argument("scenarios", nargs=-1, callback=_input_files)
@simulation_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per scenario (JSON lines).")
@click.option("--plots", "plots_dir", type=click.Path(), metavar="DIRECTORY",
              help="Also write PNGs to this folder: a max-revisit map and ground tracks per scenario, "
                   "the max-revisit CDF and the milestone chart over all of them.")
@out_option("Write the result, with its provenance: .nc (NetCDF, CF), .csv (with its metadata in FILE.json), "
            ".geojson (per point), .json (summary) or .tif (GeoTIFF maps, one band per figure; needs "
            "pip install 'revisit[gis]'). With several scenarios, one file each: FILE's name + '-SCENARIO'.")
@click.option("--per-group", is_flag=True,
              help="Also fly each group of a mixed constellation alone and report it (takes longer).")
@scheduler_option("Run on Dask: local (a local cluster, one single-threaded worker process per core) or an "
                  "existing cluster at tcp://HOST:PORT (its workers need revisit installed); the grid is split "
                  "into bands of latitude rows, one task each, and the figures are the same. Default: this process.")
@workers_option
@click.option("--points", "points", type=InputPath(), metavar="FILE.csv",
              help="Run on these ground points instead of the grid: rows lat,lon[,name] in degrees (as `revisit "
                   "targets --targets` reads them); each point's figures are printed after the table "
                   "(--json: point_figures), in the file's order.")
@click.option("--timeseries", "series_path", type=click.Path(allow_dash=True), callback=_out_path, metavar="FILE.csv",
              help="Also count the satellites seeing each point at every sample and write the coverage over time "
                   "as CSV (time_utc, coverage_share, cumulative_share, share_n, mean_sats_in_view, "
                   "max_sats_in_view; FILE.csv.json beside it); --out .nc then holds it on a UTC time axis, --json "
                   "as arrays, and the per-point N-asset figures join the others. CPU only. With several "
                   "scenarios, one file each: FILE's name + '-SCENARIO'. '-': standard output.")
@click.option("--assets", "n_assets", type=click.IntRange(min=1), metavar="N",
              help="With --timeseries: the N of the N-asset figures (share seen by at least N satellites at "
                   "once; default 2).")
def run_cmd(scenarios, tle_path, select, max_epoch_age, as_json, plots_dir, out_path, scheduler, workers,
            series_path, n_assets, **options):
    """Simulate scenarios (default: every built-in Jilin-1 milestone) or a catalog.

    SCENARIOS are scenario files or built-in names (see `revisit scenarios`).
    Options override the scenario's own values.
    """
    from sim.outputs.report import milestone_table, point_table

    results, runs, constellations = [], [], []
    with user_errors(), contextlib.ExitStack() as stack:
        if out_path:
            from sim.outputs.io import check_output_path, output_format

            check_output_path(out_path)
            if options.get("points") and output_format(out_path) == "geotiff":
                raise click.UsageError("a point list has no map: write --out FILE.nc, .csv or .geojson with --points")
        if n_assets is not None and not series_path:
            raise click.UsageError("--assets sets the N of the time series: give --timeseries FILE.csv too")
        if series_path and options.get("device") == "gpu":
            raise click.UsageError("--timeseries runs on the CPU only: give --device cpu or auto")
        if series_path:
            from sim.outputs.io import check_series_path

            check_series_path(series_path)
        to_stdout = [opt for opt, on in (("--out -", out_path == "/dev/stdout"),
                                         ("--timeseries -", series_path == "/dev/stdout"), ("--json", as_json)) if on]
        if len(to_stdout) > 1:
            raise click.ClickException(f"{' and '.join(to_stdout)} write to standard output together: send all "
                                       "but one to a file")
        studies = [with_options(s, **options) for s in load_studies(scenarios, tle_path, select, max_epoch_age)]
        out_paths = run_output_paths(out_path, [s.name for s in studies])
        series_paths = run_output_paths(series_path, [s.name for s in studies])
        from sim.outputs.io import written_files
        from sim.outputs.tables import table_files  # a CSV and its sidecar, as a time series is written

        check_outputs([("--out", f) for p in out_paths if p for f in written_files(p)]
                      + [("--timeseries", f) for p in series_paths if p for f in table_files(p)]
                      + plot_outputs(plots_dir, studies), inputs=[*scenarios, tle_path, options.get("points")])
        cluster = run_cluster(scheduler, workers)
        client = stack.enter_context(cluster).client if cluster is not None else None
        from sim.studies import warmup

        warmup.start(studies)  # a first run: the capacity claims' kernels compile on another core meanwhile
        for study, path, series_out in zip(studies, out_paths, series_paths):
            result = simulate(study, client=client, timeseries=bool(series_out), n_assets=n_assets, **options)
            summary = result.summary()
            if series_out:
                from constellation.files import is_stream
                from sim.outputs.io import to_series_csv

                written = to_series_csv(result, series_out)
                if not is_stream(written):
                    click.echo(f"wrote {' and '.join(map(str, table_files(written)))}", err=True)
                if as_json:
                    summary["timeseries"] = dict(summary["timeseries"], **result.series.to_dict())
            summary.update(study.check_claims(log=lambda text: click.echo(text, err=True)))
            if result.grid.kind == "points":
                summary["point_figures"] = result.point_figures()
            results.append(summary)
            if path:
                click.echo(f"wrote {' and '.join(map(str, written_files(result.save(path))))}", err=True)
            if plots_dir:
                runs.append(result)
                constellations.append(result.constellation)
            if as_json:
                click.echo(json.dumps(_jsonable(summary)))
        if plots_dir:
            from sim.outputs.plot import write_plots

            for p in write_plots(runs, plots_dir, constellations):
                click.echo(f"wrote {p}", err=True)
    if not as_json:
        # With the result itself on standard output, the table goes to stderr.
        to_stderr = "/dev/stdout" in (out_path, series_path)
        click.echo(milestone_table(results), err=to_stderr)
        for summary in results:
            if "point_figures" in summary:
                click.echo("", err=to_stderr)
                click.echo(point_table(summary["scenario"], summary["point_figures"]), err=to_stderr)


def output_path_for(out_path: str, name: str, several: bool) -> Path:
    """``out.nc`` for one scenario; ``out-NAME.nc`` for each of several."""
    path = Path(out_path)
    if not several:
        return path
    return path.with_name(f"{path.stem}-{re.sub(r'[^A-Za-z0-9._-]+', '_', name)}{path.suffix}")


def run_output_paths(out_path: str | None, names: list[str]) -> list[Path | None]:
    """The file ``run --out`` writes for each scenario (None without --out).  Two
    scenarios of one name would write one file: refused, as is splitting several
    into a FIFO or device, which has no name to extend."""
    from constellation.files import is_stream

    if not out_path:
        return [None] * len(names)
    several = len(names) > 1
    if several and is_stream(out_path):
        raise click.ClickException(f"{out_path}: with several scenarios --out names one file each "
                                   "(FILE-SCENARIO.ext); give a file name, not a pipe or device")
    seen = set()
    for name in names:
        if name in seen:
            raise click.ClickException(f"scenario {name!r} is given twice: its results would overwrite each other "
                                       f"in {output_path_for(out_path, name, several)}; give each scenario once")
        seen.add(name)
    return [output_path_for(out_path, name, several) for name in names]


def plot_outputs(plots_dir: str | None, studies) -> list[tuple[str, Path]]:
    """The PNGs ``run --plots DIR`` writes, checked before the runs: DIR must be a
    folder, or be missing with an existing parent (it is made then)."""
    if not plots_dir:
        return []
    from constellation.files import check_folder_writable
    from sim.outputs.plot import plot_file_names

    check_folder_writable(plots_dir)
    names = [s.name for s in studies]
    if len(set(names)) < len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise click.ClickException(f"scenario {dup!r} is given twice: its plots would overwrite each other in "
                                   f"{plots_dir}; give each scenario once")
    if not os.path.isdir(plots_dir):
        return []
    return [("--plots", Path(plots_dir) / f) for f in plot_file_names(names)]


@main.command("show")
@click.argument("files", nargs=-1, required=True, type=InputPath())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file (JSON lines), as `run --json`.")
@click.option("--provenance", "with_provenance", is_flag=True,
              help="Print each file's provenance (inputs, versions, settings, time) as JSON instead.")
def show_cmd(files, as_json, with_provenance):
    """Print the table (or JSON) of results written by `revisit run --out`, without re-simulating.

    FILES are .nc, .csv, .geojson, .json or .tif results; the figures are read back and
    the statistics recomputed from them (a .json or .tif holds the summary itself).
    """
    from sim.outputs.io import load_provenance, load_summary
    from sim.outputs.report import milestone_table

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


MAP_FIGURES = ("max_revisit", "mean_revisit", "mean_response", "accesses", "coverage",  # sim.outputs.plot.MAP_FIGURES
               "system_response", "max_system_response", "data_latency")


@main.command("map")
@click.argument("scenario", nargs=-1, callback=_input_files, metavar="[SCENARIO]")
@simulation_options
@out_option("PNG to write (default: SCENARIO-FIGURE.png here).")
@click.option("--figure", type=click.Choice(MAP_FIGURES), default="max_revisit", show_default=True,
              help="The per-point figure to draw.")
def map_cmd(scenario, tle_path, select, max_epoch_age, out_path, figure, **options):
    """Simulate one scenario or catalog and draw a world map of a per-point figure.

    Colour bar in min / h / d, the scenario's targets marked on it, never-seen
    points grey, coastlines from the GLOBE land mask (offline).
    """
    from sim.outputs.plot import safe_name

    with user_errors():
        study = with_options(one_study(scenario, tle_path, "map", select, max_epoch_age), **options)
        if figure in ("system_response", "max_system_response", "data_latency") and study.ground is None:
            raise click.UsageError(f"--figure {figure} needs ground stations: give --stations (e.g. china-rs)")
        path = Path(out_path or f"{safe_name(study.name)}-{figure}.png")
        check_outputs([("--out", path)], inputs=[*scenario, tle_path])
        check_png(path)
        result = simulate(study, **options)
        result.plot_map(path, figure=figure)
    click.echo(f"wrote {path}", err=True)


@main.command("plot-time")
@click.argument("source", type=InputPath())
@out_option("PNG to write (default: SOURCE's name + '-time.png' here).")
@click.option("--title", help="The plot's title (default: the scenario and the window's start).")
def plot_time_cmd(source, out_path, title):
    """Draw coverage over time from a run's time series.

    SOURCE is a result written by `revisit run --timeseries FILE.csv -o RESULT.nc`
    (the .nc) or the time-series CSV itself: the instantaneous share of the area
    seen (by >= 1 and >= N satellites), the cumulative share seen at least once,
    and the mean number of satellites in view, against UTC.
    """
    from sim.outputs.plot import plot_timeseries, safe_name

    with user_errors():
        path = Path(out_path or f"{safe_name(Path(source).stem)}-time.png")
        check_outputs([("--out", path)], inputs=[source])
        check_png(path)
        series, name = load_series(source)
        plot_timeseries(series, path, title=title or (f"{name}: coverage over time" if name else None))
    click.echo(f"wrote {path}", err=True)


def load_series(source: str):
    """(time series, scenario name or None) of a result file or a time-series CSV."""
    from sim.outputs.io import load_result, read_series_csv

    if Path(source).suffix.lower() == ".csv":
        with open(source, encoding="utf-8") as f:
            is_series = f.readline().startswith("time_utc,")
        if is_series:
            return read_series_csv(source), None
    result = load_result(source)
    if result.series is None:
        raise click.ClickException(f"{source}: holds no time series (run it with --timeseries FILE.csv "
                                   "and --out FILE.nc)")
    return result.series, result.name


@main.command("tracks")
@click.argument("scenario", nargs=-1, callback=_input_files, metavar="[SCENARIO]")
@click.option("--tle", "--catalog", "tle_path", type=InputPath(), metavar="FILE",
              help="A satellite catalog (TLE/3LE or OMM) instead of a scenario.")
@click.option("--start", callback=_check_start,
              help="Start, ISO UTC. Default: the scenario's, or the catalog's latest epoch.")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True, max=24 * 31), default=1.5, show_default=True,
              help="Span of the tracks (h); 1.5 h is about one low orbit.")
@click.option("--step", "step_s", type=click.FloatRange(min=1, max=3600), default=30.0, show_default=True,
              help="Sample step (s).")
@out_option("PNG to write (default: SCENARIO-tracks.png).")
def tracks_cmd(scenario, tle_path, start, hours, step_s, out_path):
    """Draw the ground tracks of one scenario's or catalog's satellites."""
    from sim.outputs.plot import plot_tracks, safe_name

    with user_errors():
        study = one_study(scenario, tle_path, "tracks")
        path = Path(out_path or f"{safe_name(study.name)}-tracks.png")
        check_outputs([("--out", path)], inputs=[*scenario, tle_path])
        check_png(path)
        # As every command: a catalog's window near its epochs, the satellites sgp4 cannot fly dropped (said).
        study = validated(study.with_overrides(start=start, duration_s=hours * 3600.0,
                                               step_s=min(study.step_s, hours * 3600.0)))
        _warn_coarse_track_step(study.constellation, step_s, "--step", "the tracks are drawn as straight chords "
                                "between samples")
        plot_tracks(study.constellation, study.start, path, hours=hours, step_s=step_s)
    click.echo(f"wrote {path}", err=True)


# A track sampled coarser than this share of an orbit no longer looks like one.
SAMPLES_PER_ORBIT_MIN = 24


def _warn_coarse_track_step(constellation, step_s: float, option: str, consequence: str) -> None:
    """Warn when ``step_s`` samples the fastest satellite's orbit fewer than
    SAMPLES_PER_ORBIT_MIN times."""
    period_s = constellation.shortest_period_s()
    if period_s is not None and step_s > period_s / SAMPLES_PER_ORBIT_MIN:
        click.echo(f"Warning: {option} {step_s:g} s is {step_s / period_s:.0%} of the shortest orbit "
                   f"({period_s / 60:.1f} min): {consequence}; use at most {period_s / SAMPLES_PER_ORBIT_MIN:.0f} s",
                   err=True)


def _parse_size_in(ctx, param, value):
    """'10x5.6' -> (10.0, 5.6) inches."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*[xX,]\s*([0-9]*\.?[0-9]+)\s*", value or "")
    if not m or not all(1.0 <= float(v) <= 40.0 for v in m.groups()):
        raise click.BadParameter(f"{value!r}: give WIDTHxHEIGHT in inches, each 1-40, e.g. 10x5.6")
    return float(m.group(1)), float(m.group(2))


@main.command("animate")
@click.argument("scenario", nargs=-1, callback=_input_files, metavar="[SCENARIO]")
@catalog_options()
@click.option("--start", callback=_check_start,
              help="First frame, ISO UTC. Default: the scenario's start, or the catalog's latest epoch.")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True, max=24 * 31), default=2.0, show_default=True,
              help="Span of the animation (h of simulated time).")
@click.option("--frame-step", "frame_step_s", type=click.FloatRange(min=1, max=86400), default=120.0,
              show_default=True, help="Simulated seconds from one frame to the next (at most 2,000 frames).")
@click.option("--fps", type=click.FloatRange(min=0.1, max=60), default=8.0, show_default=True,
              help="Frames per second of the animation.")
@click.option("--dpi", type=click.IntRange(20, 300), default=80, show_default=True,
              help="Pixels per inch: a frame is --size times this many pixels.")
@click.option("--size", "size_in", default="10x5.6", show_default=True, callback=_parse_size_in, metavar="WxH",
              help="Frame size in inches.")
@click.option("--grid-res", type=click.FloatRange(min=0.1, max=30), default=2.0, show_default=True,
              help="Grid resolution (deg) of the cumulative coverage layer.")
@click.option("--step", "step_s", type=click.FloatRange(min=0.01, max=3600),
              help="Step of the coverage run in seconds (edges are refined below it). Default: the scenario's.")
@sensor_options
@out_option("Animation to write: .gif, or .mp4 (needs ffmpeg on the PATH). Default: SCENARIO-coverage.gif here.")
def animate_cmd(scenario, tle_path, select, max_epoch_age, start, hours, frame_step_s, fps, dpi, size_in, grid_res,
                step_s, off_nadir, min_elevation, swath_km, min_sun_elevation, day_and_night, out_path):
    """Animate one scenario's or catalog's coverage: a GIF (or MP4) of world maps.

    Each frame shows every satellite's sub-satellite point and sensor footprint
    at that instant, the grid points seen at least once so far (one coverage
    run gives each point's first access) and the UTC time.  Coastlines from the
    GLOBE land mask (offline).
    """
    from sim.outputs.animate import check_animation, coverage_frames, write_animation
    from sim.outputs.plot import safe_name

    with user_errors():
        study = with_options(one_study(scenario, tle_path, "animate", select, max_epoch_age), start=start,
                             step_s=step_s, off_nadir=off_nadir, min_elevation=min_elevation, swath_km=swath_km,
                             min_sun_elevation=min_sun_elevation, day_and_night=day_and_night)
        path = out_path or f"{safe_name(study.name)}-coverage.gif"
        frames = check_animation(path, study.start, hours, frame_step_s, size_in, dpi)
        check_outputs([("--out", path)], inputs=[*scenario, tle_path])
        study = validated(study.with_overrides(duration_s=frames.duration_s,
                                               step_s=min(study.step_s, frames.duration_s)))
        label = f"{study.name} ({len(study.constellation)} sats, coverage)"
        with sample_bar(label, study.window().n_samples - 1) as progress:
            data = coverage_frames(study, hours, frame_step_s, grid_res, progress=progress)
        with click.progressbar(length=data.n_frames, label="frames", file=sys.stderr, show_eta=True,
                               show_pos=True) as bar:
            write_animation(data, path, fps=fps, dpi=dpi, size_in=size_in, progress=lambda k, n: bar.update(1))
    click.echo(f"wrote {path} ({data.n_frames} frames, one every {frame_step_s:g} s from "
               f"{data.start:%Y-%m-%d %H:%M:%S} UTC)", err=True)


@main.command("catalog")
@click.argument("path", type=InputPath())
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
@click.argument("scenario", nargs=-1, callback=_input_files, metavar="[SCENARIO]")
@click.option("--tle", "--catalog", "tle_path", type=InputPath(), metavar="FILE",
              help="Convert a catalog (any format `revisit catalog` reads) instead of a scenario.")
@click.option("--select", "select", multiple=True, help=SELECT_HELP)
@out_option("File to write: .tle/.3le (3LE, with names), .2le (TLE), .csv/.json/.xml/.kvn (OMM; .kvn with "
            "several satellites: one file each, FILE's name + '-NORAD ID'), .czml (positions over a window, for "
            "Cesium).", required=True, stdout=False)
@click.option("--start", callback=_check_start,
              help="CZML: window start, ISO UTC. Default: the scenario's, or the catalog's latest epoch.")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True, max=24 * 366),
              help="CZML: window length in hours.")
@click.option("--days", type=click.FloatRange(min=0, min_open=True, max=366),
              help="CZML: window length in days. Default: the scenario's window (a catalog: 1 day).")
@click.option("--step", "step_s", type=click.FloatRange(min=1, max=3600),
              help="CZML: seconds between position samples. Default 60.")
def export_cmd(scenario, tle_path, select, out_path, start, hours, days, step_s):
    """Write a scenario's satellites (or a catalog's) as a TLE or OMM catalog, or
    their positions over a window as CZML for Cesium."""
    from constellation.catalog import catalog_files, write_catalog

    if Path(out_path).suffix.lower() == ".czml":
        return _export_czml(scenario, tle_path, select, out_path, start, hours, days, step_s)
    window = [o for o, v in (("--start", start), ("--hours", hours), ("--days", days), ("--step", step_s)) if v]
    if window:
        raise click.UsageError(f"{', '.join(window)}: only for a .czml output (a catalog holds elements, no window)")
    with user_errors():
        check_outputs([("--out", out_path)], inputs=[*scenario, tle_path])
        const = one_study(scenario, tle_path, "export", select).constellation
        # KVN writes one file per satellite: every one is checked before the first is written.
        check_outputs([("--out", f) for f in catalog_files(const, out_path)], inputs=[*scenario, tle_path])
        fmt = write_catalog(const, out_path)
    files = catalog_files(const, out_path, fmt)
    if len(files) > 1:  # KVN: one message per file
        click.echo(f"wrote {len(const)} satellites to {len(files)} files {files[0]} .. {files[-1]} ({fmt}, one OMM "
                   "per file)", err=True)
    else:
        click.echo(f"wrote {len(const)} satellites to {out_path} ({fmt})", err=True)


CZML_STEP_S = 60.0


def _export_czml(scenario, tle_path, select, out_path, start, hours, days, step_s):
    """`export -o FILE.czml`: the satellites' Earth-fixed positions over a window."""
    from sim.outputs.czml import write_czml

    if hours is not None and days is not None:
        raise click.UsageError("give --hours or --days, not both")
    with user_errors():
        check_outputs([("--out", out_path)], inputs=[*scenario, tle_path])
        study = one_study(scenario, tle_path, "export", select)
        duration_s = hours * 3600.0 if hours is not None else days * 86400.0 if days is not None else study.duration_s
        study = validated(study.with_overrides(start=start, duration_s=duration_s))
        step = min(step_s or CZML_STEP_S, study.duration_s)
        _warn_coarse_track_step(study.constellation, step, "--step", "Cesium's degree-5 interpolation between "
                                "samples so far apart draws no orbit")
        write_czml(study.constellation, out_path, study.start, study.duration_s, step, name=study.name)
    click.echo(f"wrote {len(study.constellation)} satellites to {out_path} (CZML, Earth-fixed positions every "
               f"{step:g} s from {study.start:%Y-%m-%d %H:%M:%S} UTC for {study.duration_s / 3600:g} h)", err=True)


# ---------------------------------------------------------------- ground segment


@main.command("contacts")
@click.argument("scenario", nargs=-1, callback=_input_files, metavar="[SCENARIO]")
@catalog_options()
@click.option("--stations", "stations", metavar="NETWORK|FILE", callback=_input_file,
              help=STATIONS_HELP + ". Default: the scenario's [ground].")
@window_options(max_days=31, max_step_s=600)
@out_option("Write the contacts here: CSV (satellite, station, aos_utc, los_utc, duration_s, max_elevation_deg, "
            "aos_s, los_s), or JSON lines with --json. Default: standard output, unless --summary.")
@click.option("--summary", "with_summary", is_flag=True,
              help="Print the per-station summary (contacts and minutes a day, longest gap) to standard output.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of CSV; with --summary, one JSON object.")
def contacts_cmd(scenario, tle_path, select, max_epoch_age, stations, start, days, step_s, out_path, with_summary,
                 as_json):
    """Downlink contacts of a constellation's satellites with ground stations.

    A contact lasts while the satellite stands at least the station's minimum
    elevation above its horizon (the coverage kernel's refined edges, the
    station's height and geodetic horizon).  Each contact: satellite, station,
    AOS and LOS (UTC, ISO 8601 with milliseconds), duration and highest
    elevation.  --summary: per station, contacts and minutes a day and the
    longest time with no satellite in contact.
    """
    from sim.outputs.report import contacts_text
    from sim.outputs.tables import table_files, table_format, table_lines, write_table
    from sim.studies.ground import contact_summary, find_contacts

    bar = _Bar("contacts")
    with user_errors():
        fmt = table_format(out_path, as_json)
        outputs = [("--out", p) for p in table_files(out_path, fmt)] if out_path else []
        check_outputs(outputs, inputs=[*scenario, tle_path, stations])
        study = one_study(scenario, tle_path, "contacts", select, max_epoch_age)
        study = validated(study.with_overrides(start=start, days=days, step_s=step_s, stations=stations))
        if study.ground is None:
            raise click.UsageError("give --stations (a built-in network: china-rs, china-rs-polar; or a station "
                                   "file): the scenario has no [ground]")
        try:
            found = find_contacts(study.constellation, study.ground, study.window(), progress=bar)
        finally:
            bar.close()
        if out_path:
            files = write_table(found.table(), out_path, fmt,
                                meta={"command_line": shlex.join(["revisit", *sys.argv[1:]])})
            click.echo(f"wrote {len(found):,} contacts to {' and '.join(map(str, files))}", err=True)
    if out_path is None and not with_summary:
        for line in table_lines(found.table(), fmt):
            click.echo(line)
    if with_summary:
        summary = contact_summary(found)
        click.echo(json.dumps(_jsonable(summary)) if as_json else contacts_text(summary))


# ---------------------------------------------------------------- target capacity and area survey


@main.command("targets")
@click.argument("scenario", nargs=-1, callback=_input_files, metavar="[SCENARIO]")
@catalog_options()
@click.option("--targets", "targets_csv", type=InputPath(), metavar="FILE.csv",
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
@window_options(max_days=31, max_step_s=600,
                days_help="Window length in days (default: the scenario's [capacity], else its window).")
@_options(OFF_NADIR, MIN_SUN, DAY_AND_NIGHT)
@click.option("--windows-out", type=click.Path(), metavar="FILE.csv",
              help="Also write every access window: target, lat, lon, satellite, start_s, end_s, start_utc, "
                   "end_utc (and the window in FILE.csv.json).")
@click.option("--schedule-out", type=click.Path(), metavar="FILE.csv",
              help="Also write the daily schedule's images: target, lat, lon, satellite, start_s, end_s, "
                   "start_utc, end_utc (and the window in FILE.csv.json).")
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
    from sim.outputs.report import capacity_text
    from sim.outputs.tables import table_files, write_schedule_csv, write_windows_csv
    from sim.studies.capacity import capacity_study, capacity_targets, run_capacity

    with user_errors():
        if targets_csv and n_random:
            raise click.UsageError("give --targets FILE or --random N, not both")
        if min_sun_elevation is not None and day_and_night:
            raise click.UsageError("give --min-sun-elevation or --day-and-night, not both")
        check_outputs([(opt, f) for opt, p in (("--windows-out", windows_out), ("--schedule-out", schedule_out))
                       if p for f in table_files(p)], inputs=[*scenario, tle_path, targets_csv])
        study = one_study(scenario, tle_path, "targets")
        targets = capacity_targets(study.capacity, targets_csv, n_random, seed, lat_min, lat_max)
        study = validated(capacity_study(study, start, days, step_s, off_nadir, min_sun_elevation, day_and_night,
                                         select, max_epoch_age))
        label = f"{study.name} ({len(study.constellation)} sats, {len(targets):,} targets)"
        with sample_bar(label, study.window().n_samples - 1) as progress:
            res, summary = run_capacity(study, targets, dwell_s, slew_deg_s, settle_s, progress=progress)
        for p, write in ((windows_out, write_windows_csv), (schedule_out, write_schedule_csv)):
            if p:
                click.echo(f"wrote {' and '.join(map(str, write(res, p)))}", err=True)
    if as_json:
        click.echo(json.dumps(_jsonable(summary)))
        return
    click.echo(capacity_text(summary))


def _check_sites(ctx, param, values):
    from sim.studies.access import parse_site

    for v in values or ():
        try:
            parse_site(v)
        except ValueError as exc:
            raise click.BadParameter(str(exc))
    return values


@main.command("access")
@click.argument("scenario", nargs=-1, callback=_input_files, metavar="[SCENARIO]")
@catalog_options()
@click.option("--site", "sites", multiple=True, callback=_check_sites, metavar="LAT,LON[,NAME]",
              help="A site: geodetic latitude and longitude in degrees, and a name (default S1, S2, ...); "
                   "repeatable.")
@click.option("--points", "points", type=InputPath(), metavar="FILE.csv",
              help="Sites from a CSV file: rows lat,lon[,name] in degrees, or a header naming lat and lon (and "
                   "name) columns (as `revisit targets --targets` reads them).")
@window_options(max_days=31, max_step_s=600,
                days_help="Window length in days (default: the scenario's window; a catalog's: 1 day).")
@sensor_options
@click.option("--gaps", is_flag=True,
              help="Also list each site's gaps (no satellite in view) between the union of its accesses, and "
                   "those at the window's edges: a first column kind (access, gap, edge_gap).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: one object per row instead of CSV.")
@out_option("Write the report to this file (atomically) and what it is (window, sensors, sites) to FILE.json "
            "beside it; FILE.jsonl or .json: JSON lines. Default: standard output.")
def access_cmd(scenario, tle_path, select, max_epoch_age, sites, points, start, days, step_s, off_nadir,
               min_elevation, swath_km, min_sun_elevation, day_and_night, gaps, as_json, out_path):
    """When each satellite can see each site: an access report in UTC.

    One row per access of a satellite to a site (the coverage kernel's geometry,
    refined edges, lighting): site, satellite, NORAD id, start and end (UTC,
    milliseconds), duration, the time and value of the greatest elevation, the
    smallest off-nadir angle and the Sun's elevation then.  CSV on standard
    output, or -o FILE.
    """
    from sim.outputs.tables import table_files, table_format, table_lines, write_table
    from sim.studies.access import access_report, access_sites

    with user_errors():
        if not sites and not points:
            raise click.UsageError("give the sites: --site LAT,LON[,NAME] (repeatable) or --points FILE.csv")
        fmt = table_format(out_path, as_json)
        if out_path:
            check_outputs([("--out", p) for p in table_files(out_path, fmt)], inputs=[*scenario, tle_path, points])
        site_list = access_sites(sites, points)
        study = with_options(one_study(scenario, tle_path, "access", select, max_epoch_age), start=start, days=days,
                             step_s=step_s, off_nadir=off_nadir, min_elevation=min_elevation, swath_km=swath_km,
                             min_sun_elevation=min_sun_elevation, day_and_night=day_and_night)
        study = validated(study)
        label = f"{study.name} ({len(study.constellation)} sats, {len(site_list):,} sites)"
        with sample_bar(label, study.window().n_samples - 1) as progress:
            report = access_report(study, site_list, gaps=gaps, progress=progress)
        table = report.table()
        if out_path:
            files = write_table(table, out_path, fmt,
                                meta={"command_line": shlex.join(["revisit", *sys.argv[1:]])})
            click.echo(f"wrote {' and '.join(map(str, files))}", err=True)
            return
    for line in table_lines(table, fmt):
        click.echo(line)


def _parse_bbox(text: str):
    from sim.studies.survey import bbox_region

    try:
        vals = [float(v) for v in text.split(",")]
        if len(vals) != 4:
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"{text!r}: give LON_MIN,LAT_MIN,LON_MAX,LAT_MAX in degrees", param_hint="'--bbox'")
    try:
        region = bbox_region(*vals)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--bbox'")
    if vals[0] > vals[2]:
        click.echo(f"Warning: --bbox: LON_MIN {vals[0]:g} > LON_MAX {vals[2]:g}, read as a box across the "
                   f"antimeridian, {360.0 - (vals[0] - vals[2]):g} deg wide (swap them for the "
                   f"{vals[0] - vals[2]:g} deg box)", err=True)
    return region


@main.command("survey")
@click.argument("scenario", nargs=-1, callback=_input_files, metavar="[SCENARIO]")
@catalog_options()
@click.option("--region", callback=_input_file,
              help="The region: 'china' (built-in, coarse) or a GeoJSON file of Polygons/MultiPolygons (default: "
                   "the scenario's [survey]).")
@click.option("--bbox", help="A box instead: LON_MIN,LAT_MIN,LON_MAX,LAT_MAX (deg).")
@window_options(days_help="Window length in days (default: the scenario's [survey], else 31).")
@click.option("--grid-res", type=click.FloatRange(min=0.01, max=10),
              help="Grid resolution in degrees (default: the scenario's [survey], else 0.5).")
@_options(SWATH, OFF_NADIR, MIN_SUN, DAY_AND_NIGHT)
@out_option("Also draw the cumulative curve to this PNG.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def survey_cmd(scenario, tle_path, select, max_epoch_age, region, bbox, start, days, step_s, grid_res, swath_km,
               off_nadir, min_sun_elevation, day_and_night, out_path, as_json):
    """How long a constellation takes to image a whole region once.

    The share of the region's area imaged at least once against time (the
    area-weighted distribution of each grid point's first access, inside the
    polygon), and the times to reach 95 % and 100 %.  Sensors: the scenario's
    [survey] swaths (else its own sensors), with lighting.  Clouds are not
    modelled: every access counts as an image.
    """
    from sim.outputs.report import survey_text
    from sim.studies.survey import load_region, run_survey, survey_study

    with user_errors():
        if region is not None and bbox is not None:
            raise click.UsageError("give --region or --bbox, not both")
        if region is not None and not region.strip():
            raise click.ClickException("--region is empty: give a built-in region (china) or a GeoJSON file")
        if bbox is not None and not bbox.strip():
            raise click.ClickException("--bbox is empty: give LON_MIN,LAT_MIN,LON_MAX,LAT_MAX in degrees")
        if swath_km is not None and off_nadir is not None:
            raise click.UsageError("give --off-nadir (an agile sensor) or --swath-km (a push-broom), not both")
        if min_sun_elevation is not None and day_and_night:
            raise click.UsageError("give --min-sun-elevation or --day-and-night, not both")
        check_outputs([("--out", out_path)], inputs=[*scenario, tle_path, region])
        check_png(out_path)
        if as_json and out_path == "/dev/stdout":
            raise click.ClickException("--out - and --json write to standard output together: send the plot to a "
                                       "file")
        study = one_study(scenario, tle_path, "survey")
        spec = study.survey
        if bbox is not None:
            reg = _parse_bbox(bbox)
        elif region is not None or spec:
            reg = load_region(region if region is not None else spec.region)
        else:
            raise click.UsageError("give --region (e.g. china, or a GeoJSON file) or --bbox: the scenario has no "
                                   "[survey]")
        changed = tuple(opt for opt, v in (("--region", region if spec and region != spec.region else None),
                                           ("--bbox", bbox), ("--swath-km", swath_km), ("--off-nadir", off_nadir),
                                           ("--min-sun-elevation", min_sun_elevation),
                                           ("--day-and-night", day_and_night or None), ("--select", select or None))
                        if v is not None)
        study = validated(survey_study(study, start, days, step_s, swath_km, off_nadir, min_sun_elevation,
                                       day_and_night, select, max_epoch_age))
        label = f"{study.name} ({len(study.constellation)} sats, survey of {reg.name})"
        with sample_bar(label, study.window().n_samples - 1) as progress:
            res, summary = run_survey(study, reg, grid_res, progress=progress, changed=changed)
        if out_path:
            from sim.outputs.plot import plot_survey

            plot_survey([res], out_path, claim_days=spec.days if spec else None)
            click.echo(f"wrote {out_path}", err=True)
    if as_json:
        click.echo(json.dumps(_jsonable(summary)))
        return
    click.echo(survey_text(summary))


# ---------------------------------------------------------------- sweeps and sizing
def sweep_options(f):
    """Execution, resume and window/grid options shared by `sweep` and `size`."""
    opts = [
        scheduler_option("Run on this existing Dask cluster (its workers need revisit installed), or local: a "
                         "local cluster. Default: a local cluster, one single-threaded worker process per core."),
        click.option("--connect-timeout", "connect_timeout", type=click.FloatRange(min=0, min_open=True, max=3600),
                     default=10.0, show_default=True, metavar="SECONDS",
                     help="Seconds the --scheduler has to answer before the run stops."),
        workers_option,
        click.option("--sequential", is_flag=True, help="Run in this process, one configuration after another "
                                                        "(no Dask); the table is the same."),
        click.option("--resume", is_flag=True, help="Continue an interrupted run: configurations in the journal "
                                                    "(OUT with .jsonl) are not run again."),
        click.option("--overwrite", is_flag=True, help="Start again over an existing journal."),
        click.option("--days", type=click.FloatRange(min=0, min_open=True, max=366), help="Window length in days."),
        click.option("--step", "step_s", type=click.FloatRange(min=0.01, max=3600),
                     help="Step in seconds (edges are refined below it; sampled finer where the sensors need it)."),
        grid_options(),
        click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per line) instead of tables."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


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


def _executor(sequential, scheduler, workers, connect_timeout):
    from sim.studies.sweep import make_executor

    return make_executor(sequential, scheduler, workers, connect_timeout)


SHOW_ALL_ROWS = 40


def check_table_outputs(out: Path, plot_path: str | None, spec_path: str | None) -> None:
    """The table, the CSV beside it, its journal and the plot of a sweep or sizing
    run: writable, distinct, none the spec file (before any configuration runs)."""
    from sim.studies.sweep import check_table_path, table_paths

    check_table_path(out)
    check_outputs([("--out", p) for p in table_paths(out)] + [("--plot", plot_path)], inputs=[spec_path])


def _plot_table(rows, plot_path) -> Path | None:
    """Draw the trade space of ``rows`` to ``plot_path``; None (and why, on stderr)
    when there is nothing to draw.  Failures to write stop the command."""
    from constellation.files import OutputError
    from sim.outputs.plot import plot_pareto

    try:
        plot_pareto(rows, plot_path)
    except OutputError:
        raise
    except ValueError as exc:
        click.echo(f"no plot: {exc}", err=True)
        return None
    return Path(plot_path)


@main.command("sweep")
@click.argument("spec", callback=_input_file)
@out_option("Table to write: .csv, or .nc (NetCDF) / .parquet with the .csv beside it. Default: the sweep's name "
            "+ .csv here. Its journal (FILE with .jsonl) records each finished configuration.", stdout=False)
@click.option("--plot", "plot_path", type=click.Path(), metavar="PNG",
              help="Also draw the trade space: satellites vs MRT p95, coloured by the first target's met share.")
@click.option("--target", "targets", multiple=True, callback=_check_targets,
              help="A revisit claim to check, e.g. 30min (repeatable; added "
                                                          "to the sweep's).")
@click.option("--retry-failed", is_flag=True, help="With --resume, run failed configurations again.")
@click.option("--list", "list_only", is_flag=True, help="Only list the configurations (key and parameters).")
@sweep_options
def sweep_cmd(spec, out_path, plot_path, targets, retry_failed, list_only, scheduler, connect_timeout, workers,
              sequential, resume, overwrite, days, step_s, grid_res, grid_kind, lat_min, lat_max, as_json):
    """Run every configuration of a sweep file (a grid or a list over Walker or SSO
    patterns, altitude, inclination, local times, sensor, window, grid) and write
    one table of their figures: MRT p50/p95/max, mean revisit, mean response,
    each target's met share and verdict.  A failing configuration is recorded with
    its error; the others go on.  Schema: constellation/sweepspec.py; built-in
    examples in seeds/sweeps/.
    """
    from sim.outputs.report import SWEEP_NOTE, sweep_table
    from sim.studies.sweep import load_journal, load_sweep_spec, pareto_front, sweep

    bar = _Bar("configurations", quiet=as_json)
    with user_errors():
        sp = load_sweep_spec(spec, days, step_s, grid_res, lat_min, lat_max, grid_kind, targets)
        confs = sp.configurations()
        if list_only:
            for c in confs:
                click.echo(json.dumps(_jsonable({"index": c.index, "key": c.key, **c.params})) if as_json
                           else f"{c.index:>4} {c.key}  {c.label}")
            return
        out = Path(out_path or f"{re.sub(r'[^A-Za-z0-9._-]+', '_', sp.name)}.csv")
        check_table_outputs(out, plot_path, sp.path)
        load_journal(out, resume, overwrite)  # an old or damaged journal stops the sweep before it starts
        table_existed = out.exists()
        try:
            with _executor(sequential, scheduler, workers, connect_timeout) as ex:
                if not as_json:
                    click.echo(f"{sp.name}: {len(confs)} configurations on {ex.description}", err=True)
                outcome = sweep(sp, out, ex, resume=resume, overwrite=overwrite, retry_failed=retry_failed,
                                progress=bar, confs=confs)
        except KeyboardInterrupt:
            bar.close()
            where = (f"the journal beside {out} (the table there is the one from before)" if table_existed
                     else f"{out} and its journal")
            raise click.ClickException(f"interrupted: the finished configurations are in {where}; "
                                       f"run again with --resume to do the rest")
        finally:
            bar.close()
        if plot_path and (drawn := _plot_table(outcome.rows, plot_path)):
            outcome.written.append(drawn)
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
    if outcome.rows and all(r["status"] != "ok" for r in outcome.rows):
        raise click.ClickException(f"every configuration failed (the first: {outcome.rows[0]['error']})")


def _parse_planes(text: str) -> list[int]:
    """'4,6,8', '4-24', '4-24:2' or a mix ('2-6,8,12-20:4') -> sorted plane counts
    (refused, before any range is listed, beyond the search's cap on plane counts)."""
    from sim.studies.sizing import MAX_PLANE_COUNTS

    parts, count = [], 0
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*(?::\s*(\d+)\s*)?)?", part)
        if not m or int(m.group(1)) < 1 or (m.group(2) and int(m.group(2)) < int(m.group(1))) \
                or (m.group(3) and int(m.group(3)) < 1):
            raise click.BadParameter(f"{text!r}: give plane counts like 4,6,8 or 4-24 or 4-24:2",
                                     param_hint="'--planes'")
        a = int(m.group(1))
        b = int(m.group(2) or a)
        step = int(m.group(3) or 1)
        parts.append((a, b, step))
        count += (b - a) // step + 1
        if count > MAX_PLANE_COUNTS:
            raise click.ClickException(f"--planes {text!r}: more than {MAX_PLANE_COUNTS:,} plane counts (each is a "
                                       "search of several runs); give fewer, e.g. 4-24:2")
    return sorted({p for a, b, step in parts for p in range(a, b + 1, step)})


@main.command("size")
@click.argument("family", default="walker-sso", callback=_input_file)
@click.option("--target", help="The revisit target, e.g. 10min or 30min (default: the family's first target).")
@click.option("--percentile", type=click.Choice(["100", "99", "95", "90", "50"]), default="100", show_default=True,
              help="Met when this area-weighted percentile of max revisit is within the target (100: everywhere).")
@click.option("--planes", "planes_text", help="Plane counts to try: 4,6,8 or 4-24 or 4-24:2 (default: the "
                                              "family's [size] planes).")
@click.option("--min-per-plane", type=click.IntRange(min=1), help="Fewest satellites per plane to try (default 1).")
@click.option("--max-per-plane", type=click.IntRange(min=1), help="Most satellites per plane to try (default: the "
                                                                  "family's, else 40).")
@out_option("Table of every configuration evaluated (.csv, .nc or .parquet; journal beside it). Default: "
            "FAMILY-size.csv here.", stdout=False)
@click.option("--plot", "plot_path", type=click.Path(), metavar="PNG",
              help="Also draw the evaluated configurations: satellites vs MRT p95.")
@sweep_options
def size_cmd(family, target, percentile, planes_text, min_per_plane, max_per_plane, out_path, plot_path, scheduler,
             connect_timeout, workers, sequential, resume, overwrite, days, step_s, grid_res, grid_kind, lat_min,
             lat_max, as_json):
    """Find the smallest constellation of a family that meets a revisit target.

    FAMILY is a sweep file (or built-in, default walker-sso: seeds/sweeps/) whose [group] is the
    family's fixed part (pattern, altitude, inclination or local times, sensor):
    its members are planes x satellites per plane.  For each plane count the
    search gallops (1, 2, 4, ... per plane) until a member meets the target, then
    bisects; plane counts that cannot beat the best total are dropped.  It
    assumes that, for a given number of planes, adding satellites per plane never
    breaks a met target (departures seen are reported).
    """
    from sim.outputs.report import size_text
    from sim.studies.sizing import check_search_size, family_target, size_search
    from sim.studies.sweep import load_journal, load_sweep_spec, write_table

    with user_errors():
        sp = load_sweep_spec(family, days, step_s, grid_res, lat_min, lat_max, grid_kind)
        if sp.vary or sp.points:
            raise click.ClickException(f"{sp.path}: a sizing family varies only planes and sats_per_plane: remove "
                                       "[vary] and [[point]]")
        tname, thr = family_target(sp, target)
        planes = _parse_planes(planes_text) if planes_text is not None else sp.size.get("planes")
        if not planes:
            raise click.UsageError("give --planes (e.g. 4-24): the family has no [size] planes")
        lo = min_per_plane or sp.size.get("min_sats_per_plane", 1)
        hi = max_per_plane or sp.size.get("max_sats_per_plane", 40)
        check_search_size(planes, hi)
        out = Path(out_path or f"{re.sub(r'[^A-Za-z0-9._-]+', '_', sp.name)}-size.csv")
        check_table_outputs(out, plot_path, sp.path)
        journal, known = load_journal(out, resume, overwrite)
        log = (lambda text: None) if as_json else (lambda text: click.echo(text, err=True))
        try:
            with _executor(sequential, scheduler, workers, connect_timeout) as ex:
                journal.start(fresh=not resume)
                log(f"{sp.name}: {tname} at percentile {percentile}, planes {planes}, {lo}-{hi} per plane, on "
                    f"{ex.description}")
                res = size_search(sp, tname, thr, ex, planes, lo, hi, int(percentile), journal, known, log)
        except KeyboardInterrupt:
            raise click.ClickException(f"interrupted: finished configurations are in the journal {journal.path}; "
                                       "run again with --resume to continue")
        res.written = write_table(res.rows, out, {"family": sp.name, "target": tname, "threshold_s": thr,
                                                  "percentile": int(percentile)})
        if plot_path and res.rows and (drawn := _plot_table(res.rows, plot_path)):
            res.written.append(drawn)
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
    if res.rows and all(r["status"] != "ok" for r in res.rows):
        raise click.ClickException(f"every configuration failed ({res.rows[0]['error']}): nothing was sized")


if __name__ == "__main__":
    main()
