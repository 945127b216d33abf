"""Numba kernel of the time series: how many satellites see each point at the
sample instants.  Pure functions on plain arrays, as :mod:`sim.kernels.coverage`
(whose primitives it uses, so that a sample counts exactly what the coverage
kernel's margins say at the ends of its steps).

At a sample, satellite s sees point p when

- off-nadir sensor: p . u - C(r, R) >= 0 with C from :func:`cos_reach` (the
  off-nadir and the geocentric elevation limits), or, where the elevation limit
  measured from the geodetic horizon can bind (:func:`elevation_may_bind`), the
  off-nadir margin p . u - C_eta >= 0 and the geodetic elevation margin
  (:func:`elevation_margin`) >= 0: the margins the coverage kernel evaluates at
  the step's ends;
- a lit-only sensor also needs sin(Sun elevation) - sin(threshold) >= 0 at the
  point (the coverage kernel's Sun margins);
- swath (push-broom) sensors image a line at an instant: the points on it are
  of measure zero, so a swath satellite counts 0 at every sample.

Per sample only the satellite's disc (its pruning reach around the
sub-satellite point) is visited, row by row (:func:`_row_span`) or by point
bands (:func:`_disc_points`), so the cost is about satellites x samples x
points in a footprint, not satellites x samples x points.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.kernels import run_blocks
from sim.kernels.coverage import (KIND_SWATH, MAX_VERTICAL_DEFLECTION_RAD, NO_LIGHTING, S_COS_EPS, S_COS_ETA,
                                  S_KIND, S_SIN_EPS, S_SIN_ETA, S_SIN_SUN, _disc_points, _row_span, cos_reach,
                                  cos_reach_off_nadir, elevation_margin, elevation_may_bind, search_left,
                                  search_right)

# Columns of the per-point accumulator (float64, shape (npts, NCOUNT)).
N_SEEN, MIN_SEEN, MAX_COUNT, SUM_COUNT, N_AT_LEAST = range(5)
NCOUNT = 5
# Columns of the per-sample output (float64, shape (n_blocks, n_samples, NSERIES)):
# area weight of the points seen by >= 1 satellite, by >= n_min, the weighted
# sum of the counts, and the largest count.
W_SEEN, W_AT_LEAST, W_COUNT, MAX_IN_VIEW = range(4)
NSERIES = 4


@njit(cache=True, error_model="numpy")
def new_counts(n_points):
    """A fresh per-point accumulator: nothing counted yet (MIN_SEEN starts at +inf)."""
    acc = np.zeros((n_points, NCOUNT))
    acc[:, MIN_SEEN] = np.inf
    return acc


@njit(cache=True, error_model="numpy")
def row_limits(r, R, deflection, cos_eta, sin_eta, cos_eps, sin_eps):
    """The coverage kernel's access limit for a row (points at radius R km whose
    geodetic verticals are ``deflection`` rad from the geocentric ones) and a
    satellite at radius r km, at one instant: (geodetic, C).  Not geodetic: a
    point is seen when p . u - C >= 0 (C from :func:`cos_reach`).  Geodetic
    (the elevation limit from the geodetic horizon can bind,
    :func:`elevation_may_bind`): when p . u - C >= 0 (C the off-nadir limit of
    :func:`cos_reach_off_nadir`, -2 when it excludes nothing) and the geodetic
    elevation margin (:func:`elevation_margin`) is >= 0."""
    if elevation_may_bind(r, r, R, cos_eta, sin_eta, cos_eps, sin_eps, deflection):
        ce, _ = cos_reach_off_nadir(r, R, cos_eta, sin_eta)
        return True, ce
    C, _ = cos_reach(r, R, cos_eta, sin_eta, cos_eps, sin_eps)
    return False, C


@njit(cache=True, error_model="numpy", nogil=True)
def _block_counts(blk, acc, out, sats, rows, weight, ks, n_min):
    """One block's share of :func:`count_chunk`: its points, every satellite and listed sample."""
    valid = sats.valid
    reach = sats.reach
    sensor = sats.sensor
    nsat = valid.shape[0]
    n_blocks = rows.block_sizes.shape[0]
    by_point = rows.band_start.shape[0] > 1
    size = rows.block_sizes[blk]
    cnt = np.zeros(size, np.int64)
    touched = np.empty(size, np.int64)
    cand = np.empty(size if by_point else 0, np.int64)
    for q in range(ks.shape[0]):
        k = ks[q]
        n_touched = 0
        for s in range(nsat):
            if not valid[s, k] or reach[s, k] < 0.0 or sensor[s, S_KIND] == KIND_SWATH:
                continue
            ux = sats.u[s, k, 0]
            uy = sats.u[s, k, 1]
            uz = sats.u[s, k, 2]
            dx = sats.du[s, k, 0]
            dy = sats.du[s, k, 1]
            dz = sats.du[s, k, 2]
            r = sats.rad[s, k]
            rd = sats.rdot[s, k]
            cos_eta = sensor[s, S_COS_ETA]
            sin_eta = sensor[s, S_SIN_ETA]
            cos_eps = sensor[s, S_COS_EPS]
            sin_eps = sensor[s, S_SIN_EPS]
            sin_sun = sensor[s, S_SIN_SUN]
            lit = sin_sun > NO_LIGHTING
            rho = min(math.pi, reach[s, k])
            if lit:
                # Every point of the disc sees the Sun at most rho (plus the
                # vertical's tilt) higher than the sub-satellite point does.
                el_max = (math.asin(max(-1.0, min(1.0, ux * sats.sun[k, 0] + uy * sats.sun[k, 1]
                                                  + uz * sats.sun[k, 2])))
                          + rho + MAX_VERTICAL_DEFLECTION_RAD + 1e-3)
                if el_max < math.asin(sin_sun):
                    continue
            lat_m = math.asin(max(-1.0, min(1.0, uz)))
            lon_m = math.atan2(uy, ux)
            r_lo = search_left(rows.row_geoc_lat, lat_m - rho)
            r_hi = search_right(rows.row_geoc_lat, lat_m + rho)
            sin_lat_m = math.sin(lat_m)
            cos_lat_m = math.cos(lat_m)
            cos_rho = math.cos(rho)
            if by_point:
                # No cross-track band test.  `blk < 0` (never true) is a plain bool: a literal False would
                # type _disc_points a second time, beside the coverage kernel's own.
                n_iter = _disc_points(blk, n_blocks, lat_m, lon_m, rho, r_lo, r_hi, rows, blk < 0, 0.0, 0.0, 0.0,
                                      2.0, cand)
            else:
                r_first = r_lo + (blk - r_lo) % n_blocks
                n_iter = max(0, (r_hi - r_first + n_blocks - 1) // n_blocks)
            for it in range(n_iter):
                if by_point:
                    i = cand[it]
                    rr = rows.pt_row[i]
                    start = rows.row_start[rr]
                    ja0 = jb0 = i - start
                    ja1, jb1 = 0, -1
                else:
                    rr = r_first + it * n_blocks
                    start = rows.row_start[rr]
                    ja0, jb0, ja1, jb1 = _row_span(rr, sin_lat_m, cos_lat_m, cos_rho, lon_m, rows)
                R = rows.row_radius[rr]
                geodetic, C = row_limits(r, R, rows.row_deflection[rr], cos_eta, sin_eta, cos_eps, sin_eps)
                for part in range(2):
                    ja = ja0 if part == 0 else ja1
                    jb = jb0 if part == 0 else jb1
                    for j in range(ja, jb + 1):
                        i = start + j
                        hx = rows.phat[i, 0]
                        hy = rows.phat[i, 1]
                        hz = rows.phat[i, 2]
                        if hx * ux + hy * uy + hz * uz - C < 0.0:
                            continue
                        if geodetic:
                            m, _ = elevation_margin(hx, hy, hz, rows.nxyz[i, 0], rows.nxyz[i, 1], rows.nxyz[i, 2],
                                                    R, ux, uy, uz, dx, dy, dz, r, rd, sin_eps)
                            if m < 0.0:
                                continue
                        if lit:
                            h = (rows.nxyz[i, 0] * sats.sun[k, 0] + rows.nxyz[i, 1] * sats.sun[k, 1]
                                 + rows.nxyz[i, 2] * sats.sun[k, 2] - sin_sun)
                            if h < 0.0:
                                continue
                        li = rows.local_idx[i]
                        if cnt[li] == 0:
                            touched[n_touched] = i
                            n_touched += 1
                        cnt[li] += 1
        w_seen = 0.0
        w_at_least = 0.0
        w_count = 0.0
        max_count = 0
        for z in range(n_touched):
            i = touched[z]
            li = rows.local_idx[i]
            c = cnt[li]
            cnt[li] = 0
            w = weight[i]
            w_seen += w
            w_count += c * w
            if c > max_count:
                max_count = c
            acc[i, N_SEEN] += 1.0
            acc[i, SUM_COUNT] += c
            if c < acc[i, MIN_SEEN]:
                acc[i, MIN_SEEN] = c
            if c > acc[i, MAX_COUNT]:
                acc[i, MAX_COUNT] = c
            if c >= n_min:
                acc[i, N_AT_LEAST] += 1.0
                w_at_least += w
        out[blk, q, W_SEEN] = w_seen
        out[blk, q, W_AT_LEAST] = w_at_least
        out[blk, q, W_COUNT] = w_count
        out[blk, q, MAX_IN_VIEW] = max_count


def count_chunk(acc, sats, rows, weight, ks, n_min):
    """Count, at the samples ``ks`` (indices into the chunk's samples), how many
    satellites see each point; fold the counts into ``acc`` (per point, columns
    N_SEEN: samples seen by >= 1, MIN_SEEN: the least count among those,
    MAX_COUNT, SUM_COUNT, N_AT_LEAST: samples seen by >= ``n_min``; modified in
    place) and return per block and listed sample (n_blocks, len(ks), NSERIES):
    the ``weight`` (per point) of the points seen by >= 1 and by >= ``n_min``
    satellites, the weighted sum of the counts and the largest count; the caller
    adds the blocks (and takes the largest count's maximum).

    ``sats``: the chunk's :class:`sim.kernels.coverage.SatSteps`; ``rows``: the
    grid's :class:`sim.kernels.coverage.GridRows`.  Blocks own their points, as
    in :func:`sim.kernels.coverage.accumulate_chunk`, and run in parallel (:func:`sim.kernels.run_blocks`)."""
    n_blocks = rows.block_sizes.shape[0]
    out = np.zeros((n_blocks, ks.shape[0], NSERIES))
    run_blocks(_block_counts, n_blocks, acc, out, sats, rows, weight, ks, n_min)
    return out
