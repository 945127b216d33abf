"""What flies: orbits, patterns, catalogs and scenarios (no numba, no grids)."""

from .core import Constellation, Group, Satellite
from .errors import CatalogError, InputError, ScenarioError
from .orbits import CircularOrbit, raan_from_local_time_deg, sso_inclination_deg
from .patterns import sso_planes, walker_delta, walker_star
from .sensor import Sensor
from .tle import read_tle
from .catalog import read_catalog, write_catalog

__all__ = ["Constellation", "Group", "Satellite", "CatalogError", "InputError", "ScenarioError",
           "CircularOrbit", "raan_from_local_time_deg", "sso_inclination_deg", "sso_planes",
           "walker_delta", "walker_star", "Sensor", "read_tle", "read_catalog", "write_catalog"]
