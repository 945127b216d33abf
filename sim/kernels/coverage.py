"""Numba coverage kernels.  Pure functions on plain arrays: no files, no units.

Conventions: Earth-fixed positions in km, velocities in km/s, times in seconds
from the window start, angles in radians.

Access geometry.  For a satellite at geocentric radius r and a ground point at
geocentric radius R (WGS-84 ellipsoid surface) separated by the Earth central
angle gamma, the off-nadir angle (from geocentric nadir) and the elevation
(above the plane normal to the point's geocentric radius) are functions of
(r, R, gamma) alone, both monotonic in gamma.  So "off-nadir <= eta and
elevation >= eps" is exactly "gamma <= Lambda(r, R)", and the kernel's
*visibility margin* is

    f(t) = p . s(t) - cos(Lambda(r(t), R))

with p and s(t) the unit vectors of the point and of the satellite.  f >= 0
exactly when the point is accessible, and f and df/dt cost two dot products
per point.  Between two samples f is modelled by the cubic Hermite polynomial
through f and df/dt at both ends; it locates access edges far below the step
(f is a near-sinusoid of the orbital phase) and finds short passes that begin
and end between two samples, which a sample-only test would miss.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from constellation.constants import WGS84_B_KM
from sim.kernels import run_blocks

# Column layout of the per-point accumulator state (float64, shape (n, NSTATE)).
SEEN, FIRST_START, RUN_START, LAST_END, N_ACCESS, COVERED, DUR_MIN, DUR_MAX, \
    GAP_MAX, GAP_SUM, GAP_SUM2, N_GAPS = range(12)
NSTATE = 12
# Tolerance (s) of an elevation edge's root on the satellite's path.
EDGE_TOL_S = 1e-6

# Columns of the per-satellite sensor array (see sim.engine.run.sensor_array).
S_COS_ETA, S_SIN_ETA, S_COS_EPS, S_SIN_EPS, S_KIND, S_HALF_SWATH_KM, S_SIN_SUN = range(7)
KIND_OFF_NADIR = 0.0
KIND_SWATH = 1.0
# S_SIN_SUN below this: no lighting constraint.
NO_LIGHTING = -2.0
# Largest angle (rad) between a point's geodetic and geocentric verticals (WGS-84).
MAX_VERTICAL_DEFLECTION_RAD = 3.4e-3

# Slack (rad) added to the conservative central-angle bound before pruning.
PRUNE_MARGIN_RAD = 2e-3
# Polar radius of WGS-84: the smallest geocentric radius of a ground point,
# which gives the largest central angle a sensor can reach.
R_MIN_KM = WGS84_B_KM


class GridRows(NamedTuple):
    """The grid as the coverage kernel reads it: points sorted into latitude rows.

    phat, nxyz: (npts, 3) unit vectors of the points and their geodetic
    verticals; pt_lon: (npts,) longitudes (rad); per row: row_start and
    row_count (the row's points), row_geoc_lat (geocentric latitude, rad,
    ascending), row_radius (geocentric radius, km), row_lon0 and row_dlon
    (first longitude and spacing, rad; row_dlon > 0: uniform around the full
    circle, else 0), row_deflection (angle between the geodetic and the
    geocentric vertical, rad); local_idx: (npts,) each point's index in its
    block; block_sizes: (n_blocks,) points per block (rows dealt round-robin).

    Point bands, for grids whose rows hold few points (point lists): the
    sphere is cut into n_bands latitude bands of equal height in geocentric
    latitude, band b = floor((lat + pi/2) n_bands / pi), and each block's
    points of each band are listed by longitude: band_start (n_blocks *
    n_bands + 1,) CSR offsets, entry blk * n_bands + b; band_pts and band_lon
    (npts,) the points and their longitudes (rad); pt_row (npts,) each
    point's row; band_phat (npts, 3) the points' unit vectors in band_pts'
    order, read contiguously.  The kernel then finds a step's points by band
    and longitude (:func:`_step_points`; :func:`_disc_points` for swaths)
    instead of row by row.  Without bands band_start is (1,) and the others
    empty."""

    phat: np.ndarray
    nxyz: np.ndarray
    pt_lon: np.ndarray
    row_start: np.ndarray
    row_count: np.ndarray
    row_geoc_lat: np.ndarray
    row_radius: np.ndarray
    row_lon0: np.ndarray
    row_dlon: np.ndarray
    row_deflection: np.ndarray
    local_idx: np.ndarray
    block_sizes: np.ndarray
    band_start: np.ndarray
    band_pts: np.ndarray
    band_lon: np.ndarray
    pt_row: np.ndarray
    band_phat: np.ndarray


class SatSteps(NamedTuple):
    """One time chunk of the satellites, as the kernels read it.

    u, du, rad, rdot, reach: per (satellite, sample) from
    :func:`satellite_frames`; valid: (nsat, nk), False where sgp4 failed;
    t: (nk,) sample times (s from the window start); sensor: (nsat, 7), the
    columns S_*; sun: (nk, 3) unit vectors towards the Sun."""

    u: np.ndarray
    du: np.ndarray
    rad: np.ndarray
    rdot: np.ndarray
    reach: np.ndarray
    valid: np.ndarray
    t: np.ndarray
    sensor: np.ndarray
    sun: np.ndarray


class OpenPasses(NamedTuple):
    """Per point, the pass still open across steps: its satellite (-1: none),
    start (s) and the step from which it has seen the point throughout (-1:
    its start is an edge); owner: (npts, nk - 1) the overlap-pruning table
    (see _step_rows), (0, 0) when not pruning."""

    sat: np.ndarray
    start: np.ndarray
    step: np.ndarray
    owner: np.ndarray


@njit(cache=True, error_model="numpy", inline="always")
def step_vectors(u, du, s, k):
    """Satellite ``s``'s unit vector and its rate at both ends of step ``k``:
    (u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y, d0z, d1x, d1y, d1z).  Shared by
    the CPU and GPU kernels."""
    return (u[s, k, 0], u[s, k, 1], u[s, k, 2], u[s, k + 1, 0], u[s, k + 1, 1], u[s, k + 1, 2],
            du[s, k, 0], du[s, k, 1], du[s, k, 2], du[s, k + 1, 0], du[s, k + 1, 1], du[s, k + 1, 2])


@njit(cache=True, error_model="numpy", inline="always")
def cos_reach(r, R, cos_eta, sin_eta, cos_eps, sin_eps):
    """cos(Lambda) and d cos(Lambda)/dr for a satellite at radius r (km) and a
    point at radius R (km): Lambda is the largest central angle at which the
    off-nadir angle is <= eta and the elevation >= eps.  Returns 2.0 (nothing
    accessible) when the satellite is not above R."""
    y = R * cos_eps / r
    if y >= 1.0:
        return 2.0, 0.0
    sy = math.sqrt(1.0 - y * y)
    # elevation limit: Lambda = acos(y) - eps
    c_eps = y * cos_eps + sy * sin_eps
    dc_eps = (cos_eps - y / sy * sin_eps) * (-y / r)
    x = r * sin_eta / R
    if x < 1.0:
        # off-nadir limit (near intersection of the cone): Lambda = asin(x) - eta
        sx = math.sqrt(1.0 - x * x)
        c_eta = sx * cos_eta + x * sin_eta
        if c_eta > c_eps:
            return c_eta, (sin_eta - x / sx * cos_eta) * sin_eta / R
    return c_eps, dc_eps


@njit(cache=True, error_model="numpy", inline="always")
def cos_reach_off_nadir(r, R, cos_eta, sin_eta):
    """cos(Lambda_eta) and its derivative in r for the off-nadir limit alone
    (the near intersection of the sensor's cone with the sphere of radius R);
    -2.0 when the cone misses that sphere: the limit then excludes nothing
    the satellite can see."""
    x = r * sin_eta / R
    if x >= 1.0:
        return -2.0, 0.0
    sx = math.sqrt(1.0 - x * x)
    return sx * cos_eta + x * sin_eta, (sin_eta - x / sx * cos_eta) * sin_eta / R


@njit(cache=True, error_model="numpy", inline="always")
def shifted(cos_a, sin_a, d):
    """cos and sin of (a + d), given cos and sin of a."""
    cd = math.cos(d)
    sd = math.sin(d)
    return cos_a * cd - sin_a * sd, sin_a * cd + cos_a * sd


@njit(cache=True, error_model="numpy", inline="always")
def elevation_may_bind(r0, r1, R, cos_eta, sin_eta, cos_eps, sin_eps, deflection):
    """Whether, during a step with the satellite at radius r0 and r1, the
    elevation limit eps measured from the geodetic horizon can exclude a point
    (at radius R, whose geodetic vertical is ``deflection`` rad from its
    geocentric one) that the off-nadir limit admits.  The geodetic elevation
    is within ``deflection`` of the geocentric one, so it cannot when the
    off-nadir footprint lies inside the geocentric one of eps + deflection at
    both ends: then the off-nadir margin alone is exact."""
    cos_in, sin_in = shifted(cos_eps, sin_eps, deflection)
    ce0, _ = cos_reach_off_nadir(r0, R, cos_eta, sin_eta)
    ci0, _ = cos_reach(r0, R, cos_eta, sin_eta, cos_in, sin_in)
    if not ce0 >= ci0:
        return True
    ce1, _ = cos_reach_off_nadir(r1, R, cos_eta, sin_eta)
    ci1, _ = cos_reach(r1, R, cos_eta, sin_eta, cos_in, sin_in)
    return not ce1 >= ci1


# The off-nadir limit is taken as a central angle Lambda(r) of the satellite's radius, which
# turns steeply where the cone nears the Earth's limb (r sin(eta) = R) and stops binding past
# it.  Within X_NEAR_LIMB of the limb (r sin(eta) / R), a step over which cos(Lambda) departs
# from its cubic model by more than CONE_MODEL_TOL at the middle, or in which the cone crosses
# the limb, has its off-nadir margin evaluated on the satellite's path (cone_near_limb).
X_NEAR_LIMB = 0.9
CONE_MODEL_TOL = 1e-8


@njit(cache=True, error_model="numpy")
def cone_near_limb(r0, r1, rd0, rd1, dt, R, cos_eta, sin_eta):
    """Whether, in a step of ``dt`` s with the satellite at radius r0 and r1 (km)
    and radial rates rd0 and rd1 (km/s), the off-nadir limit's cos(Lambda) at a
    point of radius R (km) is too far from cubic for the step's model: the cone
    reaches past X_NEAR_LIMB of the way to the limb and either crosses it during
    the step or its cos(Lambda) at the middle of the step (radius from the
    radius's cubic Hermite) is more than CONE_MODEL_TOL from the cubic Hermite
    of cos(Lambda).  Never for no off-nadir limit (cos_eta = 0) nor for a radius
    that does not move."""
    if not cos_eta > 1e-12 or max(r0, r1) * sin_eta < X_NEAR_LIMB * R:
        return False
    r_mid = 0.5 * (r0 + r1) + 0.125 * dt * (rd0 - rd1)
    c0, dc0 = cos_reach_off_nadir(r0, R, cos_eta, sin_eta)
    c1, dc1 = cos_reach_off_nadir(r1, R, cos_eta, sin_eta)
    c_mid, _ = cos_reach_off_nadir(r_mid, R, cos_eta, sin_eta)
    past = c0 <= -2.0
    if past != (c1 <= -2.0) or past != (c_mid <= -2.0):
        return True  # the cone reaches the limb during the step
    if past:
        return False  # past the limb throughout: the limit excludes nothing
    model = 0.5 * (c0 + c1) + 0.125 * dt * (dc0 * rd0 - dc1 * rd1)
    return abs(c_mid - model) > CONE_MODEL_TOL


@njit(cache=True, error_model="numpy", inline="always")
def cone_free(r0, r1, rd0, rd1, dt, R, cos_eta, sin_eta):
    """Whether the off-nadir cone excludes nothing a satellite at radius r0 .. r1
    (km; radial rates rd0, rd1 km/s, a step of dt s) sees at any point of radius
    R or less: no limit (cos_eta = 0), or the cone past the limb (r sin(eta) >=
    R) at both ends and the middle of the step.  :func:`geodetic_access` then
    ignores the cone, and a point's access in the step is its elevation's."""
    if not cos_eta > 1e-12:
        return True
    r_mid = 0.5 * (r0 + r1) + 0.125 * dt * (rd0 - rd1)
    return min(r0, r1, r_mid) * sin_eta >= R


@njit(cache=True, error_model="numpy")
def cone_near_limb_between(r0, r1, rd0, rd1, dt, R_lo, R_hi, cos_eta, sin_eta):
    """:func:`cone_near_limb` for some point radius between R_lo and R_hi (km): at
    either radius, or the cone crossing the limb at one between them (where
    r sin(eta) = R for a radius r the satellite passes in the step)."""
    if not cos_eta > 1e-12 or max(r0, r1) * sin_eta < X_NEAR_LIMB * R_lo:
        return False
    if cone_near_limb(r0, r1, rd0, rd1, dt, R_lo, cos_eta, sin_eta):
        return True
    if cone_near_limb(r0, r1, rd0, rd1, dt, R_hi, cos_eta, sin_eta):
        return True
    # Crossing at R: some of the step's radii (ends, middle) put the cone past the limb and some not,
    # lo < R <= hi; a radius that does not move crosses nowhere, as cone_near_limb says.
    r_mid = 0.5 * (r0 + r1) + 0.125 * dt * (rd0 - rd1)
    lo = min(r0, r1, r_mid) * sin_eta
    hi = max(r0, r1, r_mid) * sin_eta
    return lo < hi and lo < R_hi and hi >= R_lo


@njit(cache=True, error_model="numpy", inline="always")
def off_nadir_margin_sq(lx, ly, lz, wx, wy, wz, hx, hy, hz, R, cos_eta):
    """A margin with the sign of cos(off-nadir angle) - cos(eta) for the
    satellite at S = L + R h seen from the point R h (L = S - P, km) and its
    rate along W = dS (any unit of time): a |a| - cos(eta)^2 |S|^2 |L|^2 with
    a = S . L = |S| |L| cos(off-nadir angle); a polynomial in S, so as smooth
    as the orbit whatever the cone's place on the Earth."""
    sx = lx + R * hx
    sy = ly + R * hy
    sz = lz + R * hz
    a = sx * lx + sy * ly + sz * lz
    ss = sx * sx + sy * sy + sz * sz
    ll = lx * lx + ly * ly + lz * lz
    c2 = cos_eta * cos_eta
    da = wx * (lx + sx) + wy * (ly + sy) + wz * (lz + sz)
    dss = 2.0 * (sx * wx + sy * wy + sz * wz)
    dll = 2.0 * (lx * wx + ly * wy + lz * wz)
    return a * abs(a) - c2 * ss * ll, 2.0 * abs(a) * da - c2 * (dss * ll + ss * dll)


@njit(cache=True, error_model="numpy", inline="always")
def elevation_margin(hx, hy, hz, nx, ny, nz, R, ux, uy, uz, dx, dy, dz, r, rd, sin_eps):
    """sin(elevation) - sin(eps) of a satellite seen from a ground point, the
    elevation measured from the point's geodetic horizon, and its rate (1/s).

    h: unit vector of the point (at geocentric radius R, km), n: its geodetic
    vertical; u, d: the satellite's unit vector and its rate (1/s); r, rd:
    its radius (km) and radial rate (km/s).  With S = r u and P = R h,
    sin(elevation) = n . (S - P) / |S - P|."""
    c = hx * ux + hy * uy + hz * uz
    cd = hx * dx + hy * dy + hz * dz
    nu = nx * ux + ny * uy + nz * uz
    nd = nx * dx + ny * dy + nz * dz
    nh = nx * hx + ny * hy + nz * hz
    d2 = r * r + R * R - 2.0 * r * R * c
    dist = math.sqrt(d2)
    up = r * nu - R * nh
    up_rate = rd * nu + r * nd
    dist_rate = (r * rd - R * (rd * c + r * cd)) / dist
    return up / dist - sin_eps, (up_rate * dist - up * dist_rate) / d2


@njit(cache=True, error_model="numpy", inline="always")
def _path_offset(s, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1, vx1, vy1, vz1, dt):
    """The satellite seen from the point R h at the fraction ``s`` of a step of
    ``dt`` seconds, on its cubic Hermite path (S0, V0 dt, S1, V1 dt): the
    offset S(s) - R h (km) and its rate dS/ds (km per step)."""
    s2 = s * s
    s3 = s2 * s
    h00 = 2.0 * s3 - 3.0 * s2 + 1.0
    h10 = (s3 - 2.0 * s2 + s) * dt
    h01 = 3.0 * s2 - 2.0 * s3
    h11 = (s3 - s2) * dt
    d00 = 6.0 * s2 - 6.0 * s
    d10 = (3.0 * s2 - 4.0 * s + 1.0) * dt
    d11 = (3.0 * s2 - 2.0 * s) * dt
    return (h00 * sx0 + h10 * vx0 + h01 * sx1 + h11 * vx1 - R * hx,
            h00 * sy0 + h10 * vy0 + h01 * sy1 + h11 * vy1 - R * hy,
            h00 * sz0 + h10 * vz0 + h01 * sz1 + h11 * vz1 - R * hz,
            d00 * (sx0 - sx1) + d10 * vx0 + d11 * vx1,
            d00 * (sy0 - sy1) + d10 * vy0 + d11 * vy1,
            d00 * (sz0 - sz1) + d10 * vz0 + d11 * vz1)


@njit(cache=True, error_model="numpy", inline="always")
def path_elevation_margin_sq(s, hx, hy, hz, nx, ny, nz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                             vx1, vy1, vz1, sin_eps, dt):
    """:func:`elevation_margin_sq`'s margin (km^2; the sign of elevation - limit) of
    the satellite on its cubic Hermite path at the fraction ``s`` of the step."""
    lx, ly, lz, wx, wy, wz = _path_offset(s, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                                          vx1, vy1, vz1, dt)
    up = nx * lx + ny * ly + nz * lz
    return up * abs(up) - sin_eps * abs(sin_eps) * (lx * lx + ly * ly + lz * lz)


@njit(cache=True, error_model="numpy")
def _refine_elevation_edge(s, lo, hi, hx, hy, hz, nx, ny, nz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                           vx1, vy1, vz1, sin_eps, dt):
    """An edge of the elevation margin, ``s`` (fraction of the step) from its
    cubic model, refined by Newton's method on the margin of the satellite's
    cubic Hermite position (S0, V0 dt, S1, V1 dt; metre-level over a minute),
    staying in [lo, hi]: sin(el) is less cubic in time than the off-nadir
    margin, and its model alone puts edges tenths of a second off."""
    for _ in range(4):
        lx, ly, lz, wx, wy, wz = _path_offset(s, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                                              vx1, vy1, vz1, dt)
        dist = math.sqrt(lx * lx + ly * ly + lz * lz)
        up = nx * lx + ny * ly + nz * lz
        m = up / dist - sin_eps
        dm = ((nx * wx + ny * wy + nz * wz) * dist - up * (lx * wx + ly * wy + lz * wz) / dist) / (dist * dist)
        if dm == 0.0:
            return s
        step = m / dm
        s_new = s - step
        if not (lo <= s_new <= hi):
            return s
        s = s_new
        if abs(step) * dt < 1e-6:
            return s
    return s


@njit(cache=True, error_model="numpy", inline="always")
def elevation_margin_sq(hx, hy, hz, nx, ny, nz, R, ux, uy, uz, dx, dy, dz, r, rd, sin_eps):
    """A margin with the sign of :func:`elevation_margin` and the same zeros,
    free of square roots and divisions, and its rate (km^2/s):
    up |up| - sin(eps) |sin(eps)| |S - P|^2, with up = n . (S - P) (x |x| is
    increasing, so up / |S - P| >= sin(eps) exactly when it is >= 0)."""
    c = hx * ux + hy * uy + hz * uz
    cd = hx * dx + hy * dy + hz * dz
    nu = nx * ux + ny * uy + nz * uz
    nd = nx * dx + ny * dy + nz * dz
    nh = nx * hx + ny * hy + nz * hz
    se2 = sin_eps * abs(sin_eps)
    up = r * nu - R * nh
    aup = abs(up)
    d2 = r * r + R * R - 2.0 * r * R * c
    d2_rate = 2.0 * (r * rd - R * (rd * c + r * cd))
    return up * aup - se2 * d2, 2.0 * aup * (rd * nu + r * nd) - se2 * d2_rate


@njit(cache=True, error_model="numpy")
def _elevation_edge(m_lo, guess, hx, hy, hz, nx, ny, nz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                    vx1, vy1, vz1, sin_eps, dt):
    """The one zero in [0, 1] (fraction of the step) of the elevation margin of
    the satellite's cubic Hermite position (S0, V0 dt, S1, V1 dt; metre-level
    over a minute), where the margin at 0 is ``m_lo`` and at 1 of the other
    sign: safeguarded Newton on :func:`elevation_margin_sq`'s form from
    ``guess``, each evaluation shrinking the bracket and a step that would
    leave it a bisection.  It stops when the step's own convergence (the
    correction against the square of the one before, as Newton's error
    falls) puts the remaining error below EDGE_TOL_S."""
    se2 = sin_eps * abs(sin_eps)
    lo = 0.0
    hi = 1.0
    s = guess
    if not (0.0 < s < 1.0):
        s = 0.5
    prev = 0.0
    for _ in range(60):
        lx, ly, lz, wx, wy, wz = _path_offset(s, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                                              vx1, vy1, vz1, dt)
        up = nx * lx + ny * ly + nz * lz
        aup = abs(up)
        m = up * aup - se2 * (lx * lx + ly * ly + lz * lz)
        dm = 2.0 * (aup * (nx * wx + ny * wy + nz * wz) - se2 * (lx * wx + ly * wy + lz * wz))
        if m == 0.0:
            return s
        if (m > 0.0) == (m_lo > 0.0):
            lo = s
        else:
            hi = s
        if dm != 0.0:
            step = m / dm
            s_new = s - step
            if lo < s_new < hi:
                a = abs(step)
                if a * dt < 1e-9 or (prev > 0.0 and a * a * a * dt < EDGE_TOL_S * prev * prev):
                    return s_new
                prev = a
                s = s_new
                continue
        prev = 0.0
        s = 0.5 * (lo + hi)
        if (hi - lo) * dt < 1e-9:
            return s
    return s


@njit(cache=True, error_model="numpy", inline="always")
def _path_ends(u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y, d0z, d1x, d1y, d1z, r0, r1, rd0, rd1):
    """The satellite's cubic Hermite path over a step: position S0 and velocity
    V0 at its start, S1 and V1 at its end (km, km/s), from the unit vectors u,
    their rates d (1/s), the radii r (km) and radial rates rd (km/s)."""
    return (r0 * u0x, r0 * u0y, r0 * u0z, rd0 * u0x + r0 * d0x, rd0 * u0y + r0 * d0y, rd0 * u0z + r0 * d0z,
            r1 * u1x, r1 * u1y, r1 * u1z, rd1 * u1x + r1 * d1x, rd1 * u1y + r1 * d1y, rd1 * u1z + r1 * d1z)


@njit(cache=True, error_model="numpy")
def _off_nadir_root(m_lo, lo, hi, guess, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1, vx1, vy1, vz1,
                    cos_eta, dt):
    """The zero in [lo, hi] (fractions of the step) of :func:`off_nadir_margin_sq`
    on the satellite's cubic Hermite path, where the margin at ``lo`` is
    ``m_lo`` and at ``hi`` of the other sign: safeguarded Newton from
    ``guess`` (as :func:`_elevation_edge`), stopping at EDGE_TOL_S."""
    s = guess
    if not (lo < s < hi):
        s = 0.5 * (lo + hi)
    prev = 0.0
    for _ in range(60):
        lx, ly, lz, wx, wy, wz = _path_offset(s, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                                              vx1, vy1, vz1, dt)
        m, dm = off_nadir_margin_sq(lx, ly, lz, wx, wy, wz, hx, hy, hz, R, cos_eta)
        if m == 0.0:
            return s
        if (m > 0.0) == (m_lo > 0.0):
            lo = s
        else:
            hi = s
        if dm != 0.0:
            step = m / dm
            s_new = s - step
            if lo < s_new < hi:
                a = abs(step)
                if a * dt < 1e-9 or (prev > 0.0 and a * a * a * dt < EDGE_TOL_S * prev * prev):
                    return s_new
                prev = a
                s = s_new
                continue
        prev = 0.0
        s = 0.5 * (lo + hi)
        if (hi - lo) * dt < 1e-9:
            return s
    return s


@njit(cache=True, error_model="numpy")
def _cubic_min_01(a0, a1, a2, a3):
    """The lowest interior minimum in (0, 1) of the cubic a0 + a1 s + a2 s^2 + a3 s^3:
    (s, value), or (-1, inf) when it has none there."""
    best_s = -1.0
    best = math.inf
    A = 3.0 * a3
    B = 2.0 * a2
    if abs(A) < 1e-14 * (abs(B) + abs(a1)):
        roots = (-a1 / B if B != 0.0 else -1.0, -1.0)
    else:
        disc = B * B - 4.0 * A * a1
        if disc < 0.0:
            return best_s, best
        q = -0.5 * (B + math.copysign(math.sqrt(disc), B))
        roots = (q / A, a1 / q if q != 0.0 else -1.0)
    for r in roots:
        # a minimum where the second derivative is positive
        if 0.0 < r < 1.0 and 2.0 * A * r + B > 0.0:
            v = _cubic(a0, a1, a2, a3, r)
            if v < best:
                best = v
                best_s = r
    return best_s, best


@njit(cache=True, error_model="numpy", inline="always")
def _hermite_may_dip(f0, G0, f1, G1):
    """Whether the cubic Hermite of a margin >= 0 at both ends of a step (rates per
    step G0, G1) can fall below zero inside it; not where the Hermite basis bound
    min(f0, f1) - 4/27 (max(0, -G0) + max(0, G1)) keeps it up."""
    return min(f0, f1) - (4.0 / 27.0) * (max(0.0, -G0) + max(0.0, G1)) < 0.0


@njit(cache=True, error_model="numpy", inline="always")
def _hermite_min(f0, G0, f1, G1):
    """The lowest interior minimum of the cubic Hermite through f0, f1 with rates per
    step G0, G1: (s, value), or (-1, inf) (:func:`_cubic_min_01`)."""
    return _cubic_min_01(f0, G0, -3.0 * f0 - 2.0 * G0 + 3.0 * f1 - G1, 2.0 * f0 + G0 - 2.0 * f1 + G1)


@njit(cache=True, error_model="numpy")
def margin_may_dip(r0, r1, R, sin_eta, f0, G0, f1, G1):
    """Whether an off-nadir margin inside at both ends of a step (f0, f1 >= 0, rates
    per step G0, G1) may dip out and back between them: only with the cone within
    X_NEAR_LIMB of the limb, where the footprint's radius turns fast with the
    satellite's, and where the margin's cubic model falls below zero inside the
    step (the Hermite basis bound first).  Elsewhere the margin of one pass rises
    then falls, and a step inside at both ends is inside throughout."""
    if max(r0, r1) * sin_eta < X_NEAR_LIMB * R or not _hermite_may_dip(f0, G0, f1, G1):
        return False
    return _hermite_min(f0, G0, f1, G1)[1] < 0.0


@njit(cache=True, error_model="numpy")
def off_nadir_path_access(hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1, vx1, vy1, vz1, cos_eta, dt):
    """The part (sa, sb) of a step (fractions; sa < 0: none) in which the point
    R h sees the satellite within the off-nadir limit, less a gap (ga, gb)
    inside it (ga < 0: none), from :func:`off_nadir_margin_sq` on the
    satellite's cubic Hermite path (S0, V0 dt, S1, V1 dt): for steps where the
    limit's central angle is not cubic (:func:`cone_near_limb`).  One end
    inside: the edge on the path.  Both outside: the margin's cubic model says
    whether a pass peaks between the samples, and its edges are then found on
    the path.  Both inside: near the limb the margin can dip out and back
    between the samples (the off-nadir angle of a point at the horizon peaks
    at asin(R / r), just past the cone), which the model's minimum says, and
    the gap's edges are found on the path."""
    lx, ly, lz, wx, wy, wz = _path_offset(0.0, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                                          vx1, vy1, vz1, dt)
    m0, dm0 = off_nadir_margin_sq(lx, ly, lz, wx, wy, wz, hx, hy, hz, R, cos_eta)
    lx, ly, lz, wx, wy, wz = _path_offset(1.0, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                                          vx1, vy1, vz1, dt)
    m1, dm1 = off_nadir_margin_sq(lx, ly, lz, wx, wy, wz, hx, hy, hz, R, cos_eta)
    if m0 >= 0.0 and m1 >= 0.0:
        if not _hermite_may_dip(m0, dm0, m1, dm1):
            return 0.0, 1.0, -1.0, -1.0
        # The path's margin at the model's minimum and at sixths of the step (the model, fitted
        # to the ends, can put a dip a third of the step long in the wrong place or miss it).
        s_min, _ = _hermite_min(m0, dm0, m1, dm1)
        m_mid = math.inf
        s_mid = -1.0
        for j in range(6):
            sj = s_min if j == 0 else j / 6.0
            if not 0.0 < sj < 1.0:
                continue
            lx, ly, lz, wx, wy, wz = _path_offset(sj, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                                                  vx1, vy1, vz1, dt)
            mj, _ = off_nadir_margin_sq(lx, ly, lz, wx, wy, wz, hx, hy, hz, R, cos_eta)
            if mj < m_mid:
                m_mid = mj
                s_mid = sj
        if not m_mid < 0.0:
            return 0.0, 1.0, -1.0, -1.0  # no dip the path reaches
        s_min = s_mid
        ga = _off_nadir_root(m0, 0.0, s_min, 0.5 * s_min, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1,
                             sz1, vx1, vy1, vz1, cos_eta, dt)
        gb = _off_nadir_root(m_mid, s_min, 1.0, 0.5 * (s_min + 1.0), hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0,
                             sx1, sy1, sz1, vx1, vy1, vz1, cos_eta, dt)
        return 0.0, 1.0, ga, gb
    if m0 >= 0.0 or m1 >= 0.0:
        e = _off_nadir_root(m0, 0.0, 1.0, _edge_guess(m0, dm0, m1, dm1), hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0,
                            vz0, sx1, sy1, sz1, vx1, vy1, vz1, cos_eta, dt)
        return (0.0, e, -1.0, -1.0) if m0 >= 0.0 else (e, 1.0, -1.0, -1.0)
    # Both ends outside (dm0, dm1 are per step): a pass between the samples needs the margin to rise then fall.
    if not (dm0 > 0.0 and dm1 < 0.0) or max(m0, m1) + (4.0 / 27.0) * (dm0 - dm1) < 0.0:
        return -1.0, -1.0, -1.0, -1.0
    ea, eb = interval_access_call(m0, dm0 / dt, m1, dm1 / dt, dt)
    if ea < 0.0:
        return -1.0, -1.0, -1.0, -1.0
    if ea < eb:
        # The model's peak lies between its edges; the path's margin there decides the pass.
        mid = 0.5 * (ea + eb)
        lx, ly, lz, wx, wy, wz = _path_offset(mid, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                                              vx1, vy1, vz1, dt)
        m_mid, _ = off_nadir_margin_sq(lx, ly, lz, wx, wy, wz, hx, hy, hz, R, cos_eta)
        if not m_mid > 0.0:
            return -1.0, -1.0, -1.0, -1.0  # a graze the model sees and the path does not reach
        ea = _off_nadir_root(m0, 0.0, mid, ea, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                             vx1, vy1, vz1, cos_eta, dt)
        eb = _off_nadir_root(m_mid, mid, 1.0, eb, hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1,
                             vx1, vy1, vz1, cos_eta, dt)
    return ea, eb, -1.0, -1.0


@njit(cache=True, error_model="numpy")
def geodetic_access(hx, hy, hz, nx, ny, nz, R, u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y, d0z, d1x, d1y, d1z,
                    r0, r1, rd0, rd1, cos_eta, sin_eta, sin_eps, dt):
    """Accessed part of one step, (sa, sb) as fractions of it (sa < 0: none),
    less a gap (ga, gb) strictly inside it (ga < 0: none; only where the cone
    dips out and back near the limb: :func:`off_nadir_path_access`),
    where the elevation limit can bind (:func:`elevation_may_bind`) or the
    off-nadir cone nears the limb (:func:`cone_near_limb`): the part inside the
    off-nadir limit (its exact margin, located by :func:`interval_access`, or
    on the satellite's path near the limb: :func:`off_nadir_path_access`) and
    above the elevation limit from the geodetic horizon.  The elevation margin's signs at the step's ends decide
    (:func:`elevation_margin_sq`): one edge in the step is the zero of the
    margin on the satellite's path (:func:`_elevation_edge`); with both ends
    below, :func:`interval_access` on the cubic model of
    :func:`elevation_margin_sq` says whether a pass peaks between the samples,
    and its edges are refined on the path (:func:`_refine_elevation_edge`)."""
    sa = 0.0
    sb = 1.0
    ga = -1.0
    gb = -1.0
    on_path = cone_near_limb(r0, r1, rd0, rd1, dt, R, cos_eta, sin_eta)
    if not on_path:
        ce0, dce0 = cos_reach_off_nadir(r0, R, cos_eta, sin_eta)
        ce1, dce1 = cos_reach_off_nadir(r1, R, cos_eta, sin_eta)
        if ce0 > -2.0 or ce1 > -2.0:
            f0 = hx * u0x + hy * u0y + hz * u0z - ce0
            g0 = hx * d0x + hy * d0y + hz * d0z - dce0 * rd0
            f1 = hx * u1x + hy * u1y + hz * u1z - ce1
            g1 = hx * d1x + hy * d1y + hz * d1z - dce1 * rd1
            if f0 >= 0.0 and f1 >= 0.0 and margin_may_dip(r0, r1, R, sin_eta, f0, g0 * dt, f1, g1 * dt):
                on_path = True
            else:
                sa, sb = interval_access_call(f0, g0, f1, g1, dt)
                if sa < 0.0:
                    return -1.0, -1.0, -1.0, -1.0
    if on_path:
        # Near the limb the off-nadir limit is no cubic central angle, or the margin may dip out and
        # back between the samples: on the satellite's path.
        sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1, vx1, vy1, vz1 = _path_ends(
            u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y, d0z, d1x, d1y, d1z, r0, r1, rd0, rd1)
        sa, sb, ga, gb = off_nadir_path_access(hx, hy, hz, R, sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1, vx1,
                                               vy1, vz1, cos_eta, dt)
        if sa < 0.0:
            return -1.0, -1.0, -1.0, -1.0
    q0, dq0 = elevation_margin_sq(hx, hy, hz, nx, ny, nz, R, u0x, u0y, u0z, d0x, d0y, d0z, r0, rd0, sin_eps)
    q1, dq1 = elevation_margin_sq(hx, hy, hz, nx, ny, nz, R, u1x, u1y, u1z, d1x, d1y, d1z, r1, rd1, sin_eps)
    if q0 >= 0.0 and q1 >= 0.0:
        return sa, sb, ga, gb
    sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1, vx1, vy1, vz1 = _path_ends(u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y,
                                                                            d0z, d1x, d1y, d1z, r0, r1, rd0, rd1)
    if q0 >= 0.0 or q1 >= 0.0:
        e = _elevation_edge(q0, _edge_guess(q0, dq0 * dt, q1, dq1 * dt), hx, hy, hz, nx, ny, nz, R,
                            sx0, sy0, sz0, vx0, vy0, vz0, sx1, sy1, sz1, vx1, vy1, vz1, sin_eps, dt)
        ea = 0.0 if q0 >= 0.0 else e
        eb = e if q0 >= 0.0 else 1.0
    else:
        # Both ends below: whether a pass peaks between the samples is read from the cubic
        # model of q, not of sin(elevation): q is a polynomial in the satellite's position,
        # as smooth in time as its orbit, while sin(elevation) turns at the line of sight's
        # rate seen from the ground (several times faster), and its cubic misses the peaks
        # of grazing passes kilometres deep (sim.engine.sampling.grazing_loss_km).
        # interval_access's first tests, which most steps beside the track stop at, come
        # without a call.
        if not (dq0 * dt > 0.0 and dq1 * dt < 0.0) or max(q0, q1) + (4.0 / 27.0) * (dq0 * dt - dq1 * dt) < 0.0:
            return -1.0, -1.0, -1.0, -1.0
        ea, eb = interval_access_call(q0, dq0, q1, dq1, dt)
        if ea < 0.0:
            return -1.0, -1.0, -1.0, -1.0
        if ea < eb:
            ea = _refine_elevation_edge(ea, 0.0, eb, hx, hy, hz, nx, ny, nz, R, sx0, sy0, sz0, vx0, vy0, vz0,
                                        sx1, sy1, sz1, vx1, vy1, vz1, sin_eps, dt)
            eb = _refine_elevation_edge(eb, ea, 1.0, hx, hy, hz, nx, ny, nz, R, sx0, sy0, sz0, vx0, vy0, vz0,
                                        sx1, sy1, sz1, vx1, vy1, vz1, sin_eps, dt)
        # The model can peak above the limit where the path does not (a grazing pass that is not
        # there): the path's own margin between the edges decides.
        if path_elevation_margin_sq(0.5 * (ea + eb), hx, hy, hz, nx, ny, nz, R, sx0, sy0, sz0, vx0, vy0, vz0,
                                    sx1, sy1, sz1, vx1, vy1, vz1, sin_eps, dt) < 0.0:
            return -1.0, -1.0, -1.0, -1.0
    a = max(sa, ea)
    b = min(sb, eb)
    if a > b:
        return -1.0, -1.0, -1.0, -1.0
    if ga >= 0.0:
        # The cone's gap against the elevation's part: inside it, or cutting one end, or all of it.
        if gb <= a or ga >= b:
            ga = gb = -1.0
        elif ga <= a and gb >= b:
            return -1.0, -1.0, -1.0, -1.0
        elif ga <= a:
            a = gb
            ga = gb = -1.0
        elif gb >= b:
            b = ga
            ga = gb = -1.0
    return a, b, ga, gb


@njit(cache=True, error_model="numpy", inline="always")
def _cubic(a0, a1, a2, a3, s):
    return ((a3 * s + a2) * s + a1) * s + a0


@njit(cache=True, error_model="numpy", inline="always")
def _cubic_root(a0, a1, a2, a3, lo, hi, plo, phi, guess):
    """Root of the cubic in [lo, hi] where p(lo) and p(hi) differ in sign.

    Safeguarded Newton from ``guess`` (the secant guess when it is outside
    the bracket): each evaluation also shrinks the bracket, and a Newton step
    that would leave it becomes a bisection, so convergence never stalls.  It
    stops when the quadratic model of the cubic puts the remaining error
    below 1e-6 of the step, 60 us at a 60 s step (or the step below 1e-7):
    from the inverse-Hermite guess that is mostly two Newton steps.
    """
    s = guess
    if not (lo < s < hi):
        s = lo + (hi - lo) * plo / (plo - phi)
    for _ in range(60):
        p = ((a3 * s + a2) * s + a1) * s + a0
        if p == 0.0:
            return s
        if (p > 0.0) == (plo > 0.0):
            lo = s
            plo = p
        else:
            hi = s
        dp = (3.0 * a3 * s + 2.0 * a2) * s + a1
        if dp != 0.0:
            step = p / dp
            s_new = s - step
            if lo < s_new < hi:
                # Error after this step ~ |p''| step^2 / (2 |p'|).
                if abs(step) < 1e-7 or abs(6.0 * a3 * s + 2.0 * a2) * step * step < 2e-6 * abs(dp):
                    return s_new
                s = s_new
                continue
        s_new = 0.5 * (lo + hi)
        if hi - lo < 1e-7:
            return s_new
        s = s_new
    return s


@njit(cache=True, error_model="numpy", inline="always")
def _edge_guess(f0, G0, f1, G1):
    """Where the margin crosses zero in [0, 1], from the cubic Hermite of the
    inverse function s(f) (known at f0 and f1 with slopes 1/G0, 1/G1): a
    start for Newton's method, mostly within 1e-2 of the root at a 60 s step.
    It is not accurate enough to be the edge itself: where the end slopes
    differ by 2x or more it is seconds off, so Newton's method always follows.
    Returns -1 when the ends' slopes do not agree with the crossing."""
    d = f1 - f0
    if not (G0 * d > 0.0 and G1 * d > 0.0):
        return -1.0
    u = -f0 / d
    m0 = d / G0
    m1 = d / G1
    u2 = u * u
    u3 = u2 * u
    return (u3 - 2.0 * u2 + u) * m0 + (3.0 * u2 - 2.0 * u3) + (u3 - u2) * m1


@njit(cache=True, error_model="numpy")
def _quadratic_root_01(A, B, C):
    """The root in (0, 1) of A s^2 + B s + C, given C > 0 > A + B + C."""
    if abs(A) < 1e-14 * (abs(B) + abs(C)):
        return min(1.0, max(0.0, -C / B))
    disc = max(0.0, B * B - 4.0 * A * C)
    q = -0.5 * (B + math.copysign(math.sqrt(disc), B))
    s1 = q / A
    s2 = C / q if q != 0.0 else -1.0
    s = s1 if 0.0 <= s1 <= 1.0 else s2
    return min(1.0, max(0.0, s))


@njit(cache=True, error_model="numpy", inline="always")
def interval_access(f0, g0, f1, g1, dt):
    """Accessed part of one step, as fractions (sa, sb) of the step; sa < 0: none.

    f0, g0 / f1, g1: margin and its rate (1/s) at the start / end of a step of
    ``dt`` seconds.  The margin is modelled by the cubic Hermite polynomial
    p(s), s in [0, 1].  A step whose two ends are both accessible is taken as
    accessed throughout (a dip would need two passes within one step).
    """
    if f0 >= 0.0 and f1 >= 0.0:
        return 0.0, 1.0
    G0 = g0 * dt
    G1 = g1 * dt
    if f0 < 0.0 and f1 < 0.0 and not (G0 > 0.0 and G1 < 0.0):
        return -1.0, -1.0
    a0 = f0
    a1 = G0
    a2 = -3.0 * f0 - 2.0 * G0 + 3.0 * f1 - G1
    a3 = 2.0 * f0 + G0 - 2.0 * f1 + G1
    if f0 >= 0.0:
        return 0.0, _cubic_root(a0, a1, a2, a3, 0.0, 1.0, f0, f1, _edge_guess(f0, G0, f1, G1))
    if f1 >= 0.0:
        return _cubic_root(a0, a1, a2, a3, 0.0, 1.0, f0, f1, _edge_guess(f0, G0, f1, G1)), 1.0
    # Both ends below: the margin rises then falls.  Hermite basis bounds
    # (h00 + h01 = 1, 0 <= s(1-s)^2, s^2(1-s) <= 4/27) give p <= max(f0, f1)
    # + 4/27 (G0 - G1): most points beside the track stop here.
    if max(f0, f1) + (4.0 / 27.0) * (G0 - G1) < 0.0:
        return -1.0, -1.0
    s_peak = _quadratic_root_01(3.0 * a3, 2.0 * a2, a1)
    p_peak = _cubic(a0, a1, a2, a3, s_peak)
    if p_peak < 0.0:
        return -1.0, -1.0
    sa = _cubic_root(a0, a1, a2, a3, 0.0, s_peak, f0, p_peak, -1.0) if p_peak > 0.0 else s_peak
    sb = _cubic_root(a0, a1, a2, a3, s_peak, 1.0, p_peak, f1, -1.0) if p_peak > 0.0 else s_peak
    return sa, sb


@njit(cache=True, error_model="numpy")
def interval_access_call(f0, g0, f1, g1, dt):
    """:func:`interval_access`, called rather than inlined: for callers that
    need it on few steps, where each inlined copy would add ~10 s of CPU to
    the first compile and save nothing measurable."""
    return interval_access(f0, g0, f1, g1, dt)


@njit(cache=True, error_model="numpy", inline="always")
def lit_clip(sa, sb, h0, h1):
    """The part of the step fraction [sa, sb] in which the point is lit.

    h0, h1: sin(Sun elevation) - sin(threshold) at the step's ends; between
    samples h is linear (the Sun moves 0.25 deg a minute: over a 60 s step the
    chord is within 1e-4 deg of the arc).  Returns (-1, -1) when nothing lit
    remains; a result may be a single instant (sa == sb).
    """
    if h0 >= 0.0 and h1 >= 0.0:
        return sa, sb
    if h0 < 0.0 and h1 < 0.0:
        return -1.0, -1.0
    sh = h0 / (h0 - h1)
    if h0 >= 0.0:
        lo = 0.0
        hi = sh
    else:
        lo = sh
        hi = 1.0
    a = max(sa, lo)
    b = min(sb, hi)
    if a > b:
        return -1.0, -1.0
    return a, b


@njit(cache=True, error_model="numpy", inline="always")
def swath_crossing(x0, x1, q0, G0, q1, G1, cos_half):
    """Fraction of the step at which a push-broom's scan line sweeps the point,
    or -1.

    x = p . n, with n the unit ground-track direction, falls from > 0 to <= 0
    as the satellite passes abeam (so a crossing on a sample belongs to one
    step only); linear in between.  At that instant the point's angular
    distance from the sub-satellite point is its cross-track distance: q =
    p . s (s the satellite's unit vector) is taken from its cubic Hermite
    polynomial (q0, q1 and the rates G0, G1 per step), and the point is imaged
    if q >= cos(half swath angle).
    """
    if not (x0 > 0.0 and x1 <= 0.0):
        return -1.0
    sx = x0 / (x0 - x1)
    a2 = -3.0 * q0 - 2.0 * G0 + 3.0 * q1 - G1
    a3 = 2.0 * q0 + G0 - 2.0 * q1 + G1
    if _cubic(q0, G0, a2, a3, sx) < cos_half:
        return -1.0
    return sx


@njit(cache=True, error_model="numpy")
def satellite_frames(pos, vel, sensor):
    """Per (satellite, sample): unit position s, its rate ds/dt (1/s), radius
    (km), radial rate (km/s) and the pruning reach (rad): the largest central
    angle accessible for any ground point (polar radius), plus a margin.
    ``sensor``: (nsat, 7) as built by sim.engine.run.sensor_array."""
    nsat, nk, _ = pos.shape
    u = np.empty((nsat, nk, 3))
    du = np.empty((nsat, nk, 3))
    rad = np.empty((nsat, nk))
    rdot = np.empty((nsat, nk))
    reach = np.empty((nsat, nk))
    for s in range(nsat):
        cos_low, sin_low = shifted(sensor[s, S_COS_EPS], sensor[s, S_SIN_EPS], -2.0 * MAX_VERTICAL_DEFLECTION_RAD)
        for k in range(nk):
            rx = pos[s, k, 0]
            ry = pos[s, k, 1]
            rz = pos[s, k, 2]
            r = math.sqrt(rx * rx + ry * ry + rz * rz)
            ux = rx / r
            uy = ry / r
            uz = rz / r
            rd = ux * vel[s, k, 0] + uy * vel[s, k, 1] + uz * vel[s, k, 2]
            u[s, k, 0] = ux
            u[s, k, 1] = uy
            u[s, k, 2] = uz
            du[s, k, 0] = (vel[s, k, 0] - ux * rd) / r
            du[s, k, 1] = (vel[s, k, 1] - uy * rd) / r
            du[s, k, 2] = (vel[s, k, 2] - uz * rd) / r
            rad[s, k] = r
            rdot[s, k] = rd
            if sensor[s, S_KIND] == KIND_SWATH:
                reach[s, k] = sensor[s, S_HALF_SWATH_KM] / R_MIN_KM + PRUNE_MARGIN_RAD
            else:
                # The geodetic horizon is at most MAX_VERTICAL_DEFLECTION_RAD from the geocentric one.
                c, _ = cos_reach(r, R_MIN_KM, sensor[s, 0], sensor[s, 1], cos_low, sin_low)
                reach[s, k] = math.acos(c) + PRUNE_MARGIN_RAD if c < 1.0 else -1.0
    return u, du, rad, rdot, reach


@njit(cache=True, error_model="numpy", inline="always")
def open_access(state, i, a, end, min_gap_s):
    """An access from ``a`` to ``end`` begins with none under way: the point's
    first access, or the end of a gap (recorded, and the previous run closed),
    unless ``a`` is within ``min_gap_s`` of the last access's end: then it
    continues that run and False is returned (the caller extends its end).
    The one rule of gaps, shared by merge_piece and the GPU kernel (sim.kernels.gpu)."""
    if state[i, SEEN] == 0.0:
        state[i, SEEN] = 1.0
        state[i, FIRST_START] = a
        state[i, RUN_START] = a
        state[i, LAST_END] = end
        return True
    last = state[i, LAST_END]
    if a > last + min_gap_s:
        gap = a - last
        state[i, N_GAPS] += 1.0
        state[i, GAP_SUM] += gap
        state[i, GAP_SUM2] += gap * gap
        if gap > state[i, GAP_MAX]:
            state[i, GAP_MAX] = gap
        close_run(state, i)
        state[i, RUN_START] = a
        state[i, LAST_END] = end
        return True
    return False


@njit(cache=True, error_model="numpy")
def merge_piece(state, i, a, b, min_gap_s):
    """Fold the access interval [a, b] (pieces of one point arrive sorted by a)."""
    if not open_access(state, i, a, b, min_gap_s) and b > state[i, LAST_END]:
        state[i, LAST_END] = b


@njit(cache=True, error_model="numpy")
def close_run(state, i):
    dur = state[i, LAST_END] - state[i, RUN_START]
    if state[i, N_ACCESS] == 0.0 or dur < state[i, DUR_MIN]:
        state[i, DUR_MIN] = dur
    if dur > state[i, DUR_MAX]:
        state[i, DUR_MAX] = dur
    state[i, N_ACCESS] += 1.0
    state[i, COVERED] += dur


@njit(cache=True, error_model="numpy")
def close_open_runs(state):
    """Close every seen point's last run (for figures at the window's end)."""
    for i in range(state.shape[0]):
        if state[i, SEEN] > 0.0:
            close_run(state, i)


@njit(cache=True, error_model="numpy")
def new_state(n_points):
    state = np.zeros((n_points, NSTATE))
    return state


@njit(cache=True, error_model="numpy")
def _merge_block(state, buf_pt, buf_a, buf_b, n, local_idx, block_size, min_gap_s):
    """Sort a block's pieces by (point, start) with a counting sort and fold them."""
    counts = np.zeros(block_size + 1, np.int64)
    for j in range(n):
        counts[local_idx[buf_pt[j]] + 1] += 1
    for j in range(block_size):
        counts[j + 1] += counts[j]
    order = np.empty(n, np.int64)
    fill = counts[:-1].copy()
    for j in range(n):
        li = local_idx[buf_pt[j]]
        order[fill[li]] = j
        fill[li] += 1
    tmp_a = np.empty(64, np.float64)
    tmp_b = np.empty(64, np.float64)
    for li in range(block_size):
        lo = counts[li]
        hi = counts[li + 1]
        m = hi - lo
        if m == 0:
            continue
        i = buf_pt[order[lo]]
        if m > tmp_a.shape[0]:
            tmp_a = np.empty(2 * m, np.float64)
            tmp_b = np.empty(2 * m, np.float64)
        for q in range(m):
            tmp_a[q] = buf_a[order[lo + q]]
            tmp_b[q] = buf_b[order[lo + q]]
        _sort_by_start(tmp_a, tmp_b, m)
        for q in range(m):
            merge_piece(state, i, tmp_a[q], tmp_b[q], min_gap_s)


@njit(cache=True, error_model="numpy")
def _sort_by_start(a, b, m):
    """Sort the first ``m`` pieces (start ``a``, end ``b``) by start, in place:
    Shell's sort with Knuth's gaps, a plain insertion sort up to 5 pieces (a
    point's pieces in a block are mostly a few; a dense shell gives it
    hundreds).  Order among equal starts does not matter to merge_piece."""
    gap = 1
    while gap < m // 3:
        gap = 3 * gap + 1
    while gap >= 1:
        for q in range(gap, m):
            ka = a[q]
            kb = b[q]
            z = q
            while z >= gap and a[z - gap] > ka:
                a[z] = a[z - gap]
                b[z] = b[z - gap]
                z -= gap
            a[z] = ka
            b[z] = kb
        gap //= 3


@njit(cache=True, error_model="numpy", inline="always")
def search_left(a, x):
    """``np.searchsorted(a, x, side="left")`` for a sorted 1-d array (NaN last, as
    numpy sorts): the first index i with a[i] >= x.  Written out because numpy's
    generic version compiles complex-number comparisons into every first run."""
    lo = 0
    hi = a.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x or (x != x and a[mid] == a[mid]):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, error_model="numpy", inline="always")
def search_right(a, x):
    """``np.searchsorted(a, x, side="right")`` (see :func:`search_left`): the first
    index i with a[i] > x."""
    lo = 0
    hi = a.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if x < a[mid] or (a[mid] != a[mid] and x == x):
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, error_model="numpy")
def _lon_index_range(lon_c, half, lon0, dlon):
    """Integer index range (may exceed [0, n)) of a uniform row within lon_c +- half."""
    j_lo = math.ceil((lon_c - half - lon0) / dlon)
    j_hi = math.floor((lon_c + half - lon0) / dlon)
    return j_lo, j_hi


@njit(cache=True, error_model="numpy")
def _row_span(r, sin_lat_m, cos_lat_m, cos_rho, lon_m, rows):
    """Index ranges [ja0, jb0] and [ja1, jb1] (within the row) of row ``r``'s
    points that may lie inside the disc of centre (lat_m, lon_m) and radius
    rho (given as sin/cos of lat_m and cos rho); an empty range has jb < ja."""
    phi = rows.row_geoc_lat[r]
    den = math.cos(phi) * cos_lat_m
    num = cos_rho - math.sin(phi) * sin_lat_m
    if num <= -den:
        half = math.pi  # the whole row is inside the disc
    elif num >= den:
        return 0, -1, 0, -1
    else:
        half = math.acos(num / den)
    start = rows.row_start[r]
    count = rows.row_count[r]
    if half >= math.pi:
        return 0, count - 1, 0, -1
    if rows.row_dlon[r] > 0.0:
        jl, jh = _lon_index_range(lon_m, half, rows.row_lon0[r], rows.row_dlon[r])
        if jh - jl + 1 >= count:
            return 0, count - 1, 0, -1
        jl_mod = jl % count
        jh_mod = jh % count
        if jl_mod <= jh_mod:
            return jl_mod, jh_mod, 0, -1
        return jl_mod, count - 1, 0, jh_mod
    lons = rows.pt_lon[start:start + count]
    lo_l = lon_m - half
    hi_l = lon_m + half
    if lo_l < -math.pi:
        return (search_left(lons, lo_l + 2 * math.pi), count - 1,
                0, search_right(lons, hi_l) - 1)
    if hi_l >= math.pi:
        return (search_left(lons, lo_l), count - 1,
                0, search_right(lons, hi_l - 2 * math.pi) - 1)
    return search_left(lons, lo_l), search_right(lons, hi_l) - 1, 0, -1


@njit(cache=True, error_model="numpy", inline="always")
def _lon_ranges(lons, lo_l, hi_l):
    """Index ranges [a0, b0) and [a1, b1) of the sorted longitudes ``lons``
    (in [-pi, pi)) within [lo_l, hi_l], an interval at most 2 pi wide that may
    cross -pi or pi."""
    n = lons.shape[0]
    if hi_l - lo_l >= 2.0 * math.pi:
        return 0, n, 0, 0
    if lo_l < -math.pi:
        return search_left(lons, lo_l + 2.0 * math.pi), n, 0, search_right(lons, hi_l)
    if hi_l >= math.pi:
        return search_left(lons, lo_l), n, 0, search_right(lons, hi_l - 2.0 * math.pi)
    return search_left(lons, lo_l), search_right(lons, hi_l), 0, 0


@njit(cache=True, error_model="numpy", inline="always")
def _band_half_width(lat_a, lat_b, lat_m, rho, sin_m, cos_m, cos_rho, half):
    """The largest longitude half-width (rad) of the disc of centre latitude
    lat_m (sin_m, cos_m) and radius rho (cos_rho) between the latitudes lat_a
    and lat_b (a point band's), at most ``half``, the whole disc's.  At latitude
    phi the disc spans cos(dlon) = (cos rho - sin phi sin lat_m) / (cos phi cos lat_m)
    either side of its centre, which is largest where sin phi = sin lat_m / cos rho
    and falls away on both sides: the band's widest is there or at its nearer end."""
    if half >= math.pi:
        return half  # the disc holds a pole
    lo = max(lat_a, lat_m - rho)
    hi = min(lat_b, lat_m + rho)
    if not lo < hi:
        return half
    least = 2.0  # the least cos(dlon): at the widest latitude of the three
    for at in range(3):
        if at == 2:
            sin_phi = sin_m / cos_rho
            if not math.sin(lo) < sin_phi < math.sin(hi):
                break
            cos_phi = math.sqrt(1.0 - sin_phi * sin_phi)
        else:
            phi = lo if at == 0 else hi
            sin_phi = math.sin(phi)
            cos_phi = math.cos(phi)
        den = cos_phi * cos_m
        if den <= 0.0:
            return half
        least = min(least, (cos_rho - sin_phi * sin_m) / den)
    if least <= -1.0:
        return half
    return min(half, math.acos(min(1.0, least)))


@njit(cache=True, error_model="numpy")
def _disc_points(blk, n_blocks, lat_m, lon_m, rho, r_lo, r_hi, rows, band_test, wx, wy, wz, sin_band, cand):
    """This block's points (in rows [r_lo, r_hi)) inside the disc of centre
    (lat_m, lon_m) and radius rho, written to ``cand``; returns their number.

    Candidates come from the point bands the disc's latitudes cross, within
    the disc's longitude half-width asin(sin rho / cos lat_m) (all longitudes
    where the disc holds a pole), and each is tested against the disc itself:
    p . m >= cos rho, m the disc's centre.  With ``band_test`` a point must
    also lie within the step's cross-track band (|p . w| <= sin_band, w the
    pole of the step's great circle), which every point the satellite can
    access during the step does (see _step_rows).  Every point dropped here
    is at least the pruning margin outside what the satellite can access."""
    n_bands = (rows.band_start.shape[0] - 1) // n_blocks
    h = math.pi / n_bands
    b_lo = max(0, int(math.floor((lat_m - rho + 0.5 * math.pi) / h)))
    b_hi = min(n_bands - 1, int(math.floor((lat_m + rho + 0.5 * math.pi) / h)))
    if abs(lat_m) + rho >= 0.5 * math.pi:
        half = math.pi
    else:
        half = math.asin(min(1.0, math.sin(rho) / math.cos(lat_m)))
    cos_lat = math.cos(lat_m)
    mx = cos_lat * math.cos(lon_m)
    my = cos_lat * math.sin(lon_m)
    mz = math.sin(lat_m)
    cos_rho = math.cos(rho)
    phat = rows.phat
    n = 0
    for b in range(b_lo, b_hi + 1):
        lo = rows.band_start[blk * n_bands + b]
        hi = rows.band_start[blk * n_bands + b + 1]
        if hi == lo:
            continue
        half_b = _band_half_width(b * h - 0.5 * math.pi, (b + 1) * h - 0.5 * math.pi, lat_m, rho, mz, cos_lat,
                                  cos_rho, half)
        a0, b0, a1, b1 = _lon_ranges(rows.band_lon[lo:hi], lon_m - half_b, lon_m + half_b)
        for part in range(2):
            ja = lo + (a0 if part == 0 else a1)
            jb = lo + (b0 if part == 0 else b1)
            for j in range(ja, jb):
                i = rows.band_pts[j]
                r = rows.pt_row[i]
                if r < r_lo or r >= r_hi:
                    continue
                hx = phat[i, 0]
                hy = phat[i, 1]
                hz = phat[i, 2]
                if hx * mx + hy * my + hz * mz < cos_rho:
                    continue
                if band_test and abs(hx * wx + hy * wy + hz * wz) > sin_band:
                    continue
                cand[n] = i
                n += 1
    return n


@njit(cache=True, error_model="numpy", inline="always")
def _lit_margins(nxyz, i, sun0x, sun0y, sun0z, sun1x, sun1y, sun1z, sin_sun):
    """sin(Sun elevation) - sin(threshold) at point i, at both ends of the step."""
    gx = nxyz[i, 0]
    gy = nxyz[i, 1]
    gz = nxyz[i, 2]
    return (gx * sun0x + gy * sun0y + gz * sun0z - sin_sun,
            gx * sun1x + gy * sun1y + gz * sun1z - sin_sun)


@njit(cache=True, error_model="numpy", inline="always")
def _unit(x, y, z):
    n = math.sqrt(x * x + y * y + z * z)
    return x / n, y / n, z / n


@njit(cache=True, error_model="numpy")
def _step_disc(u, reach, s, k):
    """The disc (centre latitude, longitude, radius; rad) holding every point
    satellite ``s`` can access during step ``k``, and the step's arc (rad)."""
    u0x = u[s, k, 0]
    u0y = u[s, k, 1]
    u0z = u[s, k, 2]
    u1x = u[s, k + 1, 0]
    u1y = u[s, k + 1, 1]
    u1z = u[s, k + 1, 2]
    delta = math.acos(min(1.0, u0x * u1x + u0y * u1y + u0z * u1z))
    mx = u0x + u1x
    my = u0y + u1y
    mz = u0z + u1z
    mn = math.sqrt(mx * mx + my * my + mz * mz)
    mx /= mn
    my /= mn
    mz /= mn
    # Every sub-satellite point of the step lies within delta/2 of the
    # chord's middle, plus the bow of the Earth-fixed track away from a
    # great circle (~1e-3 delta in LEO; 5e-2 delta is allowed).
    reach_max = max(reach[s, k], reach[s, k + 1])
    rho = min(math.pi, reach_max + 0.55 * delta)
    lat_m = math.asin(max(-1.0, min(1.0, mz)))
    lon_m = math.atan2(my, mx)
    return lat_m, lon_m, rho, delta, reach_max


@njit(cache=True, error_model="numpy", inline="always")
def _owns_any(owner, i, s, j0, j1):
    """Whether, in some step j0 <= j < j1, point i is owned by satellite ``s``,
    or by none (nothing then vouches for that step: keep the pass)."""
    for j in range(j0, j1):
        o = owner[i, j]
        if o == s or o < 0:
            return True
    return False


@njit(cache=True, error_model="numpy", inline="always")
def _subsumed_step(i, s, k, in0, in1, seg_start, seg_end, t0, t1, passes, buf, n_buf):
    """Satellite ``s`` sees point i during step k, but not throughout, while
    an earlier satellite does (see _step_rows).  in0 / in1: ``s`` sees the point
    at the step's start / end (both never hold: that would be the whole step).
    A pass open at the start ends there (kept if it has an edge-bounded start
    or ``s`` owns one of its steps); a pass running on at the end starts there.
    ``buf``: (point, start, end) arrays of finished pieces, ``n_buf`` filled."""
    if in0 and not seg_start and passes.sat[i] == s:
        if passes.step[i] < 0 or _owns_any(passes.owner, i, s, passes.step[i], k):
            buf[0][n_buf] = i
            buf[1][n_buf] = passes.start[i]
            buf[2][n_buf] = t0
            n_buf += 1
        passes.sat[i] = -1
    elif in1 and not seg_end:
        passes.sat[i] = s
        passes.start[i] = t1
        passes.step[i] = k + 1
    return n_buf


@njit(cache=True, error_model="numpy", inline="always")
def _dark_step(lat_m, lon_m, rho, sun, k, sin_sun):
    """Whether every point of the disc (lat_m, lon_m, rho) sees the Sun below
    the threshold throughout step k: none sees it higher than the disc's
    centre does plus the disc's radius (plus the tilt of the geodetic vertical)."""
    mx = math.cos(lat_m) * math.cos(lon_m)
    my = math.cos(lat_m) * math.sin(lon_m)
    mz = math.sin(lat_m)
    sm = max(mx * sun[k, 0] + my * sun[k, 1] + mz * sun[k, 2],
             mx * sun[k + 1, 0] + my * sun[k + 1, 1] + mz * sun[k + 1, 2])
    el_max = math.asin(max(-1.0, min(1.0, sm))) + rho + MAX_VERTICAL_DEFLECTION_RAD + 1e-3
    return el_max < math.asin(sin_sun)


@njit(cache=True, error_model="numpy")
def _part_before_gap(i, s, sa, ga, t0, dt, seg_start, lit, nxyz, sun0x, sun0y, sun0z, sun1x, sun1y, sun1z,
                     sin_sun, passes, buf, n_buf):
    """The first of a step's two accessed parts, [sa, ga] (fractions; the cone dips
    out over a gap after it: :func:`geodetic_access`), lit where the sensor needs
    light (:func:`_lit_margins`), as a finished piece that closes any pass of
    satellite ``s`` still open at point ``i``; returns the new fill."""
    if lit:
        h0, h1 = _lit_margins(nxyz, i, sun0x, sun0y, sun0z, sun1x, sun1y, sun1z, sin_sun)
        sa, ga = lit_clip(sa, ga, h0, h1)
        if sa < 0.0:
            return n_buf
    if sa == 0.0 and not seg_start and passes.sat[i] == s:
        a = passes.start[i]
    else:
        a = t0 + sa * dt
    buf[0][n_buf] = i
    buf[1][n_buf] = a
    buf[2][n_buf] = t0 + ga * dt
    return n_buf + 1


@njit(cache=True, error_model="numpy")
def _step_rows(blk, n_blocks, s, k, seg_start, seg_end, disc, r_lo, r_hi, sats, rows, passes, prune_overlap,
               buf, n_buf, cand, bands):
    """Accesses of satellite ``s`` during step ``k`` over this block's rows.

    Appends finished passes to the buffers (whose capacity the caller
    ensured) and returns the new fill.  A pass still running at the end of the
    step stays open in ``passes`` and costs nothing while the
    point remains inside the footprint at both ends of later steps; it is
    closed at its exit or, at a segment's last step, at the step's end.
    A swath sensor's accesses are instants (no open passes).

    ``disc``: the step's disc from :func:`_step_disc`; ``sats``, ``rows``,
    ``passes``: :class:`SatSteps`, :class:`GridRows`, :class:`OpenPasses`;
    ``buf``: (point, start, end) arrays of finished pieces, ``n_buf`` filled.

    With ``prune_overlap``, ``passes.owner[i, k]`` is the first satellite found to
    see point i throughout step k (margin >= 0 at both ends, and lit at both
    ends for a lit-only sensor), or -1; each satellite marks the steps it sees
    throughout where none is marked yet.  Where an earlier satellite sees the
    whole step, this one's edges in it cannot bound a run of the point's
    access (the union of all passes), so none is solved: its pass is cut at
    the step's ends instead (_subsumed_step), and a pass lying wholly in such
    steps is dropped unless its satellite owns one of them (the owner's pass
    is always kept, so each owned step stays covered).  The union, and so
    every figure, is the same to the bit: the runs' ends are the same edges.
    """
    lat_m, lon_m, rho, delta, reach_max = disc
    sensor = sats.sensor
    sun = sats.sun
    cos_eta = sensor[s, S_COS_ETA]
    sin_eta = sensor[s, S_SIN_ETA]
    cos_eps = sensor[s, S_COS_EPS]
    sin_eps = sensor[s, S_SIN_EPS]
    swath = sensor[s, S_KIND] == KIND_SWATH
    half_swath_km = sensor[s, S_HALF_SWATH_KM]
    sin_sun = sensor[s, S_SIN_SUN]
    lit = sin_sun > NO_LIGHTING
    sun0x = sun[k, 0]
    sun0y = sun[k, 1]
    sun0z = sun[k, 2]
    sun1x = sun[k + 1, 0]
    sun1y = sun[k + 1, 1]
    sun1z = sun[k + 1, 2]
    t0 = sats.t[k]
    t1 = sats.t[k + 1]
    dt = t1 - t0
    u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y, d0z, d1x, d1y, d1z = step_vectors(sats.u, sats.du, s, k)
    r0 = sats.rad[s, k]
    r1 = sats.rad[s, k + 1]
    rd0 = sats.rdot[s, k]
    rd1 = sats.rdot[s, k + 1]
    # Pole of the step's great circle, for the cross-track band test.
    wx = u0y * u1z - u0z * u1y
    wy = u0z * u1x - u0x * u1z
    wz = u0x * u1y - u0y * u1x
    wn = math.sqrt(wx * wx + wy * wy + wz * wz)
    if wn > 1e-15:
        wx /= wn
        wy /= wn
        wz /= wn
        sin_band = math.sin(min(0.5 * math.pi, reach_max + 0.05 * delta))
    else:
        sin_band = 2.0
    if swath:
        # Along-track axis: the unit ground-track direction at both ends.
        n0x, n0y, n0z = _unit(d0x, d0y, d0z)
        n1x, n1y, n1z = _unit(d1x, d1y, d1z)
    else:
        n0x = n0y = n0z = n1x = n1y = n1z = 0.0
    sin_lat_m = math.sin(lat_m)
    cos_lat_m = math.cos(lat_m)
    cos_rho = math.cos(rho)
    r_first = r_lo + (blk - r_lo) % n_blocks
    if bands is not None:
        n_iter = _disc_points(blk, n_blocks, lat_m, lon_m, rho, r_lo, r_hi, rows, not swath, wx, wy, wz, sin_band,
                              cand)
    else:
        n_iter = max(0, (r_hi - r_first + n_blocks - 1) // n_blocks)
    for q in range(n_iter):
        if bands is not None:
            # One point of the disc: its row's span is that point alone.
            i = cand[q]
            r = rows.pt_row[i]
            start = rows.row_start[r]
            ja0 = jb0 = i - start
            ja1, jb1 = 0, -1
        else:
            r = r_first + q * n_blocks
            start = rows.row_start[r]
            ja0, jb0, ja1, jb1 = _row_span(r, sin_lat_m, cos_lat_m, cos_rho, lon_m, rows)
            if jb0 < ja0 and jb1 < ja1:
                continue
        R = rows.row_radius[r]
        if swath:
            cos_half = math.cos(min(0.5 * math.pi, half_swath_km / R))
            for part in range(2):
                ja = ja0 if part == 0 else ja1
                jb = jb0 if part == 0 else jb1
                for j in range(ja, jb + 1):
                    i = start + j
                    hx = rows.phat[i, 0]
                    hy = rows.phat[i, 1]
                    hz = rows.phat[i, 2]
                    sx = swath_crossing(hx * n0x + hy * n0y + hz * n0z, hx * n1x + hy * n1y + hz * n1z,
                                        hx * u0x + hy * u0y + hz * u0z, (hx * d0x + hy * d0y + hz * d0z) * dt,
                                        hx * u1x + hy * u1y + hz * u1z, (hx * d1x + hy * d1y + hz * d1z) * dt,
                                        cos_half)
                    if sx < 0.0:
                        continue
                    if lit:
                        h0, h1 = _lit_margins(rows.nxyz, i, sun0x, sun0y, sun0z, sun1x, sun1y, sun1z, sin_sun)
                        if h0 + sx * (h1 - h0) < 0.0:
                            continue
                    buf[0][n_buf] = i
                    buf[1][n_buf] = t0 + sx * dt
                    buf[2][n_buf] = t0 + sx * dt
                    n_buf += 1
            continue
        # The row's access limit at both ends of the step.  Where the elevation
        # limit can bind, it is measured from each point's geodetic horizon
        # (geodetic_access); the row's limit is then an outer bound that only
        # rejects: the geocentric one of eps - 2 deflections.
        C0, dC0 = cos_reach(r0, R, cos_eta, sin_eta, cos_eps, sin_eps)
        C1, dC1 = cos_reach(r1, R, cos_eta, sin_eta, cos_eps, sin_eps)
        deflection = rows.row_deflection[r]
        near_limb = cone_near_limb(r0, r1, rd0, rd1, dt, R, cos_eta, sin_eta)
        geodetic = near_limb or elevation_may_bind(r0, r1, R, cos_eta, sin_eta, cos_eps, sin_eps, deflection)
        if geodetic:
            cos_out, sin_out = shifted(cos_eps, sin_eps, -2.0 * deflection)
            C0, dC0 = cos_reach(r0, R, cos_eta, sin_eta, cos_out, sin_out)
            C1, dC1 = cos_reach(r1, R, cos_eta, sin_eta, cos_out, sin_out)
        e0 = dC0 * rd0
        e1 = dC1 * rd1
        limb_row = not geodetic and max(r0, r1) * sin_eta >= X_NEAR_LIMB * R
        # Overlap pruning of geodetic edges: where the cone excludes nothing, the ends' elevation margins alone
        # say whether the satellite sees a point at the samples.
        prune_geodetic = prune_overlap and geodetic and cone_free(r0, r1, rd0, rd1, dt, R, cos_eta, sin_eta)
        for part in range(2):
            ja = ja0 if part == 0 else ja1
            jb = jb0 if part == 0 else jb1
            for j in range(ja, jb + 1):
                i = start + j
                hx = rows.phat[i, 0]
                hy = rows.phat[i, 1]
                hz = rows.phat[i, 2]
                f0 = hx * u0x + hy * u0y + hz * u0z - C0
                f1 = hx * u1x + hy * u1y + hz * u1z - C1
                # Inside at both ends with the cone near the limb: the margin may dip out and back.
                if geodetic or (limb_row and f0 >= 0.0 and f1 >= 0.0 and margin_may_dip(
                        r0, r1, R, sin_eta, f0, (hx * d0x + hy * d0y + hz * d0z - e0) * dt, f1,
                        (hx * d1x + hy * d1y + hz * d1z - e1) * dt)):
                    if abs(hx * wx + hy * wy + hz * wz) > sin_band:
                        continue
                    g0 = hx * d0x + hy * d0y + hz * d0z - e0
                    g1 = hx * d1x + hy * d1y + hz * d1z - e1
                    # (Near the limb the row's limit is no cubic: no rejection by its model.)
                    if f0 < 0.0 and f1 < 0.0 and not (g0 > 0.0 and g1 < 0.0) and not near_limb:
                        continue
                    if prune_geodetic and passes.owner[i, k] >= 0:
                        # Another satellite sees the point throughout this step, and this one's cone excludes
                        # nothing: its elevation edges in the step bound no run (a whole step goes on below).
                        # The ends' signs as geodetic_access reads them.
                        m0, _ = elevation_margin_sq(hx, hy, hz, rows.nxyz[i, 0], rows.nxyz[i, 1], rows.nxyz[i, 2], R,
                                                    u0x, u0y, u0z, d0x, d0y, d0z, r0, rd0, sin_eps)
                        m1, _ = elevation_margin_sq(hx, hy, hz, rows.nxyz[i, 0], rows.nxyz[i, 1], rows.nxyz[i, 2], R,
                                                    u1x, u1y, u1z, d1x, d1y, d1z, r1, rd1, sin_eps)
                        in0 = m0 >= 0.0
                        in1 = m1 >= 0.0
                        if not (in0 and in1):
                            if lit and (in0 or in1):
                                h0, h1 = _lit_margins(rows.nxyz, i, sun0x, sun0y, sun0z, sun1x, sun1y, sun1z, sin_sun)
                                in0 = in0 and h0 >= 0.0
                                in1 = in1 and h1 >= 0.0
                            if in0 or in1:
                                n_buf = _subsumed_step(i, s, k, in0, in1, seg_start, seg_end, t0, t1, passes, buf,
                                                       n_buf)
                            continue
                    sa, sb, ga, gb = geodetic_access(hx, hy, hz, rows.nxyz[i, 0], rows.nxyz[i, 1], rows.nxyz[i, 2],
                                                     R, u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y, d0z, d1x, d1y, d1z,
                                                     r0, r1, rd0, rd1, cos_eta, sin_eta, sin_eps, dt)
                    if sa < 0.0:
                        continue
                    if ga >= 0.0:
                        # Two parts (a cone at the limb dips out and back): the first is a piece of its own.
                        n_buf = _part_before_gap(i, s, sa, ga, t0, dt, seg_start, lit, rows.nxyz, sun0x, sun0y, sun0z,
                                                 sun1x, sun1y, sun1z, sin_sun, passes, buf, n_buf)
                        sa = gb
                    if sa == 0.0 and sb == 1.0 and not lit:
                        if prune_overlap and passes.owner[i, k] < 0:
                            passes.owner[i, k] = s
                        if not (seg_start or seg_end) and passes.sat[i] == s:
                            continue  # inside throughout: the open pass runs on
                elif f0 >= 0.0 and f1 >= 0.0:
                    if not lit:
                        if prune_overlap and passes.owner[i, k] < 0:
                            passes.owner[i, k] = s
                        if not (seg_start or seg_end) and passes.sat[i] == s:
                            continue  # inside throughout: the open pass runs on
                    sa = 0.0
                    sb = 1.0
                else:
                    if abs(hx * wx + hy * wy + hz * wz) > sin_band:
                        continue  # too far across the track for any access
                    if prune_overlap and passes.owner[i, k] >= 0:
                        # Another satellite sees the point throughout this
                        # step, so this one's edges in it bound no run.
                        if f0 >= 0.0 or f1 >= 0.0:
                            in0 = f0 >= 0.0
                            in1 = f1 >= 0.0
                            if lit:
                                h0, h1 = _lit_margins(rows.nxyz, i, sun0x, sun0y, sun0z, sun1x, sun1y, sun1z, sin_sun)
                                in0 = in0 and h0 >= 0.0
                                in1 = in1 and h1 >= 0.0
                            n_buf = _subsumed_step(i, s, k, in0, in1, seg_start, seg_end, t0, t1, passes, buf, n_buf)
                        continue
                    g0 = hx * d0x + hy * d0y + hz * d0z - e0
                    g1 = hx * d1x + hy * d1y + hz * d1z - e1
                    if f0 < 0.0 and f1 < 0.0 and not (g0 > 0.0 and g1 < 0.0):
                        continue
                    sa, sb = interval_access(f0, g0, f1, g1, dt)
                    if sa < 0.0:
                        continue
                if lit:
                    h0, h1 = _lit_margins(rows.nxyz, i, sun0x, sun0y, sun0z, sun1x, sun1y, sun1z, sin_sun)
                    if sa == 0.0 and sb == 1.0 and h0 >= 0.0 and h1 >= 0.0:
                        if prune_overlap and passes.owner[i, k] < 0:
                            passes.owner[i, k] = s
                        if not (seg_start or seg_end) and passes.sat[i] == s:
                            continue  # inside and lit throughout
                    if (prune_overlap and sa == 0.0 and sb == 1.0 and not (h0 >= 0.0 and h1 >= 0.0)
                            and passes.owner[i, k] >= 0):
                        n_buf = _subsumed_step(i, s, k, h0 >= 0.0, h1 >= 0.0, seg_start, seg_end, t0, t1, passes,
                                               buf, n_buf)
                        continue
                    sa, sb = lit_clip(sa, sb, h0, h1)
                    if sa < 0.0:
                        continue
                if sa == 0.0 and not seg_start and passes.sat[i] == s:
                    a = passes.start[i]
                    from_step = passes.step[i]
                else:
                    a = t0 + sa * dt
                    # A pass beginning with a whole step owes its start to no edge.
                    from_step = k if sa == 0.0 and sb == 1.0 else -1
                if sb == 1.0:
                    if not seg_end:
                        passes.sat[i] = s
                        passes.start[i] = a
                        passes.step[i] = from_step
                        continue
                    b = t1
                    if prune_overlap and from_step >= 0 and not _owns_any(passes.owner, i, s, from_step, k + 1):
                        continue  # other satellites see every step of this pass throughout
                else:
                    b = t0 + sb * dt
                buf[0][n_buf] = i
                buf[1][n_buf] = a
                buf[2][n_buf] = b
                n_buf += 1
    return n_buf


# Slack (on a cosine) of _step_points' step-wide bounds: rounding moves a margin by
# ~1e-15, so a point inside (outside) a bound by this much is inside (outside) its
# own limit in any rounding.
BOUND_SLACK = 1e-9
# How the elevation limit may bind in a step, over every point of the grid
# (elevation_may_bind): nowhere, everywhere, or point by point.
BINDS_NOWHERE = 0
BINDS_EVERYWHERE = 1
BINDS_PER_POINT = 2
# Points of a step's disc that get their own margins before _step_points works out
# the step's bounds, which cost about as much as four points' own (measured: at 100
# sites, most steps hold one or none, and bounds for each made the run 25 % slower).
EXACT_BEFORE_BOUNDS = 4


@njit(cache=True, error_model="numpy", inline="always")
def cos_reach_elevation(r, R, cos_eps, sin_eps):
    """cos(Lambda) of the elevation limit eps alone (from the horizon normal to
    the point's geocentric radius): 2.0 when the satellite is not above R."""
    y = R * cos_eps / r
    if y >= 1.0:
        return 2.0
    return y * cos_eps + math.sqrt(1.0 - y * y) * sin_eps


@njit(cache=True, error_model="numpy", inline="always")
def binding_mode(r, R_lo, R_hi, cos_eta, sin_eta, cos_eps, sin_eps, cos_in, sin_in):
    """Whether :func:`elevation_may_bind`'s test at one end of a step (satellite
    at radius r) holds for no point, every point or some points (BINDS_*) of
    radius R_lo..R_hi whose verticals deflect by at most the angle that turns
    (cos_eps, sin_eps) into (cos_in, sin_in).  Both reaches grow with the
    point's radius and the elevation limit's with the limit, so the extreme
    radii and deflections decide, with BOUND_SLACK for rounding."""
    ce_lo = cos_reach_off_nadir(r, R_lo, cos_eta, sin_eta)[0]
    ce_hi = cos_reach_off_nadir(r, R_hi, cos_eta, sin_eta)[0]
    if ce_lo > -2.0 and ce_lo > cos_reach_elevation(r, R_hi, cos_in, sin_in) + BOUND_SLACK:
        return BINDS_NOWHERE
    if ce_hi + BOUND_SLACK < cos_reach_elevation(r, R_lo, cos_eps, sin_eps):
        return BINDS_EVERYWHERE
    return BINDS_PER_POINT


@njit(cache=True, error_model="numpy", inline="always")
def _max_abs_dcos(r, R_lo, R_hi, cos_eta, sin_eta, cos_eps, sin_eps, cos_out, sin_out):
    """The largest |d cos(Lambda)/dr| of :func:`cos_reach` over the radii R_lo,
    R_hi and the elevation limits (cos_eps, sin_eps), (cos_out, sin_out)."""
    a = cos_reach(r, R_lo, cos_eta, sin_eta, cos_eps, sin_eps)[1]
    b = cos_reach(r, R_hi, cos_eta, sin_eta, cos_eps, sin_eps)[1]
    c = cos_reach(r, R_lo, cos_eta, sin_eta, cos_out, sin_out)[1]
    d = cos_reach(r, R_hi, cos_eta, sin_eta, cos_out, sin_out)[1]
    return max(max(abs(a), abs(b)), max(abs(c), abs(d)))


@njit(cache=True, error_model="numpy")
def _step_bounds(r0, r1, rd0, rd1, R_lo, R_hi, max_deflection, cos_eta, sin_eta, cos_eps, sin_eps):
    """:func:`_step_points`' bounds of one step for every point of radius R_lo..R_hi
    whose vertical deflects by at most ``max_deflection``: the inner and outer
    cos(Lambda) at both ends, the bound on the rates' radial terms at both
    ends and the binding mode (BINDS_*)."""
    cos_in, sin_in = shifted(cos_eps, sin_eps, max_deflection)
    cos_out, sin_out = shifted(cos_eps, sin_eps, -2.0 * max_deflection)
    in0 = cos_reach(r0, R_hi, cos_eta, sin_eta, cos_in, sin_in)[0] + BOUND_SLACK
    in1 = cos_reach(r1, R_hi, cos_eta, sin_eta, cos_in, sin_in)[0] + BOUND_SLACK
    out0 = cos_reach(r0, R_lo, cos_eta, sin_eta, cos_out, sin_out)[0] - BOUND_SLACK
    out1 = cos_reach(r1, R_lo, cos_eta, sin_eta, cos_out, sin_out)[0] - BOUND_SLACK
    # Twice the largest radial term dC/dr * rdot of any point's rates.
    slope0 = 2.0 * abs(rd0) * _max_abs_dcos(r0, R_lo, R_hi, cos_eta, sin_eta, cos_eps, sin_eps, cos_out, sin_out)
    slope1 = 2.0 * abs(rd1) * _max_abs_dcos(r1, R_lo, R_hi, cos_eta, sin_eta, cos_eps, sin_eps, cos_out, sin_out)
    mode0 = binding_mode(r0, R_lo, R_hi, cos_eta, sin_eta, cos_eps, sin_eps, cos_in, sin_in)
    mode1 = binding_mode(r1, R_lo, R_hi, cos_eta, sin_eta, cos_eps, sin_eps, cos_in, sin_in)
    if mode0 == BINDS_EVERYWHERE or mode1 == BINDS_EVERYWHERE:
        mode = BINDS_EVERYWHERE
    elif mode0 == BINDS_NOWHERE and mode1 == BINDS_NOWHERE:
        mode = BINDS_NOWHERE
    else:
        mode = BINDS_PER_POINT
    return in0, in1, out0, out1, slope0, slope1, mode


@njit(cache=True, error_model="numpy")
def _step_points(blk, n_blocks, s, k, seg_start, seg_end, disc, sats, rows, passes, prune_overlap, buf, n_buf,
                 R_lo, R_hi, max_deflection):
    """:func:`_step_rows` for a point list (point bands) and a framing sensor
    (off-nadir and elevation limits): the same accesses, to the bit, at a
    fraction of the cost per point.

    Every point of a list is mostly its own row, so the row path's per-row
    work (the access limit at the row's radius, whether the elevation limit
    can bind there, the outer bound of the geodetic horizon: square roots,
    divisions and four trigonometric calls) fell on every point of every
    step's disc.  Here it is done once per step for the whole grid, whose
    points lie between the radii R_lo and R_hi (km) with verticals deflected
    by at most ``max_deflection`` (rad):

    - a point that sees the satellite within the inner bound (the limit at
      R_hi, eps + max_deflection) at both ends of the step is accessed
      throughout, as either exact margin says (no per-point work);
    - a point outside the outer bound (the limit at R_lo, eps -
      2 max_deflection) at both ends, with no sign in its rates of a pass
      between the samples (the rates' step-wide bound covers the point's own
      radial term), is one the row path rejects too;
    - any other point gets its own margins: the off-nadir margin at its radius
      where the elevation limit binds nowhere in the step, the geodetic one
      (:func:`geodetic_access`) where it binds everywhere, and
      :func:`elevation_may_bind` decides point by point otherwise.

    The points come from the bands the step's disc crosses, read in band
    order from ``rows.band_phat`` (contiguous), and from there on each is
    handled as in :func:`_step_rows`."""
    lat_m, lon_m, rho, delta, reach_max = disc
    sensor = sats.sensor
    sun = sats.sun
    cos_eta = sensor[s, S_COS_ETA]
    sin_eta = sensor[s, S_SIN_ETA]
    cos_eps = sensor[s, S_COS_EPS]
    sin_eps = sensor[s, S_SIN_EPS]
    sin_sun = sensor[s, S_SIN_SUN]
    lit = sin_sun > NO_LIGHTING
    sun0x = sun[k, 0]
    sun0y = sun[k, 1]
    sun0z = sun[k, 2]
    sun1x = sun[k + 1, 0]
    sun1y = sun[k + 1, 1]
    sun1z = sun[k + 1, 2]
    t0 = sats.t[k]
    t1 = sats.t[k + 1]
    dt = t1 - t0
    u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y, d0z, d1x, d1y, d1z = step_vectors(sats.u, sats.du, s, k)
    r0 = sats.rad[s, k]
    r1 = sats.rad[s, k + 1]
    rd0 = sats.rdot[s, k]
    rd1 = sats.rdot[s, k + 1]
    # Pole of the step's great circle, for the cross-track band test.
    wx = u0y * u1z - u0z * u1y
    wy = u0z * u1x - u0x * u1z
    wz = u0x * u1y - u0y * u1x
    wn = math.sqrt(wx * wx + wy * wy + wz * wz)
    if wn > 1e-15:
        wx /= wn
        wy /= wn
        wz /= wn
        sin_band = math.sin(min(0.5 * math.pi, reach_max + 0.05 * delta))
    else:
        sin_band = 2.0
    # The step-wide bounds (see above) cost a few points' own margins: the first
    # EXACT_BEFORE_BOUNDS points inside the disc get their own (no point is
    # inside 3 or outside -3), the rest the bounds.
    ready = False
    n_exact = 0
    in0 = in1 = 3.0
    out0 = out1 = -3.0
    slope0 = slope1 = 0.0
    mode = BINDS_PER_POINT
    # The off-nadir cone near the limb while the radius moves, for any point's radius: every point's
    # margins on the path, none rejected by the limit's (then not cubic) model.
    near_limb = cone_near_limb_between(r0, r1, rd0, rd1, dt, R_lo, R_hi, cos_eta, sin_eta)
    # Overlap pruning of geodetic edges where the cone excludes nothing for any point's radius (see _step_rows).
    prune_geodetic = prune_overlap and cone_free(r0, r1, rd0, rd1, dt, R_hi, cos_eta, sin_eta)
    # The bands and longitudes of the step's disc (as _disc_points).
    n_bands = (rows.band_start.shape[0] - 1) // n_blocks
    h = math.pi / n_bands
    b_lo = max(0, int(math.floor((lat_m - rho + 0.5 * math.pi) / h)))
    b_hi = min(n_bands - 1, int(math.floor((lat_m + rho + 0.5 * math.pi) / h)))
    if abs(lat_m) + rho >= 0.5 * math.pi:
        half = math.pi
    else:
        half = math.asin(min(1.0, math.sin(rho) / math.cos(lat_m)))
    cos_lat = math.cos(lat_m)
    mx = cos_lat * math.cos(lon_m)
    my = cos_lat * math.sin(lon_m)
    mz = math.sin(lat_m)
    cos_rho = math.cos(rho)
    band_phat = rows.band_phat
    for b in range(b_lo, b_hi + 1):
        lo = rows.band_start[blk * n_bands + b]
        hi = rows.band_start[blk * n_bands + b + 1]
        if hi == lo:
            continue
        half_b = _band_half_width(b * h - 0.5 * math.pi, (b + 1) * h - 0.5 * math.pi, lat_m, rho, mz, cos_lat,
                                  cos_rho, half)
        a0, b0, a1, b1 = _lon_ranges(rows.band_lon[lo:hi], lon_m - half_b, lon_m + half_b)
        for part in range(2):
            ja = lo + (a0 if part == 0 else a1)
            jb = lo + (b0 if part == 0 else b1)
            for j in range(ja, jb):
                hx = band_phat[j, 0]
                hy = band_phat[j, 1]
                hz = band_phat[j, 2]
                if hx * mx + hy * my + hz * mz < cos_rho:
                    continue
                if not ready:
                    n_exact += 1
                    if n_exact > EXACT_BEFORE_BOUNDS:
                        in0, in1, out0, out1, slope0, slope1, mode = _step_bounds(
                            r0, r1, rd0, rd1, R_lo, R_hi, max_deflection, cos_eta, sin_eta, cos_eps, sin_eps)
                        if near_limb:
                            out0 = out1 = -3.0
                            mode = BINDS_EVERYWHERE
                        if cos_eta > 1e-12 and max(r0, r1) * sin_eta >= X_NEAR_LIMB * R_lo:
                            in0 = in1 = 3.0  # near the limb a point inside at both ends may dip out between
                        ready = True
                c0 = hx * u0x + hy * u0y + hz * u0z
                c1 = hx * u1x + hy * u1y + hz * u1z
                i = rows.band_pts[j]
                if c0 >= in0 and c1 >= in1:
                    whole = True  # inside the inner bound throughout
                    sa = 0.0
                    sb = 1.0
                else:
                    if abs(hx * wx + hy * wy + hz * wz) > sin_band:
                        continue  # too far across the track for any access
                    q0 = hx * d0x + hy * d0y + hz * d0z
                    q1 = hx * d1x + hy * d1y + hz * d1z
                    if c0 < out0 and c1 < out1 and (q0 <= -slope0 or q1 >= slope1):
                        continue  # outside the outer bound, and no pass between the samples
                    r = rows.pt_row[i]
                    R = rows.row_radius[r]
                    if mode == BINDS_PER_POINT:
                        geodetic = near_limb or elevation_may_bind(r0, r1, R, cos_eta, sin_eta, cos_eps, sin_eps,
                                                                   rows.row_deflection[r])
                    else:
                        geodetic = mode == BINDS_EVERYWHERE
                    if not geodetic:
                        C0, dC0 = cos_reach(r0, R, cos_eta, sin_eta, cos_eps, sin_eps)
                        C1, dC1 = cos_reach(r1, R, cos_eta, sin_eta, cos_eps, sin_eps)
                        f0 = c0 - C0
                        f1 = c1 - C1
                        # Inside at both ends with the cone near the limb: the margin may dip out and back.
                        geodetic = (f0 >= 0.0 and f1 >= 0.0 and max(r0, r1) * sin_eta >= X_NEAR_LIMB * R
                                    and margin_may_dip(r0, r1, R, sin_eta, f0, (q0 - dC0 * rd0) * dt, f1,
                                                       (q1 - dC1 * rd1) * dt))
                    if geodetic:
                        if prune_geodetic and passes.owner[i, k] >= 0:
                            # Seen throughout by another satellite, the cone excluding nothing (see _step_rows).
                            m0, _ = elevation_margin_sq(hx, hy, hz, rows.nxyz[i, 0], rows.nxyz[i, 1],
                                                        rows.nxyz[i, 2], R, u0x, u0y, u0z, d0x, d0y, d0z, r0, rd0,
                                                        sin_eps)
                            m1, _ = elevation_margin_sq(hx, hy, hz, rows.nxyz[i, 0], rows.nxyz[i, 1],
                                                        rows.nxyz[i, 2], R, u1x, u1y, u1z, d1x, d1y, d1z, r1, rd1,
                                                        sin_eps)
                            in_0 = m0 >= 0.0
                            in_1 = m1 >= 0.0
                            if not (in_0 and in_1):
                                if lit and (in_0 or in_1):
                                    h0, h1 = _lit_margins(rows.nxyz, i, sun0x, sun0y, sun0z, sun1x, sun1y, sun1z,
                                                          sin_sun)
                                    in_0 = in_0 and h0 >= 0.0
                                    in_1 = in_1 and h1 >= 0.0
                                if in_0 or in_1:
                                    n_buf = _subsumed_step(i, s, k, in_0, in_1, seg_start, seg_end, t0, t1, passes,
                                                           buf, n_buf)
                                continue
                        sa, sb, ga, gb = geodetic_access(hx, hy, hz, rows.nxyz[i, 0], rows.nxyz[i, 1],
                                                         rows.nxyz[i, 2], R, u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y,
                                                         d0z, d1x, d1y, d1z, r0, r1, rd0, rd1, cos_eta, sin_eta,
                                                         sin_eps, dt)
                        if sa < 0.0:
                            continue
                        if ga >= 0.0:
                            # Two parts (a cone at the limb dips out and back): the first is a piece of its own.
                            n_buf = _part_before_gap(i, s, sa, ga, t0, dt, seg_start, lit, rows.nxyz, sun0x, sun0y,
                                                     sun0z, sun1x, sun1y, sun1z, sin_sun, passes, buf, n_buf)
                            sa = gb
                        whole = sa == 0.0 and sb == 1.0
                    else:
                        whole = f0 >= 0.0 and f1 >= 0.0
                        if whole:
                            sa = 0.0
                            sb = 1.0
                        else:
                            if prune_overlap and passes.owner[i, k] >= 0:
                                # Another satellite sees the point throughout this
                                # step, so this one's edges in it bound no run.
                                if f0 >= 0.0 or f1 >= 0.0:
                                    in_0 = f0 >= 0.0
                                    in_1 = f1 >= 0.0
                                    if lit:
                                        h0, h1 = _lit_margins(rows.nxyz, i, sun0x, sun0y, sun0z, sun1x, sun1y, sun1z,
                                                              sin_sun)
                                        in_0 = in_0 and h0 >= 0.0
                                        in_1 = in_1 and h1 >= 0.0
                                    n_buf = _subsumed_step(i, s, k, in_0, in_1, seg_start, seg_end, t0, t1, passes,
                                                           buf, n_buf)
                                continue
                            g0 = q0 - dC0 * rd0
                            g1 = q1 - dC1 * rd1
                            if f0 < 0.0 and f1 < 0.0 and not (g0 > 0.0 and g1 < 0.0):
                                continue
                            sa, sb = interval_access(f0, g0, f1, g1, dt)
                            if sa < 0.0:
                                continue
                if whole and not lit:
                    if prune_overlap and passes.owner[i, k] < 0:
                        passes.owner[i, k] = s
                    if not (seg_start or seg_end) and passes.sat[i] == s:
                        continue  # inside throughout: the open pass runs on
                if lit:
                    h0, h1 = _lit_margins(rows.nxyz, i, sun0x, sun0y, sun0z, sun1x, sun1y, sun1z, sin_sun)
                    if sa == 0.0 and sb == 1.0 and h0 >= 0.0 and h1 >= 0.0:
                        if prune_overlap and passes.owner[i, k] < 0:
                            passes.owner[i, k] = s
                        if not (seg_start or seg_end) and passes.sat[i] == s:
                            continue  # inside and lit throughout
                    if (prune_overlap and sa == 0.0 and sb == 1.0 and not (h0 >= 0.0 and h1 >= 0.0)
                            and passes.owner[i, k] >= 0):
                        n_buf = _subsumed_step(i, s, k, h0 >= 0.0, h1 >= 0.0, seg_start, seg_end, t0, t1, passes,
                                               buf, n_buf)
                        continue
                    sa, sb = lit_clip(sa, sb, h0, h1)
                    if sa < 0.0:
                        continue
                if sa == 0.0 and not seg_start and passes.sat[i] == s:
                    a = passes.start[i]
                    from_step = passes.step[i]
                else:
                    a = t0 + sa * dt
                    # A pass beginning with a whole step owes its start to no edge.
                    from_step = k if sa == 0.0 and sb == 1.0 else -1
                if sb == 1.0:
                    if not seg_end:
                        passes.sat[i] = s
                        passes.start[i] = a
                        passes.step[i] = from_step
                        continue
                    b = t1
                    if prune_overlap and from_step >= 0 and not _owns_any(passes.owner, i, s, from_step, k + 1):
                        continue  # other satellites see every step of this pass throughout
                else:
                    b = t0 + sb * dt
                buf[0][n_buf] = i
                buf[1][n_buf] = a
                buf[2][n_buf] = b
                n_buf += 1
    return n_buf


@njit(cache=True, error_model="numpy")
def _with_room(buf, n_buf, need):
    """The pieces buffer (point, start, end), grown to hold ``need`` pieces."""
    if need <= buf[0].shape[0]:
        return buf
    new_cap = max(2 * buf[0].shape[0], need)
    grown = (np.empty(new_cap, np.int64), np.empty(new_cap, np.float64), np.empty(new_cap, np.float64))
    # A loop, not slice assignment: numba compiles the latter's shape-mismatch message (string
    # formatting, ~2.5 s of a first run's CPU) for a copy that cannot mismatch.
    for q in range(n_buf):
        grown[0][q] = buf[0][q]
        grown[1][q] = buf[1][q]
        grown[2][q] = buf[2][q]
    return grown


@njit(cache=True, error_model="numpy", nogil=True)
def _block_pass(blk, state, sats, rows, min_gap_s, passes, prune_overlap, bands):
    """One block's share of :func:`accumulate_chunk`: its rows, all satellites and steps.

    A satellite's steps run in order, one satellite after another, so a
    point has at most one open pass at a time.  Valid samples form segments
    (broken where sgp4 failed and at the chunk's ends); every pass is closed
    by the end of its segment.

    ``bands``: ``rows.band_start`` for a point list (point bands), None for a
    grid.  numba knows a None when it compiles, so a grid's kernel is compiled
    without the point-band code (_step_points, _disc_points): 49 s of CPU
    instead of 87 s on a 2-core machine.
    """
    valid = sats.valid
    reach = sats.reach
    nsat, nk = valid.shape
    n_blocks = rows.block_sizes.shape[0]
    n_rows = rows.row_start.shape[0]
    # Points in rows [0, r): a step adds at most two pieces per point of its rows.
    before = np.zeros(n_rows + 1, np.int64)
    for r in range(n_rows):
        before[r + 1] = before[r] + rows.row_count[r]
    cap = 4096
    buf = (np.empty(cap, np.int64), np.empty(cap, np.float64), np.empty(cap, np.float64))
    # int64, not the literal 0: numba would type every callee twice, for Literal[int](0) and int64.
    n_buf = np.int64(0)
    # The block's points of one step's disc (point bands only).
    cand = np.empty(rows.block_sizes[blk] if bands is not None else 0, np.int64)
    # The grid's extreme radii and vertical deflection, for _step_points' bounds.
    R_lo = np.inf
    R_hi = 0.0
    max_deflection = 0.0
    if bands is not None:
        for r in range(n_rows):
            R_lo = min(R_lo, rows.row_radius[r])
            R_hi = max(R_hi, rows.row_radius[r])
            max_deflection = max(max_deflection, rows.row_deflection[r])
    for s in range(nsat):
        for k in range(nk - 1):
            if not (valid[s, k] and valid[s, k + 1]):
                continue
            if reach[s, k] < 0.0 and reach[s, k + 1] < 0.0:
                continue
            seg_start = k == 0 or not valid[s, k - 1]
            seg_end = k == nk - 2 or not valid[s, k + 2]
            disc = _step_disc(sats.u, reach, s, k)
            lat_m, lon_m, rho = disc[0], disc[1], disc[2]
            sin_sun = sats.sensor[s, S_SIN_SUN]
            if sin_sun > NO_LIGHTING and _dark_step(lat_m, lon_m, rho, sats.sun, k, sin_sun):
                continue
            if bands is not None and sats.sensor[s, S_KIND] != KIND_SWATH:
                # each of the block's points adds two pieces at most (two where a cone at the limb dips out)
                buf = _with_room(buf, n_buf, n_buf + 2 * rows.block_sizes[blk])
                n_buf = _step_points(blk, n_blocks, s, k, seg_start, seg_end, disc, sats, rows, passes, prune_overlap,
                                     buf, n_buf, R_lo, R_hi, max_deflection)
                continue
            r_lo = search_left(rows.row_geoc_lat, lat_m - rho)
            r_hi = search_right(rows.row_geoc_lat, lat_m + rho)
            buf = _with_room(buf, n_buf, n_buf + 2 * (before[r_hi] - before[r_lo]))
            n_buf = _step_rows(blk, n_blocks, s, k, seg_start, seg_end, disc, r_lo, r_hi, sats, rows, passes,
                               prune_overlap, buf, n_buf, cand, bands)
    _merge_block(state, buf[0], buf[1], buf[2], n_buf, rows.local_idx, rows.block_sizes[blk], min_gap_s)
    return n_buf


def accumulate_chunk(state, sats, rows, min_gap_s, prune_overlap=False):
    """Fold one time chunk of accesses into ``state`` (modified in place);
    returns how many access pieces were folded (the merge's work).

    ``sats``: the chunk's :class:`SatSteps` (sensor columns S_*: cos/sin of
    the off-nadir limit, cos/sin of the elevation limit, kind, half swath
    (km), sin of the minimum Sun elevation, NO_LIGHTING: none); ``rows``: the
    grid's :class:`GridRows`.

    Rows are dealt to blocks round-robin (block = row % n_blocks) and each
    block, run in parallel (:func:`sim.kernels.run_blocks`), owns its points, so no two threads write the same
    state.  Per satellite and step the kernel visits only the rows within the
    footprint's reach (widened by half the step's ground-track arc) and in
    each row only the longitudes inside that disc.

    ``prune_overlap``: skip the edges that steps seen throughout by another
    satellite hide (see _step_rows), at the cost of an int32 table of
    npts x (nk - 1); same figures either way.  It pays where footprints
    overlap (sim.engine.run.mean_overlap).
    """
    passes = open_passes(rows.phat.shape[0], sats.valid.shape[1], prune_overlap)
    # None for a grid: numba then compiles the kernel without the point-band code.
    bands = rows.band_start if rows.band_start.shape[0] > 1 else None
    return int(sum(run_blocks(_block_pass, rows.block_sizes.shape[0], state, sats, rows, min_gap_s, passes,
                              prune_overlap, bands)))


@njit(cache=True, error_model="numpy")
def open_passes(n_pts, nk, prune_overlap):
    """No open pass yet, for ``n_pts`` points and a chunk of ``nk`` samples (:class:`OpenPasses`)."""
    return OpenPasses(np.full(n_pts, -1, np.int64), np.empty(n_pts, np.float64), np.full(n_pts, -1, np.int64),
                      np.full((n_pts, nk - 1) if prune_overlap else (0, 0), -1, np.int32))


@njit(cache=True, error_model="numpy")
def step_row_ranges(u, reach, valid, row_geoc_lat):
    """Per (satellite, step): the rows [r_lo, r_hi) of the disc of
    :func:`_step_disc` (every point the satellite can access in the step);
    r_hi == r_lo when it can access nothing (invalid sample, below the ground).
    The GPU kernel (sim.kernels.gpu) prunes with these (see row_worklists)."""
    nsat, nk = valid.shape
    r_lo = np.zeros((nsat, max(nk - 1, 0)), np.int64)
    r_hi = np.zeros((nsat, max(nk - 1, 0)), np.int64)
    for s in range(nsat):
        for k in range(nk - 1):
            if not (valid[s, k] and valid[s, k + 1]):
                continue
            if reach[s, k] < 0.0 and reach[s, k + 1] < 0.0:
                continue
            lat_m, _, rho, _, _ = _step_disc(u, reach, s, k)
            r_lo[s, k] = search_left(row_geoc_lat, lat_m - rho)
            r_hi[s, k] = search_right(row_geoc_lat, lat_m + rho)
    return r_lo, r_hi


@njit(cache=True, error_model="numpy")
def row_worklists(r_lo, r_hi, n_rows):
    """Per grid row, the (satellite, step) pairs whose disc covers it, in time
    order: codes k * nsat + s in ``codes[start[r]:start[r + 1]]`` (CSR).  A GPU
    thread then walks only its row's candidates, not every pair."""
    nsat, nsteps = r_lo.shape
    start = np.zeros(n_rows + 1, np.int64)
    for k in range(nsteps):
        for s in range(nsat):
            for r in range(r_lo[s, k], r_hi[s, k]):
                start[r + 1] += 1
    for r in range(n_rows):
        start[r + 1] += start[r]
    fill = start[:-1].copy()
    codes = np.empty(start[n_rows], np.int64)
    for k in range(nsteps):
        for s in range(nsat):
            for r in range(r_lo[s, k], r_hi[s, k]):
                codes[fill[r]] = k * nsat + s
                fill[r] += 1
    return start, codes

