"""CCSDS Orbit Mean-Elements Messages (OMM): readers and writers.

Reads the forms CelesTrak and Space-Track serve: CSV (one header row, one row
per object), JSON (an array of objects, numbers as numbers or strings), XML
(``<ndm><omm>...<segment>`` with ``metadata``, ``meanElements`` and
``tleParameters``) and KVN (``KEY = value`` lines, one message per object).
Each record becomes an sgp4 ``Satrec`` through ``sgp4init`` with the same
unit conversions as :mod:`sgp4.omm`.  Every problem raises
:class:`CatalogError` naming the file, the line and the field.  A leading
UTF-8 byte-order mark is skipped; an XML document with a document type
declaration (DTD) is refused (OMM XML has none, and a DTD's entities can
expand a small file into gigabytes).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import xml.parsers.expat
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

from sgp4.api import WGS72, Satrec

from .core import Constellation, Satellite
from .elements import (FIRST_YEAR, LAST_YEAR, NDDOT_UNITS, NDOT_UNITS, XPDOTP, days_since_sgp4_epoch,
                       format_epoch, perigee_problem, satrec_epoch, satrec_problem)
from .errors import CatalogError

# The element set: what sgp4 needs.  A record lacking one of these is an error.
REQUIRED = ("NORAD_CAT_ID", "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
            "ARG_OF_PERICENTER", "MEAN_ANOMALY", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT")
# Bookkeeping with defaults when absent.
OPTIONAL = ("OBJECT_NAME", "OBJECT_ID", "CLASSIFICATION_TYPE", "EPHEMERIS_TYPE", "ELEMENT_SET_NO",
            "REV_AT_EPOCH")
# CelesTrak's column order (CSV) and key order (JSON).
CELESTRAK_FIELDS = ("OBJECT_NAME", "OBJECT_ID", "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION",
                    "RA_OF_ASC_NODE", "ARG_OF_PERICENTER", "MEAN_ANOMALY", "EPHEMERIS_TYPE",
                    "CLASSIFICATION_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO", "REV_AT_EPOCH", "BSTAR",
                    "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT")
# Metadata that, when present, must say "SGP4 mean elements in TEME around the Earth, UTC".
# CelesTrak's KVN always says "SGP/SGP4" (as CCSDS 502.0's own examples do) for the same SGP4 elements.
EXPECTED_METADATA = {"MEAN_ELEMENT_THEORY": ("SGP4", "SGP/SGP4"), "REF_FRAME": ("TEME",), "CENTER_NAME": ("EARTH",),
                     "TIME_SYSTEM": ("UTC",)}
MAX_NORAD_ID = 339999  # the largest sgp4 accepts (Alpha-5 'Z9999')

_DECIMAL = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_EPOCH = re.compile(r"^([0-9]{4})-(?:([0-9]{2})-([0-9]{2})|([0-9]{3}))[T ]([0-9]{2}):([0-9]{2}):"
                    r"([0-9]{2}(?:\.[0-9]*)?)Z?$")
_OBJECT_ID = re.compile(r"^([0-9]{4})-([0-9]{3}[A-Z]{0,3})$")


@dataclass
class Record:
    """One OMM object as read: raw values, and the line each field came from."""

    index: int  # 1-based position in the file
    line: int | None  # where the record starts
    values: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)

    def where(self, key: str) -> int | None:
        return self.lines.get(key, self.line)


# ---------------------------------------------------------------------------
# One record -> Satellite


class _Fields:
    def __init__(self, rec: Record, path: str):
        self.rec = rec
        self.path = path
        norad = rec.values.get("NORAD_CAT_ID")
        name = rec.values.get("OBJECT_NAME")
        label = f"record {rec.index}"
        if isinstance(name, str) and name.strip():
            label += f", {name.strip()[:40]}"
        elif isinstance(norad, (str, int)) and not isinstance(norad, bool) and str(norad).strip():
            label += f", NORAD {str(norad).strip()[:12]}"
        self.label = label

    def fail(self, key: str, message: str):
        raise CatalogError(f"{message} ({self.label})", self.path, self.rec.where(key), key)

    def raw(self, key: str, required: bool = True):
        v = self.rec.values.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                self.fail(key, "missing field" if key not in self.rec.values else "missing value")
            return None
        if isinstance(v, (dict, list)):
            self.fail(key, f"expected a value, found a {'JSON object' if isinstance(v, dict) else 'list'}")
        return v

    def number(self, key: str, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
               hi_open: bool = False) -> float:
        v = self.raw(key)
        if isinstance(v, bool):
            self.fail(key, f"expected a number, found {json.dumps(v)}")
        if isinstance(v, str):
            text = v.strip()
            if not _DECIMAL.match(text):
                self.fail(key, f"cannot read {text[:40]!r} as a number")
            v = float(text)
        try:
            x = float(v)
        except OverflowError:
            x = math.inf
        if not math.isfinite(x):
            self.fail(key, f"{v!r} is not a finite number")
        if lo is not None and (x < lo or (lo_open and x == lo)):
            self.fail(key, f"{x:g} is outside {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}")
        if hi is not None and (x > hi or (hi_open and x == hi)):
            self.fail(key, f"{x:g} is outside {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}")
        return x

    def integer(self, key: str, lo: int, hi: int, required: bool = True, default: int = 0) -> int:
        v = self.raw(key, required)
        if v is None:
            return default
        if isinstance(v, bool):
            self.fail(key, f"expected an integer, found {json.dumps(v)}")
        if isinstance(v, float):
            if not v.is_integer():
                self.fail(key, f"expected an integer, found {v!r}")
            v = int(v)
        if isinstance(v, str):
            text = v.strip()
            if len(text) > 30 or not _INTEGER.match(text):
                self.fail(key, f"cannot read {text[:40]!r} as an integer")
            v = int(text)
        if not lo <= v <= hi:
            self.fail(key, f"{v} is outside [{lo}, {hi}]")
        return v

    def text(self, key: str, default: str = "") -> str:
        v = self.raw(key, required=False)
        if v is None:
            return default
        if isinstance(v, bool):
            self.fail(key, f"expected text, found {json.dumps(v)}")
        return str(v).strip()

    def epoch(self) -> datetime:
        v = self.raw("EPOCH")
        if not isinstance(v, str):
            self.fail("EPOCH", f"expected a date-time such as 2025-10-03T12:00:00.000000, found {v!r}")
        m = _EPOCH.match(v.strip())
        if not m:
            self.fail("EPOCH", f"cannot read {v.strip()[:40]!r} as a date-time such as 2025-10-03T12:00:00.000000")
        year = int(m.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            self.fail("EPOCH", f"year {year} is outside the years sgp4 handles ({FIRST_YEAR}-{LAST_YEAR})")
        try:
            if m.group(4):
                doy = int(m.group(4))
                day = datetime(year, 1, 1, tzinfo=timezone.utc) + timedelta(days=doy - 1)
                if doy < 1 or day.year != year:
                    raise ValueError(f"day of year {doy} does not exist in {year}")
            else:
                day = datetime(year, int(m.group(2)), int(m.group(3)), tzinfo=timezone.utc)
            hour, minute, sec = int(m.group(5)), int(m.group(6)), float(m.group(7))
            if hour > 23 or minute > 59 or sec >= 61.0:
                raise ValueError("time of day out of range")
        except ValueError as exc:
            self.fail("EPOCH", f"{v.strip()[:40]!r} is not a valid date-time ({exc})")
        return day + timedelta(seconds=hour * 3600 + minute * 60 + sec)


def record_to_satellite(rec: Record, path: str) -> Satellite:
    """Validate one OMM record and build its sgp4 ``Satrec``."""
    f = _Fields(rec, path)
    for key, allowed in EXPECTED_METADATA.items():
        value = f.text(key)
        if value and value.upper() not in allowed:
            f.fail(key, f"{value[:40]!r} is not supported (only {' / '.join(allowed)})")
    norad = f.integer("NORAD_CAT_ID", 0, MAX_NORAD_ID)
    epoch = f.epoch()
    mean_motion = f.number("MEAN_MOTION", 0.0, 100.0, lo_open=True)
    ecc = f.number("ECCENTRICITY", 0.0, 1.0, hi_open=True)
    inc = f.number("INCLINATION", 0.0, 180.0)
    raan = f.number("RA_OF_ASC_NODE", -360.0, 360.0)
    argp = f.number("ARG_OF_PERICENTER", -360.0, 360.0)
    mo = f.number("MEAN_ANOMALY", -360.0, 360.0)
    bstar = f.number("BSTAR", -1e9, 1e9)
    ndot = f.number("MEAN_MOTION_DOT", -1e6, 1e6)
    nddot = f.number("MEAN_MOTION_DDOT", -1e9, 1e9)
    classification = f.text("CLASSIFICATION_TYPE", "U")[:1] or "U"
    object_id = f.text("OBJECT_ID")
    ephtype = f.integer("EPHEMERIS_TYPE", 0, 9, required=False)
    if ephtype == 4:
        f.fail("EPHEMERIS_TYPE", "4 is an SGP4-XP element set, which SGP4 cannot propagate")
    elnum = f.integer("ELEMENT_SET_NO", 0, 10**9, required=False, default=999)
    revnum = f.integer("REV_AT_EPOCH", 0, 10**12, required=False)
    name = f.text("OBJECT_NAME") or str(norad)

    sat = Satrec()
    deg = math.pi / 180.0
    try:
        sat.sgp4init(WGS72, "i", norad, days_since_sgp4_epoch(epoch), bstar, ndot / NDOT_UNITS,
                     nddot / NDDOT_UNITS, ecc, argp * deg, inc * deg, mo * deg, mean_motion / XPDOTP, raan * deg)
    except Exception as exc:  # sgp4 raises on values it cannot take
        f.fail("NORAD_CAT_ID", f"sgp4 cannot initialise this element set ({exc})".splitlines()[0])
    sat.classification = classification
    m = _OBJECT_ID.match(object_id)
    sat.intldesg = f"{m.group(1)[2:]}{m.group(2)}" if m else ""
    sat.ephtype = ephtype
    sat.elnum = elnum
    sat.revnum = revnum
    problem = satrec_problem(sat)
    if problem:
        raise CatalogError(f"{problem} ({f.label})", path, rec.line, "element set")
    problem = perigee_problem(sat)
    if problem:
        f.fail("MEAN_MOTION", problem)
    return Satellite(name, sat, "catalog")


def records_to_satellites(records, path: str) -> list[Satellite]:
    sats: list[Satellite] = []
    seen: dict[int, int | None] = {}
    for rec in records:
        sat = record_to_satellite(rec, path)
        norad = sat.satrec.satnum
        if norad in seen:
            first = seen[norad]
            raise CatalogError(f"NORAD id {norad} appears twice (first at "
                               f"{'line ' + str(first) if first else 'an earlier record'})", path,
                               rec.where("NORAD_CAT_ID"), "NORAD_CAT_ID")
        seen[norad] = rec.where("NORAD_CAT_ID")
        sats.append(sat)
    if not sats:
        raise CatalogError("no element sets found", path)
    return sats


# ---------------------------------------------------------------------------
# Readers: text -> records


def csv_records(text: str, path: str) -> list[Record]:
    """CSV with a header row naming the OMM fields (CelesTrak's FORMAT=csv)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = None
    header_line = None
    records = []
    try:
        for row in reader:
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().upper() for cell in row]
                header_line = lineno
                for i, key in enumerate(header):
                    if not key:
                        raise CatalogError(f"column {i + 1} of the header has no name", path, lineno, "header")
                    if key in header[:i]:
                        raise CatalogError(f"column {key} appears twice in the header", path, lineno, key)
                for key in REQUIRED:
                    if key not in header:
                        raise CatalogError("missing column in the header", path, lineno, key)
                continue
            if len(row) != len(header):
                raise CatalogError(f"row has {len(row)} fields, the header (line {header_line}) has {len(header)}",
                                   path, lineno, "row")
            rec = Record(len(records) + 1, lineno, dict(zip(header, row)))
            records.append(rec)
    except csv.Error as exc:
        raise CatalogError(f"CSV syntax error: {exc}", path, reader.line_num, "CSV")
    if header is None:
        raise CatalogError("no header row and no element sets found", path)
    return records


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def json_records(text: str, path: str) -> list[Record]:
    """A JSON array of OMM objects (or one object), as CelesTrak and Space-Track serve."""
    decoder = json.JSONDecoder()
    ws = " \t\n\r"
    n = len(text)

    def skip(i):
        while i < n and text[i] in ws:
            i += 1
        return i

    def decode(i):
        try:
            return decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"JSON syntax error: {exc.msg} (column {exc.colno})", path, exc.lineno, "JSON")
        except RecursionError:
            raise CatalogError("JSON nested too deeply", path, _line_at(text, i), "JSON")
        except ValueError as exc:  # e.g. an integer longer than Python reads
            raise CatalogError(f"JSON value cannot be read: {exc}".splitlines()[0][:120], path, _line_at(text, i),
                               "JSON")

    def record(obj, start, end):
        line = _line_at(text, start)
        if not isinstance(obj, dict):
            raise CatalogError(f"expected an object {{...}} per element set, found {type(obj).__name__}",
                               path, line, "JSON")
        rec = Record(len(records) + 1, line, obj)
        chunk = text[start:end]
        for key in obj:
            at = chunk.find(json.dumps(key))
            rec.lines[key] = _line_at(text, start + at) if at >= 0 else line
        records.append(rec)

    records: list[Record] = []
    i = skip(0)
    if i == n:
        raise CatalogError("empty file", path)
    if text[i] == "[":
        i = skip(i + 1)
        if i < n and text[i] == "]":
            i += 1
        else:
            while True:
                start = i
                obj, i = decode(i)
                record(obj, start, i)
                i = skip(i)
                if i < n and text[i] == ",":
                    i = skip(i + 1)
                    continue
                if i < n and text[i] == "]":
                    i += 1
                    break
                raise CatalogError("JSON syntax error: expected ',' or ']' after an element set", path,
                                   _line_at(text, i), "JSON")
    else:
        start = i
        obj, i = decode(i)
        record(obj, start, i)
    i = skip(i)
    if i < n:
        raise CatalogError("JSON syntax error: extra data after the end", path, _line_at(text, i), "JSON")
    return records


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def xml_records(data: bytes, path: str) -> list[Record]:
    """CCSDS NDM/XML OMM: every ``segment`` element is one element set."""
    records: list[Record] = []
    stack: list[list] = []  # [tag, line, text parts, has children]
    current: list[Record | None] = [None]
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    except AttributeError:  # pragma: no cover - old expat
        pass

    def start(tag, attrs):
        tag = _local(tag)
        if stack:
            stack[-1][3] = True
        line = parser.CurrentLineNumber
        stack.append([tag, line, [], False])
        if tag == "segment":
            if current[0] is not None:
                raise CatalogError("a segment inside a segment", path, line, "segment")
            current[0] = Record(len(records) + 1, line)

    def end(tag):
        tag, line, parts, has_children = stack.pop()
        rec = current[0]
        if tag == "segment":
            records.append(rec)
            current[0] = None
        elif rec is not None and not has_children and tag in XML_FIELDS:
            # Other leaves (COMMENT, CREATION_DATE, Space-Track's USER_DEFINED parameters...) are not read.
            if tag in rec.values:
                raise CatalogError(f"appears twice in the segment (first at line {rec.lines[tag]})", path, line, tag)
            rec.values[tag] = "".join(parts)
            rec.lines[tag] = line

    def chars(text):
        if stack:
            stack[-1][2].append(text)

    def doctype(*_):
        raise CatalogError("a document type declaration (<!DOCTYPE ...>) is not allowed in OMM XML", path,
                           parser.CurrentLineNumber, "XML")

    def entity(name, *_):
        raise CatalogError(f"an entity declaration ({name!r}) is not allowed in OMM XML", path,
                           parser.CurrentLineNumber, "XML")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(data, True)
    except CatalogError:
        raise  # raised by a handler above: already names the file, line and field
    except xml.parsers.expat.ExpatError as exc:
        raise CatalogError(f"XML syntax error: {xml.parsers.expat.errors.messages.get(exc.code, exc)}"
                           f" (column {exc.offset + 1})", path, exc.lineno, "XML")
    except (LookupError, ValueError) as exc:  # an unknown or wrong encoding declaration
        raise CatalogError(f"XML cannot be decoded: {exc}".splitlines()[0][:160], path,
                           parser.CurrentLineNumber, "XML")
    if not records:
        raise CatalogError("no <segment> element (no OMM element set) found", path, None, "XML")
    return records


# The OMM fields an XML segment's leaves are read for.
XML_FIELDS = frozenset(REQUIRED + OPTIONAL + tuple(EXPECTED_METADATA))

# A KVN value's unit, where one is given, must be the CCSDS unit its field is read in
# (the spellings found in the wild for it): "INCLINATION = 0.6 [rad]" is refused, not read as degrees.
KVN_UNITS = {"MEAN_MOTION": ("rev/day",), "INCLINATION": ("deg",), "RA_OF_ASC_NODE": ("deg",),
             "ARG_OF_PERICENTER": ("deg",), "MEAN_ANOMALY": ("deg",), "BSTAR": ("1/er", "er**-1", "1/earthradii"),
             "MEAN_MOTION_DOT": ("rev/day**2",), "MEAN_MOTION_DDOT": ("rev/day**3",)}


def _kvn_unit(unit: str) -> str:
    return unit.strip()[1:-1].replace(" ", "").replace("^", "**").lower()


_KVN_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*(\[[^\]]*\])?\s*$")


def kvn_records(text: str, path: str) -> list[Record]:
    """CCSDS OMM KVN: ``KEY = value [unit]`` lines; each ``CCSDS_OMM_VERS`` (or a key seen
    again) starts a new element set."""
    records: list[Record] = []
    rec: Record | None = None
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("COMMENT"):
            continue
        m = _KVN_LINE.match(line)
        if not m:
            raise CatalogError(f"expected 'KEY = value', found {line[:40]!r}", path, lineno, "KVN")
        key, value = m.group(1).upper(), m.group(2)
        if key in _TEXT_FIELDS and m.group(3):
            # Text values carry no unit: "OBJECT_NAME = SAT [B]" names "SAT [B]".
            value = f"{value} {m.group(3)}".strip()
        elif key in KVN_UNITS and m.group(3) and _kvn_unit(m.group(3)) not in KVN_UNITS[key]:
            raise CatalogError(f"unit {m.group(3)} is not the [{KVN_UNITS[key][0]}] this field is read in (CCSDS "
                               "502.0): convert the value", path, lineno, key)
        if rec is None or key == "CCSDS_OMM_VERS" or key in rec.values:
            rec = Record(len(records) + 1, lineno)
            records.append(rec)
        rec.values[key] = value
        rec.lines[key] = lineno
    if not records:
        raise CatalogError("no element sets found", path)
    return records


def parse_omm(data: bytes | str, fmt: str, path: str = "<string>") -> list[Satellite]:
    """Parse OMM ``data`` in ``fmt`` ('csv', 'json', 'xml' or 'kvn') into satellites."""
    if fmt == "xml":
        raw = data.encode("utf-8") if isinstance(data, str) else data
        return records_to_satellites(xml_records(raw, path), path)
    text = data.removeprefix("\ufeff") if isinstance(data, str) else decode_text(data, path)
    if fmt == "csv":
        records = csv_records(text, path)
    elif fmt == "json":
        records = json_records(text, path)
    elif fmt == "kvn":
        records = kvn_records(text, path)
    else:
        raise ValueError(f"unknown OMM format {fmt!r}")
    return records_to_satellites(records, path)


def decode_text(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError("not UTF-8 text", path, data.count(b"\n", 0, exc.start) + 1, "encoding")


# ---------------------------------------------------------------------------
# Writers
#
# What is written follows CCSDS 502.0-B-3 (ODM version 3, OMM version 3.0): a
# header (CREATION_DATE, ORIGINATOR), metadata (OBJECT_NAME, OBJECT_ID,
# CENTER_NAME, REF_FRAME, TIME_SYSTEM, MEAN_ELEMENT_THEORY) and the SGP4 mean
# elements with their TLE parameters.  XML is one NDM combined instantiation
# (``<ndm>`` holding one ``<omm>`` per satellite); KVN has no combined form, so
# :func:`format_omm_kvn` gives one message per satellite, each a file of its own
# (``constellation.catalog.write_catalog``).  CSV and JSON are CelesTrak's forms.

OMM_VERSION = "3.0"
ORIGINATOR = "revisit"
XML_SCHEMA = "https://sanaregistry.org/r/ndmxml_unqualified/ndmxml-4.0.0-master-4.0.xsd"
# OBJECT_ID of a satellite without an international designator (a synthetic
# one): launch number 000, which no real launch has, in its epoch's year, and
# pieces A, B, ..., Z, AA, ... (no I or O, as in real designators) by its place
# among such satellites in the file: unique for the first PLACEHOLDER_PIECES.
PLACEHOLDER_LAUNCH = "000"
PIECE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLACEHOLDER_PIECES = sum(len(PIECE_LETTERS) ** k for k in (1, 2, 3))
# The order and units of the KVN keywords (CCSDS 502.0-B-3, tables 4-1 to 4-3).
KVN_HEADER = ("CREATION_DATE", "ORIGINATOR")
KVN_METADATA = ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "TIME_SYSTEM", "MEAN_ELEMENT_THEORY")
KVN_MEAN_ELEMENTS = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE", "ARG_OF_PERICENTER",
                     "MEAN_ANOMALY")
KVN_TLE_PARAMETERS = ("EPHEMERIS_TYPE", "CLASSIFICATION_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO", "REV_AT_EPOCH",
                      "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT")
UNITS = {"MEAN_MOTION": "rev/day", "INCLINATION": "deg", "RA_OF_ASC_NODE": "deg", "ARG_OF_PERICENTER": "deg",
         "MEAN_ANOMALY": "deg", "BSTAR": "1/ER", "MEAN_MOTION_DOT": "rev/day**2", "MEAN_MOTION_DDOT": "rev/day**3"}
METADATA = {"CENTER_NAME": "EARTH", "REF_FRAME": "TEME", "TIME_SYSTEM": "UTC", "MEAN_ELEMENT_THEORY": "SGP4"}


def _num(x: float) -> str:
    """15 significant digits: exact for catalog values, and stable when read back and written again."""
    text = f"{x:.15g}"
    return "0" if text == "-0" else text


def placeholder_piece(k: int) -> str:
    """The piece letters of the k-th (0-based) placeholder: A..Z, AA..ZZ, AAA..ZZZ (no I, O), then again."""
    k %= PLACEHOLDER_PIECES
    n = len(PIECE_LETTERS)
    width = 1
    while k >= n ** width:
        k -= n ** width
        width += 1
    letters = ""
    for _ in range(width):
        k, r = divmod(k, n)
        letters = PIECE_LETTERS[r] + letters
    return letters


def object_id(sat: Satellite, placeholder_index: int | None = None) -> str:
    """The satellite's international designator as OMM writes it (``1998-067A``), or
    the placeholder ``YYYY-000`` + piece when it has none (``placeholder_index``:
    its place among the satellites without one)."""
    s = sat.satrec
    intl = (getattr(s, "intldesg", "") or "").strip()
    if re.match(r"^[0-9]{5}[A-Z]{0,3}$", intl):
        year = int(intl[:2])
        return f"{year + (1900 if year >= 57 else 2000)}-{intl[2:]}"
    return f"{satrec_epoch(s).year:04d}-{PLACEHOLDER_LAUNCH}{placeholder_piece(placeholder_index or 0)}"


def omm_fields(sat: Satellite, placeholder_index: int | None = None) -> dict:
    """The OMM fields of one satellite, as text, in CelesTrak's order."""
    s = sat.satrec
    values = {
        "OBJECT_NAME": sat.name,
        "OBJECT_ID": object_id(sat, placeholder_index),
        "EPOCH": format_epoch(satrec_epoch(s)),
        "MEAN_MOTION": _num(s.no_kozai * XPDOTP),
        "ECCENTRICITY": _num(s.ecco),
        "INCLINATION": _num(math.degrees(s.inclo)),
        "RA_OF_ASC_NODE": _num(math.degrees(s.nodeo)),
        "ARG_OF_PERICENTER": _num(math.degrees(s.argpo)),
        "MEAN_ANOMALY": _num(math.degrees(s.mo)),
        "EPHEMERIS_TYPE": str(getattr(s, "ephtype", 0) or 0),
        "CLASSIFICATION_TYPE": (getattr(s, "classification", "U") or "U")[:1],
        "NORAD_CAT_ID": str(s.satnum),
        "ELEMENT_SET_NO": str(getattr(s, "elnum", 999)),
        "REV_AT_EPOCH": str(getattr(s, "revnum", 0) or 0),
        "BSTAR": _num(s.bstar),
        "MEAN_MOTION_DOT": _num(s.ndot * NDOT_UNITS),
        "MEAN_MOTION_DDOT": _num(s.nddot * NDDOT_UNITS),
    }
    return {k: values[k] for k in CELESTRAK_FIELDS}


def _rows(constellation: Constellation) -> list[dict]:
    rows, synthetic = [], 0
    for s in constellation.satellites:
        intl = (getattr(s.satrec, "intldesg", "") or "").strip()
        if re.match(r"^[0-9]{5}[A-Z]{0,3}$", intl):
            rows.append(omm_fields(s))
        else:
            rows.append(omm_fields(s, synthetic))
            synthetic += 1
    return rows


def creation_date_text(when: datetime | None = None) -> str:
    """CREATION_DATE: ``when`` (UTC), else the time given by SOURCE_DATE_EPOCH (seconds
    since 1970, for reproducible files), else now; to the second."""
    if when is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        when = (datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit()
                else datetime.now(timezone.utc))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return format_epoch(when, digits=0)


def _kvn_value(key: str, value: str) -> str:
    value = " ".join(value.splitlines())  # a KVN value is one line
    unit = UNITS.get(key)
    return f"{key} = {value} [{unit}]" if unit else f"{key} = {value}"


def format_omm_kvn(constellation: Constellation, creation_date: datetime | None = None) -> list[str]:
    """One KVN OMM (CCSDS 502.0-B-3) per satellite, in the constellation's order."""
    header = {"CREATION_DATE": creation_date_text(creation_date), "ORIGINATOR": ORIGINATOR}
    messages = []
    for row in _rows(constellation):
        row = {**header, **METADATA, **row}
        blocks = [[f"CCSDS_OMM_VERS = {OMM_VERSION}"] + [_kvn_value(k, row[k]) for k in KVN_HEADER]]
        for keys in (KVN_METADATA, KVN_MEAN_ELEMENTS, KVN_TLE_PARAMETERS):
            blocks.append([_kvn_value(k, row[k]) for k in keys])
        messages.append("\n\n".join("\n".join(b) for b in blocks) + "\n")
    return messages


_INT_FIELDS = ("EPHEMERIS_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO", "REV_AT_EPOCH")
_TEXT_FIELDS = ("OBJECT_NAME", "OBJECT_ID", "EPOCH", "CLASSIFICATION_TYPE")


def format_omm(constellation: Constellation, fmt: str, creation_date: datetime | None = None) -> str:
    """The constellation as OMM text in ``fmt`` ('csv', 'json', 'xml' or 'kvn').

    'kvn' gives the messages of :func:`format_omm_kvn` one after another (as
    Space-Track serves them, and as :func:`parse_omm` reads them); a CCSDS KVN
    file holds one.  ``creation_date``: the header's CREATION_DATE (XML, KVN;
    see :func:`creation_date_text`)."""
    if fmt == "kvn":
        text = "\n".join(format_omm_kvn(constellation, creation_date))
        parse_omm(text, fmt, f"<written OMM {fmt}>")  # what we write must read back
        return text
    rows = _rows(constellation)
    if fmt == "csv":
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\r\n")  # CelesTrak's line ending
        w.writerow(CELESTRAK_FIELDS)
        for row in rows:
            w.writerow([row[k] for k in CELESTRAK_FIELDS])
        text = buf.getvalue()
    elif fmt == "json":
        objs = [{k: (v if k in _TEXT_FIELDS else int(v) if k in _INT_FIELDS else float(v)) for k, v in row.items()}
                for row in rows]
        text = "[" + ",\n".join(json.dumps(o) for o in objs) + "]\n"
    elif fmt == "xml":
        def tags(row, keys):
            return "".join(f"<{k}>{escape(row[k])}</{k}>" for k in keys)

        header = (f"<header><CREATION_DATE>{creation_date_text(creation_date)}</CREATION_DATE>"
                  f"<ORIGINATOR>{ORIGINATOR}</ORIGINATOR></header>")
        parts = ['<?xml version="1.0" encoding="UTF-8"?>',
                 f'<ndm xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                 f'xsi:noNamespaceSchemaLocation="{XML_SCHEMA}">']
        for row in rows:
            row = {**METADATA, **row}
            parts.append(f'<omm id="CCSDS_OMM_VERS" version="{OMM_VERSION}">\n{header}\n'
                         f"<body><segment><metadata>{tags(row, KVN_METADATA)}</metadata>\n"
                         f"<data><meanElements>{tags(row, KVN_MEAN_ELEMENTS)}</meanElements>\n"
                         f"<tleParameters>{tags(row, KVN_TLE_PARAMETERS)}</tleParameters></data></segment></body>"
                         "</omm>")
        parts.append("</ndm>")
        text = "\n".join(parts) + "\n"
    else:
        raise ValueError(f"unknown OMM format {fmt!r}")
    parse_omm(text, fmt, f"<written OMM {fmt}>")  # what we write must read back
    return text
