"""Property-based tests: random corruptions of valid catalogs raise CatalogError and nothing else
(one line naming the file), and random valid catalogs in every format read back to what was written."""

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from conftest import CATALOG_SAMPLES, read_sample
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sgp4.api import WGS72, Satrec

from constellation.catalog import detect_format, parse_catalog
from constellation.core import Constellation, Group, Satellite
from constellation.elements import days_since_sgp4_epoch, satrec_problem
from constellation.errors import CatalogError
from constellation.omm import format_omm
from constellation.tle import format_tle_text

# Valid catalogs to corrupt: tests/data/catalog/sample.* (two element sets in each format).
SAMPLES = {fmt: read_sample(path) for fmt, path in CATALOG_SAMPLES.items()}
EXT = {fmt: path.suffix for fmt, path in CATALOG_SAMPLES.items()}
FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NASTY = list(b"0123456789.-+ eE,;:\"'<>/=[]{}\n\r\tAZaz_") + [0, 0x7f, 0xc3, 0xe9, 0xff]


@st.composite
def corruptions(draw, data: bytes):
    """1-4 edits of ``data``: byte replacements, deletions, insertions, line duplication/removal/swap,
    truncation."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["replace", "replace", "delete", "insert", "dupline", "dropline", "swap",
                                   "truncate"]))
        n = len(data)
        i = draw(st.integers(0, max(n - 1, 0)))
        if op == "replace" and n:
            data[i] = draw(st.sampled_from(NASTY) | st.integers(0, 255))
        elif op == "delete" and n:
            del data[i:i + draw(st.integers(1, 12))]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=6) | st.lists(st.sampled_from(NASTY), min_size=1,
                                                                           max_size=6).map(bytes))
        else:
            lines = bytes(data).split(b"\n")
            j = draw(st.integers(0, len(lines) - 1))
            k = draw(st.integers(0, len(lines) - 1))
            if op == "dupline":
                lines.insert(j, lines[j])
            elif op == "dropline":
                del lines[j]
            elif op == "swap":
                lines[j], lines[k] = lines[k], lines[j]
            elif op == "truncate":
                lines = lines[:j]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def _only_catalog_errors(data: bytes, name: str):
    try:
        sats = parse_catalog(data, detect_format(name, data), name)
    except CatalogError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith(name), msg
        return
    assert sats
    for s in sats:
        assert satrec_problem(s.satrec) is None
    # Whatever reads can be written as OMM CSV and read back; a TLE either holds it or says why not.
    const = Constellation("c", [Group("catalog", sats)])
    again = parse_catalog(format_omm(const, "csv").encode(), "csv", "again.csv")
    assert [s.satrec.satnum for s in again] == [s.satrec.satnum for s in sats]
    try:
        format_tle_text(const)
    except CatalogError:
        pass


def _fuzz_test(fmt):
    @FUZZ
    @given(corruptions(SAMPLES[fmt].encode()))
    def test(data):
        _only_catalog_errors(data, f"fuzz{EXT[fmt]}")

    test.__name__ = f"test_corrupted_{fmt}_raises_only_catalog_error"
    return test


test_corrupted_tle_raises_only_catalog_error = _fuzz_test("tle")
test_corrupted_csv_raises_only_catalog_error = _fuzz_test("csv")
test_corrupted_json_raises_only_catalog_error = _fuzz_test("json")
test_corrupted_xml_raises_only_catalog_error = _fuzz_test("xml")
test_corrupted_kvn_raises_only_catalog_error = _fuzz_test("kvn")


def test_the_uncorrupted_samples_parse():
    for fmt, text in SAMPLES.items():
        assert len(parse_catalog(text.encode(), fmt, f"ok{EXT[fmt]}")) == 2


# ---------------------------------------------------------------------------
# Random valid catalogs


@st.composite
def element_sets(draw):
    n = draw(st.integers(1, 4))
    ids = draw(st.lists(st.integers(1, 99999), min_size=n, max_size=n, unique=True))
    sats = []
    for k, norad in enumerate(ids):
        epoch = datetime(1990, 1, 1, tzinfo=timezone.utc) + timedelta(
            seconds=draw(st.integers(0, 50 * 365 * 86400)), microseconds=draw(st.integers(0, 999999)))
        s = Satrec()
        s.sgp4init(WGS72, "i", norad, days_since_sgp4_epoch(epoch),
                   draw(st.floats(-1e-3, 1e-3)),  # bstar
                   draw(st.floats(-1e-4, 1e-4)) / (1440.0 / (2 * math.pi) * 1440.0),  # ndot
                   0.0,
                   draw(st.floats(0.0, 0.02)),  # eccentricity
                   math.radians(draw(st.floats(0.0, 359.99))), math.radians(draw(st.floats(0.0, 180.0))),
                   math.radians(draw(st.floats(0.0, 359.99))),
                   draw(st.floats(12.0, 15.6)) * 2 * math.pi / 1440.0,  # mean motion rev/day -> rad/min
                   math.radians(draw(st.floats(0.0, 359.99))))
        assume(satrec_problem(s) is None)  # a valid element set (perigee above ground)
        name = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=24)).strip()
        sats.append(Satellite(name or str(norad), s, "catalog"))
    return Constellation("random", [Group("catalog", sats)])


def _state(sat, days):
    e, r, v = sat.satrec.sgp4(sat.satrec.jdsatepoch, sat.satrec.jdsatepochF + days)
    return e, np.array(r)


@FUZZ
@given(element_sets(), st.sampled_from(["csv", "json", "xml", "kvn", "tle"]))
def test_random_valid_catalogs_read_back(const, fmt):
    text = format_tle_text(const) if fmt == "tle" else format_omm(const, fmt)
    back = parse_catalog(text.encode(), fmt, f"random{EXT[fmt]}")
    assert [s.satrec.satnum for s in back] == [s.satrec.satnum for s in const.satellites]
    assert [s.name for s in back] == [s.name.strip() or str(s.satrec.satnum) for s in const.satellites]
    for a, b in zip(const.satellites, back):
        ea, ra = _state(a, 0.5)
        eb, rb = _state(b, 0.5)
        if ea == 0 and eb == 0:
            # OMM: elements to 15 digits and epoch to 1 us. TLE: angles to 1e-4 deg, ecc 1e-7, epoch 1e-8 day.
            assert np.linalg.norm(ra - rb) < (0.05 if fmt == "tle" else 1e-3), fmt


@pytest.mark.parametrize("fmt", ["csv", "json", "xml", "kvn", "tle"])
@pytest.mark.parametrize("name", ["[]", "SAT [B]", "[deg]"])
def test_bracketed_names_read_back(fmt, name):
    """A KVN value in brackets is a unit only where the key has one: names keep theirs."""
    s = Satrec()
    s.sgp4init(WGS72, "i", 1, 20000.0, 1e-4, 0.0, 0.0, 0.001, 0.1, 0.2, 0.3, 15 * 2 * math.pi / 1440, 0.4)
    const = Constellation("bracketed", [Group("catalog", [Satellite(name, s, "catalog")])])
    text = format_tle_text(const) if fmt == "tle" else format_omm(const, fmt)
    assert [b.name for b in parse_catalog(text.encode(), fmt, f"names{EXT[fmt]}")] == [name]


LINE1 = "1 40959U 15057B   25276.63107725  .00002267  00000+0  32890-3 0  9999"
LINE2 = "2 40959  97.6562 279.3520 0017672  28.5842 331.6334 14.76849388537538"


@pytest.mark.parametrize("line_no, col", [(1, 17), (1, 32), (1, 43), (1, 52), (2, 16), (2, 25), (2, 51)])
def test_a_field_run_into_its_neighbour_is_refused(line_no, col):
    """sgp4 splits a TLE line at blanks: a digit in a blank column runs two fields
    together and sgp4 would read them from other columns (a '0' before the epoch
    made year 02, day 5276 and a second derivative of 4.6e53). The checksum
    does not see a '0', so the blank columns are checked."""
    assert parse_catalog(f"SAT\n{LINE1}\n{LINE2}\n".encode(), "tle", "ok.tle")
    line = LINE1 if line_no == 1 else LINE2
    assert line[col] == " "
    broken = line[:col] + "0" + line[col + 1:]
    text = f"SAT\n{broken}\n{LINE2}\n" if line_no == 1 else f"SAT\n{LINE1}\n{broken}\n"
    with pytest.raises(CatalogError) as err:
        parse_catalog(text.encode(), "tle", "broken.tle")
    msg = str(err.value)
    assert msg.startswith(f"broken.tle:{line_no + 1}: TLE line {line_no}: column {col + 1} holds '0'"), msg
