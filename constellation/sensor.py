"""What a satellite can see.  Pure data, and the closed-form geometry that says
which of a sensor's limits binds; the access computation lives in ``sim``."""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

from .constants import WGS84_A_KM, WGS84_B_KM

SENSOR_KINDS = ("off_nadir", "swath")
# The off-nadir limit the kernels take for a sensor without one: a 90 deg cone reaches
# past the limb from any satellite above the ground point (r sin(90 deg) / R > 1), where
# sim.kernels.coverage.cos_reach applies the elevation limit alone.
NO_OFF_NADIR_LIMIT_DEG = 90.0
# How a scenario file, a sweep table or the command line says "no off-nadir limit".
NO_LIMIT = "none"


@dataclass(frozen=True)
class Sensor:
    """A sensor's field of regard, and when it may image.

    ``off_nadir`` (an agile imager, or a wide field of regard): a ground point
    is accessible while the angle at the satellite between geocentric nadir and
    the point is <= ``max_off_nadir_deg`` and the satellite is at least
    ``min_elevation_deg`` above the point's horizon.  ``max_off_nadir_deg``
    None (or "none") sets no off-nadir limit: the elevation limit alone says
    what is seen (a ground station's mask, or a sensor that can point anywhere).

    ``swath`` (a fixed nadir push-broom ``swath_km`` wide): a ground point is
    imaged at the instant the satellite passes abeam of it (the point crosses
    the plane through the satellite perpendicular to its ground track) if its
    cross-track distance from the ground track is <= ``swath_km / 2``.  Each
    such access lasts an instant: revisit times are exact, coverage time is 0.

    ``min_sun_elevation_deg`` (optional, any kind): the point is accessible
    only while the Sun stands at least this high above its horizon (geodetic
    up); None images day and night.
    """

    kind: str = "off_nadir"
    max_off_nadir_deg: float | None = 45.0
    min_elevation_deg: float = 0.0
    swath_km: float | None = None
    min_sun_elevation_deg: float | None = None

    def __post_init__(self):
        if self.kind not in SENSOR_KINDS:
            raise ValueError(f"unknown sensor kind {self.kind!r}; expected one of {', '.join(SENSOR_KINDS)}")
        eta = self.max_off_nadir_deg
        if isinstance(eta, str) and eta.strip().lower() == NO_LIMIT:
            object.__setattr__(self, "max_off_nadir_deg", None)
        elif eta is not None and (isinstance(eta, bool) or not (isinstance(eta, numbers.Real) and 0.0 < eta <= 90.0)):
            raise ValueError(f"max_off_nadir_deg must be in (0, 90] or \"none\", got {eta!r}")
        for name in ("min_elevation_deg", "swath_km", "min_sun_elevation_deg"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
                raise TypeError(f"{name} must be a number, not {value!r}")
        if self.min_elevation_deg is None or not (0.0 <= self.min_elevation_deg < 90.0):
            raise ValueError(f"min_elevation_deg must be in [0, 90), got {self.min_elevation_deg}")
        if self.kind == "swath":
            if self.swath_km is None or not (0.0 < self.swath_km <= 5000.0) or math.isnan(self.swath_km):
                raise ValueError(f"a swath sensor needs swath_km in (0, 5000] km, got {self.swath_km}")
        elif self.swath_km is not None:
            raise ValueError("swath_km belongs to kind = \"swath\" sensors")
        sun = self.min_sun_elevation_deg
        if sun is not None and not (-90.0 <= sun < 90.0):
            raise ValueError(f"min_sun_elevation_deg must be in [-90, 90), got {sun}")

    @property
    def lit_only(self) -> bool:
        return self.min_sun_elevation_deg is not None

    def binding_limit(self, radius_km: tuple[float, float]) -> str | None:
        """Which limit bounds what an ``off_nadir`` sensor sees from every satellite
        radius in ``radius_km`` (smallest, largest; km from the Earth's centre) over
        every ground point: "off_nadir" when the off-nadir cone's edge stays above
        the minimum elevation (:func:`edge_elevation_range_deg`), "elevation" when
        it stays below it (or there is no off-nadir limit), None when each binds
        somewhere (or the sensor is a swath)."""
        if self.kind != "off_nadir":
            return None
        if self.max_off_nadir_deg is None:
            return "elevation"
        low, high = edge_elevation_range_deg(self.max_off_nadir_deg, *radius_km)
        if low > self.min_elevation_deg:
            return "off_nadir"
        if high < self.min_elevation_deg:
            return "elevation"
        return None

    def describe(self, radius_km: tuple[float, float] | None = None) -> str:
        """'off-nadir <= 45 deg', 'elevation >= 25 deg', 'nadir swath 17 km', with
        ', Sun >= 10 deg' for a lit-only sensor.  With both an off-nadir and an
        elevation limit and the satellites' ``radius_km`` (smallest, largest), the
        one that binds at every radius is marked '(binds)'."""
        if self.kind == "swath":
            text = f"nadir swath {self.swath_km:g} km"
        elif self.max_off_nadir_deg is None:
            text = f"elevation >= {self.min_elevation_deg:g} deg"
        else:
            binds = self.binding_limit(radius_km) if radius_km and self.min_elevation_deg > 0 else None
            text = f"off-nadir <= {self.max_off_nadir_deg:g} deg" + (" (binds)" if binds == "off_nadir" else "")
            if self.min_elevation_deg > 0:
                text += f", elevation >= {self.min_elevation_deg:g} deg" + (" (binds)" if binds == "elevation"
                                                                             else "")
        if self.lit_only:
            text += f", Sun >= {self.min_sun_elevation_deg:g} deg"
        return text


def edge_elevation_deg(off_nadir_deg: float, sat_radius_km: float, point_radius_km: float) -> float:
    """Elevation (deg) of a satellite at ``sat_radius_km`` seen from a ground point
    at ``point_radius_km`` (both from the Earth's centre) on the edge of the
    satellite's ``off_nadir_deg`` cone: cos(elevation) = (r / R) sin(off-nadir),
    the elevation above the plane normal to the point's geocentric radius (the
    horizon the coverage kernel uses).  0 when the cone reaches past the limb."""
    x = sat_radius_km * math.sin(math.radians(off_nadir_deg)) / point_radius_km
    return 0.0 if x >= 1.0 else math.degrees(math.acos(x))


def edge_elevation_range_deg(off_nadir_deg: float, r_min_km: float, r_max_km: float) -> tuple[float, float]:
    """Lowest and highest :func:`edge_elevation_deg` for satellite radii in
    [r_min_km, r_max_km] and ground points anywhere on the WGS-84 ellipsoid: the
    edge is lowest from the highest satellite over the poles (polar radius),
    highest from the lowest one over the equator."""
    return (edge_elevation_deg(off_nadir_deg, r_max_km, WGS84_B_KM),
            edge_elevation_deg(off_nadir_deg, r_min_km, WGS84_A_KM))


def override_sensor(sensor: Sensor, off_nadir_deg: float | None = None, min_elevation_deg: float | None = None,
                    swath_km: float | None = None, min_sun_elevation_deg: float | None = None,
                    day_and_night: bool = False) -> Sensor:
    """``sensor`` with these values replaced (None: keep): ``off_nadir_deg``
    makes it an agile imager reaching that far ("none": with no off-nadir
    limit, the elevation limit alone), ``swath_km`` a nadir push-broom of
    that width; ``min_sun_elevation_deg`` sets a lighting constraint and
    ``day_and_night`` removes it."""
    if off_nadir_deg is not None and swath_km is not None:
        raise ValueError("give an off-nadir limit (an agile sensor) or a swath (a push-broom), not both")
    if min_sun_elevation_deg is not None and day_and_night:
        raise ValueError("give a minimum Sun elevation or day and night, not both")
    if swath_km is not None:
        # A push-broom has no off-nadir or elevation limit: its swath alone says what it images.
        sensor = Sensor(kind="swath", swath_km=float(swath_km), min_sun_elevation_deg=sensor.min_sun_elevation_deg)
    changes: dict = {}
    if off_nadir_deg is not None:
        changes.update(kind="off_nadir", swath_km=None, max_off_nadir_deg=off_nadir_limit(off_nadir_deg))
    if min_elevation_deg is not None:
        changes["min_elevation_deg"] = float(min_elevation_deg)
    if min_sun_elevation_deg is not None:
        changes["min_sun_elevation_deg"] = float(min_sun_elevation_deg)
    if day_and_night:
        changes["min_sun_elevation_deg"] = None
    return dataclasses.replace(sensor, **changes) if changes else sensor


def off_nadir_limit(value) -> float | None:
    """An off-nadir limit as a user gives it: degrees, or "none" (no limit) -> None."""
    if isinstance(value, str) and value.strip().lower() == NO_LIMIT:
        return None
    if isinstance(value, bool):
        raise ValueError(f"an off-nadir limit is a number of degrees or \"none\", not {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"an off-nadir limit is a number of degrees or \"none\", not {value!r}")
