"""Pictures of results: revisit maps, area-weighted CDFs, milestone charts, ground tracks.

Every function takes results (:class:`sim.engine.run.Result`, or for the milestone
chart the dicts of ``Result.summary()``), draws with matplotlib and returns the
``Figure``; given ``path`` it also writes a PNG through the Agg renderer
(``Figure`` objects made here are not pyplot's, so nothing depends on the
interactive backend and nothing leaks).  With ``path=None`` the figure is made
with pyplot, to be shown in a notebook or window.

Maps are plate carree: longitude -180..180 deg left to right, latitude -90..90
bottom to top, each grid cell drawn as its own rectangle (no interpolation).
Coastlines are the 50 % land contour of the 1 km GLOBE mask that the
``global-land-mask`` package ships (see :mod:`sim.engine.landmask`): no download.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from constellation.constants import SECONDS_PER_DAY
from constellation.files import atomic_write, make_folder
from sim.engine.metrics import weighted_percentile
from sim.outputs.report import format_share

DPI = 100
MAP_SIZE_IN = (12.0, 6.8)
CDF_SIZE_IN = (10.0, 6.0)
MILESTONE_SIZE_IN = (10.0, 6.4)
TRACKS_SIZE_IN = (12.0, 6.6)

# Sequential maps whose lightness orders the values (readable in grey and by colour-blind
# readers): times light (short) to dark red (long); counts and coverage light to dark blue.
CMAP_TIME = "YlOrRd"
CMAP_COUNT = "YlGnBu"
UNSEEN_COLOR = "#a8a8a8"          # points never accessed in the window
COAST_COLOR = "#000000"
COAST_WIDTH = 0.6
TARGET_COLOR = "#d62728"
MAP_TARGET_COLOR = "#08306b"      # on the time colour bars, which end in red

# Map figures: CLI name -> key in Result.figures.
MAP_FIGURES = {
    "max_revisit": "max_revisit_s",
    "mean_revisit": "mean_revisit_s",
    "mean_response": "mean_response_s",
    "accesses": "n_access",
    "coverage": "coverage_fraction",
    # With a ground network (run/map --stations): sim.studies.ground.
    "system_response": "mean_system_response_s",
    "max_system_response": "max_system_response_s",
    "data_latency": "mean_data_latency_s",
}
# Map figures that exist only when the run named a ground network.
GROUND_FIGURES = ("system_response", "max_system_response", "data_latency")
FIGURE_TITLES = {
    "max_revisit_s": "max revisit time (longest gap, window edges included)",
    "mean_revisit_s": "mean revisit time (mean gap)",
    "mean_response_s": "mean response time (mean wait for a random request)",
    "time_avg_gap_s": "time-averaged gap",
    "max_revisit_interior_s": "longest gap between two accesses",
    "mean_revisit_interior_s": "mean gap between two accesses",
    "coverage_fraction": "coverage (share of the window with access)",
    "n_access": "number of accesses",
    "access_min_s": "shortest access",
    "access_mean_s": "mean access duration",
    "access_max_s": "longest access",
    "first_access_s": "first access (from the window start)",
    "mean_system_response_s": "mean time from a random request to its image on the ground",
    "max_system_response_s": "longest time from a request to its image on the ground",
    "mean_data_latency_s": "mean data latency (image taken to image on the ground)",
    "censored_request_share": "share of the requests not on the ground by the search's end",
    "images_delivered": "images delivered (accesses starting in the window)",
}
# Figures a revisit claim ("within X") can be read against: thresholds go on their colour bars.
CLAIM_FIGURES = ("max_revisit_s", "mean_revisit_s", "mean_response_s", "max_revisit_interior_s",
                 "mean_revisit_interior_s", "time_avg_gap_s")

TIME_TICKS_S = (1, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
                *(d * SECONDS_PER_DAY for d in (1, 2, 3, 7, 14, 30)))


# ---------------------------------------------------------------------- helpers
def figure_key(figure: str) -> str:
    """'max_revisit' or 'max_revisit_s' -> 'max_revisit_s' (the key in Result.figures)."""
    if figure in MAP_FIGURES:
        return MAP_FIGURES[figure]
    if figure in FIGURE_TITLES:
        return figure
    raise ValueError(f"unknown figure {figure!r}; expected one of {', '.join(MAP_FIGURES)} "
                     f"(or a key of Result.figures: {', '.join(FIGURE_TITLES)})")


def time_unit(max_s: float) -> tuple[str, float]:
    """The unit a colour bar reading up to ``max_s`` seconds is easiest to read in."""
    if not math.isfinite(max_s) or max_s <= 0:
        return "min", 60.0
    if max_s < 120:
        return "s", 1.0
    if max_s <= 3 * 3600:
        return "min", 60.0
    if max_s <= 3 * SECONDS_PER_DAY:
        return "h", 3600.0
    return "d", SECONDS_PER_DAY


def format_time(seconds: float) -> str:
    """Short human text for a duration: '45 s', '10 min', '2 h', '1 day', '3 d'."""
    s = float(seconds)
    if s < 60:
        return f"{s:g} s"
    if s < 3600:
        return f"{s / 60:.3g} min"
    if s < SECONDS_PER_DAY:
        return f"{s / 3600:.3g} h"
    if abs(s - SECONDS_PER_DAY) < 1e-6:
        return "1 day"
    return f"{s / SECONDS_PER_DAY:.3g} d"


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "result"


def _new_figure(path, size_in):
    if path is None:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=size_in, dpi=DPI, layout="constrained")
    from matplotlib.figure import Figure

    return Figure(figsize=size_in, dpi=DPI, layout="constrained")


def _save(fig, path):
    if path is not None:
        atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=DPI, format="png"))
    return fig


def _summary(r) -> dict:
    return r.summary() if hasattr(r, "summary") else r


def _window_text(start, duration_s: float, step_s: float) -> str:
    s = start.strftime("%Y-%m-%d %H:%M UTC") if hasattr(start, "strftime") else str(start)
    return f"{s} + {format_time(duration_s)}, {step_s:g} s step"


def _world_axes(ax):
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(-180, 181, 30))
    ax.set_yticks(np.arange(-90, 91, 30))
    ax.set_xticklabels([_lon_label(v) for v in range(-180, 181, 30)], fontsize=8)
    ax.set_yticklabels([_lat_label(v) for v in range(-90, 91, 30)], fontsize=8)
    ax.grid(True, color="#ffffff", alpha=0.35, linewidth=0.5, linestyle=":")
    ax.set_axisbelow(False)


def _lon_label(v: float) -> str:
    if v in (-180, 180):
        return "180°"
    return "0°" if v == 0 else f"{abs(v):g}°{'E' if v > 0 else 'W'}"


def _lat_label(v: float) -> str:
    return "0°" if v == 0 else f"{abs(v):g}°{'N' if v > 0 else 'S'}"


def draw_coastlines(ax, color: str = COAST_COLOR, linewidth: float = COAST_WIDTH, zorder: float = 3):
    """Coastlines (GLOBE land mask, offline) on a plate carree axes in degrees."""
    from matplotlib.collections import LineCollection

    from sim.engine.landmask import coastlines

    lc = LineCollection(coastlines(), colors=color, linewidths=linewidth, zorder=zorder, capstyle="round")
    ax.add_collection(lc)
    return lc


# ---------------------------------------------------------------------- maps
def map_image(grid, values) -> tuple[np.ndarray, tuple[float, float, float, float]] | None:
    """Per-point values of a regular or equal-area grid (or a subset of one: land-only,
    a latitude band) as a global 2-D array at the grid's resolution
    (:meth:`sim.engine.grid.Grid.raster`), row 0 the southernmost, column 0 at -180 deg,
    NaN where the grid has no point; with imshow's extent (origin='lower').
    None for point lists without a resolution."""
    img = grid.raster(np.asarray(values, dtype=float))
    if img is None:
        return None
    return img, (-180.0, 180.0, -90.0, 90.0)


def plot_map(result, path=None, figure: str = "max_revisit", coastlines: bool = True, cmap: str | None = None,
             vmax=None, title: str | None = None):
    """A world map of one per-point figure of ``result`` (see :data:`MAP_FIGURES`).

    Times are shown in min, h or d by their range, coverage in %, accesses as
    counts; points never accessed in the window are grey; the result's target
    thresholds are marked on the colour bar of the revisit figures.  ``vmax`` caps
    the colour scale (in seconds for times).  Returns the Figure; writes a PNG to
    ``path`` when given.
    """
    from matplotlib.colors import ListedColormap, Normalize
    from matplotlib.patches import Patch

    key = figure_key(figure)
    grid = result.grid
    values = np.asarray(result.figures[key], dtype=float)
    seen = np.asarray(result.figures["seen"], dtype=bool)
    w = grid.weight
    shown = seen & np.isfinite(values)
    is_time = key.endswith("_s")
    thresholds = [(t.name, float(t.threshold_s)) for t in result.targets] if key in CLAIM_FIGURES else []

    data_max = float(np.max(values[shown])) if shown.any() else float(result.window.duration_s)
    if vmax is not None:
        top = float(vmax)
    elif shown.any():
        # A few extreme points (the rows next to the poles, where sun-synchronous
        # orbits barely reach) would wash the rest of the map into one colour: the
        # scale ends at the area-weighted 99th percentile, what lies above is drawn
        # in the top colour (the bar's arrow) and its share named in the label.
        p99 = weighted_percentile(values[shown], w[shown], 99.0)
        top = p99 if data_max > 1.25 * p99 else data_max
    else:
        top = data_max
    if is_time:
        # A claim up to three times the scale's end widens it, so that its mark shows how
        # far the map is from it; one further away is named, off the scale, in the label.
        top = max([top] + [s for _, s in thresholds if s <= 3 * max(top, 1e-9)])
        unit, scale = time_unit(top)
        label = f"{FIGURE_TITLES[key]} [{unit}]"
    elif key == "coverage_fraction":
        unit, scale = "%", 0.01
        label = f"{FIGURE_TITLES[key]} [%]"
    else:
        unit, scale = "", 1.0
        label = f"{FIGURE_TITLES[key]} in the window"
    top = top if top > 0 else 1.0
    above = shown & (values > top)
    above_share = float(np.sum(w[above]))
    cmap = cmap or (CMAP_TIME if is_time else CMAP_COUNT)
    norm = Normalize(0.0, top / scale)
    shown_vals = np.where(shown, values / scale, np.nan)

    fig = _new_figure(path, MAP_SIZE_IN)
    ax = fig.add_subplot()
    _world_axes(ax)
    ax.set_facecolor("white")
    image = map_image(grid, shown_vals)
    if image is not None:
        img, extent = image
        mappable = ax.imshow(np.ma.masked_invalid(img), origin="lower", extent=extent, cmap=cmap, norm=norm,
                             interpolation="nearest", zorder=1, aspect="equal")
        unseen_img = map_image(grid, np.where(seen, np.nan, 1.0))[0]
        if (~seen).any():
            ax.imshow(np.ma.masked_invalid(unseen_img), origin="lower", extent=extent,
                      cmap=ListedColormap([UNSEEN_COLOR]), vmin=0, vmax=1, interpolation="nearest", zorder=1.5,
                      aspect="equal")
    else:
        size = max(4.0, 2000.0 / math.sqrt(len(grid)))
        mappable = ax.scatter(grid.lon_deg[shown], grid.lat_deg[shown], c=shown_vals[shown], cmap=cmap,
                              norm=norm, s=size, marker="s", linewidths=0, zorder=2)
        if (~seen).any():
            ax.scatter(grid.lon_deg[~seen], grid.lat_deg[~seen], c=UNSEEN_COLOR, s=size, marker="s",
                       linewidths=0, zorder=2)
    if coastlines:
        draw_coastlines(ax)

    extend = "max" if above.any() else "neither"
    cbar = fig.colorbar(mappable, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02, aspect=45,
                        extend=extend)
    notes = []
    if above.any():
        notes.append(f"arrow: above {_fmt_value(top, key)}, {format_share(above_share, ' %')} of the area")
    for name, thr in thresholds:
        x = thr / scale
        if x <= norm.vmax:
            cbar.ax.axvline(x, color=MAP_TARGET_COLOR, linewidth=2.5)
            pos = x / norm.vmax
            ha = "left" if pos < 0.15 else "right" if pos > 0.85 else "center"
            cbar.ax.annotate(f"{name}", xy=(x, 1.0), xycoords=("data", "axes fraction"),
                             xytext={"left": (-2, 3), "right": (2, 3)}.get(ha, (0, 3)),
                             textcoords="offset points", ha=ha, va="bottom", color=MAP_TARGET_COLOR,
                             fontsize=9, fontweight="bold")
        else:
            notes.append(f"target {name}: above the scale")
    if notes:
        label += "   (" + "; ".join(notes) + ")"
    cbar.set_label(label, fontsize=10)
    cbar.ax.tick_params(labelsize=9)

    unseen_share = float(np.sum(w[~seen]))
    if unseen_share > 0:
        share = f"{100 * unseen_share:.2f}" if unseen_share < 0.01 else f"{100 * unseen_share:.1f}"
        ax.legend(handles=[Patch(facecolor=UNSEEN_COLOR, edgecolor="none",
                                 label=f"never seen in the window ({share} % of the area)")],
                  loc="lower left", fontsize=8, framealpha=0.9)
    if title is None:
        sensors = "; ".join(result.sensors) if getattr(result, "sensors", None) else "?"
        title = (f"{result.name}: {FIGURE_TITLES[key]}\n"
                 f"{result.n_satellites} satellites, sensor {sensors}; "
                 f"{_window_text(result.window.start, result.window.duration_s, result.window.step_s)}; "
                 f"{grid.name} grid ({len(grid):,} points)")
    ax.set_title(title, fontsize=11)
    return _save(fig, path)


# ---------------------------------------------------------------------- CDF
def _time_axis(ax, lo_s: float, hi_s: float, axis: str = "x"):
    ticks = [t for t in TIME_TICKS_S if lo_s <= t <= hi_s]
    if axis == "x":
        ax.set_xscale("log")
        ax.set_xlim(lo_s, hi_s)
        ax.set_xticks(ticks)
        ax.set_xticklabels([format_time(t) for t in ticks], fontsize=9)
        ax.xaxis.set_minor_locator(_NullLocator())
    else:
        ax.set_yscale("log")
        ax.set_ylim(lo_s, hi_s)
        ax.set_yticks(ticks)
        ax.set_yticklabels([format_time(t) for t in ticks], fontsize=9)
        ax.yaxis.set_minor_locator(_NullLocator())


def _NullLocator():
    from matplotlib.ticker import NullLocator

    return NullLocator()


def weighted_cdf(values, weights) -> tuple[np.ndarray, np.ndarray]:
    """Sorted finite values and the share of the weight at or below each (ends at 1)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    ok = np.isfinite(values)
    order = np.argsort(values[ok], kind="stable")
    v = values[ok][order]
    c = np.cumsum(weights[ok][order])
    return v, c / c[-1]


def _claims(results) -> list[tuple[str, float, str]]:
    """(label, threshold_s, scenario) of every result's targets, one per threshold."""
    out = {}
    for r in results:
        for t in getattr(r, "targets", []):
            out.setdefault(float(t.threshold_s), (t.name, float(t.threshold_s), r.name))
    return [out[k] for k in sorted(out)]


def plot_cdf(results, path=None, figure: str = "max_revisit", title: str | None = None):
    """Area-weighted CDF of a per-point figure (default max revisit) for several results
    on one log time axis, with every result's target thresholds as vertical lines."""
    key = figure_key(figure)
    if not key.endswith("_s"):
        raise ValueError(f"a CDF on a time axis needs a time figure, not {figure!r}")
    results = list(results)
    if not results:
        raise ValueError("no results to plot")
    fig = _new_figure(path, CDF_SIZE_IN)
    ax = fig.add_subplot()
    lo, hi = math.inf, 0.0
    curves = []
    for r in sorted(results, key=lambda r: r.n_satellites):
        v, c = weighted_cdf(r.figures[key], r.grid.weight)
        if v.size == 0:
            continue
        curves.append((r, v, c))
        pos = v[v > 0]
        if pos.size:
            lo = min(lo, float(pos[0]))
        hi = max(hi, float(v[-1]), r.window.duration_s)
    claims = _claims(results)
    for _, thr, _ in claims:
        lo, hi = min(lo, thr), max(hi, thr)
    lo = lo / 1.5 if math.isfinite(lo) else 60.0
    hi = hi * 1.5
    colors = _palette(len(curves))
    for (r, v, c), color in zip(curves, colors):
        x = np.r_[lo, np.maximum(v, lo), hi]
        y = 100.0 * np.r_[0.0, c, 1.0]
        unseen = float(np.sum(r.grid.weight[~r.seen]))
        extra = f", {100 * unseen:.2g} % never seen" if unseen > 0 else ""
        ax.plot(x, y, drawstyle="steps-post", color=color, linewidth=2,
                label=f"{r.name} ({r.n_satellites} sats, {format_time(r.window.duration_s)} window{extra})")
    for name, thr, scen in claims:
        ax.axvline(thr, color=TARGET_COLOR, linestyle="--", linewidth=1.2, zorder=0)
        ax.annotate(f"{name}\n({scen})", xy=(thr, 100), xycoords="data", xytext=(3, -4),
                    textcoords="offset points", ha="left", va="top", color=TARGET_COLOR, fontsize=8, rotation=90)
    _time_axis(ax, lo, hi)
    ax.set_ylim(0, 101)
    ax.set_yticks(np.arange(0, 101, 10))
    ax.grid(True, which="major", alpha=0.3)
    ax.set_xlabel(f"{FIGURE_TITLES[key]} (log scale)")
    ax.set_ylabel("share of the area at or below (%)")
    ax.legend(loc="lower right", fontsize=8, framealpha=0.95)
    if title is None:
        r0 = results[0]
        title = (f"Area-weighted distribution of the {FIGURE_TITLES[key].split(' (')[0]} per grid point\n"
                 f"{r0.grid.name} grid, {r0.window.step_s:g} s step; points never seen count at the window "
                 f"length; dashed: claimed thresholds")
    ax.set_title(title, fontsize=11)
    return _save(fig, path)


def _palette(n: int):
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _cyclic(f: float):
    from matplotlib import colormaps

    return colormaps["hsv"](0.9 * (f % 1.0))


# ---------------------------------------------------------------------- milestones
def plot_milestones(results, path=None, title: str | None = None):
    """Measured max revisit (area-weighted p50, p95, max) and mean response against the
    number of satellites, one point per result (or summary dict), with each result's
    claimed thresholds as stars labelled with the area share that meets them."""
    rows = sorted((_summary(r) for r in results), key=lambda s: s["satellites"])
    if not rows:
        raise ValueError("no results to plot")
    fig = _new_figure(path, MILESTONE_SIZE_IN)
    ax = fig.add_subplot()
    x = np.array([s["satellites"] for s in rows], dtype=float)
    series = [("MRT max (worst point; hollow: a point never seen, the window length)",
               [s["max_revisit_s"]["max"] for s in rows], "#440154", "v-"),
              ("MRT p95 (95 % of the area)", [s["max_revisit_s"]["p95"] for s in rows], "#31688e", "s-"),
              ("MRT p50 (half the area)", [s["max_revisit_s"]["p50"] for s in rows], "#35b779", "o-"),
              ("mean response time (area mean)", [s["mean_response_s"] for s in rows], "#7f7f7f", "d--")]
    all_y = []
    for label, y, color, style in series:
        y = np.array([np.nan if v is None else v for v in y], dtype=float)
        line, = ax.plot(x, y, style, color=color, label=label, linewidth=1.8, markersize=6)
        if label.startswith("MRT max"):
            # The worst point's MRT is the window length wherever some point was never seen.
            hollow = np.array([s.get("unseen_share", 0) > 0 and v >= s.get("duration_s", math.inf)
                               for s, v in zip(rows, y)])
            line.set_markevery(list(np.flatnonzero(~hollow)))
            ax.plot(x[hollow], y[hollow], "v", color=color, markerfacecolor="white", markersize=6)
        all_y.extend(y[np.isfinite(y)])
    first = True
    for s in rows:
        for t in s.get("targets", []):
            thr = float(t["threshold_s"])
            all_y.append(thr)
            ax.plot([s["satellites"]], [thr], marker="*", markersize=16, color=TARGET_COLOR,
                    markeredgecolor="black", markeredgewidth=0.5, linestyle="none", zorder=5,
                    label="claim (max revisit within)" if first else None)
            first = False
            right = s["satellites"] > x.min() + 0.7 * (x.max() - x.min()) and x.size > 1
            ax.annotate(f"claim: {t['name']}\nmet on {format_share(t['share_met'], ' %')} of the area",
                        xy=(s["satellites"], thr),
                        xytext=(-10 if right else 10, -4), textcoords="offset points", ha="right" if right else "left",
                        va="top", fontsize=8, color=TARGET_COLOR)
    lo = min(all_y) / 2 if all_y else 60.0
    hi = max(all_y) * 2 if all_y else SECONDS_PER_DAY
    _time_axis(ax, lo, hi, axis="y")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{s['satellites']}\n{s['scenario']}" for s in rows], fontsize=8)
    span = float(x.max() - x.min()) or max(10.0, float(x.max()))
    ax.set_xlim(x.min() - 0.06 * span, x.max() + 0.06 * span)
    ax.grid(True, alpha=0.3)
    ax.set_xlabel("satellites")
    ax.set_ylabel("time (log scale)")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    if title is None:
        s0 = rows[0]
        title = ("Measured revisit against the number of satellites, and the claims\n"
                 "MRT: each grid point's longest gap, area-weighted percentiles (never-seen points count at "
                 f"the window length)\n{s0.get('grid', '')} grid, {s0.get('step_s', 0):g} s step")
    ax.set_title(title, fontsize=11)
    return _save(fig, path)


def _fmt_value(v: float, key: str) -> str:
    if key.endswith("_s"):
        return format_time(v)
    if key == "coverage_fraction":
        return f"{100 * v:.3g} %"
    return f"{v:.3g}"


# ---------------------------------------------------------------------- sweeps
PARETO_SIZE_IN = (10.0, 6.4)


def plot_pareto(rows, path=None, target: str | None = None, y: str = "max_revisit_p95_s",
                title: str | None = None, annotate_front: bool = True):
    """A sweep's trade space: satellites against an area-weighted max revisit figure
    (``y``, a column of the sweep table, default the 95th percentile; log time
    axis), one point per configuration (rows of :func:`sim.studies.sweep.table_rows`),
    coloured by the share of the area that meets ``target`` (a target's name or
    its column slug; default the table's first), stars where it is met everywhere.
    The Pareto front (fewest satellites for each revisit) is a step line, the
    target's threshold a dashed line.  Failed configurations are left out (counted
    in the title)."""
    from constellation.sweepspec import slug
    from sim.studies.sweep import pareto_front

    rows = list(rows)
    ok = [r for r in rows if r.get("status") == "ok" and r.get(y) is not None and r.get("satellites")]
    if not ok:
        raise ValueError("no configuration ran: nothing to plot")
    slugs = [k[:-len("_share_met")] for k in ok[0] if k.endswith("_share_met")]
    tslug = slug(target) if target else (slugs[0] if slugs else None)
    if tslug is not None and tslug not in slugs:
        raise ValueError(f"no target {target!r} in the table (targets: {', '.join(slugs) or 'none'})")
    fig = _new_figure(path, PARETO_SIZE_IN)
    ax = fig.add_subplot()
    x = np.array([r["satellites"] for r in ok], dtype=float)
    v = np.array([r[y] for r in ok], dtype=float)
    thr = None
    if tslug is not None:
        share = np.array([np.nan if r.get(f"{tslug}_share_met") is None else r[f"{tslug}_share_met"] for r in ok])
        thr = ok[0].get(f"{tslug}_threshold_s")
        met = share >= 1.0
        kw = dict(cmap="viridis", vmin=0.0, vmax=100.0, edgecolors="black", linewidths=0.4)
        sc = ax.scatter(x[~met], v[~met], c=100.0 * share[~met], s=36, marker="o", zorder=3, **kw)
        if met.any():
            ax.scatter(x[met], v[met], c=100.0 * share[met], s=150, marker="*", zorder=4,
                       label=f"meets '{tslug.replace('_', ' ')}' everywhere", **kw)
        cbar = fig.colorbar(sc, ax=ax, pad=0.01)
        cbar.set_label(f"share of the area meeting '{tslug.replace('_', ' ')}' (%)")
    else:
        ax.scatter(x, v, s=36, color="#31688e", edgecolors="black", linewidths=0.4, zorder=3)
    front = pareto_front(ok, y)
    fx = [r["satellites"] for r in front] + [float(x.max())]
    fy = [r[y] for r in front] + [front[-1][y]]
    ax.step(fx, fy, where="post", color="#7f7f7f", linewidth=1.2, zorder=2, label="Pareto front")
    if annotate_front and len(front) <= 15:
        for r in front:
            note = ax.annotate(r.get("label", ""), xy=(r["satellites"], r[y]), xytext=(4, 4),
                               textcoords="offset points", fontsize=7, color="#404040", clip_on=True)
            note.set_in_layout(False)
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    if thr is not None:
        ax.axhline(thr, color=TARGET_COLOR, linestyle="--", linewidth=1.2, zorder=1,
                   label=f"target: {format_time(thr)}")
        lo, hi = min(lo, thr), max(hi, thr)
    _time_axis(ax, max(lo, 1.0) / 1.5, hi * 1.5, axis="y")
    ax.grid(True, alpha=0.3)
    ax.set_xlabel("satellites")
    figure_name = y.replace("max_revisit_", "MRT ").replace("_s", "").replace("MRT max", "MRT max (worst point)")
    ax.set_ylabel(f"{figure_name}, area-weighted (log scale)")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    if title is None:
        failed = len(rows) - len(ok)
        title = (f"Trade space: {len(ok)} configurations" + (f" ({failed} failed, not shown)" if failed else "")
                 + f"\nMRT: each grid point's longest gap; {figure_name} of the area")
    ax.set_title(title, fontsize=11)
    return _save(fig, path)


# ---------------------------------------------------------------------- ground tracks
def ground_tracks(constellation, start, hours: float = 1.5, step_s: float = 30.0):
    """Sub-satellite points: (t_s (nk,), lat_deg (nsat, nk), lon_deg (nsat, nk)), WGS-84
    geodetic, NaN where sgp4 fails; from sgp4 and the same TEME->Earth-fixed
    rotation as the simulation."""
    from sgp4.api import SatrecArray

    from sim.engine.grid import ecef_to_geodetic
    from sim.engine.memory import check_fits, estimate_tracks_bytes
    from sim.engine.propagate import Window, propagate_ecef

    window = Window(start, hours * 3600.0, min(step_s, hours * 3600.0))
    n_sat = len(constellation.satellites)
    check_fits(estimate_tracks_bytes(n_sat, window.n_samples),
               f"ground tracks of {n_sat} satellites at {window.n_samples:,} samples each",
               "take a longer step (--step, step_s) or a shorter span (--hours, hours)")
    t, pos, _, valid = propagate_ecef(SatrecArray([s.satrec for s in constellation.satellites]), window, 0,
                                      window.n_samples)
    lat, lon, _ = ecef_to_geodetic(pos)
    lat = np.where(valid, lat, np.nan)
    lon = np.where(valid, lon, np.nan)
    return t, lat, lon


def split_antimeridian(lon_deg, lat_deg) -> tuple[np.ndarray, np.ndarray]:
    """A track with NaN breaks where it crosses +-180 deg, each piece extended to the
    edge at the interpolated crossing latitude (no line across the whole map)."""
    lon = np.asarray(lon_deg, dtype=float)
    lat = np.asarray(lat_deg, dtype=float)
    out_lon, out_lat = [lon[:1]], [lat[:1]]
    for k in range(1, lon.size):
        d = lon[k] - lon[k - 1]
        if abs(d) > 180.0 and np.isfinite(d):
            # Unwrapped step from lon[k-1]; the edge it crosses is +180 (eastward) or -180.
            edge = 180.0 if d < 0 else -180.0
            d_unwrapped = d + (360.0 if d < 0 else -360.0)
            f = (edge - lon[k - 1]) / d_unwrapped
            lat_c = lat[k - 1] + f * (lat[k] - lat[k - 1])
            out_lon.append(np.array([edge, np.nan, -edge]))
            out_lat.append(np.array([lat_c, np.nan, lat_c]))
        out_lon.append(lon[k:k + 1])
        out_lat.append(lat[k:k + 1])
    return np.concatenate(out_lon), np.concatenate(out_lat)


def plot_tracks(constellation, start, path=None, hours: float = 1.5, step_s: float = 30.0,
                title: str | None = None):
    """Ground tracks of every satellite from ``start`` over ``hours``, one colour per
    group (or per orbital plane when there is one group), a dot where each starts."""
    t, lat, lon = ground_tracks(constellation, start, hours, step_s)
    fig = _new_figure(path, TRACKS_SIZE_IN)
    ax = fig.add_subplot()
    _world_axes(ax)
    ax.grid(True, color="#808080", alpha=0.3, linewidth=0.5, linestyle=":")
    draw_coastlines(ax, color="#606060", linewidth=0.5, zorder=1)
    # Colour by group; a single group (a scenario's shell, a catalog) by orbital plane.
    sats = constellation.satellites
    groups = constellation.groups
    if len(groups) > 1:
        keys = [g.name for g in groups for _ in g.satellites]
        names = {g.name: f"{g.name} ({len(g.satellites)})" for g in groups}
        legend_title = "group (satellites)"
    else:
        raan = [round(math.degrees(sat.satrec.nodeo) % 360.0 * 2) / 2 for sat in sats]
        keys = raan
        counts = {k: raan.count(k) for k in raan}
        names = {k: f"RAAN {k:g}° ({n})" for k, n in counts.items()}
        legend_title = "plane at epoch (satellites)"
    order = list(dict.fromkeys(sorted(keys) if len(groups) == 1 else keys))
    with_legend = len(order) <= 12
    if with_legend:
        colors = dict(zip(order, _palette(len(order))))
    elif len(groups) == 1:                      # many planes: a cyclic colour of the RAAN
        colors = {k: _cyclic(k / 360.0) for k in order}
    else:
        colors = {k: _cyclic(i / len(order)) for i, k in enumerate(order)}
    rank = {k: i for i, k in enumerate(order)}
    labelled = set()
    for k in sorted(range(len(sats)), key=lambda k: rank[keys[k]]):
        x, y = split_antimeridian(lon[k], lat[k])
        key = keys[k]
        label = names[key] if with_legend and key not in labelled else None
        labelled.add(key)
        ax.plot(x, y, color=colors[key], linewidth=1.0, alpha=0.85, zorder=2, label=label)
        ax.plot(lon[k, :1], lat[k, :1], "o", color=colors[key], markersize=3.5, zorder=3)
    if with_legend:
        ax.legend(loc="lower left", fontsize=7, framealpha=0.9, ncol=1 + (len(order) - 1) // 6,
                  title=legend_title, title_fontsize=7)
    if title is None:
        s = start.strftime("%Y-%m-%d %H:%M UTC") if hasattr(start, "strftime") else str(start)
        title = (f"{constellation.name}: ground tracks of {len(constellation)} satellites\n"
                 f"{s} + {format_time(hours * 3600.0)} ({step_s:g} s samples); dots: positions at the start"
                 + ("" if with_legend else "; colour: " + ("the plane's RAAN" if len(groups) == 1 else "group")))
    ax.set_title(title, fontsize=11)
    return _save(fig, path)


# ---------------------------------------------------------------------- area survey
SURVEY_SIZE_IN = (10.0, 6.0)


def plot_survey(surveys, path=None, title: str | None = None, claim_days: float | None = None):
    """Cumulative share of a region imaged at least once against time (days), one
    step curve per survey (:class:`sim.studies.survey.SurveyResult`), with the times to
    95 % and 100 % marked and, given ``claim_days``, the claimed horizon dashed."""
    surveys = list(surveys)
    if not surveys:
        raise ValueError("no survey to plot")
    fig = _new_figure(path, SURVEY_SIZE_IN)
    ax = fig.add_subplot()
    colors = _palette(len(surveys))
    x_max = max(s.window.duration_s for s in surveys) / SECONDS_PER_DAY
    for s, color in zip(surveys, colors):
        t, share = s.curve()
        ax.plot(t / SECONDS_PER_DAY, 100.0 * share, drawstyle="steps-post", color=color, linewidth=2,
                label=f"{s.name} ({s.result.n_satellites} sats) over {s.region.name}")
        for q, marker in ((0.95, "o"), (1.0, "s")):
            tq = s.time_to(q)
            if tq is not None:
                ax.plot([tq / SECONDS_PER_DAY], [100.0 * q], marker, color=color, markersize=7, zorder=4)
                ax.annotate(f"{100 * q:.0f} % in {format_time(tq)}", xy=(tq / SECONDS_PER_DAY, 100.0 * q),
                            xytext=(6, -14), textcoords="offset points", fontsize=8, color=color)
    for q in (95.0, 100.0):
        ax.axhline(q, color="0.6", linewidth=0.8, linestyle=":", zorder=0)
    if claim_days is not None:
        ax.axvline(claim_days, color=TARGET_COLOR, linestyle="--", linewidth=1.2, zorder=0)
        ax.annotate(f"claim: {claim_days:g} d", xy=(claim_days, 50), xytext=(-3, 0), textcoords="offset points",
                    ha="right", va="center", color=TARGET_COLOR, fontsize=8, rotation=90)
        x_max = max(x_max, claim_days)
    ax.set_xlim(0, x_max * 1.04)
    ax.set_ylim(0, 102)
    ax.set_yticks(np.arange(0, 101, 10))
    ax.grid(True, alpha=0.3)
    ax.set_xlabel("days from the window start")
    ax.set_ylabel("share of the region imaged at least once (%)")
    ax.legend(loc="lower right", fontsize=8, framealpha=0.95)
    if title is None:
        s0 = surveys[0]
        g = s0.result.grid
        title = (f"Area survey of {s0.region.name}: cumulative share imaged at least once\n"
                 f"{g.name} grid ({len(g):,} points, area-weighted), from "
                 f"{s0.window.start.strftime('%Y-%m-%d')}, step {s0.window.step_s:g} s; clouds not modelled")
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


# ---------------------------------------------------------------------- all at once
TIMESERIES_SIZE_IN = (10.0, 5.6)


def plot_timeseries(series, path=None, title: str | None = None):
    """Coverage against time (UTC) from a :class:`sim.engine.timeseries.TimeSeries`:
    the instantaneous share of the area seen (by >= 1 and >= N satellites), the
    cumulative share seen at least once (left axis, %), and the area-weighted mean
    number of satellites in view (right axis)."""
    import matplotlib.dates as mdates

    if series is None or len(series) == 0:
        raise ValueError("no time series to plot (run with timeseries=True or --timeseries)")
    fig = _new_figure(path, TIMESERIES_SIZE_IN)
    ax = fig.add_subplot()
    t = np.array([w.replace(tzinfo=None) for w in series.times_utc()], dtype="datetime64[ms]")
    v = series.values
    ax.plot(t, 100.0 * v["cumulative_share"], color="#08519c", linewidth=2, drawstyle="steps-post",
            label="seen at least once so far")
    ax.plot(t, 100.0 * v["coverage_share"], color="#6baed6", linewidth=1.2, label="seen now (>= 1 satellite)")
    ax.plot(t, 100.0 * v["share_n"], color="#fd8d3c", linewidth=1.0,
            label=f"seen now by >= {series.n_assets} satellites")
    ax.set_ylim(0, 102)
    ax.set_ylabel("share of the area (%)")
    ax.grid(True, alpha=0.3)
    right = ax.twinx()
    right.plot(t, v["mean_sats_in_view"], color="#54278f", linewidth=1.0, linestyle="--",
               label="mean satellites in view (right)")
    right.set_ylabel("mean number of satellites in view")
    right.set_ylim(0, max(1e-3, 1.1 * float(np.max(v["mean_sats_in_view"]))))
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("time (UTC)")
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], loc="center right", fontsize=8, framealpha=0.95)
    if title is None:
        title = f"Coverage over time, from {series.times_utc()[0].strftime('%Y-%m-%d %H:%M UTC')}"
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_file_names(names, figure: str = "max_revisit", tracks: bool = True) -> list[str]:
    """The files :func:`write_plots` writes for results of these names: per result
    a map and (``tracks``) its ground tracks, then the CDF and the milestone chart."""
    key = figure_key(figure)
    short = next((k for k, v in MAP_FIGURES.items() if v == key), key)
    per = [f"{safe_name(n)}-{short}.png" for n in names]
    per += [f"{safe_name(n)}-tracks.png" for n in names] if tracks else []
    return per + ([f"{short}-cdf.png", "milestones.png"] if names else [])


def write_plots(results, out_dir, constellations=None, figure: str = "max_revisit",
                tracks_hours: float = 1.5) -> list[Path]:
    """Write a map per result, the CDF and the milestone chart over all results and, for
    each constellation given (a list parallel to ``results``), its ground tracks
    (file names: :func:`plot_file_names`).  Returns the paths written.  ``out_dir``
    is made if missing (its parent must exist)."""
    out_dir = make_folder(out_dir)
    results = list(results)
    written = []
    key = figure_key(figure)
    short = next((k for k, v in MAP_FIGURES.items() if v == key), key)
    for r in results:
        p = out_dir / f"{safe_name(r.name)}-{short}.png"
        plot_map(r, p, figure=figure)
        written.append(p)
    if constellations is not None:
        for r, c in zip(results, constellations):
            if c is None:
                continue
            p = out_dir / f"{safe_name(r.name)}-tracks.png"
            plot_tracks(c, r.window.start, p, hours=tracks_hours)
            written.append(p)
    if results:
        p = out_dir / f"{short}-cdf.png"
        plot_cdf(results, p, figure=figure if key.endswith("_s") else "max_revisit")
        written.append(p)
        p = out_dir / "milestones.png"
        plot_milestones(results, p)
        written.append(p)
    return written
