"""TLE / 3LE catalog reader.

Accepts two-line sets with or without name lines ("0 NAME" or "NAME"), and a
leading UTF-8 byte-order mark.  Every line is checked (length, line number,
mod-10 checksum, matching catalogue numbers, parseable numbers, a perigee above
the Earth's surface); a problem raises :class:`CatalogError` naming the file,
the line number and what is wrong.  Lines 1 and 2 hold exactly 69 characters
and a name line at most :data:`MAX_NAME_LINE` (trailing spaces and carriage
returns aside).
"""

from __future__ import annotations

import re
from pathlib import Path

from sgp4.api import WGS72, Satrec

from .constants import SECONDS_PER_DAY
from .core import Constellation, Group, Satellite
from .elements import perigee_problem, satrec_problem
from .errors import CatalogError
from .files import MAX_CATALOG_BYTES, read_limited, text_lines
from .sensor import Sensor

TLE_LINE = 69
# A name line ("0 NAME" or "NAME"): the format's name field holds 24 characters;
# longer names (CelesTrak's OMM names) are accepted up to this many characters.
MAX_NAME_LINE = 80
UTF8_BOM = b"\xef\xbb\xbf"


def tle_checksum(line: str) -> int:
    """Mod-10 checksum of the first 68 columns: digits count, '-' counts 1.

    sgp4.io.compute_checksum computes the same for ASCII lines, but counts any
    character str.isdigit() accepts (superscripts, other scripts' digits), so a
    corrupted line could pass it; here only 0-9 count."""
    total = 0
    for ch in line[:68]:
        if "0" <= ch <= "9":
            total += ord(ch) - 48
        elif ch == "-":
            total += 1
    return total % 10


# (columns, field name) of the numeric fields sgp4 parses, 0-based [start, end).
_LINE1_FIELDS = [((18, 20), "epoch year"), ((20, 32), "epoch day"),
                 ((33, 43), "mean motion derivative"), ((44, 52), "mean motion second derivative"),
                 ((53, 61), "bstar")]
# 0-based columns that are blank between fields.  sgp4 reads a line by splitting it
# at blanks, so a field run into its neighbour would be read from other columns
# than the ones checked here.
_LINE1_BLANKS = (8, 17, 32, 43, 52, 61, 63)
_LINE2_BLANKS = (7, 16, 25, 33, 42, 51)
_LINE2_FIELDS = [((8, 16), "inclination"), ((17, 25), "RAAN"), ((26, 33), "eccentricity"),
                 ((34, 42), "argument of perigee"), ((43, 51), "mean anomaly"),
                 ((52, 63), "mean motion")]


def _check_line(path, lineno, line, expected):
    if len(line) != TLE_LINE:
        raise CatalogError(f"line is {len(line)} characters long, a TLE line needs {TLE_LINE}", path, lineno,
                           f"TLE line {expected}")
    if line[0] != str(expected) or line[1] != " ":
        raise CatalogError(f"expected TLE line {expected} (starting '{expected} '), found {line[:2]!r}",
                           path, lineno, f"TLE line {expected}")
    if not "0" <= line[68] <= "9":
        raise CatalogError(f"checksum column 69 holds {line[68]!r}, not a digit", path, lineno, "checksum")
    want = tle_checksum(line)
    if int(line[68]) != want:
        raise CatalogError(f"checksum is {line[68]} but the line sums to {want}", path, lineno, "checksum")
    for col in _LINE1_BLANKS if expected == 1 else _LINE2_BLANKS:
        if line[col] != " ":
            raise CatalogError(f"column {col + 1} holds {line[col]!r}, a blank between fields in TLE line {expected}",
                               path, lineno, f"TLE line {expected}")
    number = line[2:7]
    if not _CATALOGUE_NUMBER.match(number):
        raise CatalogError(f"{number.strip()!r} is not a catalogue number (up to 5 digits, or Alpha-5: a capital "
                           "letter other than I and O, then 4 digits; columns 3-7)", path, lineno, "catalogue number")
    if expected == 1 and line[62] == "4":
        raise CatalogError("ephemeris type 4 is an SGP4-XP element set, which SGP4 cannot propagate (column 63)",
                           path, lineno, "ephemeris type")
    if expected == 1 and not re.fullmatch(r"[0-9]{2}", line[18:20]):
        # sgp4 reads the year as any integer in these columns and the day after it, so ' 5'
        # would take the day's first digit as its year.
        raise CatalogError(f"{line[18:20]!r} is not a two-digit year (columns 19-20)", path, lineno, "epoch year")
    fields = _LINE1_FIELDS if expected == 1 else _LINE2_FIELDS
    for (a, b), name in fields:
        text = line[a:b].strip()
        ok = _IMPLIED.match(text) if name in _IMPLIED_FIELDS else _is_number("0." + text if name == "eccentricity" else text)
        if not ok:
            raise CatalogError(f"cannot read {text!r} as a number (columns {a + 1}-{b})", path, lineno, name)
        if name == "epoch day" and not 1.0 <= float(text) < 367.0:
            raise CatalogError(f"day of year {text} is outside 1-366 (columns {a + 1}-{b})", path, lineno, name)
        if name == "epoch day" and float(text) >= 366.0:
            yy = int(line[18:20])
            year = 1900 + yy if yy >= 57 else 2000 + yy
            if not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
                raise CatalogError(f"day of year {text} does not exist in {year} (columns {a + 1}-{b})", path,
                                   lineno, name)
        if name == "mean motion derivative" and "." not in text:
            raise CatalogError(f"{text!r} has no decimal point (columns {a + 1}-{b}: e.g. ' .00016717')", path,
                               lineno, name)
        if name in _ANGLE_RANGES:
            lo, hi = _ANGLE_RANGES[name]
            if not lo <= float(text) <= hi:
                raise CatalogError(f"{text} deg is outside {lo:g}-{hi:g} deg (columns {a + 1}-{b})", path, lineno,
                                   name)


# Columns 3-7: a number right-aligned in 5 columns (leading blanks or zeros), or Alpha-5 (A0001 = 100001;
# the letters skip I and O, as the format's definition does).
_CATALOGUE_NUMBER = re.compile(r"^(?: *[0-9]{1,5}|[A-HJ-NP-Z][0-9]{4})$")

# Line 2's angles (deg); the same bounds as an OMM's (inclination 0-180, the others one turn).
_ANGLE_RANGES = {"inclination": (0.0, 180.0), "RAAN": (0.0, 360.0), "argument of perigee": (0.0, 360.0),
                 "mean anomaly": (0.0, 360.0)}

# TLE "implied decimal point" fields such as ' 96759-4' (= 0.96759e-4).
_IMPLIED_FIELDS = ("bstar", "mean motion second derivative")
_IMPLIED = re.compile(r"^[+-]?[0-9]{1,5}[+-][0-9]$")


# Plain decimals only: TLE columns never hold exponents, 'nan', 'inf' or underscores.
_DECIMAL = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$")


def _is_number(text: str) -> bool:
    return bool(_DECIMAL.match(text))


def parse_tle_text(text: str, path: str = "<string>") -> list[Satellite]:
    """Parse TLE/3LE text into satellites (names kept; unnamed sets get their NORAD id)."""
    lines = text_lines(text.removeprefix("\ufeff"))
    sats: list[Satellite] = []
    seen: dict[int, int] = {}
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
            problem = satrec_problem(satrec)
            if problem:
                raise CatalogError(problem, path, lineno, "element set")
            problem = perigee_problem(satrec)
            if problem:
                raise CatalogError(f"{problem} (columns 53-63)", path, lineno + 1, "mean motion")
            norad = satrec.satnum  # "00123" and "  123" are one satellite
            if norad in seen:
                raise CatalogError(f"NORAD id {norad} appears twice (first at line {seen[norad]})", path, lineno,
                                   "catalogue number")
            seen[norad] = lineno
            name = pending_name[0] if pending_name else line1[2:7].strip()
            sats.append(Satellite(name, satrec, "catalog"))
            pending_name = None
            i += 2
            continue
        if raw.startswith("2 ") and len(raw) >= 69 and raw[2:7].strip().isdigit():
            raise CatalogError("TLE line 2 without a line 1 before it", path, lineno, "TLE line 1")
        if len(raw) > MAX_NAME_LINE:
            raise CatalogError(f"line is {len(raw)} characters long, a name line holds at most {MAX_NAME_LINE} "
                               f"(and TLE lines 1 and 2 start with '1 ' and '2 ')", path, lineno, "name line")
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


def decode_tle(data: bytes, path: str = "<string>") -> str:
    """TLE/3LE file contents as text: ASCII after an optional UTF-8 byte-order mark."""
    try:
        return data.removeprefix(UTF8_BOM).decode("ascii")
    except UnicodeDecodeError as exc:
        start = exc.start + (len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0)
        raise CatalogError("non-ASCII character in a TLE file", path, text_line_of_offset(data, start), "encoding")


def read_tle(path: str | Path, sensor: Sensor | None = None, name: str | None = None) -> Constellation:
    """Read a TLE or 3LE file (at most ``MAX_CATALOG_BYTES``) into a one-group :class:`Constellation`."""
    path = Path(path)
    data = read_limited(path, MAX_CATALOG_BYTES, CatalogError, "catalog file")
    sats = parse_tle_text(decode_tle(data, str(path)), str(path))
    return Constellation(name or path.stem, [Group("catalog", sats, sensor or Sensor())])


def text_line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# ---------------------------------------------------------------------------
# Writer


def _implied(value: float, what: str) -> str:
    """8-column 'implied decimal point' field: 0.12345e-4 -> ' 12345-4'."""
    if value == 0.0 or abs(value) < 1e-10:
        return " 00000+0"
    mantissa, exp10 = f"{abs(value):.4e}".split("e")  # '1.2345', '-05'
    exponent = int(exp10) + 1  # 1.2345e-5 = 0.12345e-4
    if exponent > 9:
        raise CatalogError(f"{what} {value:g} is too large for a TLE")
    if exponent < -9:
        return " 00000+0"
    sign = "-" if value < 0 else " "
    return f"{sign}{mantissa.replace('.', '')}{'-' if exponent < 0 else '+'}{abs(exponent)}"


def _tle_epoch(satrec) -> str:
    """'YYDDD.DDDDDDDD' (14 columns) from the element set's epoch."""
    from datetime import datetime, timezone

    from .elements import FIRST_YEAR, LAST_YEAR, satrec_epoch

    epoch = satrec_epoch(satrec)
    year = epoch.year
    jan1 = datetime(year, 1, 1, tzinfo=timezone.utc)
    day = round((epoch - jan1).total_seconds() / SECONDS_PER_DAY + 1.0, 8)
    days_in_year = (datetime(year + 1, 1, 1, tzinfo=timezone.utc) - jan1).days
    if day >= days_in_year + 1:
        year, day = year + 1, 1.0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CatalogError(f"epoch year {year} is outside the years a TLE can hold ({FIRST_YEAR}-{LAST_YEAR})")
    return f"{year % 100:02d}{day:012.8f}"


def format_tle(satrec) -> tuple[str, str]:
    """The two 69-column lines of an sgp4 ``Satrec`` (read from a catalog or built by ``sgp4init``).

    Angles are written to 1e-4 deg, eccentricity to 1e-7, mean motion to
    1e-8 rev/day and the epoch to 1e-8 day, the precision of the format.
    Raises :class:`CatalogError` when a value does not fit the format.
    """
    import math

    from .elements import NDDOT_UNITS, NDOT_UNITS, XPDOTP

    satnum = satrec.satnum_str.strip()
    if len(satnum) > 5:
        raise CatalogError(f"NORAD id {satrec.satnum} does not fit a TLE")
    satnum = satnum.rjust(5, "0")
    classification = (getattr(satrec, "classification", "U") or "U").strip()[:1] or "U"
    intl = (getattr(satrec, "intldesg", "") or "").strip()[:8]
    ndot = satrec.ndot * NDOT_UNITS
    if not abs(round(ndot, 8)) < 1.0:
        raise CatalogError(f"mean motion derivative {ndot:g} rev/day^2 is too large for a TLE")
    ndot_text = f"{ndot:+.8f}".replace("+0.", " .").replace("-0.", "-.")
    ephtype = getattr(satrec, "ephtype", 0)
    ephtype = ephtype if isinstance(ephtype, int) and 0 <= ephtype <= 9 else 0
    elnum = int(getattr(satrec, "elnum", 0) or 0) % 10000
    line1 = (f"1 {satnum}{classification} {intl:<8} {_tle_epoch(satrec)} {ndot_text} "
             f"{_implied(satrec.nddot * NDDOT_UNITS, 'mean motion second derivative')} "
             f"{_implied(satrec.bstar, 'bstar')} {ephtype} {elnum:4d}")

    def angle(rad: float) -> str:
        return f"{math.degrees(rad) % 360.0:8.4f}"

    ecc = round(satrec.ecco * 1e7)
    if not 0 <= ecc < 10**7:
        raise CatalogError(f"eccentricity {satrec.ecco} does not fit a TLE")
    mean_motion = satrec.no_kozai * XPDOTP
    if not 0 < mean_motion < 100:
        raise CatalogError(f"mean motion {mean_motion:g} rev/day does not fit a TLE")
    revnum = int(getattr(satrec, "revnum", 0) or 0) % 100000
    line2 = (f"2 {satnum} {math.degrees(satrec.inclo):8.4f} {angle(satrec.nodeo)} {ecc:07d} "
             f"{angle(satrec.argpo)} {angle(satrec.mo)} {mean_motion:11.8f}{revnum:5d}")
    return line1 + str(tle_checksum(line1)), line2 + str(tle_checksum(line2))


def format_tle_text(constellation: Constellation, names: bool = True) -> str:
    """The constellation as 3LE text (a name line before each pair) or plain TLE.

    Names are written in ASCII and cut to :data:`MAX_NAME_LINE` characters, what the reader takes."""
    out = []
    for sat in constellation.satellites:
        line1, line2 = format_tle(sat.satrec)
        if names:
            name = (sat.name or "").encode("ascii", "replace").decode("ascii").strip() or str(sat.satrec.satnum)
            if name[:2] in ("0 ", "1 ", "2 "):
                name = "0 " + name  # keep a name such as '1 A' from reading as a TLE line
            out.append(name[:MAX_NAME_LINE].rstrip())
        out += [line1, line2]
    text = "\n".join(out) + "\n"
    parse_tle_text(text, "<written TLE>")  # what we write must read back
    return text
