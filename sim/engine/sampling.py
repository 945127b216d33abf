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

The run samples at the user's step divided into the fewest equal parts that are
each no longer than the smallest of these over the satellites (sample_step_s),
so the user's samples stay samples.  Measured against exact geometry
(benchmarks/step.py), the Hermite error reaches 0.81-0.83 of the bound.
"""

from __future__ import annotations

import math

from constellation.constants import EARTH_ROTATION_RAD_S, WGS72_RADIUS_KM, WGS84_A_KM
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
    steps = [satellite_safe_step_s(sat.satrec, sensor)
             for sat, sensor in zip(constellation.satellites, constellation.sensors_per_satellite())]
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
           "satellite_safe_step_s", "footprint_angle_rad", "perigee_rate_rad_s"]
