"""The command line as a user meets it (click's CliRunner)."""

import json

import pytest
from click.testing import CliRunner

from cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_help_explains_itself(runner):
    r = runner.invoke(main, ["--help"])
    assert r.exit_code == 0 and "revisit" in r.output and "run" in r.output
    r = runner.invoke(main, ["run", "--help"])
    assert "--tle" in r.output and "--json" in r.output


def test_scenarios_lists_the_seeds(runner):
    r = runner.invoke(main, ["scenarios", "--json"])
    assert r.exit_code == 0
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert [row["satellites"] for row in rows] == [13, 60, 83, 108, 138]


def test_run_json_has_the_documented_fields(runner, tmp_path, tiny_scenario):
    p = tmp_path / "tiny.toml"
    p.write_text(tiny_scenario)
    r = runner.invoke(main, ["run", str(p), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    for key in ("satellites", "points", "step_s", "max_revisit_s", "mean_revisit_s", "mean_response_s",
                "coverage_fraction", "unseen_share", "targets"):
        assert key in out
    assert set(out["max_revisit_s"]) == {"p50", "p90", "p95", "p99", "max"}
    assert out["satellites"] == 4 and out["points"] == 648 and out["step_s"] == 120
    t = out["targets"][0]
    assert t["name"] == "within 1 h" and t["threshold_s"] == 3600 and t["verdict"] in ("met", "not met")


def test_run_table_and_overrides(runner, tmp_path, tiny_scenario):
    p = tmp_path / "tiny.toml"
    p.write_text(tiny_scenario)
    r = runner.invoke(main, ["run", str(p), "--off-nadir", "30", "--days", "0.1", "--target", "1h"])
    assert r.exit_code == 0, r.output
    assert "tiny" in r.output and "within 1h" in r.output


def test_run_tle(runner, tmp_path, tle_lines):
    L1, L2, _, _ = tle_lines
    p = tmp_path / "two.tle"
    p.write_text(f"SAT A\n{L1}\n{L2}\n")
    r = runner.invoke(main, ["run", "--tle", str(p), "--days", "0.05", "--grid-res", "10", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output.strip().splitlines()[-1])["satellites"] == 1


@pytest.mark.parametrize("edit, expect", [
    (lambda s: s.replace('pattern = "walker_delta"', 'pattern = "walker_delta"\ncolour = "red"'),
     "group[1].colour: unknown key"),
    (lambda s: s.replace("total = 4", 'total = "four"'), "group[1].total: expected an integer"),
    (lambda s: s.replace("alt_km = 535\n", ""), "group[1].alt_km: missing required key"),
    (lambda s: s.replace("alt_km = 535", "alt_kn = 535"),
     "group[1].alt_km: missing required key (is 'group[1].alt_kn' a misspelling of it?)"),
    (lambda s: s.replace("max_off_nadir_deg = 45", "max_off_nadir_deg = 120"),
     "group[1].sensor.max_off_nadir_deg: must be in (0, 90]"),
    (lambda s: s.replace("hours = 3", "hours = 3\nhours = 4"), "TOML syntax error"),
    (lambda s: s.replace("step_s = 120", "step_s = 0"), "window.step_s: must be in"),
    (lambda s: s.replace("[window]", "[windows]"), "window: missing required table"),
])
def test_bad_scenario_one_line_error(runner, tmp_path, tiny_scenario, edit, expect):
    p = tmp_path / "bad.toml"
    p.write_text(edit(tiny_scenario))
    r = runner.invoke(main, ["run", str(p)])
    assert r.exit_code != 0
    assert r.exception is None or isinstance(r.exception, SystemExit)  # no traceback
    err = r.output.strip().splitlines()[-1]
    assert err.startswith(f"Error: {p}")
    assert expect in err


def test_bad_tle_one_line_error(runner, tmp_path, tle_lines):
    L1, L2, _, _ = tle_lines
    p = tmp_path / "bad.tle"
    p.write_text(f"SAT A\n{L1[:68]}0\n{L2}\n")
    r = runner.invoke(main, ["run", "--tle", str(p)])
    assert r.exit_code != 0 and isinstance(r.exception, SystemExit)
    assert r.output.strip().splitlines()[-1] == f"Error: {p}:2: checksum: checksum is 0 but the line sums to 9"


def test_bad_option_values(runner):
    for args in (["--grid-res", "0"], ["--days", "0"], ["--off-nadir", "95"], ["--start", "yesterday"]):
        r = runner.invoke(main, ["run", "jilin1-2019", *args])
        assert r.exit_code != 0 and isinstance(r.exception, SystemExit), args
        assert "Traceback" not in r.output


def test_unknown_scenario_name(runner):
    r = runner.invoke(main, ["run", "no-such-thing"])
    assert r.exit_code != 0 and "no such file or built-in scenario" in r.output


def test_out_dash_streams_the_json_and_messages_go_to_stderr(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from conftest import TINY_TOML

    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-m", "cli", "run", str(TINY_TOML), "-o", "-"], capture_output=True,
                       text=True, cwd=tmp_path, timeout=600, env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["summary"]["satellites"] == 4
    assert "scenario            sats" in r.stderr  # the table, out of the data's way
    out = tmp_path / "tracks.png"
    r = CliRunner().invoke(main, ["tracks", str(TINY_TOML), "-o", str(out), "--hours", "0.5"])
    assert r.exit_code == 0 and r.stdout == "" and f"wrote {out}" in r.stderr
