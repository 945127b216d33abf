"""The ground segment: downlink contacts, data latency and system response time.

Contacts: a satellite is in contact with a station while it stands at least
the station's minimum elevation above the station's geodetic horizon.  They
are found with the access-window kernel (:func:`sim.studies.capacity.access_windows`,
the coverage kernel's refined edges) flying every satellite with an
elevation-only sensor at the station's mask, the stations as targets at
their heights.

Latency (store and forward, no relays; :mod:`sim.kernels.latency` for the
exact definitions): an image taken by satellite s at time c reaches the
ground at D_s(c), the earliest end of s's contacts that start at or after c
and last longer than the station's setup time.

- data latency of an access (an image at its start a): D_s(a) - a;
- system response time at a point, for a request at t: the first image of
  the point collected after t (at t while a satellite sees it, else at the
  next access start; the earliest delivery among the satellites collecting
  then), delivered minus t.  Integrated exactly over t in the window.

Accesses and contacts are searched past the window's end by a tail (default
one day) so that requests and images near the end resolve; what is still
unresolved at the tail's end is censored: counted and reported, never
dropped (percentiles count it as +inf, means leave it out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sgp4.api import SatrecArray

from constellation.constants import SECONDS_PER_DAY
from constellation.core import Constellation
from constellation.ground import GroundNetwork
from sim.engine.geodesy import geodetic_to_ecef
from sim.engine.grid import Grid
from sim.engine.memory import BYTES_PER_SATELLITE_SAMPLE, FIXED_BYTES, check_fits
from sim.engine.table import Table, utc_times, window_meta
from sim.engine.metrics import weighted_mean
from sim.engine.propagate import Window, propagate_ecef
from sim.engine.run import sensor_array
from sim.engine.sampling import sample_window
from sim.engine.sun import sun_unit_ecef
from sim.kernels import coverage as K
from sim.kernels import latency as L
from sim.studies.capacity import Passes, Targets, access_windows

# How far past the window's end accesses and contacts are searched (s).
DEFAULT_TAIL_S = SECONDS_PER_DAY
# Samples per time chunk of the latency kernel (bounds the satellite frames held at once).
CHUNK_SAMPLES = 512
# Histogram bin (s) of the response and latency distributions; widened for long windows so
# that the histograms stay within MAX_BINS (3 x N_BLOCKS x 250,000 float64: 96 MB; a day and
# its tail take 172,802 bins of 1 s, a 31-day window bins of 11 s).
BIN_S = 1.0
MAX_BINS = 250_000
# Parallel tasks (blocks of points); fixed, so that the histograms' sums do not depend on the threads.
N_BLOCKS = 16
# Samples of a contact at which its elevation is evaluated, then golden-section steps
# around the best (0.618^40 of two samples' spacing: well below a millisecond).
ELEVATION_SAMPLES = 181
GOLDEN_STEPS = 40
# Per ground point: lat/lon/xyz/up/radius/weight (~100), the latency state (8 float64), figures (5).
LATENCY_BYTES_PER_POINT = 100 + 8 * 8 + 8 * 5
MODEL_TEXT = ("store and forward, no relays: an image reaches the ground at the end of the earliest-ending contact "
              "of its satellite starting at or after it is taken and lasting longer than the station's setup time; "
              "system response: request at a uniformly random time, the first image collected after it (the "
              "earliest delivery among satellites collecting then), integrated exactly; data latency: per access, "
              "an image at its start; unresolved at the tail's end: censored")


# ----------------------------------------------------------------------------- contacts
@dataclass
class Contacts:
    """Contact windows, sorted by (start, station, satellite); times in s from the window start."""

    station: np.ndarray
    satellite: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    max_elevation_deg: np.ndarray
    network: GroundNetwork
    window: Window
    satellite_names: list[str]

    def __len__(self) -> int:
        return self.station.size

    def table(self) -> Table:
        """The contacts as a table: satellite, station, aos_utc, los_utc (UTC), duration_s,
        max_elevation_deg, aos_s, los_s (s from the window start); the window and the
        stations in ``meta``."""
        start = self.window.start
        st = [s.name for s in self.network.stations]
        cols = {"satellite": [self.satellite_names[k] for k in self.satellite.tolist()],
                "station": [st[j] for j in self.station.tolist()],
                "aos_utc": utc_times(start, self.start_s), "los_utc": utc_times(start, self.end_s),
                "duration_s": self.end_s - self.start_s, "max_elevation_deg": self.max_elevation_deg,
                "aos_s": np.asarray(self.start_s, float), "los_s": np.asarray(self.end_s, float)}
        meta = {"window": window_meta(self.window), "network": self.network.name,
                "stations": [{"name": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "alt_km": s.alt_km,
                              "min_elevation_deg": s.min_elevation_deg} for s in self.network.stations]}
        return Table("contacts", cols, formats={"duration_s": ".3f", "max_elevation_deg": ".3f", "aos_s": ".3f",
                                                "los_s": ".3f"}, meta=meta)


def station_targets(network: GroundNetwork) -> Targets:
    """The stations as point targets at their heights."""
    st = network.stations
    return Targets(np.array([s.lat_deg for s in st]), np.array([s.lon_deg for s in st]), [s.name for s in st],
                   network.name, np.array([s.alt_km for s in st]))


def contact_constellation(constellation: Constellation, min_elevation_deg: float) -> Constellation:
    """The satellites with an elevation-only sensor at ``min_elevation_deg``, day and night."""
    return constellation.with_sensor_changes(off_nadir_deg="none", min_elevation_deg=min_elevation_deg,
                                             day_and_night=True)


def elevation_deg(passes: Passes, sat: np.ndarray, xyz: np.ndarray, up: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Elevation (deg) above the geodetic horizon of the satellites ``sat`` seen from
    points ``xyz`` (km) with verticals ``up`` at times ``x`` (s), shape (n, m): the
    cubic Hermite of the satellites' Earth-fixed states between samples."""
    t = passes.t
    k = np.clip(np.searchsorted(t, x, side="right") - 1, 0, t.size - 2)
    dt = (t[k + 1] - t[k])[..., None]
    tau = (x - t[k])[..., None] / dt
    m = 1.0 - tau
    s = sat[:, None]
    p = ((1.0 + 2.0 * tau) * m * m * passes.pos[s, k] + tau * m * m * dt * passes.vel[s, k]
         + tau * tau * (3.0 - 2.0 * tau) * passes.pos[s, k + 1] + tau * tau * (tau - 1.0) * dt * passes.vel[s, k + 1])
    d = p - xyz[:, None, :]
    sin_el = np.einsum("nmi,ni->nm", d, up) / np.linalg.norm(d, axis=2)
    return np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0)))


def max_elevation_deg(passes: Passes, sat, xyz, up, a, b) -> np.ndarray:
    """Highest elevation (deg) of each contact: sampled, then a golden-section search
    between the best sample's neighbours (the peak is sharp near the zenith, where a
    parabola is not enough)."""
    if a.size == 0:
        return np.zeros(0)
    frac = np.linspace(0.0, 1.0, ELEVATION_SAMPLES)
    x = a[:, None] + (b - a)[:, None] * frac[None, :]
    el = elevation_deg(passes, sat, xyz, up, x)
    j = np.argmax(el, axis=1)
    r = np.arange(a.size)
    lo = x[r, np.maximum(j - 1, 0)]
    hi = x[r, np.minimum(j + 1, ELEVATION_SAMPLES - 1)]
    g = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(GOLDEN_STEPS):
        x1 = hi - g * (hi - lo)
        x2 = lo + g * (hi - lo)
        e = elevation_deg(passes, sat, xyz, up, np.stack([x1, x2], axis=1))
        left = e[:, 0] >= e[:, 1]
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
    best = elevation_deg(passes, sat, xyz, up, (0.5 * (lo + hi))[:, None])[:, 0]
    return np.maximum(np.maximum(best, el.max(axis=1)), 0.0)


def find_contacts(constellation: Constellation, network: GroundNetwork, window: Window,
                  progress=None) -> Contacts:
    """Every satellite's contacts with every station over ``window``, with their
    highest elevation.  Stations sharing a mask are searched together."""
    targets = station_targets(network)
    xyz_all, up_all = targets.xyz_km()
    masks = sorted({s.min_elevation_deg for s in network.stations})
    parts = []
    for el in masks:
        idx = np.array([i for i, s in enumerate(network.stations) if s.min_elevation_deg == el])
        sub = Targets(targets.lat_deg[idx], targets.lon_deg[idx], [targets.names[i] for i in idx], network.name,
                      targets.alt_km[idx])
        wins, passes = access_windows(contact_constellation(constellation, el), sub, window, progress=progress)
        station = idx[wins.target]
        mx = max_elevation_deg(passes, wins.satellite, xyz_all[station], up_all[station], wins.start_s, wins.end_s)
        parts.append((station, wins.satellite, wins.start_s, wins.end_s, mx))
    st, sat, a, b, mx = (np.concatenate([p[j] for p in parts]) for j in range(5))
    order = np.lexsort((sat, st, a))
    return Contacts(st[order], sat[order], a[order], b[order], mx[order], network, window,
                    [s.name for s in constellation.satellites])


def delivery_table(contacts: Contacts, n_satellites: int, end_s: float):
    """The kernel's per-satellite contacts (:mod:`sim.kernels.latency`): CSR
    bounds, starts and suffix-minimum ends, of the contacts that deliver: longer
    than their station's setup time, begun after the search's start and ended
    before ``end_s``.  A contact cut by the search's end has no known end; one
    under way at its start began before every image of the window, and an image
    waits for a contact that begins at or after it."""
    setup = np.array([s.setup_s for s in contacts.network.stations])
    dur = contacts.end_s - contacts.start_s
    ok = (dur > setup[contacts.station]) & (contacts.start_s > 0.0) & (contacts.end_s < end_s)
    sat, a, b = contacts.satellite[ok], contacts.start_s[ok], contacts.end_s[ok]
    order = np.lexsort((b, a, sat))
    sat, a, b = sat[order], a[order], b[order]
    lo = np.searchsorted(sat, np.arange(n_satellites + 1), side="left").astype(np.int64)
    sufmin = b.copy()
    for s in range(n_satellites):
        if lo[s + 1] > lo[s]:
            seg = b[lo[s]:lo[s + 1]]
            sufmin[lo[s]:lo[s + 1]] = np.minimum.accumulate(seg[::-1])[::-1]
    return lo, np.ascontiguousarray(a), np.ascontiguousarray(sufmin)


def _longest_gap(a: np.ndarray, b: np.ndarray, start: float, end: float) -> float:
    """Longest time in [start, end] outside the intervals [a, b] (edges count)."""
    if a.size == 0:
        return end - start
    order = np.argsort(a, kind="stable")
    a, b = a[order], np.maximum.accumulate(b[order])
    gaps = np.concatenate([[a[0] - start], a[1:] - b[:-1], [end - b[-1]]])
    return float(max(gaps.max(), 0.0))


def contact_summary(contacts: Contacts) -> dict:
    """Per station: contacts a day, minutes a day, the longest time with no
    satellite in contact; per satellite, the longest time without a contact.
    JSON-ready."""
    T = contacts.window.duration_s
    # A window shorter than a day gives its own totals, a lower bound of a day's:
    # scaling them up would count a contact cut by the window's ends several times.
    days = max(T / SECONDS_PER_DAY, 1.0)
    rows = []
    for j, s in enumerate(contacts.network.stations):
        m = contacts.station == j
        d = contacts.end_s[m] - contacts.start_s[m]
        rows.append({"station": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg,
                     "min_elevation_deg": s.min_elevation_deg, "contacts_per_day": float(m.sum()) / days,
                     "minutes_per_day": float(d.sum()) / 60.0 / days,
                     "usable_per_day": float((d > s.setup_s).sum()) / days,
                     "longest_gap_s": _longest_gap(contacts.start_s[m], contacts.end_s[m], 0.0, T),
                     "downlink_rate_mbps": s.downlink_rate_mbps,
                     "gbit_per_day": (None if s.downlink_rate_mbps is None
                                      else float(np.maximum(d - s.setup_s, 0.0).sum()) * s.downlink_rate_mbps
                                      / 1000.0 / days)})
    sat_gaps = [_longest_gap(contacts.start_s[contacts.satellite == k], contacts.end_s[contacts.satellite == k],
                             0.0, T) for k in range(len(contacts.satellite_names))]
    return {"network": contacts.network.name, "stations": rows, "contacts": len(contacts),
            "start": contacts.window.start.isoformat().replace("+00:00", "Z"), "duration_s": T,
            "satellites": len(contacts.satellite_names),
            "satellite_longest_gap_s": {"p50": float(np.median(sat_gaps)) if sat_gaps else None,
                                        "max": float(max(sat_gaps)) if sat_gaps else None}}


# ----------------------------------------------------------------------------- latency
@dataclass
class Latency:
    """Per-point figures (grid order) and the area-weighted summary of one run."""

    figures: dict
    summary: dict


def estimate_latency_bytes(n_satellites: int, n_points: int, chunk_samples: int, n_bins: int) -> int:
    """Peak memory of :func:`ground_latency`: a chunk of satellite frames, the per-point
    state and figures, and N_BLOCKS pairs of histograms."""
    return int(FIXED_BYTES + BYTES_PER_SATELLITE_SAMPLE * n_satellites * chunk_samples
               + LATENCY_BYTES_PER_POINT * n_points + 3 * 8 * N_BLOCKS * n_bins)


def ground_latency(constellation: Constellation, grid: Grid, window: Window, network: GroundNetwork,
                   tail_s: float = DEFAULT_TAIL_S, chunk_samples: int = CHUNK_SAMPLES, progress=None,
                   memory_limit_bytes: int | None = None, contacts: Contacts | None = None) -> Latency:
    """Data latency and system response time of ``constellation`` on ``grid`` over
    ``window`` with the stations of ``network`` (see the module's docstring).
    The grid's accesses are found a time chunk at a time (memory bounded whatever
    the window) and folded into per-point state; the search runs past the
    window's end by at most ``tail_s``, stopping as soon as every request is
    resolved.  ``progress(done, total)`` over the extended window's samples."""
    sats = constellation.satellites
    if not sats:
        raise ValueError("the constellation has no satellites")
    T = window.duration_s
    end = T + float(tail_s)
    ext = Window(window.start, end, window.step_s)
    if contacts is None:
        contacts = find_contacts(constellation, network, ext)
    c_lo, c_aos, c_sufmin = delivery_table(contacts, len(sats), end)
    bw = max(BIN_S, end / MAX_BINS)
    n_bins = int(math.ceil(end / bw)) + 2
    ext = sample_window(constellation, ext)
    chunk = max(2, int(chunk_samples))
    npts = len(grid)
    check_fits(estimate_latency_bytes(len(sats), npts, chunk, n_bins),
               f"the latency of {npts:,} points to {len(sats)} satellites",
               "use a coarser grid or fewer satellites", memory_limit_bytes)
    sensor = sensor_array(constellation)
    lit = bool(np.any(sensor[:, K.S_SIN_SUN] > K.NO_LIGHTING))
    xyz, up = geodetic_to_ecef(grid.lat_deg, grid.lon_deg)
    radius = np.linalg.norm(xyz, axis=1)
    phat = np.ascontiguousarray(xyz / radius[:, None])
    up = np.ascontiguousarray(up)
    weight = np.ascontiguousarray(grid.weight / grid.weight.sum())
    nblk = max(1, min(N_BLOCKS, npts))
    blocks = np.linspace(0, npts, nblk + 1).round().astype(np.int64)
    t_cur = np.zeros(npts)
    resp_int, resp_meas, resp_max, cens_meas = (np.zeros(npts) for _ in range(4))
    lat_sum, lat_n, lat_max, lat_cens = (np.zeros(npts) for _ in range(4))
    hist_r, diff_r, hist_l = (np.zeros((nblk, n_bins)) for _ in range(3))
    cens_r, cens_l = np.zeros(nblk), np.zeros(nblk)
    sat_array = SatrecArray([s.satrec for s in sats])
    n = ext.n_samples
    k0 = 0
    while k0 < n - 1:
        k1 = min(n, k0 + chunk)
        t, pos, vel, valid = propagate_ecef(sat_array, ext, k0, k1)
        u, du, rad, rdot, reach = K.satellite_frames(pos, vel, sensor)
        sun = sun_unit_ecef(ext, k0, k1) if lit else np.zeros((k1 - k0, 3))
        L.latency_chunk(u, du, rad, rdot, reach, valid, t, sensor, sun, phat, up, radius, blocks, weight,
                        c_lo, c_aos, c_sufmin, T, k0 == 0, k1 == n, bw, t_cur, resp_int, resp_meas, resp_max,
                        cens_meas, lat_sum, lat_n, lat_max, lat_cens, hist_r, diff_r, cens_r, hist_l, cens_l)
        if progress is not None:
            progress(k1 - 1, n - 1)
        k0 = k1 - 1
        if t[-1] >= T and bool(np.all(t_cur >= T)):
            break  # every request resolved and every image of the window counted
    searched = float(t[-1])
    if progress is not None:
        progress(n - 1, n - 1)
    h_r = hist_r.sum(axis=0) + np.cumsum(diff_r.sum(axis=0))
    h_l = hist_l.sum(axis=0)
    qs = np.array([50.0, 90.0, 95.0, 99.0, 100.0])
    pr = L.hist_percentiles(h_r, float(cens_r.sum()), qs, bw)
    pl = L.hist_percentiles(h_l, float(cens_l.sum()), qs, bw)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_resp = np.where(resp_meas > 0, resp_int / resp_meas, np.nan)
        mean_lat = np.where(lat_n > 0, lat_sum / lat_n, np.nan)
    max_resp = np.where((cens_meas > 0) | (resp_meas == 0), np.nan, resp_max)
    figures = {"mean_system_response_s": mean_resp, "max_system_response_s": max_resp,
               "censored_request_share": cens_meas / T, "mean_data_latency_s": mean_lat,
               "images_delivered": lat_n}
    resolved = float(np.sum(weight * resp_meas) / T)
    images = float(np.sum(weight * (lat_n + lat_cens)))

    def dist(p, mean, largest):
        # The histogram reads percentiles to within a bin; the largest value is known exactly
        # (inf from the histogram when some of the mass is censored: never delivered).
        # A finite percentile lies among the resolved values, so never above their largest.
        top = p[4] if not np.isfinite(p[4]) or largest is None else largest
        q = [min(x, largest) if largest is not None and np.isfinite(x) else x for x in p[:4]]
        return {"mean": mean, "p50": q[0], "p90": q[1], "p95": q[2], "p99": q[3], "max": top}

    counted = weight > 0
    resp_top = resp_max[counted & (resp_meas > 0)]
    lat_top = lat_max[counted & (lat_n > 0)]

    summary = {
        "network": network.name,
        "stations": [s.name for s in network.stations],
        "contacts": len(contacts),
        "tail_s": float(tail_s),
        "searched_to_s": searched,
        "system_response_s": dist(pr, float(np.sum(weight * resp_int) / T / resolved) if resolved > 0
                                  else float("nan"), float(resp_top.max()) if resp_top.size else None),
        "data_latency_s": dist(pl, float(np.sum(weight * lat_sum) / np.sum(weight * lat_n))
                               if np.sum(weight * lat_n) > 0 else float("nan"),
                               float(lat_top.max()) if lat_top.size else None),
        # (exactly 1 when nothing resolved: the weights' sum may round below it)
        "censored_request_share": 1.0 if resolved <= 0 else min(1.0, float(cens_r.sum())),
        "censored_image_share": float(cens_l.sum() / images) if images > 0 else 0.0,
        "mean_system_response_map_s": weighted_mean(mean_resp, weight),
        "histogram_bin_s": bw,
        "model": MODEL_TEXT,
    }
    return Latency(figures, summary)


def delivery_verdicts(targets, figures: dict, weight: np.ndarray) -> list[dict]:
    """Delivery claims ("images on the ground within X"): met where every request's
    response is within X, i.e. each point's largest system response (censored
    points fail), as max-revisit claims are judged; the met share of the area and
    the share whose mean response meets it."""
    out = []
    w = weight / weight.sum()
    mx = figures["max_system_response_s"]
    mean = figures["mean_system_response_s"]
    for tg in targets:
        met = np.isfinite(mx) & (mx <= tg.threshold_s)
        out.append({"name": tg.name, "threshold_s": tg.threshold_s, "claim": tg.claim,
                    "share_met": float(w[met].sum()), "verdict": "met" if met.all() else "not met",
                    "share_mean_response_met": float(w[np.isfinite(mean) & (mean <= tg.threshold_s)].sum())})
    return out


__all__ = ["Contacts", "find_contacts", "contact_summary", "delivery_table", "ground_latency", "Latency",
           "station_targets", "DEFAULT_TAIL_S", "delivery_verdicts"]
