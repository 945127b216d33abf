"""Optional numba.cuda path of the coverage kernel: one GPU thread per ground point.

The CPU kernel (sim.kernels.coverage.accumulate_chunk) is the reference; this path
gives the same per-point figures (bit for bit on numba's CUDA simulator; on a
GPU to the last bits, see below):

- the math is the same source: the margin primitives of sim.kernels.coverage
  (cos_reach, interval_access, lit_clip, swath_crossing, ...) are compiled again as
  CUDA device functions from their Python source (every numba callee replaced
  by its device version: :func:`_device` refuses one left behind), and the
  margins are formed with the same operations in the same order.  CUDA without
  fastmath has IEEE division and square root; but libNVVM contracts multiplies
  and adds into fused multiply-adds by default (the kernel's PTX for compute
  capability 9.0 holds ~700), which the CPU build does not, and sin and cos
  come from libdevice: on a GPU the figures may differ in their last bits
  (tests/test_gpu.py asks the same access counts and times within 1 ms there);
- pruning only skips what cannot be seen: a thread walks its row's list of
  the satellite steps whose disc (sim.kernels.coverage.step_row_ranges) covers the
  row (sim.kernels.coverage.row_worklists), so its work is its candidates, not
  every (satellite, step) pair;
- passes are folded in time order as entry and exit events (a count of open
  passes per point), which gives the same access intervals as the CPU's
  sorted merge.

Each thread walks the chunk's steps in order and, within a step, the
satellites; a step's pieces at the point (at most MAX_PIECES_PER_STEP) are
sorted and folded before the next step.  A point reached by more satellites in
one step sets the overflow flag and the caller recomputes on the CPU.

``NUMBA_ENABLE_CUDASIM=1`` runs this module on numba's CPU simulator of CUDA;
the tests compare it with the CPU kernel there (tests/test_gpu.py).  Local
arrays are typed with numpy dtypes: numba-cuda (the CUDA target outside
numba) types numba's own scalar types, e.g. ``numba.float64``, as unknown.
"""

from __future__ import annotations

import math
import types

import numpy as np

from sim.kernels import coverage as K

MAX_PIECES_PER_STEP = 48
THREADS_PER_BLOCK = 128
N_STATE_GPU = K.NSTATE + 1  # the CPU state's columns plus the count of open passes
N_OPEN = K.NSTATE
NO_ENTRY = -math.inf
NO_EXIT = math.inf


class GpuError(ValueError):
    """The GPU path could not run (no CUDA toolkit to compile for the GPU, a
    driver error, ...): a clear one-line error for ``device="gpu"``."""


def cuda_available() -> bool:
    """True when numba finds a usable CUDA GPU (or its simulator is enabled)."""
    try:
        from numba import cuda
        return bool(cuda.is_available())
    except Exception:  # a broken CUDA driver install must not stop a CPU run
        return False


_COMPILED = None
cuda = None  # numba.cuda, imported by _compile


def _device(cuda, fn, **deps):
    """``fn`` (a numba CPU primitive of sim.kernels.coverage) compiled as a CUDA device
    function from its Python source, its callees replaced by device versions."""
    py = fn.py_func
    # A CPU kernel left among the globals would type under the simulator but not for a real GPU.
    cpu_callees = sorted(name for name in py.__code__.co_names
                         if hasattr(py.__globals__.get(name), "py_func") and name not in deps)
    if cpu_callees:
        raise TypeError(f"{py.__name__} calls {', '.join(cpu_callees)}: pass their device versions")
    glb = dict(py.__globals__)
    glb.update(deps)
    clone = types.FunctionType(py.__code__, glb, py.__name__, py.__defaults__, py.__closure__)
    return cuda.jit(device=True, inline=True)(clone)


def _compile():
    """Build the device functions and the kernel once (numba.cuda imported lazily:
    CPU-only machines never touch it)."""
    global _COMPILED, cuda
    if _COMPILED is not None:
        return _COMPILED
    # A module global, not a local: the CUDA simulator swaps the ``cuda`` a
    # kernel's globals name for its fake.
    from numba import cuda as _cuda
    cuda = _cuda

    d_cubic = _device(cuda, K._cubic)
    d_quadratic = _device(cuda, K._quadratic_root_01)
    d_cubic_root = _device(cuda, K._cubic_root)
    d_edge_guess = _device(cuda, K._edge_guess)
    d_interval_access = _device(cuda, K.interval_access, _cubic=d_cubic, _cubic_root=d_cubic_root,
                                _edge_guess=d_edge_guess, _quadratic_root_01=d_quadratic)
    d_lit_clip = _device(cuda, K.lit_clip)
    d_swath_crossing = _device(cuda, K.swath_crossing, _cubic=d_cubic)
    d_cos_reach = _device(cuda, K.cos_reach)
    d_close_run = _device(cuda, K.close_run)
    d_open_access = _device(cuda, K.open_access, close_run=d_close_run)
    d_unit = _device(cuda, K._unit)
    d_lit_margins = _device(cuda, K._lit_margins)
    d_step_vectors = _device(cuda, K.step_vectors)
    d_off_nadir = _device(cuda, K.cos_reach_off_nadir)
    d_shifted = _device(cuda, K.shifted)
    d_elevation_may_bind = _device(cuda, K.elevation_may_bind, cos_reach=d_cos_reach, cos_reach_off_nadir=d_off_nadir,
                                   shifted=d_shifted)
    d_elevation_margin_sq = _device(cuda, K.elevation_margin_sq)
    d_path_offset = _device(cuda, K._path_offset)
    d_refine_edge = _device(cuda, K._refine_elevation_edge, _path_offset=d_path_offset)
    d_elevation_edge = _device(cuda, K._elevation_edge, _path_offset=d_path_offset)
    d_path_ends = _device(cuda, K._path_ends)
    d_off_nadir_margin_sq = _device(cuda, K.off_nadir_margin_sq)
    d_off_nadir_root = _device(cuda, K._off_nadir_root, _path_offset=d_path_offset,
                               off_nadir_margin_sq=d_off_nadir_margin_sq)
    d_cubic_min = _device(cuda, K._cubic_min_01, _cubic=d_cubic)
    d_hermite_may_dip = _device(cuda, K._hermite_may_dip)
    d_hermite_min = _device(cuda, K._hermite_min, _cubic_min_01=d_cubic_min)
    d_off_nadir_path_access = _device(cuda, K.off_nadir_path_access, _path_offset=d_path_offset,
                                      off_nadir_margin_sq=d_off_nadir_margin_sq, _off_nadir_root=d_off_nadir_root,
                                      _edge_guess=d_edge_guess, interval_access_call=d_interval_access,
                                      _hermite_may_dip=d_hermite_may_dip, _hermite_min=d_hermite_min)
    d_cone_near_limb = _device(cuda, K.cone_near_limb, cos_reach_off_nadir=d_off_nadir)
    d_margin_may_dip = _device(cuda, K.margin_may_dip, _hermite_may_dip=d_hermite_may_dip, _hermite_min=d_hermite_min)
    d_path_margin = _device(cuda, K.path_elevation_margin_sq, _path_offset=d_path_offset)
    d_geodetic_access = _device(cuda, K.geodetic_access, cos_reach_off_nadir=d_off_nadir,
                                path_elevation_margin_sq=d_path_margin,
                                interval_access_call=d_interval_access, elevation_margin_sq=d_elevation_margin_sq,
                                _elevation_edge=d_elevation_edge, _edge_guess=d_edge_guess,
                                _refine_elevation_edge=d_refine_edge, _path_ends=d_path_ends,
                                off_nadir_path_access=d_off_nadir_path_access, cone_near_limb=d_cone_near_limb,
                                margin_may_dip=d_margin_may_dip)

    # Local arrays need their sizes as constants: the kernel's closure holds them
    # (numba-cuda types an expression of a module global, 2 * MAX_PIECES_PER_STEP, as a plain int64).
    n_pieces = int(MAX_PIECES_PER_STEP)
    n_events = 2 * n_pieces

    @cuda.jit(device=True, inline=True)
    def d_enter(state, i, a, min_gap_s):
        # A pass begins at a: with none open, an access begins (sim.kernels.coverage' rule of gaps).
        if state[i, N_OPEN] == 0.0:
            d_open_access(state, i, a, a, min_gap_s)
        state[i, N_OPEN] += 1.0

    @cuda.jit(device=True, inline=True)
    def d_leave(state, i, b):
        state[i, N_OPEN] -= 1.0
        if b > state[i, K.LAST_END]:
            state[i, K.LAST_END] = b

    @cuda.jit
    def chunk_kernel(state, u, du, rad, rdot, valid, t, sensor, sun, phat, nxyz, pt_row, row_radius, row_deflection,
                     work_start, work_codes, min_gap_s, overflow):
        i = cuda.grid(1)
        if i >= phat.shape[0]:
            return
        nsat = valid.shape[0]
        nk = valid.shape[1]
        row = pt_row[i]
        R = row_radius[row]
        deflection = row_deflection[row]
        hx = phat[i, 0]
        hy = phat[i, 1]
        hz = phat[i, 2]
        pa = cuda.local.array(n_pieces, np.float64)
        pb = cuda.local.array(n_pieces, np.float64)
        ev_t = cuda.local.array(n_events, np.float64)
        ev_x = cuda.local.array(n_events, np.int8)
        # The row's candidate (satellite, step) pairs, in time order; a step's
        # pieces are folded when the next step begins (and after the last).
        e = work_start[row]
        e_end = work_start[row + 1]
        while e < e_end:
            k = work_codes[e] // nsat
            t0 = t[k]
            t1 = t[k + 1]
            dt = t1 - t0
            n = 0
            while e < e_end and work_codes[e] // nsat == k:
                s = work_codes[e] - k * nsat
                e += 1
                seg_start = k == 0 or not valid[s, k - 1]
                seg_end = k == nk - 2 or not valid[s, k + 2]
                sin_sun = sensor[s, K.S_SIN_SUN]
                lit = sin_sun > K.NO_LIGHTING
                h0 = h1 = 0.0
                if lit:
                    h0, h1 = d_lit_margins(nxyz, i, sun[k, 0], sun[k, 1], sun[k, 2], sun[k + 1, 0], sun[k + 1, 1],
                                           sun[k + 1, 2], sin_sun)
                u0x, u0y, u0z, u1x, u1y, u1z, d0x, d0y, d0z, d1x, d1y, d1z = d_step_vectors(u, du, s, k)
                if sensor[s, K.S_KIND] == K.KIND_SWATH:
                    n0x, n0y, n0z = d_unit(d0x, d0y, d0z)
                    n1x, n1y, n1z = d_unit(d1x, d1y, d1z)
                    cos_half = math.cos(min(0.5 * math.pi, sensor[s, K.S_HALF_SWATH_KM] / R))
                    sx = d_swath_crossing(hx * n0x + hy * n0y + hz * n0z, hx * n1x + hy * n1y + hz * n1z,
                                          hx * u0x + hy * u0y + hz * u0z, (hx * d0x + hy * d0y + hz * d0z) * dt,
                                          hx * u1x + hy * u1y + hz * u1z, (hx * d1x + hy * d1y + hz * d1z) * dt,
                                          cos_half)
                    if sx < 0.0:
                        continue
                    if lit and h0 + sx * (h1 - h0) < 0.0:
                        continue
                    a = t0 + sx * dt
                    b = t0 + sx * dt
                else:
                    # The CPU kernel's margins and decisions (sim.kernels.coverage._step_rows), per point.
                    cos_eta = sensor[s, K.S_COS_ETA]
                    sin_eta = sensor[s, K.S_SIN_ETA]
                    cos_eps = sensor[s, K.S_COS_EPS]
                    sin_eps = sensor[s, K.S_SIN_EPS]
                    r0 = rad[s, k]
                    r1 = rad[s, k + 1]
                    near_limb = d_cone_near_limb(r0, r1, rdot[s, k], rdot[s, k + 1], dt, R, cos_eta, sin_eta)
                    geodetic = near_limb or d_elevation_may_bind(r0, r1, R, cos_eta, sin_eta, cos_eps, sin_eps,
                                                                 deflection)
                    if geodetic:
                        cos_eps, sin_eps = d_shifted(cos_eps, sin_eps, -2.0 * deflection)
                    C0, dC0 = d_cos_reach(r0, R, cos_eta, sin_eta, cos_eps, sin_eps)
                    C1, dC1 = d_cos_reach(r1, R, cos_eta, sin_eta, cos_eps, sin_eps)
                    e0 = dC0 * rdot[s, k]
                    e1 = dC1 * rdot[s, k + 1]
                    f0 = hx * u0x + hy * u0y + hz * u0z - C0
                    f1 = hx * u1x + hy * u1y + hz * u1z - C1
                    g0 = hx * d0x + hy * d0y + hz * d0z - e0
                    g1 = hx * d1x + hy * d1y + hz * d1z - e1
                    if not geodetic and f0 >= 0.0 and f1 >= 0.0 and d_margin_may_dip(r0, r1, R, sin_eta, f0, g0 * dt,
                                                                                      f1, g1 * dt):
                        geodetic = True  # inside at both ends with the cone near the limb: it may dip out
                    if geodetic:
                        if f0 < 0.0 and f1 < 0.0 and not (g0 > 0.0 and g1 < 0.0) and not near_limb:
                            continue
                        sa, sb, ga, gb = d_geodetic_access(hx, hy, hz, nxyz[i, 0], nxyz[i, 1], nxyz[i, 2], R, u0x,
                                                           u0y, u0z, u1x, u1y, u1z, d0x, d0y, d0z, d1x, d1y, d1z,
                                                           r0, r1, rdot[s, k], rdot[s, k + 1], cos_eta, sin_eta,
                                                           sensor[s, K.S_SIN_EPS], dt)
                    else:
                        sa, sb = d_interval_access(f0, g0, f1, g1, dt)
                        ga = gb = -1.0
                    if sa < 0.0:
                        continue
                    if ga >= 0.0:
                        # Two parts (a cone at the limb dips out and back): the first is a piece of its own.
                        fa, fb = sa, ga
                        if lit:
                            fa, fb = d_lit_clip(fa, fb, h0, h1)
                        if fa >= 0.0:
                            if n == n_pieces:
                                overflow[0] = 1
                                return
                            pa[n] = (t0 if seg_start else NO_ENTRY) if fa == 0.0 else t0 + fa * dt
                            pb[n] = t0 + fb * dt
                            n += 1
                        sa = gb
                    if lit:
                        sa, sb = d_lit_clip(sa, sb, h0, h1)
                        if sa < 0.0:
                            continue
                    # sa == 0 / sb == 1: accessible at the step's start / end,
                    # so the pass runs across that sample (as in the CPU kernel).
                    if sa == 0.0:
                        a = t0 if seg_start else NO_ENTRY
                    else:
                        a = t0 + sa * dt
                    if sb == 1.0:
                        b = t1 if seg_end else NO_EXIT
                    else:
                        b = t0 + sb * dt
                    if a == NO_ENTRY and b == NO_EXIT:
                        continue  # inside throughout: the open pass runs on
                if n == n_pieces:
                    overflow[0] = 1
                    return
                pa[n] = a
                pb[n] = b
                n += 1
            # This step's events in time order (entries first at equal times).
            m = 0
            for z in range(n):
                if pa[z] != NO_ENTRY:
                    ev_t[m] = pa[z]
                    ev_x[m] = 0
                    m += 1
                if pb[z] != NO_EXIT:
                    ev_t[m] = pb[z]
                    ev_x[m] = 1
                    m += 1
            for z in range(1, m):
                kt = ev_t[z]
                kx = ev_x[z]
                y = z - 1
                while y >= 0 and (ev_t[y] > kt or (ev_t[y] == kt and ev_x[y] > kx)):
                    ev_t[y + 1] = ev_t[y]
                    ev_x[y + 1] = ev_x[y]
                    y -= 1
                ev_t[y + 1] = kt
                ev_x[y + 1] = kx
            for z in range(m):
                if ev_x[z] == 0:
                    d_enter(state, i, ev_t[z], min_gap_s)
                else:
                    d_leave(state, i, ev_t[z])

    _COMPILED = (cuda, chunk_kernel)
    return _COMPILED


class GpuAccumulator:
    """The per-point state on the GPU across a run's chunks.

    ``add_chunk`` takes what sim.kernels.coverage.accumulate_chunk takes (host arrays);
    ``state()`` returns the CPU layout (n, NSTATE) for sim.engine.metrics, or None
    when a point met more than MAX_PIECES_PER_STEP pieces in one step (then
    run the CPU kernel instead).
    """

    def __init__(self, rows: K.GridRows):
        try:
            self._setup(rows)
        except Exception as exc:  # numba/CUDA errors have many types; the user needs one line
            raise GpuError(f"the GPU kernel could not start: {type(exc).__name__}: {exc}") from exc

    def _setup(self, rows: K.GridRows):
        cuda, self._kernel = _compile()
        self._cuda = cuda
        n_points = rows.phat.shape[0]
        pt_row = np.repeat(np.arange(len(rows.row_count), dtype=np.int64), rows.row_count)
        self._row_geoc_lat = rows.row_geoc_lat
        self._phat = cuda.to_device(np.ascontiguousarray(rows.phat))
        self._nxyz = cuda.to_device(np.ascontiguousarray(rows.nxyz))
        self._pt_row = cuda.to_device(pt_row)
        self._row_radius = cuda.to_device(np.ascontiguousarray(rows.row_radius))
        self._row_deflection = cuda.to_device(np.ascontiguousarray(rows.row_deflection))
        self._state = cuda.to_device(np.zeros((n_points, N_STATE_GPU)))
        self._overflow = cuda.to_device(np.zeros(1, np.int64))
        self._n = n_points

    def add_chunk(self, sats: K.SatSteps, min_gap_s: float):
        if sats.valid.shape[1] < 2 or self._n == 0:
            return
        try:
            self._launch(sats, min_gap_s)
        except Exception as exc:  # the first launch compiles: a missing toolkit shows up here
            raise GpuError(f"the GPU kernel failed: {type(exc).__name__}: {exc}") from exc

    def _launch(self, sats: K.SatSteps, min_gap_s: float):
        u, du, rad, rdot, reach, valid, t, sensor, sun = sats
        r_lo, r_hi = K.step_row_ranges(u, reach, valid, self._row_geoc_lat)
        work_start, work_codes = K.row_worklists(r_lo, r_hi, self._row_geoc_lat.shape[0])
        cuda = self._cuda
        args = [cuda.to_device(np.ascontiguousarray(a)) for a in (u, du, rad, rdot, valid, t, sensor, sun)]
        blocks = (self._n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK
        self._kernel[blocks, THREADS_PER_BLOCK](self._state, *args, self._phat, self._nxyz, self._pt_row,
                                                 self._row_radius, self._row_deflection, cuda.to_device(work_start),
                                                 cuda.to_device(work_codes),
                                                 float(min_gap_s), self._overflow)

    def state(self):
        if int(self._overflow.copy_to_host()[0]):
            return None
        return np.ascontiguousarray(self._state.copy_to_host()[:, :K.NSTATE])
