"""Scenario files (TOML): a constellation, a sensor per group, a window, a grid, claims.

Every problem names the file and the key (``group[2].sensor.max_off_nadir_deg``)
in one line.  The schema is documented in ``seeds/README.md``.  A scenario file
holds at most ``MAX_TOML_BYTES`` (16 MiB) and describes at most
:data:`MAX_SATELLITES` satellites.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path

from .constants import SECONDS_PER_DAY
from .core import Constellation, Group, Satellite
from .errors import ScenarioError
from .files import MAX_TOML_BYTES, read_limited
from .ground import GroundNetwork, StationError, load_network
from .orbits import sso_inclination_deg
from .patterns import split_evenly, sso_planes, walker
from .sensor import NO_LIMIT, SENSOR_KINDS, Sensor
from .validate import check_off_nadir, check_swath

NUMBER = (int, float)
# [grid] kind: a regular latitude/longitude grid or an equal-area one (sim.engine.grid.Grid.build).
GRID_KINDS = ("regular", "equal-area")
# The most satellites a scenario describes (all groups together), checked before
# any is built: each costs ~1.4 KB and ~22 us to build (sgp4 initialisation
# included) and is then propagated at every time step, so 100,000 (ten times the
# largest constellation flying) take seconds to build and hundreds of millions
# of sgp4 calls for one day at 60 s steps; ten million took 29 s and 2.3 GB
# before any coverage work started.
MAX_SATELLITES = 100_000


@dataclass
class TargetSpec:
    name: str
    threshold_s: float
    claim: str = ""


@dataclass
class CapacitySpec:
    """[capacity]: a daily target-imaging claim and the assumptions to test it with
    (read by ``revisit run`` and ``revisit targets``; see sim/studies/capacity.py)."""

    claim: str
    targets_per_day: float
    random_targets: int = 1000
    seed: int = 0
    lat_min_deg: float = -90.0
    lat_max_deg: float = 90.0
    days: float = 1.0
    dwell_s: float = 10.0
    slew_deg_s: float = 1.5
    settle_s: float = 5.0
    max_off_nadir_deg: float | None = None
    min_sun_elevation_deg: float | None = None


@dataclass
class SurveySpec:
    """[survey]: an area-survey claim ("a survey of REGION within DAYS") and the
    sensors to test it with (read by ``revisit run`` and ``revisit survey``; see
    sim/studies/survey.py).  ``swath_km``: group name -> nadir swath (km); groups not
    named take no part.  None: the groups' own sensors."""

    claim: str
    region: str = "china"
    days: float = 31.0
    grid_res_deg: float = 0.5
    step_s: float = 60.0
    required_share: float = 1.0
    min_sun_elevation_deg: float | None = None
    swath_km: dict | None = None


@dataclass
class Scenario:
    name: str
    title: str
    source: str
    claim: str
    constellation: Constellation
    start: datetime
    duration_s: float
    step_s: float
    grid_res_deg: float = 1.0
    lat_min_deg: float = -90.0
    lat_max_deg: float = 90.0
    targets: list[TargetSpec] = field(default_factory=list)
    path: str | None = None
    capacity: CapacitySpec | None = None
    survey: SurveySpec | None = None
    grid_kind: str = "regular"
    # [ground]: the stations images come down at (data latency, system response time).
    ground: GroundNetwork | None = None
    # [[target]] tables stating max_delivery_*: "images on the ground within X" claims.
    delivery_targets: list[TargetSpec] = field(default_factory=list)


class _Table:
    """A TOML table that remembers which keys were read, to report unknown ones."""

    def __init__(self, data: dict, path: str, where: str):
        if not isinstance(data, dict):
            raise ScenarioError(f"expected a table, got {type(data).__name__}", path, field=where or "<top>")
        self.data = data
        self.path = path
        self.where = where
        self.used: set[str] = set()

    def key(self, k: str) -> str:
        return f"{self.where}.{k}" if self.where else k

    def get(self, k, types, default=..., check=None, what=""):
        self.used.add(k)
        if k not in self.data:
            if default is ...:
                near = difflib.get_close_matches(k, [x for x in self.data if x not in self.used], n=1)
                hint = f" (is {self.key(near[0])!r} a misspelling of it?)" if near else ""
                raise ScenarioError("missing required key" + hint, self.path, field=self.key(k))
            return default
        v = self.data[k]
        if isinstance(v, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise ScenarioError(f"expected {what or _names(types)}, got a boolean", self.path, field=self.key(k))
        if not isinstance(v, types):
            raise ScenarioError(f"expected {what or _names(types)}, got {type(v).__name__} {v!r}", self.path,
                                field=self.key(k))
        if check is not None:
            problem = check(v)
            if problem:
                raise ScenarioError(problem, self.path, field=self.key(k))
        return v

    def sub(self, k, default=...):
        self.used.add(k)
        if k not in self.data:
            if default is ...:
                raise ScenarioError("missing required table", self.path, field=self.key(k))
            return None
        return _Table(self.data[k], self.path, self.key(k))

    def finish(self):
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            raise ScenarioError(f"unknown key (known here: {', '.join(sorted(self.used))})", self.path,
                                field=self.key(unknown[0]))


def _names(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    names = {int: "a number" if float in types else "an integer", float: "a number", str: "a string",
             list: "a list", bool: "true or false", datetime: "a date-time", dict: "a table"}
    return " or ".join(dict.fromkeys(names.get(t, t.__name__) for t in types))


def _positive(v):
    return None if v > 0 and math.isfinite(v) else f"must be positive, got {v}"


def _range(lo, hi, incl_lo=True, incl_hi=True):
    def check(v):
        ok_lo = v >= lo if incl_lo else v > lo
        ok_hi = v <= hi if incl_hi else v < hi
        if not (ok_lo and ok_hi and math.isfinite(v)):
            return f"must be in {'[' if incl_lo else '('}{lo}, {hi}{']' if incl_hi else ')'}, got {v}"
        return None
    return check


def _finite(v):
    return None if math.isfinite(v) else f"must be a finite number, got {v}"


def _one_of(known, what):
    def check(v):
        return None if v in known else f"unknown {what} {v!r} (known: {', '.join(known)})"
    return check


def _alt_check(v):
    if not (150 <= v <= 50000):
        return f"must be between 150 and 50000 km, got {v}"
    return None


def _read_ground(tab: _Table) -> GroundNetwork:
    """[ground]: ``network`` (a built-in name or a station file) or ``file`` (a
    station file), relative to the scenario's folder."""
    given = [k for k in ("network", "file") if k in tab.data]
    if len(given) != 1:
        raise ScenarioError("give network (a built-in network or a station file) or file, one of them",
                            tab.path, field=tab.key("network"))
    key = given[0]
    value = tab.get(key, str)
    tab.finish()
    try:
        return load_network(value, relative_to=tab.path)
    except StationError as exc:
        if exc.path == value:  # neither a built-in name nor a file: the scenario's key is wrong
            raise ScenarioError(exc.reason, tab.path, field=tab.key(key))
        raise


def _read_target(tab: _Table) -> TargetSpec:
    name = tab.get("name", str)
    units = {"max_revisit_s": 1.0, "max_revisit_min": 60.0, "max_revisit_h": 3600.0,
             "max_revisit_days": SECONDS_PER_DAY}
    given = [k for k in units if k in tab.data]
    if len(given) != 1:
        raise ScenarioError("give exactly one of " + ", ".join(units), tab.path, field=tab.key("max_revisit_*"))
    k = given[0]
    value = tab.get(k, NUMBER, check=_positive)
    threshold = value * units[k]
    if not math.isfinite(threshold):
        raise ScenarioError(f"too large: {value:g} is beyond any window", tab.path, field=tab.key(k))
    claim = tab.get("claim", str, "")
    tab.finish()
    return TargetSpec(name, float(threshold), claim)


DELIVERY_UNITS = {"max_delivery_s": 1.0, "max_delivery_min": 60.0, "max_delivery_h": 3600.0,
                  "max_delivery_days": SECONDS_PER_DAY}


def _read_delivery_target(tab: _Table) -> TargetSpec:
    """A [[target]] with one of max_delivery_s/_min/_h/_days: every request's image on the
    ground within it (judged with a [ground] network or ``run --stations``)."""
    name = tab.get("name", str)
    given = [k for k in DELIVERY_UNITS if k in tab.data]
    if len(given) != 1:
        raise ScenarioError("give exactly one of " + ", ".join(DELIVERY_UNITS), tab.path,
                            field=tab.key("max_delivery_*"))
    value = tab.get(given[0], NUMBER, check=_positive)
    threshold = value * DELIVERY_UNITS[given[0]]
    if not math.isfinite(threshold):
        raise ScenarioError(f"too large: {value:g} is beyond any window", tab.path, field=tab.key(given[0]))
    claim = tab.get("claim", str, "")
    tab.finish()
    return TargetSpec(name, float(threshold), claim)


def read_target(data: dict, path: str, where: str = "target") -> TargetSpec:
    """One ``[[target]]`` table (name, one of max_revisit_s/_min/_h/_days, claim)
    -> TargetSpec; problems raise ScenarioError naming ``path`` and ``where``."""
    return _read_target(_Table(dict(data), path, where))


def _float_or_none(v):
    return None if v is None else float(v)


def _read_capacity(tab: _Table) -> CapacitySpec:
    spec = CapacitySpec(
        claim=tab.get("claim", str),
        targets_per_day=float(tab.get("targets_per_day", NUMBER, check=_positive)),
        random_targets=tab.get("random_targets", int, 1000, check=_range(1, 1_000_000)),
        seed=tab.get("seed", int, 0, check=_range(0, 2**63 - 1)),
        lat_min_deg=float(tab.get("lat_min_deg", NUMBER, -90.0, check=_range(-90, 90))),
        lat_max_deg=float(tab.get("lat_max_deg", NUMBER, 90.0, check=_range(-90, 90))),
        days=float(tab.get("days", NUMBER, 1.0, check=_range(0, 366, incl_lo=False))),
        dwell_s=float(tab.get("dwell_s", NUMBER, 10.0, check=_range(0, 3600))),
        slew_deg_s=float(tab.get("slew_deg_s", NUMBER, 1.5, check=_range(0, 180, incl_lo=False))),
        settle_s=float(tab.get("settle_s", NUMBER, 5.0, check=_range(0, 3600))),
        max_off_nadir_deg=_float_or_none(tab.get("max_off_nadir_deg", NUMBER, None,
                                                 check=_range(0, 90, incl_lo=False))),
        min_sun_elevation_deg=_float_or_none(tab.get("min_sun_elevation_deg", NUMBER, None,
                                                     check=_range(-90, 90, incl_hi=False))),
    )
    if spec.lat_min_deg >= spec.lat_max_deg:
        raise ScenarioError(f"lat_min_deg ({spec.lat_min_deg}) must be below lat_max_deg ({spec.lat_max_deg})",
                            tab.path, field=tab.key("lat_min_deg"))
    tab.finish()
    return spec


def _read_survey(tab: _Table, group_names: list[str]) -> SurveySpec:
    region = tab.get("region", str, "china")
    if region.lower().endswith((".geojson", ".json")):
        region = str(Path(tab.path).parent / region)  # a file: relative to the scenario's folder
    spec = SurveySpec(
        claim=tab.get("claim", str),
        region=region,
        days=float(tab.get("days", NUMBER, 31.0, check=_range(0, 366, incl_lo=False))),
        grid_res_deg=float(tab.get("grid_res_deg", NUMBER, 0.5, check=_range(0.01, 10))),
        step_s=float(tab.get("step_s", NUMBER, 60.0, check=_range(0.01, 3600))),
        required_share=float(tab.get("required_share", NUMBER, 1.0, check=_range(0, 1, incl_lo=False))),
        min_sun_elevation_deg=_float_or_none(tab.get("min_sun_elevation_deg", NUMBER, None,
                                                     check=_range(-90, 90, incl_hi=False))),
    )
    swaths = tab.sub("swath_km", None)
    if swaths is not None:
        spec.swath_km = {}
        for g in list(swaths.data):
            if g not in group_names:
                raise ScenarioError(f"no group named {g!r} (groups: {', '.join(group_names)})", tab.path,
                                    field=swaths.key(g))
            spec.swath_km[g] = float(swaths.get(g, NUMBER, check=_range(0, 5000, incl_lo=False)))
        if not spec.swath_km:
            raise ScenarioError("name at least one group", tab.path, field=tab.key("swath_km"))
        swaths.finish()
    tab.finish()
    return spec


def _read_sensor(tab: _Table | None) -> Sensor:
    if tab is None:
        return Sensor()
    kind = tab.get("kind", str, "off_nadir",
                   check=lambda v: None if v in SENSOR_KINDS else f"unknown sensor kind {v!r} "
                                                                    f"(known: {', '.join(SENSOR_KINDS)})")
    eta = tab.get("max_off_nadir_deg", NUMBER + (str,), 45.0, what='a number or "none"',
                  check=lambda v: (None if v == NO_LIMIT else f'expected a number or "none", got {v!r}')
                  if isinstance(v, str) else _range(0, 90, incl_lo=False)(v))
    eps = tab.get("min_elevation_deg", NUMBER, 0.0, check=_range(0, 90, incl_hi=False))
    if kind == "swath":
        swath = float(tab.get("swath_km", NUMBER, check=_range(0, 5000, incl_lo=False)))
    else:
        if "swath_km" in tab.data:
            raise ScenarioError('swath_km needs kind = "swath"', tab.path, field=tab.key("swath_km"))
        swath = None
    sun = tab.get("min_sun_elevation_deg", NUMBER, None, check=_range(-90, 90, incl_hi=False))
    tab.finish()
    return Sensor(kind, None if eta == NO_LIMIT else float(eta), float(eps), swath,
                  None if sun is None else float(sun))


def _satellite_count(room: int):
    """A check that a group's satellite count fits in the ``room`` left under MAX_SATELLITES."""
    def check(n):
        if n > room:
            used = MAX_SATELLITES - room
            more = f" (with the {used} of the groups before it)" if used else ""
            return (f"{n} satellites{more} is more than the {MAX_SATELLITES:,} a scenario may hold "
                    f"(the memory and sgp4 time per satellite)")
        return None
    return check


def _read_group(tab: _Table, epoch: datetime, index: int, satnum0: int) -> Group:
    name = tab.get("name", str, f"group{index + 1}")
    pattern = tab.get("pattern", str, check=lambda v: None if v in ("walker_delta", "walker_star", "sso_planes")
                      else f"unknown pattern {v!r} (known: walker_delta, walker_star, sso_planes)")
    alt = float(tab.get("alt_km", NUMBER, check=_alt_check))
    sensor = _read_sensor(tab.sub("sensor", None))
    beyond_limb = check_off_nadir(sensor.max_off_nadir_deg, alt)
    if beyond_limb:
        raise ScenarioError(beyond_limb, tab.path, field=tab.key("sensor.max_off_nadir_deg"))
    too_wide = check_swath(sensor.swath_km, alt)
    if too_wide:
        raise ScenarioError(too_wide, tab.path, field=tab.key("sensor.swath_km"))
    if pattern == "sso_planes":
        lts, node = _local_times(tab)
        if lts is None:
            raise ScenarioError("sso_planes needs ltdn_hours or ltan_hours (a list)", tab.path,
                                field=tab.key("ltdn_hours"))
        room = _satellite_count(MAX_SATELLITES - (satnum0 - 1))
        per = tab.get("sats_per_plane", (int, list), None)
        total = tab.get("total", int, None, check=lambda v: _positive(v) or room(v))
        if per is None and total is None:
            raise ScenarioError("give total or sats_per_plane", tab.path, field=tab.key("total"))
        if isinstance(per, int):
            if per > 0 and room(per * len(lts)):
                raise ScenarioError(f"{len(lts)} planes of {per}: {room(per * len(lts))}", tab.path,
                                    field=tab.key("sats_per_plane"))
            per = [per] * len(lts)
        if per is None:
            per = split_evenly(total, len(lts))
        if len(per) != len(lts) or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in per):
            raise ScenarioError(f"needs {len(lts)} positive integers, one per plane", tab.path,
                                field=tab.key("sats_per_plane"))
        if room(sum(per)):
            raise ScenarioError(room(sum(per)), tab.path, field=tab.key("sats_per_plane"))
        if total is not None and sum(per) != total:
            raise ScenarioError(f"sats_per_plane adds up to {sum(per)}, not total = {total}", tab.path,
                                field=tab.key("total"))
        phasing = float(tab.get("phasing", NUMBER, 0.0, check=_finite))
        u0 = float(tab.get("arg_lat0_deg", NUMBER, 0.0, check=_finite))
        try:
            orbits = sso_planes(alt, lts, per, epoch, node, phasing, u0)
        except ValueError as exc:
            raise ScenarioError(str(exc), tab.path, field=tab.key("alt_km"))
    else:
        room = _satellite_count(MAX_SATELLITES - (satnum0 - 1))
        total = tab.get("total", int, check=lambda v: _positive(v) or room(v))
        planes = tab.get("planes", int, check=_positive)
        if total % planes:
            raise ScenarioError(f"total ({total}) must be a multiple of planes ({planes})", tab.path,
                                field=tab.key("planes"))
        phasing = tab.get("phasing", int, 0, check=_range(0, planes - 1))
        inc = tab.get("inclination_deg", (int, float, str), check=lambda v: None if not isinstance(v, str)
                      or v == "sso" else f"expected a number or \"sso\", got {v!r}")
        if inc == "sso":
            try:
                inc = sso_inclination_deg(alt)
            except ValueError as exc:
                raise ScenarioError(str(exc), tab.path, field=tab.key("inclination_deg"))
        elif not 0 <= inc <= 180:
            raise ScenarioError(f"must be in [0, 180], got {inc}", tab.path, field=tab.key("inclination_deg"))
        lts, node = _local_times(tab)
        if lts is not None and "raan0_deg" in tab.data:
            raise ScenarioError("give raan0_deg or a local time (ltdn_hours, ltan_hours), not both: the local time "
                                "sets the first plane's RAAN", tab.path, field=tab.key("raan0_deg"))
        raan0 = tab.get("raan0_deg", NUMBER, 0.0, check=_finite)
        if lts is not None:
            if len(lts) != 1:
                raise ScenarioError("a Walker pattern takes one local time (its first plane's)", tab.path,
                                    field=tab.key("ltdn_hours" if node == "descending" else "ltan_hours"))
            from .orbits import raan_from_local_time_deg
            raan0 = raan_from_local_time_deg(epoch, lts[0], node)
        u0 = float(tab.get("arg_lat0_deg", NUMBER, 0.0, check=_finite))
        spread = 360.0 if pattern == "walker_delta" else 180.0
        orbits = walker(total, planes, phasing, alt, float(inc), epoch, float(raan0), u0, spread)
    tab.finish()
    sats = [Satellite(f"{name}-{i + 1:03d}", o.to_satrec(satnum0 + i), name) for i, o in enumerate(orbits)]
    return Group(name, sats, sensor)


def _local_times(tab: _Table):
    has_d = "ltdn_hours" in tab.data
    has_a = "ltan_hours" in tab.data
    if has_d and has_a:
        raise ScenarioError("give ltdn_hours or ltan_hours, not both", tab.path, field=tab.key("ltan_hours"))
    if not (has_d or has_a):
        return None, "descending"
    k = "ltdn_hours" if has_d else "ltan_hours"
    v = tab.get(k, (list, int, float))
    values = v if isinstance(v, list) else [v]
    if not values:
        raise ScenarioError("needs at least one local time (hours in [0, 24)), got an empty list", tab.path,
                            field=tab.key(k))
    for x in values:
        if isinstance(x, bool) or not isinstance(x, NUMBER) or not 0 <= x < 24:
            raise ScenarioError(f"local times are hours in [0, 24), got {x!r}", tab.path, field=tab.key(k))
    return [float(x) for x in values], "descending" if has_d else "ascending"


def read_toml(path: str | Path, error=ScenarioError, what: str = "scenario file") -> dict:
    """A TOML file (UTF-8, a leading byte-order mark skipped) as a dict; a missing,
    unreadable, non-UTF-8, malformed or larger than ``MAX_TOML_BYTES`` file, or a
    folder, raises ``error`` (an InputError class) naming the file."""
    spath = str(path)
    data = read_limited(path, MAX_TOML_BYTES, error, what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error("not a UTF-8 text file", spath, data.count(b"\n", 0, exc.start) + 1, "encoding")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"TOML syntax error: {exc}", spath)


def builtin_scenarios() -> list[Path]:
    """The milestone scenario files shipped in ``seeds/``, sorted by name."""
    from importlib import resources

    return sorted(Path(str(resources.files("seeds"))).glob("*.toml"))


def resolve_scenario(name_or_path: str | Path) -> Path:
    """A scenario file's path, or a built-in scenario's by name ('jilin1-2030-plan',
    'jilin1_2030_plan' or the name inside the file)."""
    p = Path(name_or_path)
    if p.exists():
        return p
    arg = str(name_or_path)
    seeds = builtin_scenarios()
    for s in seeds:
        if s.stem == arg or s.stem.replace("_", "-") == arg:
            return s
    for s in seeds:
        if load_scenario(s).name == arg:
            return s
    names = ", ".join(s.stem.replace("_", "-") for s in seeds)
    raise ScenarioError(f"no such file or built-in scenario (built-in: {names})", arg)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    return scenario_from_dict(read_toml(path), str(path))


def scenario_from_dict(raw: dict, spath: str = "<scenario>") -> Scenario:
    """Build and validate a scenario from its tables as a dict (what a scenario
    file parses to; ``window.start`` may be a datetime or an ISO string).
    Problems raise ScenarioError naming ``spath`` and the key.  Sweeps
    (:mod:`constellation.sweepspec`) build every configuration through here."""
    top = _Table(raw, spath, "")
    meta = top.sub("scenario")
    name = meta.get("name", str)
    title = meta.get("title", str, name)
    source = meta.get("source", str, "")
    claim = meta.get("claim", str, "")
    meta.finish()

    win = top.sub("window")
    start = win.get("start", (datetime, date, str))
    if isinstance(start, str):
        try:
            start = datetime.fromisoformat(start.replace("Z", "+00:00"))
        except ValueError:
            raise ScenarioError(f"not an ISO date-time: {start!r}", spath, field=win.key("start"))
    elif not isinstance(start, datetime):
        start = datetime.combine(start, time(0, 0))
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    start = start.astimezone(timezone.utc)
    if not 1957 <= start.year <= 2056:
        raise ScenarioError(f"{start.isoformat()} is outside the years sgp4 handles (1957-2056)", spath,
                            field=win.key("start"))
    if "days" in win.data and "hours" in win.data:
        raise ScenarioError("give days or hours, not both", spath, field=win.key("hours"))
    if "hours" in win.data:
        duration = win.get("hours", NUMBER, check=_range(0, 366 * 24, incl_lo=False)) * 3600.0
    else:
        duration = win.get("days", NUMBER, 1.0, check=_range(0, 366, incl_lo=False)) * SECONDS_PER_DAY
    step = float(win.get("step_s", NUMBER, 60.0, check=_range(0.01, 3600)))
    if step > duration:
        raise ScenarioError(f"step_s ({step}) is longer than the window ({duration} s)", spath,
                            field=win.key("step_s"))
    win.finish()

    grid = top.sub("grid", None)
    res, lat_min, lat_max, grid_kind = 1.0, -90.0, 90.0, "regular"
    if grid is not None:
        res = float(grid.get("res_deg", NUMBER, 1.0, check=_range(0.01, 90, incl_lo=True)))
        grid_kind = grid.get("kind", str, "regular", check=_one_of(GRID_KINDS, "grid kind"))
        lat_min = float(grid.get("lat_min_deg", NUMBER, -90.0, check=_range(-90, 90)))
        lat_max = float(grid.get("lat_max_deg", NUMBER, 90.0, check=_range(-90, 90)))
        if lat_min >= lat_max:
            raise ScenarioError(f"lat_min_deg ({lat_min}) must be below lat_max_deg ({lat_max})", spath,
                                field=grid.key("lat_min_deg"))
        grid.finish()

    targets = []
    top.used.add("target")
    raw_targets = raw.get("target", [])
    if not isinstance(raw_targets, list):
        raise ScenarioError("use [[target]] (an array of tables)", spath, field="target")
    delivery = []
    for i, t in enumerate(raw_targets):
        if isinstance(t, dict) and any(k in t for k in DELIVERY_UNITS):
            delivery.append(_read_delivery_target(_Table(t, spath, f"target[{i + 1}]")))
            continue
        targets.append(_read_target(_Table(t, spath, f"target[{i + 1}]")))

    top.used.add("group")
    raw_groups = raw.get("group")
    if not raw_groups:
        raise ScenarioError("a scenario needs at least one [[group]]", spath, field="group")
    if not isinstance(raw_groups, list):
        raise ScenarioError("use [[group]] (an array of tables)", spath, field="group")
    groups = []
    satnum = 1
    for i, g in enumerate(raw_groups):
        grp = _read_group(_Table(g, spath, f"group[{i + 1}]"), start, i, satnum)
        same = next((j for j, other in enumerate(groups) if other.name == grp.name), None)
        if same is not None:
            # Group names label the per-group figures and the satellites' names: they must differ.
            raise ScenarioError(f"the name {grp.name!r} is group[{same + 1}]'s too: give each group its own",
                                spath, field=f"group[{i + 1}].name")
        satnum += len(grp.satellites)
        groups.append(grp)
    cap = top.sub("capacity", None)
    capacity = _read_capacity(cap) if cap is not None else None
    sv = top.sub("survey", None)
    survey = _read_survey(sv, [g.name for g in groups]) if sv is not None else None
    gr = top.sub("ground", None)
    ground = _read_ground(gr) if gr is not None else None
    top.finish()
    return Scenario(name, title, source, claim, Constellation(name, groups), start, duration, step,
                    res, lat_min, lat_max, targets, spath, capacity, survey, grid_kind, ground, delivery)
