"""Ground stations and networks: where images come down.

A network is a list of stations, each a place on the WGS-84 ellipsoid
(geodetic latitude and longitude in degrees, height in km) with an elevation
mask (the lowest elevation at which it tracks a satellite), an optional
downlink rate (Mbit/s, reported only) and a setup time (s) a contact must
last beyond to deliver anything.

Station files are TOML (an optional ``[network]`` table with ``name``,
``source`` and ``notes``, then ``[[station]]`` tables) or CSV (a header row
naming the columns ``name, lat_deg, lon_deg`` and optionally ``alt_km,
min_elevation_deg, downlink_rate_mbps, setup_s``).  Every problem names the
file, the line and the field.  Built-in networks are TOML files in
``seeds/ground/`` (``china-rs``, ``china-rs-polar``), each stating its sources
and assumptions.
"""

from __future__ import annotations

import csv
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .files import MAX_TOML_BYTES, read_limited, text_lines

# The elevation mask a station without one gets (deg): a common planning value
# for X-band remote-sensing receivers.
DEFAULT_MIN_ELEVATION_DEG = 5.0
# The most stations a network may hold (each adds a pass search over the window).
MAX_STATIONS = 10_000
STATION_FIELDS = ("name", "lat_deg", "lon_deg", "alt_km", "min_elevation_deg", "downlink_rate_mbps", "setup_s")


class StationError(InputError):
    """A ground-station file or network is malformed."""


@dataclass(frozen=True)
class Station:
    """One ground station: geodetic ``lat_deg``/``lon_deg`` (deg), ``alt_km``
    above the ellipsoid, ``min_elevation_deg`` (its mask), ``downlink_rate_mbps``
    (None: not stated), ``setup_s`` (a contact must last longer than this to
    deliver: acquisition, link set-up)."""

    name: str
    lat_deg: float
    lon_deg: float
    alt_km: float = 0.0
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG
    downlink_rate_mbps: float | None = None
    setup_s: float = 0.0


@dataclass(frozen=True)
class GroundNetwork:
    """Stations with a name and where they came from (a file or a built-in name)."""

    name: str
    stations: tuple[Station, ...]
    source: str = ""
    notes: str = ""

    def __len__(self) -> int:
        return len(self.stations)

    def describe(self) -> str:
        return f"{self.name} ({len(self.stations)} stations: {', '.join(s.name for s in self.stations)})"


# ----------------------------------------------------------------------------- checks
_RANGES = {
    "lat_deg": (-90.0, 90.0),
    "lon_deg": (-180.0, 360.0),
    "alt_km": (-0.5, 10.0),
    "min_elevation_deg": (0.0, 89.0),
    "downlink_rate_mbps": (0.0, 1e6),
    "setup_s": (0.0, 86400.0),
}


def _number(value, path, line, field, text: bool = False) -> float:
    """``value`` as a number in its field's range; ``text``: a CSV cell (a
    string to read), else a TOML value, which must be a number itself."""
    if isinstance(value, bool):
        raise StationError("expected a number, got a boolean", path, line, field)
    if isinstance(value, str) and not text:
        raise StationError(f"expected a number, got the string {value!r} (write it without quotes)", path, line,
                           field)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise StationError(f"cannot read {value!r} as a number", path, line, field)
    if not isinstance(value, (int, float)):
        raise StationError(f"expected a number, got {type(value).__name__} {value!r}", path, line, field)
    v = float(value)
    key = field.rsplit(".", 1)[-1]
    lo, hi = _RANGES[key]
    if not (math.isfinite(v) and lo <= v <= hi):
        raise StationError(f"must be within [{lo:g}, {hi:g}], got {value}", path, line, field)
    if key == "downlink_rate_mbps" and v <= 0.0:
        raise StationError(f"must be positive, got {value}", path, line, field)
    return v


def _station(values: dict, path: str, where: str, line_of, text: bool = False) -> Station:
    """A Station from a row (``text``: its cells are strings) or a table; ``line_of(key)``: the line to name."""
    unknown = [k for k in values if k not in STATION_FIELDS]
    if unknown:
        raise StationError(f"unknown field (known: {', '.join(STATION_FIELDS)})", path, line_of(unknown[0]),
                           f"{where}{unknown[0]}")
    for k in ("name", "lat_deg", "lon_deg"):
        if k not in values or values[k] in (None, ""):
            raise StationError("missing required field", path, line_of(k), f"{where}{k}")
    name = values["name"]
    if not isinstance(name, str) or not name.strip():
        raise StationError("expected a non-empty name", path, line_of("name"), f"{where}name")
    got = {k: _number(values[k], path, line_of(k), f"{where}{k}", text)
           for k in STATION_FIELDS[1:] if values.get(k) not in (None, "")}
    lon = got["lon_deg"]
    got["lon_deg"] = (lon + 180.0) % 360.0 - 180.0 if lon > 180.0 else lon
    got.setdefault("min_elevation_deg", DEFAULT_MIN_ELEVATION_DEG)
    return Station(name.strip(), **got)


def _check_network(stations: list[Station], path: str, line_of_station) -> tuple[Station, ...]:
    if not stations:
        raise StationError("no stations", path)
    if len(stations) > MAX_STATIONS:
        raise StationError(f"{len(stations):,} stations: at most {MAX_STATIONS:,}", path)
    seen: dict[str, int] = {}
    for i, s in enumerate(stations):
        if s.name in seen:
            raise StationError(f"station name {s.name!r} is given twice (also station {seen[s.name] + 1})", path,
                               line_of_station(i), "name")
        seen[s.name] = i
    return tuple(stations)


# ----------------------------------------------------------------------------- readers
def read_stations(path: str | Path) -> GroundNetwork:
    """A station file: ``.toml`` or ``.csv`` (see the module's docstring)."""
    spath = str(path)
    data = read_limited(path, MAX_TOML_BYTES, StationError, "station file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StationError("not a UTF-8 text file", spath, data.count(b"\n", 0, exc.start) + 1, "encoding")
    if Path(spath).suffix.lower() == ".csv":
        return _read_csv(text, spath)
    if Path(spath).suffix.lower() != ".toml":
        raise StationError("a station file is .toml or .csv", spath)
    return _read_toml(text, spath)


def _read_toml(text: str, path: str) -> GroundNetwork:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StationError(f"TOML syntax error: {exc}", path)
    lines = text_lines(text)
    heads = [n for n, ln in enumerate(lines, start=1) if re.match(r"\s*\[\[\s*station\s*\]\]", ln)]

    def line_in(i: int, key: str | None = None) -> int | None:
        if i >= len(heads):
            return None
        end = heads[i + 1] if i + 1 < len(heads) else len(lines) + 1
        if key:
            for n in range(heads[i], end):
                if re.match(rf"\s*{re.escape(key)}\s*=", lines[n - 1]):
                    return n
        return heads[i]

    unknown = [k for k in raw if k not in ("network", "station")]
    if unknown:
        raise StationError("unknown table or key (known: network, station)", path, field=unknown[0])
    net = raw.get("network", {})
    if not isinstance(net, dict):
        raise StationError("expected a table", path, field="network")
    bad = [k for k in net if k not in ("name", "source", "notes")]
    if bad:
        raise StationError("unknown key (known: name, source, notes)", path, field=f"network.{bad[0]}")
    for k in ("name", "source", "notes"):
        if k in net and not isinstance(net[k], str):
            raise StationError("expected a string", path, field=f"network.{k}")
    tables = raw.get("station", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise StationError("use [[station]] (an array of tables)", path, field="station")
    stations = [_station(t, path, f"station[{i + 1}].", lambda k, i=i: line_in(i, k)) for i, t in enumerate(tables)]
    stations = _check_network(stations, path, lambda i: line_in(i, "name"))
    return GroundNetwork(net.get("name", Path(path).stem), stations, net.get("source", path), net.get("notes", ""))


def _read_csv(text: str, path: str) -> GroundNetwork:
    rows = [(n, r) for n, r in enumerate(csv.reader(text_lines(text)), start=1)
            if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if not rows:
        raise StationError("no stations (expected a header row: name,lat_deg,lon_deg[,alt_km,...])", path)
    head_line, head = rows[0]
    head = [h.strip().lower() for h in head]
    for j, h in enumerate(head):
        if h not in STATION_FIELDS:
            raise StationError(f"unknown column {h!r} (known: {', '.join(STATION_FIELDS)})", path, head_line,
                               "header")
        if h in head[:j]:
            raise StationError(f"column {h!r} appears twice (columns {head.index(h) + 1} and {j + 1})", path,
                               head_line, "header")
    for k in ("name", "lat_deg", "lon_deg"):
        if k not in head:
            raise StationError(f"the header needs a {k} column", path, head_line, "header")
    stations, lines = [], []
    for line, r in rows[1:]:
        if len(r) > len(head):
            raise StationError(f"{len(r)} values for {len(head)} columns", path, line)
        values = {h: (r[j].strip() if j < len(r) else "") for j, h in enumerate(head)}
        stations.append(_station(values, path, "", lambda k, line=line: line, text=True))
        lines.append(line)
    stations = _check_network(stations, path, lambda i: lines[i])
    return GroundNetwork(Path(path).stem, stations, path)


# ----------------------------------------------------------------------------- built-in networks
def builtin_networks() -> dict[str, Path]:
    """The networks shipped in ``seeds/ground/``, by name (the file's stem, with '-')."""
    from importlib import resources

    folder = Path(str(resources.files("seeds"))) / "ground"
    return {p.stem.replace("_", "-"): p for p in sorted(folder.glob("*.toml"))}


def load_network(name_or_path: str | Path, relative_to: str | Path | None = None) -> GroundNetwork:
    """A built-in network by name (``china-rs``) or a station file (.toml, .csv);
    a relative file is looked for beside ``relative_to`` (a scenario file) first."""
    arg = str(name_or_path)
    builtin = builtin_networks()
    if arg in builtin or arg.replace("_", "-") in builtin:
        net = read_stations(builtin[arg.replace("_", "-")])
        return GroundNetwork(arg.replace("_", "-"), net.stations, net.source, net.notes)
    p = Path(arg)
    if relative_to is not None and not p.is_absolute():
        near = Path(relative_to).parent / p
        if near.exists():
            p = near
    if p.suffix.lower() in (".toml", ".csv") or p.exists():
        return read_stations(p)
    raise StationError(f"no such station file or built-in network (built-in: {', '.join(builtin)})", arg)


__all__ = ["Station", "GroundNetwork", "StationError", "read_stations", "load_network", "builtin_networks",
           "DEFAULT_MIN_ELEVATION_DEG"]
