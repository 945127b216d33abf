"""Results on disk, and back: NetCDF (CF), CSV, GeoJSON, a JSON summary, GeoTIFF.

The format follows the file's extension:

- ``.nc``: NetCDF-4 with CF-1.10 conventions, the Dataset of :func:`to_xarray`:
  figures on (lat, lon) for a regular grid; for an equal-area or land-only grid
  a raster view on (lat, lon) and the exact values on (point) (``point_`` +
  the figure); for a point list on (point) with names in ``label``.  EPSG:4326
  grid mapping ``crs``, cell bounds and areas, units and long names on every
  variable; ``area_weight`` holds each point's share of the area.
- ``.csv``: a plain CSV, one row per point (lat, lon, weight, [label], every
  figure) under one header row; what rebuilds the result, its summary and its
  provenance are in the JSON sidecar ``FILE.csv.json``.
- ``.geojson``: a FeatureCollection of Point features whose properties are the
  point's weight and figures; the same three JSON objects ride along as foreign
  members ``revisit``, ``summary`` and ``provenance``.
- ``.json``: the summary and the provenance only (no per-point figures).
- ``.tif``: a GeoTIFF of the maps, one band per figure (needs the ``gis``
  extra: rioxarray, rasterio); the summary and provenance in its tags.

Floats are written so that they read back bit for bit (shortest round-trip
text in CSV and (Geo)JSON), so :func:`load_result` gives the same figures,
grid, window and targets and ``Result.summary()`` the same numbers as the run
that wrote the file (.nc, .csv, .geojson).  Every write goes to a temporary file
in the target's folder that replaces the target only once complete
(:func:`atomic_write`): a failed or interrupted write leaves no partial file and
an existing file as it was.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from constellation.constants import WGS84_A_KM, WGS84_E2, WGS84_F
from constellation.errors import InputError
from constellation.files import OutputError, atomic_write, atomic_write_pair, check_writable, is_stream
from sim.engine.grid import Grid, equal_area_row_counts, global_shape
from sim.engine.metrics import FIGURES, REFINEMENT, Target
from sim.engine.propagate import Window
from sim.engine.result import Result, jsonable
from sim.engine.timeseries import POINT_FIGURES as SERIES_POINT_FIGURES
from sim.engine.table import iso_utc
from sim.engine.timeseries import SERIES, TimeSeries

FORMAT = "revisit-result"
# 2: NetCDF CF-1.10 with the raster view of non-rectangular grids, CSV metadata in a sidecar.
FORMAT_VERSION = 2
READS_VERSIONS = (1, 2)
FORMATS = {".nc": "netcdf", ".csv": "csv", ".geojson": "geojson", ".json": "json", ".tif": "geotiff",
           ".tiff": "geotiff"}
GIS_HINT = "pip install 'revisit[gis]'"
# Rows converted to text at a time (CSV, GeoJSON): bounds the writers' memory.
BLOCK_ROWS = 65536

# Geodetic latitude and longitude on the grid mapping's ellipsoid (crs: WGS-84).
_LAT_ATTRS = {"standard_name": "latitude", "long_name": "latitude", "units": "degrees_north", "axis": "Y"}
_LON_ATTRS = {"standard_name": "longitude", "long_name": "longitude", "units": "degrees_east", "axis": "X"}
_POINT_LAT_ATTRS = {"standard_name": "latitude", "long_name": "latitude of the point", "units": "degrees_north"}
_POINT_LON_ATTRS = {"standard_name": "longitude", "long_name": "longitude of the point", "units": "degrees_east"}
_WEIGHT_NAME = "area_weight"


# ---------------------------------------------------------------------------- helpers
def output_format(path: str | Path) -> str:
    """'netcdf', 'csv', 'geojson' or 'json' from the extension; InputError otherwise.
    A FIFO, a device or ``/dev/stdout`` (written in place, see
    :func:`constellation.files.atomic_write`) without one of these extensions
    takes 'json', the summary: text a reader of a pipe can use."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        if is_stream(path):
            return "json"
        raise InputError(f"unknown output format {ext or '(no extension)'!r}: use one of "
                         f"{', '.join(FORMATS)}", str(path))
    return FORMATS[ext]


def check_output_path(path: str | Path) -> None:
    """Fail early (before a long run) on an output path that cannot be written:
    an unknown extension, a missing folder, a folder that refuses new files, a
    folder given as the file (:func:`constellation.files.check_writable`), a
    GeoTIFF without the gis extra."""
    check_writable(path)
    if output_format(path) == "geotiff":
        require_gis(path)


def require_gis(path: str | Path | None = None) -> None:
    """InputError naming the extra to install unless rioxarray and rasterio import."""
    try:
        import rasterio  # noqa: F401
        import rioxarray  # noqa: F401
    except ImportError as exc:
        raise InputError(f"GeoTIFF needs rioxarray and rasterio ({exc.name} is missing): {GIS_HINT}",
                         str(path) if path is not None else None)


def _units(name: str) -> str:
    return "s" if name.endswith("_s") else "1"


def _spec(result: Result) -> dict:
    """Everything but the per-point arrays that rebuilds ``result``."""
    g = result.grid
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": result.name,
        "n_satellites": result.n_satellites,
        "sensors": list(result.sensors),
        "targets": [{"name": t.name, "threshold_s": t.threshold_s, "claim": t.claim} for t in result.targets],
        "window": {"start": result.window.start.isoformat(), "duration_s": result.window.duration_s,
                   "step_s": result.window.step_s},
        "grid": {"name": g.name, "points": len(g), "shape": list(g.shape) if g.shape is not None else None,
                 "res_deg": g.res_deg, "labels": g.labels is not None, "kind": g.kind},
        "figures": {k: str(np.asarray(v).dtype) for k, v in result.figures.items()},
        "meta": jsonable(result.meta),
    }


def _provenance(result: Result) -> dict:
    if result.provenance:
        return jsonable(result.provenance)
    from sim.engine.provenance import build_provenance

    return jsonable(build_provenance(result))


def _summary(result: Result) -> dict:
    return jsonable(result.summary())


def _regular_axes(grid: Grid):
    """(lat, lon) axes when the points are exactly the (lat x lon) product in
    row-major order, else None."""
    if grid.shape is None:
        return None
    n_lat, n_lon = grid.shape
    if n_lat * n_lon != len(grid):
        return None
    lat = grid.lat_deg[::n_lon].copy()
    lon = grid.lon_deg[:n_lon].copy()
    if not (np.array_equal(np.repeat(lat, n_lon), grid.lat_deg) and np.array_equal(np.tile(lon, n_lat),
                                                                                   grid.lon_deg)):
        return None
    return lat, lon


# ---------------------------------------------------------------------------- writers
def save(result: Result, path: str | Path) -> Path:
    """Write ``result`` in the format its extension names (.nc, .csv, .geojson, .json, .tif)."""
    writer = {"netcdf": to_netcdf, "csv": to_csv, "geojson": to_geojson, "json": to_json,
              "geotiff": to_geotiff}[output_format(path)]
    return writer(result, path)


# ---------------------------------------------------------------------------- NetCDF (CF-1.10)
# The coordinate reference system of every file: geodetic latitude and longitude
# on WGS-84 (EPSG:4326), as a CF grid mapping with the WKT GDAL writes, which
# GDAL, rasterio and rioxarray read from ``crs_wkt`` or ``spatial_ref``.
CRS_NAME = "crs"
EPSG4326_WKT = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
                'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],'
                'UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],'
                'AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]')
_CRS_ATTRS = {"grid_mapping_name": "latitude_longitude", "semi_major_axis": WGS84_A_KM * 1000.0,
              "inverse_flattening": 1.0 / WGS84_F, "longitude_of_prime_meridian": 0.0,
              "crs_wkt": EPSG4326_WKT, "spatial_ref": EPSG4326_WKT, "epsg_code": "EPSG:4326"}
_AREA_ATTRS = {"standard_name": "cell_area", "units": "m2",
               "long_name": "area of the grid cell on the WGS-84 ellipsoid"}
# The layouts (global attribute revisit_layout): see to_xarray.
LAYOUT_GRID, LAYOUT_RASTER, LAYOUT_POINTS = "lat_lon", "lat_lon_and_point", "point"
POINT_PREFIX = "point_"


def _long_name(name: str) -> tuple[str, str]:
    """(long_name, comment) of a figure: its description in FIGURES without the unit
    (the ``units`` attribute carries it, so a plot does not label it twice), and
    what follows a ';' as the comment."""
    text = FIGURES.get(name) or SERIES_POINT_FIGURES.get(name) or name.replace("_", " ")
    text = re.sub(r"\s*\((?:s|seconds?)\)", "", text)
    long_name, _, comment = (part.strip() for part in text.partition(";"))
    return long_name, comment


def ellipsoid_band_area_m2(lat_south_deg, lat_north_deg, dlon_deg):
    """Area (m^2) on the WGS-84 ellipsoid of the cells between two geodetic
    latitudes and ``dlon_deg`` of longitude: a^2/2 * dlon * (q(north) - q(south)),
    q the authalic function (Snyder 1987, eq. 3-12)."""
    e2 = WGS84_E2
    e = math.sqrt(e2)

    def q(lat_deg):
        s = np.sin(np.radians(np.asarray(lat_deg, dtype=np.float64)))
        return (1.0 - e2) * (s / (1.0 - e2 * s * s) - np.log((1.0 - e * s) / (1.0 + e * s)) / (2.0 * e))

    a_m = WGS84_A_KM * 1000.0
    return 0.5 * a_m * a_m * np.radians(dlon_deg) * (q(lat_north_deg) - q(lat_south_deg))


def cell_bounds(grid: Grid) -> tuple[np.ndarray, np.ndarray] | None:
    """Each point's cell as ((n, 2) latitude bounds, (n, 2) longitude bounds), deg; None
    for a point list.  A regular grid's cells are res x res (of the global grid at
    ``res_deg``); an equal-area grid's the row's band times 360/n of longitude."""
    if grid.kind == "points" or grid.res_deg is None:
        return None
    n_lat, n_lon = global_shape(grid.res_deg)
    half = 90.0 / n_lat
    lat_b = np.stack([grid.lat_deg - half, grid.lat_deg + half], axis=1).clip(-90.0, 90.0)
    if grid.kind == "equal-area":
        row = np.clip(np.floor((grid.lat_deg + 90.0) / (2 * half)).astype(np.int64), 0, n_lat - 1)
        width = 360.0 / equal_area_row_counts(grid.res_deg)[row]
    else:
        width = np.full(len(grid), 360.0 / n_lon)
    lon_b = np.stack([grid.lon_deg - width / 2, grid.lon_deg + width / 2], axis=1)
    return lat_b, lon_b


def _raster_axes(res_deg: float):
    """Centres and bounds of the global regular grid at ``res_deg`` (south to north, from -180)."""
    n_lat, n_lon = global_shape(res_deg)
    lat_edges = np.linspace(-90.0, 90.0, n_lat + 1)
    lon_edges = np.linspace(-180.0, 180.0, n_lon + 1)
    return ((lat_edges[:-1] + lat_edges[1:]) / 2, np.stack([lat_edges[:-1], lat_edges[1:]], axis=1),
            (lon_edges[:-1] + lon_edges[1:]) / 2, np.stack([lon_edges[:-1], lon_edges[1:]], axis=1))


def _figure_attrs(name: str, arr: np.ndarray) -> dict:
    if arr.dtype == bool:
        return {"long_name": "whether any satellite accessed the point in the window",
                "flag_values": np.array([0, 1], np.int8), "flag_meanings": "never_accessed accessed"}
    long_name, comment = _long_name(name)
    attrs = {"long_name": long_name, "units": _units(name)}
    if comment:
        attrs["comment"] = comment
    return attrs


def _is_count(name: str, arr: np.ndarray) -> bool:
    """Whether a figure is a count stored as an integer (n_access, when whole numbers)."""
    return name == "n_access" and arr.dtype != bool and bool(np.all(np.isfinite(arr) & (arr == np.round(arr))))


def _stored(arr: np.ndarray) -> np.ndarray:
    """A figure as the file stores it: booleans as int8 flags."""
    if arr.dtype == bool:
        return arr.astype(np.int8)
    return arr


def to_xarray(result: Result):
    """The result as an ``xarray.Dataset`` (CF-1.10): what :func:`to_netcdf` writes.

    Three layouts (the global attribute ``revisit_layout`` says which):

    - ``lat_lon``, a regular grid (global, or a latitude band): every figure on
      (lat, lon);
    - ``lat_lon_and_point``, a grid that is not a rectangle (equal-area, land
      only, and their subsets): every figure on (lat, lon) as a raster view on the
      global regular grid at the grid's resolution (:meth:`Grid.raster`: each
      raster cell takes the value of the point whose cell holds the cell's
      centre; NaN where no point stands for it), so ``ds.max_revisit_s.plot()``
      draws a map; and the exact per-point values on (point), named
      ``point_`` + the figure, at ``point_lat``, ``point_lon``, with their own
      cells (``point_lat_bnds``, ``point_lon_bnds``, ``point_cell_area``) and
      ``point_area_weight``;
    - ``point``, a point list: every figure on (point), at lat(point), lon(point),
      named by ``label`` (CF ``featureType = "point"``).

    Every figure has ``grid_mapping = "crs"`` (EPSG:4326, WGS-84), units
    (``s``, ``1``) and a long name; gridded figures have cell bounds
    (``lat_bnds``, ``lon_bnds``) and ``cell_measures = "area: cell_area"``
    (m^2 on the ellipsoid); ``area_weight`` (or ``point_area_weight``) is each
    point's share of the area, the weight of every statistic; ``n_access`` is
    an integer and ``seen`` a 0/1 flag (float with NaN outside the points in a
    raster view)."""
    import xarray as xr

    g = result.grid
    figures = {name: np.asarray(arr) for name, arr in result.figures.items()}
    axes = _regular_axes(g)
    bounds = cell_bounds(g)
    data, coords, encoding = {}, {}, {}
    crs_ref = {"grid_mapping": CRS_NAME}
    weight_attrs = {"long_name": "share of the grid's area the point stands for (weights sum to 1)", "units": "1"}

    def lat_lon_axes(lat, lat_b, lon, lon_b):
        coords["lat"] = ("lat", lat, dict(_LAT_ATTRS, bounds="lat_bnds"))
        coords["lon"] = ("lon", lon, dict(_LON_ATTRS, bounds="lon_bnds"))
        # Bounds take their coordinate's units (CF 7.1).
        data["lat_bnds"] = (("lat", "nv"), lat_b, {"long_name": "latitude bounds of the grid cell"})
        data["lon_bnds"] = (("lon", "nv"), lon_b, {"long_name": "longitude bounds of the grid cell"})
        area = ellipsoid_band_area_m2(lat_b[:, :1], lat_b[:, 1:], (lon_b[:, 1] - lon_b[:, 0])[None, :])
        data["cell_area"] = (("lat", "lon"), area, dict(_AREA_ATTRS))

    if axes is not None:
        layout = LAYOUT_GRID
        lat, lon = axes
        n_lat, n_lon = g.shape
        lat_lon_axes(lat, bounds[0][::n_lon], lon, bounds[1][:n_lon])
        data[_WEIGHT_NAME] = (("lat", "lon"), g.weight.reshape(g.shape), weight_attrs)
        for name, arr in figures.items():
            stored = _stored(arr).reshape(g.shape)
            if _is_count(name, arr):
                stored = stored.astype(np.int32)
            data[name] = (("lat", "lon"), stored, {**_figure_attrs(name, arr), **crs_ref,
                                                   "cell_measures": "area: cell_area"})
    elif bounds is None:
        layout = LAYOUT_POINTS
        coords["lat"] = ("point", g.lat_deg, dict(_POINT_LAT_ATTRS))
        coords["lon"] = ("point", g.lon_deg, dict(_POINT_LON_ATTRS))
        if g.labels is not None:
            coords["label"] = ("point", np.array(g.labels, dtype=object), {"long_name": "name of the point"})
        data[_WEIGHT_NAME] = (("point",), g.weight, weight_attrs)
        for name, arr in figures.items():
            stored = _stored(arr).astype(np.int32) if _is_count(name, arr) else _stored(arr)
            data[name] = (("point",), stored, {**_figure_attrs(name, arr), **crs_ref})
    else:
        layout = LAYOUT_RASTER
        lat_lon_axes(*_raster_axes(g.res_deg))
        p = POINT_PREFIX
        coords[p + "lat"] = ("point", g.lat_deg, dict(_POINT_LAT_ATTRS, bounds=p + "lat_bnds"))
        coords[p + "lon"] = ("point", g.lon_deg, dict(_POINT_LON_ATTRS, bounds=p + "lon_bnds"))
        data[p + "lat_bnds"] = (("point", "nv"), bounds[0], {"long_name": "latitude bounds of the point's cell"})
        data[p + "lon_bnds"] = (("point", "nv"), bounds[1], {"long_name": "longitude bounds of the point's cell"})
        data[p + "cell_area"] = (("point",), ellipsoid_band_area_m2(bounds[0][:, 0], bounds[0][:, 1],
                                                                     bounds[1][:, 1] - bounds[1][:, 0]),
                                 dict(_AREA_ATTRS, long_name="area of the point's cell on the WGS-84 ellipsoid"))
        data[p + _WEIGHT_NAME] = (("point",), g.weight, weight_attrs)
        view = (f"raster view of the {g.kind} grid's points on the global regular grid at {g.res_deg:g} deg: each "
                "cell takes the value of the point whose cell holds the cell's centre, NaN where none does; "
                f"exact per-point values in {p}")
        for name, arr in figures.items():
            attrs = _figure_attrs(name, arr)
            stored = _stored(arr)
            raster = g.raster(stored.astype(np.float64))
            data[name] = (("lat", "lon"), raster, {**attrs, **crs_ref, "cell_measures": "area: cell_area",
                                                   "comment": "; ".join(filter(None, [attrs.get("comment"),
                                                                                      view + name]))})
            if _is_count(name, arr):
                stored = stored.astype(np.int32)
            data[p + name] = (("point",), stored, {**attrs, **crs_ref,
                                                   "cell_measures": f"area: {p}cell_area"})
            if arr.dtype == bool or _is_count(name, arr):
                # Integers on disk; the raster's empty cells are the fill value.
                encoding[name] = {"dtype": "int8" if arr.dtype == bool else "int32", "_FillValue": -1}
    data[CRS_NAME] = ((), np.int32(0), dict(_CRS_ATTRS))
    if result.series is not None:
        _series_variables(result.series, data, coords, encoding)
    spec = _spec(result)
    prov = _provenance(result)
    attrs = {
        "Conventions": "CF-1.10",
        "title": f"revisit: per-point revisit figures of merit of {result.name}",
        "source": f"revisit {prov.get('versions', {}).get('revisit', '')} (sgp4 propagation, numba coverage kernel)",
        "history": f"{prov.get('started_utc') or ''} {prov.get('command_line') or 'sim.engine.run'}".strip(),
        "comment": "Gaps at the window's edges count in max/mean revisit; NaN where a figure is undefined "
                   "(e.g. interior gaps of a point with fewer than two accesses). The attributes revisit_result, "
                   "revisit_summary and revisit_provenance hold JSON.",
        "window_start": spec["window"]["start"],
        "window_duration_s": result.window.duration_s,
        "window_step_s": result.window.step_s,
        "grid": g.name,
        "grid_kind": g.kind,
        "revisit_layout": layout,
        "refinement": result.meta.get("refinement", REFINEMENT),
        "revisit_format": FORMAT,
        "revisit_format_version": FORMAT_VERSION,
        "revisit_result": json.dumps(spec),
        "revisit_summary": json.dumps(_summary(result)),
        "revisit_provenance": json.dumps(prov),
    }
    if layout == LAYOUT_POINTS:
        attrs["featureType"] = "point"

    def rank(name):  # the figures first, as the file lists them
        base = name[len(POINT_PREFIX):] if name.startswith(POINT_PREFIX) else name
        return (2 if name == CRS_NAME else int(name.startswith(POINT_PREFIX)),
                0 if base == _WEIGHT_NAME else 1 if base in figures else 2)

    ds = xr.Dataset({k: data[k] for k in sorted(data, key=rank)}, coords=coords, attrs=attrs)
    for name in ds.variables:
        figure = name in figures or (name.startswith(POINT_PREFIX) and name[len(POINT_PREFIX):] in figures)
        enc = encoding.get(name, {})
        if not (figure and ds[name].dtype.kind == "f"):
            enc.setdefault("_FillValue", None)  # never missing: coordinates, bounds, areas, weights, integers
        if figure:
            enc.update(zlib=True, complevel=4)
        ds[name].encoding.update(enc)
    return ds


def _series_variables(series: TimeSeries, data: dict, coords: dict, encoding: dict) -> None:
    """The per-sample series on a ``time`` dimension: a CF time coordinate (UTC,
    "seconds since" the window start, standard calendar, axis T) that xarray
    decodes to datetimes."""
    start = series.start.astimezone(timezone.utc).replace(tzinfo=None)
    times = np.datetime64(start, "ns") + np.round(series.times_s * 1e9).astype("timedelta64[ns]")
    coords["time"] = ("time", times, {"standard_name": "time", "long_name": "sample instant (UTC)", "axis": "T"})
    # CF reference times without a zone are UTC; milliseconds only where the start has them.
    since = f"{start:%Y-%m-%d %H:%M:%S}" + (f".{start.microsecond // 1000:03d}" if start.microsecond else "")
    encoding["time"] = {"units": f"seconds since {since}", "calendar": "standard", "dtype": "float64"}
    for name, long_name in SERIES.items():
        values = np.asarray(series.values[name])
        attrs = {"long_name": long_name, "units": "1"}
        if name == "share_n":
            attrs["n_assets"] = np.int32(series.n_assets)
        data[name] = (("time",), values.astype(np.int32) if name == "max_sats_in_view" else values, attrs)


def _read_series(ds, start: datetime) -> TimeSeries | None:
    """The series of a file :func:`to_netcdf` wrote (opened with decode_times=False), or None."""
    if "time" not in ds.dims or any(name not in ds.variables for name in SERIES):
        return None
    values = {name: ds[name].values.astype(np.int64 if name == "max_sats_in_view" else np.float64)
              for name in SERIES}
    n_assets = int(ds["share_n"].attrs.get("n_assets", 2))
    return TimeSeries(start, ds["time"].values.astype(np.float64), values, n_assets)


def to_netcdf(result: Result, path: str | Path) -> Path:
    """NetCDF-4, CF-1.10: the Dataset of :func:`to_xarray`."""
    ds = to_xarray(result)
    def write(tmp):
        try:
            ds.to_netcdf(tmp, mode="w", format="NETCDF4", engine="netcdf4")
        except RuntimeError as exc:  # netCDF4 reports a failed write (a full disk) as "NetCDF: HDF error"
            raise OutputError(f"NetCDF could not write the file (is the disk full?): {exc}", path) from exc

    return atomic_write(path, write)


def to_dataframe(result: Result):
    """A ``pandas.DataFrame``, one row per point in the grid's order (index ``point``):
    lat, lon, weight, name (a point list's names), then every figure (``seen`` a
    bool, ``n_access`` an integer, the others floats with NaN where undefined)."""
    import pandas as pd

    g = result.grid
    cols = {"lat": g.lat_deg, "lon": g.lon_deg, "weight": g.weight}
    if g.labels is not None:
        cols["name"] = pd.array(g.labels, dtype=object)
    for name, arr in result.figures.items():
        arr = np.asarray(arr)
        cols[name] = arr.astype(np.int64) if _is_count(name, arr) else arr
    df = pd.DataFrame(cols)
    df.index.name = "point"
    return df


# ---------------------------------------------------------------------------- GeoTIFF
def to_geotiff(result: Result, path: str | Path, figure: str | None = None) -> Path:
    """A GeoTIFF of the map of the figures (EPSG:4326, north up, float64, NaN as
    nodata): one band per figure, named by it (band description), or ``figure``
    alone.  The raster is the (lat, lon) grid of :func:`to_xarray` (a regular grid,
    or the raster view of an equal-area or land-only one); the tags
    ``revisit_result``, ``revisit_summary`` and ``revisit_provenance`` hold JSON.
    A point list has no map.  Needs rioxarray and rasterio (:data:`GIS_HINT`)."""
    require_gis(path)
    import rasterio
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    if result.grid.kind == "points" or result.grid.res_deg is None:
        raise InputError("a point list has no map: write .nc, .csv or .geojson", str(path))
    names = list(result.figures) if figure is None else [figure]
    unknown = [n for n in names if n not in result.figures]
    if unknown:
        raise InputError(f"no figure {unknown[0]!r} (figures: {', '.join(result.figures)})", str(path))
    ds = to_xarray(result)
    layers = []
    for n in names:
        layer = ds[n].astype(np.float64)
        layer.attrs, layer.encoding = {}, {}
        layers.append(layer)
    band = xr.concat(layers, dim="band", coords="minimal")
    band = band.assign_coords(band=np.arange(1, len(names) + 1)).isel(lat=slice(None, None, -1))  # north up
    band = band.rio.set_spatial_dims(x_dim="lon", y_dim="lat").rio.write_crs("EPSG:4326").rio.write_nodata(np.nan)
    band.attrs["long_name"] = tuple(names)  # the band descriptions
    tags = {k: ds.attrs[k] for k in ("revisit_result", "revisit_summary", "revisit_provenance")}

    def write(tmp):
        band.rio.to_raster(tmp, driver="GTiff", compress="DEFLATE", tags=tags)
        with rasterio.open(tmp, "r+") as dst:
            for i, n in enumerate(names, start=1):
                dst.set_band_unit(i, _units(n))
                dst.update_tags(i, long_name=_figure_attrs(n, np.asarray(result.figures[n]))["long_name"])
        # GDAL reports a failed write (a full disk) as a warning and carries on: read it back.
        try:
            with rasterio.open(tmp) as src:
                ok = src.count == len(names) and src.read().shape[1:] == band.shape[1:]
        except rasterio.errors.RasterioError as exc:
            raise OutputError(f"the GeoTIFF did not write whole (is the disk full?): {exc}", path) from exc
        if not ok:
            raise OutputError("the GeoTIFF did not write whole (is the disk full?)", path)

    return atomic_write(path, write)


def _text_column(arr: np.ndarray, dtype: str) -> list:
    """Values as CSV cells: shortest round-trip floats, '' for NaN, 0/1 for booleans,
    whole numbers for counts."""
    if dtype == "bool":
        return np.asarray(arr, dtype=np.int8).tolist()
    if dtype == "int":
        return np.asarray(arr, dtype=np.int64).tolist()
    vals = np.asarray(arr, dtype=np.float64).tolist()  # Python floats: str() round-trips exactly
    for i in np.flatnonzero(~np.isfinite(arr)):
        vals[i] = ""
    return vals


def _csv_columns(result: Result) -> list[tuple[str, np.ndarray | list, str]]:
    g = result.grid
    cols = [("lat", g.lat_deg, "float64"), ("lon", g.lon_deg, "float64"), ("weight", g.weight, "float64")]
    if g.labels is not None:
        cols.append(("label", g.labels, "str"))
    for name, arr in result.figures.items():
        arr = np.asarray(arr)
        cols.append((name, arr, "bool" if arr.dtype == bool else "int" if _is_count(name, arr) else "float64"))
    return cols


def csv_sidecar(path: str | Path) -> Path:
    """The JSON file beside a CSV result that holds what rebuilds it: ``r.csv`` -> ``r.csv.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def written_files(path: str | Path) -> list[Path]:
    """The files :func:`save` writes for ``path``: the CSV and its sidecar, else ``path``."""
    path = Path(path)
    return [path, csv_sidecar(path)] if output_format(path) == "csv" else [path]


def to_csv(result: Result, path: str | Path) -> Path:
    """A plain CSV, one row per point under one header row: lat, lon, weight, [label],
    every figure (empty where undefined; ``seen`` 0/1, ``n_access`` whole numbers),
    read as it is by ``pandas.read_csv(path)`` and any CSV reader.  What rebuilds
    the result, its summary and provenance go to the JSON sidecar
    :func:`csv_sidecar` (the document :func:`to_json` writes, with the CSV's row
    count, columns and sha256); the two are replaced together
    (:func:`constellation.files.atomic_write_pair`).  :func:`load_result` reads
    the pair, and refuses a CSV that is not the one its sidecar describes."""
    cols = _csv_columns(result)
    digest = hashlib.sha256()

    def write(tmp):
        with open(tmp, "wb") as f:
            def put(rows):
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\n").writerows(rows)
                data = buf.getvalue().encode("utf-8")
                digest.update(data)
                f.write(data)

            put([[c[0] for c in cols]])
            n = len(result.grid)
            for a in range(0, n, BLOCK_ROWS):
                b = min(n, a + BLOCK_ROWS)
                put(zip(*[list(c[1][a:b]) if c[2] == "str" else _text_column(c[1][a:b], c[2]) for c in cols]))

    def write_sidecar(tmp):
        doc = _json_doc(result)
        doc["csv"] = {"file": Path(path).name, "rows": len(result.grid), "columns": [c[0] for c in cols],
                      "sha256": digest.hexdigest()}
        _dump_json(doc, tmp)

    # Replaced together: a failure or an interruption leaves the earlier pair as it was.
    return atomic_write_pair(path, write, csv_sidecar(path), write_sidecar)


def to_geojson(result: Result, path: str | Path) -> Path:
    """A FeatureCollection of points; properties: weight, [label], every figure (NaN -> null)."""
    g = result.grid
    figs = [(k, np.asarray(v)) for k, v in result.figures.items()]
    head = {"type": "FeatureCollection", "revisit": _spec(result), "summary": _summary(result),
            "provenance": _provenance(result)}

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(head)[:-1] + ', "features": [')
            n = len(g)
            sep = "\n"
            for a in range(0, n, BLOCK_ROWS):
                b = min(n, a + BLOCK_ROWS)
                lat = g.lat_deg[a:b].tolist()
                lon = g.lon_deg[a:b].tolist()
                cols = [("weight", g.weight[a:b].tolist())]
                if g.labels is not None:
                    cols.append(("label", g.labels[a:b]))
                for name, arr in figs:
                    part = arr[a:b]
                    if part.dtype == bool:
                        cols.append((name, part.tolist()))
                    else:
                        vals = part.tolist()
                        for i in np.flatnonzero(~np.isfinite(part)):
                            vals[i] = None
                        cols.append((name, vals))
                for i in range(b - a):
                    feat = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon[i], lat[i]]},
                            "properties": {name: vals[i] for name, vals in cols}}
                    f.write(sep + json.dumps(feat))
                    sep = ",\n"
            f.write("\n]}\n")

    return atomic_write(path, write)


def _json_doc(result: Result) -> dict:
    return {"format": FORMAT, "version": FORMAT_VERSION, "summary": _summary(result),
            "provenance": _provenance(result), "revisit": _spec(result)}


def _dump_json(doc: dict, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def _write_json(doc: dict, path: str | Path) -> Path:
    return atomic_write(path, lambda tmp: _dump_json(doc, tmp))


def to_json(result: Result, path: str | Path) -> Path:
    """The summary and the provenance (and what the result was), without per-point figures."""
    return _write_json(_json_doc(result), path)


# ---------------------------------------------------------------------------- readers
def _check_spec(spec, path) -> dict:
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise InputError("not a revisit result (no revisit-result description in it)", str(path))
    if spec.get("version") not in READS_VERSIONS:
        raise InputError(f"revisit result format version {spec.get('version')!r}; this revisit reads "
                         f"versions {', '.join(map(str, READS_VERSIONS))}", str(path))
    return spec


def _rebuild(spec: dict, lat, lon, weight, labels, figures: dict, provenance: dict, path) -> Result:
    g = spec["grid"]
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    weight = np.ascontiguousarray(weight, dtype=np.float64)
    if not (lat.shape == lon.shape == weight.shape == (g["points"],)):
        raise InputError(f"expected {g['points']} points, found {lat.shape[0]}", str(path))
    shape = tuple(g["shape"]) if g["shape"] is not None else None
    # "kind" (regular, equal-area, points) is absent from files written before equal-area grids:
    # Grid infers it from res_deg as those versions did (regular with a resolution, else points).
    grid = Grid(lat, lon, weight, g["name"], shape, g["res_deg"], list(labels) if labels is not None else None,
                g.get("kind"))
    if not np.array_equal(grid.lat_deg, lat):
        raise InputError("points are not sorted by latitude then longitude", str(path))
    # Exactly as written: no re-normalisation of longitudes or weights.
    grid.lat_deg, grid.lon_deg, grid.weight = lat, lon, weight
    figs = {}
    for name, dtype in spec["figures"].items():
        if name not in figures:
            raise InputError(f"figure {name!r} is missing", str(path))
        figs[name] = np.ascontiguousarray(figures[name]).astype(dtype)
    w = spec["window"]
    window = Window(datetime.fromisoformat(w["start"]), w["duration_s"], w["step_s"])
    targets = [Target(t["name"], t["threshold_s"], t.get("claim", "")) for t in spec["targets"]]
    meta = dict(spec.get("meta") or {})
    refinement = (provenance or {}).get("refinement")
    if refinement and refinement != REFINEMENT and "refinement" not in meta:
        meta["refinement"] = refinement  # the summary reports the refinement that was used
    return Result(spec["name"], grid, window, spec["n_satellites"], list(spec["sensors"]), figs, targets, meta,
                  provenance or {})


def _read_netcdf(path: Path, written: dict | None = None) -> Result:
    import xarray as xr

    with xr.open_dataset(path, decode_times=False, decode_timedelta=False) as ds:
        ds.load()
        spec = _check_spec(json.loads(ds.attrs.get("revisit_result", "null")), path)
        prov = json.loads(ds.attrs.get("revisit_provenance", "{}"))
        _keep_summary(written, ds.attrs.get("revisit_summary"))
        # Per-point values: on (point) with a prefix beside a raster view, on (point)
        # for a point list (and in version 1 files, every grid but a regular one), else on (lat, lon).
        prefix = POINT_PREFIX if ds.attrs.get("revisit_layout") == LAYOUT_RASTER else ""
        if "point" in ds.dims:
            lat, lon = ds[prefix + "lat"].values, ds[prefix + "lon"].values
            labels = [str(x) for x in ds["label"].values] if "label" in ds.variables else None
        else:
            la, lo = ds["lat"].values, ds["lon"].values
            lat, lon = np.repeat(la, lo.size), np.tile(lo, la.size)
            labels = None
        weight = ds[prefix + _WEIGHT_NAME].values.reshape(-1)
        figures = {name: ds[prefix + name].values.reshape(-1) for name in spec["figures"]
                   if prefix + name in ds.variables}
        series = _read_series(ds, datetime.fromisoformat(spec["window"]["start"]))
    result = _rebuild(spec, lat, lon, weight, labels, figures, prov, path)
    result.series = series
    return result


def _csv_header(f, path) -> tuple[dict, dict, dict]:
    """The three '#' lines on top of a version 1 CSV result."""
    found = {}
    for key in (FORMAT, "summary", "provenance"):
        line = f.readline()
        prefix = f"# {key} "
        if not line.startswith(prefix):
            raise InputError(f"not a revisit result (expected a '{prefix.strip()}' line on top)", str(path))
        found[key] = json.loads(line[len(prefix):])
    return _check_spec(found[FORMAT], path), found["summary"], found["provenance"]


def _csv_sidecar_doc(path: Path) -> dict:
    """The sidecar of a CSV result, checked against the CSV's bytes."""
    side = csv_sidecar(path)
    if not side.is_file():
        raise InputError(f"not a revisit result: no {side.name} beside it (the metadata `revisit run --out "
                         "FILE.csv` writes with the CSV)", str(path))
    with _open_errors(side):
        doc = _read_json(side)
    info = doc.get("csv")
    if not isinstance(info, dict) or "sha256" not in info:
        raise InputError("is a result's JSON summary, not a CSV result's sidecar", str(side))
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != info["sha256"]:
        raise InputError(f"is not the CSV its sidecar {side.name} describes (the CSV was changed after it was "
                         "written, or the sidecar is another run's)", str(path))
    return doc


def _read_csv(path: Path, written: dict | None = None) -> Result:
    with open(path, "rb") as f:
        legacy = f.read(len(FORMAT) + 2) == f"# {FORMAT}".encode()
    doc = None if legacy else _csv_sidecar_doc(path)
    with open(path, newline="", encoding="utf-8") as f:
        if legacy:  # version 1: JSON in three '#' lines on top
            spec, summary, prov = _csv_header(f, path)
            first_line = 5
        else:
            spec, prov = _check_spec(doc.get("revisit"), path), doc.get("provenance") or {}
            summary = doc.get("summary")
            first_line = 2
        _keep_summary(written, summary)
        reader = csv.reader(f)
        header = next(reader)
        cols: dict[str, list] = {name: [] for name in header}
        block: list = []

        def flush():
            for j, name in enumerate(header):
                cells = [row[j] for row in block]
                if name == "label":
                    cols[name].extend(cells)
                else:
                    cols[name].append(np.array([float(c) if c else math.nan for c in cells], dtype=np.float64))
            block.clear()

        for lineno, row in enumerate(reader, start=first_line):
            if len(row) != len(header):
                raise InputError(f"{len(row)} fields, the header has {len(header)}", str(path), lineno)
            block.append(row)
            if len(block) == BLOCK_ROWS:
                flush()
        flush()
    arrays = {k: (v if k == "label" else (np.concatenate(v) if v else np.empty(0))) for k, v in cols.items()}
    for need in ("lat", "lon", "weight"):
        if need not in arrays:
            raise InputError(f"no {need!r} column", str(path))
    return _rebuild(spec, arrays["lat"], arrays["lon"], arrays["weight"], arrays.get("label"), arrays, prov, path)


def _read_geojson(path: Path, written: dict | None = None) -> Result:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    spec = _check_spec(doc.get("revisit") if isinstance(doc, dict) else None, path)
    _keep_summary(written, doc.get("summary"))
    feats = doc.get("features") or []
    lon = np.array([ft["geometry"]["coordinates"][0] for ft in feats], dtype=np.float64)
    lat = np.array([ft["geometry"]["coordinates"][1] for ft in feats], dtype=np.float64)
    props = [ft["properties"] for ft in feats]
    weight = np.array([p["weight"] for p in props], dtype=np.float64)
    labels = [p["label"] for p in props] if spec["grid"].get("labels") else None
    figures = {}
    for name, dtype in spec["figures"].items():
        if dtype == "bool":
            figures[name] = np.array([bool(p[name]) for p in props])
        else:
            figures[name] = np.array([math.nan if p[name] is None else p[name] for p in props], dtype=np.float64)
    return _rebuild(spec, lat, lon, weight, labels, figures, doc.get("provenance") or {}, path)


_READERS = {"netcdf": _read_netcdf, "csv": _read_csv, "geojson": _read_geojson}


def _open_errors(path: Path):
    @contextlib.contextmanager
    def guard():
        try:
            yield
        except InputError:
            raise
        except FileNotFoundError:
            raise InputError("file not found", str(path))
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, csv.Error,
                UnicodeDecodeError, StopIteration) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"cannot read it as a revisit {output_format(path)} result ({reason})", str(path))
    return guard()


def load_result(path: str | Path) -> Result:
    """A result written by :func:`save` (.nc, .csv with its sidecar, .geojson), with the
    same figures, grid, window, targets and summary, and its provenance in
    ``Result.provenance``.  A .json file holds the summary only, a GeoTIFF the maps
    and the summary: use :func:`load_summary`."""
    return _load(Path(path))


def _load(path: Path, written: dict | None = None) -> Result:
    """:func:`load_result`; the summary the file was written with goes into ``written``."""
    kind = _result_file_format(path)
    if kind in ("json", "geotiff"):
        what = "the summary and provenance" if kind == "json" else "maps, the summary and provenance"
        raise InputError(f"a .{path.suffix.lower()[1:]} result holds {what} only, not per-point figures: "
                         "write .nc, .csv or .geojson to reload them", str(path))
    with _open_errors(path):
        return _READERS[kind](path, written)


def _read_geotiff(path: Path) -> dict:
    """The summary, provenance and description a GeoTIFF result holds in its tags."""
    require_gis(path)
    import rasterio

    if not path.is_file():
        raise FileNotFoundError(str(path))
    with rasterio.open(path) as src:
        tags = src.tags()
    if "revisit_result" not in tags:
        raise InputError("not a revisit result (no revisit_result tag in it)", str(path))
    spec = _check_spec(json.loads(tags["revisit_result"]), path)
    return {"revisit": spec, "summary": json.loads(tags.get("revisit_summary", "{}")),
            "provenance": json.loads(tags.get("revisit_provenance", "{}"))}


def _result_file_format(path: Path) -> str:
    """:func:`output_format` of a result file to read; a folder is named as one."""
    if path.is_dir():
        raise InputError("is a folder, not a result file (.nc, .csv, .geojson, .json or .tif)", str(path))
    return output_format(path)


def _read_document(path: Path) -> dict | None:
    """The summary and provenance of a .json or GeoTIFF result, as written; None for others."""
    kind = _result_file_format(path)
    if kind not in ("json", "geotiff"):
        return None
    with _open_errors(path):
        return _read_json(path) if kind == "json" else _read_geotiff(path)


def _read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict):
        raise InputError("not a revisit result", str(path))
    _check_spec(doc.get("revisit"), path)
    return doc


def load_summary(path: str | Path) -> dict:
    """The summary of a result file, as ``Result.summary()`` gave it when it was written
    (recomputed from the per-point figures for .nc, .csv and .geojson; stored in .json
    and GeoTIFF files)."""
    path = Path(path)
    doc = _read_document(path)
    if doc is None:
        written: dict = {}
        summary = _load(path, written).summary()
        # What the per-point figures cannot give back (each group's figures, the time series of a
        # CSV or GeoJSON) is taken from the summary the run wrote beside them.
        for key, value in written.items():
            summary.setdefault(key, value)
        return summary
    _check_summary(doc.get("summary"), path)
    return doc["summary"]


def _keep_summary(written: dict | None, summary) -> None:
    """Put the summary a result file was written with (a dict, or its JSON text) into ``written``."""
    if written is not None and summary:
        found = json.loads(summary) if isinstance(summary, str) else summary
        if isinstance(found, dict):
            written.update(found)


def _check_summary(summary, path: Path) -> None:
    """InputError naming the field unless a stored summary holds what the tables
    print, with the right types: times and shares finite numbers >= 0 (or null)."""
    def fail(field, why):
        raise InputError(why, str(path), field=field)

    def number(value, field):
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            fail(field, f"must be a number, got {value!r}")
        if not (math.isfinite(value) and value >= 0):
            fail(field, f"must be a finite number >= 0, got {value!r}")

    def figures(s, where, with_scenario):
        if not isinstance(s, dict):
            fail(where, "missing or not an object")
        if with_scenario and not isinstance(s.get("scenario"), str):
            fail(f"{where}.scenario", "missing or not a string")
        if isinstance(s.get("satellites"), bool) or not isinstance(s.get("satellites"), int):
            fail(f"{where}.satellites", f"must be a whole number, got {s.get('satellites')!r}")
        mrt = s.get("max_revisit_s")
        if not isinstance(mrt, dict):
            fail(f"{where}.max_revisit_s", "missing or not an object")
        for q in ("p50", "p95", "max"):
            if q not in mrt:
                fail(f"{where}.max_revisit_s.{q}", "missing")
            number(mrt[q], f"{where}.max_revisit_s.{q}")
        for key in ("mean_revisit_s", "mean_response_s"):
            if key not in s:
                fail(f"{where}.{key}", "missing")
            number(s[key], f"{where}.{key}")
        targets = s.get("targets")
        if not isinstance(targets, list):
            fail(f"{where}.targets", "missing or not a list")
        for j, t in enumerate(targets):
            at = f"{where}.targets[{j}]"
            if not (isinstance(t, dict) and isinstance(t.get("name"), str) and isinstance(t.get("verdict"), str)):
                fail(at, "needs a name and a verdict (strings)")
            number(t.get("share_met", -1), f"{at}.share_met")

    figures(summary, "summary", True)
    groups = summary.get("groups", [])
    if not isinstance(groups, list):
        fail("summary.groups", "not a list")
    for j, g in enumerate(groups):
        figures(g, f"summary.groups[{j}]", False)


def load_provenance(path: str | Path) -> dict:
    """The provenance stored in a result file."""
    path = Path(path)
    doc = _read_document(path)
    return doc["provenance"] if doc is not None else load_result(path).provenance


# ---------------------------------------------------------------------------- time series
SERIES_FORMAT = "revisit-timeseries"
SERIES_FORMAT_VERSION = 1


def series_columns(series: TimeSeries) -> list[str]:
    """The columns of a time-series CSV: ``time_utc`` then the series."""
    return ["time_utc", *SERIES]


def check_series_path(path: str | Path) -> None:
    """Fail early on a time-series path :func:`to_series_csv` cannot write: one
    not ending in ``.csv`` (a stream excepted), or one :func:`check_writable` refuses."""
    check_writable(path)
    if not is_stream(path) and Path(path).suffix.lower() != ".csv":
        raise InputError(f"a time series is CSV: name the file FILE.csv, not {Path(path).suffix or '(no extension)'!r}",
                         str(path))


def to_series_csv(result: Result, path: str | Path) -> Path:
    """The run's time series as CSV, one row per sample: ``time_utc`` (UTC ISO-8601,
    milliseconds, Z) and the figures of :data:`sim.engine.timeseries.SERIES`;
    beside it, in ``path + '.json'``, the scenario, window, N of ``share_n``,
    the columns' meanings and the CSV's sha256 (both written atomically; to
    standard output, the CSV alone).  ValueError when the result has no series."""
    series = result.series
    if series is None:
        raise ValueError(f"{result.name}: the run kept no time series (run it with timeseries=True)")
    cols = series_columns(series)
    rows = [cols]
    values = [np.asarray(series.values[name]) for name in SERIES]
    for j, when in enumerate(series.times_iso()):
        rows.append([when] + [str(int(v[j])) if name == "max_sats_in_view" else repr(float(v[j]))
                              for name, v in zip(SERIES, values)])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    data = buf.getvalue().encode("utf-8")
    if is_stream(path):
        return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
    doc = {"format": SERIES_FORMAT, "version": SERIES_FORMAT_VERSION, "scenario": result.name,
           "window": {"start": iso_utc(result.window.start), "duration_s": result.window.duration_s,
                      "step_s": result.window.step_s},
           "grid": result.grid.name, "points": len(result.grid), "n_assets": series.n_assets,
           "columns": {"time_utc": "sample instant, UTC", **SERIES},
           "csv": {"file": Path(path).name, "rows": len(series), "sha256": hashlib.sha256(data).hexdigest()}}
    return atomic_write_pair(path, lambda tmp: Path(tmp).write_bytes(data), csv_sidecar(path),
                             lambda tmp: _dump_json(doc, tmp))


def read_series_csv(path: str | Path) -> TimeSeries:
    """A time-series CSV written by :func:`to_series_csv` (its sidecar gives N)."""
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != ["time_utc", *SERIES]:
        raise InputError(f"not a revisit time-series CSV (expected the columns time_utc, {', '.join(SERIES)})",
                         str(path))
    n_assets = 2
    side = csv_sidecar(path)
    if side.is_file():
        n_assets = int(json.loads(side.read_text(encoding="utf-8")).get("n_assets", n_assets))
    try:
        times = [datetime.fromisoformat(r[0].replace("Z", "+00:00")) for r in rows[1:]]
        values = {name: np.array([float(r[j + 1]) for r in rows[1:]]) for j, name in enumerate(SERIES)}
    except (ValueError, IndexError) as exc:
        raise InputError(f"a row is not a time and {len(SERIES)} numbers ({exc})", str(path)) from None
    if not times:
        raise InputError("no samples", str(path))
    values["max_sats_in_view"] = values["max_sats_in_view"].astype(np.int64)
    times_s = np.array([(t - times[0]).total_seconds() for t in times])
    return TimeSeries(times[0], times_s, values, n_assets)
