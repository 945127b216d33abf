"""TLE/3LE reader: names, checksums and one-line errors."""

import pytest
from conftest import SAMPLE_TLE

from constellation.errors import CatalogError
from constellation.tle import parse_tle_text, read_tle, tle_checksum

# Lines 1 and 2 of tests/data/catalog/sample.tle's element sets: LINGQIAO VIDEO A, then B.
_, L1, L2, _, L1B, L2B = SAMPLE_TLE.read_text().splitlines()


def test_checksums_of_real_lines():
    assert tle_checksum(L1) == int(L1[68])
    assert tle_checksum(L2) == int(L2[68])


def test_3le_and_2le_names():
    sats = parse_tle_text(f"LINGQIAO VIDEO A\n{L1}\n{L2}\n{L1B}\n{L2B}\n")
    assert [s.name for s in sats] == ["LINGQIAO VIDEO A", "40960"]
    sats = parse_tle_text(f"0 LINGQIAO VIDEO A\n{L1}\n{L2}\n")
    assert sats[0].name == "LINGQIAO VIDEO A"


def _fix_checksum(line):
    return line[:68] + str(tle_checksum(line))


@pytest.mark.parametrize("text, line, field", [
    (f"A\n{L1[:68]}8\n{L2}\n", 2, "checksum"),
    (f"A\n{L1[:60]}\n{L2}\n", 2, "TLE line 1"),
    (f"A\n{L1}\n{L2.replace('2 40959', '2 40958')[:68]}0\n", 3, "checksum"),
    (f"A\n{L1}\n{_fix_checksum(L2.replace('2 40959', '2 40958'))}\n", 3, "catalogue number"),
    (f"A\n{L1}\n{_fix_checksum(L2[:8] + ' 97.6x62' + L2[16:])}\n", 3, "inclination"),
    (f"A\n{L1}\n{L2}\nB\n{L1}\n{L2}\n", 5, "catalogue number"),
    (f"A\n{L1}\nB\n", 3, "TLE line 2"),
    (f"A\nB\n{L1}\n{L2}\n", 1, "TLE line 1"),
])
def test_broken_lines_name_file_line_and_field(text, line, field):
    with pytest.raises(CatalogError) as err:
        parse_tle_text(text, "cat.tle")
    assert err.value.line == line
    assert err.value.field == field
    assert str(err.value).startswith(f"cat.tle:{line}: {field}: ")
    assert "\n" not in str(err.value)


def _set(line, col, text):
    """``line`` with ``text`` written from 1-based column ``col``, checksum fixed."""
    return _fix_checksum(line[:col - 1] + text + line[col - 1 + len(text):])


def _renumbered(number):
    return _set(L1, 3, number), _set(L2, 3, number)


@pytest.mark.parametrize("text, line, field, words", [
    # one satellite however its number is padded
    ("A\n{}\n{}\nB\n{}\n{}\n".format(*_renumbered("00123"), *_renumbered("  123")), 5, "catalogue number",
     "NORAD id 123 appears twice (first at line 2)"),
    # Alpha-5 skips I and O and is upper case
    ("A\n{}\n{}\n".format(*_renumbered("I0001")), 2, "catalogue number", "'I0001' is not a catalogue number"),
    ("A\n{}\n{}\n".format(*_renumbered("a0001")), 2, "catalogue number", "'a0001' is not a catalogue number"),
    # day 366 of a year that has 365
    (f"A\n{_set(L1, 19, '23366.50000000')}\n{L2}\n", 2, "epoch day", "does not exist in 2023"),
    # the first derivative is written with its decimal point
    (f"A\n{_set(L1, 34, ' 00016717')}\n{L2}\n", 2, "mean motion derivative", "has no decimal point"),
    # an SGP4-XP element set
    (f"A\n{_set(L1, 63, '4')}\n{L2}\n", 2, "ephemeris type", "SGP4-XP"),
    # a year that is not two digits: sgp4 would take the day's first digit (or none) as its year
    (f"A\n{_set(L1, 19, ' 5')}\n{L2}\n", 2, "epoch year", "' 5' is not a two-digit year"),
    (f"A\n{_set(L1, 19, '2.')}\n{L2}\n", 2, "epoch year", "'2.' is not a two-digit year"),
    (f"A\n{_set(L1, 19, '+5')}\n{L2}\n", 2, "epoch year", "'+5' is not a two-digit year"),
])
def test_element_sets_sgp4_would_misread_are_refused(text, line, field, words):
    with pytest.raises(CatalogError) as err:
        parse_tle_text(text, "cat.tle")
    assert (err.value.line, err.value.field) == (line, field) and words in str(err.value), str(err.value)


def test_line_numbers_count_line_ends_only():
    """A form feed or vertical tab inside a line does not end it (str.splitlines would)."""
    bad = L2B[:68] + str((int(L2B[68]) + 1) % 10)  # line 6: a wrong checksum
    for text in (f"A\x0c\n{L1}\n{L2}\nB\x0b\r\n{L1B}\r\n{bad}\n", f"A\x1c\r{L1}\r{L2}\rB\r{L1B}\r{bad}\r"):
        with pytest.raises(CatalogError) as err:
            parse_tle_text(text, "cat.tle")
        assert (err.value.line, err.value.field) == (6, "checksum"), str(err.value)


def test_valid_numbers_and_leap_days_still_read():
    sats = parse_tle_text("A\n{}\n{}\nB\n{}\n{}\n".format(*_renumbered("A0001"), *_renumbered("  123")))
    assert [s.satrec.satnum for s in sats] == [100001, 123]
    (sat,) = parse_tle_text(f"A\n{_set(L1, 19, '24366.50000000')}\n{L2}\n")
    assert sat.satrec.epochyr == 24 and sat.satrec.epochdays == 366.5


def test_empty_file(tmp_path):
    p = tmp_path / "empty.tle"
    p.write_text("\n\n")
    with pytest.raises(CatalogError, match="no element sets"):
        read_tle(p)


def test_real_catalogs(shared_tle):
    counts = {"jilin1_2022-11-03.tle": 38, "jilin1_2025-10-03.tle": 68, "planet_flock_skysat_2025-10-03.tle": 109}
    for name, n in counts.items():
        const = read_tle(shared_tle / name)
        assert len(const) == n
    assert read_tle(shared_tle / "jilin1_2025-10-03.tle").satellites[0].name == "LINGQIAO VIDEO A"
