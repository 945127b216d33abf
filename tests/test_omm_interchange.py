"""OMM files revisit writes are read by other readers: sgp4's own parsers (CSV,
XML) and the ccsds-ndm library (XML, KVN), every satellite in and out with the
same elements, with the header and metadata CCSDS 502.0-B-3 requires."""

import io
import math
import re
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_TLE, read_sample
from sgp4 import omm as sgp4_omm
from sgp4.api import Satrec

from cli import main
from constellation.catalog import catalog_files, read_catalog, write_catalog
from constellation.errors import CatalogError
from constellation.elements import satrec_epoch
from constellation.omm import PLACEHOLDER_PIECES, format_omm_kvn, omm_fields, placeholder_piece
from constellation.scenario import load_scenario, resolve_scenario

TLE_TEXT = read_sample(SAMPLE_TLE)
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
PLACEHOLDER = re.compile(r"^2026-000[A-HJ-NP-Z]{1,3}$")
ELEMENTS = ("no_kozai", "ecco", "inclo", "nodeo", "argpo", "mo", "bstar", "ndot", "nddot")


@pytest.fixture(scope="module")
def plan():
    return load_scenario(resolve_scenario("jilin1-2030-plan")).constellation


@pytest.fixture(scope="module")
def exported(plan, tmp_path_factory):
    """`revisit export jilin1-2030-plan` to every OMM form."""
    folder = tmp_path_factory.mktemp("omm")
    runner = CliRunner()
    for ext in ("csv", "xml", "kvn"):
        res = runner.invoke(main, ["export", "jilin1-2030-plan", "-o", str(folder / f"plan.{ext}")])
        assert res.exit_code == 0, res.output
    assert "wrote 138 satellites to 138 files" in res.output and "plan-00138.kvn" in res.output
    return folder


def assert_same_elements(ref: Satrec, got: Satrec):
    """The elements as written: 15 significant digits, epoch to the microsecond."""
    assert got.satnum == ref.satnum
    for name in ELEMENTS:
        a, b = getattr(ref, name), getattr(got, name)
        assert math.isclose(a, b, rel_tol=1e-13, abs_tol=1e-300), (name, a, b)
    assert abs((satrec_epoch(got) - satrec_epoch(ref)).total_seconds()) <= 1e-6


def test_placeholder_pieces_follow_the_designator_letters():
    assert [placeholder_piece(k) for k in (0, 1, 23, 24, 25, 24 + 576 - 1, 24 + 576)] == \
        ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]
    assert placeholder_piece(PLACEHOLDER_PIECES - 1) == "ZZZ" and placeholder_piece(PLACEHOLDER_PIECES) == "A"
    assert not any(c in placeholder_piece(k) for k in range(0, 2000, 7) for c in "IO")


def test_synthetic_satellites_get_a_placeholder_and_real_ones_keep_their_id(plan):
    ids = [omm_fields(s, k)["OBJECT_ID"] for k, s in enumerate(plan.satellites)]
    assert all(PLACEHOLDER.match(i) for i in ids) and len(set(ids)) == 138
    real = read_catalog_text(TLE_TEXT)
    assert [omm_fields(s)["OBJECT_ID"] for s in real.satellites] == ["2015-057B", "2015-057C"]


def read_catalog_text(text):
    from constellation.catalog import parse_catalog
    from constellation.core import Constellation, Group

    return Constellation("t", [Group("catalog", parse_catalog(text.encode(), "tle"))])


@pytest.mark.parametrize("ext", ["csv", "xml"])
def test_sgp4_reads_every_satellite_back(plan, exported, ext):
    path = exported / f"plan.{ext}"
    with open(path, newline="" if ext == "csv" else None) as f:
        rows = list(sgp4_omm.parse_csv(f) if ext == "csv" else sgp4_omm.parse_xml(f))
    assert len(rows) == 138
    for sat, row in zip(plan.satellites, rows):
        assert PLACEHOLDER.match(row["OBJECT_ID"])
        got = Satrec()
        sgp4_omm.initialize(got, row)
        assert_same_elements(sat.satrec, got)


def test_xml_header_and_metadata(exported):
    text = (exported / "plan.xml").read_text()
    assert text.count('<omm id="CCSDS_OMM_VERS" version="3.0">') == 138
    assert "<CREATION_DATE/>" not in text and "<ORIGINATOR/>" not in text and "<OBJECT_ID></OBJECT_ID>" not in text
    assert len(re.findall(r"<CREATION_DATE>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d</CREATION_DATE>", text)) == 138
    assert text.count("<ORIGINATOR>revisit</ORIGINATOR>") == 138


def test_kvn_is_one_message_per_file_with_every_required_keyword(plan, exported):
    files = catalog_files(plan, exported / "plan.kvn")
    assert [f.name for f in files[:2]] == ["plan-00001.kvn", "plan-00002.kvn"] and len(files) == 138
    assert not (exported / "plan.kvn").exists()
    assert all(f.exists() for f in files)
    for f, sat in zip(files, plan.satellites):
        text = f.read_text()
        assert text.count("CCSDS_OMM_VERS") == 1 and text.startswith("CCSDS_OMM_VERS = 3.0\n")
        keys = re.findall(r"^([A-Z_]+) =", text, flags=re.M)
        assert keys[:3] == ["CCSDS_OMM_VERS", "CREATION_DATE", "ORIGINATOR"]
        for key in ("CENTER_NAME", "REF_FRAME", "TIME_SYSTEM", "MEAN_ELEMENT_THEORY", "OBJECT_ID", "EPOCH"):
            assert key in keys
        (back,) = read_catalog(f).satellites  # and revisit reads it back
        assert_same_elements(sat.satrec, back.satrec)


def test_a_single_satellite_kvn_is_the_file_named(plan, tmp_path):
    from constellation.core import Constellation, Group

    one = Constellation("one", [Group("g", plan.satellites[:1])])
    write_catalog(one, tmp_path / "one.kvn", creation_date=CREATED)
    assert catalog_files(one, tmp_path / "one.kvn") == [tmp_path / "one.kvn"]
    assert [p.name for p in tmp_path.iterdir()] == ["one.kvn"]
    text = (tmp_path / "one.kvn").read_text()
    assert "CREATION_DATE = 2026-01-02T03:04:05\n" in text and text == format_omm_kvn(one, CREATED)[0]


def test_creation_date_follows_source_date_epoch(plan, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    write_catalog(plan, tmp_path / "a.xml")
    assert "<CREATION_DATE>2026-01-01T00:00:00</CREATION_DATE>" in (tmp_path / "a.xml").read_text()


# ---------------------------------------------------------------------------- ccsds-ndm
def _ndm_elements(omm) -> dict:
    seg = omm.body.segment
    mean, tle, meta = seg.data.mean_elements, seg.data.tle_parameters, seg.metadata
    return {"OBJECT_NAME": meta.object_name, "OBJECT_ID": meta.object_id, "EPOCH": mean.epoch,
            "MEAN_MOTION": mean.mean_motion.value, "ECCENTRICITY": mean.eccentricity,
            "INCLINATION": mean.inclination.value, "RA_OF_ASC_NODE": mean.ra_of_asc_node.value,
            "ARG_OF_PERICENTER": mean.arg_of_pericenter.value, "MEAN_ANOMALY": mean.mean_anomaly.value,
            "NORAD_CAT_ID": tle.norad_cat_id, "BSTAR": tle.bstar.value,
            "MEAN_MOTION_DOT": tle.mean_motion_dot.value, "MEAN_MOTION_DDOT": tle.mean_motion_ddot.value,
            "CENTER_NAME": meta.center_name, "REF_FRAME": meta.ref_frame, "TIME_SYSTEM": meta.time_system,
            "MEAN_ELEMENT_THEORY": meta.mean_element_theory, "CREATION_DATE": omm.header.creation_date,
            "ORIGINATOR": omm.header.originator}


def _assert_ndm_matches(plan, omms):
    assert len(omms) == 138
    for k, (sat, omm) in enumerate(zip(plan.satellites, omms)):
        got = _ndm_elements(omm)
        want = omm_fields(sat, k)
        for key in ("OBJECT_NAME", "OBJECT_ID", "EPOCH"):
            assert got[key] == want[key], key
        assert got["NORAD_CAT_ID"] == sat.satrec.satnum
        for key in ("MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE", "ARG_OF_PERICENTER",
                    "MEAN_ANOMALY", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT"):
            assert float(got[key]) == float(want[key]), key  # the numbers written, exactly
        assert (got["CENTER_NAME"], got["REF_FRAME"], got["TIME_SYSTEM"], got["MEAN_ELEMENT_THEORY"]) == \
            ("EARTH", "TEME", "UTC", "SGP4")
        assert got["ORIGINATOR"] == "revisit" and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", got["CREATION_DATE"])


def test_ccsds_ndm_reads_the_xml(plan, exported):
    ndm_io = pytest.importorskip("ccsds_ndm.ndm_io")
    ndm = ndm_io.NdmIo().from_path(exported / "plan.xml")
    _assert_ndm_matches(plan, ndm.omm)


def test_ccsds_ndm_reads_each_kvn(plan, exported):
    ndm_io = pytest.importorskip("ccsds_ndm.ndm_io")
    reader = ndm_io.NdmIo()
    _assert_ndm_matches(plan, [reader.from_path(f) for f in catalog_files(plan, exported / "plan.kvn")])


def test_sgp4_reads_a_kvn_message_converted_by_ccsds_ndm_to_xml(plan, exported):
    """A second writer's view: ccsds-ndm writes our KVN message as XML, sgp4 reads it."""
    ndm_io = pytest.importorskip("ccsds_ndm.ndm_io")
    from ccsds_ndm.mapping import NDMFileFormats

    reader = ndm_io.NdmIo()
    first = catalog_files(plan, exported / "plan.kvn")[0]
    xml = reader.to_string(reader.from_path(first), NDMFileFormats.XML)
    (row,) = list(sgp4_omm.parse_xml(io.StringIO(xml)))
    got = Satrec()
    sgp4_omm.initialize(got, row)
    assert_same_elements(plan.satellites[0].satrec, got)


# ---------------------------------------------------------------- as the catalogs publish them
def _same_elements(mine: Satrec, ref: Satrec) -> bool:
    return all(getattr(mine, a) == getattr(ref, a) for a in ("satnum", "no_kozai", "ecco", "inclo", "nodeo", "argpo",
                                                              "mo", "bstar", "jdsatepoch", "jdsatepochF"))


def test_space_track_xml_with_user_defined_parameters_and_comments():
    """Space-Track's XML adds a block of USER_DEFINED parameters and COMMENTs in the
    header, metadata and data; only the OMM fields are read, as sgp4.omm reads them."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "catalog" / "spacetrack_user_defined.xml"
    (sat,) = read_catalog(path).satellites
    ref = Satrec()
    sgp4_omm.initialize(ref, next(iter(sgp4_omm.parse_xml(str(path)))))
    assert sat.name == "VANGUARD 1" and _same_elements(sat.satrec, ref)


CELESTRAK_KVN = """CCSDS_OMM_VERS = 2.0
CREATION_DATE  =
ORIGINATOR     =

OBJECT_NAME    = ISS (ZARYA)
OBJECT_ID      = 1998-067A
CENTER_NAME    = EARTH
REF_FRAME      = TEME
TIME_SYSTEM    = UTC
MEAN_ELEMENT_THEORY = SGP/SGP4

EPOCH          = 2025-10-03T12:00:00.000000
MEAN_MOTION    = 15.72125391
ECCENTRICITY   = .0006703
INCLINATION    = 51.6416
RA_OF_ASC_NODE = 247.4627
ARG_OF_PERICENTER = 130.536
MEAN_ANOMALY   = 325.0288

EPHEMERIS_TYPE = 0
CLASSIFICATION_TYPE = U
NORAD_CAT_ID   = 25544
ELEMENT_SET_NO = 999
REV_AT_EPOCH   = 56353
BSTAR          = .1027E-3
MEAN_MOTION_DOT = .16717E-3
MEAN_MOTION_DDOT = 0
"""


def test_celestrak_kvn_says_sgp_sgp4_and_is_read(tmp_path):
    path = tmp_path / "iss.kvn"
    path.write_text(CELESTRAK_KVN)
    (sat,) = read_catalog(path).satellites
    fields = dict(line.split("=", 1) for line in CELESTRAK_KVN.splitlines() if "=" in line)
    ref = Satrec()
    sgp4_omm.initialize(ref, {k.strip(): v.strip() for k, v in fields.items()})  # sgp4's own reading of the values
    assert _same_elements(sat.satrec, ref)


def test_a_kvn_value_in_another_unit_is_refused_not_misread(tmp_path):
    path = tmp_path / "rad.kvn"
    path.write_text(CELESTRAK_KVN.replace("INCLINATION    = 51.6416", "INCLINATION    = 0.9013 [rad]"))
    with pytest.raises(CatalogError, match=r"rad\.kvn:15: INCLINATION: unit \[rad\] is not the \[deg\]"):
        read_catalog(path)
    path.write_text(CELESTRAK_KVN.replace("MEAN_MOTION    = 15.72125391", "MEAN_MOTION    = 15.72125391 [rev/day]")
                    .replace("MEAN_MOTION_DOT = .16717E-3", "MEAN_MOTION_DOT = .16717E-3 [rev/day^2]"))
    assert len(read_catalog(path).satellites) == 1  # the CCSDS units, as written


def test_an_sgp4_xp_element_set_is_refused_however_it_is_labelled(tmp_path):
    path = tmp_path / "xp.kvn"
    path.write_text(CELESTRAK_KVN.replace("EPHEMERIS_TYPE = 0", "EPHEMERIS_TYPE = 4"))
    with pytest.raises(CatalogError, match=r"xp\.kvn:20: EPHEMERIS_TYPE: 4 is an SGP4-XP element set"):
        read_catalog(path)
    path.write_text(CELESTRAK_KVN.replace("SGP/SGP4", "SGP4-XP"))
    with pytest.raises(CatalogError, match=r"xp\.kvn:10: MEAN_ELEMENT_THEORY: 'SGP4-XP' is not supported"):
        read_catalog(path)


def test_a_mean_motion_in_another_unit_is_refused(tmp_path):
    # 0.0011434 is the ISS's mean motion in rad/min: read as rev/day it is an orbit 3.9 million km up.
    path = tmp_path / "radmin.kvn"
    path.write_text(CELESTRAK_KVN.replace("MEAN_MOTION    = 15.72125391", "MEAN_MOTION    = 0.0011434"))
    with pytest.raises(CatalogError, match=r"radmin\.kvn:13: MEAN_MOTION: mean motion 0\.0011434 rev/day is an "
                                           r"orbit of 875 days.*is it in rev/day\?"):
        read_catalog(path)
