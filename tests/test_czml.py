"""`revisit export -o FILE.czml`: a CZML document czml3 reads back, its clock the
window in UTC, each satellite's samples in metres where sgp4 and the
simulation's Earth-fixed rotation put it, checked against skyfield's ITRS."""

import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SAMPLE_TLE, TINY_2H_TOML

from cli import main
from sim import Study
from sim.outputs.czml import czml_document, iso_utc, write_czml

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    study = Study.from_scenario(TINY_2H_TOML)
    path = tmp_path_factory.mktemp("czml") / "tiny.czml"
    write_czml(study.constellation, path, study.start, 3600.0, 300.0, name="tiny")
    return study, json.loads(path.read_text())


def test_czml3_reads_the_document_back(written):
    from czml3 import Document

    _, packets = written
    doc = Document.model_validate(packets)
    assert doc.packets[0].id == "document" and len(doc.packets) == 5
    assert json.loads(doc.dumps()) == packets  # nothing lost or added on the way


def test_clock_is_the_window_in_utc(written):
    study, packets = written
    clock = packets[0]["clock"]
    begin, end = clock["interval"].split("/")
    assert ISO_MS.match(begin) and ISO_MS.match(end) and clock["currentTime"] == begin
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
    assert parse(begin) == study.start == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse(end) - parse(begin) == timedelta(hours=1)
    assert clock["multiplier"] > 0 and packets[0]["version"] == "1.0"


def test_positions_are_earth_fixed_metres(written):
    """Against skyfield: the same sgp4 elements, TEME -> ITRS by skyfield's own
    precession-nutation (no polar motion): within 50 m."""
    from skyfield.api import EarthSatellite, load
    from skyfield.framelib import itrs

    study, packets = written
    ts = load.timescale()
    sats = {f"{s.satrec.satnum:05d} {s.name}": s for s in study.constellation.satellites}
    worst = 0.0
    for p in packets[1:]:
        pos = p["position"]
        assert pos["referenceFrame"] == "FIXED" and ISO_MS.match(pos["epoch"])
        samples = np.array(pos["cartesian"]).reshape(-1, 4)
        assert np.array_equal(samples[:, 0], np.arange(0.0, 3601.0, 300.0))
        sat = EarthSatellite.from_satrec(sats[p["id"]].satrec, ts)
        epoch = datetime.fromisoformat(pos["epoch"].replace("Z", "+00:00"))
        for t_s, *xyz_m in samples[::4]:
            ref_km = sat.at(ts.from_datetime(epoch + timedelta(seconds=t_s))).frame_xyz(itrs).km
            worst = max(worst, float(np.linalg.norm(np.array(xyz_m) / 1000.0 - ref_km)))
        r_m = np.linalg.norm(samples[:, 1:], axis=1)
        assert np.all((6.8e6 < r_m) & (r_m < 7.0e6))  # metres: a 535 km orbit
        assert p["availability"] == f"{pos['epoch']}/{iso_utc(epoch + timedelta(hours=1))}"
    assert worst < 0.05, worst  # measured: 5 cm over a day


def test_positions_are_the_simulation_s(written):
    from sgp4.api import SatrecArray

    from sim.engine.propagate import Window, propagate_ecef

    study, packets = written
    window = Window(study.start, 3600.0, 300.0)
    _, pos, _, _ = propagate_ecef(SatrecArray([s.satrec for s in study.constellation.satellites]), window, 0,
                                  window.n_samples, interpolate=False)
    for k, p in enumerate(packets[1:]):
        samples = np.array(p["position"]["cartesian"]).reshape(-1, 4)
        assert np.max(np.abs(samples[:, 1:] - 1000.0 * pos[k])) <= 0.0005  # rounded to 1 mm


def test_satellite_packets_carry_label_path_and_point(written):
    _, packets = written
    for p in packets[1:]:
        assert p["label"]["text"] == p["name"] and p["point"]["pixelSize"] > 0
        assert 5000 < p["path"]["trailTime"] < 6000  # one orbit of 535 km: about 95 min
    assert len({p["id"] for p in packets}) == len(packets)


def test_millisecond_times():
    t = datetime(2026, 3, 4, 5, 6, 7, 999600, tzinfo=timezone.utc)
    assert iso_utc(t) == "2026-03-04T05:06:08.000Z"
    assert iso_utc(datetime(2026, 3, 4, 5, 6, 7, 123400, tzinfo=timezone.utc)) == "2026-03-04T05:06:07.123Z"


def test_too_big_is_refused_before_propagating():
    study = Study.from_scenario(TINY_2H_TOML)
    with pytest.raises(Exception, match="memory limit"):
        czml_document(study.constellation, study.start, 86400.0 * 30, 1.0, memory_limit_bytes=10**6)


def test_cli_export_czml(tmp_path):
    out = tmp_path / "two.czml"
    r = CliRunner().invoke(main, ["export", "--tle", str(SAMPLE_TLE), "-o", str(out), "--hours", "2",
                                  "--step", "600"])
    assert r.exit_code == 0, r.output
    packets = json.loads(out.read_text())
    assert len(packets) == 3 and "wrote 2 satellites" in r.output
    assert all(len(p["position"]["cartesian"]) == 13 * 4 for p in packets[1:])
    assert {p["name"] for p in packets[1:]} == {"LINGQIAO VIDEO A", "LINGQIAO VIDEO B"}


def test_cli_export_window_options_need_czml(tmp_path):
    r = CliRunner().invoke(main, ["export", str(TINY_2H_TOML), "-o", str(tmp_path / "x.tle"), "--step", "60"])
    assert r.exit_code == 2 and "only for a .czml output" in r.output
    r = CliRunner().invoke(main, ["export", str(TINY_2H_TOML), "-o", str(tmp_path / "x.czml"), "--hours", "1",
                                  "--days", "1"])
    assert r.exit_code == 2 and "not both" in r.output
    assert list(tmp_path.iterdir()) == []


def test_cli_export_czml_of_the_real_fleet(shared_tle, tmp_path):
    """The Jilin-1 catalog: every satellite sgp4 flies gets a packet, in low orbit (metres)."""
    out = tmp_path / "fleet.czml"
    r = CliRunner().invoke(main, ["export", "--tle", str(shared_tle / "jilin1_2025-10-03.tle"), "--select",
                                  "JILIN*", "-o", str(out), "--hours", "1", "--step", "600"])
    assert r.exit_code == 0, r.output
    packets = json.loads(out.read_text())
    n = int(re.search(r"wrote (\d+) satellites", r.output).group(1))
    assert n > 50 and len(packets) == n + 1
    for p in packets[1:]:
        samples = np.array(p["position"]["cartesian"]).reshape(-1, 4)
        alt_km = np.linalg.norm(samples[:, 1:], axis=1) / 1000.0 - 6378.137
        assert np.all((300.0 < alt_km) & (alt_km < 800.0)), (p["name"], alt_km)  # |r| - a: low near the poles
