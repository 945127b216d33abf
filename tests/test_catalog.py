"""Catalogs: TLE/3LE/OMM readers against sgp4's own parsers, one-line errors, selection,
writers and round trips, epoch/decay checks, the catalog summary and the CLI commands."""

import io
import json
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CATALOG_SAMPLES, SAMPLE_TLE, read_sample
from sgp4 import omm as sgp4_omm
from sgp4.api import WGS72, Satrec

from cli import main
from constellation.catalog import (
    catalog_files,
    catalog_format,
    cluster_local_times,
    detect_format,
    epoch_warnings,
    parse_catalog,
    read_catalog,
    select_satellites,
    summarize_catalog,
    write_catalog,
)
from constellation.core import Constellation, Group
from constellation.elements import satrec_epoch
from constellation.errors import CatalogError
from constellation.orbits import CircularOrbit, raan_from_local_time_deg
from constellation.scenario import load_scenario
from sim import Window
from sim.engine.propagate import propagate_ecef
from sim.studies.catalog_check import check_constellation

_, L1, L2, _, L1B, L2B = SAMPLE_TLE.read_text().splitlines()

# Two element sets (LINGQIAO VIDEO A and B) in every format, tests/data/catalog/sample.*: the TLE,
# and the same two as CelesTrak serves them in its OMM forms (typed by hand from the TLE).
SAMPLES = {fmt: read_sample(path) for fmt, path in CATALOG_SAMPLES.items()}
EXT = {"tle": ".tle", "csv": ".csv", "json": ".json", "xml": ".xml", "kvn": ".kvn"}
TLE_TEXT, CSV_TEXT, JSON_TEXT, XML_TEXT, KVN_TEXT = (SAMPLES[fmt] for fmt in ("tle", "csv", "json", "xml", "kvn"))
HEADER, ROW_A, ROW_B = CSV_TEXT.split("\r\n")[:3]


def _obj(row):
    keys = HEADER.split(",")
    obj = dict(zip(keys, row.split(",")))
    for k in keys:
        if k not in ("OBJECT_NAME", "OBJECT_ID", "EPOCH", "CLASSIFICATION_TYPE"):
            obj[k] = int(obj[k]) if k in ("EPHEMERIS_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO", "REV_AT_EPOCH") \
                else float(obj[k])
    return obj


def _reference_satrecs(fmt):
    """The same file read by sgp4's own parsers (independent of ours)."""
    if fmt == "tle":
        return [Satrec.twoline2rv(L1, L2, WGS72), Satrec.twoline2rv(L1B, L2B, WGS72)]
    if fmt == "csv":
        rows = list(sgp4_omm.parse_csv(io.StringIO(CSV_TEXT)))
    elif fmt == "xml":
        rows = list(sgp4_omm.parse_xml(io.StringIO(XML_TEXT)))
    else:
        rows = json.loads(JSON_TEXT)
    sats = []
    for row in rows:
        s = Satrec()
        sgp4_omm.initialize(s, row)
        sats.append(s)
    return sats


def _positions(satrecs, days):
    out = []
    for s in satrecs:
        e, r, _ = s.sgp4(s.jdsatepoch, s.jdsatepochF + days)
        assert e == 0
        out.append(r)
    return np.array(out)


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_every_format_reads_like_sgp4s_own_parsers(fmt, tmp_path):
    p = tmp_path / f"cat{EXT[fmt]}"
    p.write_text(SAMPLES[fmt], newline="")
    assert catalog_format(p) == fmt
    const = read_catalog(p)
    assert [s.name for s in const.satellites] == ["LINGQIAO VIDEO A", "LINGQIAO VIDEO B"]
    assert [s.satrec.satnum for s in const.satellites] == [40959, 40960]
    ref = _reference_satrecs("json" if fmt == "kvn" else fmt)
    for days in (0.0, 1.0, 3.0):
        np.testing.assert_allclose(_positions([s.satrec for s in const.satellites], days), _positions(ref, days),
                                   atol=1e-6)  # km


@pytest.mark.parametrize("fmt", ["csv", "json", "xml", "kvn"])
def test_omm_forms_agree_with_the_tle(fmt):
    """The OMM forms carry the TLE's elements: same orbit to well under a metre after 3 days."""
    tle = [s.satrec for s in parse_catalog(TLE_TEXT.encode(), "tle")]
    omm = [s.satrec for s in parse_catalog(SAMPLES[fmt].encode(), fmt)]
    assert np.max(np.abs(_positions(tle, 3.0) - _positions(omm, 3.0))) < 1e-3
    assert omm[0].revnum == 53753 and omm[0].intldesg == "15057B" and omm[1].elnum == 999


def test_space_track_json_with_numbers_as_strings_and_extra_fields():
    obj = {k: str(v) for k, v in _obj(ROW_A).items()}
    obj.update(CCSDS_OMM_VERS="2.0", ORIGINATOR="18 SPCS", SEMIMAJOR_AXIS="6874.2", TLE_LINE1=L1, TLE_LINE2=L2)
    sats = parse_catalog(json.dumps([obj]).encode(), "json")
    ref = Satrec.twoline2rv(L1, L2, WGS72)
    assert np.max(np.abs(_positions([sats[0].satrec], 1.0) - _positions([ref], 1.0))) < 1e-3


def test_format_from_content_before_extension(tmp_path):
    for fmt, text in SAMPLES.items():
        p = tmp_path / f"download-{fmt}.txt"  # CelesTrak downloads often end in .txt or .php
        p.write_text(text)
        assert catalog_format(p) == fmt
        assert len(read_catalog(p)) == 2
    with pytest.raises(CatalogError, match="cannot tell the catalog's format"):
        detect_format("x.dat", b"hello\nworld\n")
    # A 3LE whose first name starts as JSON or XML would: its lines 1 and 2 say what it is.
    _, l1, l2 = SAMPLES["tle"].splitlines()[:3]
    for name in ("[TBA - TO BE ASSIGNED]", "{OBJECT A}", "<UNKNOWN>"):
        p = tmp_path / "odd.tle"
        p.write_text(f"{name}\n{l1}\n{l2}\n")
        assert catalog_format(p) == "tle" and read_catalog(p).satellites[0].name == name


def _error(fmt, text, name=None):
    with pytest.raises(CatalogError) as err:
        parse_catalog(text.encode() if isinstance(text, str) else text, fmt, name or f"cat{EXT[fmt]}")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(name or f"cat{EXT[fmt]}")
    return err.value


def _csv_edit(col, value, row=ROW_A):
    keys = HEADER.split(",")
    cells = row.split(",")
    cells[keys.index(col)] = value
    return f"{HEADER}\n{','.join(cells)}\n{ROW_B}\n"


@pytest.mark.parametrize("fmt, text, line, field, words", [
    ("csv", HEADER.replace(",MEAN_MOTION,", ",") + "\n", 1, "MEAN_MOTION", "missing column"),
    ("csv", _csv_edit("INCLINATION", "97.6x62"), 2, "INCLINATION", "cannot read '97.6x62' as a number"),
    ("csv", _csv_edit("INCLINATION", "197.6"), 2, "INCLINATION", "outside [0, 180]"),
    ("csv", _csv_edit("ECCENTRICITY", "1.2"), 2, "ECCENTRICITY", "outside [0, 1)"),
    ("csv", _csv_edit("BSTAR", ""), 2, "BSTAR", "missing value"),
    ("csv", _csv_edit("MEAN_MOTION", "nan"), 2, "MEAN_MOTION", "cannot read 'nan'"),
    ("csv", _csv_edit("EPOCH", "2025-13-03T15:08:45"), 2, "EPOCH", "not a valid date-time"),
    ("csv", _csv_edit("EPOCH", "yesterday"), 2, "EPOCH", "as a date-time"),
    ("csv", _csv_edit("NORAD_CAT_ID", "40960"), 3, "NORAD_CAT_ID", "appears twice (first at line 2)"),
    ("csv", _csv_edit("NORAD_CAT_ID", "4095x"), 2, "NORAD_CAT_ID", "as an integer"),
    ("csv", _csv_edit("NORAD_CAT_ID", "400000"), 2, "NORAD_CAT_ID", "outside [0, 339999]"),
    ("csv", f"{HEADER}\n{ROW_A},extra\n", 2, "row", "18 fields, the header (line 1) has 17"),
    ("csv", f"{HEADER}\n{ROW_A[:-5]}\n", 2, "row", "fields"),
    ("csv", f'{HEADER}\n"LINGQIAO{ROW_A[8:]}\n', 2, "CSV", "CSV syntax error"),
    ("csv", _csv_edit("MEAN_MOTION", "18"), 2, "element set", "sgp4 rejects this element set (error 6: decayed)"),
    ("json", JSON_TEXT.replace('"MEAN_MOTION": 14.76920774, ', ""), 2, "MEAN_MOTION", "missing field"),
    ("json", JSON_TEXT.replace('"INCLINATION": 97.6543', '"INCLINATION": true'), 2, "INCLINATION",
     "expected a number"),
    ("json", JSON_TEXT.replace('"INCLINATION": 97.6543', '"INCLINATION": "97.65.43"'), 2, "INCLINATION",
     "cannot read"),
    ("json", JSON_TEXT.replace('"INCLINATION": 97.6543', '"INCLINATION": NaN'), 2, "INCLINATION",
     "not a finite number"),
    ("json", JSON_TEXT.replace("},\n{", "}\n{"), 2, "JSON", "expected ',' or ']'"),
    ("json", JSON_TEXT.replace('"ECCENTRICITY": 0.0017838,', '"ECCENTRICITY": 0.0017838,,'), 2, "JSON",
     "JSON syntax error"),
    ("json", "[1, 2]", 1, "JSON", "expected an object"),
    ("json", JSON_TEXT.replace('"EPOCH": "2025-10-03T14:56:51.824256"', '"EPOCH": 2025'), 2, "EPOCH",
     "expected a date-time"),
    ("xml", XML_TEXT.replace("<INCLINATION>97.6543</INCLINATION>", ""), None, "INCLINATION", "missing field"),
    ("xml", XML_TEXT.replace("</MEAN_MOTION>", "</MEAN_MOTON>", 1), 9, "XML", "XML syntax error"),
    ("xml", XML_TEXT.replace("<REF_FRAME>TEME</REF_FRAME>", "<REF_FRAME>EME2000</REF_FRAME>", 1), 7,
     "REF_FRAME", "not supported"),
    ("xml", "<ndm></ndm>", None, "XML", "no <segment>"),
    ("kvn", KVN_TEXT.replace("EPOCH = 2025-10-03T14:56:51.824256\n", ""), 20, "EPOCH", "missing field"),
    ("kvn", KVN_TEXT.replace("INCLINATION = 97.6562", "INCLINATION: 97.6562"), 8, "KVN", "expected 'KEY = value'"),
    ("tle", f"A\n{L1[:68]}8\n{L2}\n", 2, "checksum", "checksum is 8"),
    ("tle", f"A\n{L1}\n{L2}\nB\n{L1}\n{L2}\n", 5, "catalogue number", "appears twice"),
])
def test_malformed_input_one_line_error(fmt, text, line, field, words):
    err = _error(fmt, text)
    assert err.field == field, str(err)
    if line is not None:
        assert err.line == line, str(err)
        assert str(err).startswith(f"cat{EXT[fmt]}:{line}: {field}: ")
    assert words in str(err)


def test_xml_missing_field_names_the_segment_line():
    err = _error("xml", XML_TEXT.replace("<INCLINATION>97.6543</INCLINATION>", ""))
    second_segment = XML_TEXT.splitlines().index("<segment>", XML_TEXT.splitlines().index("<segment>") + 1) + 1
    assert err.line == second_segment and "record 2, LINGQIAO VIDEO B" in str(err)


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_empty_and_missing_files(fmt, tmp_path):
    p = tmp_path / f"empty{EXT[fmt]}"
    p.write_text("\n \n")
    with pytest.raises(CatalogError, match="empty file"):
        read_catalog(p)
    with pytest.raises(CatalogError, match="file not found"):
        read_catalog(tmp_path / f"nothing{EXT[fmt]}")
    if fmt != "tle":
        # A header, an empty array or an empty document: no element sets either.
        text = {"csv": HEADER + "\n", "json": "[]", "xml": "<ndm/>", "kvn": "COMMENT nothing\n"}[fmt]
        p.write_text(text)
        with pytest.raises(CatalogError):
            read_catalog(p)


def test_non_ascii_tle_and_non_utf8_omm():
    err = _error("tle", (TLE_TEXT.replace("LINGQIAO VIDEO B", "LINGQIAO VIDÉO B")).encode("latin-1"))
    assert err.line == 4
    err = _error("csv", CSV_TEXT.replace("LINGQIAO VIDEO B", "LINGQIAO VID\xc9O B").encode("latin-1"))
    assert err.line == 3 and err.field == "encoding"


# ---------------------------------------------------------------------------
# Selection


def test_select_by_glob_id_range_and_lists():
    const = Constellation("c", read_catalog_text(TLE_TEXT).groups)
    assert [s.name for s in select_satellites(const, ["*video a"]).satellites] == ["LINGQIAO VIDEO A"]
    assert [s.satrec.satnum for s in select_satellites(const, "40960").satellites] == [40960]
    assert len(select_satellites(const, ["40900-41000"])) == 2
    assert len(select_satellites(const, ["40959, *B"])) == 2
    assert len(select_satellites(const, ["40959", "LINGQIAO VIDEO ?"])) == 2
    assert select_satellites(const, []) is const
    with pytest.raises(CatalogError, match="'JILN\\*' matches none of the 2 satellites"):
        select_satellites(const, ["40959", "JILN*"])
    with pytest.raises(CatalogError, match="is empty"):
        select_satellites(const, ["41000-40000"])


def test_select_names_with_brackets_and_alpha5_ids():
    """A name as written matches itself though '[' would start a glob class, and an
    Alpha-5 id as a TLE writes it is an id (A0001 = 100001)."""
    from constellation.core import Group, Satellite

    from constellation.tle import tle_checksum

    lines = [ln for ln in TLE_TEXT.splitlines() if ln.startswith(("1 ", "2 "))][2:4]
    alpha5 = [(ln[:2] + "A0001" + ln[7:68]) for ln in lines]
    alpha5 = "\n".join(["ALPHA"] + [ln + str(tle_checksum(ln)) for ln in alpha5]) + "\n"
    sats = read_catalog_text(TLE_TEXT).satellites + read_catalog_text(alpha5).satellites
    const = Constellation("c", [Group("catalog", [Satellite("STARLINK-1 [DTC]", sats[0].satrec, "catalog"),
                                                  sats[2]])])
    assert [s.name for s in select_satellites(const, "starlink-1 [dtc]").satellites] == ["STARLINK-1 [DTC]"]
    assert [s.name for s in select_satellites(const, "STARLINK-1 *").satellites] == ["STARLINK-1 [DTC]"]
    assert [s.satrec.satnum for s in select_satellites(const, "A0001").satellites] == [100001]
    assert [s.satrec.satnum for s in select_satellites(const, "100001").satellites] == [100001]


def read_catalog_text(text, fmt="tle"):
    from constellation.core import Group

    return Constellation("c", [Group("catalog", parse_catalog(text.encode(), fmt))])


def test_read_catalog_select(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(CSV_TEXT)
    assert [s.name for s in read_catalog(p, select=["*B"]).satellites] == ["LINGQIAO VIDEO B"]


# ---------------------------------------------------------------------------
# Writers and round trips


def _elements(sat):
    s = sat.satrec
    return np.array([s.inclo, s.nodeo, s.ecco, s.argpo, s.mo, s.no_kozai, s.bstar, s.ndot, s.nddot])


# Format precision of a TLE: angles 1e-4 deg, eccentricity 1e-7, mean motion 1e-8 rev/day.
_DEG = math.radians(1.0)
_XPDOTP = 1440.0 / (2 * math.pi)
TLE_TOL = np.array([0.5e-4 * _DEG] * 2 + [0.5e-7] + [0.5e-4 * _DEG] * 2 + [0.5e-8 / _XPDOTP, 1e-9, 1e-12, 1e-15])


def _angle_diff(a, b):
    d = a - b
    for k in (1, 3, 4):  # angles compare modulo 2 pi
        d[k] = (d[k] + math.pi) % (2 * math.pi) - math.pi
    return np.abs(d)


def _pos_after(const, days):
    start = satrec_epoch(const.satellites[0].satrec)
    w = Window(start + timedelta(days=days), 60.0, 60.0)
    _, pos, _, valid = propagate_ecef([s.satrec for s in const.satellites], w, 0, 1)
    assert valid.all()
    return pos[:, 0, :]


def _read_written(const, path, fmt):
    """What write_catalog wrote, read back (KVN: one file per satellite, in order)."""
    if fmt != "kvn":
        return read_catalog(path)
    sats = [s for p in catalog_files(const, path, fmt) for s in read_catalog(p).satellites]
    return Constellation("back", [Group("catalog", sats)])


@pytest.mark.parametrize("scenario", ["jilin1_2019", "jilin1_2030_plan"])
def test_scenarios_round_trip_through_every_format(scenario, tmp_path, monkeypatch):
    from constellation.scenario import resolve_scenario

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # one CREATION_DATE for both writes
    const = load_scenario(resolve_scenario(scenario)).constellation
    ref_pos = _pos_after(const, 1.0)
    for fmt in ("csv", "json", "xml", "kvn", "tle"):
        p = tmp_path / f"out{EXT[fmt]}"
        assert write_catalog(const, p) == fmt
        back = _read_written(const, p, fmt)
        assert [s.name for s in back.satellites] == [s.name for s in const.satellites]
        assert [s.satrec.satnum for s in back.satellites] == [s.satrec.satnum for s in const.satellites]
        for a, b in zip(const.satellites, back.satellites):
            d = _angle_diff(_elements(a), _elements(b))
            epoch_diff_s = abs((satrec_epoch(a.satrec) - satrec_epoch(b.satrec)).total_seconds())
            if fmt == "tle":
                assert np.all(d <= TLE_TOL), (fmt, d)
                assert epoch_diff_s <= 0.5e-8 * 86400 + 1e-6
            else:
                assert np.all(d <= 1e-13 * np.maximum(1.0, np.abs(_elements(a)))), (fmt, d)
                assert epoch_diff_s <= 1e-6
        err_m = np.linalg.norm(_pos_after(back, 1.0) - ref_pos, axis=1).max() * 1000
        # OMM: exact elements, epoch to the microsecond (7.6 km/s * 1 us): well under 1 m.
        # TLE: 4 angles to 5e-5 deg at ~6900 km (6 m each), epoch to 0.43 ms (3.3 m): under 30 m.
        assert err_m < (30.0 if fmt == "tle" else 1.0), (fmt, err_m)
        # Writing what was read gives the same files again.
        p2 = tmp_path / f"again{EXT[fmt]}"
        write_catalog(back, p2)
        assert [f.read_bytes() for f in catalog_files(back, p2, fmt)] == \
            [f.read_bytes() for f in catalog_files(const, p, fmt)]


def test_written_files_are_read_by_sgp4s_own_parsers(tmp_path):
    from constellation.scenario import resolve_scenario

    const = load_scenario(resolve_scenario("jilin1_2019")).constellation
    write_catalog(const, tmp_path / "c.csv")
    write_catalog(const, tmp_path / "c.xml")
    for rows in (sgp4_omm.parse_csv(io.StringIO((tmp_path / "c.csv").read_text())),
                 sgp4_omm.parse_xml(str(tmp_path / "c.xml"))):
        rows = list(rows)
        assert len(rows) == len(const)
        for sat, row in zip(const.satellites, rows):
            ref = Satrec()
            sgp4_omm.initialize(ref, row)  # synthetic satellites carry a placeholder OBJECT_ID
            e, r, _ = ref.sgp4(ref.jdsatepoch, ref.jdsatepochF + 1.0)
            e2, r2, _ = sat.satrec.sgp4(sat.satrec.jdsatepoch, sat.satrec.jdsatepochF + 1.0)
            assert e == e2 == 0 and np.linalg.norm(np.subtract(r, r2)) < 1e-3


def test_writer_refuses_what_a_format_cannot_hold(tmp_path):
    const = read_catalog_text(TLE_TEXT)
    const.satellites[1].satrec = const.satellites[0].satrec
    with pytest.raises(CatalogError, match="share NORAD id 40959"):
        write_catalog(const, tmp_path / "dup.csv")
    with pytest.raises(CatalogError, match="cannot tell which format"):
        write_catalog(read_catalog_text(TLE_TEXT), tmp_path / "x.dat")


def test_real_catalogs(shared_tle, tmp_path):
    counts = {"jilin1_2022-11-03.tle": 38, "jilin1_2023-09-14.tle": 66, "jilin1_2024-05-16.tle": 66,
              "jilin1_2025-10-03.tle": 68, "jilin1_2026-03-19.tle": 61, "planet_flock_skysat_2025-10-03.tle": 109}
    for name, n in counts.items():
        const = read_catalog(shared_tle / name)
        assert len(const) == n
        # Re-exported as 3LE, the file comes back byte for byte.
        out = tmp_path / name
        write_catalog(const, out)
        assert out.read_text().splitlines() == (shared_tle / name).read_text().splitlines()
    const = read_catalog(shared_tle / "jilin1_2025-10-03.tle")
    write_catalog(const, tmp_path / "j.json")
    back = read_catalog(tmp_path / "j.json")
    assert np.linalg.norm(_pos_after(back, 1.0) - _pos_after(const, 1.0), axis=1).max() < 1e-3  # km
    assert len(read_catalog(shared_tle / "jilin1_2025-10-03.tle", select=["JILIN-1 GAOFEN 03D*"])) > 10


# ---------------------------------------------------------------------------
# Epochs and satellites sgp4 cannot propagate


def _falling_json(bstar, norad=99001, name="FALLING"):
    return {"OBJECT_NAME": name, "EPOCH": "2025-10-03T15:00:00", "MEAN_MOTION": 16.2, "ECCENTRICITY": 0.001,
            "INCLINATION": 97.5, "RA_OF_ASC_NODE": 10, "ARG_OF_PERICENTER": 0, "MEAN_ANOMALY": 0,
            "NORAD_CAT_ID": norad, "BSTAR": bstar, "MEAN_MOTION_DOT": 0.01, "MEAN_MOTION_DDOT": 0}


def test_decayed_satellites_are_dropped_and_named():
    objs = json.loads(JSON_TEXT) + [_falling_json(0.2)]
    const = read_catalog_text(json.dumps(objs), "json")
    start = datetime(2025, 10, 3, 15, 0, tzinfo=timezone.utc)
    w = Window(start, 86400.0, 60.0)
    kept, warnings = check_constellation(const, w)
    assert [s.name for s in kept.satellites] == ["LINGQIAO VIDEO A", "LINGQIAO VIDEO B"]
    assert len(warnings) == 1 and "FALLING (NORAD 99001: re-entering, under 80 km altitude at 2025-10-03T" in warnings[0]
    # The simulation's own propagation agrees: the dropped one fails within the window.
    _, _, _, valid = propagate_ecef([s.satrec for s in const.satellites], w, 0, w.n_samples)
    assert valid[:2].all() and not valid[2].all()
    # The time named is when it first fails (here: sinks below 80 km, before sgp4's own decay code at
    # the ground), to the second, not the hourly check sample after it.
    from sim.studies.catalog_check import BELOW_ORBIT, propagation_failures

    second = Window(start, 4 * 3600.0, 1.0)
    t, _, _, valid = propagate_ecef([const.satellites[2].satrec], second, 0, second.n_samples)
    first_bad = t[np.argmin(valid[0])]
    (when, code), = propagation_failures(const, second).values()
    assert first_bad - 1.0 <= when <= first_bad and code == BELOW_ORBIT
    # Before it decays, nothing is dropped.
    assert len(check_constellation(const, Window(start, 600.0, 60.0))[0]) == 3
    only_falling = read_catalog_text(json.dumps([_falling_json(0.2)]), "json")
    with pytest.raises(CatalogError, match="cannot propagate any of the 1 satellites"):
        check_constellation(only_falling, w)


RUNAWAY_TLE = """RUNAWAY
1 90006U          26001.00000000  .00000000  00000-0  60000+0 0    02
2 90006  60.0000 150.0000 0001000   0.0000  30.0000 16.16160905    08
"""


def test_a_decayed_element_set_that_sgp4_still_flies_is_dropped():
    """230 km with B* 0.6: sgp4 reports the decay an hour after epoch, then from about
    3.3 h returns error code 0 with positions 1e8 km and more from the Earth.  Those
    samples are no orbit: the propagation masks them (a satellite that far out would
    "see" half the Earth) and the catalog check drops the satellite, saying why."""
    from sgp4.api import Satrec

    from sim.engine.propagate import MAX_ORBIT_RADIUS_KM, in_orbit

    const = read_catalog_text(RUNAWAY_TLE + TLE_TEXT)
    runaway = const.satellites[0].satrec
    late = Window(datetime(2026, 1, 1, 4, 0, tzinfo=timezone.utc), 6 * 3600.0, 600.0)
    err, r, _ = Satrec.sgp4_array(runaway, np.full(late.n_samples, late.jd_utc()[0]),
                                  late.jd_utc()[1] + late.sample_times(0, late.n_samples) / 86400.0)
    assert (err == 0).all() and (np.linalg.norm(r, axis=-1) > MAX_ORBIT_RADIUS_KM).all()  # what sgp4 says
    _, _, _, valid = propagate_ecef([runaway], late, 0, late.n_samples)
    assert not valid.any()
    kept, warnings = check_constellation(const, late, max_epoch_age_days=None)
    assert [s.name for s in kept.satellites] == [s.name for s in const.satellites[1:]]
    assert "RUNAWAY (NORAD 90006: a position 1,500,000 km or more from the Earth, past its decay" in warnings[-1]
    # Positions of real orbits pass, from low LEO to beyond the Moon; the ground and NaN do not.
    radii = np.array([6378.137 + 81.0, 6378.137 + 535.0, 42164.0, 400_000.0, 6378.137 + 10.0, 2e6, np.nan])
    assert in_orbit(radii[:, None] * np.array([0.0, 0.6, 0.8])).tolist() == [True] * 4 + [False] * 3


def test_epoch_age_warnings():
    const = read_catalog_text(TLE_TEXT)
    near = datetime(2025, 10, 10, tzinfo=timezone.utc)
    assert epoch_warnings(const, near, 14.0) == []
    far = datetime(2025, 11, 1, tzinfo=timezone.utc)
    (w,) = epoch_warnings(const, far, 14.0)
    assert w.startswith("2 of 2 element sets have epochs more than 14 days") and "LINGQIAO VIDEO A (+28.4 d)" in w
    assert check_constellation(const, Window(far, 600.0, 60.0), None)[1] == []


# ---------------------------------------------------------------------------
# Summary


def test_cluster_local_times():
    assert cluster_local_times([23.9, 0.1, 0.3, 12.0]) == [[0, 1, 2], [3]]
    assert cluster_local_times([1.0, 1.2, 5.0, 5.3]) == [[0, 1], [2, 3]]
    # A chain of close neighbours wider than 2 * tol splits at its widest gap.
    assert cluster_local_times([10.0, 10.3, 10.6, 11.3, 11.6]) == [[0, 1, 2], [3, 4]]
    assert cluster_local_times([]) == []
    assert cluster_local_times([7.0]) == [[0]]


def _ascending_node_local_time(satrec, t0):
    """Mean solar local time (h) at the sub-satellite point when sgp4 crosses the equator northwards,
    found by bisection on z in Earth-fixed coordinates (independent of the RAAN-based formula)."""
    w = Window(t0, 2 * 6000.0, 10.0)
    t, pos, _, _ = propagate_ecef([satrec], w, 0, w.n_samples)
    z = pos[0, :, 2]
    k = int(np.flatnonzero((z[:-1] < 0) & (z[1:] >= 0))[0])
    lo, hi = t[k], t[k + 1]
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        wm = Window(t0 + timedelta(seconds=mid), 1.0, 1.0)
        _, pm, _, _ = propagate_ecef([satrec], wm, 0, 1)
        lo, hi = (mid, hi) if pm[0, 0, 2] < 0 else (lo, mid)
        lon = math.degrees(math.atan2(pm[0, 0, 1], pm[0, 0, 0]))
    when = t0 + timedelta(seconds=lo)
    ut_h = when.hour + when.minute / 60 + (when.second + when.microsecond * 1e-6) / 3600
    return (ut_h + lon / 15.0) % 24.0


def test_summary_local_times_match_the_node_crossings():
    const = read_catalog_text(TLE_TEXT)
    for sat in const.satellites:
        ref = satrec_epoch(sat.satrec) + timedelta(days=2)  # the node carried 2 days from the epoch
        plane = summarize_catalog(select_satellites(const, sat.name), reference=ref)["planes"][0]
        crossing = _ascending_node_local_time(sat.satrec, ref)
        assert abs((crossing - plane["ltan_h"] + 12) % 24 - 12) * 3600 < 10.0  # seconds of local time
        assert plane["sun_synchronous"] and abs(plane["ltdn_h"] - (plane["ltan_h"] + 12) % 24) < 1e-9
    assert len(summarize_catalog(const)["planes"]) == 1


def test_summary_of_a_synthetic_constellation():
    epoch = datetime(2026, 1, 1, tzinfo=timezone.utc)
    orbits = []
    for ltdn, alt in ((10.5, 535.0), (10.6, 545.0), (13.0, 500.0)):
        raan = raan_from_local_time_deg(epoch, ltdn, "descending")
        orbits.append(CircularOrbit(epoch, alt, 97.5, raan, 0.0))
    orbits.append(CircularOrbit(epoch, 600.0, 45.0, 0.0, 0.0))
    s = summarize_catalog(Constellation.from_orbits("synthetic", orbits))
    assert [p["satellites"] for p in s["planes"]] == [2, 1, 1]
    assert [p["sun_synchronous"] for p in s["planes"]] == [True, True, False]
    assert abs(s["planes"][0]["ltdn_h"] - 10.55) < 1e-6 and abs(s["planes"][1]["ltdn_h"] - 13.0) < 1e-6
    # Altitude above the WGS-84 radius: the requested (WGS-72) altitudes less 2 m.
    assert s["planes"][0]["mean_alt_km"]["min"] == pytest.approx(535.0 - 0.002, abs=1e-6)
    assert s["mean_alt_km"]["max"] == pytest.approx(600.0 - 0.002, abs=1e-6)
    assert s["inclination_deg"]["min"] == pytest.approx(45.0)


# ---------------------------------------------------------------------------
# Command line


@pytest.fixture
def runner():
    return CliRunner()


def test_cli_catalog_summary(runner, tmp_path):
    p = tmp_path / "two.csv"
    p.write_text(CSV_TEXT)
    r = runner.invoke(main, ["catalog", str(p)])
    assert r.exit_code == 0, r.output
    assert "2 satellites (OMM CSV)" in r.output and "LTDN" in r.output
    r = runner.invoke(main, ["catalog", str(p), "--json", "--select", "40960"])
    out = json.loads(r.stdout)
    assert out["satellites"] == 1 and out["format"] == "csv" and out["planes"][0]["names"] == ["LINGQIAO VIDEO B"]


def test_cli_run_any_format_with_select_and_warnings(runner, tmp_path):
    p = tmp_path / "three.json"
    p.write_text(json.dumps(json.loads(JSON_TEXT) + [_falling_json(0.2)]))
    args = ["run", "--tle", str(p), "--days", "0.5", "--grid-res", "10", "--step", "120", "--json"]
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["satellites"] == 2
    assert "dropped 1 of 3 satellites" in r.stderr and "FALLING" in r.stderr
    r = runner.invoke(main, args + ["--select", "LINGQIAO*", "--start", "2025-11-01T00:00:00Z"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["satellites"] == 2
    assert "element sets have epochs more than 14 days" in r.stderr
    r = runner.invoke(main, args + ["--select", "LINGQIAO*", "--start", "2025-11-01T00:00:00Z",
                                    "--max-epoch-age", "60"])
    assert "epochs more than" not in r.stderr
    r = runner.invoke(main, ["run", "--catalog", str(p), "--select", "NOPE*"])
    assert r.exit_code != 0 and isinstance(r.exception, SystemExit)
    assert r.output.strip().splitlines()[-1].startswith(f"Error: {p}: --select: 'NOPE*' matches none")


@pytest.mark.parametrize("fmt, edit", [
    ("csv", lambda t: t.replace("97.6543", "97.65x3")),
    ("json", lambda t: t[:-1]),
    ("xml", lambda t: t.replace("</segment>", "", 1)),
    ("kvn", lambda t: t.replace("BSTAR = .30992E-3\n", "")),
])
def test_cli_bad_catalog_one_line_error(runner, tmp_path, fmt, edit):
    p = tmp_path / f"bad{EXT[fmt]}"
    p.write_text(edit(SAMPLES[fmt]))
    for cmd in (["run", "--tle", str(p)], ["catalog", str(p)]):
        r = runner.invoke(main, cmd)
        assert r.exit_code != 0 and isinstance(r.exception, SystemExit), r.output
        last = r.output.strip().splitlines()[-1]
        assert last.startswith(f"Error: {p}:") and "Traceback" not in r.output


def test_cli_export_then_read_back(runner, tmp_path):
    out = tmp_path / "j2019.csv"
    r = runner.invoke(main, ["export", "jilin1-2019", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "wrote 13 satellites" in r.output
    r = runner.invoke(main, ["catalog", str(out), "--json"])
    assert json.loads(r.stdout)["satellites"] == 13
    tle = tmp_path / "two.tle"
    r = runner.invoke(main, ["export", "--tle", str(out), "--select", "1-2", "-o", str(tle)])
    assert r.exit_code == 0 and len(read_catalog(tle)) == 2
