"""The ground segment: station files, contacts, data latency and system response.

- station files and the [ground] table: every problem names the file, line and field;
- contacts against skyfield's ``EarthSatellite.find_events`` (rise/set above the
  station's mask, geodetic horizon, station height) on the real Jilin-1 catalog;
- latency and response against a slow pure-Python integration written from the
  definitions (brute-force delivery by scanning every contact, the visible set
  at each instant), from the access and contact lists alone;
- the histogram kernel against exact bin overlaps on random pieces;
- time chunks: the same figures with tiny chunks as with one.
"""

import json
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SHARED_TLE, TINY_TOML

from cli import main
from constellation.errors import InputError, ScenarioError
from constellation.ground import builtin_networks, load_network, read_stations
from constellation.scenario import load_scenario
from sim import Study
from sim.engine.grid import Grid
from sim.engine.propagate import Window
from sim.kernels import latency as L
from sim.studies.capacity import Targets, access_windows
from sim.studies.ground import find_contacts, ground_latency

JILIN_TLE = SHARED_TLE / "jilin1_2025-10-03.tle"


# ----------------------------------------------------------------------------- station files
def test_builtin_networks_state_their_sites():
    nets = builtin_networks()
    assert {"china-rs", "china-rs-polar"} <= set(nets)
    rs = load_network("china-rs")
    assert [s.name for s in rs.stations] == ["Miyun", "Kashi", "Sanya", "Mohe"]
    assert all(s.min_elevation_deg == 5.0 for s in rs.stations)
    polar = load_network("china-rs-polar")
    sval = next(s for s in polar.stations if s.name == "SvalSat")
    assert (sval.lat_deg, sval.lon_deg) == (78.23, 15.41)
    assert {s.name for s in rs.stations} < {s.name for s in polar.stations}
    text = nets["china-rs-polar"].read_text()
    assert "APPROXIMATE" in text and "ASSUMED" in text


@pytest.mark.parametrize("body, line, field, words", [
    ('[[station]]\nname = "A"\nlat_deg = 10\nlon_deg = 20\n\n[[station]]\nname = "B"\nlat_deg = 95\nlon_deg = 0\n',
     8, "station[2].lat_deg", "must be within"),
    ('[[station]]\nname = "A"\nlon_deg = 20\n', 1, "station[1].lat_deg", "missing"),
    ('[[station]]\nname = "A"\nlat_deg = 1\nlon_deg = 2\nmin_elevation = 5\n', 5, "station[1].min_elevation",
     "unknown field"),
    ('[[station]]\nname = "A"\nlat_deg = 1\nlon_deg = 2\nsetup_s = "x"\n', 5, "station[1].setup_s", "got the string 'x'"),
    ('[[station]]\nname = "A"\nlat_deg = 1\nlon_deg = 2\n[[station]]\nname = "A"\nlat_deg = 3\nlon_deg = 4\n', 6,
     "name", "given twice"),
])
def test_toml_station_errors_name_file_line_and_field(tmp_path, body, line, field, words):
    p = tmp_path / "net.toml"
    p.write_text(body)
    with pytest.raises(InputError) as exc:
        read_stations(p)
    e = exc.value
    assert (e.path, e.line, e.field) == (str(p), line, field)
    assert words in str(e) and str(e).startswith(f"{p}:{line}: {field}:")


@pytest.mark.parametrize("body, line, field, words", [
    ("name,lat_deg,lon_deg\nA,10,20\nB,10,abc\n", 3, "lon_deg", "cannot read"),
    ("name,lat,lon_deg\nA,10,20\n", 1, "header", "unknown column"),
    ("name,lat_deg,lon_deg,min_elevation_deg\nA,10,20,95\n", 2, "min_elevation_deg", "must be within"),
    ("name,lat_deg,lon_deg\n,10,20\n", 2, "name", "missing"),
])
def test_csv_station_errors_name_file_line_and_field(tmp_path, body, line, field, words):
    p = tmp_path / "net.csv"
    p.write_text(body)
    with pytest.raises(InputError) as exc:
        read_stations(p)
    assert (exc.value.line, exc.value.field) == (line, field)
    assert words in str(exc.value)


def test_csv_stations_read(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("# my stations\nname,lat_deg,lon_deg,alt_km,min_elevation_deg,setup_s\nX,10.5,200,0.3,,30\n")
    net = read_stations(p)
    s = net.stations[0]
    assert (net.name, s.name, s.lat_deg, s.lon_deg, s.alt_km, s.min_elevation_deg, s.setup_s) == \
        ("mine", "X", 10.5, -160.0, 0.3, 5.0, 30.0)


def test_scenario_ground_table(tmp_path):
    base = TINY_TOML.read_text()
    (tmp_path / "st.csv").write_text("name,lat_deg,lon_deg\nHere,45,10\n")
    ok = tmp_path / "ok.toml"
    ok.write_text(base + '\n[ground]\nfile = "st.csv"\n')
    sc = load_scenario(ok)
    assert sc.ground.stations[0].name == "Here"  # relative to the scenario's folder
    assert load_scenario(TINY_TOML).ground is None
    bad = tmp_path / "bad.toml"
    bad.write_text(base + '\n[ground]\nnetwork = "nowhere-net"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(bad)
    assert exc.value.field == "ground.network" and "china-rs" in str(exc.value)
    both = tmp_path / "both.toml"
    both.write_text(base + '\n[ground]\nnetwork = "china-rs"\nfile = "st.csv"\n')
    with pytest.raises(ScenarioError, match="one of them"):
        load_scenario(both)
    tgt = tmp_path / "tgt.toml"
    tgt.write_text(base.replace('[window]', '[[target]]\nname = "on the ground within 6 h"\nmax_delivery_h = 6\n\n'
                                '[window]') + '\n[ground]\nnetwork = "china-rs"\n')
    sc = load_scenario(tgt)
    assert [(t.name, t.threshold_s) for t in sc.delivery_targets] == [("on the ground within 6 h", 21600.0)]
    assert [t.name for t in sc.targets] == ["within 1 h"]
    g = Study.from_scenario(tgt).with_overrides(grid_res_deg=30).run(progress=False).summary()["ground"]
    assert g["network"] == "china-rs" and [t["name"] for t in g["targets"]] == ["on the ground within 6 h"]
    no_net = tmp_path / "no_net.toml"
    no_net.write_text(tgt.read_text().replace('\n[ground]\nnetwork = "china-rs"\n', ""))
    study = Study.from_scenario(no_net)
    assert study.ground is None and study.delivery_targets
    assert any("not judged: no ground network" in w for w in study.validated().warnings)


# ----------------------------------------------------------------------------- contacts vs skyfield
def test_contacts_match_skyfield_find_events(shared_tle):
    """Rise and set above each CRSSGS site's 5 deg mask, 1 day, every second satellite of the fleet."""
    from skyfield.api import EarthSatellite, load, wgs84

    if not JILIN_TLE.exists():
        pytest.skip(f"{JILIN_TLE} is not present")
    study = Study.from_catalog(JILIN_TLE).validated()
    const = study.constellation
    keep = [str(s.satrec.satnum) for s in const.satellites][::2]
    study = study.with_overrides(select=keep).validated()
    net = load_network("china-rs")
    window = Window(study.start, 86400.0, 60.0)
    found = find_contacts(study.constellation, net, window)
    assert len(found) > 100
    ts = load.timescale()
    t0 = ts.from_datetime(window.start)
    t1 = ts.from_datetime(window.start + timedelta(seconds=window.duration_s))
    lines = JILIN_TLE.read_text().splitlines()
    by_id = {int(lines[i + 1][2:7]): (lines[i + 1], lines[i + 2]) for i in range(0, len(lines) - 2, 3)}
    compared = 0
    for k, sat in enumerate(study.constellation.satellites):
        es = EarthSatellite(*by_id[sat.satrec.satnum], sat.name, ts)
        for j, st in enumerate(net.stations):
            site = wgs84.latlon(st.lat_deg, st.lon_deg, elevation_m=st.alt_km * 1000.0)
            times, events = es.find_events(site, t0, t1, altitude_degrees=st.min_elevation_deg)
            rel = [(float((tt - t0) * 86400.0), int(e)) for tt, e in zip(times, events)]
            rises = [x for x, e in rel if e == 0]
            sets = [x for x, e in rel if e == 2]
            mine = (found.satellite == k) & (found.station == j)
            a, b = found.start_s[mine], found.end_s[mine]
            inner_a = a[a > 1.0]
            inner_b = b[b < window.duration_s - 1.0]
            assert len(inner_a) == len(rises) and len(inner_b) == len(sets), (sat.name, st.name, a, b, rel)
            assert np.all(np.abs(inner_a - np.array(rises)) < 1.0)
            assert np.all(np.abs(inner_b - np.array(sets)) < 1.0)
            culm = [x for x, e in rel if e == 1]
            for x in culm:  # the highest elevation of the contact holding it
                c = np.flatnonzero((a <= x) & (b >= x))
                assert c.size == 1
                alt = (es - site).at(t0 + x / 86400.0).altaz()[0].degrees
                assert abs(found.max_elevation_deg[mine][c[0]] - alt) < 0.05, (sat.name, st.name, x, alt,
                                                                               found.max_elevation_deg[mine][c[0]])
            compared += len(rises)
    assert compared > 100


# ----------------------------------------------------------------------------- by hand
def brute_delivery(contacts_sat, setup, c):
    """The earliest end among the satellite's contacts starting at or after c and
    lasting longer than their station's setup time (inf: none), by scanning them all."""
    best = math.inf
    for st, a, b in contacts_sat:
        if a >= c and b - a > setup[st] and b < END_S:
            best = min(best, b)
    return best


END_S = 2 * 86400.0


def hand_figures(acc, contacts, setup, T):
    """Per point, from the access lists {sat: [(a, b)]} and contacts {sat: [(station, aos, los)]}:
    the mean and largest system response over the requests in [0, T] (None when some request
    is unresolved), the censored measure, and the data latencies; pure Python, exact."""
    starts = sorted({a for w in acc.values() for a, _ in w})
    events = {0.0, T}
    for w in acc.values():
        for a, b in w:
            events.update((a, b))
    for cs in contacts.values():
        for _, a, _ in cs:
            events.add(a)
    events = sorted(e for e in events if 0.0 <= e <= T)
    integral, measure, censored, worst = 0.0, 0.0, 0.0, 0.0
    for t0, t1 in zip(events[:-1], events[1:]):
        if t1 <= t0:
            continue
        m = 0.5 * (t0 + t1)  # the delivery is constant on (t0, t1): take it at the middle
        seen = [s for s, w in acc.items() if any(a <= m < b for a, b in w)]
        if seen:
            D = min(brute_delivery(contacts.get(s, []), setup, m) for s in seen)
        else:
            later = [a for a in starts if a > m]
            if not later:
                D = math.inf
            else:
                c = later[0]
                D = min(brute_delivery(contacts.get(s, []), setup, c) for s, w in acc.items()
                        if any(a == c for a, _ in w))
        if math.isinf(D):
            censored += t1 - t0
            continue
        integral += (t1 - t0) * (D - m)
        measure += t1 - t0
        worst = max(worst, D - t0)
    lat = [brute_delivery(contacts.get(s, []), setup, a) - a for s, w in acc.items() for a, _ in w if a < T]
    return integral / measure, (worst if censored == 0 else None), censored, lat


@pytest.mark.parametrize("seed", [0, 1])
def test_latency_and_response_match_a_hand_integration(seed):
    """Four places near the stations and elsewhere, and four random ones, per seed."""
    rng = np.random.default_rng(seed)
    lat = [40.0, 10.0, -30.0, 60.0] + list(np.degrees(np.arcsin(rng.uniform(-1, 1, 4))))
    lon = [116.0, 20.0, -60.0, 100.0] + list(rng.uniform(-180, 180, 4))
    study = Study.from_scenario(TINY_TOML).with_overrides(days=1, step_s=60, stations="china-rs",
                                                          points=(lat, lon))
    result = study.run(progress=False)
    T = 86400.0
    window = Window(study.start, T + 86400.0, 60.0)
    net = study.ground
    setup = [s.setup_s for s in net.stations]
    found = find_contacts(study.constellation, net, window)
    contacts = {}
    for st, s, a, b in zip(found.station, found.satellite, found.start_s, found.end_s):
        contacts.setdefault(int(s), []).append((int(st), float(a), float(b)))
    pts = study.grid_spec.points
    tg = Targets(np.array(pts.lat_deg), np.array(pts.lon_deg), list(pts.names), "points")
    wins, _ = access_windows(study.constellation, tg, window)
    f = result.figures
    checked = 0
    all_latencies, any_censored = [], False
    for i in range(len(tg)):
        acc = {}
        for s, a, b in zip(wins.satellite[wins.target == i], wins.start_s[wins.target == i],
                           wins.end_s[wins.target == i]):
            acc.setdefault(int(s), []).append((float(a), float(b)))
        mean, worst, censored, lat = hand_figures(acc, contacts, setup, T)
        all_latencies.extend(x for x in lat if math.isfinite(x))
        any_censored = any_censored or censored > 0 or any(not math.isfinite(x) for x in lat)
        assert f["mean_system_response_s"][i] == pytest.approx(mean, rel=1e-6)
        assert f["censored_request_share"][i] == pytest.approx(censored / T, abs=1e-9)
        if worst is None:
            assert np.isnan(f["max_system_response_s"][i])
        else:
            assert f["max_system_response_s"][i] == pytest.approx(worst, rel=1e-6)
        ok = [x for x in lat if math.isfinite(x)]
        assert f["images_delivered"][i] == len(ok)
        assert f["mean_data_latency_s"][i] == pytest.approx(np.mean(ok), rel=1e-6)
        checked += 1
    g = result.summary()["ground"]
    w = result.grid.weight / result.grid.weight.sum()
    assert g["system_response_s"]["mean"] == pytest.approx(
        float(np.sum(w * f["mean_system_response_s"] * (1 - f["censored_request_share"]))
              / np.sum(w * (1 - f["censored_request_share"]))), rel=1e-9)
    assert g["network"] == "china-rs" and checked == 8
    # The largest values are exact, not a histogram bin's edge.
    if not any_censored:
        assert g["system_response_s"]["max"] == pytest.approx(np.nanmax(f["max_system_response_s"]), rel=1e-12)
        assert g["data_latency_s"]["max"] == pytest.approx(max(all_latencies), rel=1e-6)
    else:
        assert g["system_response_s"]["max"] == math.inf


def test_delivery_verdicts_read_the_worst_request():
    from sim.engine.metrics import Target
    from sim.studies.ground import delivery_verdicts

    figs = {"max_system_response_s": np.array([100.0, 300.0, np.nan]),
            "mean_system_response_s": np.array([50.0, 150.0, 90.0])}
    w = np.array([0.5, 0.25, 0.25])
    v = delivery_verdicts([Target("a", 300.0), Target("b", 200.0)], figs, w)
    assert [(x["verdict"], x["share_met"], x["share_mean_response_met"]) for x in v] == \
        [("not met", 0.75, 1.0), ("not met", 0.5, 1.0)]
    v = delivery_verdicts([Target("c", 300.0)], {k: a[:2] for k, a in figs.items()}, w[:2])
    assert v[0]["verdict"] == "met" and v[0]["share_met"] == 1.0


def test_only_contacts_begun_and_ended_inside_the_search_deliver():
    """A contact under way at the search's start began before every image of the window
    (an image waits for a contact that begins at or after it); one cut by its end has no
    known end; one no longer than the station's setup time delivers nothing."""
    from constellation.ground import GroundNetwork, Station
    from sim.studies.ground import Contacts, delivery_table

    net = GroundNetwork("n", (Station("a", 40.0, 116.0, setup_s=60.0),))
    c = Contacts(np.zeros(5, np.int64), np.array([0, 0, 0, 1, 1]), np.array([0.0, 5476.5, 9000.0, 100.0, 8000.0]),
                 np.array([271.1, 6077.5, 9050.0, 700.0, 10000.0]), np.full(5, 30.0), net,
                 Window(datetime(2026, 1, 1, tzinfo=timezone.utc), 10000.0, 60.0), ["s0", "s1"])
    lo, aos, sufmin = delivery_table(c, 2, 10000.0)
    assert lo.tolist() == [0, 1, 2]
    assert aos.tolist() == [5476.5, 100.0] and sufmin.tolist() == [6077.5, 700.0]


def test_polar_stations_shorten_the_wait():
    """More stations can only bring images down sooner (same accesses, more contacts)."""
    base = Study.from_scenario(TINY_TOML).with_overrides(days=1, step_s=60, grid_res_deg=15)
    a = base.with_overrides(stations="china-rs").run(progress=False)
    b = base.with_overrides(stations="china-rs-polar").run(progress=False)
    ra, rb = a.figures["mean_system_response_s"], b.figures["mean_system_response_s"]
    # Where every request resolves with both (a mean over more resolved requests could grow).
    ok = (a.figures["censored_request_share"] == 0) & (b.figures["censored_request_share"] == 0)
    assert ok.sum() > len(ok) // 2
    assert np.all(rb[ok] <= ra[ok] + 1e-6)
    assert b.summary()["ground"]["system_response_s"]["p50"] < a.summary()["ground"]["system_response_s"]["p50"]


# ----------------------------------------------------------------------------- kernels and chunks
def test_histogram_kernel_matches_exact_bin_overlaps():
    rng = np.random.default_rng(3)
    nb, bw = 60, 2.5
    h = np.zeros(nb)
    d = np.zeros(nb)
    ref = np.zeros(nb)
    for _ in range(300):
        r0 = rng.uniform(0, 160)
        r1 = r0 + (0.0 if rng.random() < 0.2 else rng.uniform(0, 40))
        mass = rng.uniform(0.1, 2.0)
        L.hist_uniform(h, d, r0, r1, mass, bw)
        for k in range(nb):  # the slow obvious way: the piece's overlap with each bin
            lo, hi = k * bw, (k + 1) * bw
            if k == nb - 1:
                hi = math.inf
            if r1 == r0:
                ref[k] += mass if (lo <= r0 < hi or (k == nb - 1 and r0 >= lo)) else 0.0
            else:
                ref[k] += mass * max(0.0, min(hi, r1) - max(lo, r0)) / (r1 - r0)
    got = h + np.cumsum(d)
    assert np.allclose(got, ref, rtol=1e-9, atol=1e-9)
    qs = np.array([10.0, 50.0, 95.0])
    p = L.hist_percentiles(got, 0.0, qs, bw)
    cum = np.cumsum(ref) / ref.sum()
    for q, v in zip(qs, p):
        k = int(v // bw)
        assert cum[k - 1] - 1e-9 <= q / 100 <= cum[k] + 1e-9 if k > 0 else q / 100 <= cum[0] + 1e-9
    assert np.isinf(L.hist_percentiles(got, got.sum(), np.array([60.0]), bw)[0])


def test_tiny_chunks_give_the_same_figures():
    sc = load_scenario(TINY_TOML)
    net = load_network("china-rs-polar")
    window = Window(sc.start, 6 * 3600.0, 120.0)
    grid = Grid.build(15.0)
    contacts = find_contacts(sc.constellation, net, Window(sc.start, window.duration_s + 3600.0 * 12, 120.0))
    one = ground_latency(sc.constellation, grid, window, net, tail_s=12 * 3600.0, chunk_samples=100_000,
                         contacts=contacts)
    small = ground_latency(sc.constellation, grid, window, net, tail_s=12 * 3600.0, chunk_samples=3,
                           contacts=contacts)
    for k, v in one.figures.items():
        np.testing.assert_allclose(small.figures[k], v, rtol=1e-9, atol=1e-6, equal_nan=True, err_msg=k)
    for key in ("system_response_s", "data_latency_s"):
        for q, v in one.summary[key].items():
            assert small.summary[key][q] == pytest.approx(v, rel=1e-9), (key, q)
    assert small.summary["censored_request_share"] == pytest.approx(one.summary["censored_request_share"])


# ----------------------------------------------------------------------------- command line
def test_contacts_command_csv_json_and_summary(tmp_path):
    r = CliRunner().invoke(main, ["contacts", str(TINY_TOML), "--stations", "china-rs", "--days", "0.5"])
    assert r.exit_code == 0, r.output
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("g-")]
    assert r.stdout.splitlines()[0].startswith("satellite,station,aos_utc,los_utc,duration_s")
    assert rows and all(ln.split(",")[2].endswith("Z") and len(ln.split(",")[2]) == 24 for ln in rows)
    out = tmp_path / "c.jsonl"
    r = CliRunner().invoke(main, ["contacts", str(TINY_TOML), "--stations", "china-rs", "--days", "0.5",
                                  "--json", "-o", str(out), "--summary"])
    assert r.exit_code == 0, r.output
    objs = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(objs) == len(rows) and objs[0]["los_s"] > objs[0]["aos_s"]
    summary = json.loads(r.stdout)
    assert [s["station"] for s in summary["stations"]] == ["Miyun", "Kashi", "Sanya", "Mohe"]
    # A half-day window gives its own count a day (a lower bound), not twice it.
    assert sum(s["contacts_per_day"] for s in summary["stations"]) == pytest.approx(len(objs))


def test_contacts_command_errors(tmp_path):
    r = CliRunner().invoke(main, ["contacts", str(TINY_TOML)])
    assert r.exit_code != 0 and "--stations" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lat_deg,lon_deg\nX,91,0\n")
    r = CliRunner().invoke(main, ["contacts", str(TINY_TOML), "--stations", str(bad)])
    assert r.exit_code == 1 and f"{bad}:2: lat_deg" in r.output and "Traceback" not in r.output


def test_run_without_stations_has_no_ground_figures():
    r = Study.from_scenario(TINY_TOML).with_overrides(grid_res_deg=30).run(progress=False)
    assert "ground" not in r.summary() and "mean_system_response_s" not in r.figures


def test_run_stations_json_table_and_files(tmp_path):
    from sim.outputs.io import load_result

    out = tmp_path / "r.nc"
    args = ["run", str(TINY_TOML), "--grid-res", "30", "--stations", "china-rs-polar"]
    r = CliRunner().invoke(main, args + ["--json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    g = json.loads(r.stdout)["ground"]
    assert g["network"] == "china-rs-polar" and len(g["stations"]) == 7
    assert 0 < g["system_response_s"]["p50"] <= g["system_response_s"]["p95"]
    back = load_result(out)
    assert back.summary()["ground"]["system_response_s"]["p50"] == g["system_response_s"]["p50"]
    assert "mean_system_response_s" in back.figures
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "gnd p50" in r.stdout and "From request to image on the ground" in r.stdout
    r = CliRunner().invoke(main, ["map", str(TINY_TOML), "--figure", "system_response", "-o",
                                  str(tmp_path / "m.png")])
    assert r.exit_code == 2 and "--stations" in r.output
