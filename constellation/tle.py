"""TLE / 3LE catalog reader.

Accepts two-line sets with or without name lines ("0 NAME" or "NAME").  Every
line is checked (length, line number, mod-10 checksum, matching catalogue
numbers, parseable numbers); a problem raises :class:`CatalogError` naming the
file, the line number and what is wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

from sgp4.api import WGS72, Satrec

from .core import Constellation, Group, Satellite
from .errors import CatalogError
from .sensor import Sensor


def tle_checksum(line: str) -> int:
    """Mod-10 checksum of the first 68 columns: digits count, '-' counts 1."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


# (columns, field name) of the numeric fields sgp4 parses, 0-based [start, end).
_LINE1_FIELDS = [((18, 20), "epoch year"), ((20, 32), "epoch day"),
                 ((33, 43), "mean motion derivative"), ((53, 61), "bstar")]
_LINE2_FIELDS = [((8, 16), "inclination"), ((17, 25), "RAAN"), ((26, 33), "eccentricity"),
                 ((34, 42), "argument of perigee"), ((43, 51), "mean anomaly"),
                 ((52, 63), "mean motion")]


def _check_line(path, lineno, line, expected):
    if len(line) < 69:
        raise CatalogError(f"line is {len(line)} characters long, a TLE line needs 69", path, lineno,
                           f"TLE line {expected}")
    if line[0] != str(expected) or line[1] != " ":
        raise CatalogError(f"expected TLE line {expected} (starting '{expected} '), found {line[:2]!r}",
                           path, lineno, f"TLE line {expected}")
    if not line[68].isdigit():
        raise CatalogError(f"checksum column 69 holds {line[68]!r}, not a digit", path, lineno, "checksum")
    want = tle_checksum(line)
    if int(line[68]) != want:
        raise CatalogError(f"checksum is {line[68]} but the line sums to {want}", path, lineno, "checksum")
    fields = _LINE1_FIELDS if expected == 1 else _LINE2_FIELDS
    for (a, b), name in fields:
        text = line[a:b].strip()
        ok = _IMPLIED.match(text) if name == "bstar" else _is_number("0." + text if name == "eccentricity" else text)
        if not ok:
            raise CatalogError(f"cannot read {text!r} as a number (columns {a + 1}-{b})", path, lineno, name)


# TLE "implied decimal point" fields such as ' 96759-4' (= 0.96759e-4).
_IMPLIED = re.compile(r"^[+-]?\d{1,5}[+-]\d$")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return bool(text)


def parse_tle_text(text: str, path: str = "<string>") -> list[Satellite]:
    """Parse TLE/3LE text into satellites (names kept; unnamed sets get their NORAD id)."""
    lines = text.splitlines()
    sats: list[Satellite] = []
    seen: dict[str, int] = {}
    i = 0
    pending_name: tuple[str, int] | None = None
    while i < len(lines):
        raw = lines[i].rstrip()
        lineno = i + 1
        if not raw.strip():
            i += 1
            continue
        if raw.startswith("1 "):
            if i + 1 >= len(lines):
                raise CatalogError("TLE line 1 has no line 2 after it", path, lineno, "TLE line 2")
            line1 = raw
            line2 = lines[i + 1].rstrip()
            _check_line(path, lineno, line1, 1)
            _check_line(path, lineno + 1, line2, 2)
            if line1[2:7] != line2[2:7]:
                raise CatalogError(f"catalogue number {line2[2:7].strip()!r} differs from line 1's "
                                   f"{line1[2:7].strip()!r}", path, lineno + 1, "catalogue number")
            try:
                satrec = Satrec.twoline2rv(line1, line2, WGS72)
            except Exception as exc:  # sgp4 raises ValueError with a long message
                raise CatalogError(f"sgp4 cannot read this element set ({exc})".splitlines()[0], path, lineno,
                                   "element set")
            if satrec.error:
                raise CatalogError(f"sgp4 rejects this element set (error {satrec.error})", path, lineno,
                                   "element set")
            norad = line1[2:7].strip()
            if norad in seen:
                raise CatalogError(f"NORAD id {norad} appears twice (first at line {seen[norad]})", path, lineno,
                                   "catalogue number")
            seen[norad] = lineno
            name = pending_name[0] if pending_name else norad
            sats.append(Satellite(name, satrec, "catalog"))
            pending_name = None
            i += 2
            continue
        if raw.startswith("2 ") and len(raw) >= 69 and raw[2:7].strip().isdigit():
            raise CatalogError("TLE line 2 without a line 1 before it", path, lineno, "TLE line 1")
        if pending_name is not None:
            raise CatalogError(f"name line {pending_name[0]!r} is not followed by a TLE line 1", path,
                               pending_name[1], "TLE line 1")
        name = raw.strip()
        if name.startswith("0 "):
            name = name[2:].strip()
        pending_name = (name, lineno)
        i += 1
    if pending_name is not None:
        raise CatalogError(f"name line {pending_name[0]!r} is not followed by a TLE line 1", path,
                           pending_name[1], "TLE line 1")
    if not sats:
        raise CatalogError("no element sets found", path, None, None)
    return sats


def read_tle(path: str | Path, sensor: Sensor | None = None, name: str | None = None) -> Constellation:
    """Read a TLE or 3LE file into a one-group :class:`Constellation`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise CatalogError("file not found", str(path))
    except UnicodeDecodeError as exc:
        line = text_line_of_offset(path.read_bytes(), exc.start)
        raise CatalogError("non-ASCII character in a TLE file", str(path), line)
    sats = parse_tle_text(text, str(path))
    return Constellation(name or path.stem, [Group("catalog", sats, sensor or Sensor())])


def text_line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
