"""Whatever a user types wrong: a one-line error, a non-zero exit, never a traceback."""

import math

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from constellation.constants import WGS84_A_KM
from constellation.validate import check_off_nadir, horizon_off_nadir_deg

TINY = """
[scenario]
name = "tiny"

[window]
start = 2026-01-01T00:00:00Z
hours = 2
step_s = 120

[grid]
res_deg = 10

[[group]]
name = "g"
pattern = "walker_delta"
total = 4
planes = 2
phasing = 1
alt_km = 535
inclination_deg = "sso"
[group.sensor]
max_off_nadir_deg = 45
"""


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def scenario(tmp_path):
    def write(text=TINY):
        p = tmp_path / "s.toml"
        p.write_text(text)
        return str(p)
    return write


@pytest.fixture
def catalog(tmp_path, tle_lines):
    L1, L2, _, _ = tle_lines
    p = tmp_path / "one.tle"  # epoch 2025-10-03
    p.write_text(f"SAT A\n{L1}\n{L2}\n")
    return str(p)


def one_line_error(r, expect: str) -> str:
    assert r.exit_code != 0, r.output
    assert isinstance(r.exception, SystemExit), repr(r.exception)  # a click error, not a crash
    assert "Traceback" not in r.output
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("Error: "), r.output
    assert expect in last, last
    return last


# ---------------------------------------------------------------------------- scenario files
@pytest.mark.parametrize("edit, expect", [
    (("alt_km = 535", "alt_km = -400"), "group[1].alt_km: must be between 150 and 50000 km, got -400"),
    (("alt_km = 535", "alt_km = 0"), "group[1].alt_km: must be between 150 and 50000 km"),
    (("alt_km = 535", "alt_km = 1e7"), "group[1].alt_km: must be between 150 and 50000 km"),
    (("alt_km = 535", 'alt_km = "low"'), "group[1].alt_km: expected a number"),
    (("max_off_nadir_deg = 45", "max_off_nadir_deg = 70"),
     "group[1].sensor.max_off_nadir_deg: 70 deg off nadir is beyond the Earth's limb, which is 67.3 deg"),
    (("max_off_nadir_deg = 45", "max_off_nadir_deg = 90"), "beyond the Earth's limb"),
    (("max_off_nadir_deg = 45", "max_off_nadir_deg = -5"), "group[1].sensor.max_off_nadir_deg: must be in (0, 90]"),
    (("res_deg = 10", "res_deg = 0"), "grid.res_deg: must be in [0.01, 90], got 0"),
    (("res_deg = 10", "res_deg = -1"), "grid.res_deg: must be in"),
    (("hours = 2", "hours = 0"), "window.hours: must be in (0, 8784], got 0"),
    (("hours = 2", "days = 0"), "window.days: must be in (0, 366], got 0"),
    (("hours = 2", "days = -3"), "window.days: must be in (0, 366]"),
    (("hours = 2", "hours = 0.01"), "window.step_s: step_s (120.0) is longer than the window"),
    (("2026-01-01T00:00:00Z", "1950-06-01T00:00:00Z"), "window.start: 1950-06-01T00:00:00+00:00 is outside the "
                                                       "years sgp4 handles (1957-2056)"),
    (("2026-01-01T00:00:00Z", "2080-01-01T00:00:00Z"), "outside the years sgp4 handles"),
    (("2026-01-01T00:00:00Z", '"next tuesday"'), "window.start: not an ISO date-time"),
])
def test_bad_scenario_values(runner, scenario, edit, expect):
    path = scenario(TINY.replace(*edit))
    last = one_line_error(runner.invoke(main, ["run", path]), expect)
    assert last.startswith(f"Error: {path}")


def test_off_nadir_just_inside_the_limb_is_accepted(runner, scenario):
    r = runner.invoke(main, ["run", scenario(TINY.replace("max_off_nadir_deg = 45", "max_off_nadir_deg = 67"))])
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------------------- command-line options
@pytest.mark.parametrize("args, expect", [
    (["--grid-res", "0"], "Invalid value for '--grid-res'"),
    (["--grid-res", "-2"], "Invalid value for '--grid-res'"),
    (["--days", "0"], "Invalid value for '--days'"),
    (["--days", "-1"], "Invalid value for '--days'"),
    (["--days", "0.001", "--step", "3600"],
     "step must be positive and no longer than the window (86.4 s), got 3600 s"),
    (["--step", "0"], "Invalid value for '--step'"),
    (["--off-nadir", "80"], "--off-nadir: 80 deg off nadir is beyond the Earth's limb for every satellite of group"),
    (["--off-nadir", "95"], "Invalid value for '--off-nadir'"),
    (["--off-nadir", "0"], "Invalid value for '--off-nadir'"),
    (["--min-elevation", "90"], "Invalid value for '--min-elevation'"),
    (["--start", "1900-01-01"], "outside the years sgp4 handles (1957-2056)"),
    (["--start", "2070-01-01T00:00:00Z"], "outside the years sgp4 handles (1957-2056)"),
    (["--start", "yesterday"], "is not an ISO date-time"),
    (["--lat-min", "10", "--lat-max", "5"], "need -90 <= lat_min < lat_max <= 90"),
    (["--lat-min", "-100"], "Invalid value for '--lat-min'"),
    (["--target", "0min"], "a duration must be positive"),
    (["--target", "soon"], "is not a duration"),
    (["--memory-limit", "lots"], "is not a size like 4GB"),
    (["--memory-limit", "0"], "at least 1 byte"),
    (["--memory-limit", "1MB"], "this run needs about"),
    (["--out", "result.xlsx"], "unknown output format '.xlsx'"),
    (["--out", "no/such/folder/result.nc"], "does not exist"),
])
def test_bad_options(runner, scenario, tmp_path, monkeypatch, args, expect):
    monkeypatch.chdir(tmp_path)
    one_line_error(runner.invoke(main, ["run", scenario(), *args]), expect)
    if "--out" in args:
        assert not list(tmp_path.glob("result*"))


def test_memory_refusal_says_how_big_and_what_to_shrink(runner, scenario):
    last = one_line_error(runner.invoke(main, ["run", scenario(), "--memory-limit", "1MB"]), "needs about")
    assert "648 points" in last and "memory limit of 1.0 MB" in last and "coarser grid" in last


def test_catalog_window_decades_from_its_epoch(runner, catalog):
    last = one_line_error(runner.invoke(main, ["run", "--tle", catalog, "--start", "2050-01-01", "--grid-res", "10"]),
                          "--start: the window (2050-01-01 + 1 d) reaches")
    assert "after the newest element-set epoch (2025-10-03)" in last
    one_line_error(runner.invoke(main, ["run", "--tle", catalog, "--start", "1990-01-01", "--grid-res", "10"]),
                   "before the oldest element-set epoch (2025-10-03)")


def test_catalog_window_near_its_epoch_runs(runner, catalog):
    r = runner.invoke(main, ["run", "--tle", catalog, "--start", "2025-11-01", "--days", "0.05", "--grid-res", "10"])
    assert r.exit_code == 0, r.output


def test_catalog_off_nadir_beyond_limb(runner, catalog):
    last = one_line_error(runner.invoke(main, ["run", "--tle", catalog, "--off-nadir", "75"]), "--off-nadir: 75 deg")
    assert "group 'catalog'" in last and "limb" in last


# ---------------------------------------------------------------------------- show
def test_show_missing_and_bad_files(runner, tmp_path):
    one_line_error(runner.invoke(main, ["show", str(tmp_path / "nothing.nc")]), "file not found")
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon\n1,2\n")
    one_line_error(runner.invoke(main, ["show", str(bad)]), "bad.csv: not a revisit result")
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    one_line_error(runner.invoke(main, ["show", str(txt)]), "unknown output format '.txt'")
    nc = tmp_path / "bad.nc"
    nc.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    one_line_error(runner.invoke(main, ["show", str(nc)]), "bad.nc: cannot read it as a revisit netcdf result")
    one_line_error(runner.invoke(main, ["show"]), "Missing argument")


# ---------------------------------------------------------------------------- the geometry behind the limb check
def test_limb_angle_against_ray_sphere_intersection():
    """asin(R/r) is where a ray from the satellite stops meeting the sphere: check
    by intersecting rays with the sphere, independently of the formula."""
    R = WGS84_A_KM
    for alt in (300.0, 535.0, 1200.0, 20200.0, 35786.0):
        r = R + alt

        def hits(eta_deg):  # satellite at (0, 0, r) looking at eta from nadir (-z)
            d = np.array([math.sin(math.radians(eta_deg)), 0.0, -math.cos(math.radians(eta_deg))])
            p = np.array([0.0, 0.0, r])
            b = 2 * p @ d
            c = p @ p - R * R
            return b * b - 4 * c >= 0 and -b > 0

        lo, hi = 0.0, 90.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if hits(mid) else (lo, mid)
        assert horizon_off_nadir_deg(r) == pytest.approx(lo, abs=1e-9)
        assert check_off_nadir(lo - 1e-6, alt) is None
        assert "beyond the Earth's limb" in check_off_nadir(lo + 1e-3, alt)
    assert horizon_off_nadir_deg(R + 535) == pytest.approx(67.31, abs=0.01)
