"""WGS-84 geodesy: geodetic <-> Earth-fixed coordinates, and the global grid's shape."""

from __future__ import annotations

import numpy as np

from constellation.constants import WGS84_A_KM, WGS84_E2, WGS84_F


def global_shape(res_deg: float) -> tuple[int, int]:
    """(rows, columns) of the global regular grid at ``res_deg``: round(180/res)
    latitude rows and round(360/res) longitude columns, at least one of each."""
    return max(1, int(round(180.0 / res_deg))), max(1, int(round(360.0 / res_deg)))


def geodetic_to_ecef(lat_deg, lon_deg, h_km=0.0):
    """WGS-84 geodetic latitude/longitude (deg) and height (km) to Earth-fixed xyz (km)
    and the geodetic up unit vector."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sl * sl)
    xyz = np.stack([(n + h_km) * cl * co, (n + h_km) * cl * so, (n * (1 - WGS84_E2) + h_km) * sl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return xyz, up


def ecef_to_geodetic(xyz):
    """Earth-fixed xyz (km, shape (..., 3)) to WGS-84 geodetic latitude and longitude
    (deg, longitude in [-180, 180]) and height (km): Bowring's formula, refined by
    three fixed-point steps (sub-millimetre from the surface to GEO)."""
    xyz = np.asarray(xyz, dtype=float)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    p = np.hypot(x, y)
    b = WGS84_A_KM * (1.0 - WGS84_F)
    ep2 = WGS84_E2 / (1.0 - WGS84_E2)
    theta = np.arctan2(z * WGS84_A_KM, p * b)
    lat = np.arctan2(z + ep2 * b * np.sin(theta) ** 3, p - WGS84_E2 * WGS84_A_KM * np.cos(theta) ** 3)
    for _ in range(3):
        n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
        h = np.where(np.abs(np.cos(lat)) > 1e-9, p / np.maximum(np.cos(lat), 1e-300) - n,
                     np.abs(z) - n * (1.0 - WGS84_E2))
        lat = np.arctan2(z, p * (1.0 - WGS84_E2 * n / (n + h)))
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
    h = np.where(np.abs(np.cos(lat)) > 1e-9, p / np.maximum(np.cos(lat), 1e-300) - n,
                 np.abs(z) - n * (1.0 - WGS84_E2))
    return np.degrees(lat), np.degrees(np.arctan2(y, x)), h
