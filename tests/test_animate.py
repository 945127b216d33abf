"""`revisit animate`: footprints on the kernel's access boundary, the antimeridian
cut, the frames written (offline, counted back with Pillow), the cumulative
layer against runs that end at each frame, and writes that fail leaving nothing."""

import math
import socket

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import TINY_2H_TOML
from PIL import Image

from cli import main
from sim import Study
from sim.engine.geodesy import geodetic_to_ecef
from sim.kernels import coverage as K
from sim.outputs import animate as A


def sensor_row(eta_deg, eps_deg, swath_km=None):
    """One row of the kernel's sensor array, built by hand."""
    eta, eps = math.radians(eta_deg), math.radians(eps_deg)
    kind = K.KIND_SWATH if swath_km else K.KIND_OFF_NADIR
    return np.array([math.cos(eta), math.sin(eta), math.cos(eps), math.sin(eps), kind, 0.5 * (swath_km or 0.0),
                     K.NO_LIGHTING])


def access_excess_rad(sat_km, ground_km, eta_deg, eps_deg):
    """max(off-nadir - eta, eps - elevation) in rad, from the definitions: off nadir at the
    satellite from its geocentric nadir, elevation above the plane normal to the point's
    geocentric radius.  <= 0 where accessible, 0 on the boundary."""
    los = ground_km - sat_km
    off = np.arccos(np.clip(np.sum(-sat_km * los, -1) / (np.linalg.norm(sat_km) * np.linalg.norm(los, axis=-1)),
                            -1, 1))
    up = ground_km / np.linalg.norm(ground_km, axis=-1, keepdims=True)
    elev = np.arcsin(np.sum(-los * up, -1) / np.linalg.norm(los, axis=-1))
    return np.maximum(off - math.radians(eta_deg), math.radians(eps_deg) - elev)


@pytest.mark.parametrize("seed", range(6))
def test_footprint_outline_is_the_access_boundary(seed):
    rng = np.random.default_rng(seed)
    d = rng.normal(size=3)
    sat = d / np.linalg.norm(d) * rng.uniform(6700.0, 8000.0)
    eta, eps = rng.uniform(15.0, 60.0), rng.choice([0.0, rng.uniform(5.0, 40.0)])
    lon, lat, closed = A.footprint_outline(sat, np.zeros(3), sensor_row(eta, eps))
    assert closed and len(lon) >= A.FOOTPRINT_VERTICES
    ground, _ = geodetic_to_ecef(lat, lon)
    ring = np.abs(lat) < 89.999  # vertices added along a pole's latitude are not on the outline
    excess = access_excess_rad(sat, ground[ring], eta, eps)
    assert np.max(np.abs(excess)) < 1e-7, np.max(np.abs(excess))
    # Just inside the outline is accessible, just outside is not.
    sub = sat / np.linalg.norm(sat)
    for scale, sign in ((0.999, -1), (1.001, 1)):
        g = ground[ring] / np.linalg.norm(ground[ring], axis=-1, keepdims=True)
        ang = np.arccos(np.clip(g @ sub, -1, 1))
        tang = g - np.cos(ang)[:, None] * sub
        tang /= np.linalg.norm(tang, axis=-1, keepdims=True)
        moved = np.cos(scale * ang)[:, None] * sub + np.sin(scale * ang)[:, None] * tang
        moved *= A.surface_radius_km(moved)[:, None]
        assert np.all(sign * access_excess_rad(sat, moved, eta, eps) > 0)


def test_footprint_round_a_pole_is_closed_along_it():
    sat = np.array([0.0, 500.0, 7000.0])  # near the north pole, horizon-wide sensor
    lon, lat, closed = A.footprint_outline(sat, np.zeros(3), sensor_row(89.0, 0.0))
    assert closed and lat[-2] == lat[-3] == 90.0
    assert lon.max() - lon.min() == pytest.approx(360.0, abs=1e-9)
    pieces = A.split_polygon(lon, lat)
    assert all(p[:, 0].min() >= -180.0 and p[:, 0].max() <= 180.0 for p in pieces)
    assert sum(abs(shoelace(p)) for p in pieces) == pytest.approx(abs(shoelace(np.column_stack([lon, lat]))))


def test_swath_footprint_is_the_scan_line():
    sat = np.array([7000.0, 0.0, 0.0])
    vel = np.array([0.0, 1.0, 7.5])
    lon, lat, closed = A.footprint_outline(sat, vel, sensor_row(45.0, 0.0, swath_km=600.0))
    assert not closed
    ground, _ = geodetic_to_ecef(lat, lon)
    u = ground / np.linalg.norm(ground, axis=-1, keepdims=True)
    # Its two ends are a swath apart on the ground (6378 km radius at the equator), across the track.
    across = math.acos(np.clip(u[0] @ u[-1], -1, 1)) * 6378.137
    assert across == pytest.approx(600.0, rel=2e-3)
    assert abs((u[-1] - u[0]) @ (vel - (vel @ sat) / (sat @ sat) * sat)) < 1e-9


def shoelace(p):
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


@pytest.mark.parametrize("seed", range(5))
def test_split_polygon_keeps_the_area_within_the_map(seed):
    rng = np.random.default_rng(seed)
    centre = rng.choice([-1.0, 1.0]) * rng.uniform(165.0, 185.0)
    a = np.linspace(0, 2 * np.pi, 40)
    radius = rng.uniform(5.0, 20.0)
    lon, lat = centre + radius * np.cos(a), rng.uniform(-60, 60) + 0.7 * radius * np.sin(a)
    pieces = A.split_polygon(lon, lat)
    assert all(p[:, 0].min() >= -180.0 - 1e-12 and p[:, 0].max() <= 180.0 + 1e-12 for p in pieces)
    assert sum(abs(shoelace(p)) for p in pieces) == pytest.approx(abs(shoelace(np.column_stack([lon, lat]))))
    crosses = lon.min() < -180 or lon.max() > 180
    assert len(pieces) == (2 if crosses else 1)


def test_frame_window_counts_and_refuses_absurd_counts():
    from datetime import datetime, timezone

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert A.frame_window(start, 2.0, 120.0).n_samples == 61
    assert A.frame_window(start, 1.0, 7 * 60.0).n_samples == 10  # the last step shorter
    with pytest.raises(ValueError, match="2,000"):
        A.frame_window(start, 24.0, 10.0)


@pytest.fixture(scope="module")
def frames():
    study = Study.from_scenario(TINY_2H_TOML)
    return A.coverage_frames(study, hours=1.0, frame_step_s=900.0, grid_res_deg=10.0)


def test_cumulative_coverage_grows_and_is_each_frame_s_run(frames):
    assert frames.n_frames == 5
    seen = [frames.seen(f) for f in range(frames.n_frames)]
    assert all(np.all(a <= b) for a, b in zip(seen, seen[1:]))  # never unseen again
    shares = [frames.seen_share(f) for f in range(frames.n_frames)]
    assert shares[0] < shares[-1] and shares == sorted(shares)
    # Independent: a run of the window up to the frame's instant sees exactly those points.
    study = Study.from_scenario(TINY_2H_TOML)
    for f in (1, 3):
        r = study.with_overrides(duration_s=float(frames.t_s[f]), grid_res_deg=10.0).run(progress=False)
        assert np.array_equal(np.asarray(r.figures["seen"], dtype=bool), seen[f])


def test_gif_is_written_offline_with_one_frame_per_instant(frames, tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the animation tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    out = tmp_path / "cov.gif"
    done = []
    A.write_animation(frames, out, fps=4, progress=lambda k, n: done.append((k, n)))
    with Image.open(out) as im:
        assert im.format == "GIF" and im.n_frames == frames.n_frames == 5
        assert im.size == (800, 448) and im.info["duration"] == 250
    assert done[-1] == (5, 5) and len(done) == 5
    # The blitted frames are the figure drawn whole.
    frame = A._Frame(frames)
    blitted = frame.pixels(0).copy()
    blitted = frame.pixels(3).copy()
    whole = frame.figure(3)
    frame.canvas.draw()
    assert np.mean(np.any(np.asarray(frame.canvas.buffer_rgba()) != blitted, axis=-1)) < 0.01
    assert whole is frame.fig


def test_a_failed_write_leaves_no_file(frames, tmp_path, monkeypatch):
    out = tmp_path / "cov.gif"
    out.write_bytes(b"old")
    calls = []

    def fail_later(self, frame):
        calls.append(frame)
        if frame == 2:
            raise RuntimeError("renderer failed")
        return np.zeros((448, 800, 4), dtype=np.uint8)

    monkeypatch.setattr(A._Frame, "pixels", fail_later)
    with pytest.raises(RuntimeError, match="renderer failed"):
        A.write_animation(frames, out)
    assert calls == [0, 1, 2]
    assert out.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["cov.gif"]


def test_formats():
    assert A.animation_format("a.gif") == "gif"
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        A.animation_format("a.png")


def test_cli_animate_writes_the_gif(tmp_path):
    out = tmp_path / "tiny.gif"
    r = CliRunner().invoke(main, ["animate", str(TINY_2H_TOML), "-o", str(out), "--hours", "0.5",
                                  "--frame-step", "600", "--grid-res", "15", "--dpi", "40", "--fps", "2"])
    assert r.exit_code == 0, r.output
    with Image.open(out) as im:
        assert im.n_frames == 4 and im.size == (400, 224)
    assert "wrote" in r.output and "4 frames" in r.output


@pytest.mark.parametrize("args, message", [
    (["--hours", "24", "--frame-step", "10", "-o", "x.gif"], "8,641 frames"),
    (["-o", "x.png"], ".gif or .mp4"),
    (["--size", "0x3", "-o", "x.gif"], "WIDTHxHEIGHT"),
    (["-o", "nofolder/x.gif"], "does not exist"),
    (["--hours", "99", "--frame-step", "180", "--size", "40x40", "--dpi", "300", "-o", "x.gif"], "memory limit"),
])
def test_cli_animate_refuses_before_running(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["animate", str(TINY_2H_TOML), *args])
    assert r.exit_code != 0 and message in r.output and "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == []


def test_cli_mp4_without_ffmpeg_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(A, "ffmpeg_available", lambda: False)
    r = CliRunner().invoke(main, ["animate", str(TINY_2H_TOML), "-o", str(tmp_path / "x.mp4")])
    assert r.exit_code == 1 and "needs ffmpeg" in r.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not A.ffmpeg_available(), reason="ffmpeg is not on the PATH")
def test_mp4_with_ffmpeg(frames, tmp_path):
    out = tmp_path / "cov.mp4"
    A.write_animation(frames, out, size_in=(10.0, 5.55))  # 444 rows: h264 wants even sizes, ffmpeg's writer adjusts
    assert out.read_bytes()[4:8] == b"ftyp" and [p.name for p in tmp_path.iterdir()] == ["cov.mp4"]
