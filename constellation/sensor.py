"""What a satellite can see.  Pure data: the geometry lives in ``sim``."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

SENSOR_KINDS = ("off_nadir", "swath")


@dataclass(frozen=True)
class Sensor:
    """A sensor's field of regard, and when it may image.

    ``off_nadir`` (an agile imager, or a wide field of regard): a ground point
    is accessible while the angle at the satellite between geocentric nadir and
    the point is <= ``max_off_nadir_deg`` and the satellite is at least
    ``min_elevation_deg`` above the point's horizon.

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
    max_off_nadir_deg: float = 45.0
    min_elevation_deg: float = 0.0
    swath_km: float | None = None
    min_sun_elevation_deg: float | None = None

    def __post_init__(self):
        if self.kind not in SENSOR_KINDS:
            raise ValueError(f"unknown sensor kind {self.kind!r}; expected one of {', '.join(SENSOR_KINDS)}")
        if not (0.0 < self.max_off_nadir_deg <= 90.0):
            raise ValueError(f"max_off_nadir_deg must be in (0, 90], got {self.max_off_nadir_deg}")
        if not (0.0 <= self.min_elevation_deg < 90.0):
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

    def describe(self) -> str:
        if self.kind == "swath":
            text = f"nadir swath {self.swath_km:g} km"
        else:
            text = f"off-nadir <= {self.max_off_nadir_deg:g} deg"
            if self.min_elevation_deg > 0:
                text += f", elevation >= {self.min_elevation_deg:g} deg"
        if self.lit_only:
            text += f", Sun >= {self.min_sun_elevation_deg:g} deg"
        return text


def override_sensor(sensor: Sensor, off_nadir_deg: float | None = None, min_elevation_deg: float | None = None,
                    swath_km: float | None = None, min_sun_elevation_deg: float | None = None,
                    day_and_night: bool = False) -> Sensor:
    """``sensor`` with these values replaced (None: keep): ``off_nadir_deg``
    makes it an agile imager reaching that far, ``swath_km`` a nadir
    push-broom of that width; ``min_sun_elevation_deg`` sets a lighting
    constraint and ``day_and_night`` removes it."""
    if off_nadir_deg is not None and swath_km is not None:
        raise ValueError("give an off-nadir limit (an agile sensor) or a swath (a push-broom), not both")
    if min_sun_elevation_deg is not None and day_and_night:
        raise ValueError("give a minimum Sun elevation or day and night, not both")
    if swath_km is not None:
        # A push-broom has no off-nadir or elevation limit: its swath alone says what it images.
        sensor = Sensor(kind="swath", swath_km=float(swath_km), min_sun_elevation_deg=sensor.min_sun_elevation_deg)
    changes: dict = {}
    if off_nadir_deg is not None:
        changes.update(kind="off_nadir", swath_km=None, max_off_nadir_deg=float(off_nadir_deg))
    if min_elevation_deg is not None:
        changes["min_elevation_deg"] = float(min_elevation_deg)
    if min_sun_elevation_deg is not None:
        changes["min_sun_elevation_deg"] = float(min_sun_elevation_deg)
    if day_and_night:
        changes["min_sun_elevation_deg"] = None
    return dataclasses.replace(sensor, **changes) if changes else sensor
