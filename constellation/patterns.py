"""Constellation patterns: Walker delta/star and sun-synchronous plane sets.

Each pattern returns a list of :class:`~constellation.orbits.CircularOrbit`.
"""

from __future__ import annotations

from datetime import datetime

from .orbits import CircularOrbit, raan_from_local_time_deg, sso_inclination_deg


def walker(total: int, planes: int, phasing: int, alt_km: float, inclination_deg: float,
           epoch: datetime, raan0_deg: float = 0.0, arg_lat0_deg: float = 0.0,
           raan_spread_deg: float = 360.0) -> list[CircularOrbit]:
    """Walker pattern ``i: total/planes/phasing``.

    Planes are ``raan_spread_deg / planes`` apart in RAAN (360 for delta, 180
    for star); satellites are ``360 / (total/planes)`` apart in a plane and a
    satellite in plane p+1 leads its neighbour in plane p by
    ``phasing * 360 / total`` degrees of argument of latitude.
    """
    if total <= 0 or planes <= 0:
        raise ValueError("total and planes must be positive")
    if total % planes:
        raise ValueError(f"total ({total}) must be a multiple of planes ({planes})")
    if not (0 <= phasing < planes):
        raise ValueError(f"phasing must be in [0, planes-1], got {phasing}")
    per_plane = total // planes
    orbits = []
    for p in range(planes):
        raan = raan0_deg + p * raan_spread_deg / planes
        for k in range(per_plane):
            u = arg_lat0_deg + k * 360.0 / per_plane + p * phasing * 360.0 / total
            orbits.append(CircularOrbit(epoch, alt_km, inclination_deg, raan % 360.0, u % 360.0))
    return orbits


def walker_delta(total, planes, phasing, alt_km, inclination_deg, epoch, raan0_deg=0.0, arg_lat0_deg=0.0):
    return walker(total, planes, phasing, alt_km, inclination_deg, epoch, raan0_deg, arg_lat0_deg, 360.0)


def walker_star(total, planes, phasing, alt_km, inclination_deg, epoch, raan0_deg=0.0, arg_lat0_deg=0.0):
    return walker(total, planes, phasing, alt_km, inclination_deg, epoch, raan0_deg, arg_lat0_deg, 180.0)


def split_evenly(total: int, parts: int) -> list[int]:
    """``total`` items over ``parts`` bins, the first bins taking the remainder."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def sso_planes(alt_km: float, local_times_hours: list[float], sats_per_plane: list[int],
               epoch: datetime, node: str = "descending", phasing: float = 0.0,
               arg_lat0_deg: float = 0.0) -> list[CircularOrbit]:
    """Sun-synchronous planes at given local times of the node.

    Satellites are evenly spaced within each plane; plane j is shifted by
    ``j * phasing * 360 / total`` degrees of argument of latitude (Walker-like
    phasing for unequal planes).
    """
    if len(local_times_hours) != len(sats_per_plane):
        raise ValueError("local_times_hours and sats_per_plane must have the same length")
    inc = sso_inclination_deg(alt_km)
    total = sum(sats_per_plane)
    orbits = []
    for j, (lt, n) in enumerate(zip(local_times_hours, sats_per_plane)):
        raan = raan_from_local_time_deg(epoch, lt, node)
        for k in range(n):
            u = arg_lat0_deg + k * 360.0 / n + j * phasing * 360.0 / total
            orbits.append(CircularOrbit(epoch, alt_km, inc, raan, u % 360.0))
    return orbits
