"""Access reports (`revisit access`, sim/studies/access.py) and the UTC columns of
`revisit targets`' files.

Checked against independent references: skyfield's ``find_events`` on the real
Jilin-1 catalog (rises, sets, culminations), `revisit run`'s per-point figures on
the same sites (the union of the accesses), and the off-nadir angle and elevation
computed with numpy from sgp4 states sampled every second.
"""

import csv
import io
import json
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import TINY_TOML
from sgp4.api import SatrecArray

from cli import main
from constellation import Constellation, Sensor
from constellation.orbits import CircularOrbit
from sim import Study, Window
from sim.engine.propagate import ecef_at, propagate_ecef
from sim.engine.table import utc_text, utc_times
from sim.outputs.tables import table_lines, write_table, write_windows_csv
from sim.studies.access import access_report, access_sites, parse_site, site_gaps
from sim.studies.capacity import Targets, capacity, windows_table

CHANGCHUN = "43.88,125.32,Changchun"
START = datetime(2026, 3, 20, 2, 0, tzinfo=timezone.utc)


def parse_utc(text: str) -> datetime:
    assert text.endswith("Z") and len(text) == len("2025-10-03T17:52:27.838Z"), text
    return datetime.fromisoformat(text[:-1] + "+00:00")


def seconds_after(start: datetime, text: str) -> float:
    return (parse_utc(text) - start).total_seconds()


# ---------------------------------------------------------------- UTC text
def test_utc_times_are_milliseconds_with_z():
    start = datetime(2025, 10, 3, 15, 8, 44, 123456, tzinfo=timezone.utc)
    text = utc_text(utc_times(start, [0.0, 0.0004, 1.5, -0.2, 86400.0, float("nan")]))
    assert text == ["2025-10-03T15:08:44.123Z", "2025-10-03T15:08:44.124Z", "2025-10-03T15:08:45.623Z",
                    "2025-10-03T15:08:43.923Z", "2025-10-04T15:08:44.123Z", ""]
    rng = np.random.default_rng(0)
    s = rng.uniform(0, 40 * 86400, 1000)
    for x, t in zip(s, utc_text(utc_times(start, s))):
        exact = start + timedelta(seconds=float(x))
        assert abs((parse_utc(t) - exact).total_seconds()) <= 0.0005 + 1e-9


# ---------------------------------------------------------------- sites
def test_sites_parse_and_refuse_bad_text(tmp_path):
    assert parse_site(CHANGCHUN) == (43.88, 125.32, "Changchun")
    assert parse_site(" -10.5 , -179 ") == (-10.5, -179.0, None)
    for bad, says in (("95,10", "latitude 95"), ("10,181", "longitude 181"), ("abc,10", "latitude 'abc'"),
                      ("10", "LAT,LON"), ("10,20,", "name"), ("nan,3", "latitude nan")):
        with pytest.raises(ValueError, match=says):
            parse_site(bad)
    f = tmp_path / "p.csv"
    f.write_text("lat,lon,name\n10,20,a\n-5,100,b\n")
    s = access_sites(["1,2", "3,4,x"], f)
    assert s.names == ["S1", "x", "a", "b"] and s.lat_deg.tolist() == [1, 3, 10, -5]
    with pytest.raises(ValueError, match="'a' is given twice"):
        access_sites(["1,2,a"], f)
    with pytest.raises(ValueError, match="no sites"):
        access_sites([])


# ---------------------------------------------------------------- against skyfield
def test_elevation_only_matches_skyfield(shared_tle):
    """Every pass of every Jilin-1 satellite over Changchun in a day above 10 deg:
    rises and sets within 1 s of skyfield's, the same passes, the same culminations."""
    from skyfield.api import load, wgs84

    path = shared_tle / "jilin1_2025-10-03.tle"
    study = Study.from_catalog(path).with_overrides(days=1, off_nadir_deg="none", min_elevation_deg=10.0)
    study = study.validated()
    sites = access_sites([CHANGCHUN])
    rep = access_report(study, sites)
    assert len(rep) > 20
    ts = load.timescale()
    by_num = {s.model.satnum: s for s in load.tle_file(str(path), ts=ts)}
    w = rep.window
    t0 = ts.from_datetime(w.start)
    t1 = ts.from_datetime(w.start + timedelta(seconds=w.duration_s))
    site = wgs84.latlon(43.88, 125.32, elevation_m=0.0)
    sats = study.constellation.satellites
    compared = 0
    for s, sat in enumerate(sats):
        times, events = by_num[sat.satrec.satnum].find_events(site, t0, t1, altitude_degrees=10.0)
        secs = (times - t0) * 86400.0
        passes = []  # (rise, culmination time, culmination elevation, set), whole passes only
        for j in range(len(events) - 2):
            if tuple(events[j:j + 3]) == (0, 1, 2):
                alt = (by_num[sat.satrec.satnum] - site).at(times[j + 1]).altaz()[0].degrees
                passes.append((secs[j], secs[j + 1], alt, secs[j + 2]))
        mine = np.flatnonzero((rep.windows.satellite == s) & (rep.windows.start_s > 0)
                              & (rep.windows.end_s < w.duration_s))
        assert len(mine) == len(passes), sat.name
        for k, (rise, t_cul, alt, set_) in zip(mine, passes):
            assert rep.windows.start_s[k] == pytest.approx(rise, abs=1.0), sat.name
            assert rep.windows.end_s[k] == pytest.approx(set_, abs=1.0), sat.name
            assert rep.max_elevation_deg[k] == pytest.approx(alt, abs=0.05), sat.name
            assert rep.t_max_elevation_s[k] == pytest.approx(t_cul, abs=5.0), sat.name
            # find_events locates events to half a second; skyfield's elevation at our edges is sharper.
            for edge in (rep.windows.start_s[k], rep.windows.end_s[k]):
                at = ts.from_datetime(w.start + timedelta(seconds=float(edge)))
                assert (by_num[sat.satrec.satnum] - site).at(at).altaz()[0].degrees == pytest.approx(10.0, abs=1e-3)
            compared += 1
    assert compared > 20


def test_cli_lists_the_passes(shared_tle):
    path = shared_tle / "jilin1_2025-10-03.tle"
    args = ["access", "--tle", str(path), "--site", CHANGCHUN, "--days", "1", "--min-elevation", "10",
            "--off-nadir", "none"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) > 20
    assert list(rows[0]) == ["site", "satellite", "norad_id", "start_utc", "end_utc", "duration_s",
                             "time_of_max_elevation_utc", "max_elevation_deg", "min_off_nadir_deg",
                             "sun_elevation_deg_at_max"]
    starts = [parse_utc(x["start_utc"]) for x in rows]
    assert starts == sorted(starts)
    for x in rows:
        a, b, m = parse_utc(x["start_utc"]), parse_utc(x["end_utc"]), parse_utc(x["time_of_max_elevation_utc"])
        assert a <= m <= b and x["site"] == "Changchun"
        assert float(x["duration_s"]) == pytest.approx((b - a).total_seconds(), abs=0.002)
        assert float(x["max_elevation_deg"]) >= 10.0 - 1e-3
        assert -90 <= float(x["sun_elevation_deg_at_max"]) <= 90 and int(x["norad_id"]) > 0


# ---------------------------------------------------------------- the same accesses as `revisit run`
def union_reference(starts, ends, min_gap_s=1e-3):
    """Accesses joined as the coverage kernel joins them (sorted by start)."""
    runs = []
    for a, b in sorted(zip(starts, ends)):
        if runs and a <= runs[-1][1] + min_gap_s:
            runs[-1][1] = max(runs[-1][1], b)
        else:
            runs.append([a, b])
    return runs


@pytest.mark.parametrize("lit", [False, True])
def test_access_is_an_access_of_run(lit):
    lat = [0.0, 43.88, -33.9, 60.0, 78.2, -75.0]
    lon = [0.0, 125.32, 18.4, -150.0, 15.6, 120.0]
    names = [f"p{i}" for i in range(len(lat))]
    study = Study.from_scenario(TINY_TOML).with_overrides(days=1.0, step_s=60.0,
                                                          min_sun_elevation_deg=10.0 if lit else None)
    result = study.with_overrides(points=(lat, lon, names)).run(progress=False)
    figures = result.point_figures()
    rep = access_report(study, access_sites([(la, lo, n) for la, lo, n in zip(lat, lon, names)]), gaps=True)
    T = rep.window.duration_s
    table = rep.table()
    rows = table.rows()
    seen_any = False
    for i, fig in enumerate(figures):
        m = rep.windows.target == i
        runs = union_reference(rep.windows.start_s[m].tolist(), rep.windows.end_s[m].tolist())
        assert len(runs) == fig["n_access"], names[i]
        covered = sum(b - a for a, b in runs)
        assert covered / T == pytest.approx(fig["coverage_fraction"], abs=1e-3 / T)
        gaps = [b[0] - a[1] for a, b in zip(runs[:-1], runs[1:])]
        gaps += [runs[0][0], T - runs[-1][1]] if runs else [T]
        assert max(gaps) == pytest.approx(fig["max_revisit_s"], abs=1e-3), names[i]
        # The report's gap rows are these gaps.
        mine = [r for r in rows if r["site"] == names[i] and r["kind"] != "access"]
        want = [g for g in gaps if g > 1e-3]
        assert sorted(r["duration_s"] for r in mine) == pytest.approx(sorted(want), abs=2e-3)
        assert sum(r["kind"] == "edge_gap" for r in mine) == (sum(g > 1e-3 for g in gaps[-2:]) if runs else 1)
        seen_any |= len(runs) > 1
    assert seen_any
    # Gaps and accesses of a site tile the window: each gap ends where an access starts.
    acc, (g_site, g_a, g_b, _) = site_gaps(rep.windows, len(names), T)
    for i in range(len(names)):
        pieces = sorted([(a, b) for s, a, b in zip(*acc) if s == i] + [(a, b) for s, a, b in zip(g_site, g_a, g_b)
                                                                         if s == i])
        assert pieces[0][0] == pytest.approx(0.0, abs=1e-3) and pieces[-1][1] == pytest.approx(T, abs=1e-3)
        for p, q in zip(pieces[:-1], pieces[1:]):
            assert q[0] == pytest.approx(p[1], abs=1e-3)
    if lit:
        assert all(r["sun_elevation_deg_at_max"] >= 10.0 - 0.05 for r in rows if r["kind"] == "access")


# ---------------------------------------------------------------- off-nadir geometry, by brute force
def test_off_nadir_geometry_by_brute_force():
    eta = 35.0
    orbits = [CircularOrbit(START, 535.0, 97.5, 40.0, 0.0), CircularOrbit(START, 600.0, 60.0, 200.0, 90.0),
              CircularOrbit(START, 500.0, 97.4, 130.0, 45.0), CircularOrbit(START, 700.0, 45.0, 300.0, 180.0)]
    const = Constellation.from_orbits("four", orbits, Sensor(max_off_nadir_deg=eta))
    site_lat, site_lon = 35.0, 40.0
    study = Study(name="four", constellation=const, start=START, duration_s=86400.0, step_s=60.0)
    sites = Targets(np.array([site_lat]), np.array([site_lon]), ["s"], "one")
    rep = access_report(study, sites)
    assert len(rep) >= 5
    assert np.all(rep.min_off_nadir_deg <= eta + 1e-9)
    xyz, up = sites.xyz_km()
    dense = Window(START, study.duration_s, 1.0)
    t, pos, _, _ = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), dense, 0, dense.n_samples)
    for k in range(len(rep)):
        s = rep.windows.satellite[k]
        a, b = rep.windows.start_s[k], rep.windows.end_s[k]
        # numpy geometry, written out here: off-nadir from geocentric nadir, elevation above the geodetic horizon
        los = xyz[0] - pos[s]
        rng_km = np.linalg.norm(los, axis=1)
        nadir = -pos[s] / np.linalg.norm(pos[s], axis=1)[:, None]
        off = np.degrees(np.arccos(np.clip((los * nadir).sum(1) / rng_km, -1, 1)))
        elev = np.degrees(np.arcsin(np.clip(-(los @ up[0]) / rng_km, -1, 1)))
        inside = (t >= a) & (t <= b)
        assert inside.sum() > 10
        # The reported extrema are at least as good as any sample, and within a sample's worth of them.
        assert rep.min_off_nadir_deg[k] <= off[inside].min() + 1e-6
        assert rep.min_off_nadir_deg[k] >= off[inside].min() - 0.01
        assert rep.max_elevation_deg[k] >= elev[inside].max() - 1e-6
        assert rep.max_elevation_deg[k] <= elev[inside].max() + 0.01
        assert a <= rep.t_max_elevation_s[k] <= b and a <= rep.t_min_off_nadir_s[k] <= b
        # Off-nadir is at the limit at both edges (100 m of ground is ~0.01 deg from 535-600 km).
        p_edges = ecef_at([const.satellites[s].satrec], rep.window, np.array([a, b]))[0][0]
        for p in p_edges:
            v = xyz[0] - p
            edge = math.degrees(math.acos(np.dot(v, -p) / (np.linalg.norm(v) * np.linalg.norm(p))))
            assert edge == pytest.approx(eta, abs=0.02)
        # Outside the window, off-nadir exceeds the limit (a second away from the edges).
        near = (t >= a - 120) & (t <= b + 120) & ~((t >= a - 1) & (t <= b + 1))
        assert np.all(off[near] > eta)


# ---------------------------------------------------------------- the command
def test_cli_outputs_and_gaps(tmp_path):
    out = tmp_path / "r.csv"
    args = ["access", str(TINY_TOML), "--site", "43.88,125.32,Changchun", "--site", "0,0", "--gaps", "--days", "1"]
    r = CliRunner().invoke(main, args + ["-o", str(out)])
    assert r.exit_code == 0, r.output
    side = json.loads((tmp_path / "r.csv.json").read_text())
    assert side["table"] == "access" and side["window"]["start_utc"] == "2026-01-01T00:00:00.000Z"
    assert [s["name"] for s in side["sites"]] == ["Changchun", "S2"]
    rows = list(csv.DictReader(out.open()))
    assert side["rows"] == len(rows) and side["columns"] == list(rows[0])
    assert {x["kind"] for x in rows} == {"access", "gap", "edge_gap"}
    for name in ("Changchun", "S2"):
        mine = [x for x in rows if x["site"] == name]
        assert mine[0]["start_utc"] == "2026-01-01T00:00:00.000Z" and mine[-1]["end_utc"] == "2026-01-02T00:00:00.000Z"
        gaps = [x for x in mine if x["kind"] != "access"]
        assert all(x["satellite"] == "" and x["max_elevation_deg"] == "" for x in gaps)
    r = CliRunner().invoke(main, args + ["--json"])
    assert r.exit_code == 0, r.output
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(objs) == len(rows) and objs[0]["kind"] == rows[0]["kind"]
    assert {o["max_elevation_deg"] is None for o in objs if o["kind"] != "access"} == {True}
    # JSON lines to a file by its extension; the sidecar says so.
    r = CliRunner().invoke(main, args[:4] + ["--days", "1", "-o", str(tmp_path / "r.jsonl")])  # no gaps
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "r.jsonl.json").read_text())["file_format"] == "JSON lines"
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    assert lines and all(json.loads(line)["site"] == "Changchun" and "kind" not in json.loads(line) for line in lines)


@pytest.mark.parametrize("site,says", [("95,10", "latitude 95"), ("abc,10", "'abc'"), ("10", "LAT,LON"),
                                       ("10,200", "longitude 200")])
def test_cli_bad_sites_are_refused_cleanly(tmp_path, site, says):
    out = tmp_path / "r.csv"
    out.write_text("old\n")
    r = CliRunner().invoke(main, ["access", str(TINY_TOML), "--site", site, "-o", str(out)])
    assert r.exit_code != 0 and says in r.output and "Traceback" not in r.output
    assert out.read_text() == "old\n" and not (tmp_path / "r.csv.json").exists()


def test_cli_failures_leave_no_file(tmp_path):
    out = tmp_path / "r.csv"
    r = CliRunner().invoke(main, ["access", str(TINY_TOML), "-o", str(out)])
    assert r.exit_code != 0 and "--site" in r.output and not out.exists()
    f = tmp_path / "p.csv"
    f.write_text("lat,lon\n10,abc\n")
    r = CliRunner().invoke(main, ["access", str(TINY_TOML), "--points", str(f), "-o", str(out)])
    assert r.exit_code != 0 and "p.csv:2: lon: cannot read 'abc'" in r.output and "Traceback" not in r.output


def test_cli_failure_after_the_sites_leaves_the_file_as_it_was(tmp_path, shared_tle):
    """A window years from the catalog's epochs is refused after the sites are read: nothing written."""
    out = tmp_path / "r.csv"
    out.write_text("old\n")
    r = CliRunner().invoke(main, ["access", "--tle", str(shared_tle / "jilin1_2025-10-03.tle"), "--site", "1,2",
                                  "--start", "2040-01-01T00:00:00Z", "-o", str(out)])
    assert r.exit_code != 0 and "Traceback" not in r.output and "--start" in r.output
    assert out.read_text() == "old\n" and not (tmp_path / "r.csv.json").exists()


# ---------------------------------------------------------------- `revisit targets`' files in UTC
def test_targets_files_carry_utc(tmp_path):
    rng = np.random.default_rng(4)
    orbits = [CircularOrbit(START, 535.0, 97.5, 0.0, 0.0), CircularOrbit(START, 535.0, 97.5, 90.0, 0.0)]
    const = Constellation.from_orbits("two", orbits, Sensor(max_off_nadir_deg=45))
    targets = Targets(rng.uniform(-60, 60, 30), rng.uniform(-180, 180, 30), [f"t{i}" for i in range(30)], "r")
    start = START + timedelta(microseconds=250_400)  # not on a whole second
    res = capacity(const, targets, Window(start, 6 * 3600.0, 60.0), 10.0, 1.5, 5.0)
    table = windows_table(res)
    assert len(table) == len(res.windows) > 10
    path = tmp_path / "w.csv"
    assert write_windows_csv(res, path) == [path, tmp_path / "w.csv.json"]
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == ["target", "lat", "lon", "satellite", "start_s", "end_s", "start_utc", "end_utc"]
    for x in rows:
        for s_col, utc_col in (("start_s", "start_utc"), ("end_s", "end_utc")):
            assert seconds_after(start, x[utc_col]) == pytest.approx(float(x[s_col]), abs=0.0005 + 1e-9)
    side = json.loads((tmp_path / "w.csv.json").read_text())
    assert side["window"]["start_utc"] == "2026-03-20T02:00:00.250Z" and side["rows"] == len(rows)
    # The generic writer: CSV lines as the file holds them.
    assert list(table_lines(table)) == path.read_text().splitlines()
    assert write_table(table, tmp_path / "x.jsonl", "jsonl")[0].read_text().count("\n") == len(rows)


def test_a_site_never_seen_and_batches(monkeypatch):
    """A site beyond every footprint has no access and one edge gap, the whole
    window; the extrema do not depend on how the windows are batched."""
    study = Study.from_scenario(TINY_TOML)
    rep = access_report(study, access_sites(["89.99,0,pole", "10,20"]), gaps=True)
    rows = rep.table().rows()
    pole = [r for r in rows if r["site"] == "pole"]
    assert pole == [dict.fromkeys(rows[0], None) | {"kind": "edge_gap", "site": "pole",
                                                    "start_utc": "2026-01-01T00:00:00.000Z",
                                                    "end_utc": "2026-01-01T03:00:00.000Z", "duration_s": 10800.0}]
    assert list(table_lines(access_report(study, access_sites(["89.99,0"])).table())) == [
        "site,satellite,norad_id,start_utc,end_utc,duration_s,time_of_max_elevation_utc,max_elevation_deg,"
        "min_off_nadir_deg,sun_elevation_deg_at_max"]
    from sim.studies import access as AC

    sites = access_sites(["10,20", "-30,150", "45,-100"])
    study = study.with_overrides(days=1.0)
    whole = access_report(study, sites)
    monkeypatch.setattr(AC, "BATCH_SAMPLES", 50)
    parts = access_report(study, sites)
    assert len(whole) > 5
    for k in ("t_max_elevation_s", "max_elevation_deg", "t_min_off_nadir_s", "min_off_nadir_deg"):
        assert np.array_equal(getattr(whole, k), getattr(parts, k)), k
    import pandas as pd

    df = whole.table().to_dataframe()  # instants as UTC timestamps
    assert str(df["start_utc"].dt.tz) == "UTC" and len(df) == len(whole)
    first = whole.windows.start_s[whole.order()[0]]
    assert (df["start_utc"].iloc[0] - pd.Timestamp(study.start)).total_seconds() == pytest.approx(first, abs=5e-4)
