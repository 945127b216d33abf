"""Land/ocean from the 1 km GLOBE land mask that the ``global-land-mask`` package ships.

Used for land-only grids (:meth:`sim.engine.grid.Grid.land`) and for the coastlines on
maps (:func:`coastlines`), both offline: the mask is a 2.5 MB file inside the
pip package (NOAA's GLOBE 30 arc-second mask, 21600 x 43200 pixels; lakes
count as land).  Nothing is downloaded at run time.

The package's own ``import global_land_mask`` keeps the whole 933 MB boolean
array alive for the process; here the file is read once, reduced at once to
land counts per 1/20-degree cell (26 MB) and the full array is dropped.
Everything below works from those counts, rows south to north, columns west
to east from -180 deg.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from sim.engine.geodesy import global_shape

PIXELS_PER_DEG = 120          # the GLOBE mask: 30 arc-seconds
BASE_PER_DEG = 20             # the counts kept: 1/20 deg cells of 6 x 6 pixels
_BLOCK = PIXELS_PER_DEG // BASE_PER_DEG
_MASK_FILE = "globe_combined_mask_compressed.npz"


def mask_path() -> Path:
    """The mask file inside the installed ``global-land-mask`` package (not imported)."""
    spec = importlib.util.find_spec("global_land_mask")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("land masks and coastlines need the 'global-land-mask' package "
                                  "(pip install global-land-mask)")
    return Path(list(spec.submodule_search_locations)[0]) / _MASK_FILE


def _cache_file(src: Path) -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "revisit" / f"land_counts_{BASE_PER_DEG}_{src.stat().st_size}.npz"


@lru_cache(maxsize=1)
def base_counts() -> np.ndarray:
    """Land pixels (0..36) per 1/20 deg cell: uint8 (3600, 7200), row 0 the southernmost
    (-90..-89.95 deg), column 0 at -180..-179.95 deg.

    Reading the 1 km mask takes seconds and 1 GB; the counts are kept in the
    user's cache folder (~/.cache/revisit, 1 MB) for the next process, and
    rebuilt whenever that file is missing or unreadable.
    """
    src = mask_path()
    cache = _cache_file(src)
    try:
        with np.load(cache) as data:
            counts = data["counts"]
        if counts.shape == (180 * BASE_PER_DEG, 360 * BASE_PER_DEG) and counts.dtype == np.uint8:
            return counts
    except (OSError, ValueError, KeyError):
        pass
    counts = _read_counts(src)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez_compressed(tmp, counts=counts)
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only home: recompute next time
    return counts


def _read_counts(src: Path) -> np.ndarray:
    with np.load(src) as data:
        ocean = data["mask"]          # (21600, 43200) bool, True = ocean, row 0 at +90 deg
        lat = data["lat"]
        lon = data["lon"]
    if not (lat[0] > lat[-1] and lon[0] < lon[-1]) or ocean.shape != (180 * PIXELS_PER_DEG,
                                                                       360 * PIXELS_PER_DEG):
        raise RuntimeError(f"unexpected layout of {_MASK_FILE}")
    n_lat, n_lon = 180 * BASE_PER_DEG, 360 * BASE_PER_DEG
    counts = _BLOCK * _BLOCK - ocean.reshape(n_lat, _BLOCK, n_lon, _BLOCK).sum(axis=(1, 3), dtype=np.uint8)
    del ocean
    return np.ascontiguousarray(counts[::-1])


def _cell_ranges(edges_deg: np.ndarray, origin_deg: float, n_base: int) -> tuple[np.ndarray, np.ndarray]:
    """Base-cell index ranges [a, b) of cells between consecutive edges (at least one base cell each)."""
    idx = np.rint((np.asarray(edges_deg, dtype=float) - origin_deg) * BASE_PER_DEG).astype(np.int64)
    a = np.clip(idx[:-1], 0, n_base - 1)
    b = np.clip(np.maximum(idx[1:], a + 1), 1, n_base)
    return a, b


def _fraction(ra, rb, ca, cb) -> np.ndarray:
    """Land share of the cells [ra, rb) x [ca, cb) of base cells: (len(ra), len(ca))."""
    counts = base_counts()
    rows = np.empty((len(ra), counts.shape[1]), np.int64)          # land pixels per base column
    for k, (a, b) in enumerate(zip(ra, rb)):
        rows[k] = counts[a:b].sum(axis=0, dtype=np.int64)
    cum_c = np.zeros((rows.shape[0], rows.shape[1] + 1), np.int64)
    np.cumsum(rows, axis=1, out=cum_c[:, 1:])
    land = cum_c[:, cb] - cum_c[:, ca]
    pixels = (rb - ra)[:, None] * (cb - ca)[None, :] * (_BLOCK * _BLOCK)
    return land / pixels


def land_fraction_cells(lat_edges_deg, lon_edges_deg) -> np.ndarray:
    """Land share (0..1) of each cell of a lat/lon grid given by its edges (ascending,
    latitudes within [-90, 90], longitudes within [-180, 180]): (n_lat, n_lon).

    Cell edges are rounded to the 1/20 deg base; a cell smaller than that takes
    the base cell it starts in.
    """
    counts = base_counts()
    ra, rb = _cell_ranges(lat_edges_deg, -90.0, counts.shape[0])
    ca, cb = _cell_ranges(lon_edges_deg, -180.0, counts.shape[1])
    return _fraction(ra, rb, ca, cb)


def land_fraction_at(lat_deg, lon_deg, res_deg: float) -> np.ndarray:
    """Land share of the cells of the global regular res_deg grid (as in
    :meth:`sim.engine.grid.Grid.regular`: round(180/res) rows, round(360/res) columns)
    that hold the given points."""
    counts = base_counts()
    n_lat, n_lon = global_shape(res_deg)
    lat = np.asarray(lat_deg, dtype=float)
    lon = (np.asarray(lon_deg, dtype=float) + 180.0) % 360.0 - 180.0
    i = np.clip(np.floor((lat + 90.0) / (180.0 / n_lat)).astype(np.int64), 0, n_lat - 1)
    j = np.clip(np.floor((lon + 180.0) / (360.0 / n_lon)).astype(np.int64), 0, n_lon - 1)
    rows, row_of = np.unique(i, return_inverse=True)
    ra, rb = _cell_ranges(np.linspace(-90.0, 90.0, n_lat + 1), -90.0, counts.shape[0])
    ca, cb = _cell_ranges(np.linspace(-180.0, 180.0, n_lon + 1), -180.0, counts.shape[1])
    table = _fraction(ra[rows], rb[rows], ca, cb)   # only the rows that hold points
    return table[row_of.reshape(i.shape), j]


def is_land(lat_deg, lon_deg) -> np.ndarray:
    """Whether each point lies on land (the 1/20 deg cell holding it is mostly land)."""
    counts = base_counts()
    lat = np.asarray(lat_deg, dtype=float)
    lon = (np.asarray(lon_deg, dtype=float) + 180.0) % 360.0 - 180.0
    i = np.clip(np.floor((lat + 90.0) * BASE_PER_DEG).astype(np.int64), 0, counts.shape[0] - 1)
    j = np.clip(np.floor((lon + 180.0) * BASE_PER_DEG).astype(np.int64), 0, counts.shape[1] - 1)
    return counts[i, j] * 2 > _BLOCK * _BLOCK


@lru_cache(maxsize=4)
def coastlines(res_deg: float = 0.1, min_vertices: int = 4) -> tuple[np.ndarray, ...]:
    """Coastlines as polylines of (lon_deg, lat_deg) vertices: the 50 % contour of the
    land share of res_deg cells (lines with fewer than ``min_vertices`` left out)."""
    import contourpy

    n_lat, n_lon = global_shape(res_deg)
    frac = land_fraction_cells(np.linspace(-90, 90, n_lat + 1), np.linspace(-180, 180, n_lon + 1))
    lat_c = -90.0 + (np.arange(n_lat) + 0.5) * 180.0 / n_lat
    lon_c = -180.0 + (np.arange(n_lon) + 0.5) * 360.0 / n_lon
    gen = contourpy.contour_generator(lon_c, lat_c, frac, line_type=contourpy.LineType.Separate)
    return tuple(line for line in gen.lines(0.5) if len(line) >= min_vertices)
