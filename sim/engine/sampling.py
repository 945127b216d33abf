"""The sample step: how finely the coverage kernel must sample so that no access
depends on the step the user asked for.

Between two samples the kernel models p . s(t) (p the ground point's unit
vector, s(t) the satellite's) by the cubic Hermite through its values and rates
at both ends (:mod:`sim.kernels.coverage`).  For a satellite whose direction
turns at the angular rate w, p . s(t) is a sum of sinusoids of frequencies up to
w, so over a step dt the cubic misses it by at most

    (w dt)^4 / 384                                    (the Hermite remainder)

and always on the low side near a pass.  Both sensor kinds decide against a
threshold of p . s: an off-nadir sensor sees a point while p . s >= cos(Lambda)
(Lambda the footprint's angular radius), a push-broom images it if
p . s >= cos(theta) as it passes abeam (theta the half-swath angle).  The
threshold's slope is sin(Lambda) per radian across the edge, so the model moves
an edge, a swath's side or the closest approach of a grazing pass inward by up
to (w dt)^4 / (384 sin Lambda) radians on the ground.  A coarse step therefore
first loses the passes that graze the footprint and the crossings near a
swath's sides, then everything: for Sentinel-2's 290 km swath the error exceeds
the margin's whole depth, 1 - cos(theta), at mid-step from about 500 s
(benchmarks/step.py).

The sample step keeps that movement within GROUND_TOLERANCE_KM / SAFETY:

    dt_geometry = (384 * sin(Lambda) * tol / SAFETY)^(1/4) / w,

    tol = GROUND_TOLERANCE_KM / R_earth,   w = n_perigee + w_earth,

with n_perigee the orbital angular rate at perigee, n (1 + e)^2 / (1 - e^2)^1.5
from the mean motion n and eccentricity e, plus the Earth's rotation (the
fastest a direction fixed to the orbit can turn in Earth-fixed axes), and
Lambda taken at perigee and for the ground point farthest from the Earth's
centre (the smallest footprint).  A sensor that images only in daylight also
interpolates sin(Sun elevation) linearly across a step; the Sun turns at
w_earth in Earth-fixed axes, so the chord is within (w_earth dt)^2 / 8 of it and
the lit boundary moves on the ground by that over cos(minimum Sun elevation):

    dt_sun = (8 cos(el_min) * tol / SAFETY)^(1/2) / w_earth.

Where the elevation limit binds, the kernel decides on its own margin: a pass
between two samples below the limit is found from the cubic Hermite of
up |up| - sin(eps) |sin(eps)| |S - P|^2 (up = n . (S - P); the sign of
sin(elevation) - sin(eps)).  Its error is not bounded by the rule above (the
margin is quadratic in the satellite's position), so for such sensors the step
is also held to ``elevation_safe_step_s``: the largest step at which the cubic
loses no pass deeper than the tolerance, measured on the exact margin of a
circular orbit's pass that peaks at the limit (its peak anywhere in the step),
the depth being the margin lost over its growth per km across the track.  At
535 km that is ~65 s at a 10 deg limit, ~70 s at 20-30 deg: a 60 s step stands.
(The cubic of sin(elevation) itself, which turns at the line of sight's rate
seen from the ground, would need 30-55 s.)

The run samples at the user's step divided into the fewest equal parts that are
each no longer than the smallest of these over the satellites (sample_step_s),
so the user's samples stay samples.  Measured against exact geometry
(benchmarks/step.py), the Hermite error reaches 0.81-0.83 of the bound.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from constellation.constants import EARTH_ROTATION_RAD_S, WGS72_RADIUS_KM, WGS84_A_KM, WGS84_B_KM
from constellation.core import Constellation
from constellation.sensor import NO_OFF_NADIR_LIMIT_DEG
from sim.engine.propagate import Window
from sim.kernels import coverage as K

# How far (km) the kernel's model of a step may move an access edge, a swath's
# side or a lit boundary on the ground, held to half of it by SAFETY: 100 m, the
# ground track's motion in ~14 ms and a tenth of sgp4's own accuracy for
# catalogued elements (~1 km at epoch).  The revisit figures tests/test_golden.py
# pins are inside it at their steps: the milestones at 60 s (4.6 m for the 45 deg
# agile sensors at 535 km, 34 m for the 150 km swath) and tests/data/tiny.toml at
# 120 s (74 m).
GROUND_TOLERANCE_KM = 0.2
# The bound is held to GROUND_TOLERANCE_KM / SAFETY (1.19x on the step).
SAFETY = 2.0
# The Hermite remainder's constant: max of s^2 (1 - s)^2 / 4! over s in [0, 1].
HERMITE_REMAINDER = 1.0 / 384.0


def _tolerance_rad() -> float:
    return GROUND_TOLERANCE_KM / WGS84_A_KM / SAFETY


def perigee_rate_rad_s(satrec) -> float:
    """The orbital angular rate at perigee (rad/s) from sgp4's mean motion and
    eccentricity: n (1 + e)^2 / (1 - e^2)^1.5."""
    n = satrec.no_kozai / 60.0
    e = min(max(float(satrec.ecco), 0.0), 0.99)
    return n * (1.0 + e) ** 2 / (1.0 - e * e) ** 1.5


def footprint_angle_rad(sensor, r_km: float) -> float:
    """The smallest angular radius (rad) of what ``sensor`` decides against, for
    a satellite at radius ``r_km``: the footprint's Earth central angle
    (off-nadir and elevation limits, for the farthest ground point from the
    Earth's centre) or the half swath; 0 when the satellite sees nothing."""
    if sensor.kind == "swath":
        return min(0.5 * math.pi, 0.5 * sensor.swath_km / WGS84_A_KM)
    eta = math.radians(NO_OFF_NADIR_LIMIT_DEG if sensor.max_off_nadir_deg is None else sensor.max_off_nadir_deg)
    eps = math.radians(sensor.min_elevation_deg)
    c, _ = K.cos_reach(r_km, WGS84_A_KM, math.cos(eta), math.sin(eta), math.cos(eps), math.sin(eps))
    return math.acos(c) if c < 1.0 else 0.0


def _grazing_margin(r_km: float, cos_gc: float, sin_eps: float, w: float, t_s: np.ndarray, R: float = WGS84_A_KM):
    """The kernel's elevation margin where both ends of a step are below the limit
    (:func:`sim.kernels.coverage.elevation_margin_sq`: up |up| - sin(eps) |sin(eps)|
    |S - P|^2, km^2) and its rate at times ``t_s`` (0: closest approach) of a
    satellite on a circular orbit of radius ``r_km`` turning at ``w`` rad/s, seen
    from a point of a sphere of radius R whose closest central angle to the track
    is acos(cos_gc)."""
    cos_g = cos_gc * np.cos(w * t_s)
    dcos_g = -cos_gc * w * np.sin(w * t_s)
    d2 = r_km * r_km + R * R - 2.0 * r_km * R * cos_g
    up = r_km * cos_g - R
    se2 = sin_eps * abs(sin_eps)
    return up * np.abs(up) - se2 * d2, 2.0 * np.abs(up) * r_km * dcos_g + se2 * 2.0 * r_km * R * dcos_g


def grazing_loss_km(r_km: float, eps_rad: float, w: float, dt_s: float, R: float = WGS84_A_KM) -> float:
    """How deep (km across the track) a pass may reach inside the elevation limit
    ``eps_rad`` and still be lost by the cubic Hermite of its margin over a step
    of ``dt_s``: the largest amount by which the cubic's peak falls short of the
    true one, for a pass whose peak is at the limit and anywhere in the step,
    over the peak margin's growth per km nearer the track."""
    c = R * math.cos(eps_rad) / r_km
    if c >= 1.0:
        return 0.0  # the satellite never rises to eps
    gc = math.acos(c) - eps_rad
    sin_eps = math.sin(eps_rad)
    s = np.linspace(0.0, 1.0, 65)
    h00, h10 = 2 * s ** 3 - 3 * s ** 2 + 1, s ** 3 - 2 * s ** 2 + s
    h01, h11 = 3 * s ** 2 - 2 * s ** 3, s ** 3 - s ** 2
    lost = 0.0
    for offset in np.linspace(0.0, 0.5, 11):  # where the peak falls in the step (symmetric beyond 0.5)
        t0 = -offset * dt_s
        ends = np.array([t0, t0 + dt_s])
        m, dm = _grazing_margin(r_km, math.cos(gc), sin_eps, w, ends, R)
        model = h00 * m[0] + h10 * dm[0] * dt_s + h01 * m[1] + h11 * dm[1] * dt_s
        lost = max(lost, -float(model.max()))  # the true peak is 0
    # The peak margin's growth as the point moves 1 km nearer the track.
    d = 1e-6
    nearer, _ = _grazing_margin(r_km, math.cos(gc - d), sin_eps, w, np.zeros(1), R)
    per_km = float(nearer[0]) / (d * R)
    return lost / per_km


@functools.lru_cache(maxsize=4096)
def elevation_safe_step_s(r_km: float, eps_rad: float, w: float) -> float:
    """The largest step (s, at least MIN_SAMPLE_STEP_S) at which
    :func:`grazing_loss_km` is within GROUND_TOLERANCE_KM / SAFETY.  The loss
    grows as the step's fourth power (the Hermite remainder), so a few scalings
    from 60 s find it (a millisecond); a bisection makes sure."""
    tol_km = GROUND_TOLERANCE_KM / SAFETY
    lo, hi = MIN_SAMPLE_STEP_S, 3600.0
    dt = 60.0
    for _ in range(3):
        loss = grazing_loss_km(r_km, eps_rad, w, dt)
        if not loss > 0.0:
            break
        dt = min(hi, max(lo, dt * (tol_km / loss) ** 0.25))
    for _ in range(10):  # the scaling lands within a fraction of a percent: step down onto the safe side
        if grazing_loss_km(r_km, eps_rad, w, dt) <= tol_km:
            if grazing_loss_km(r_km, eps_rad, w, 1.01 * dt) > tol_km:
                return dt
            break
        dt *= 0.998
    if grazing_loss_km(r_km, eps_rad, w, hi) <= tol_km:
        return hi
    if grazing_loss_km(r_km, eps_rad, w, lo) > tol_km:
        return lo
    for _ in range(40):
        mid = math.sqrt(lo * hi)
        if grazing_loss_km(r_km, eps_rad, w, mid) <= tol_km:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-3 * lo:
            break
    return lo


def elevation_binds(sensor, r_km: float) -> bool:
    """Whether ``sensor``'s elevation limit can exclude a point its off-nadir
    limit admits, for a satellite at radius ``r_km`` (with room for the tilt of
    the geodetic vertical and the Earth's flattening)."""
    if sensor.kind == "swath":
        return False
    if sensor.max_off_nadir_deg is None:
        return True
    eta = math.radians(sensor.max_off_nadir_deg)
    # A limit raised by 0.01 rad (the geodetic vertical tilts by at most 0.0034 rad from the
    # geocentric one) shrinks the elevation footprint: a limit within that of binding counts as binding.
    eps = math.radians(sensor.min_elevation_deg) + 0.01
    for radius_km in (WGS84_A_KM, WGS84_B_KM):  # the Earth's radius under the satellite lies between
        c_on, _ = K.cos_reach_off_nadir(r_km, radius_km, math.cos(eta), math.sin(eta))
        if c_on <= -2.0:
            return True  # the cone reaches past the limb
        c_el = K.cos_reach_elevation(r_km, radius_km, math.cos(eps), math.sin(eps))
        if c_el >= c_on:
            return True  # the elevation footprint is the smaller one somewhere
    return False


def elevation_binds_everywhere(cos_eta: float, sin_eta: float, cos_eps: float, sin_eps: float, r_km: float) -> bool:
    """Whether, for a satellite at radius ``r_km``, the elevation limit (cos and sin
    of eps) binds for every ground point, the off-nadir limit (of eta) for none:
    the off-nadir cone at the equator reaches past the elevation footprint at the
    pole (the kernel's own test, :func:`sim.kernels.coverage.binding_mode`)."""
    c_on, _ = K.cos_reach_off_nadir(r_km, WGS84_A_KM, cos_eta, sin_eta)
    return c_on + K.BOUND_SLACK < K.cos_reach_elevation(r_km, WGS84_B_KM, cos_eps, sin_eps)


def satellite_safe_step_s(satrec, sensor) -> float:
    """The largest sample step (s) at which the kernel's model of a step keeps
    this satellite's edges within the tolerance (see the module's docstring);
    inf when it sees nothing."""
    tol = _tolerance_rad()
    w = perigee_rate_rad_s(satrec) + EARTH_ROTATION_RAD_S
    r_perigee = float(satrec.a) * (1.0 - float(satrec.ecco)) * WGS72_RADIUS_KM
    lam = footprint_angle_rad(sensor, r_perigee)
    step = math.inf
    if lam > 0.0 and w > 0.0:
        step = (math.sin(lam) * tol / HERMITE_REMAINDER) ** 0.25 / w
    if lam > 0.0 and w > 0.0 and elevation_binds(sensor, r_perigee):
        # Radii down to 5 km and rates up to 1e-6 rad/s (each on the safe side: a lower, faster
        # orbit needs the finer step): a catalog's satellites then share a few hundred cases at most.
        step = min(step, elevation_safe_step_s(5.0 * math.floor(r_perigee / 5.0),
                                               math.radians(sensor.min_elevation_deg), math.ceil(w * 1e6) / 1e6))
    if sensor.lit_only:
        cos_el = math.cos(math.radians(sensor.min_sun_elevation_deg))
        step = min(step, math.sqrt(8.0 * cos_el * tol) / EARTH_ROTATION_RAD_S)
    return step


# The sample step is never below this: over a second the kernel's cubic model of a
# step is within 0.02 mm of the satellite's track and the chord within 1e-9 rad of
# the Sun's path, whatever the footprint (the tolerance above is relative to the
# footprint's size, so a footprint or swath of metres would otherwise ask for
# vanishing steps).
MIN_SAMPLE_STEP_S = 1.0


def safe_step_s(constellation: Constellation) -> float:
    """The largest sample step (s) safe for every satellite of ``constellation``,
    at least :data:`MIN_SAMPLE_STEP_S`."""
    # A pattern's satellites share their orbit's shape and sensor: each case is solved once.
    cases = {(float(sat.satrec.no_kozai), float(sat.satrec.ecco), float(sat.satrec.a), sensor): sat.satrec
             for sat, sensor in zip(constellation.satellites, constellation.sensors_per_satellite())}
    steps = [satellite_safe_step_s(satrec, sensor) for (_, _, _, sensor), satrec in cases.items()]
    return max(MIN_SAMPLE_STEP_S, float(min(steps))) if steps else math.inf


def sample_step_s(step_s: float, safe_s: float) -> float:
    """``step_s`` divided into the fewest equal parts no longer than ``safe_s``."""
    if not (step_s > safe_s):
        return float(step_s)
    return float(step_s) / math.ceil(step_s / safe_s - 1e-9)


def sample_window(constellation: Constellation, window: Window) -> Window:
    """The window the kernel samples: ``window`` with its step divided, when it
    is longer than :func:`safe_step_s`, so that every sample of ``window`` is
    still a sample."""
    step = sample_step_s(window.step_s, safe_step_s(constellation))
    return window if step == window.step_s else Window(window.start, window.duration_s, step)


__all__ = ["GROUND_TOLERANCE_KM", "SAFETY", "safe_step_s", "sample_step_s", "sample_window",
           "satellite_safe_step_s", "footprint_angle_rad", "perigee_rate_rad_s", "elevation_safe_step_s",
           "grazing_loss_km", "elevation_binds", "elevation_binds_everywhere"]
