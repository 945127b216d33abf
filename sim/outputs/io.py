"""Results on disk, and back: NetCDF (CF), CSV, GeoJSON and a JSON summary.

The format follows the file's extension:

- ``.nc``: NetCDF-4 with CF-1.8 conventions.  On a regular grid every per-point
  figure is a variable on (lat, lon); on a point set (a list of targets, a
  land-only grid, an equal-area grid, whose rows differ in length) on (point)
  with lat(point) and lon(point) as auxiliary coordinates (CF
  ``featureType = "point"``); the attribute ``grid_kind`` says which.  Units
  and long names on every variable; ``area_weight`` holds each point's share of
  the area.
- ``.csv``: one row per point (lat, lon, weight, [label], every figure), after
  three comment lines starting with ``#`` that hold, as JSON, what rebuilds the
  result, its summary and its provenance (``pandas.read_csv(path, comment="#")``).
- ``.geojson``: a FeatureCollection of Point features whose properties are the
  point's weight and figures; the same three JSON objects ride along as foreign
  members ``revisit``, ``summary`` and ``provenance``.
- ``.json``: the summary and the provenance only (no per-point figures).

Floats are written so that they read back bit for bit (shortest round-trip
text in CSV and (Geo)JSON), so :func:`load_result` gives the same figures,
grid, window and targets and ``Result.summary()`` the same numbers as the run
that wrote the file.  Every write goes to a temporary file in the target's
folder that replaces the target only once complete (:func:`atomic_write`): a
failed or interrupted write leaves no partial file and an existing file as
it was.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
from datetime import datetime
from pathlib import Path

import numpy as np

from constellation.errors import InputError
from constellation.files import atomic_write, check_writable, is_stream
from sim.engine.grid import Grid
from sim.engine.metrics import FIGURES, REFINEMENT, Target
from sim.engine.propagate import Window
from sim.engine.result import Result, jsonable

FORMAT = "revisit-result"
FORMAT_VERSION = 1
FORMATS = {".nc": "netcdf", ".csv": "csv", ".geojson": "geojson", ".json": "json"}
# Rows converted to text at a time (CSV, GeoJSON): bounds the writers' memory.
BLOCK_ROWS = 65536

_LAT_ATTRS = {"standard_name": "latitude", "long_name": "geodetic latitude (WGS-84) of the grid point",
              "units": "degrees_north", "axis": "Y"}
_LON_ATTRS = {"standard_name": "longitude", "long_name": "longitude of the grid point", "units": "degrees_east",
              "axis": "X"}
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
    folder given as the file (:func:`constellation.files.check_writable`)."""
    check_writable(path)
    output_format(path)


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
    """Write ``result`` in the format its extension names (.nc, .csv, .geojson, .json)."""
    writer = {"netcdf": to_netcdf, "csv": to_csv, "geojson": to_geojson, "json": to_json}[output_format(path)]
    return writer(result, path)


def _dataset(result: Result):
    import xarray as xr

    g = result.grid
    axes = _regular_axes(g)
    if axes is not None:
        dims = ("lat", "lon")
        coords = {"lat": ("lat", axes[0], _LAT_ATTRS), "lon": ("lon", axes[1], _LON_ATTRS)}

        def shaped(a):
            return np.asarray(a).reshape(g.shape)
    else:
        dims = ("point",)
        coords = {"lat": ("point", g.lat_deg, {k: v for k, v in _LAT_ATTRS.items() if k != "axis"}),
                  "lon": ("point", g.lon_deg, {k: v for k, v in _LON_ATTRS.items() if k != "axis"})}
        if g.labels is not None:
            coords["label"] = ("point", np.array(g.labels, dtype=object), {"long_name": "name of the point"})

        def shaped(a):
            return np.asarray(a)
    data = {_WEIGHT_NAME: (dims, shaped(g.weight), {
        "long_name": "share of the grid's area the point stands for (cell area; weights sum to 1)",
        "units": "1"})}
    for name, arr in result.figures.items():
        arr = np.asarray(arr)
        if arr.dtype == bool:
            data[name] = (dims, shaped(arr.astype(np.int8)), {
                "long_name": "whether any satellite accessed the point in the window",
                "flag_values": np.array([0, 1], np.int8), "flag_meanings": "never_accessed accessed"})
        else:
            data[name] = (dims, shaped(arr), {"long_name": FIGURES.get(name, name), "units": _units(name)})
    spec = _spec(result)
    prov = _provenance(result)
    attrs = {
        "Conventions": "CF-1.8",
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
        "refinement": REFINEMENT,
        "revisit_format": FORMAT,
        "revisit_format_version": FORMAT_VERSION,
        "revisit_result": json.dumps(spec),
        "revisit_summary": json.dumps(_summary(result)),
        "revisit_provenance": json.dumps(prov),
    }
    if axes is None:
        attrs["featureType"] = "point"
    ds = xr.Dataset(data, coords=coords, attrs=attrs)
    encoding = {k: {"_FillValue": None} for k in ("lat", "lon", _WEIGHT_NAME)}
    for name in result.figures:
        encoding[name] = {"zlib": True, "complevel": 4}
        if np.asarray(result.figures[name]).dtype == bool:
            encoding[name]["_FillValue"] = None
    return ds, encoding


def to_netcdf(result: Result, path: str | Path) -> Path:
    """NetCDF-4 (CF-1.8): figures on (lat, lon) for a regular grid, on (point) otherwise."""
    ds, encoding = _dataset(result)
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, mode="w", format="NETCDF4", engine="netcdf4",
                                                       encoding=encoding))


def _text_column(arr: np.ndarray, dtype: str) -> list:
    """Values as CSV cells: shortest round-trip floats, '' for NaN, 0/1 for booleans."""
    if dtype == "bool":
        return np.asarray(arr, dtype=np.int8).tolist()
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
        cols.append((name, arr, "bool" if arr.dtype == bool else "float64"))
    return cols


def to_csv(result: Result, path: str | Path) -> Path:
    """One row per point: lat, lon, weight, [label], every figure; JSON in '#' lines on top."""
    cols = _csv_columns(result)
    head = [f"# {FORMAT} {json.dumps(_spec(result))}", f"# summary {json.dumps(_summary(result))}",
            f"# provenance {json.dumps(_provenance(result))}"]

    def write(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            f.write("\n".join(head) + "\n")
            w = csv.writer(f, lineterminator="\n")
            w.writerow([c[0] for c in cols])
            n = len(result.grid)
            for a in range(0, n, BLOCK_ROWS):
                b = min(n, a + BLOCK_ROWS)
                w.writerows(zip(*[list(c[1][a:b]) if c[2] == "str" else _text_column(c[1][a:b], c[2])
                                  for c in cols]))

    return atomic_write(path, write)


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


def to_json(result: Result, path: str | Path) -> Path:
    """The summary and the provenance (and what the result was), without per-point figures."""
    doc = {"format": FORMAT, "version": FORMAT_VERSION, "summary": _summary(result),
           "provenance": _provenance(result), "revisit": _spec(result)}

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")

    return atomic_write(path, write)


# ---------------------------------------------------------------------------- readers
def _check_spec(spec, path) -> dict:
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise InputError("not a revisit result (no revisit-result description in it)", str(path))
    if spec.get("version") != FORMAT_VERSION:
        raise InputError(f"revisit result format version {spec.get('version')!r}; this revisit reads "
                         f"version {FORMAT_VERSION}", str(path))
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


def _read_netcdf(path: Path) -> Result:
    import xarray as xr

    with xr.open_dataset(path, decode_times=False, decode_timedelta=False) as ds:
        ds.load()
        spec = _check_spec(json.loads(ds.attrs.get("revisit_result", "null")), path)
        prov = json.loads(ds.attrs.get("revisit_provenance", "{}"))
        if "point" in ds.dims:
            lat, lon = ds["lat"].values, ds["lon"].values
            labels = [str(x) for x in ds["label"].values] if "label" in ds.variables else None
        else:
            la, lo = ds["lat"].values, ds["lon"].values
            lat, lon = np.repeat(la, lo.size), np.tile(lo, la.size)
            labels = None
        weight = ds[_WEIGHT_NAME].values.reshape(-1)
        figures = {name: ds[name].values.reshape(-1) for name in spec["figures"] if name in ds.variables}
    return _rebuild(spec, lat, lon, weight, labels, figures, prov, path)


def _csv_header(f, path) -> tuple[dict, dict, dict]:
    found = {}
    for key in (FORMAT, "summary", "provenance"):
        line = f.readline()
        prefix = f"# {key} "
        if not line.startswith(prefix):
            raise InputError(f"not a revisit result (expected a '{prefix.strip()}' line on top)", str(path))
        found[key] = json.loads(line[len(prefix):])
    return _check_spec(found[FORMAT], path), found["summary"], found["provenance"]


def _read_csv(path: Path) -> Result:
    with open(path, newline="", encoding="utf-8") as f:
        spec, _, prov = _csv_header(f, path)
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

        for lineno, row in enumerate(reader, start=5):
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


def _read_geojson(path: Path) -> Result:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    spec = _check_spec(doc.get("revisit") if isinstance(doc, dict) else None, path)
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
    """A result written by :func:`save` (.nc, .csv, .geojson), with the same figures,
    grid, window, targets and summary, and its provenance in ``Result.provenance``.
    A .json file holds the summary only: use :func:`load_summary`."""
    path = Path(path)
    kind = output_format(path)
    if kind == "json":
        raise InputError("a .json result holds the summary and provenance only, not per-point figures: "
                         "write .nc, .csv or .geojson to reload them", str(path))
    with _open_errors(path):
        return _READERS[kind](path)


def _read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict):
        raise InputError("not a revisit result", str(path))
    _check_spec(doc.get("revisit"), path)
    return doc


def load_summary(path: str | Path) -> dict:
    """The summary of a result file, as ``Result.summary()`` gave it when it was written
    (recomputed from the per-point figures for .nc, .csv and .geojson)."""
    path = Path(path)
    if output_format(path) == "json":
        with _open_errors(path):
            return _read_json(path)["summary"]
    return load_result(path).summary()


def load_provenance(path: str | Path) -> dict:
    """The provenance stored in a result file."""
    path = Path(path)
    if output_format(path) == "json":
        with _open_errors(path):
            return _read_json(path)["provenance"]
    return load_result(path).provenance
