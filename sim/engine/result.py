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


@dataclass
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

    @property
    def seen(self) -> np.ndarray:
        return self.figures["seen"]

    def save(self, path):
        """Write the result in the format its extension names: .nc, .csv, .geojson or
        .json (atomically; see :mod:`sim.outputs.io`).  Reload with ``sim.outputs.io.load_result``."""
        from sim.outputs.io import save

        return save(self, path)

    def to_netcdf(self, path):
        """NetCDF-4, CF-1.8: figures on (lat, lon) for a regular grid, else on (point)."""
        from sim.outputs.io import to_netcdf

        return to_netcdf(self, path)

    def to_csv(self, path):
        """One row per point (lat, lon, weight, every figure), provenance in '#' lines."""
        from sim.outputs.io import to_csv

        return to_csv(self, path)

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

    def target_results(self) -> list[dict]:
        return [t.evaluate(self.figures["max_revisit_s"], self.seen, self.grid.weight,
                           self.figures["mean_response_s"]) for t in self.targets]

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
