"""Sweep and sizing specifications: a family of constellations as data (no numba).

A sweep file (TOML) holds what a scenario file holds, with one ``[group]`` as
the fixed part of every configuration, plus what varies:

```toml
[sweep]
name = "walker-trade"

[window]                      # as in a scenario
start = 2026-01-01T00:00:00Z
days = 1
step_s = 60

[grid]                        # as in a scenario
res_deg = 2

[[target]]                    # as in a scenario
name = "within 30 min"
max_revisit_min = 30

[group]                       # one scenario group: the fixed values
pattern = "walker_delta"
alt_km = 535
inclination_deg = 97.5
[group.sensor]                # passed as is to constellation.sensor.Sensor(**table)
max_off_nadir_deg = 45

[vary]                        # cartesian product; the last key varies fastest
planes = [6, 12]
sats_per_plane = [5, 10]
phasing = [0, 1]
"sensor.max_off_nadir_deg" = [30, 45]

[[point]]                     # and/or an explicit list of configurations (overrides)
planes = 11
sats_per_plane = 12
```

Configurations are every ``[[point]]`` (or one empty point) times every
combination of ``[vary]``, at most :data:`MAX_CONFIGURATIONS` of them (counted
before any is built).  Keys name a group key (``alt_km``), a sensor field
(``sensor.swath_km``), or a window or grid key (``window.step_s``,
``grid.res_deg``, ``grid.kind`` = "regular" or "equal-area").  Beyond the
scenario's group keys a sweep understands:

- ``sats_per_plane`` with ``planes`` in a Walker pattern: ``total = planes * sats_per_plane``;
- ``planes`` in ``sso_planes`` without explicit local times: planes at the
  local times of the descending node ``ltdn_from_hours`` .. ``ltdn_to_hours``
  (evenly, both included; ``ltan_*`` for ascending nodes).  Without
  ``ltdn_to_hours`` the planes are spread evenly over 12 hours
  (``to = from + 12 (planes - 1) / planes``), so that, counting both nodes,
  some plane crosses the equator every ``12 / planes`` hours of local time.

A ``[size]`` table describes a sizing family (``revisit size``): the plane
counts to try (``planes = [..]``) and the bounds on satellites per plane
(``min_sats_per_plane``, ``max_sats_per_plane``).

Each configuration becomes a scenario dict built by
:func:`constellation.scenario.scenario_from_dict` (the code that reads
scenario files), with its sensor ``Sensor(**sensor_table)``, so sensor fields
added to :class:`~constellation.sensor.Sensor` work in sweeps unchanged.  A
configuration's key is a stable hash of everything that defines its run.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from .errors import InputError
from .scenario import GRID_KINDS, MAX_SATELLITES, Scenario, read_toml, scenario_from_dict
from .sensor import NO_LIMIT, Sensor


class SweepError(InputError):
    """A sweep or sizing file is malformed."""


# Keys of a sweep's group: the scenario's, and what a sweep derives from.
GROUP_KEYS = ("name", "pattern", "alt_km", "total", "planes", "sats_per_plane", "phasing", "inclination_deg",
              "ltdn_hours", "ltan_hours", "raan0_deg", "arg_lat0_deg",
              "ltdn_from_hours", "ltdn_to_hours", "ltan_from_hours", "ltan_to_hours")
WINDOW_KEYS = ("start", "days", "hours", "step_s")
GRID_KEYS = ("res_deg", "lat_min_deg", "lat_max_deg", "kind")
SIZE_KEYS = ("planes", "min_sats_per_plane", "max_sats_per_plane")
TOP_KEYS = ("sweep", "window", "grid", "target", "group", "vary", "point", "size")
# The most configurations a sweep may hold: each is a scenario dict (a few KB)
# built before the first run, and each run takes seconds, so 100,000 is already
# days of computing; a [vary] product of 10^8 would exhaust memory while the
# configurations are listed.
MAX_CONFIGURATIONS = 100_000


def sensor_keys() -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(Sensor))


@dataclass
class Configuration:
    """One point of a sweep: what varies (``params``), the scenario dict that builds it
    and its sensor table.  ``key`` is a stable hash of ``scenario`` and ``sensor``."""

    index: int
    params: dict
    scenario: dict
    sensor: dict
    key: str = ""
    label: str = ""

    def __post_init__(self):
        if not self.key:
            self.key = configuration_key(self.scenario, self.sensor)
        if not self.label:
            self.label = " ".join(f"{k}={_short(v)}" for k, v in self.params.items()) or "base"

    def to_dict(self) -> dict:
        return {"index": self.index, "key": self.key, "label": self.label, "params": self.params,
                "scenario": self.scenario, "sensor": self.sensor}

    @classmethod
    def from_dict(cls, d: dict) -> "Configuration":
        return cls(d["index"], d["params"], d["scenario"], d["sensor"], d["key"], d["label"])


@dataclass
class SweepSpec:
    """A parsed sweep file: the base (window, grid, targets, group, sensor) and what varies."""

    name: str
    title: str
    path: str
    window: dict
    grid: dict
    targets: list[dict]
    group: dict
    sensor: dict
    vary: dict = field(default_factory=dict)
    points: list[dict] = field(default_factory=list)
    size: dict = field(default_factory=dict)

    def count(self) -> int:
        """How many configurations :meth:`configurations` lists at most (duplicates included)."""
        return max(1, len(self.points)) * math.prod(len(v) for v in self.vary.values())

    def check_count(self) -> None:
        """Refuse more than MAX_CONFIGURATIONS configurations, naming the [vary] keys."""
        n = self.count()
        if n > MAX_CONFIGURATIONS:
            sizes = " x ".join(f"{k} ({len(v)})" for k, v in self.vary.items())
            points = f" times {len(self.points)} [[point]] tables" if len(self.points) > 1 else ""
            raise SweepError(f"{sizes}{points} make {n:,} configurations, more than the {MAX_CONFIGURATIONS:,} "
                             "a sweep may hold: vary fewer keys or give fewer values", self.path,
                             field="vary" if self.vary else "point")

    def configurations(self) -> list[Configuration]:
        """Every configuration: each point times each combination of ``vary``, in order;
        duplicates (same key) kept once.  More than MAX_CONFIGURATIONS is an error."""
        self.check_count()
        combos = [dict(zip(self.vary, values)) for values in itertools.product(*self.vary.values())]
        out, seen = [], set()
        for point in self.points or [{}]:
            for combo in combos:
                params = {**point, **combo}
                conf = self.configuration(params, len(out))
                if conf.key in seen:
                    continue
                seen.add(conf.key)
                out.append(conf)
        return out

    def configuration(self, params: dict, index: int = 0) -> Configuration:
        """The base with ``params`` (sweep keys: ``alt_km``, ``sensor.x``, ``window.x``...) applied."""
        window, grid = dict(self.window), dict(self.grid)
        group, sensor = dict(self.group), dict(self.sensor)
        for k, v in params.items():
            where, name = split_key(k)
            {"window": window, "grid": grid, "group": group, "sensor": sensor}[where][name] = v
        # A varied length replaces the base's, whichever unit each gives it in.
        if "window.days" in params and "window.hours" not in params:
            window.pop("hours", None)
        if "window.hours" in params and "window.days" not in params:
            window.pop("days", None)
        scenario = {"scenario": {"name": self.name}, "window": window, "target": copy.deepcopy(self.targets),
                    "group": [group]}
        if grid:
            scenario["grid"] = grid
        return Configuration(index, {k: params[k] for k in params}, scenario, sensor)

    def with_overrides(self, window: dict | None = None, grid: dict | None = None,
                       targets: list[dict] | None = None) -> "SweepSpec":
        """A copy with window/grid keys replaced and ``targets`` added (command-line options)."""
        out = copy.deepcopy(self)
        for k, v in (window or {}).items():
            if k == "days":
                out.window.pop("hours", None)
            if k == "hours":
                out.window.pop("days", None)
            out.window[k] = v
        out.grid.update(grid or {})
        out.targets.extend(copy.deepcopy(targets or []))
        check_target_names(out.targets, self.path, given=len(self.targets))
        return out


def split_key(key: str) -> tuple[str, str]:
    """'sensor.swath_km' -> ('sensor', 'swath_km'); 'alt_km' -> ('group', 'alt_km')."""
    if key.startswith("group.sensor."):
        key = key[len("group."):]
    if key.startswith("group."):
        key = key[len("group."):]
    head, _, rest = key.partition(".")
    if rest and head in ("window", "grid", "sensor"):
        return head, rest
    return "group", key


def check_key(key: str, path: str, where: str) -> None:
    section, name = split_key(key)
    known = {"window": WINDOW_KEYS, "grid": GRID_KEYS, "group": GROUP_KEYS, "sensor": sensor_keys()}[section]
    if name not in known:
        prefix = "" if section == "group" else f"{section}."
        raise SweepError(f"unknown key {key!r} (known {section} keys: {', '.join(prefix + k for k in known)})",
                         path, field=f"{where}.{key}")


def _check_grid_kind(key: str, values: list, path: str, where: str) -> None:
    """A bad ``grid.kind`` fails when the file is read, not in every configuration."""
    if split_key(key) == ("grid", "kind"):
        for v in values:
            if v not in GRID_KINDS:
                raise SweepError(f"unknown grid kind {v!r} (known: {', '.join(GRID_KINDS)})", path,
                                 field=f"{where}.{key}" if where else key)


def _value_identity(v):
    """What makes two values of a key the same configuration: 535 and 535.0 are one altitude."""
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, (int, float)):
        return ("number", float(v))
    if isinstance(v, list):
        return ("list", tuple(_value_identity(x) for x in v))
    return ("other", json.dumps(v, sort_keys=True, default=str))


def _check_distinct_values(key: str, values: list, path: str) -> None:
    """A [vary] list naming one value twice would run it twice: refuse it."""
    seen = {}
    for v in values:
        ident = _value_identity(v)
        if ident in seen:
            raise SweepError(f"{seen[ident]!r} and {v!r} are the same value: list each value once",
                             path, field=f"vary.{key}")
        seen[ident] = v


def _check_distinct_keys(keys: list[str], path: str, where: str) -> None:
    """Two spellings of one key (``sensor.x`` and ``group.sensor.x``), or both window
    lengths (``window.days`` and ``window.hours``), in one table: refuse them, naming both."""
    seen = {}
    for k in keys:
        target = split_key(k)
        if target in seen:
            raise SweepError(f"{seen[target]!r} and {k!r} name the same key: give it once", path,
                             field=f"{where}.{k}")
        seen[target] = k
    lengths = [k for k in seen.values() if split_key(k) in (("window", "days"), ("window", "hours"))]
    if len(lengths) == 2:
        raise SweepError(f"{lengths[0]!r} and {lengths[1]!r} both set the window's length: give one", path,
                         field=f"{where}.{lengths[1]}")


def _canonical(v):
    if isinstance(v, datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=timezone.utc)
        return v.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(v, date):
        return v.isoformat() + "T00:00:00Z"
    if isinstance(v, dict):
        return {k: _canonical(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_canonical(x) for x in v]
    return v


def configuration_key(scenario: dict, sensor: dict) -> str:
    """Stable 16-hex-digit hash of what defines a run (the scenario name left out)."""
    body = {k: v for k, v in scenario.items() if k != "scenario"}
    text = json.dumps({"scenario": _canonical(body), "sensor": _canonical(sensor)}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _short(v) -> str:
    if isinstance(v, list):
        return ",".join(_short(x) for x in v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _table(raw: dict, key: str, path: str, required: bool = False) -> dict:
    v = raw.get(key)
    if v is None:
        if required:
            raise SweepError("missing required table", path, field=key)
        return {}
    if isinstance(v, list) and key == "group":
        if len(v) != 1:
            raise SweepError("a sweep has one [group] (the fixed part of every configuration)", path, field=key)
        v = v[0]
    if not isinstance(v, dict):
        raise SweepError(f"expected a table, got {type(v).__name__}", path, field=key)
    return dict(v)


def parse_sweep(raw: dict, path: str = "<sweep>") -> SweepSpec:
    """A sweep spec from its TOML tables (see the module's docstring)."""
    for k in raw:
        if k not in TOP_KEYS:
            raise SweepError(f"unknown table (known: {', '.join(TOP_KEYS)})", path, field=k)
    meta = _table(raw, "sweep", path)
    for k in meta:
        if k not in ("name", "title"):
            raise SweepError("unknown key (known here: name, title)", path, field=f"sweep.{k}")
    name = meta.get("name", Path(path).stem.replace("_", "-"))
    if not isinstance(name, str) or not name:
        raise SweepError("expected a non-empty string", path, field="sweep.name")
    window = _canonical(_table(raw, "window", path, required=True))
    grid = _table(raw, "grid", path)
    for sec, tab, known in (("window", window, WINDOW_KEYS), ("grid", grid, GRID_KEYS)):
        for k in tab:
            if k not in known:
                raise SweepError(f"unknown key (known here: {', '.join(known)})", path, field=f"{sec}.{k}")
    if "kind" in grid:
        _check_grid_kind("grid.kind", [grid["kind"]], path, "")
    targets = raw.get("target", [])
    if not isinstance(targets, list) or not all(isinstance(t, dict) for t in targets):
        raise SweepError("use [[target]] (an array of tables)", path, field="target")
    check_target_names(targets, path)
    group = _table(raw, "group", path, required=True)
    sensor = group.pop("sensor", {})
    if not isinstance(sensor, dict):
        raise SweepError("expected a table", path, field="group.sensor")
    for k in group:
        check_key(k, path, "group")
    for k in sensor:
        check_key(f"sensor.{k}", path, "group")
    vary = _table(raw, "vary", path)
    for k, v in vary.items():
        check_key(k, path, "vary")
        if not isinstance(v, list) or not v:
            raise SweepError("expected a non-empty list of values", path, field=f"vary.{k}")
        _check_grid_kind(k, v, path, "vary")
        vary[k] = _canonical(v)
        _check_distinct_values(k, vary[k], path)
    _check_distinct_keys(list(vary), path, "vary")
    points = raw.get("point", [])
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
        raise SweepError("use [[point]] (an array of tables)", path, field="point")
    varied = {split_key(k): k for k in vary}
    seen_points: dict = {}
    for i, p in enumerate(points):
        for k in p:
            check_key(k, path, f"point[{i + 1}]")
            _check_grid_kind(k, [p[k]], path, f"point[{i + 1}]")
            if split_key(k) in varied:  # each of its configurations would take [vary]'s value, not this one
                raise SweepError(f"{k!r} is also varied ([vary] {varied[split_key(k)]!r}): set it in one place",
                                 path, field=f"point[{i + 1}].{k}")
        _check_distinct_keys([*p, *vary], path, f"point[{i + 1}]")  # e.g. days here, hours in [vary]
        key = frozenset((split_key(k), _value_identity(v)) for k, v in p.items())
        if key in seen_points:  # the same configurations twice
            raise SweepError(f"repeats point[{seen_points[key]}]", path, field=f"point[{i + 1}]")
        seen_points[key] = i + 1
    size = _table(raw, "size", path)
    for k, v in size.items():
        if k not in SIZE_KEYS:
            raise SweepError(f"unknown key (known here: {', '.join(SIZE_KEYS)})", path, field=f"size.{k}")
    if "planes" in size:
        p = size["planes"]
        if isinstance(p, int) and not isinstance(p, bool):
            size["planes"] = p = [p]
        if not isinstance(p, list) or not p or not all(isinstance(x, int) and not isinstance(x, bool) and x > 0
                                                       for x in p):
            raise SweepError("expected a list of positive integers", path, field="size.planes")
    for k in ("min_sats_per_plane", "max_sats_per_plane"):
        if k in size and (not isinstance(size[k], int) or isinstance(size[k], bool) or size[k] < 1):
            raise SweepError("expected a positive integer", path, field=f"size.{k}")
    spec = SweepSpec(name, meta.get("title", name), path, window, grid, _canonical(targets), _canonical(group),
                     _canonical(sensor), vary, [_canonical(p) for p in points], size)
    spec.check_count()
    return spec


def builtin_sweeps() -> list[Path]:
    """The sweep and sizing-family files shipped in ``seeds/sweeps/``."""
    from importlib import resources

    return sorted((Path(str(resources.files("seeds"))) / "sweeps").glob("*.toml"))


def resolve_sweep(name_or_path: str | Path) -> Path:
    """A sweep file's path, or a built-in sweep's by name ('walker-sso')."""
    p = Path(name_or_path)
    if p.exists():
        return p
    arg = str(name_or_path)
    for s in builtin_sweeps():
        if s.stem == arg or s.stem.replace("_", "-") == arg:
            return s
    names = ", ".join(s.stem.replace("_", "-") for s in builtin_sweeps())
    raise SweepError(f"no such file or built-in sweep (built-in: {names})", arg)


def load_sweep(path: str | Path) -> SweepSpec:
    """Read a sweep (or sizing family) file; problems raise SweepError naming the file and key."""
    return parse_sweep(read_toml(path, SweepError, "sweep file"), str(path))


# ---------------------------------------------------------------- building one configuration
def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def resolve_group(group: dict, where: str = "") -> dict:
    """A sweep group -> a scenario group: derive ``total`` (Walker, from planes and
    sats_per_plane) and the local times (sso_planes, from planes and ltdn_from/to_hours)."""
    g = dict(group)
    pattern = g.get("pattern")
    if pattern in ("walker_delta", "walker_star") and "sats_per_plane" in g:
        spp, planes = g.pop("sats_per_plane"), g.get("planes")
        if not _is_int(spp) or spp < 1:
            raise SweepError(f"expected a positive integer, got {spp!r}", where, field="sats_per_plane")
        if not _is_int(planes) or planes < 1:
            raise SweepError("a Walker pattern with sats_per_plane needs planes (a positive integer)", where,
                             field="planes")
        if "total" in g and g["total"] != planes * spp:
            raise SweepError(f"total ({g['total']}) is not planes x sats_per_plane ({planes} x {spp})", where,
                             field="total")
        g["total"] = planes * spp
    derived = [k for k in ("ltdn_from_hours", "ltdn_to_hours", "ltan_from_hours", "ltan_to_hours") if k in g]
    if pattern == "sso_planes":
        planes = g.pop("planes", None)
        node = "ltan" if ("ltan_from_hours" in g or "ltan_to_hours" in g) else "ltdn"
        first = g.pop(f"{node}_from_hours", None)
        last = g.pop(f"{node}_to_hours", None)
        if planes is not None:
            if not _is_int(planes) or planes < 1:
                raise SweepError(f"expected a positive integer, got {planes!r}", where, field="planes")
            if planes > MAX_SATELLITES:  # every plane holds a satellite
                raise SweepError(f"{planes} planes is more than the {MAX_SATELLITES:,} satellites a scenario may "
                                 "hold", where, field="planes")
            explicit = g.get("ltdn_hours", g.get("ltan_hours"))
            if explicit is not None:
                n = len(explicit) if isinstance(explicit, list) else 1
                if n != planes:
                    raise SweepError(f"planes = {planes} but {n} local times are given", where, field="planes")
            else:
                if first is None:
                    raise SweepError("sso_planes with planes needs ltdn_from_hours (or explicit ltdn_hours)",
                                     where, field="ltdn_from_hours")
                for key, value in ((f"{node}_from_hours", first), (f"{node}_to_hours", last)):
                    if value is not None and not (isinstance(value, (int, float)) and not isinstance(value, bool)
                                                  and 0 <= value < 24):
                        raise SweepError(f"a local time is hours in [0, 24), got {value!r}", where, field=key)
                g[f"{node}_hours"] = local_times(planes, first, last)
        elif first is not None or last is not None:
            raise SweepError(f"{node}_from_hours / {node}_to_hours need planes", where, field=f"{node}_from_hours")
        for k in ("ltdn_from_hours", "ltdn_to_hours", "ltan_from_hours", "ltan_to_hours"):
            if k in g:
                raise SweepError("give local times of one node only", where, field=k)
    elif derived:
        raise SweepError("only sso_planes derives local times from planes", where, field=derived[0])
    return g


def local_times(planes: int, first_h: float, last_h: float | None = None) -> list[float]:
    """``planes`` local times from ``first_h`` to ``last_h`` (both included, evenly), or
    spread evenly over 12 hours when ``last_h`` is None; each in [0, 24)."""
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
               for x in (first_h,) + (() if last_h is None else (last_h,))):
        raise SweepError(f"local times are hours, got {first_h!r}, {last_h!r}", field="ltdn_from_hours")
    if last_h is None:
        last_h = first_h + 12.0 * (planes - 1) / planes
    if planes == 1:
        times = [float(first_h)]
    else:
        times = [first_h + (last_h - first_h) * j / (planes - 1) for j in range(planes)]
    return [round(t % 24.0, 9) % 24.0 for t in times]


def build_configuration(conf: Configuration | dict, where: str = "") -> Scenario:
    """The scenario of one configuration: its group resolved, built by the scenario
    reader, every group given ``Sensor(**conf.sensor)``; the sensor's reach checked.
    Problems raise InputError (``where``: what to name in front of the key)."""
    from .validate import check_sensor_reach

    if isinstance(conf, dict):
        conf = Configuration.from_dict(conf)
    raw = copy.deepcopy(conf.scenario)
    raw["group"] = [resolve_group(g, where) for g in raw["group"]]
    params = dict(conf.sensor)
    try:
        sensor = Sensor(**params)
    except TypeError as exc:
        raise SweepError(str(exc).replace(".__init__()", ""), where, field="sensor")
    except ValueError as exc:
        raise SweepError(str(exc), where, field="sensor")
    if sensor.kind == "off_nadir":
        # The scenario reader checks the angle against the limb at the group's altitude.
        for g in raw["group"]:
            eta = sensor.max_off_nadir_deg
            g["sensor"] = {"max_off_nadir_deg": NO_LIMIT if eta is None else eta}
    try:
        sc = scenario_from_dict(raw, where)
    except InputError as exc:
        # A sweep has one [group]: name its keys as the sweep file spells them.
        field = exc.field
        if field and field.startswith("group[1]."):
            field = "group." + field[len("group[1]."):]
            if field == "group.total":
                field = "group.sats_per_plane (or total)"
        raise type(exc)(exc.reason, exc.path, exc.line, field) from None
    sc.constellation = sc.constellation.with_sensor(sensor)
    check_sensor_reach(sc.constellation, "sensor.swath_km" if sensor.kind == "swath" else "sensor.max_off_nadir_deg")
    return sc


def check_target_names(targets: list[dict], path, given: int | None = None) -> None:
    """Refuse two targets whose names make the same table columns (their slugs):
    one would silently take the other's place in the sweep table.  Targets from
    index ``given`` on came from the command line (``--target``)."""
    seen: dict[str, tuple[int, str]] = {}
    for i, t in enumerate(targets):
        name = t.get("name")
        if not isinstance(name, str):
            continue  # the scenario reader names the fault
        key = slug(name)
        if key in seen:
            j, other = seen[key]
            where = " (from --target)" if given is not None and i >= given else ""
            raise SweepError(f"{name!r}{where} makes the same table columns ({key}_*) as target[{j + 1}] "
                             f"{other!r}: give the targets names that differ in letters or digits", path,
                             field=f"target[{i + 1}].name")
        seen[key] = (i, name)


def slug(text: str) -> str:
    """A column-name-safe form of a target's name: 'within 10 min' -> 'within_10_min'."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "target"
