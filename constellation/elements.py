"""Checks and conversions shared by the catalog readers and writers (TLE, OMM).

Every catalogued satellite is an sgp4 ``Satrec``; these helpers say whether one
is usable (finite elements, sgp4 accepts it and can propagate it at its own
epoch, its perigee is above the Earth's surface) and convert its epoch to and
from UTC datetimes.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from sgp4.api import SGP4_ERRORS

from .constants import JD_UNIX_EPOCH, SECONDS_PER_DAY, WGS84_A_KM

# sgp4's epoch origin for sgp4init: days since 1949 December 31 00:00 UTC.
SGP4_EPOCH_0 = datetime(1949, 12, 31, tzinfo=timezone.utc)
# TLE two-digit years: 57-99 -> 1957-1999, 00-56 -> 2000-2056.
FIRST_YEAR, LAST_YEAR = 1957, 2056
# Conversions between sgp4's internal units and the catalog ones.
XPDOTP = 1440.0 / (2.0 * math.pi)  # rev/day per rad/min
NDOT_UNITS = XPDOTP * 1440.0  # MEAN_MOTION_DOT (rev/day^2) per rad/min^2
NDDOT_UNITS = XPDOTP * 1440.0 * 1440.0  # MEAN_MOTION_DDOT (rev/day^3) per rad/min^3


def sgp4_error_text(code: int) -> str:
    return {6: "decayed"}.get(int(code), SGP4_ERRORS.get(int(code), "unknown error"))


def satrec_problem(sat) -> str | None:
    """Why sgp4 cannot use ``sat`` (a one-line reason), or None when it can."""
    if sat.error:
        return f"sgp4 rejects this element set (error {sat.error}: {sgp4_error_text(sat.error)})"
    values = {"epoch": sat.jdsatepoch + sat.jdsatepochF, "inclination": sat.inclo, "RAAN": sat.nodeo,
              "eccentricity": sat.ecco, "argument of perigee": sat.argpo, "mean anomaly": sat.mo,
              "mean motion": sat.no_kozai, "bstar": sat.bstar, "mean motion derivative": sat.ndot,
              "mean motion second derivative": sat.nddot}
    for name, value in values.items():
        if not math.isfinite(value):
            return f"{name} is not a finite number"
    if not (0.0 <= sat.ecco < 1.0):
        return f"eccentricity {sat.ecco} is outside [0, 1)"
    if not (0.0 <= sat.inclo <= math.pi + 1e-12):
        return f"inclination {math.degrees(sat.inclo)} deg is outside [0, 180]"
    if not sat.no_kozai > 0:
        return "mean motion must be positive"
    err, r, v = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF)
    if err:
        return f"sgp4 cannot propagate this element set at its own epoch (error {err}: {sgp4_error_text(err)})"
    if not all(math.isfinite(x) for x in (*r, *v)):
        return "sgp4 gives a non-finite position at the element set's epoch"
    return None


# The slowest mean motion an Earth orbit is read with (rev/day): a period of 20 days, a mean
# semi-major axis of ~310,000 km, near the Moon's distance; slower is a unit mistake (rad/min).
MIN_REV_PER_DAY = 0.05


def perigee_problem(sat) -> str | None:
    """A one-line reason when the mean orbit of ``sat`` (a usable ``Satrec``) dips below
    the Earth's surface, or lies beyond the Moon (a mean motion under MIN_REV_PER_DAY,
    most likely written in another unit), or None.

    sgp4 reports a satellite decayed once its position falls below the Earth's
    (spherical) surface; an element set whose mean perigee is already below it
    is not an orbit, whatever sgp4 makes of its first position.  The surface is
    the WGS-84 equatorial radius, the reference of the altitudes catalogs report.
    """
    perigee_km = sat.a * (1.0 - sat.ecco) * sat.radiusearthkm - WGS84_A_KM
    if perigee_km < 0.0:
        return (f"perigee {-perigee_km:.1f} km below the Earth's surface (mean motion "
                f"{sat.no_kozai * XPDOTP:.8g} rev/day, eccentricity {sat.ecco:.7g}): a decayed orbit")
    rev_per_day = sat.no_kozai * XPDOTP
    if rev_per_day < MIN_REV_PER_DAY:
        return (f"mean motion {rev_per_day:.8g} rev/day is an orbit of {1.0 / rev_per_day:,.0f} days, "
                f"{sat.a * sat.radiusearthkm - WGS84_A_KM:,.0f} km up, beyond the Moon: is it in rev/day?")
    return None


def satrec_epoch(sat) -> datetime:
    """The element set's epoch as a UTC datetime (to the microsecond)."""
    whole = timedelta(days=sat.jdsatepoch - JD_UNIX_EPOCH)
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + whole + timedelta(days=sat.jdsatepochF)


def to_utc(when, what: str = "time") -> datetime:
    """``when`` (a datetime) as an aware UTC datetime: a naive one is read as UTC
    (never as the computer's local time), an aware one converted.  ``what`` names
    it in the TypeError for anything else."""
    if not isinstance(when, datetime):
        raise TypeError(f"{what} must be a datetime (UTC, or timezone-aware), not {type(when).__name__} {when!r}")
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def days_since_sgp4_epoch(epoch: datetime) -> float:
    """``epoch`` (UTC; naive is read as UTC) in days since 1949-12-31 00:00 UTC, sgp4init's epoch argument."""
    delta = to_utc(epoch, "epoch") - SGP4_EPOCH_0
    return delta.days + (delta.seconds + delta.microseconds * 1e-6) / SECONDS_PER_DAY


def format_epoch(epoch: datetime, digits: int = 6) -> str:
    """ISO 8601 UTC without a zone suffix, as CelesTrak writes OMM epochs."""
    epoch = to_utc(epoch, "epoch")
    text = epoch.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += f".{epoch.microsecond:06d}"[: digits + 1]
    return text
