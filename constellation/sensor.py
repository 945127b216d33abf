"""What a satellite can see.  Pure data: the geometry lives in ``sim``."""

from __future__ import annotations

from dataclasses import dataclass

SENSOR_KINDS = ("off_nadir",)


@dataclass(frozen=True)
class Sensor:
    """A sensor's field of regard.

    ``off_nadir``: a ground point is accessible while the angle at the satellite
    between geocentric nadir and the point is <= ``max_off_nadir_deg`` and the
    satellite is at least ``min_elevation_deg`` above the point's horizon
    (geodetic up, WGS-84).
    """

    kind: str = "off_nadir"
    max_off_nadir_deg: float = 45.0
    min_elevation_deg: float = 0.0

    def __post_init__(self):
        if self.kind not in SENSOR_KINDS:
            raise ValueError(f"unknown sensor kind {self.kind!r}; expected one of {', '.join(SENSOR_KINDS)}")
        if not (0.0 < self.max_off_nadir_deg <= 90.0):
            raise ValueError(f"max_off_nadir_deg must be in (0, 90], got {self.max_off_nadir_deg}")
        if not (0.0 <= self.min_elevation_deg < 90.0):
            raise ValueError(f"min_elevation_deg must be in [0, 90), got {self.min_elevation_deg}")

    def describe(self) -> str:
        text = f"off-nadir <= {self.max_off_nadir_deg:g} deg"
        if self.min_elevation_deg > 0:
            text += f", elevation >= {self.min_elevation_deg:g} deg"
        return text
