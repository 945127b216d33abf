"""The result of a run: per-point figures of merit, with what produced them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from constellation.constants import SECONDS_PER_DAY
from sim.engine.grid import Grid
from sim.engine.metrics import REFINEMENT, Target, distribution, weighted_mean
from sim.engine.propagate import Window


def jsonable(obj):
    """JSON-ready copy: NaN/inf -> None, numpy scalars -> Python, tuples -> lists."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, datetime):
        return obj.isoformat()
    return obj


@dataclass(repr=False)
class Result:
    """Per-point figures of merit of one run, with what produced them."""

    name: str
    grid: Grid
    window: Window
    n_satellites: int
    sensors: list[str]
    figures: dict[str, np.ndarray]
    targets: list[Target] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    # How the result was made (inputs and their sha256, versions, settings, time):
    # see sim.engine.provenance.build_provenance; stored by every writer, not in summary().
    provenance: dict = field(default_factory=dict)
    # Each group flown alone (run(..., per_group=True)), by group name.
    groups: dict = field(default_factory=dict)
    # The satellites as flown (None for a result read back from a file).
    constellation: object = field(default=None, repr=False, compare=False)
    # Per-sample figures (run(..., timeseries=True)): a sim.engine.timeseries.TimeSeries, else None.
    series: object = field(default=None, repr=False, compare=False)

    @property
    def seen(self) -> np.ndarray:
        return self.figures["seen"]

    def save(self, path):
        """Write the result in the format its extension names: .nc, .csv (with its .csv.json
        sidecar), .geojson, .json or .tif (atomically; see :mod:`sim.outputs.io`).  Reload
        .nc, .csv and .geojson with ``sim.outputs.io.load_result``."""
        from sim.outputs.io import save

        return save(self, path)

    def to_netcdf(self, path):
        """NetCDF-4, CF-1.10: the Dataset of :meth:`to_xarray`."""
        from sim.outputs.io import to_netcdf

        return to_netcdf(self, path)

    def to_xarray(self):
        """An ``xarray.Dataset`` (CF-1.10): figures on (lat, lon), with a raster view and
        exact ``point_`` values for non-rectangular grids, or on (point) for a point
        list.  See :func:`sim.outputs.io.to_xarray`."""
        from sim.outputs.io import to_xarray

        return to_xarray(self)

    def to_dataframe(self):
        """A ``pandas.DataFrame``, one row per point in the grid's order: lat, lon,
        weight, name (a point list's), every figure."""
        from sim.outputs.io import to_dataframe

        return to_dataframe(self)

    def to_csv(self, path):
        """One row per point (lat, lon, weight, [label], every figure); what rebuilds the
        result, its summary and provenance in the JSON sidecar ``path + '.json'``."""
        from sim.outputs.io import to_csv

        return to_csv(self, path)

    def to_geotiff(self, path, figure: str | None = None):
        """A GeoTIFF map (EPSG:4326): one band per figure, or ``figure`` alone; needs
        rioxarray and rasterio (``pip install 'revisit[gis]'``).  See
        :func:`sim.outputs.io.to_geotiff`."""
        from sim.outputs.io import to_geotiff

        return to_geotiff(self, path, figure=figure)

    def to_geojson(self, path):
        """A FeatureCollection of points with the figures as properties."""
        from sim.outputs.io import to_geojson

        return to_geojson(self, path)

    def to_json(self, path):
        """The summary and the provenance (no per-point figures)."""
        from sim.outputs.io import to_json

        return to_json(self, path)

    def plot_map(self, path=None, figure: str = "max_revisit", **kwargs):
        """World map of a per-point figure (max_revisit, mean_revisit, mean_response,
        accesses, coverage); writes a PNG when ``path`` is given.  See :func:`sim.outputs.plot.plot_map`."""
        from sim.outputs.plot import plot_map

        return plot_map(self, path, figure=figure, **kwargs)

    def __repr__(self) -> str:
        s = self.summary()
        mrt = s["max_revisit_s"]
        return (f"<Result {self.name}: {self.n_satellites} satellites, {len(self.grid):,} points ({self.grid.name}), "
                f"{_when(self.window.start)} + {_span(self.window.duration_s)} (step {self.window.step_s:g} s); "
                f"MRT p50 {_span(mrt['p50'])}, p95 {_span(mrt['p95'])}>")

    def _repr_html_(self) -> str:
        """A small table for notebooks."""
        from html import escape

        s = self.summary()
        mrt = s["max_revisit_s"]
        rows = [("satellites", f"{self.n_satellites}"),
                ("points", self.grid.describe()),
                ("window", f"{_when(self.window.start)} + {_span(self.window.duration_s)}, "
                           f"step {self.window.step_s:g} s"),
                ("max revisit (MRT)", f"p50 {_span(mrt['p50'])}, p95 {_span(mrt['p95'])}, max {_span(mrt['max'])}"),
                ("mean revisit", _span(s["mean_revisit_s"])),
                ("mean response", _span(s["mean_response_s"])),
                ("coverage", f"{100 * s['coverage_fraction']:.2f} % of the time; never seen: "
                             f"{100 * s['unseen_share']:.2f} % of the area")]
        rows += [(t["name"], f"{t['verdict']}" + (f" ({100 * t['share_met']:.2f} % of the area)"
                                                  if t["share_met"] is not None else "")) for t in s["targets"]]
        body = "".join(f"<tr><th style=\"text-align:left\">{escape(k)}</th><td style=\"text-align:left\">"
                       f"{escape(v)}</td></tr>" for k, v in rows)
        return (f"<table><caption style=\"text-align:left\"><b>Result</b> {escape(self.name)}</caption>"
                f"{body}</table>")

    def target_results(self) -> list[dict]:
        return [t.evaluate(self.figures["max_revisit_s"], self.seen, self.grid.weight,
                           self.figures["mean_response_s"], self.window.duration_s) for t in self.targets]

    def point_figures(self) -> list[dict]:
        """Each point's figures, in the grid's order (a point list's own), JSON-ready:
        name (its label, None without labels), lat, lon (deg, as given) and
        POINT_FIELDS (times in seconds)."""
        g, f = self.grid, self.figures
        cols = [np.asarray(f[k]).astype(int if k == "n_access" else float).tolist() for k in POINT_FIELDS]
        names = g.labels if g.labels is not None else [None] * len(g)
        return [jsonable(dict(name=names[i], lat=float(g.lat_deg[i]), lon=float(g.lon_deg[i]),
                              **{k: c[i] for k, c in zip(POINT_FIELDS, cols)})) for i in range(len(g))]

    def summary(self) -> dict:
        """Area-weighted statistics and verdicts, JSON-ready (times in seconds)."""
        w = self.grid.weight
        f = self.figures
        mrt = distribution(f["max_revisit_s"], w)
        out = {
            "scenario": self.name,
            "satellites": self.n_satellites,
            "points": len(self.grid),
            "grid": self.grid.name,
            "grid_kind": self.grid.kind,
            "start": self.window.start.isoformat().replace("+00:00", "Z"),
            "duration_s": self.window.duration_s,
            "step_s": self.window.step_s,
            "refinement": REFINEMENT,
            "sensors": self.sensors,
            "max_revisit_s": {k: mrt[k] for k in ("p50", "p90", "p95", "p99", "max")},
            "max_revisit_interior_s": {k: v for k, v in distribution(f["max_revisit_interior_s"], w).items()
                                       if k != "mean"},
            "mean_revisit_s": weighted_mean(f["mean_revisit_s"], w),
            "mean_response_s": weighted_mean(f["mean_response_s"], w),
            "time_avg_gap_s": weighted_mean(f["time_avg_gap_s"], w),
            "coverage_fraction": weighted_mean(f["coverage_fraction"], w),
            "accesses_per_day": weighted_mean(f["n_access"], w) * SECONDS_PER_DAY / self.window.duration_s,
            "unseen_share": float(np.sum(w[~self.seen])),
            "targets": self.target_results(),
        }
        if self.series is not None:
            from sim.engine.timeseries import summary as series_summary

            out["timeseries"] = series_summary(self.series, f, w)
        if self.groups:
            out["groups"] = [dict(group=name, **{k: v for k, v in g.summary().items() if k in GROUP_FIELDS})
                             for name, g in self.groups.items()]
        out.update(self.meta)
        return out


# The figures Result.point_figures gives for each point.
POINT_FIELDS = ("max_revisit_s", "mean_revisit_s", "mean_response_s", "n_access", "coverage_fraction")
# What a per-group summary keeps of a full one.
GROUP_FIELDS = ("satellites", "sensors", "max_revisit_s", "mean_revisit_s", "mean_response_s",
                "coverage_fraction", "accesses_per_day", "unseen_share", "targets")


def _span(seconds) -> str:
    """A duration in the unit that reads best: s, min, h or d."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    for limit, unit, size in ((120.0, "s", 1.0), (7200.0, "min", 60.0), (2 * SECONDS_PER_DAY, "h", 3600.0)):
        if seconds < limit:
            return f"{seconds / size:.3g} {unit}" if unit == "s" else f"{seconds / size:.1f} {unit}"
    return f"{seconds / SECONDS_PER_DAY:.1f} d"


def _when(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%MZ")
