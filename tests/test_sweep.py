"""Sweeps and sizing: Dask vs sequential, resume, failures, the sizing search vs brute force.

Small on purpose: 10 deg grids, 6 h windows, a few satellites.  One LocalCluster
(2 single-threaded worker processes) serves the whole module.
"""

import json
from datetime import datetime, timezone

import numpy as np
import pytest
from click.testing import CliRunner

from constellation.core import Constellation
from constellation.errors import InputError
from constellation.patterns import sso_planes, walker
from constellation.sensor import Sensor
from constellation.sweepspec import SweepError, build_configuration, local_times, parse_sweep
from sim import Grid, Target, Window, run
from sim.studies.sizing import brute_force_family, meets_target, size_search
from sim.studies.sweep import (
    DaskExecutor,
    Journal,
    SequentialExecutor,
    journal_path,
    pareto_front,
    run_configurations,
    sweep,
)

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def walker_raw():
    return {
        "sweep": {"name": "w"},
        "window": {"start": "2026-01-01T00:00:00Z", "hours": 6, "step_s": 60},
        "grid": {"res_deg": 10},
        "target": [{"name": "within 3 h", "max_revisit_h": 3}],
        "group": {"pattern": "walker_delta", "alt_km": 535, "inclination_deg": 60, "phasing": 1,
                  "sensor": {"max_off_nadir_deg": 45}},
        "vary": {"planes": [2, 3], "sats_per_plane": [2, 4]},
        # the third point's altitude is below what any orbit flies: every one of its configurations fails
        "point": [{}, {"alt_km": 900, "sensor.max_off_nadir_deg": 40}, {"alt_km": 90}],
    }


def family_raw():
    return {
        "sweep": {"name": "tiny-family"},
        "window": {"start": "2026-01-01T00:00:00Z", "hours": 6, "step_s": 60},
        "grid": {"res_deg": 10, "lat_min_deg": -50, "lat_max_deg": 50},
        "group": {"pattern": "sso_planes", "alt_km": 1500, "ltdn_from_hours": 6, "phasing": 1,
                  "sensor": {"max_off_nadir_deg": 50}},
    }


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=40)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def sequential_table(tmp_path_factory):
    """The Walker sweep run sequentially once: (csv text, rows, configurations)."""
    spec = parse_sweep(walker_raw())
    out = tmp_path_factory.mktemp("seq") / "seq.csv"
    res = sweep(spec, out, SequentialExecutor())
    return out.read_text(), res.rows, spec.configurations(), res.stats


# ---------------------------------------------------------------- spec expansion (pure)
def test_expansion_order_keys_and_derived_parameters():
    spec = parse_sweep(walker_raw())
    confs = spec.configurations()
    assert len(confs) == 3 * 4
    assert [c.params for c in confs[:4]] == [{"planes": 2, "sats_per_plane": 2}, {"planes": 2, "sats_per_plane": 4},
                                             {"planes": 3, "sats_per_plane": 2}, {"planes": 3, "sats_per_plane": 4}]
    assert confs[4].params == {"alt_km": 900, "sensor.max_off_nadir_deg": 40, "planes": 2, "sats_per_plane": 2}
    assert len({c.key for c in confs}) == len(confs)
    # Stable: the same parameters in another order give the same key; a changed window another.
    again = parse_sweep(walker_raw()).configurations()
    assert [c.key for c in again] == [c.key for c in confs]
    raw = walker_raw()
    raw["group"] = dict(reversed(list(raw["group"].items())))
    assert [c.key for c in parse_sweep(raw).configurations()] == [c.key for c in confs]
    raw["window"]["hours"] = 7
    assert parse_sweep(raw).configurations()[0].key != confs[0].key
    sc = build_configuration(confs[3])
    assert len(sc.constellation) == 12
    assert sc.constellation.groups[0].sensor == Sensor(max_off_nadir_deg=45)
    assert build_configuration(confs[4]).constellation.groups[0].sensor.max_off_nadir_deg == 40


def test_sso_local_times_from_planes():
    assert local_times(4, 6) == [6.0, 9.0, 12.0, 15.0]
    assert local_times(11, 6, 16) == [float(h) for h in range(6, 17)]
    assert local_times(3, 22, None) == [22.0, 2.0, 6.0]
    raw = family_raw()
    raw["vary"] = {"planes": [4], "sats_per_plane": [3]}
    sc = build_configuration(parse_sweep(raw).configurations()[0])
    ref = sso_planes(1500, [6.0, 9.0, 12.0, 15.0], [3] * 4, START, phasing=1)
    got = [s.satrec for s in sc.constellation.satellites]
    assert len(got) == len(ref) == 12
    for s, o in zip(got, ref):
        r = o.to_satrec(1)
        assert (s.inclo, s.nodeo, s.argpo, s.mo, s.no_kozai) == pytest.approx((r.inclo, r.nodeo, r.argpo, r.mo, r.no_kozai),
                                                                               abs=0)


def test_spec_errors_name_the_key():
    raw = walker_raw()
    raw["vary"]["alt"] = [500]
    with pytest.raises(SweepError, match=r"vary\.alt: unknown key 'alt'"):
        parse_sweep(raw, "s.toml")
    raw = walker_raw()
    raw["vary"]["sensor.swath"] = [100]
    with pytest.raises(SweepError, match="sensor.swath"):
        parse_sweep(raw, "s.toml")
    raw = walker_raw()
    raw["vary"]["planes"] = 3
    with pytest.raises(SweepError, match="s.toml: vary.planes: expected a non-empty list"):
        parse_sweep(raw, "s.toml")


def test_targets_whose_table_columns_collide_are_refused():
    """'within 3 h' and 'within-3-h' both make within_3_h_* columns: one would take the
    other's place in the table."""
    raw = walker_raw()
    raw["target"].append({"name": "within-3-h", "max_revisit_h": 6})
    with pytest.raises(SweepError, match=r"s.toml: target\[2\]\.name: 'within-3-h' makes the same table columns "
                                         r"\(within_3_h_\*\) as target\[1\] 'within 3 h'"):
        parse_sweep(raw, "s.toml")
    spec = parse_sweep(walker_raw(), "s.toml")
    with pytest.raises(SweepError, match=r"target\[2\]\.name: 'within 3 h' \(from --target\)"):
        spec.with_overrides(targets=[{"name": "within 3 h", "max_revisit_h": 1}])
    assert len(spec.with_overrides(targets=[{"name": "within 1 h", "max_revisit_h": 1}]).targets) == 2


def test_sweep_local_times_are_hours_of_a_day():
    from constellation.sweepspec import resolve_group

    for key, value in (("ltdn_from_hours", 30), ("ltdn_from_hours", -3), ("ltdn_to_hours", 24)):
        group = {"pattern": "sso_planes", "alt_km": 535, "planes": 2, "ltdn_from_hours": 6, key: value}
        with pytest.raises(SweepError, match=rf"s.toml: {key}: a local time is hours in \[0, 24\), got {value}"):
            resolve_group(group, "s.toml")
    assert resolve_group({"pattern": "sso_planes", "planes": 2, "ltdn_from_hours": 20})["ltdn_hours"] == [20.0, 2.0]


def test_one_configuration_is_listed_once():
    # A value listed twice (535 and 535.0 hash apart), two spellings of one key, or both
    # window lengths would run a configuration twice or let one value silently win.
    raw = walker_raw()
    raw["vary"]["alt_km"] = [535, 600, 535.0]
    with pytest.raises(SweepError, match=r"s.toml: vary.alt_km: 535 and 535.0 are the same value"):
        parse_sweep(raw, "s.toml")
    raw = walker_raw()
    raw["vary"].update({"sensor.max_off_nadir_deg": [30], "group.sensor.max_off_nadir_deg": [40]})
    with pytest.raises(SweepError, match=r"vary.group.sensor.max_off_nadir_deg: 'sensor.max_off_nadir_deg' and "
                                         r"'group.sensor.max_off_nadir_deg' name the same key"):
        parse_sweep(raw, "s.toml")
    raw = walker_raw()
    with pytest.raises(SweepError, match=r"'window.hours' and 'window.days' both set the window's length"):
        parse_sweep(dict(raw, window={"start": "2026-01-01T00:00:00Z", "step_s": 60}, vary={
            "window.hours": [6], "window.days": [1]}), "s.toml")
    raw = walker_raw()
    raw["point"] = [{"window.days": 1}]
    raw["vary"]["window.hours"] = [3, 6]
    with pytest.raises(SweepError, match=r"point\[1\].window.hours: 'window.days' and 'window.hours'"):
        parse_sweep(raw, "s.toml")
    raw = walker_raw()
    raw["point"] = [{"group.alt_km": 600, "alt_km": 500}]
    with pytest.raises(SweepError, match=r"point\[1\].alt_km: 'group.alt_km' and 'alt_km' name the same key"):
        parse_sweep(raw, "s.toml")
    # Distinct values and one spelling per key still expand as before.
    raw = walker_raw()
    raw["vary"]["window.hours"] = [3, 6]
    assert len(parse_sweep(raw, "s.toml").configurations()) == 3 * 4 * 2


def test_sensor_fields_pass_through():
    """Every Sensor field can be set from a sweep (Sensor(**table)), including ones added later."""
    from dataclasses import fields

    new = [f.name for f in fields(Sensor) if f.name not in ("kind", "max_off_nadir_deg", "min_elevation_deg")]
    if "min_sun_elevation_deg" in new:
        raw = walker_raw()
        raw["vary"] = {"planes": [2], "sats_per_plane": [2], "sensor.min_sun_elevation_deg": [10.0]}
        del raw["point"]
        conf = parse_sweep(raw).configurations()[0]
        assert conf.params["sensor.min_sun_elevation_deg"] == 10.0
        sc = build_configuration(conf)
        assert sc.constellation.groups[0].sensor.min_sun_elevation_deg == 10.0
    raw = walker_raw()
    raw["group"]["sensor"] = {"max_off_nadir_deg": 120}
    conf = parse_sweep(raw).configurations()[0]
    with pytest.raises(InputError, match="max_off_nadir_deg"):
        build_configuration(conf)


# ---------------------------------------------------------------- the sweep
def test_rows_match_direct_runs(sequential_table):
    """Independent reference: the same constellations built by hand from the patterns and run."""
    _, rows, confs, _ = sequential_table
    grid = Grid.regular(10)
    window = Window(START, 6 * 3600, 60)
    for i, (alt, eta) in ((3, (535, 45)), (5, (900, 40))):
        p, n = confs[i].params["planes"], confs[i].params["sats_per_plane"]
        orbits = walker(p * n, p, 1, alt, 60.0, START)
        const = Constellation.from_orbits("ref", orbits, Sensor(max_off_nadir_deg=eta))
        s = run(const, grid, window, [Target("within 3 h", 3 * 3600)]).summary()
        r = rows[i]
        assert r["satellites"] == p * n
        assert r["max_revisit_p50_s"] == s["max_revisit_s"]["p50"]
        assert r["max_revisit_p95_s"] == s["max_revisit_s"]["p95"]
        assert r["max_revisit_max_s"] == s["max_revisit_s"]["max"]
        assert r["mean_response_s"] == s["mean_response_s"]
        assert r["within_3_h_share_met"] == s["targets"][0]["share_met"]
        assert r["within_3_h_verdict"] == s["targets"][0]["verdict"]


def test_failing_configurations_are_recorded(sequential_table):
    _, rows, _, stats = sequential_table
    bad = [r for r in rows if r["status"] != "ok"]
    assert [r["index"] for r in bad] == [8, 9, 10, 11]
    assert stats.failed == 4
    for r in bad:
        assert "alt_km" in r["error"] and "150" in r["error"]
        assert r["max_revisit_p95_s"] is None
    good = [r for r in rows if r["status"] == "ok"]
    assert len(good) == 8 and all(r["error"] == "" and r["max_revisit_p95_s"] > 0 for r in good)


def test_dask_table_equals_sequential(client, sequential_table, tmp_path):
    text, rows, confs, _ = sequential_table
    out = tmp_path / "dask.nc"
    res = sweep(parse_sweep(walker_raw()), out, DaskExecutor(client=client))
    assert res.stats.ran == len(confs) and res.stats.failed == 4
    assert (tmp_path / "dask.csv").read_text() == text
    workers = {json.loads(line)["worker"] for line in journal_path(out).read_text().splitlines()}
    assert len(workers) >= 1
    xr = pytest.importorskip("xarray")
    with xr.open_dataset(out) as ds:
        np.testing.assert_array_equal(ds["max_revisit_p95_s"].values,
                                      [np.nan if r["max_revisit_p95_s"] is None else r["max_revisit_p95_s"]
                                       for r in rows])
        assert list(ds["status"].values) == [r["status"] for r in rows]


def test_interrupted_sweep_resumes_without_redoing(client, sequential_table, tmp_path):
    text, _, confs, _ = sequential_table
    spec = parse_sweep(walker_raw())
    out = tmp_path / "r.csv"

    def interrupt_after_three(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(spec, out, DaskExecutor(client=client), progress=interrupt_after_three)
    journal = journal_path(out)
    assert len(journal.read_text().splitlines()) == 3
    assert len(out.read_text().splitlines()) == 1 + 3  # the partial table of what finished
    with open(journal, "a") as f:  # a line torn by the interruption
        f.write('{"key": "abc", "res')
    with pytest.raises(InputError, match="--resume"):
        sweep(spec, out, SequentialExecutor())
    ran = []

    def count(done, total):
        ran.append((done, total))

    res = sweep(spec, out, DaskExecutor(client=client), resume=True, progress=count)
    assert res.stats.ran == len(confs) - 3 and res.stats.reused == 3
    assert ran[-1] == (len(confs) - 3, len(confs) - 3)
    assert out.read_text() == text
    j = Journal(journal)
    assert len(j.records()) == len(confs) and j.torn == 1
    res = sweep(spec, out, SequentialExecutor(), resume=True)
    assert res.stats.ran == 0
    res = sweep(spec, out, SequentialExecutor(), resume=True, retry_failed=True)
    assert res.stats.ran == 4
    assert out.read_text() == text


def test_an_interrupted_sweep_keeps_a_complete_table(sequential_table, tmp_path):
    """Run again with --overwrite and interrupted: the complete table stays as it was."""
    text, _, _, _ = sequential_table
    spec = parse_sweep(walker_raw())
    out = tmp_path / "r.csv"
    out.write_text(text)

    def interrupt_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(spec, out, SequentialExecutor(), overwrite=True, progress=interrupt_after_two)
    assert out.read_text() == text
    assert len(journal_path(out).read_text().splitlines()) == 2


def test_worker_errors_do_not_stop_the_sweep(client):
    """A task that raises on the worker (not an error the run catches) becomes an error row."""
    spec = parse_sweep(walker_raw())
    confs = spec.configurations()[:3]
    bad_key = confs[1].key

    def task(conf, numba_threads=None):  # pickled by value to the workers
        from sim.studies.sweep import run_configuration

        if conf["key"] == bad_key:
            raise RuntimeError("worker lost its disk")
        return run_configuration(conf, numba_threads)

    records, stats = run_configurations(confs, DaskExecutor(client=client, task=task))
    assert [r["status"] for r in records] == ["ok", "error", "ok"]
    assert records[1]["error"] == "RuntimeError: worker lost its disk"
    assert stats.ran == 3 and stats.failed == 1
    # and the same configuration is fine with the real task
    records, _ = run_configurations(confs, SequentialExecutor())
    assert [r["status"] for r in records] == ["ok", "ok", "ok"]


# ---------------------------------------------------------------- sizing
def test_size_search_finds_the_brute_force_smallest(client):
    spec = parse_sweep(family_raw())
    planes, per_plane, target = range(1, 7), range(1, 7), 2 * 3600.0
    with SequentialExecutor() as ex:
        best, rows = brute_force_family(spec, planes, per_plane, ex, "within 2 h", target)
    # The search assumes monotonicity in satellites per plane: true of this family at this target.
    for p in planes:
        ok = [meets_target(r, "within 2 h", target) for r in rows if r["planes"] == p]
        assert ok == sorted(ok), (p, ok)
    assert (best["planes"], best["sats_per_plane"]) == (5, 2)
    res = size_search(spec, "within 2 h", target, DaskExecutor(client=client), list(planes), 1, 6)
    assert (res.best["planes"], res.best["sats_per_plane"], res.best["satellites"]) == (5, 2, 10)
    assert res.best["max_revisit_max_s"] == best["max_revisit_max_s"]
    assert res.warnings == []
    by_p = {p["planes"]: p for p in res.per_planes}
    for p in planes:
        ok = [r["sats_per_plane"] for r in rows if r["planes"] == p and meets_target(r, "within 2 h", target)]
        if by_p[p]["sats_per_plane"] is not None:
            assert by_p[p]["sats_per_plane"] == min(ok)
        else:  # none within bounds, or pruned: no member of this plane count beats the answer
            assert not ok or min(ok) * p > 10 or (min(ok) * p == 10 and p > 5)
    assert len(res.rows) < len(rows)  # the search ran fewer members than the brute force
    # The 95th percentile reading is weaker: never a bigger answer.
    res95 = size_search(spec, "within 2 h", target, SequentialExecutor(), list(planes), 1, 6, percentile=95)
    assert res95.best["satellites"] <= 10


def test_pareto_front_and_plot(sequential_table, tmp_path):
    rows = [{"status": "ok", "satellites": s, "max_revisit_p95_s": y, "label": f"{s}/{y}"}
            for s, y in ((10, 500.0), (10, 400.0), (20, 450.0), (30, 300.0), (40, 300.0), (5, 900.0))]
    assert [(r["satellites"], r["max_revisit_p95_s"]) for r in pareto_front(rows)] == [(5, 900.0), (10, 400.0),
                                                                                      (30, 300.0)]
    from sim.outputs.plot import plot_pareto

    _, table, _, _ = sequential_table
    fig = plot_pareto(table, tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 10000
    assert "4 failed" in fig.axes[0].get_title()


# ---------------------------------------------------------------- the command line
def _write(tmp_path, name, raw_text):
    p = tmp_path / name
    p.write_text(raw_text)
    return p


WALKER_TOML = """
[sweep]
name = "cli-walker"
[window]
start = 2026-01-01T00:00:00Z
hours = 6
step_s = 60
[grid]
res_deg = 10
[[target]]
name = "within 3 h"
max_revisit_h = 3
[group]
pattern = "walker_delta"
alt_km = 535
inclination_deg = 60
phasing = 1
[group.sensor]
max_off_nadir_deg = 45
[vary]
planes = [2, 3]
sats_per_plane = [2, 4]
alt_km = [535, 90]
"""


def test_cli_sweep_and_size(tmp_path, sequential_table):
    from cli import main

    spec = _write(tmp_path, "w.toml", WALKER_TOML)
    runner = CliRunner()
    out = tmp_path / "t.csv"
    r = runner.invoke(main, ["sweep", str(spec), "--sequential", "-o", str(out), "--plot", str(tmp_path / "t.png")])
    assert r.exit_code == 0, r.output
    assert "8 configurations run" in r.output and "4 failed" in r.output
    assert "failed: " in r.output and (tmp_path / "t.png").exists()
    r = runner.invoke(main, ["sweep", str(spec), "--sequential", "-o", str(out)])
    assert r.exit_code == 1 and "--resume" in r.output and "Traceback" not in r.output
    r = runner.invoke(main, ["sweep", str(spec), "--sequential", "-o", str(out), "--resume", "--json"])
    assert r.exit_code == 0, r.output
    assert "0 configurations run, 8 taken" in r.output
    lines = [json.loads(x) for x in r.output.splitlines() if x.startswith("{")]
    assert len(lines) == 8
    fam = tmp_path / "f.toml"
    fam.write_text(WALKER_TOML.split("[vary]")[0].replace("phasing = 1", "phasing = 0"))
    r = runner.invoke(main, ["size", str(fam), "--target", "3h", "--planes", "1-3", "--max-per-plane", "4",
                             "--sequential", "-o", str(tmp_path / "s.csv"), "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(next(x for x in r.output.splitlines() if x.startswith("{")))
    assert got["threshold_s"] == 3 * 3600 and got["percentile"] == 100
    r = runner.invoke(main, ["sweep", str(spec), "--list"])
    assert r.exit_code == 0 and len(r.output.splitlines()) == 8
    bad = _write(tmp_path, "bad.toml", WALKER_TOML.replace("alt_km = [535, 90]", "altitude = [1]"))
    r = runner.invoke(main, ["sweep", str(bad), "--sequential", "-o", str(tmp_path / "b.csv")])
    assert r.exit_code == 1 and "bad.toml: vary.altitude: unknown key" in r.output


def test_cli_on_an_existing_scheduler_matches_sequential(client, tmp_path):
    from cli import main

    spec = _write(tmp_path, "w.toml", WALKER_TOML)
    runner = CliRunner()
    r = runner.invoke(main, ["sweep", str(spec), "--sequential", "-o", str(tmp_path / "seq.csv")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["sweep", str(spec), "--scheduler", client.scheduler.address, "-o",
                             str(tmp_path / "dask.csv")])
    assert r.exit_code == 0, r.output
    assert "on Dask at " + client.scheduler.address in r.output
    assert (tmp_path / "dask.csv").read_text() == (tmp_path / "seq.csv").read_text()


def test_a_varied_length_replaces_the_base_one_in_either_unit():
    """The base window in hours and the sweep varying days (or the other way round,
    or a point setting it): each configuration's window has the varied length alone."""
    for base, key, value in (("hours", "window.days", 1), ("days", "window.hours", 6)):
        raw = walker_raw()
        raw["window"] = {"start": "2026-01-01T00:00:00Z", base: 12 if base == "hours" else 1, "step_s": 60}
        raw["vary"] = {key: [value], "planes": [2], "sats_per_plane": [2]}
        raw.pop("point")
        (conf,) = parse_sweep(raw, "s.toml").configurations()
        unit = key.split(".")[1]
        assert conf.scenario["window"][unit] == value and base not in conf.scenario["window"]
        assert build_configuration(conf).duration_s == (86400.0 if unit == "days" else 6 * 3600.0)
    raw = walker_raw()
    raw["point"] = [{"window.days": 1, "planes": 2, "sats_per_plane": 2}]
    raw.pop("vary")
    (conf,) = parse_sweep(raw, "s.toml").configurations()
    assert "hours" not in conf.scenario["window"] and build_configuration(conf).duration_s == 86400.0


def test_a_point_neither_repeats_nor_fights_vary():
    """A [[point]] key that [vary] also sets would be silently overridden, and two
    equal points would run every configuration twice: both are refused by name."""
    raw = walker_raw()
    raw["point"] = [{"planes": 4}]
    with pytest.raises(SweepError, match=r"s.toml: point\[1\].planes: 'planes' is also varied \(\[vary\] 'planes'\)"):
        parse_sweep(raw, "s.toml")
    raw = walker_raw()
    raw["point"] = [{"alt_km": 600}, {"alt_km": 700}, {"alt_km": 600.0}]
    with pytest.raises(SweepError, match=r"s.toml: point\[3\]: repeats point\[1\]"):
        parse_sweep(raw, "s.toml")
