"""Physical constants, each with its source.  Every module takes them from here.

Two Earth models live side by side, on purpose:

- **WGS-84** (NGA TR8350.2) is the Earth of the ground: grid points,
  geodetic latitude and the local horizon, altitudes reported for catalogs.
- **WGS-72** is the Earth that sgp4 flies in (Hoots & Roehrich, Spacetrack
  Report No. 3; python-sgp4's ``WGS72`` gravity model): a synthetic orbit
  built through ``sgp4init`` must use sgp4's own radius, mu and J2 so that a
  requested altitude is the altitude sgp4 actually flies.
"""

import math

# --- WGS-84 ellipsoid (NGA TR8350.2, table 3.1)
WGS84_A_KM = 6378.137                       # equatorial radius
WGS84_F = 1.0 / 298.257223563               # flattening
WGS84_B_KM = WGS84_A_KM * (1.0 - WGS84_F)   # polar radius, 6356.752314 km
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)        # first eccentricity squared

# --- WGS-72 as sgp4 uses it (sgp4.api.WGS72; Spacetrack Report No. 3)
WGS72_RADIUS_KM = 6378.135
WGS72_MU_KM3_S2 = 398600.8
WGS72_J2 = 0.001082616

# --- Earth rotation
# Rotation rate used with GMST (IAU-82) for TEME -> Earth-fixed: Vallado et al.
# 2006, "Revisiting Spacetrack Report #3", eq. for omega_earth in teme2ecef.
EARTH_ROTATION_RAD_S = 7.292115146706979e-5

# --- Time
SECONDS_PER_DAY = 86400.0
# Tropical year (days): the Sun's mean motion, which a sun-synchronous orbit's
# node must follow (360 deg per tropical year).
TROPICAL_YEAR_DAYS = 365.2421897
SSO_NODE_RATE_RAD_S = 2.0 * math.pi / (TROPICAL_YEAR_DAYS * SECONDS_PER_DAY)
# Julian date of 1970-01-01T00:00:00 UTC (the Unix epoch).
JD_UNIX_EPOCH = 2440587.5

# --- Areas
# IUGG mean radius R1 = (2a + b) / 3 of WGS-84, for areas in km^2 on the sphere.
EARTH_MEAN_RADIUS_KM = 6371.0088
