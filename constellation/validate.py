"""Plausibility checks on what a user typed that single values cannot catch alone.

- A sensor pointing further off nadir than the Earth's limb: past
  asin(R / r) the line of sight misses the Earth, so such an angle is a typo
  (or a misunderstanding: limit by elevation with ``min_elevation_deg``).
- A limit given alone that changes nothing: the sensor's other limit (an
  off-nadir angle or a minimum elevation) binds instead at every altitude
  of a group (:func:`unused_limit_warnings`, a warning, not an error).
- A window far from the element sets' epochs: sgp4 propagates any date, but
  a catalog's positions are meaningless months, let alone decades, away.

Pure geometry on sgp4 ``Satrec`` attributes; no numba.  Problems raise
:class:`InputError` with a one-line message.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from .constants import SECONDS_PER_DAY, WGS84_A_KM
from .core import Constellation
from .elements import satrec_epoch
from .errors import InputError
from .sensor import edge_elevation_range_deg

# A window that starts more than this after the newest epoch of a catalog, or
# ends more than this before its oldest one, is refused.
MAX_DAYS_FROM_EPOCH = 365.0


def horizon_off_nadir_deg(radius_km: float) -> float:
    """Off-nadir angle (deg) of the Earth's limb seen from ``radius_km`` from the
    Earth's centre: asin(R_eq / r).  Beyond it the line of sight misses the Earth."""
    if not (radius_km > WGS84_A_KM):
        raise ValueError(f"radius {radius_km} km is not above the Earth's surface")
    return math.degrees(math.asin(WGS84_A_KM / radius_km))


def check_off_nadir(max_off_nadir_deg: float | None, alt_km: float) -> str | None:
    """A one-line problem when ``max_off_nadir_deg`` looks past the limb from a
    circular orbit at ``alt_km`` (above the equatorial radius); None if fine
    (and for None: no off-nadir limit)."""
    if max_off_nadir_deg is None:
        return None
    limb = horizon_off_nadir_deg(WGS84_A_KM + alt_km)
    if max_off_nadir_deg > limb:
        return (f"{max_off_nadir_deg:g} deg off nadir is beyond the Earth's limb, which is {limb:.1f} deg off "
                f"nadir at {alt_km:g} km: the line of sight misses the Earth (use at most {limb:.1f} deg, "
                f"and min_elevation_deg to limit by elevation)")
    return None


def check_swath(swath_km: float | None, alt_km: float) -> str | None:
    """A one-line problem when a nadir swath ``swath_km`` wide reaches past the
    horizon of a circular orbit at ``alt_km``; None if fine (and for None)."""
    if swath_km is None:
        return None
    widest = horizon_swath_km(WGS84_A_KM + alt_km)
    if swath_km > widest:
        return (f"a {swath_km:g} km swath reaches past the horizon, which is {widest:.0f} km wide (limb to limb) "
                f"at {alt_km:g} km: points beyond it cannot be imaged (use at most {widest:.0f} km)")
    return None


def horizon_swath_km(radius_km: float) -> float:
    """Ground width (km, along the equatorial radius's great circle) from limb to
    limb seen from ``radius_km`` from the Earth's centre: 2 R acos(R / r)."""
    if not (radius_km > WGS84_A_KM):
        raise ValueError(f"radius {radius_km} km is not above the Earth's surface")
    return 2.0 * WGS84_A_KM * math.acos(WGS84_A_KM / radius_km)


def perigee_radius_km(satrec) -> float:
    """Smallest distance (km) from the Earth's centre along an sgp4 ``Satrec``'s mean orbit."""
    return satrec.a * (1.0 - satrec.ecco) * satrec.radiusearthkm


def check_sensor_reach(constellation: Constellation, option: str = "--off-nadir", swath_only: bool = False) -> None:
    """Refuse a group whose off-nadir limit is beyond the limb for all its
    satellites, or whose nadir swath is wider than the horizon of any of them.
    ``swath_only``: only the swath, which past the horizon would image points
    below it (a cone past the limb only stops binding: the horizon limits what
    it sees).

    Both tests use each group's lowest perigee, where the limb is furthest from
    nadir and the horizon nearest: a mixed catalog (LEO and higher) is refused
    for a cone only when no satellite of the group can use it, and for a swath
    when one would image below its horizon.  ``option`` names what set the sensor.
    """
    for g in constellation.groups:
        if not g.satellites:
            continue
        r = min(perigee_radius_km(s.satrec) for s in g.satellites)
        if r <= WGS84_A_KM:
            continue  # below the surface: sgp4 reports the satellite as decayed
        if g.sensor.kind == "swath":
            widest = horizon_swath_km(r)
            if g.sensor.swath_km > widest:
                # Refused when any satellite of the group would image below its horizon (the lowest first).
                who = "its satellite" if len(g.satellites) == 1 else "its lowest satellite"
                raise InputError(f"a {g.sensor.swath_km:g} km swath reaches past the horizon in group {g.name!r} "
                                 f"({who}, at {r - WGS84_A_KM:.0f} km, sees {widest:.0f} km from limb to limb): "
                                 f"use at most {widest:.0f} km", field=option)
            continue
        if swath_only or g.sensor.kind != "off_nadir" or g.sensor.max_off_nadir_deg is None:
            continue
        limb = horizon_off_nadir_deg(r)
        eta = g.sensor.max_off_nadir_deg
        if eta > limb:
            lowest = "" if len(g.satellites) == 1 else "the lowest satellite of "
            raise InputError(f"{eta:g} deg off nadir is beyond the Earth's limb for every satellite of group "
                             f"{g.name!r} ({lowest}it, at {r - WGS84_A_KM:.0f} km, sees the limb "
                             f"{limb:.1f} deg off nadir): use at most {limb:.1f} deg", field=option)


def _altitudes(radius_km: tuple[float, float]) -> str:
    lo, hi = (r - WGS84_A_KM for r in radius_km)
    return f"{lo:.0f} km" if round(lo) == round(hi) else f"{lo:.0f}-{hi:.0f} km"


def unused_limit_warnings(constellation: Constellation, given: str) -> list[str]:
    """One line per off-nadir group whose other limit binds instead of the one
    just ``given`` ("min_elevation" or "off_nadir"), at every altitude of the
    group (perigee to apogee) over every ground point, so that the given value
    changes nothing (:meth:`constellation.sensor.Sensor.binding_limit`); each
    names both limits and how to lift the binding one."""
    out = []
    for g in constellation.groups:
        s, radius = g.sensor, g.radius_range_km()
        if radius is None or s.kind != "off_nadir" or s.max_off_nadir_deg is None or radius[0] <= WGS84_A_KM:
            continue
        binds = s.binding_limit(radius)
        low, high = edge_elevation_range_deg(s.max_off_nadir_deg, *radius)
        edge = f"{low:.1f} deg" if round(low, 1) == round(high, 1) else f"{low:.1f}-{high:.1f} deg"
        where = f"group {g.name!r} ({_altitudes(radius)})"
        if given == "min_elevation" and binds == "off_nadir":
            out.append(f"{where}: the minimum elevation of {s.min_elevation_deg:g} deg changes nothing: the "
                       f"{s.max_off_nadir_deg:g} deg off-nadir limit binds instead (at its edge the satellite is "
                       f"{edge} above the horizon); for the elevation limit alone, lift it: --off-nadir none "
                       f"(off_nadir_deg=\"none\")")
        elif given == "off_nadir" and binds == "elevation":
            out.append(f"{where}: the {s.max_off_nadir_deg:g} deg off-nadir limit changes nothing: the minimum "
                       f"elevation of {s.min_elevation_deg:g} deg binds instead (at the off-nadir edge the "
                       f"satellite is {edge} above the horizon); for the off-nadir limit alone, lift it: "
                       f"--min-elevation 0 (min_elevation_deg=0)")
    return out


def epoch_range_utc(constellation: Constellation) -> tuple[datetime, datetime]:
    """Oldest and newest element-set epochs of the constellation (UTC)."""
    epochs = [satrec_epoch(s.satrec) for s in constellation.satellites]
    return min(epochs), max(epochs)


def check_window_near_epochs(constellation: Constellation, start: datetime, duration_s: float,
                             max_days: float = MAX_DAYS_FROM_EPOCH, option: str = "--start") -> None:
    """Refuse a window that reaches more than ``max_days`` past the newest element
    set's epoch or before the oldest one's (its end and its start: every
    instant of it is propagated)."""
    if not constellation.satellites:
        return
    oldest, newest = epoch_range_utc(constellation)
    end = start + timedelta(seconds=duration_s)
    late = (end - newest).total_seconds() / SECONDS_PER_DAY
    early = (oldest - start).total_seconds() / SECONDS_PER_DAY
    if late > max_days or early > max_days:
        days = late if late > max_days else early
        side = "after the newest" if late > max_days else "before the oldest"
        raise InputError(f"the window ({start:%Y-%m-%d} + {duration_s / SECONDS_PER_DAY:g} d) reaches {days:.0f} days "
                         f"{side} element-set epoch ({newest if late > max_days else oldest:%Y-%m-%d}); sgp4 positions "
                         f"that far from the epoch are meaningless (limit {max_days:g} days): use a catalog from "
                         f"the window's time or a start near its epochs", field=option)
