"""What flies: satellites (each an sgp4 ``Satrec``) in groups that share a sensor."""

from __future__ import annotations

import copyreg
import math
from dataclasses import dataclass, field

from sgp4.api import WGS72, Satrec

from .orbits import CircularOrbit
from .sensor import Sensor, override_sensor


# Attributes sgp4init does not set, copied as they are.
_SATREC_LABELS = ("jdsatepoch", "jdsatepochF", "classification", "intldesg", "ephtype", "elnum", "revnum")


def _satrec_from_elements(opsmode, satnum, epoch, elements, labels):
    sat = Satrec()
    sat.sgp4init(WGS72, opsmode, satnum, epoch, *elements)
    for name, value in labels.items():
        try:
            setattr(sat, name, value)
        except (AttributeError, TypeError):
            pass
    return sat


def _reduce_satrec(sat: Satrec):
    """Pickle a Satrec (sgp4's type does not) as its mean elements: sgp4init with
    the same elements and epoch rebuilds it exactly (every attribute, every
    propagated bit), so constellations travel to Dask workers."""
    epoch = (sat.jdsatepoch - 2433281.5) + sat.jdsatepochF
    elements = (sat.bstar, sat.ndot, sat.nddot, sat.ecco, sat.argpo, sat.inclo, sat.mo, sat.no_kozai, sat.nodeo)
    labels = {name: getattr(sat, name) for name in _SATREC_LABELS if hasattr(sat, name)}
    return _satrec_from_elements, (sat.operationmode, sat.satnum, epoch, elements, labels)


copyreg.pickle(Satrec, _reduce_satrec)


@dataclass
class Satellite:
    name: str
    satrec: Satrec
    group: str = "all"


@dataclass
class Group:
    """Satellites that share one sensor (a shell, a sub-series, a launch batch)."""

    name: str
    satellites: list[Satellite]
    sensor: Sensor = field(default_factory=Sensor)

    def radius_range_km(self) -> tuple[float, float] | None:
        """Smallest perigee and largest apogee radius (km from the Earth's centre)
        of the group's mean orbits (sgp4's elements); None for an empty group."""
        if not self.satellites:
            return None
        a_km = [(s.satrec.a * s.satrec.radiusearthkm, s.satrec.ecco) for s in self.satellites]
        return min(a * (1.0 - e) for a, e in a_km), max(a * (1.0 + e) for a, e in a_km)

    def describe_sensor(self) -> str:
        """The sensor's :meth:`Sensor.describe` at the group's altitudes (which limit binds)."""
        return self.sensor.describe(self.radius_range_km())


@dataclass
class Constellation:
    name: str
    groups: list[Group]

    @property
    def satellites(self) -> list[Satellite]:
        return [s for g in self.groups for s in g.satellites]

    def __len__(self) -> int:
        return sum(len(g.satellites) for g in self.groups)

    def sensors_per_satellite(self) -> list[Sensor]:
        return [g.sensor for g in self.groups for _ in g.satellites]

    def shortest_period_s(self) -> float | None:
        """The shortest orbital period (s) among the satellites (sgp4's mean motion);
        None without satellites."""
        rates = [s.satrec.no_kozai for s in self.satellites if s.satrec.no_kozai > 0.0]  # rad/min
        return 2.0 * math.pi / max(rates) * 60.0 if rates else None

    @classmethod
    def from_orbits(cls, name: str, orbits: list[CircularOrbit], sensor: Sensor | None = None,
                    group: str = "all", first_satnum: int = 90000) -> "Constellation":
        sats = [Satellite(f"{group}-{i + 1:03d}", o.to_satrec(first_satnum + i), group)
                for i, o in enumerate(orbits)]
        return cls(name, [Group(group, sats, sensor or Sensor())])

    def with_sensor(self, sensor: Sensor) -> "Constellation":
        """The same satellites, every group given ``sensor``."""
        return Constellation(self.name, [Group(g.name, g.satellites, sensor) for g in self.groups])

    def with_sensor_changes(self, **changes) -> "Constellation":
        """The same satellites, every group's sensor changed by
        :func:`constellation.sensor.override_sensor` (``off_nadir_deg``,
        ``min_elevation_deg``, ``swath_km``, ``min_sun_elevation_deg``,
        ``day_and_night``)."""
        return Constellation(self.name, [Group(g.name, g.satellites, override_sensor(g.sensor, **changes))
                                         for g in self.groups])
