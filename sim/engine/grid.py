"""Ground-point grids: sets of points with area weights, sorted into latitude rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from constellation.scenario import GRID_KINDS  # what a user builds: "regular", "equal-area" (Grid.build)
from sim.engine.geodesy import ecef_to_geodetic, geodetic_to_ecef, global_shape  # noqa: F401  (re-exported)

# Grid.kind: the cells whose centres the points are ("points": a plain point list).
KINDS = GRID_KINDS + ("points",)


@dataclass
class Grid:
    """Ground points (geodetic lat/lon in degrees) with area weights summing to 1.

    Grids (regular, equal-area and their subsets) are kept sorted by latitude
    then longitude (longitudes in [-180, 180)); ``shape`` is (n_lat, n_lon) for
    a regular grid, so per-point arrays can be reshaped into maps, and None for
    point lists.

    A point list (kind "points") keeps the order and the coordinates it was
    given (longitudes within [-180, 180] as given, others wrapped into
    [-180, 180)), so that per-point results line up with the user's list.  The
    kernels need the points sorted by latitude then longitude: ``order`` is
    that sorting permutation (None when the list is already in kernel order),
    :meth:`kernel_grid` the sorted copy that :meth:`rows` and :meth:`blocks`
    describe, and :meth:`from_kernel_order` puts per-point values computed on
    it back in this grid's order.  ``sim.engine.run.run`` does both.

    ``kind`` says whose cell centres the points are, so that maps and files know
    the layout: "regular" (:meth:`regular`, and its subsets: land-only, regions),
    "equal-area" (:meth:`equal_area` and its subsets; rows of different lengths,
    ``shape`` None) or "points" (a list without cells).  Left out, it is
    "regular" when ``res_deg`` is given, else "points".
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    weight: np.ndarray
    name: str = "points"
    shape: tuple[int, int] | None = None
    res_deg: float | None = None
    labels: list[str] | None = None
    kind: str | None = None
    _rows: dict = field(default=None, repr=False)
    order: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.kind is None:
            self.kind = "regular" if self.res_deg is not None else "points"
        if self.kind not in KINDS:
            raise ValueError(f"unknown grid kind {self.kind!r} (known: {', '.join(KINDS)})")
        if self.kind != "points" and self.res_deg is None:
            raise ValueError(f"a {self.kind} grid needs its resolution (res_deg)")
        if self.kind == "equal-area" and self.shape is not None:
            raise ValueError("an equal-area grid has rows of different lengths: its shape must be None")
        self.lat_deg = np.asarray(self.lat_deg, dtype=float)
        lon = np.asarray(self.lon_deg, dtype=float)
        if self.kind == "points":
            # The user's longitude stays as given within [-180, 180]; only others are wrapped.
            self.lon_deg = np.where(np.abs(lon) <= 180.0, lon, (lon + 180.0) % 360.0 - 180.0)
        else:
            self.lon_deg = (lon + 180.0) % 360.0 - 180.0
        self.weight = np.asarray(self.weight, dtype=float)
        if not (self.lat_deg.shape == self.lon_deg.shape == self.weight.shape) or self.lat_deg.ndim != 1:
            raise ValueError("lat_deg, lon_deg and weight must be 1-D arrays of one length")
        if self.lat_deg.size == 0:
            raise ValueError("a grid needs at least one point")
        if np.any(np.abs(self.lat_deg) > 90) or not np.all(np.isfinite(self.lat_deg + self.lon_deg)):
            raise ValueError("latitudes must be finite and within [-90, 90]")
        if not np.all(np.isfinite(self.weight)) or np.any(self.weight < 0) or self.weight.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        if self.labels is not None and len(self.labels) != self.lat_deg.size:
            raise ValueError(f"{len(self.labels)} labels for {self.lat_deg.size} points: give one label per point")
        if self.kind == "points":
            order = np.lexsort((_kernel_lon(self.lon_deg), self.lat_deg))
            in_order = np.array_equal(order, np.arange(order.size)) and not np.any(self.lon_deg == 180.0)
            self.order = None if in_order else order
            self.weight = self.weight / self.weight.sum()
            return
        order = np.lexsort((self.lon_deg, self.lat_deg))
        if not np.array_equal(order, np.arange(order.size)):
            if self.shape is not None:
                raise ValueError("a regular grid must be given sorted by latitude then longitude")
            self.lat_deg = self.lat_deg[order]
            self.lon_deg = self.lon_deg[order]
            self.weight = self.weight[order]
            if self.labels is not None:
                self.labels = [self.labels[i] for i in order]
        self.weight = self.weight / self.weight.sum()

    def __len__(self) -> int:
        return self.lat_deg.size

    # ------------------------------------------------------------------ builders
    @classmethod
    def regular(cls, res_deg: float, lat_min_deg: float = -90.0, lat_max_deg: float = 90.0,
                name: str | None = None) -> "Grid":
        """Cell centres of a global res x res degree grid, rows with centres inside
        [lat_min_deg, lat_max_deg]; weights are exact spherical cell areas."""
        if not (res_deg > 0) or res_deg > 90:
            raise ValueError(f"grid resolution must be in (0, 90] deg, got {res_deg}")
        if not (-90 <= lat_min_deg < lat_max_deg <= 90):
            raise ValueError(f"need -90 <= lat_min < lat_max <= 90, got {lat_min_deg}, {lat_max_deg}")
        n_lat, n_lon = global_shape(res_deg)
        dlat = 180.0 / n_lat
        dlon = 360.0 / n_lon
        lats = -90.0 + dlat * (np.arange(n_lat) + 0.5)
        lats = lats[(lats >= lat_min_deg) & (lats <= lat_max_deg)]
        if lats.size == 0:
            raise ValueError(f"no grid rows between {lat_min_deg} and {lat_max_deg} deg at {res_deg} deg: the "
                         "latitude band (lat_min_deg and lat_max_deg in [grid], --lat-min and --lat-max) must "
                         "hold a row's centre")
        lons = -180.0 + dlon * (np.arange(n_lon) + 0.5)
        band = np.sin(np.radians(lats + dlat / 2)) - np.sin(np.radians(lats - dlat / 2))
        lat2 = np.repeat(lats, n_lon)
        lon2 = np.tile(lons, lats.size)
        w = np.repeat(band, n_lon)
        label = name or (f"global {res_deg:g} deg" if lats.size == n_lat
                         else f"{res_deg:g} deg, lat {lat_min_deg:g}..{lat_max_deg:g}")
        return cls(lat2, lon2, w, label, (lats.size, n_lon), res_deg)

    @classmethod
    def equal_area(cls, res_deg: float, lat_min_deg: float = -90.0, lat_max_deg: float = 90.0,
                   name: str | None = None) -> "Grid":
        """Cells of about equal area: the latitude rows of :meth:`regular` (round(180/res)
        rows, the same rows kept by [lat_min_deg, lat_max_deg]), row i cut into
        :func:`equal_area_row_counts` cells of equal width (as near as a whole number
        allows to the area of a res x res cell at the equator; 3 in the polar caps),
        a point at each cell's centre.  Weights are the exact spherical cell areas.

        About 4 pi / res^2 points (res in radians): 41,252 at 1 deg and 660,064 at
        0.25 deg against 64,800 and 1,036,800 on the regular grid, which crowds
        its points towards the poles by 1/cos(latitude).  Every row is uniform
        around the full circle, so the kernels visit its points by index."""
        lats, band, counts = _equal_area_rows(res_deg, lat_min_deg, lat_max_deg)
        lat2 = np.repeat(lats, counts)
        lon2 = np.concatenate([-180.0 + (np.arange(n) + 0.5) * (360.0 / n) for n in counts])
        w = np.repeat(band / counts, counts)
        n_lat = global_shape(res_deg)[0]
        label = name or (f"global {res_deg:g} deg equal-area" if lats.size == n_lat
                         else f"{res_deg:g} deg equal-area, lat {lat_min_deg:g}..{lat_max_deg:g}")
        return cls(lat2, lon2, w, label, None, res_deg, None, "equal-area")

    @classmethod
    def build(cls, res_deg: float, lat_min_deg: float = -90.0, lat_max_deg: float = 90.0,
              kind: str = "regular", land_only: bool = False, name: str | None = None) -> "Grid":
        """The grid a scenario or the command line asks for: ``kind`` "regular"
        (:meth:`regular`) or "equal-area" (:meth:`equal_area`), land cells only
        (:meth:`land`) when ``land_only``."""
        if kind not in GRID_KINDS:
            raise ValueError(f"unknown grid kind {kind!r} (known: {', '.join(GRID_KINDS)})")
        if land_only:
            return cls.land(res_deg, lat_min_deg, lat_max_deg, name=name, kind=kind)
        builder = cls.regular if kind == "regular" else cls.equal_area
        return builder(res_deg, lat_min_deg, lat_max_deg, name)

    @classmethod
    def points(cls, lat_deg, lon_deg, weight=None, labels=None, name: str = "points") -> "Grid":
        """An explicit list of points (targets); equal weights unless given."""
        lat_deg = np.atleast_1d(np.asarray(lat_deg, dtype=float))
        w = np.ones_like(lat_deg) if weight is None else weight
        return cls(lat_deg, np.atleast_1d(lon_deg), np.asarray(w, dtype=float), name, None, None,
                   list(labels) if labels is not None else None)

    @classmethod
    def land(cls, res_deg: float, lat_min_deg: float = -90.0, lat_max_deg: float = 90.0,
             min_land_share: float = 0.5, name: str | None = None, kind: str = "regular") -> "Grid":
        """The cells of :meth:`regular` (or of :meth:`equal_area`, ``kind="equal-area"``)
        whose land share is at least ``min_land_share`` (1 km GLOBE mask of the
        ``global-land-mask`` package; lakes count as land).  Each point keeps its
        cell's true area as weight (normalised over the land cells)."""
        from sim.engine.landmask import land_fraction_at, land_fraction_cells

        if kind == "regular":
            full = cls.regular(res_deg, lat_min_deg, lat_max_deg)
            share = land_fraction_at(full.lat_deg, full.lon_deg, res_deg)
        elif kind == "equal-area":
            full = cls.equal_area(res_deg, lat_min_deg, lat_max_deg)
            lats, _, counts = _equal_area_rows(res_deg, lat_min_deg, lat_max_deg)
            half = 90.0 / global_shape(res_deg)[0]
            share = np.concatenate([land_fraction_cells([lat - half, lat + half],
                                                        np.linspace(-180.0, 180.0, n + 1))[0]
                                    for lat, n in zip(lats, counts)])
        else:
            raise ValueError(f"unknown grid kind {kind!r} (known: {', '.join(GRID_KINDS)})")
        keep = share >= min_land_share if min_land_share > 0 else share > 0
        if not keep.any():
            raise ValueError(f"no land cells (land share >= {min_land_share:g}) between {lat_min_deg:g} and "
                             f"{lat_max_deg:g} deg at {res_deg:g} deg")
        label = name or f"land, {full.name}"
        return full.subset(keep, label)

    def subset(self, mask, name: str | None = None) -> "Grid":
        """The points where ``mask`` is true, each keeping its weight (renormalised).

        The result is a point set (``shape`` None: its rows may have gaps) in this
        grid's order (a grid's stays sorted by latitude then longitude), keeping
        ``res_deg`` and ``kind``, so that :meth:`raster` places a subset back on
        the map.
        """
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != self.lat_deg.shape:
            raise ValueError(f"mask has shape {mask.shape}, the grid {self.lat_deg.shape}")
        if not mask.any():
            raise ValueError("the subset has no points")
        labels = [lb for lb, m in zip(self.labels, mask) if m] if self.labels is not None else None
        return type(self)(self.lat_deg[mask], self.lon_deg[mask], self.weight[mask], name or self.name, None,
                          self.res_deg, labels, self.kind)

    def cell_index(self) -> tuple[np.ndarray, np.ndarray, tuple[int, int]] | None:
        """Row (from the south) and column (from -180 deg) of each point's cell in the
        global regular grid at ``res_deg``, and that grid's (n_lat, n_lon); None for a
        point list without a resolution.  On a regular grid (and its subsets: land-only,
        latitude bands) that cell is the point's own; :meth:`raster` draws any kind."""
        if self.res_deg is None:
            return None
        n_lat, n_lon = global_shape(self.res_deg)
        i = np.floor((self.lat_deg + 90.0) / (180.0 / n_lat)).astype(np.int64)
        j = np.floor((self.lon_deg + 180.0) / (360.0 / n_lon)).astype(np.int64)
        return np.clip(i, 0, n_lat - 1), np.clip(j, 0, n_lon - 1), (n_lat, n_lon)

    def raster(self, values, fill: float = np.nan) -> np.ndarray | None:
        """Per-point ``values`` as the (n_lat, n_lon) image of the global regular grid
        at ``res_deg`` (row 0 the southernmost, column 0 at -180 deg); ``fill`` where
        no point stands for the cell.  None for a point list (kind "points").

        A regular grid (or a subset) puts each point in its own cell.  On an
        equal-area grid (or a subset) each raster cell takes the value of the point
        whose equal-area cell holds the raster cell's centre: a global grid fills
        the image without holes, each point over its own cell's longitudes."""
        if self.kind == "points" or self.res_deg is None:
            return None
        values = np.asarray(values)
        if values.shape != self.lat_deg.shape:
            raise ValueError(f"values have shape {values.shape}, the grid {self.lat_deg.shape}")
        n_lat, n_lon = global_shape(self.res_deg)
        dtype = np.result_type(values.dtype, np.asarray(fill).dtype)
        img = np.full((n_lat, n_lon), fill, dtype=dtype)
        if self.kind == "regular":
            i, j, _ = self.cell_index()
            img[i, j] = values
            return img
        counts = equal_area_row_counts(self.res_deg)
        offsets = np.r_[0, np.cumsum(counts)]
        i = np.clip(np.floor((self.lat_deg + 90.0) / (180.0 / n_lat)).astype(np.int64), 0, n_lat - 1)
        k = np.clip(np.floor((self.lon_deg + 180.0) * counts[i] / 360.0).astype(np.int64), 0, counts[i] - 1)
        owner = np.full(offsets[-1], -1, np.int64)  # cell of the full equal-area grid -> point
        owner[offsets[i] + k] = np.arange(len(self))
        cols = np.floor((np.arange(n_lon) + 0.5)[None, :] * counts[:, None] / n_lon).astype(np.int64)
        pick = owner[offsets[:-1, None] + np.minimum(cols, counts[:, None] - 1)]
        has = pick >= 0
        img[has] = values[pick[has]]
        return img

    # ------------------------------------------------------------------ kernel view
    def kernel_grid(self) -> "Grid":
        """The grid the kernels run on: this one when its points are in kernel order
        (sorted by latitude then longitude, longitudes in [-180, 180)), else a
        sorted copy (a point list given in another order) with the same weights."""
        if self.order is None:
            return self
        o = self.order
        labels = [self.labels[i] for i in o] if self.labels is not None else None
        kernel = type(self)(self.lat_deg[o], _kernel_lon(self.lon_deg[o]), self.weight[o], self.name, None,
                            self.res_deg, labels, self.kind)
        kernel.weight = self.weight[o]  # as they are here, not renormalised over another summation order
        return kernel

    def from_kernel_order(self, values) -> np.ndarray:
        """Per-point ``values`` computed on :meth:`kernel_grid` in this grid's order."""
        values = np.asarray(values)
        if self.order is None:
            return values
        out = np.empty_like(values)
        out[self.order] = values
        return out

    def rows(self) -> dict:
        """Row structure the kernels use (cached): points grouped by latitude."""
        if self._rows is not None:
            return self._rows
        lat = self.lat_deg
        starts = np.flatnonzero(np.r_[True, lat[1:] != lat[:-1]])
        counts = np.diff(np.r_[starts, lat.size])
        xyz, up = geodetic_to_ecef(self.lat_deg, self.lon_deg)
        geoc = np.arctan2(xyz[starts, 2], np.hypot(xyz[starts, 0], xyz[starts, 1]))
        lon = np.radians(self.lon_deg)
        row_lon0 = np.zeros(starts.size)
        row_dlon = np.zeros(starts.size)
        for r, (a, c) in enumerate(zip(starts, counts)):
            if c >= 2:
                step = 2 * math.pi / c
                expected = lon[a] + step * np.arange(c)
                if np.allclose(lon[a:a + c], expected, rtol=0, atol=1e-9):
                    row_lon0[r] = lon[a]
                    row_dlon[r] = step
        radius = np.linalg.norm(xyz, axis=1)
        phat = xyz / radius[:, None]
        self._rows = dict(pxyz=np.ascontiguousarray(xyz), nxyz=np.ascontiguousarray(up),
                          phat=np.ascontiguousarray(phat), pt_lon=lon, row_radius=radius[starts],
                          row_start=starts.astype(np.int64), row_count=counts.astype(np.int64),
                          row_geoc_lat=geoc, row_lon0=row_lon0, row_dlon=row_dlon)
        return self._rows

    def blocks(self, n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
        """Point -> index within its block, and block sizes, for rows dealt round-robin."""
        rows = self.rows()
        local = np.empty(len(self), np.int64)
        sizes = np.zeros(n_blocks, np.int64)
        for r, (a, c) in enumerate(zip(rows["row_start"], rows["row_count"])):
            b = r % n_blocks
            local[a:a + c] = sizes[b] + np.arange(c)
            sizes[b] += c
        return local, sizes

    def uses_point_bands(self) -> bool:
        """Whether the kernel reads this grid by point bands (:meth:`kernel_rows`'
        default): where its rows hold fewer than two points on average."""
        return 2 * self.rows()["row_start"].size > len(self)

    def kernel_rows(self, n_blocks: int, point_bands: bool | None = None):
        """The grid as the coverage kernel reads it (:class:`sim.kernels.coverage.GridRows`),
        rows dealt round-robin to ``n_blocks`` blocks.

        ``point_bands``: also list the points by latitude band and longitude, so
        that the kernel finds a step's points directly rather than row by row
        (same figures); by default where rows hold fewer than two points on
        average (point lists, whose every site is mostly its own row)."""
        from sim.kernels.coverage import GridRows

        rows = self.rows()
        local_idx, block_sizes = self.blocks(n_blocks)
        first = rows["row_start"]
        cos_deflection = np.sum(rows["nxyz"][first] * rows["phat"][first], axis=1)
        deflection = np.arccos(np.clip(cos_deflection, -1.0, 1.0))
        if point_bands is None:
            point_bands = self.uses_point_bands()
        if point_bands:
            band_start, band_pts, band_lon, pt_row = _point_bands(rows, n_blocks)
            band_phat = np.ascontiguousarray(rows["phat"][band_pts])
        else:
            band_start = np.zeros(1, np.int64)
            band_pts = pt_row = np.zeros(0, np.int64)
            band_lon = np.zeros(0)
            band_phat = np.zeros((0, 3))
        return GridRows(rows["phat"], rows["nxyz"], rows["pt_lon"], rows["row_start"], rows["row_count"],
                        rows["row_geoc_lat"], rows["row_radius"], rows["row_lon0"], rows["row_dlon"], deflection,
                        local_idx, block_sizes, band_start, band_pts, band_lon, pt_row, band_phat)

    def describe(self) -> str:
        kind = "" if self.kind == "points" or self.kind in self.name else f", {self.kind}"
        return f"{self.name} ({len(self):,} points{kind})"


# Points per latitude band (per block) the point bands aim at; at most
# MAX_POINT_BANDS bands.  Fewer, taller bands cost fewer look-ups per step but
# more candidates outside the step's latitudes.
POINTS_PER_BAND = 256
MAX_POINT_BANDS = 360


def _point_bands(rows: dict, n_blocks: int):
    """:class:`sim.kernels.coverage.GridRows`'s point bands: band_start, band_pts,
    band_lon, pt_row (the rule is there)."""
    counts = rows["row_count"]
    n_pts = int(counts.sum())
    n_bands = int(np.clip(n_pts // (POINTS_PER_BAND * n_blocks), 1, MAX_POINT_BANDS))
    pt_row = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    band = np.floor((rows["row_geoc_lat"][pt_row] + 0.5 * math.pi) / (math.pi / n_bands)).astype(np.int64)
    key = (pt_row % n_blocks) * n_bands + np.clip(band, 0, n_bands - 1)
    lon = rows["pt_lon"]
    band_pts = np.lexsort((lon, key)).astype(np.int64)
    band_start = np.zeros(n_blocks * n_bands + 1, np.int64)
    np.cumsum(np.bincount(key, minlength=n_blocks * n_bands), out=band_start[1:])
    return band_start, band_pts, np.ascontiguousarray(lon[band_pts]), pt_row


def _kernel_lon(lon_deg: np.ndarray) -> np.ndarray:
    """Longitudes in [-180, 180] as the kernels take them, in [-180, 180): 180 is -180."""
    return np.where(lon_deg < 180.0, lon_deg, -180.0)


def equal_area_row_counts(res_deg: float) -> np.ndarray:
    """Cells in each latitude row (south to north) of the global equal-area grid at
    ``res_deg``: n_i = max(1, round(n_lon * (sin(lat_i + dlat/2) - sin(lat_i - dlat/2))
    / dlat)), n_lon = round(360/res), dlat = 180/round(180/res) deg (in radians in the
    ratio), the count that makes each cell's area nearest that of a cell of the
    regular grid's equatorial row."""
    if not (res_deg > 0) or res_deg > 90:
        raise ValueError(f"grid resolution must be in (0, 90] deg, got {res_deg}")
    n_lat, n_lon = global_shape(res_deg)
    dlat = 180.0 / n_lat
    lats = -90.0 + dlat * (np.arange(n_lat) + 0.5)
    band = np.sin(np.radians(lats + dlat / 2)) - np.sin(np.radians(lats - dlat / 2))
    return np.maximum(1, np.rint(n_lon * band / math.radians(dlat))).astype(np.int64)


def _equal_area_rows(res_deg: float, lat_min_deg: float, lat_max_deg: float):
    """(row centres (deg), band areas sin(north) - sin(south), cells per row) of the
    equal-area rows with centres inside [lat_min_deg, lat_max_deg]."""
    counts = equal_area_row_counts(res_deg)
    if not (-90 <= lat_min_deg < lat_max_deg <= 90):
        raise ValueError(f"need -90 <= lat_min < lat_max <= 90, got {lat_min_deg}, {lat_max_deg}")
    n_lat = counts.size
    dlat = 180.0 / n_lat
    lats = -90.0 + dlat * (np.arange(n_lat) + 0.5)
    keep = (lats >= lat_min_deg) & (lats <= lat_max_deg)
    if not keep.any():
        raise ValueError(f"no grid rows between {lat_min_deg} and {lat_max_deg} deg at {res_deg} deg: the "
                         "latitude band (lat_min_deg and lat_max_deg in [grid], --lat-min and --lat-max) must "
                         "hold a row's centre")
    lats = lats[keep]
    band = np.sin(np.radians(lats + dlat / 2)) - np.sin(np.radians(lats - dlat / 2))
    return lats, band, counts[keep]


def count_points(res_deg: float, lat_min_deg: float = -90.0, lat_max_deg: float = 90.0,
                 kind: str = "regular") -> int:
    """Points of ``Grid.build(res_deg, lat_min_deg, lat_max_deg, kind)`` without
    building it (a land-only grid has at most this many): the rows kept by the
    latitude band times the columns for "regular", the sum of the kept rows'
    cell counts for "equal-area".  Raises ValueError where the builders do."""
    if kind not in GRID_KINDS:
        raise ValueError(f"unknown grid kind {kind!r} (known: {', '.join(GRID_KINDS)})")
    if not (res_deg > 0) or res_deg > 90:
        raise ValueError(f"grid resolution must be in (0, 90] deg, got {res_deg}")
    if kind == "equal-area":
        return int(_equal_area_rows(res_deg, lat_min_deg, lat_max_deg)[2].sum())
    if not (-90 <= lat_min_deg < lat_max_deg <= 90):
        raise ValueError(f"need -90 <= lat_min < lat_max <= 90, got {lat_min_deg}, {lat_max_deg}")
    n_lat, n_lon = global_shape(res_deg)
    lats = -90.0 + (180.0 / n_lat) * (np.arange(n_lat) + 0.5)
    rows = int(np.count_nonzero((lats >= lat_min_deg) & (lats <= lat_max_deg)))
    if rows == 0:
        raise ValueError(f"no grid rows between {lat_min_deg} and {lat_max_deg} deg at {res_deg} deg: the "
                         "latitude band (lat_min_deg and lat_max_deg in [grid], --lat-min and --lat-max) must "
                         "hold a row's centre")
    return rows * n_lon
