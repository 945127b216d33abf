"""Numba kernels for point targets: access windows per (target, satellite) and
a greedy imaging schedule with slews.  Pure functions on plain arrays.

Conventions as in :mod:`sim.kernels.coverage`: Earth-fixed positions in km, velocities
in km/s, times in seconds from the window start, angles in radians.

Access windows reuse the coverage kernel's primitives (:func:`sim.kernels.coverage.cos_reach`,
:func:`~sim.kernels.coverage.interval_access`, :func:`~sim.kernels.coverage.lit_clip`,
:func:`~sim.kernels.coverage.swath_crossing`), so a target is accessible exactly when a
grid point at the same place would be.

The agile imaging model (see :func:`greedy_schedule`): an image takes ``dwell``
seconds, during which the target must stay accessible; between two images the
satellite turns its line of sight from where the last image ended to where the
next one starts at ``rate`` rad/s and then settles for ``settle`` seconds.  The
turn is the angle, in inertial space, between the line of sight to the previous
target at the end of its image and the line of sight to the next target at the
start of its image (the satellite may wait, pointed, until then).  A push-broom
(swath) satellite images every target it crosses at that instant, without
slewing or being busy.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from constellation.constants import EARTH_ROTATION_RAD_S
from sim.kernels import coverage as K

# Earth's rotation rate (rad/s), to compare lines of sight taken at different
# times in inertial space.
# The earliest slew start is found to this (s).
SLEW_TOL_S = 1e-6
SLEW_MAX_ITER = 100000
# Skipping steps far from a target divides the room left by the largest step arc times this.
JUMP_SAFETY = 1.001


# --------------------------------------------------------------------- access windows
@njit(cache=True, error_model="numpy")
def _grow(a, n):
    out = np.empty(max(2 * a.shape[0], n), a.dtype)
    # A loop, not slice assignment, whose shape-mismatch message numba would compile.
    for i in range(a.shape[0]):
        out[i] = a[i]
    return out


@njit(cache=True, error_model="numpy", inline="always")
def _add_access(w_tgt, w_sat, w_a, w_b, n, i, s, is_open, cur_a, cur_b, a, b):
    """Add the access [a, b] of target i to satellite s, in time order: it extends the
    open window when it starts by that window's end, else the open window is pushed
    and [a, b] opens the next.  -> the arrays, the count and the open window."""
    if is_open and a <= cur_b:
        return w_tgt, w_sat, w_a, w_b, n, cur_a, max(cur_b, b)
    if is_open:
        w_tgt, w_sat, w_a, w_b, n = _push(w_tgt, w_sat, w_a, w_b, n, i, s, cur_a, cur_b)
    return w_tgt, w_sat, w_a, w_b, n, a, b


@njit(cache=True, error_model="numpy")
def _push(w_tgt, w_sat, w_a, w_b, n, i, s, a, b):
    """Append the window (target i, satellite s, [a, b]); -> the arrays and new count."""
    if n == w_tgt.shape[0]:
        w_tgt = _grow(w_tgt, n + 1)
        w_sat = _grow(w_sat, n + 1)
        w_a = _grow(w_a, n + 1)
        w_b = _grow(w_b, n + 1)
    w_tgt[n] = i
    w_sat[n] = s
    w_a[n] = a
    w_b[n] = b
    return w_tgt, w_sat, w_a, w_b, n + 1


@njit(cache=True, error_model="numpy")
def step_prune_cos(u, reach, valid):
    """Per (satellite, step): cos of the largest angle rho between a point
    accessible during the step and the sub-satellite point at the step's start
    (2.0: the step is skipped).  Every sub-satellite point of the step lies
    within the step's arc ``delta`` of the first one (plus the track's bow,
    ~1e-3 delta), so rho = reach + 1.05 delta.  Also, per satellite, the largest
    rho and the largest arc of a step (rad)."""
    nsat, nk = valid.shape
    out = np.full((nsat, max(nk - 1, 0)), 2.0)
    rho_max = np.zeros(nsat)
    arc_max = np.zeros(nsat)
    for s in range(nsat):
        for k in range(nk - 1):
            if not (valid[s, k] and valid[s, k + 1]):
                continue
            d = u[s, k, 0] * u[s, k + 1, 0] + u[s, k, 1] * u[s, k + 1, 1] + u[s, k, 2] * u[s, k + 1, 2]
            delta = math.acos(min(1.0, max(-1.0, d)))
            arc_max[s] = max(arc_max[s], delta)
            if reach[s, k] < 0.0 and reach[s, k + 1] < 0.0:
                continue
            rho = max(reach[s, k], reach[s, k + 1]) + 1.05 * delta
            rho_max[s] = max(rho_max[s], rho)
            out[s, k] = -1.0 if rho >= math.pi else math.cos(rho)
    return out, rho_max, arc_max


@njit(cache=True, error_model="numpy")
def pair_windows(s, i, u, du, rad, rdot, valid, t, sensor, sun, phat, nxyz, radius_km, prune, rho_max, arc_max,
                 w_tgt, w_sat, w_a, w_b, n):
    """Append the access windows of satellite ``s`` to target ``i`` over the
    stretch to the buffers (as :func:`target_windows` finds them; ``prune``,
    ``rho_max``, ``arc_max`` from :func:`step_prune_cos`); -> the buffers and
    the new count."""
    nk = valid.shape[1]
    cos_eta = sensor[s, K.S_COS_ETA]
    sin_eta = sensor[s, K.S_SIN_ETA]
    cos_eps = sensor[s, K.S_COS_EPS]
    sin_eps = sensor[s, K.S_SIN_EPS]
    swath = sensor[s, K.S_KIND] == K.KIND_SWATH
    half_swath_km = sensor[s, K.S_HALF_SWATH_KM]
    sin_sun = sensor[s, K.S_SIN_SUN]
    lit = sin_sun > K.NO_LIGHTING
    hx = phat[i, 0]
    hy = phat[i, 1]
    hz = phat[i, 2]
    R = radius_km[i]
    nx = nxyz[i, 0]
    ny = nxyz[i, 1]
    nz = nxyz[i, 2]
    deflection = math.acos(min(1.0, nx * hx + ny * hy + nz * hz))
    cos_half = math.cos(min(0.5 * math.pi, half_swath_km / R))
    is_open = False
    cur_a = 0.0
    cur_b = 0.0
    k = -1
    while k < nk - 2:
        k += 1
        c = prune[s, k]
        if c > 1.0:
            continue
        cos_ang = hx * u[s, k, 0] + hy * u[s, k, 1] + hz * u[s, k, 2]
        if cos_ang < c:
            # Far from the track: the sub-satellite point moves at most
            # arc_max a step, so the next `jump` steps are pruned too.
            # The chord sqrt(2 (1 - cos)) is a lower bound of the angle.
            if arc_max[s] > 0.0:
                ang = math.sqrt(max(0.0, 2.0 - 2.0 * cos_ang))
                jump = int((ang - rho_max[s]) / (arc_max[s] * JUMP_SAFETY))
                if jump > 0:
                    k += jump
            continue
        t0 = t[k]
        t1 = t[k + 1]
        dt = t1 - t0
        q0 = hx * u[s, k, 0] + hy * u[s, k, 1] + hz * u[s, k, 2]
        q1 = hx * u[s, k + 1, 0] + hy * u[s, k + 1, 1] + hz * u[s, k + 1, 2]
        g0 = hx * du[s, k, 0] + hy * du[s, k, 1] + hz * du[s, k, 2]
        g1 = hx * du[s, k + 1, 0] + hy * du[s, k + 1, 1] + hz * du[s, k + 1, 2]
        if swath:
            n0 = math.sqrt(du[s, k, 0] * du[s, k, 0] + du[s, k, 1] * du[s, k, 1] + du[s, k, 2] * du[s, k, 2])
            n1 = math.sqrt(du[s, k + 1, 0] * du[s, k + 1, 0] + du[s, k + 1, 1] * du[s, k + 1, 1]
                           + du[s, k + 1, 2] * du[s, k + 1, 2])
            sx = K.swath_crossing(g0 / n0, g1 / n1, q0, g0 * dt, q1, g1 * dt, cos_half)
            if sx < 0.0:
                continue
            if lit:
                h0, h1 = K._lit_margins(nxyz, i, sun[k, 0], sun[k, 1], sun[k, 2],
                                        sun[k + 1, 0], sun[k + 1, 1], sun[k + 1, 2], sin_sun)
                if h0 + sx * (h1 - h0) < 0.0:
                    continue
            a = t0 + sx * dt
            b = a
        else:
            r0 = rad[s, k]
            r1 = rad[s, k + 1]
            C0, dC0 = K.cos_reach(r0, R, cos_eta, sin_eta, cos_eps, sin_eps)
            C1, dC1 = K.cos_reach(r1, R, cos_eta, sin_eta, cos_eps, sin_eps)
            f0 = q0 - C0
            f1 = q1 - C1
            e0 = g0 - dC0 * rdot[s, k]
            e1 = g1 - dC1 * rdot[s, k + 1]
            if (K.cone_near_limb(r0, r1, rdot[s, k], rdot[s, k + 1], dt, R, cos_eta, sin_eta)
                    or K.elevation_may_bind(r0, r1, R, cos_eta, sin_eta, cos_eps, sin_eps, deflection)
                    or (f0 >= 0.0 and f1 >= 0.0 and K.margin_may_dip(r0, r1, R, sin_eta, f0, e0 * dt, f1, e1 * dt))):
                # The coverage kernel's geodetic-horizon margins (sim.kernels.coverage._step_rows).
                u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y, d0z, d1x, d1y, d1z = K.step_vectors(u, du, s, k)
                sa, sb, ga, gb = K.geodetic_access(hx, hy, hz, nx, ny, nz, R, u0x, u0y, u0z, u1x, u1y, u1z,
                                                   d0x, d0y, d0z, d1x, d1y, d1z, r0, r1, rdot[s, k],
                                                   rdot[s, k + 1], cos_eta, sin_eta, sin_eps, dt)
            else:
                sa, sb = K.interval_access_call(f0, e0, f1, e1, dt)
                ga = gb = -1.0
            if sa < 0.0:
                continue
            h0 = h1 = 0.0
            if lit:
                h0, h1 = K._lit_margins(nxyz, i, sun[k, 0], sun[k, 1], sun[k, 2],
                                        sun[k + 1, 0], sun[k + 1, 1], sun[k + 1, 2], sin_sun)
            if ga >= 0.0:
                # Two parts (a cone at the limb dips out and back): the first ends a window.
                fa, fb = K.lit_clip(sa, ga, h0, h1) if lit else (sa, ga)
                if fa >= 0.0:
                    w_tgt, w_sat, w_a, w_b, n, cur_a, cur_b = _add_access(
                        w_tgt, w_sat, w_a, w_b, n, i, s, is_open, cur_a, cur_b, t0 if fa == 0.0 else t0 + fa * dt,
                        t0 + fb * dt)
                    is_open = True
                sa = gb
            if lit:
                sa, sb = K.lit_clip(sa, sb, h0, h1)
                if sa < 0.0:
                    continue
            a = t0 if sa == 0.0 else t0 + sa * dt
            b = t1 if sb == 1.0 else t0 + sb * dt
        w_tgt, w_sat, w_a, w_b, n, cur_a, cur_b = _add_access(w_tgt, w_sat, w_a, w_b, n, i, s, is_open, cur_a, cur_b,
                                                               a, b)
        is_open = True
    if is_open:
        w_tgt, w_sat, w_a, w_b, n = _push(w_tgt, w_sat, w_a, w_b, n, i, s, cur_a, cur_b)
    return w_tgt, w_sat, w_a, w_b, n


@njit(cache=True, error_model="numpy", nogil=True)
def target_windows(blk, n_blocks, u, du, rad, rdot, valid, t, sensor, sun, phat, nxyz, radius_km, prune):
    """Access windows of every target to satellites blk, blk + n_blocks, ...
    over one stretch of samples: one block of :func:`sim.kernels.run_blocks`
    (blocks share nothing, so they run on parallel threads).

    u, du, rad, rdot: per (satellite, sample) from
    :func:`sim.kernels.coverage.satellite_frames`; valid: (nsat, nk); t: (nk,) sample
    times (s); sensor: (nsat, 7) as :func:`sim.engine.run.sensor_array`; sun: (nk, 3)
    unit vectors towards the Sun (ignored without lighting); phat, nxyz:
    (ntgt, 3) unit position vectors and geodetic verticals of the targets;
    radius_km: (ntgt,) their geocentric radii; prune: :func:`step_prune_cos`
    of the stretch.

    Returns (target, satellite, start_s, end_s), ordered by satellite, target,
    start.  Consecutive accessed steps join into one window (a window crossing
    an invalid sample is cut there); a swath sensor's windows are instants
    (start == end).  Windows that touch ``t[0]`` or ``t[-1]`` may continue
    beyond the stretch: the caller joins stretches.
    """
    nsat = valid.shape[0]
    ntgt = phat.shape[0]
    cos_prune, rho_max, arc_max = prune
    cap = 1024
    w_tgt = np.empty(cap, np.int64)
    w_sat = np.empty(cap, np.int64)
    w_a = np.empty(cap, np.float64)
    w_b = np.empty(cap, np.float64)
    n = np.int64(0)  # not the literal 0: numba would type pair_windows twice
    for s in range(blk, nsat, n_blocks):
        for i in range(ntgt):
            w_tgt, w_sat, w_a, w_b, n = pair_windows(s, i, u, du, rad, rdot, valid, t, sensor, sun, phat, nxyz,
                                                     radius_km, cos_prune, rho_max, arc_max, w_tgt, w_sat, w_a,
                                                     w_b, n)
    return w_tgt[:n].copy(), w_sat[:n].copy(), w_a[:n].copy(), w_b[:n].copy()


# --------------------------------------------------------------------- slews
@njit(cache=True, error_model="numpy")
def sat_position(pos, vel, t, s, x):
    """Position (km) of satellite ``s`` at time ``x`` (s): the cubic Hermite
    through the samples' positions and velocities on either side."""
    nk = t.shape[0]
    k = K.search_right(t, x) - 1
    k = min(max(k, 0), nk - 2)
    dt = t[k + 1] - t[k]
    tau = (x - t[k]) / dt
    m = 1.0 - tau
    h00 = (1.0 + 2.0 * tau) * m * m
    h10 = tau * m * m * dt
    h01 = tau * tau * (3.0 - 2.0 * tau)
    h11 = tau * tau * (tau - 1.0) * dt
    px = h00 * pos[s, k, 0] + h10 * vel[s, k, 0] + h01 * pos[s, k + 1, 0] + h11 * vel[s, k + 1, 0]
    py = h00 * pos[s, k, 1] + h10 * vel[s, k, 1] + h01 * pos[s, k + 1, 1] + h11 * vel[s, k + 1, 1]
    pz = h00 * pos[s, k, 2] + h10 * vel[s, k, 2] + h01 * pos[s, k + 1, 2] + h11 * vel[s, k + 1, 2]
    return px, py, pz


@njit(cache=True, error_model="numpy")
def line_of_sight(pos, vel, t, s, tgt_xyz, j, x):
    """Unit vector (Earth-fixed) from satellite ``s`` to target ``j`` at time ``x``."""
    px, py, pz = sat_position(pos, vel, t, s, x)
    dx = tgt_xyz[j, 0] - px
    dy = tgt_xyz[j, 1] - py
    dz = tgt_xyz[j, 2] - pz
    d = math.sqrt(dx * dx + dy * dy + dz * dz)
    return dx / d, dy / d, dz / d


@njit(cache=True, error_model="numpy")
def slew_angle(pos, vel, t, s, tgt_xyz, a, te, b, ts):
    """Angle (rad), in inertial space, between satellite ``s``'s line of sight to
    target ``a`` at time ``te`` and to target ``b`` at time ``ts``."""
    ax, ay, az = line_of_sight(pos, vel, t, s, tgt_xyz, a, te)
    bx, by, bz = line_of_sight(pos, vel, t, s, tgt_xyz, b, ts)
    # The Earth-fixed frame turns by omega (ts - te) in between: express the
    # second direction in the frame of the first.
    phi = EARTH_ROTATION_RAD_S * (ts - te)
    c = math.cos(phi)
    sn = math.sin(phi)
    rx = c * bx - sn * by
    ry = sn * bx + c * by
    cx = ay * bz - az * ry
    cy = az * rx - ax * bz
    cz = ax * ry - ay * rx
    return math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), ax * rx + ay * ry + az * bz)


@njit(cache=True, error_model="numpy")
def earliest_start(pos, vel, t, s, tgt_xyz, a, te, b, lo, hi, rate, settle, lip):
    """Earliest time ts in [lo, hi] at which satellite ``s``, whose last image
    (of target ``a``) ended at ``te``, can start imaging target ``b``: the first
    root of h(ts) = rate (ts - te - settle) - slew_angle(a, te, b, ts) >= 0;
    -1.0 if there is none.

    ``lip`` bounds |dh/dts| (rate plus the fastest the line of sight can turn),
    so h cannot reach 0 before x - h(x)/lip: stepping by that never passes the
    first root and converges on it (to SLEW_TOL_S)."""
    x = lo
    for _ in range(SLEW_MAX_ITER):
        h = rate * (x - te - settle) - slew_angle(pos, vel, t, s, tgt_xyz, a, te, b, x)
        if h >= 0.0:
            return x
        step = -h / lip
        x = x + step
        if x > hi:
            return -1.0
        if step < SLEW_TOL_S:
            return x
    return -1.0


# --------------------------------------------------------------------- greedy scheduler
@njit(cache=True, error_model="numpy")
def _period(x, period, n_periods):
    p = int(math.floor(x / period))
    return min(max(p, 0), n_periods - 1)


@njit(cache=True, error_model="numpy")
def candidate_start(w, s, w_tgt, w_start, w_end, agile, last_tgt, last_end, done, pos, vel, t, tgt_xyz,
                    dwell, rate, settle, lip, period, n_periods):
    """Earliest feasible start (s) of an image in window ``w`` of satellite ``s``
    given its state and the requests done, or -1.0."""
    j = w_tgt[w]
    if agile[s]:
        lo = w_start[w]
        hi = w_end[w] - dwell
        if last_tgt[s] >= 0:
            lo = max(lo, last_end[s] + settle)
    else:
        lo = w_start[w]
        hi = lo
    while lo <= hi:
        p = _period(lo, period, n_periods)
        if done[j, p]:
            if p == n_periods - 1:
                return -1.0
            lo = max(lo, (p + 1) * period)
            continue
        if agile[s] and last_tgt[s] >= 0:
            ts = earliest_start(pos, vel, t, s, tgt_xyz, last_tgt[s], last_end[s], j, lo, hi, rate, settle,
                                lip[s])
            if ts < 0.0:
                return -1.0
            if _period(ts, period, n_periods) != p:
                lo = ts
                continue
            return ts
        return lo
    return -1.0


@njit(cache=True, error_model="numpy")
def greedy_schedule(w_tgt, w_start, w_end, sat_lo, sat_hi, max_len, agile, lip, pos, vel, t, tgt_xyz,
                    dwell, rate, settle, period, n_periods):
    """Greedy imaging schedule: repeatedly commit, over all satellites, the
    feasible image that finishes earliest (ties: lowest satellite, then its
    earliest window), until none is left.

    Windows are sorted by (satellite, start); satellite s owns windows
    sat_lo[s]:sat_hi[s], the longest max_len[s] seconds.  agile[s]: an
    off-nadir imager (dwell, slews, one target at a time); else a push-broom
    (an image at the window's instant, never busy).  A request is a (target,
    period) pair: target j counts once per ``period`` seconds (by the image's
    start); a period at least the window makes each target one request.
    rate (rad/s), settle (s), dwell (s); lip[s] as in :func:`earliest_start`.

    Committed finishing times never decrease (a commit only delays its own
    satellite and removes a request), so each satellite's best candidate is
    kept until it is itself committed or its target is taken.

    Returns (target, satellite, start_s, end_s) of the images, in commit order.
    """
    nsat = sat_lo.shape[0]
    ntgt = tgt_xyz.shape[0]
    done = np.zeros((ntgt, n_periods), np.bool_)
    last_tgt = np.full(nsat, -1, np.int64)
    last_end = np.zeros(nsat)
    ptr = sat_lo.copy()
    best_f = np.full(nsat, np.inf)
    best_w = np.full(nsat, -1, np.int64)
    best_ts = np.zeros(nsat)
    need = np.ones(nsat, np.bool_)
    cap = ntgt * n_periods + 1  # each image serves its own request
    o_tgt = np.empty(cap, np.int64)
    o_sat = np.empty(cap, np.int64)
    o_a = np.empty(cap)
    o_b = np.empty(cap)
    n = 0
    now = -np.inf
    while True:
        for s in range(nsat):
            if not need[s]:
                continue
            need[s] = False
            while ptr[s] < sat_hi[s] and w_start[ptr[s]] + max_len[s] < now:
                ptr[s] += 1
            bf = np.inf
            bw = -1
            bt = 0.0
            extra = dwell if agile[s] else 0.0
            for w in range(ptr[s], sat_hi[s]):
                if w_start[w] + extra >= bf:
                    break
                ts = candidate_start(w, s, w_tgt, w_start, w_end, agile, last_tgt, last_end, done, pos, vel, t,
                                     tgt_xyz, dwell, rate, settle, lip, period, n_periods)
                if ts < 0.0:
                    continue
                f = ts + extra
                if f < bf:
                    bf = f
                    bw = w
                    bt = ts
            best_f[s] = bf
            best_w[s] = bw
            best_ts[s] = bt
        s_star = -1
        f_star = np.inf
        for s in range(nsat):
            if best_f[s] < f_star:
                f_star = best_f[s]
                s_star = s
        if s_star < 0:
            break
        w = best_w[s_star]
        j = w_tgt[w]
        ts = best_ts[s_star]
        done[j, _period(ts, period, n_periods)] = True
        o_tgt[n] = j
        o_sat[n] = s_star
        o_a[n] = ts
        o_b[n] = f_star
        n += 1
        now = f_star
        if agile[s_star]:
            last_tgt[s_star] = j
            last_end[s_star] = f_star
        need[s_star] = True
        for s in range(nsat):
            if best_w[s] >= 0 and w_tgt[best_w[s]] == j:
                need[s] = True
    return o_tgt[:n].copy(), o_sat[:n].copy(), o_a[:n].copy(), o_b[:n].copy()


__all__ = ["target_windows", "step_prune_cos", "sat_position", "line_of_sight", "slew_angle", "earliest_start",
           "candidate_start", "greedy_schedule", "EARTH_ROTATION_RAD_S"]
