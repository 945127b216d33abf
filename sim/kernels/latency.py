"""Numba kernels for the ground segment: data latency and system response time
per ground point, streamed over time chunks.  Pure functions on plain arrays.

Conventions as in :mod:`sim.kernels.windows`: times in seconds from the window
start, request window [0, T]; the chunks may run past T (a tail) so that
requests and images near the end resolve.

Downlinks are given per satellite as contacts sorted by start (AOS), CSR-style:
satellite s owns ``c_aos[c_lo[s]:c_lo[s + 1]]``, and ``c_sufmin`` holds, for
each of them, the earliest end (LOS) among that contact and the later-starting
ones.  An image taken by satellite s at time c reaches the ground at

    D_s(c) = min{LOS_k : AOS_k >= c}        (inf when there is none)

a non-decreasing step function of c, constant between contact starts.

System response at a point, for a request at t: the first image collected
after t (at t itself while some satellite sees the point, else at the next
access start c; among the satellites that can collect then, the earliest
delivery); response = delivery - t.  Between consecutive events (access
starts and ends, contact starts of the satellites in view) the delivery is
constant, so the response falls linearly with slope -1: each such piece is
integrated exactly, and its values, uniform over [D - t1, D - t0], are added
to a histogram in O(1) (partial end bins plus a difference array).

Data latency: each access starting in [0, T) is an image at its start a;
latency = D_s(a) - a.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.kernels import run_blocks
from sim.kernels import coverage as K
from sim.kernels import windows as W

INF = math.inf


@njit(cache=True, error_model="numpy")
def delivery_at(c_lo, c_aos, c_sufmin, s, x):
    """D_s(x): the earliest end of the contacts of satellite ``s`` starting at or after ``x``."""
    lo = c_lo[s]
    hi = c_lo[s + 1]
    k = lo + K.search_left(c_aos[lo:hi], x)
    return c_sufmin[k] if k < hi else INF


@njit(cache=True, error_model="numpy")
def delivery_after(c_lo, c_aos, c_sufmin, s, x):
    """(D_s on (x, next), next): the delivery of an image taken just after ``x``
    and the next contact start, where it steps (inf: none)."""
    lo = c_lo[s]
    hi = c_lo[s + 1]
    k = lo + K.search_right(c_aos[lo:hi], x)
    if k < hi:
        return c_sufmin[k], c_aos[k]
    return INF, INF


@njit(cache=True, error_model="numpy")
def hist_uniform(h, d, r0, r1, mass, bw):
    """Add ``mass`` spread uniformly over [r0, r1] (s) to the histogram ``h`` of
    bins ``bw`` wide: partial end bins directly, whole bins through the
    difference array ``d`` (their sum is ``h + cumsum(d)``).  Values past the
    last bin go to it."""
    nb = h.shape[0]
    lo = max(r0 / bw, 0.0)
    hi = max(r1 / bw, lo)
    top = float(nb - 1)
    if lo >= top:
        h[nb - 1] += mass
        return
    if hi > top:
        # Beyond the histogram's range: the part past it goes to the last bin.
        inside = mass * (top - lo) / (hi - lo)
        h[nb - 1] += mass - inside
        mass = inside
        hi = top
    i0 = int(math.floor(lo))
    i1 = int(math.floor(hi))
    if i0 == i1 or hi - lo <= 0.0:
        h[i0] += mass
        return
    rho = mass / (hi - lo)
    h[i0] += rho * (i0 + 1 - lo)
    h[i1] += rho * (hi - i1)
    if i1 > i0 + 1:
        d[i0 + 1] += rho
        d[i1] -= rho


@njit(cache=True, error_model="numpy")
def hist_point(h, x, mass, bw):
    """Add ``mass`` at the value ``x`` (s)."""
    nb = h.shape[0]
    i = int(math.floor(x / bw))
    h[min(max(i, 0), nb - 1)] += mass


@njit(cache=True, error_model="numpy")
def _piece(i, blk, t0, t1, D, T, weight, resp_int, resp_meas, resp_max, cens_meas, hist_r, diff_r, cens_r, bw):
    """Requests in [t0, t1] all delivered at D (inf: not resolved)."""
    dt = t1 - t0
    if D < INF:
        resp_int[i] += dt * (D - 0.5 * (t0 + t1))
        resp_meas[i] += dt
        if D - t0 > resp_max[i]:
            resp_max[i] = D - t0
        hist_uniform(hist_r[blk], diff_r[blk], D - t1, D - t0, weight[i] * dt / T, bw)
    else:
        cens_meas[i] += dt
        resp_max[i] = INF
        cens_r[blk] += weight[i] * dt / T


@njit(cache=True, error_model="numpy")
def point_sweep(i, blk, ws, wa, wb, n, act_s, act_b, t_cur, T, t_end, last, c_lo, c_aos, c_sufmin, weight,
                resp_int, resp_meas, resp_max, cens_meas, hist_r, diff_r, cens_r, bw):
    """Advance point ``i``'s requests from ``t_cur[i]`` through this chunk's
    windows (satellite ``ws``, start ``wa``, end ``wb``, sorted by start):
    up to min(T, t_end), or to the start of a gap whose next access is not
    known yet (it stays pending for the next chunk; in the ``last`` chunk it
    is censored)."""
    tc = t_cur[i]
    if tc >= T:
        return
    stop = min(T, t_end)
    j = 0
    na = 0
    while True:
        while j < n and wa[j] <= tc:
            if wb[j] > tc:
                act_s[na] = ws[j]
                act_b[na] = wb[j]
                na += 1
            j += 1
        m = 0
        for q in range(na):
            if act_b[q] > tc:
                act_s[m] = act_s[q]
                act_b[m] = act_b[q]
                m += 1
        na = m
        if tc >= stop:
            break
        if na == 0:
            if j < n:
                c = wa[j]
                D = INF
                q = j
                while q < n and wa[q] == c:
                    D = min(D, delivery_at(c_lo, c_aos, c_sufmin, ws[q], c))
                    q += 1
                t1 = min(c, T)
                _piece(i, blk, tc, t1, D, T, weight, resp_int, resp_meas, resp_max, cens_meas, hist_r, diff_r,
                       cens_r, bw)
                tc = t1
            else:
                if last:
                    _piece(i, blk, tc, T, INF, T, weight, resp_int, resp_meas, resp_max, cens_meas, hist_r,
                           diff_r, cens_r, bw)
                    tc = T
                break
        else:
            D = INF
            t1 = stop
            if j < n and wa[j] < t1:
                t1 = wa[j]
            for q in range(na):
                d, nxt = delivery_after(c_lo, c_aos, c_sufmin, act_s[q], tc)
                D = min(D, d)
                t1 = min(t1, min(act_b[q], nxt))
            _piece(i, blk, tc, t1, D, T, weight, resp_int, resp_meas, resp_max, cens_meas, hist_r, diff_r,
                   cens_r, bw)
            tc = t1
    t_cur[i] = tc


def latency_chunk(u, du, rad, rdot, reach, valid, t, sensor, sun, phat, nxyz, radius_km, blocks, weight,
                  c_lo, c_aos, c_sufmin, T, first, last, bw,
                  t_cur, resp_int, resp_meas, resp_max, cens_meas, lat_sum, lat_n, lat_max, lat_cens,
                  hist_r, diff_r, cens_r, hist_l, cens_l):
    """Fold one chunk of samples into the per-point latency state.

    Frames as :func:`sim.kernels.windows.target_windows` takes them (the grid
    points as targets); ``blocks``: point boundaries, one task per block,
    run in parallel (:func:`sim.kernels.run_blocks`; block b adds to row b of
    the histograms: sums do not depend on the thread count).  ``first``: the window's first chunk (an access in progress
    at t = 0 counts as an image then); in later chunks a window starting at
    the chunk's first sample continues one of the chunk before.  Per point:
    ``t_cur`` (requests resolved up to it), the integral of the response over
    the resolved requests, their measure, the largest response, the censored
    measure; the sum, count, largest and censored count of the data latencies.  Per
    block: histograms (``bw`` s bins) of response (mass weight * dt / T) and
    latency (mass weight per image), censored masses."""
    prune, rho_max, arc_max = W.step_prune_cos(u, reach, valid)
    run_blocks(_latency_block, blocks.shape[0] - 1, u, du, rad, rdot, reach, valid, t, sensor, sun, phat, nxyz,
               radius_km, blocks, weight, c_lo, c_aos, c_sufmin, T, first, last, bw, t_cur, resp_int, resp_meas,
               resp_max, cens_meas, lat_sum, lat_n, lat_max, lat_cens, hist_r, diff_r, cens_r, hist_l, cens_l, prune,
               rho_max, arc_max)


@njit(cache=True, error_model="numpy", nogil=True)
def _latency_block(blk, u, du, rad, rdot, reach, valid, t, sensor, sun, phat, nxyz, radius_km, blocks, weight,
                   c_lo, c_aos, c_sufmin, T, first, last, bw,
                   t_cur, resp_int, resp_meas, resp_max, cens_meas, lat_sum, lat_n, lat_max, lat_cens,
                   hist_r, diff_r, cens_r, hist_l, cens_l,
                   prune, rho_max, arc_max):
    """One block's points of :func:`latency_chunk`."""
    nsat = valid.shape[0]
    t_start = t[0]
    t_end = t[t.shape[0] - 1]
    cap = 64
    w_tgt = np.empty(cap, np.int64)
    w_sat = np.empty(cap, np.int64)
    w_a = np.empty(cap, np.float64)
    w_b = np.empty(cap, np.float64)
    act_s = np.empty(nsat, np.int64)
    act_b = np.empty(nsat, np.float64)
    for i in range(blocks[blk], blocks[blk + 1]):
        if t_start >= T and t_cur[i] >= T:
            continue  # past the window, only points with a request still waiting need their accesses
        n = 0
        for s in range(nsat):
            w_tgt, w_sat, w_a, w_b, n = W.pair_windows(s, i, u, du, rad, rdot, valid, t, sensor, sun, phat,
                                                       nxyz, radius_km, prune, rho_max, arc_max, w_tgt, w_sat,
                                                       w_a, w_b, n)
        order = np.argsort(w_a[:n], kind="mergesort")
        ws = w_sat[:n][order]
        wa = w_a[:n][order]
        wb = w_b[:n][order]
        for j in range(n):
            a = wa[j]
            if a >= T or (a == t_start and not first):
                continue
            D = delivery_at(c_lo, c_aos, c_sufmin, ws[j], a)
            if D < INF:
                lat_sum[i] += D - a
                lat_n[i] += 1.0
                lat_max[i] = max(lat_max[i], D - a)
                hist_point(hist_l[blk], D - a, weight[i], bw)
            else:
                lat_cens[i] += 1.0
                cens_l[blk] += weight[i]
        point_sweep(i, blk, ws, wa, wb, n, act_s, act_b, t_cur, T, t_end, last, c_lo, c_aos, c_sufmin,
                    weight, resp_int, resp_meas, resp_max, cens_meas, hist_r, diff_r, cens_r, bw)


@njit(cache=True, error_model="numpy")
def hist_percentiles(h, cens, qs, bw):
    """Percentiles (s) of the distribution with histogram ``h`` (bins ``bw``
    wide, mass spread evenly within a bin) and ``cens`` mass at +inf: for each
    q in ``qs`` (0-100), the value below which q % of the mass lies (inf when
    it falls in the censored mass, NaN for no mass)."""
    total = h.sum() + cens
    out = np.full(qs.shape[0], np.nan)
    if total <= 0.0:
        return out
    cum = np.cumsum(h)
    for m in range(qs.shape[0]):
        target = qs[m] / 100.0 * total
        k = K.search_left(cum, target)
        if k >= h.shape[0]:
            out[m] = INF
            continue
        below = cum[k] - h[k]
        frac = (target - below) / h[k] if h[k] > 0.0 else 0.0
        out[m] = (k + min(max(frac, 0.0), 1.0)) * bw
    return out


__all__ = ["delivery_at", "delivery_after", "hist_uniform", "hist_point", "point_sweep", "latency_chunk",
           "hist_percentiles"]
