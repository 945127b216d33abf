"""Area survey time: how long until every part of a region has been imaged once.

The region (a GeoJSON polygon, a built-in one such as ``china``, or a
longitude/latitude box) is sampled by the cell centres of a regular grid that
fall inside it, each weighted by its cell's area.  The coverage kernel gives
each point's first access (for a swath sensor: the first pass whose swath
covers it, in daylight if the sensor says so); the share of the region imaged
at least once by time t is the area-weighted share of points first accessed
by t.  That share is measured at the grid points: a finer grid approaches the
true area, and 100 % means every grid point (narrow slivers between swaths
may remain between points).  Clouds, image quality and downlink are not
modelled: an access counts as an image.

With an off-nadir (agile) sensor the first access is the first time a point
is within reach, which an agile imager cannot use everywhere at once: an
optimistic bound on its survey time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from constellation.constants import EARTH_MEAN_RADIUS_KM, SECONDS_PER_DAY
from constellation.core import Constellation
from constellation.errors import InputError
from constellation.files import MIB, read_limited
from sim.engine.grid import Grid, count_points, global_shape
from sim.engine.memory import FIXED_BYTES, REGION_BAND_BYTES_PER_POINT, check_fits
from sim.engine.propagate import Window
from sim.engine.result import Result
from sim.engine.run import run

NO_CLOUDS = "clouds not modelled: every access in the window counts as an image"
# A region file larger than this is refused unread (the built-in china.geojson is 4 kB).
MAX_REGION_BYTES = 256 * MIB


# --------------------------------------------------------------------- regions
@dataclass
class Region:
    """Polygons (each a list of rings: exterior then holes, arrays of (lon, lat)
    in degrees) or a box (lon_min, lat_min, lon_max, lat_max; lon_min > lon_max
    crosses the antimeridian)."""

    name: str
    polygons: list = field(default_factory=list)
    bbox: tuple | None = None
    source: str = ""
    note: str = ""

    def lat_range(self) -> tuple[float, float]:
        if self.bbox is not None:
            return self.bbox[1], self.bbox[3]
        lats = np.concatenate([ring[:, 1] for poly in self.polygons for ring in poly])
        return float(lats.min()), float(lats.max())

    def contains(self, lat_deg, lon_deg) -> np.ndarray:
        """Whether each point is inside (cell centres on an edge go either way)."""
        from matplotlib.path import Path as MplPath

        lat = np.asarray(lat_deg, dtype=float)
        lon = (np.asarray(lon_deg, dtype=float) + 180.0) % 360.0 - 180.0
        if self.bbox is not None:
            w, s, e, n = self.bbox
            in_lon = (lon >= w) & (lon <= e) if w <= e else (lon >= w) | (lon <= e)
            return in_lon & (lat >= s) & (lat <= n)
        inside = np.zeros(lat.shape, bool)
        for poly in self.polygons:
            # Only the points in the polygon's box are tested (a region is mostly a small part of its band).
            lo = poly[0].min(axis=0)
            hi = poly[0].max(axis=0)
            cand = np.flatnonzero((lon >= lo[0]) & (lon <= hi[0]) & (lat >= lo[1]) & (lat <= hi[1]))
            if cand.size == 0:
                continue
            pts = np.stack([lon[cand], lat[cand]], axis=1)
            here = MplPath(poly[0]).contains_points(pts)
            for hole in poly[1:]:
                here &= ~MplPath(hole).contains_points(pts)
            inside[cand] |= here
        return inside


def builtin_regions() -> dict[str, Path]:
    folder = Path(str(resources.files("seeds"))) / "regions"
    return {p.stem: p for p in sorted(folder.glob("*.geojson"))}


def load_region(spec: str | Path) -> Region:
    """A built-in region by name (``china``) or a GeoJSON file: a Polygon or
    MultiPolygon, bare, in a Feature or in a FeatureCollection (all polygons
    together).  Coordinates are [lon, lat] degrees (RFC 7946); a polygon must not
    cross the antimeridian (split it there, as RFC 7946 asks)."""
    known = builtin_regions()
    path = known.get(str(spec)) or Path(spec)
    spath = str(path)
    if str(spec) not in known and not path.exists():
        raise InputError(f"no such file or built-in region (built-in: {', '.join(known) or 'none'})", str(spec))
    data = read_limited(path, MAX_REGION_BYTES, InputError, "GeoJSON region file")
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read the file ({exc})", spath)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", spath, exc.lineno)
    polygons, props = [], {}
    _collect(doc, spath, "", polygons, props)
    if not polygons:
        raise InputError("no Polygon or MultiPolygon in the file", spath)
    name = props.get("name") or (str(spec) if str(spec) in known else path.stem)
    return Region(str(name), polygons, source=spath, note=str(props.get("note", "")))


def _collect(obj, path, where, polygons, props):
    if not isinstance(obj, dict) or "type" not in obj:
        raise InputError("expected a GeoJSON object with a 'type'", path, field=where or "<top>")
    kind = obj["type"]
    key = (lambda k: f"{where}.{k}" if where else k)
    if kind == "FeatureCollection":
        feats = obj.get("features")
        if not isinstance(feats, list):
            raise InputError("expected a list", path, field=key("features"))
        for i, f in enumerate(feats):
            _collect(f, path, key(f"features[{i}]"), polygons, props)
    elif kind == "Feature":
        p = obj.get("properties")
        if isinstance(p, dict):
            for k in ("name", "note"):
                if k in p and k not in props:
                    props[k] = p[k]
        if obj.get("geometry") is not None:
            _collect(obj["geometry"], path, key("geometry"), polygons, props)
    elif kind == "GeometryCollection":
        for i, g in enumerate(obj.get("geometries") or []):
            _collect(g, path, key(f"geometries[{i}]"), polygons, props)
    elif kind == "Polygon":
        polygons.append(_polygon(obj.get("coordinates"), path, key("coordinates")))
    elif kind == "MultiPolygon":
        coords = obj.get("coordinates")
        if not isinstance(coords, list):
            raise InputError("expected a list of polygons", path, field=key("coordinates"))
        for i, c in enumerate(coords):
            polygons.append(_polygon(c, path, key(f"coordinates[{i}]")))
    else:
        raise InputError(f"unsupported geometry {kind!r} (expected Polygon or MultiPolygon)", path,
                         field=key("type"))


def _polygon(coords, path, where):
    if not isinstance(coords, list) or not coords:
        raise InputError("expected a list of rings", path, field=where)
    rings = []
    for r, ring in enumerate(coords):
        f = f"{where}[{r}]"
        if not isinstance(ring, list) or len(ring) < 4:
            raise InputError("a ring needs at least 4 positions (closed)", path, field=f)
        pts = []
        for j, pos in enumerate(ring):
            if (not isinstance(pos, list) or len(pos) < 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos[:2])):
                raise InputError("expected a position [lon, lat]", path, field=f"{f}[{j}]")
            lon, lat = float(pos[0]), float(pos[1])
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise InputError(f"[lon, lat] out of range: {pos[:2]}", path, field=f"{f}[{j}]")
            pts.append((lon, lat))
        arr = np.array(pts)
        # A ring from -180 to 180 goes round the whole parallel (a polar cap, a band):
        # unambiguous.  Any other ring wider than 180 deg is most likely one that crosses
        # the antimeridian unsplit, which RFC 7946's planar reading would turn inside out.
        full_circle = arr[:, 0].min() == -180.0 and arr[:, 0].max() == 180.0
        if np.ptp(arr[:, 0]) > 180.0 and not full_circle:
            raise InputError("the ring spans more than 180 deg of longitude: split it at the antimeridian (a ring "
                             "round the whole parallel runs from -180 to 180)", path, field=f)
        rings.append(arr)
    return rings


def bbox_region(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> Region:
    """A longitude/latitude box (deg); lon_min > lon_max crosses the antimeridian."""
    vals = (lon_min, lat_min, lon_max, lat_max)
    if not all(math.isfinite(v) for v in vals):
        raise ValueError("bbox values must be finite")
    if not (-180 <= lon_min <= 180 and -180 <= lon_max <= 180 and -90 <= lat_min < lat_max <= 90):
        raise ValueError(f"bbox needs lon in [-180, 180] and -90 <= lat_min < lat_max <= 90, got {vals}")
    if lon_min == lon_max:
        raise ValueError("bbox has no width (lon_min == lon_max)")
    return Region(f"box {lon_min:g},{lat_min:g},{lon_max:g},{lat_max:g}", bbox=tuple(float(v) for v in vals),
                  source="bbox")


def region_grid(region: Region, res_deg: float, memory_limit_bytes: int | None = None) -> Grid:
    """The cells of the global regular ``res_deg`` grid whose centres lie in the
    region, each weighted by its area.  Cut from the regular grid of the region's
    latitude band, whose memory is checked first (``MemoryLimitError`` over
    ``memory_limit_bytes``, default half the available memory)."""
    lo, hi = region.lat_range()
    lo = max(-90.0, lo - res_deg)
    hi = min(90.0, hi + res_deg)
    band = count_points(res_deg, lo, hi)
    check_fits(FIXED_BYTES + REGION_BAND_BYTES_PER_POINT * band,
               f"the {res_deg:g} deg survey grid of {region.name} (cut from {band:,} points between latitudes "
               f"{lo:g} and {hi:g})", "use a coarser grid (--grid-res)", memory_limit_bytes)
    full = Grid.regular(res_deg, lo, hi)
    inside = region.contains(full.lat_deg, full.lon_deg)
    if not inside.any():
        raise ValueError(f"no {res_deg:g} deg grid cell has its centre in {region.name}: use a finer grid")
    return full.subset(inside, f"{region.name}, {res_deg:g} deg")


def cell_area_km2(grid: Grid) -> np.ndarray:
    """Area (km2, sphere of the Earth's mean radius) of each point's cell in its regular grid."""
    if grid.res_deg is None:
        raise ValueError("cell areas need a grid with a resolution")
    n_lat, n_lon = global_shape(grid.res_deg)
    dlat, dlon = math.radians(180.0 / n_lat), 2 * math.pi / n_lon
    lat = np.radians(grid.lat_deg)
    return EARTH_MEAN_RADIUS_KM ** 2 * dlon * (np.sin(np.minimum(lat + dlat / 2, math.pi / 2))
                                               - np.sin(np.maximum(lat - dlat / 2, -math.pi / 2)))


# --------------------------------------------------------------------- the survey
def time_to_share(first_access_s: np.ndarray, weight: np.ndarray, share: float) -> float | None:
    """Earliest time by which points holding ``share`` of the weight have been
    accessed (points never accessed count as never); None if that never happens."""
    w = np.asarray(weight, dtype=float) / np.sum(weight)
    t = np.asarray(first_access_s, dtype=float)
    ok = np.isfinite(t)
    order = np.argsort(t[ok], kind="stable")
    ts = t[ok][order]
    cum = np.cumsum(w[ok][order])
    idx = int(np.searchsorted(cum, share - 1e-12, side="left"))
    return float(ts[idx]) if idx < ts.size else None


@dataclass
class SurveyResult:
    name: str
    region: Region
    result: Result
    area_km2: float
    meta: dict = field(default_factory=dict)

    @property
    def first_access_s(self) -> np.ndarray:
        return self.result.figures["first_access_s"]

    @property
    def weight(self) -> np.ndarray:
        return self.result.grid.weight

    @property
    def window(self) -> Window:
        return self.result.window

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(times s, share imaged at least once by then): the steps of the cumulative
        curve, starting at (0, share at 0) and ending at the window's end."""
        t = self.first_access_s
        ok = np.isfinite(t)
        order = np.argsort(t[ok], kind="stable")
        ts = t[ok][order]
        cum = np.cumsum(self.weight[ok][order])
        T = self.window.duration_s
        return np.r_[0.0, ts, T], np.r_[0.0, cum, cum[-1] if cum.size else 0.0]

    def share_by(self, t_s: float) -> float:
        """Share of the region imaged by ``t_s`` (exactly 1 when every point is)."""
        t = self.first_access_s
        done = np.isfinite(t) & (t <= t_s)
        return 1.0 if done.all() else float(np.sum(self.weight[done]))

    def time_to(self, share: float) -> float | None:
        return time_to_share(self.first_access_s, self.weight, share)

    def summary(self) -> dict:
        g = self.result.grid
        days = [d for d in (1, 7, 14, 31) if d * SECONDS_PER_DAY <= self.window.duration_s + 1e-6]
        out = {
            "scenario": self.name,
            "region": self.region.name,
            "region_source": self.region.source,
            "satellites": self.result.n_satellites,
            "sensors": self.result.sensors,
            "grid": g.name,
            "grid_res_deg": g.res_deg,
            "points": len(g),
            "area_km2": self.area_km2,
            "start": self.window.start.isoformat().replace("+00:00", "Z"),
            "duration_s": self.window.duration_s,
            "step_s": self.window.step_s,
            "share_imaged": self.share_by(self.window.duration_s),
            "share_imaged_by_day": {str(d): self.share_by(d * SECONDS_PER_DAY) for d in days},
            "time_to_50_s": self.time_to(0.50),
            "time_to_90_s": self.time_to(0.90),
            "time_to_95_s": self.time_to(0.95),
            "time_to_100_s": self.time_to(1.0),
            "clouds": NO_CLOUDS,
        }
        if "sample_step_s" in self.result.meta:
            out["sample_step_s"] = self.result.meta["sample_step_s"]
        if any(s.startswith("off-nadir") for s in self.result.sensors):
            out["note"] = ("off-nadir sensors: first access is the first time a point is within reach, an "
                           "optimistic bound for an agile imager that cannot image its whole field of regard")
        out.update(self.meta)
        return out


def survey(constellation: Constellation, region: Region, window: Window, res_deg: float = 0.5,
           name: str | None = None, progress=None, memory_limit_bytes: int | None = None) -> SurveyResult:
    """Cumulative share of ``region`` imaged at least once over ``window`` by the
    constellation's sensors (lighting included), on a ``res_deg`` grid."""
    grid = region_grid(region, res_deg, memory_limit_bytes)
    res = run(constellation, grid, window, name=name or constellation.name, progress=progress,
              memory_limit_bytes=memory_limit_bytes)
    return SurveyResult(res.name, region, res, float(cell_area_km2(grid).sum()))


def survey_constellation(constellation: Constellation, swath_km: dict | None = None,
                         min_sun_elevation_deg: float | None = None, day_and_night: bool = False) -> Constellation:
    """The satellites that survey, with their sensors (a new object; the input is
    untouched): ``swath_km`` maps group names to nadir swaths (groups not named
    are left out; None keeps every group's own sensor); a lighting constraint,
    or none (``day_and_night``)."""
    from constellation.core import Group
    from constellation.sensor import override_sensor

    groups = []
    for g in constellation.groups:
        if swath_km is not None and g.name not in swath_km:
            continue
        swath = float(swath_km[g.name]) if swath_km is not None else None
        groups.append(Group(g.name, g.satellites, override_sensor(g.sensor, swath_km=swath,
                                                                   min_sun_elevation_deg=min_sun_elevation_deg,
                                                                   day_and_night=day_and_night)))
    if not groups:
        raise ValueError("no group takes part in the survey")
    return Constellation(constellation.name, groups)


def describe_swaths(constellation: Constellation) -> str:
    """'group 11.6 km, group 40 km' (or each group's sensor when not a swath)."""
    return ", ".join(f"{g.name} ({len(g.satellites)}) {g.sensor.swath_km:g} km" if g.sensor.kind == "swath"
                     else f"{g.name} ({len(g.satellites)}) {g.describe_sensor()}" for g in constellation.groups)


def check_survey_claim(spec, constellation: Constellation, start, name: str | None = None) -> dict:
    """Test a scenario's [survey] claim (``constellation.scenario.SurveySpec``):
    the region imaged (``required_share`` of it) within ``spec.days`` from
    ``start`` by the swaths and lighting the spec states.  JSON-ready dict."""
    const = survey_constellation(constellation, spec.swath_km, spec.min_sun_elevation_deg)
    region = load_region(spec.region)
    window = Window(start, spec.days * SECONDS_PER_DAY, spec.step_s)
    res = survey(const, region, window, spec.grid_res_deg, name=name)
    summ = res.summary()
    sun = {g.sensor.min_sun_elevation_deg for g in const.groups}
    light = ("day and night" if sun == {None} else
             ", ".join(f"Sun >= {x:g} deg" if x is not None else "day and night" for x in sorted(sun, key=str)))
    summ.update(survey_verdict(spec, res))
    summ.update(assumptions=(f"{region.name} ({summ['points']:,} points at {spec.grid_res_deg:g} deg); nadir "
                             f"swaths: {describe_swaths(const)}; {light}; {spec.days:g} d from "
                             f"{summ['start'][:10]}; {NO_CLOUDS}"))
    return summ


def survey_verdict(spec, res: SurveyResult, changed: tuple[str, ...] = ()) -> dict:
    """The [survey] claim's verdict: met when ``spec.required_share`` of the
    region is imaged within ``spec.days``.  "not tested" (with its reason) when
    the run changed what the claim assumes (``changed``: what, e.g. the
    region or the sensors), or when its window is shorter than the claim's days
    and the share was not reached in it (a longer window might still reach it)."""
    t = res.time_to(spec.required_share)
    out = {"claim": spec.claim, "claimed_days": spec.days, "required_share": spec.required_share,
           "time_to_required_s": t}
    window_days = res.window.duration_s / SECONDS_PER_DAY
    if changed:
        reason = f"this run changes what the claim assumes ({', '.join(changed)})"
    elif t is None and window_days < spec.days:
        reason = f"the window ({window_days:g} d) is shorter than the claim's {spec.days:g} d"
    else:
        met = t is not None and t <= spec.days * SECONDS_PER_DAY
        return {**out, "verdict": "met" if met else "not met"}
    return {**out, "verdict": "not tested", "reason": reason}


def survey_study(study, start=None, days: float | None = None, step_s: float | None = None,
                 swath_km: float | None = None, off_nadir_deg: float | None = None,
                 min_sun_elevation_deg: float | None = None, day_and_night: bool = False, select=(),
                 max_epoch_age_days: float | None = None):
    """The study an area survey simulates: these values (None: keep), else the
    scenario's [survey] swaths, lighting, days and step (else 31 days).
    -> a new :class:`sim.studies.study.Study`."""
    spec = study.survey
    if spec and swath_km is None and off_nadir_deg is None and spec.swath_km:
        study = study.with_constellation(survey_constellation(study.constellation, spec.swath_km))
    if min_sun_elevation_deg is None and not day_and_night and spec and spec.min_sun_elevation_deg is not None:
        min_sun_elevation_deg = spec.min_sun_elevation_deg
    return study.with_overrides(start=start, days=days or (spec.days if spec else 31.0),
                                step_s=step_s or (spec.step_s if spec else None), off_nadir_deg=off_nadir_deg,
                                swath_km=swath_km, min_sun_elevation_deg=min_sun_elevation_deg,
                                day_and_night=day_and_night, select=select, max_epoch_age_days=max_epoch_age_days)


def run_survey(study, region: Region, grid_res_deg: float | None = None, progress=None,
               changed: tuple[str, ...] = ()) -> tuple[SurveyResult, dict]:
    """Survey ``region`` with a (validated) study on a ``grid_res_deg`` grid
    (default: the [survey] spec's, else 0.5 deg): -> (result, its summary, with
    the [survey] claim's verdict when the scenario states one, and each
    group's sensor).  ``changed``: what the caller changed of the claim's
    assumptions (region, sensors, satellites): the claim is then not tested."""
    spec = study.survey
    res = survey(study.constellation, region, study.window(), grid_res_deg or (spec.grid_res_deg if spec else 0.5),
                 name=study.name, progress=progress)
    summary = res.summary()
    if spec:
        summary.update(survey_verdict(spec, res, changed))
    summary["sensors_by_group"] = {g.name: g.describe_sensor() for g in study.constellation.groups}
    return res, summary


__all__ = ["Region", "load_region", "bbox_region", "builtin_regions", "region_grid", "survey", "SurveyResult",
           "time_to_share", "cell_area_km2", "survey_constellation", "check_survey_claim", "NO_CLOUDS"]
