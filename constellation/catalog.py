"""Satellite catalogs in any supported format: read, select, summarise, write.

Formats: TLE (two-line sets), 3LE (a name line before each pair) and OMM as
CSV, JSON, XML or KVN (CelesTrak's and Space-Track's forms).  The format is
told from the file's content, or from its extension when the content does not
say.  Every satellite becomes an sgp4 ``Satrec`` propagated from its own epoch.
A catalog file holds at most ``MAX_CATALOG_BYTES`` (256 MiB).
"""

from __future__ import annotations

import fnmatch
import math
import re
from datetime import datetime
from pathlib import Path

from .constants import SECONDS_PER_DAY, SSO_NODE_RATE_RAD_S, WGS84_A_KM
from .core import Constellation, Group, Satellite
from .elements import satrec_epoch
from .errors import CatalogError
from .files import MAX_CATALOG_BYTES, atomic_write, read_limited
from .omm import EXPECTED_METADATA, OPTIONAL, REQUIRED, format_omm, format_omm_kvn, parse_omm
from .orbits import local_time_of_node_hours
from .sensor import Sensor
from .tle import decode_tle, format_tle_text, parse_tle_text

FORMATS = ("tle", "csv", "json", "xml", "kvn")
FORMAT_NAMES = {"tle": "TLE/3LE", "csv": "OMM CSV", "json": "OMM JSON", "xml": "OMM XML", "kvn": "OMM KVN"}
EXTENSIONS = {".tle": "tle", ".txt": "tle", ".3le": "tle", ".2le": "tle", ".csv": "csv", ".json": "json",
              ".xml": "xml", ".kvn": "kvn", ".omm": "kvn"}
_KVN_KEYS = {"CCSDS_OMM_VERS", "CREATION_DATE", "ORIGINATOR", *REQUIRED, *OPTIONAL, *EXPECTED_METADATA}
DEFAULT_MAX_EPOCH_AGE_DAYS = 14.0
# A plane whose local time of node drifts by more than this is not sun-synchronous.
SSO_DRIFT_LIMIT_H_PER_30D = 1.0


# ---------------------------------------------------------------------------
# Reading


def detect_format(path: str | Path, data: bytes) -> str:
    """'tle', 'csv', 'json', 'xml' or 'kvn', from the content first, then the extension."""
    head = data[:8192].decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    lines = [ln.strip() for ln in head.split("\n") if ln.strip()][:3]
    # A 3LE's first name may start with '[', '{' or '<' ("[TBA - TO BE ASSIGNED]"): a TLE line 1 and
    # line 2 under it make the file a TLE whatever its first character.
    if len(lines) >= 3 and lines[1].startswith("1 ") and lines[2].startswith("2 "):
        return "tle"
    if head[:1] in ("[", "{"):
        return "json"
    if head[:1] == "<":
        return "xml"
    if lines:
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=", lines[0])
        if m and m.group(1).upper() in _KVN_KEYS:
            return "kvn"
        upper = lines[0].upper()
        if upper.count(",") >= 2 and ("NORAD_CAT_ID" in upper or "MEAN_MOTION" in upper):
            return "csv"
        if any(ln.startswith("1 ") for ln in lines):
            return "tle"
    ext = Path(str(path)).suffix.lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    raise CatalogError("cannot tell the catalog's format from its content or extension (expected TLE/3LE, or "
                       "OMM as CSV, JSON, XML or KVN)", str(path), None, "format")


def _read_bytes(path: Path) -> bytes:
    return read_limited(path, MAX_CATALOG_BYTES, CatalogError, "catalog file")


def parse_catalog(data: bytes, fmt: str, path: str = "<string>") -> list[Satellite]:
    """Satellites from catalog ``data`` in ``fmt`` (see :data:`FORMATS`)."""
    if not data.strip():
        raise CatalogError("empty file (no element sets)", path)
    if fmt == "tle":
        return parse_tle_text(decode_tle(data, path), path)
    if fmt in FORMATS:
        return parse_omm(data, fmt, path)
    raise CatalogError(f"unknown catalog format {fmt!r} (known: {', '.join(FORMATS)})", path, None, "format")


def catalog_format(path: str | Path) -> str:
    """The format :func:`read_catalog` would read ``path`` as."""
    path = Path(path)
    return detect_format(path, _read_bytes(path))


def read_catalog(path: str | Path, select=None, sensor: Sensor | None = None, name: str | None = None,
                 fmt: str | None = None) -> Constellation:
    """Read a TLE/3LE/OMM catalog into a one-group :class:`Constellation`.

    ``select``: name globs and NORAD ids or id ranges (see :func:`select_satellites`).
    ``fmt``: force a format instead of detecting it.
    """
    path = Path(path)
    data = _read_bytes(path)
    sats = parse_catalog(data, fmt or detect_format(path, data), str(path))
    const = Constellation(name or path.stem, [Group("catalog", sats, sensor or Sensor())])
    if not _no_selection(select):
        const = select_satellites(const, select, str(path))
    return const


# ---------------------------------------------------------------------------
# Selection


def _no_selection(select) -> bool:
    """None or an empty list of terms: keep every satellite.  (An empty string is a selection
    that names nothing.)"""
    return select is None or (isinstance(select, (list, tuple, set, frozenset)) and not select)


def parse_select(select, path: str | None = None) -> list[tuple[str, object, str]]:
    """Terms from ``select`` (a string or strings; commas separate terms) -> (kind, value, text).

    A term of digits (or Alpha-5, ``A0001``) is a NORAD id, ``N-M`` an inclusive id
    range, anything else a name as written or a glob on it (case-insensitive:
    ``STARLINK-1 [DTC]``, ``JILIN*``, ``*GAOFEN 03D?``).  None or an
    empty list gives no terms; a selection whose strings hold no term (``''``,
    ``','``) is an error naming ``path`` (the catalog), not a selection of everything.
    """
    if _no_selection(select):
        return []
    select = [select] if isinstance(select, str) else list(select)
    terms = []
    for item in select or ():
        for text in str(item).split(","):
            text = text.strip()
            if not text:
                continue
            if re.fullmatch(r"[0-9]+", text):
                terms.append(("id", (int(text), int(text)), text))
            elif re.fullmatch(r"[A-HJ-NP-Z][0-9]{4}", text):  # an Alpha-5 id as a TLE writes it: A0001 = 100001
                n = _alpha5(text)
                terms.append(("id", (n, n), text))
            elif m := re.fullmatch(r"([0-9]+)\s*-\s*([0-9]+)", text):
                lo, hi = int(m.group(1)), int(m.group(2))
                if lo > hi:
                    raise CatalogError(f"id range {text!r} is empty (the first id is larger than the second)",
                                       path, None, "--select")
                terms.append(("id", (lo, hi), text))
            else:
                terms.append(("name", text.upper(), text))
    if not terms:
        raise CatalogError(f"the selection {_name_list([repr(str(x)) for x in select], 4)} names no satellite "
                           "(give names, globs, NORAD ids or id ranges, separated by commas)", path, None,
                           "--select")
    return terms


def _alpha5(text: str) -> int:
    """'A0001' -> 100001 (the letters A-Z without I and O stand for 10-33)."""
    letter = text[0]
    value = ord(letter) - ord("A") + 10 - (letter > "I") - (letter > "O")
    return value * 10000 + int(text[1:])


def _matches(sat: Satellite, kind: str, value) -> bool:
    if kind == "id":
        return value[0] <= sat.satrec.satnum <= value[1]
    # A name as written matches itself, brackets and all ('STARLINK-1 [DTC]'), else it is a glob.
    name = sat.name.upper()
    return name == value or fnmatch.fnmatchcase(name, value)


def select_satellites(constellation: Constellation, select, path: str | None = None) -> Constellation:
    """The satellites matching any term of ``select`` (see :func:`parse_select`), in catalog order.

    A term that matches no satellite is an error (a typo should not silently
    shrink the constellation), as is a selection with no term (``''``).  None or
    an empty list selects every satellite.
    """
    terms = parse_select(select, path)
    if not terms:
        return constellation
    sats = constellation.satellites
    for kind, value, text in terms:
        if not any(_matches(s, kind, value) for s in sats):
            raise CatalogError(f"{text!r} matches none of the {len(sats)} satellites of {constellation.name}",
                               path, None, "--select")
    groups = []
    for g in constellation.groups:
        kept = [s for s in g.satellites if any(_matches(s, kind, value) for kind, value, _ in terms)]
        if kept:
            groups.append(Group(g.name, kept, g.sensor))
    return Constellation(constellation.name, groups)


# ---------------------------------------------------------------------------
# Epochs


def satellite_epochs(constellation: Constellation) -> list[datetime]:
    return [satrec_epoch(s.satrec) for s in constellation.satellites]


def default_start(constellation: Constellation) -> datetime:
    """The latest element-set epoch, floored to the minute: where a catalog's window starts by default."""
    return max(satellite_epochs(constellation)).replace(second=0, microsecond=0)


def _short_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%MZ")


def _name_list(items: list[str], limit: int = 8) -> str:
    text = ", ".join(items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")


def epoch_warnings(constellation: Constellation, start: datetime,
                   max_age_days: float = DEFAULT_MAX_EPOCH_AGE_DAYS) -> list[str]:
    """One-line warnings for element sets whose epoch is more than ``max_age_days`` from ``start``
    (sgp4's error grows with the propagation span: ~1-3 km/day for LEO)."""
    far = []
    for sat, epoch in zip(constellation.satellites, satellite_epochs(constellation)):
        age = (start - epoch).total_seconds() / SECONDS_PER_DAY
        if abs(age) > max_age_days:
            far.append((abs(age), f"{sat.name} ({age:+.1f} d)"))
    if not far:
        return []
    far.sort(key=lambda x: -x[0])
    return [f"{len(far)} of {len(constellation)} element sets have epochs more than {max_age_days:g} days from "
            f"the window start {_short_time(start)} (sgp4 errors grow with that span): "
            f"{_name_list([f for _, f in far])}"]


# ---------------------------------------------------------------------------
# Summary


def _circular_mean_hours(hours: list[float]) -> float:
    ang = [h / 24.0 * 2 * math.pi for h in hours]
    return (math.degrees(math.atan2(sum(map(math.sin, ang)), sum(map(math.cos, ang)))) / 15.0) % 24.0


def cluster_local_times(hours: list[float], tol_hours: float = 0.5) -> list[list[int]]:
    """Indices grouped into planes by local time on the 24 h circle.

    Neighbours closer than ``tol_hours`` share a group (single linkage); a group
    spanning more than ``2 * tol_hours`` is then split at its widest internal gap
    until none does, so that every member lies within about ``tol_hours`` of its
    group's centre.  Groups come in order of their mean local time.
    """
    n = len(hours)
    if n == 0:
        return []
    order = sorted(range(n), key=lambda i: hours[i] % 24.0)
    h = [hours[i] % 24.0 for i in order]
    gaps = [(h[(k + 1) % n] - h[k]) % 24.0 if n > 1 else 24.0 for k in range(n)]  # gap after position k
    widest = max(range(n), key=lambda k: gaps[k])
    # Walk the circle from just after the widest gap: local times unwrap into a line.
    walk = [(widest + 1 + step) % n for step in range(n)]
    chains, current = [], []
    for k in walk:
        current.append(k)
        if gaps[k] > tol_hours:
            chains.append(current)
            current = []
    if current:
        chains.append(current)

    groups = [[order[k] for k in part] for chain in chains for part in _split_chain(chain, gaps, 2 * tol_hours)]
    return sorted(groups, key=lambda g: _circular_mean_hours([hours[i] for i in g]))


def _split_chain(chain: list[int], gaps: list[float], max_span: float) -> list[list[int]]:
    """``chain`` (positions, each followed by its gap in ``gaps``) cut at its widest inner
    gap (the first of equals), and each part again, until no part's inner gaps add up to
    more than ``max_span``; the parts in order.

    Iterative, in time O(n log n) for a chain of n: every cut is the root of a
    Cartesian tree (a max-heap of the inner gaps, the first of equals on top)
    built once with a stack, and spans come from prefix sums (recomputed by
    ``sum`` near ``max_span``, so that a part is cut exactly when the sum of its
    gaps exceeds it).
    """
    inner = [gaps[k] for k in chain[:-1]]
    m = len(inner)
    if m == 0:
        return [chain]
    prefix = [0.0]
    for g in inner:
        prefix.append(prefix[-1] + g)
    # Cartesian tree of inner: left/right children, -1 for none.
    left, right, stack = [-1] * m, [-1] * m, []
    for j in range(m):
        last = -1
        while stack and inner[stack[-1]] < inner[j]:
            last = stack.pop()
        left[j] = last
        if stack:
            right[stack[-1]] = j
        stack.append(j)
    root = stack[0]

    def too_wide(a: int, b: int) -> bool:  # do the inner gaps a..b-1 add up to more than max_span?
        span = prefix[b] - prefix[a]
        if abs(span - max_span) <= 1e-6 * max(1.0, max_span):
            span = sum(inner[a:b])
        return span > max_span

    parts = []
    # (first, last) positions in chain, both included, and the Cartesian-tree node of inner[first:last].
    todo = [(0, m, root)]
    while todo:
        first, last, node = todo.pop()
        if first == last or not too_wide(first, last):
            parts.append(chain[first:last + 1])
            continue
        todo.append((node + 1, last, right[node]))  # done after the left part
        todo.append((first, node, left[node]))
    return parts


def _stats(values: list[float]) -> dict:
    return {"min": min(values), "mean": sum(values) / len(values), "max": max(values)}


def summarize_catalog(constellation: Constellation, plane_tol_hours: float = 0.5,
                      reference: datetime | None = None) -> dict:
    """Count, epochs, altitudes, inclinations and planes by local time of the node.

    Altitudes are km above the WGS-84 equatorial radius from sgp4's (Brouwer)
    mean semi-major axis: mean ``a - Re``, perigee ``a(1-e) - Re``, apogee
    ``a(1+e) - Re``.  Local times of the ascending (LTAN) and descending (LTDN)
    node are mean solar times at ``reference`` (default: the latest epoch), each
    node carried there from its own epoch at sgp4's secular node rate; planes are
    clusters of local time (:func:`cluster_local_times` with ``plane_tol_hours``),
    sun-synchronous satellites (local time drifting less than
    ``SSO_DRIFT_LIMIT_H_PER_30D``) apart from the others, in order of LTDN.
    """
    sats = constellation.satellites
    if not sats:
        raise CatalogError("the catalog has no satellites")
    epochs = satellite_epochs(constellation)
    ref = reference or max(epochs)
    rows = []
    for sat, epoch in zip(sats, epochs):
        s = sat.satrec
        a_km = s.a * s.radiusearthkm
        dt_min = (ref - epoch).total_seconds() / 60.0
        raan_ref = math.degrees(s.nodeo + s.nodedot * dt_min)
        ltan = local_time_of_node_hours(ref, raan_ref)
        drift = (s.nodedot / 60.0 - SSO_NODE_RATE_RAD_S) * SECONDS_PER_DAY * 30.0 / (2 * math.pi) * 24.0
        rows.append(dict(name=sat.name, norad=s.satnum, epoch=epoch, alt=a_km - WGS84_A_KM,
                         perigee=a_km * (1 - s.ecco) - WGS84_A_KM, apogee=a_km * (1 + s.ecco) - WGS84_A_KM,
                         inc=math.degrees(s.inclo), ltan=ltan, drift=drift))
    planes = []
    sso = [i for i, r in enumerate(rows) if abs(r["drift"]) <= SSO_DRIFT_LIMIT_H_PER_30D]
    other = [i for i, r in enumerate(rows) if abs(r["drift"]) > SSO_DRIFT_LIMIT_H_PER_30D]
    for subset, is_sso in ((sso, True), (other, False)):
        for idx in cluster_local_times([rows[i]["ltan"] for i in subset], plane_tol_hours):
            members = [rows[subset[i]] for i in idx]
            ltan = _circular_mean_hours([r["ltan"] for r in members])
            offsets = [(r["ltan"] - ltan + 12.0) % 24.0 - 12.0 for r in members]
            planes.append({
                "ltdn_h": (ltan + 12.0) % 24.0,
                "ltan_h": ltan,
                "ltan_spread_h": max(offsets) - min(offsets),
                "sun_synchronous": is_sso,
                "satellites": len(members),
                "mean_alt_km": _stats([r["alt"] for r in members]),
                "inclination_deg": _stats([r["inc"] for r in members]),
                "ltan_drift_h_per_30d": sum(r["drift"] for r in members) / len(members),
                "names": [r["name"] for r in members],
            })
    planes.sort(key=lambda p: (not p["sun_synchronous"], p["ltdn_h"]))
    iso = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "name": constellation.name,
        "satellites": len(sats),
        "epoch_first": min(epochs).strftime(iso),
        "epoch_last": max(epochs).strftime(iso),
        "reference_epoch": ref.strftime(iso),
        "mean_alt_km": _stats([r["alt"] for r in rows]),
        "perigee_alt_km": _stats([r["perigee"] for r in rows]),
        "apogee_alt_km": _stats([r["apogee"] for r in rows]),
        "inclination_deg": _stats([r["inc"] for r in rows]),
        "plane_tolerance_h": plane_tol_hours,
        "planes": planes,
    }


def format_hours(h: float) -> str:
    minutes = int(round((h % 24.0) * 60.0)) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def summary_text(summary: dict, source: str = "", fmt: str = "") -> str:
    """The summary as the table ``revisit catalog`` prints."""
    s = summary

    def rng(d, f="{:.0f}"):  # 'min-max', or 'min to max' when a minus sign would make '-4--4'
        lo, hi = f.format(d["min"]), f.format(d["max"])
        return f"{lo} to {hi}" if lo.startswith("-") or hi.startswith("-") else f"{lo}-{hi}"

    lines = [f"{source or s['name']}: {s['satellites']} satellites" + (f" ({FORMAT_NAMES.get(fmt, fmt)})" if fmt else ""),
             f"epochs       {s['epoch_first']} .. {s['epoch_last']}",
             f"altitude     mean {rng(s['mean_alt_km'])} km (average {s['mean_alt_km']['mean']:.0f}), perigee "
             f"{rng(s['perigee_alt_km'])} km, apogee {rng(s['apogee_alt_km'])} km (above the WGS-84 equatorial radius)",
             f"inclination  {rng(s['inclination_deg'], '{:.2f}')} deg",
             f"planes       {len(s['planes'])} groups by local time of the node (neighbours within "
             f"{s['plane_tolerance_h']:g} h, each group spanning at most {2 * s['plane_tolerance_h']:g} h) at "
             f"{s['reference_epoch']}:",
             "",
             f"{'LTDN':>6} {'LTAN':>6} {'spread':>7} {'sats':>5} {'mean alt km':>15} {'incl deg':>8} "
             f"{'drift h/30d':>11}  satellites"]
    for p in s["planes"]:
        mark = "" if p["sun_synchronous"] else " (not sun-synchronous)"
        lines.append(f"{format_hours(p['ltdn_h']):>6} {format_hours(p['ltan_h']):>6} "
                     f"{p['ltan_spread_h'] * 60:>5.0f} m {p['satellites']:>5} "
                     f"{p['mean_alt_km']['mean']:>4.0f} ({rng(p['mean_alt_km']):>7}) "
                     f"{p['inclination_deg']['mean']:>8.2f} {p['ltan_drift_h_per_30d']:>+11.2f}  "
                     f"{_name_list(p['names'], 2)}{mark}")
    lines.append("")
    lines.append("LTDN/LTAN: mean local solar time of the descending/ascending node; spread: range of LTAN in the "
                 "group; drift: change of local time per 30 days (0 for sun-synchronous orbits).")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Writing


def catalog_files(constellation: Constellation, path: str | Path, fmt: str | None = None) -> list[Path]:
    """The files :func:`write_catalog` writes: ``path``, except KVN with several
    satellites, which has no combined form (CCSDS 502.0-B-3): one file per satellite
    beside ``path``, its name + '-' + the NORAD id (``plan.kvn`` -> ``plan-00001.kvn``, ...)."""
    path = Path(path)
    fmt = fmt or EXTENSIONS.get(path.suffix.lower())
    if fmt != "kvn" or len(constellation) <= 1:
        return [path]
    return [path.with_name(f"{path.stem}-{s.satrec.satnum:05d}{path.suffix}") for s in constellation.satellites]


def write_catalog(constellation: Constellation, path: str | Path, fmt: str | None = None,
                  creation_date: datetime | None = None) -> str:
    """Write ``constellation`` to ``path`` as a 3LE ('.tle', '.3le', '.txt'), TLE ('.2le') or OMM
    ('.csv', '.json', '.xml', '.kvn') file; returns the format written.  KVN holds one
    message per file: several satellites go to the files :func:`catalog_files` names.
    ``creation_date``: the OMM header's CREATION_DATE (default: now, or SOURCE_DATE_EPOCH)."""
    path = Path(path)
    ext = path.suffix.lower()
    fmt = fmt or EXTENSIONS.get(ext)
    if fmt not in FORMATS:
        raise CatalogError(f"cannot tell which format to write from the extension {ext or '(none)'!r} (use .tle, "
                           ".3le, .2le, .csv, .json, .xml or .kvn; export also writes .czml)", str(path), None,
                           "format")
    if not len(constellation):
        raise CatalogError("nothing to write: the constellation has no satellites", str(path))
    seen: dict[int, str] = {}
    for s in constellation.satellites:
        if s.satrec.satnum in seen:
            raise CatalogError(f"{s.name} and {seen[s.satrec.satnum]} share NORAD id {s.satrec.satnum}; a catalog "
                               "needs distinct ids", str(path))
        seen[s.satrec.satnum] = s.name
    try:
        if fmt == "tle":
            texts = [format_tle_text(constellation, names=ext != ".2le")]
        elif fmt == "kvn":
            texts = format_omm_kvn(constellation, creation_date)
            for text in texts:
                parse_omm(text, fmt, "<written OMM kvn>")  # each file must read back
        else:
            texts = [format_omm(constellation, fmt, creation_date)]
    except CatalogError as exc:
        raise CatalogError(exc.reason, str(path), None, exc.field)
    paths = catalog_files(constellation, path, fmt)
    if len(paths) == 1:
        texts = ["".join(texts)]
    for p, text in zip(paths, texts):
        data = text.encode("utf-8") if fmt != "tle" else text.encode("ascii")
        atomic_write(p, lambda tmp, data=data: Path(tmp).write_bytes(data))
    return fmt


__all__ = ["FORMATS", "read_catalog", "parse_catalog", "detect_format", "catalog_format", "select_satellites",
           "parse_select", "epoch_warnings", "default_start", "summarize_catalog", "summary_text", "write_catalog",
           "catalog_files", "cluster_local_times", "DEFAULT_MAX_EPOCH_AGE_DAYS"]
