"""An animation of a constellation's coverage: a GIF (Pillow) or an MP4 (ffmpeg).

Each frame is a plate carree world map (the same offline GLOBE land mask and
coastlines as the other maps) showing, at that instant,

- every satellite's sub-satellite point;
- its sensor footprint: the ground points the coverage kernel counts as
  accessible, i.e. those within the central angle ``Lambda(r, R)`` of the
  satellite's direction (:func:`sim.kernels.coverage.cos_reach`, the kernel's
  own function), drawn as a polygon cut at the antimeridian; a push-broom's is
  its scan line, ``swath_km`` across the track;
- the cumulative coverage: the grid points seen at least once since the
  start, from one coverage run over the whole span, each point's exact first
  access (``first_access_s``) compared with the frame's time.

The footprint outline is geometric (no Sun).  Where the elevation limit
binds, the kernel measures it from the geodetic horizon, at most 0.2 deg of
elevation from the geocentric one drawn here (a few km on the ground).
Lighting constraints act on the cumulative layer, which is the kernel's.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import numpy as np

from constellation.constants import WGS84_A_KM, WGS84_B_KM
from constellation.files import atomic_write, is_stream
from sim.engine.geodesy import ecef_to_geodetic, global_shape
from sim.engine.grid import Grid
from sim.engine.propagate import Window, propagate_ecef
from sim.kernels import coverage as K

# More frames than this is a mistake (a 2000-frame GIF at 8 frames/s plays for over four minutes
# and holds every frame in memory until it is written): refused before anything runs.
MAX_FRAMES = 2000
FORMATS = {".gif": "gif", ".mp4": "mp4"}
FOOTPRINT_VERTICES = 73          # 5 deg of azimuth between vertices (the first repeated at the end)
SWATH_VERTICES = 9

SIZE_IN = (10.0, 5.6)
DPI = 80
FPS = 8.0
OCEAN_COLOR = "#e4edf5"
LAND_COLOR = "#f1ece1"
SEEN_COLOR = "#3a86c8"
SEEN_ALPHA = 0.55
FOOTPRINT_COLOR = "#c0392b"
SATELLITE_COLOR = "#111111"
LAND_RES_DEG = 0.25              # the land layer's raster; coastlines come from the 0.1 deg contour


# ---------------------------------------------------------------------- formats and limits
def animation_format(path) -> str:
    """'gif' or 'mp4' by the path's extension; a stream (``-o -``, a FIFO) gets a GIF.
    ValueError for another extension, or for .mp4 without ffmpeg on the PATH."""
    suffix = Path(str(path)).suffix.lower()
    if suffix not in FORMATS:
        if is_stream(path) and not suffix:
            return "gif"
        raise ValueError(f"{path}: an animation is written as .gif or .mp4, not "
                         f"{suffix or 'a file without an extension'}")
    fmt = FORMATS[suffix]
    if fmt == "mp4" and not ffmpeg_available():
        raise ValueError(f"{path}: writing .mp4 needs ffmpeg on the PATH, which was not found; install it "
                         "(e.g. apt install ffmpeg) or write a .gif")
    return fmt


def check_animation(path, start: datetime, hours: float, frame_step_s: float, size_in=SIZE_IN, dpi: float = DPI,
                    memory_limit_bytes: int | None = None) -> Window:
    """Everything about an animation that can be refused before anything runs: its
    format (:func:`animation_format`), its frame count (:func:`frame_window`) and
    the memory its frames take: ~30 bytes a pixel for matplotlib's canvas, its
    RGBA buffers and the encoder's copies, and a GIF holds every frame until it
    is written, ~2 bytes a pixel each (measured peak RSS: 2.1 GB for 13 frames
    of 6,000 x 6,000 pixels, 5.1 GB for 4 of 12,000 x 12,000).  Returns the
    frames' window."""
    from sim.engine.memory import check_fits

    fmt = animation_format(path)
    frames = frame_window(start, hours, frame_step_s)
    pixels = (size_in[0] * dpi) * (size_in[1] * dpi)
    held = frames.n_samples if fmt == "gif" else 0
    check_fits(pixels * (2 * held + 32), f"{frames.n_samples:,} frames of {size_in[0] * dpi:.0f} x {size_in[1] * dpi:.0f} "
               "pixels", "take fewer frames (--frame-step, --hours) or smaller ones (--dpi, --size)",
               memory_limit_bytes)
    return frames


def ffmpeg_available() -> bool:
    """Whether matplotlib's ffmpeg writer can run (ffmpeg on the PATH, or rcParams' path)."""
    from matplotlib.animation import FFMpegWriter

    return bool(FFMpegWriter.isAvailable()) and shutil.which("ffmpeg") is not None


def frame_window(start: datetime, hours: float, frame_step_s: float) -> Window:
    """The frames' instants as a :class:`Window`: start, start + step, ..., and the end
    (the last step may be shorter).  ValueError beyond :data:`MAX_FRAMES` frames."""
    duration_s = float(hours) * 3600.0
    if not duration_s > 0:
        raise ValueError(f"the animation must last more than 0 h, not {hours}")
    if not 0 < frame_step_s <= duration_s:
        raise ValueError(f"the frame step ({frame_step_s:g} s) must be positive and no longer than the "
                         f"animation ({duration_s:g} s)")
    n = int(math.ceil(duration_s / frame_step_s - 1e-9)) + 1
    if n > MAX_FRAMES:
        raise ValueError(f"{hours:g} h at one frame every {frame_step_s:g} s is {n:,} frames, more than the "
                         f"{MAX_FRAMES:,} an animation may have: take a longer frame step (--frame-step) or "
                         "fewer hours (--hours)")
    return Window(start, duration_s, frame_step_s)


# ---------------------------------------------------------------------- footprint geometry
def surface_radius_km(direction) -> np.ndarray:
    """Geocentric radius (km) of the WGS-84 ellipsoid along unit vectors (..., 3)."""
    d = np.asarray(direction, dtype=float)
    return 1.0 / np.sqrt((d[..., 0] ** 2 + d[..., 1] ** 2) / WGS84_A_KM ** 2 + d[..., 2] ** 2 / WGS84_B_KM ** 2)


def reach_angle_rad(r_km: float, R_km: float, sensor_row) -> float:
    """The largest central angle (rad) at which a point at geocentric radius R_km is
    accessible from a satellite at radius r_km: the coverage kernel's own
    :func:`sim.kernels.coverage.cos_reach`; -1 when nothing is."""
    c, _ = K.cos_reach(float(r_km), float(R_km), sensor_row[K.S_COS_ETA], sensor_row[K.S_SIN_ETA],
                       sensor_row[K.S_COS_EPS], sensor_row[K.S_SIN_EPS])
    return math.acos(max(-1.0, c)) if c <= 1.0 else -1.0


def _local_basis(u):
    """North and east unit vectors at the unit vector ``u`` (any pair at a pole)."""
    z = np.array([0.0, 0.0, 1.0])
    east = np.cross(z, u)
    if np.linalg.norm(east) < 1e-12:
        east = np.array([0.0, 1.0, 0.0])
    east /= np.linalg.norm(east)
    return np.cross(u, east), east


def footprint_outline(pos_km, vel_km_s, sensor_row, n_vertices: int = FOOTPRINT_VERTICES):
    """The ground outline of what one satellite's sensor reaches at one instant:
    ``(lon_deg, lat_deg, closed)`` (geodetic, WGS-84), or None when it reaches nothing.

    An off-nadir sensor (``closed`` True): ``n_vertices`` points (the first repeated
    last) at the kernel's reach angle (:func:`reach_angle_rad`, each at its own
    ground radius) around the satellite's direction, longitudes unwrapped around
    the sub-satellite point (they may leave [-180, 180]); an outline holding a
    pole is closed along that pole's latitude.  A push-broom (``closed`` False):
    its scan line, ``swath_km`` across the ground track.  ``sensor_row``: one row
    of :func:`sim.engine.run.sensor_array`."""
    pos = np.asarray(pos_km, dtype=float)
    r = float(np.linalg.norm(pos))
    u = pos / r
    if sensor_row[K.S_KIND] == K.KIND_SWATH:
        v = np.asarray(vel_km_s, dtype=float)
        track = v - np.dot(v, u) * u
        cross = np.cross(u, track / np.linalg.norm(track))
        half = min(0.5 * math.pi, sensor_row[K.S_HALF_SWATH_KM] / float(surface_radius_km(u)))
        a = np.linspace(-half, half, SWATH_VERTICES)[:, None]
        d = np.cos(a) * u + np.sin(a) * cross
        lat, lon, _ = ecef_to_geodetic(d * surface_radius_km(d)[:, None])
        return np.degrees(np.unwrap(np.radians(lon))), lat, False
    north, east = _local_basis(u)
    az = np.linspace(0.0, 2.0 * math.pi, n_vertices)
    ring = np.cos(az)[:, None] * north + np.sin(az)[:, None] * east
    lam = np.full(n_vertices, reach_angle_rad(r, float(surface_radius_km(u)), sensor_row))
    if lam[0] < 0:
        return None
    for _ in range(2):  # each vertex at the reach of its own ground radius (converged to < 1 m)
        d = np.cos(lam)[:, None] * u + np.sin(lam)[:, None] * ring
        lam = np.array([reach_angle_rad(r, R, sensor_row) for R in surface_radius_km(d)])
    d = np.cos(lam)[:, None] * u + np.sin(lam)[:, None] * ring
    lat, lon, _ = ecef_to_geodetic(d * surface_radius_km(d)[:, None])
    lon_sub = math.degrees(math.atan2(u[1], u[0]))
    lon = np.degrees(np.unwrap(np.radians(lon)))
    lon += 360.0 * round((lon_sub - lon[0]) / 360.0)  # the first vertex's turn nearest the satellite's
    turn = lon[-1] - lon[0]
    if abs(turn) > 180.0:  # the outline goes round a pole: close it along the pole's latitude
        pole = 90.0 if u[2] > 0 else -90.0
        lon = np.concatenate([lon, [lon[-1], lon[0], lon[0]]])
        lat = np.concatenate([lat, [pole, pole, lat[0]]])
    return lon, lat, True


def _clip_half_plane(xs, ys, x0: float, keep_above: bool):
    """Sutherland-Hodgman: the polygon (xs, ys) cut to x >= x0 (or <= x0)."""
    out_x, out_y = [], []
    n = len(xs)
    for i in range(n):
        cx, cy, px, py = xs[i], ys[i], xs[i - 1], ys[i - 1]
        c_in = cx >= x0 if keep_above else cx <= x0
        p_in = px >= x0 if keep_above else px <= x0
        if c_in != p_in:
            f = (x0 - px) / (cx - px)
            out_x.append(x0)
            out_y.append(py + f * (cy - py))
        if c_in:
            out_x.append(cx)
            out_y.append(cy)
    return out_x, out_y


def split_polygon(lon_deg, lat_deg) -> list[np.ndarray]:
    """A polygon with unwrapped longitudes (any range) as pieces within
    [-180, 180]: each part beyond an edge is cut there and moved by 360 deg to the
    other side.  Returns (n, 2) arrays of (lon, lat) vertices."""
    lon = np.asarray(lon_deg, dtype=float)
    lat = np.asarray(lat_deg, dtype=float)
    if lon.min() >= -180.0 and lon.max() <= 180.0:
        return [np.column_stack([lon, lat])]
    pieces = []
    for k in range(int(math.floor((lon.min() + 180.0) / 360.0)), int(math.floor((lon.max() + 180.0) / 360.0)) + 1):
        lo = -180.0 + 360.0 * k
        xs, ys = _clip_half_plane(list(lon), list(lat), lo, True)
        xs, ys = _clip_half_plane(xs, ys, lo + 360.0, False)
        if len(xs) >= 3:
            pieces.append(np.column_stack([np.asarray(xs) - 360.0 * k, ys]))
    return pieces


def split_line(lon_deg, lat_deg) -> list[np.ndarray]:
    """A line with unwrapped longitudes as pieces within [-180, 180] (cut at the edges)."""
    from sim.outputs.plot import split_antimeridian

    lon = (np.asarray(lon_deg, dtype=float) + 180.0) % 360.0 - 180.0
    x, y = split_antimeridian(lon, lat_deg)
    breaks = np.flatnonzero(np.isnan(x))
    pieces = [np.column_stack([xs[1:] if i else xs, ys[1:] if i else ys])
              for i, (xs, ys) in enumerate(zip(np.split(x, breaks), np.split(y, breaks)))]
    return [p for p in pieces if len(p) >= 2]


# ---------------------------------------------------------------------- the data
@dataclass
class CoverageFrames:
    """What an animation shows: the frames' times, the satellites' Earth-fixed
    states at each, their sensors, and each grid point's first access.

    ``t_s`` (nf,) seconds from ``start``; ``pos_km``, ``vel_km_s`` (nsat, nf, 3);
    ``valid`` (nsat, nf) False where sgp4 failed; ``sensor`` (nsat, 7), the
    kernel's columns; ``first_access_s`` (npts,) on ``grid``, NaN where the
    point is not seen within the span."""

    name: str
    start: datetime
    t_s: np.ndarray
    pos_km: np.ndarray
    vel_km_s: np.ndarray
    valid: np.ndarray
    sensor: np.ndarray
    grid: Grid
    first_access_s: np.ndarray
    sensors: list[str]
    step_s: float

    @property
    def n_frames(self) -> int:
        return int(self.t_s.size)

    def seen(self, frame: int) -> np.ndarray:
        """The grid points seen at least once from the start to frame ``frame``."""
        with np.errstate(invalid="ignore"):
            return self.first_access_s <= self.t_s[frame]

    def seen_share(self, frame: int) -> float:
        """The area-weighted share of the grid seen at least once by frame ``frame``."""
        return float(np.sum(self.grid.weight[self.seen(frame)]))

    def time(self, frame: int) -> datetime:
        return self.start + timedelta(seconds=float(self.t_s[frame]))

    def footprints(self, frame: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(polygons, lines) of every satellite's footprint at frame ``frame``, each
        an (n, 2) array of (lon, lat) within [-180, 180]."""
        polygons, lines = [], []
        for s in range(self.pos_km.shape[0]):
            if not self.valid[s, frame]:
                continue
            found = footprint_outline(self.pos_km[s, frame], self.vel_km_s[s, frame], self.sensor[s])
            if found is None:
                continue
            lon, lat, closed = found
            if closed:
                polygons.extend(split_polygon(lon, lat))
            else:
                lines.extend(split_line(lon, lat))
        return polygons, lines

    def subsatellite_points(self, frame: int) -> np.ndarray:
        """(n, 2) geodetic (lon, lat) of the satellites sgp4 flies at frame ``frame``."""
        ok = self.valid[:, frame]
        lat, lon, _ = ecef_to_geodetic(self.pos_km[ok, frame])
        return np.column_stack([lon, lat]).reshape(-1, 2)


def coverage_frames(study, hours: float = 2.0, frame_step_s: float = 120.0, grid_res_deg: float = 2.0,
                    progress: Callable[[int, int], None] | None = None, device: str = "cpu",
                    memory_limit_bytes: int | None = None) -> CoverageFrames:
    """Run ``study`` (a :class:`sim.studies.study.Study`, validated or not) over
    ``hours`` from its start on a ``grid_res_deg`` grid, once, for each point's
    first access, and propagate its satellites to the frames' instants (one
    every ``frame_step_s`` seconds).  ``progress(done, total)``: the coverage run's."""
    from sgp4.api import SatrecArray

    from sim.engine.memory import check_fits, estimate_tracks_bytes
    from sim.engine.run import sensor_array

    frames = frame_window(study.start, hours, frame_step_s)
    run_study = study.with_overrides(duration_s=frames.duration_s, grid_res_deg=grid_res_deg,
                                     step_s=min(study.step_s, frames.duration_s))
    run_study = run_study.validated()
    const = run_study.constellation
    check_fits(2 * estimate_tracks_bytes(len(const), frames.n_samples),
               f"the states of {len(const)} satellites at {frames.n_samples:,} frames",
               "take a longer frame step (--frame-step) or fewer hours (--hours)", memory_limit_bytes)
    result = run_study.run(device=device, progress=progress or False, memory_limit_bytes=memory_limit_bytes)
    t, pos, vel, valid = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), frames, 0,
                                        frames.n_samples, interpolate=False)
    return CoverageFrames(run_study.name, frames.start, t, pos, vel, valid, sensor_array(const), result.grid,
                          np.asarray(result.figures["first_access_s"], dtype=float), list(result.sensors),
                          run_study.step_s)


# ---------------------------------------------------------------------- drawing
def _land_image():
    from sim.engine.landmask import is_land

    n_lat, n_lon = global_shape(LAND_RES_DEG)
    lat = -90.0 + (np.arange(n_lat) + 0.5) * LAND_RES_DEG
    lon = -180.0 + (np.arange(n_lon) + 0.5) * LAND_RES_DEG
    return is_land(lat[:, None], lon[None, :]).astype(float)


class _Frame:
    """One figure whose moving parts are updated in place for each frame.

    The map under them (land, grid lines, axes) is drawn once and kept as pixels;
    each frame restores those and draws only the moving parts over them
    (matplotlib's blitting): about 30 times faster than drawing every frame whole."""

    def __init__(self, data: CoverageFrames, size_in=SIZE_IN, dpi: float = DPI):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection, PolyCollection
        from matplotlib.colors import ListedColormap
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        from sim.outputs.plot import _world_axes, draw_coastlines, map_image

        self.data = data
        self.fig = Figure(figsize=tuple(size_in), dpi=dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.fig.add_subplot()
        _world_axes(ax)
        ax.grid(True, color="#808080", alpha=0.3, linewidth=0.5, linestyle=":")
        ax.imshow(_land_image(), origin="lower", extent=(-180, 180, -90, 90), interpolation="nearest",
                  cmap=ListedColormap([OCEAN_COLOR, LAND_COLOR]), vmin=0, vmax=1, zorder=0, aspect="equal")
        moving = []
        image = map_image(data.grid, np.zeros(len(data.grid)))
        self.seen_layer = self.seen_points = None
        if image is not None:
            self.seen_layer = ax.imshow(np.ma.masked_all(image[0].shape), origin="lower", extent=image[1],
                                        cmap=ListedColormap([SEEN_COLOR]), vmin=0, vmax=1, alpha=SEEN_ALPHA,
                                        interpolation="nearest", zorder=1, aspect="equal")
            moving.append(self.seen_layer)
        else:  # a point list: one marker per point
            size = max(4.0, 2000.0 / math.sqrt(len(data.grid)))
            self.seen_points = ax.scatter(data.grid.lon_deg, data.grid.lat_deg, s=size, marker="s", linewidths=0,
                                          color=SEEN_COLOR, alpha=SEEN_ALPHA, zorder=1)
            moving.append(self.seen_points)
        # Coastlines over the coverage layer, so they show through it.
        moving.append(draw_coastlines(ax, color="#6a6a6a", linewidth=0.5, zorder=3))
        self.polygons = PolyCollection([], facecolors=FOOTPRINT_COLOR + "26", edgecolors=FOOTPRINT_COLOR,
                                       linewidths=0.8, zorder=4)
        self.lines = LineCollection([], colors=FOOTPRINT_COLOR, linewidths=1.5, zorder=4)
        self.points = ax.scatter([], [], s=9, color=SATELLITE_COLOR, zorder=5, linewidths=0)
        ax.add_collection(self.polygons)
        ax.add_collection(self.lines)
        ax.set_xlim(-180, 180)
        ax.set_ylim(-90, 90)
        self.title = ax.set_title("\n", fontsize=10)
        legend = ax.legend(handles=[Patch(facecolor=SEEN_COLOR, alpha=SEEN_ALPHA, label="seen at least once so far"),
                                    Patch(facecolor=FOOTPRINT_COLOR + "26", edgecolor=FOOTPRINT_COLOR,
                                          label="sensor footprint now"),
                                    Line2D([], [], marker="o", linestyle="", color=SATELLITE_COLOR, markersize=3,
                                           label="sub-satellite point")],
                           loc="lower left", fontsize=7, framealpha=0.9)
        self.moving = moving + [self.polygons, self.lines, self.points, legend, self.title]
        self.background = None

    def _update(self, frame: int):
        d = self.data
        seen = d.seen(frame)
        if self.seen_layer is not None:
            self.seen_layer.set_data(np.ma.masked_invalid(d.grid.raster(np.where(seen, 1.0, np.nan))))
        else:
            self.seen_points.set_facecolors([SEEN_COLOR if s else "none" for s in seen])
        polygons, lines = d.footprints(frame)
        self.polygons.set_verts(polygons)
        self.lines.set_segments(lines)
        self.points.set_offsets(d.subsatellite_points(frame))
        t = d.time(frame)
        self.title.set_text(f"{d.name}: {d.pos_km.shape[0]} satellites, sensor {'; '.join(d.sensors)}\n"
                            f"{t:%Y-%m-%d %H:%M:%S} UTC  (start + {_elapsed_text(float(d.t_s[frame]))}):  "
                            f"{100.0 * d.seen_share(frame):.1f} % of the area seen at least once")

    def figure(self, frame: int):
        """The whole figure at ``frame`` (drawn in full when saved)."""
        self._update(frame)
        return self.fig

    def pixels(self, frame: int) -> np.ndarray:
        """Frame ``frame`` as an RGBA array (rows, columns, 4), by blitting."""
        if self.background is None:
            self._update(frame)
            self.canvas.draw()                      # lays the figure out once, with a full title
            self.fig.set_layout_engine("none")      # and keeps that layout
            title_at = self.title.get_position()    # (the axes move an invisible title away)
            for a in self.moving:
                a.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.title.set_position(title_at)
            for a in self.moving:
                a.set_visible(True)
        self._update(frame)
        self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for a in self.moving:
            a.draw(renderer)
        return np.asarray(self.canvas.buffer_rgba())


def _elapsed_text(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600:d} h {s % 3600 // 60:02d} min" if s >= 3600 else f"{s // 60:d} min {s % 60:02d} s"


def _writer(fmt: str, fps: float):
    """matplotlib's Pillow or ffmpeg writer, taking each frame as the pixels
    :meth:`_Frame.pixels` blitted (``grab_pixels``) rather than drawing the
    figure again, and naming the format: the temporary file it writes (see
    :func:`constellation.files.atomic_write`) has no extension to go by."""
    from matplotlib.animation import FFMpegWriter, PillowWriter
    from PIL import Image

    if fmt == "gif":
        class GifWriter(PillowWriter):
            def grab_pixels(self, rgba):
                # Each frame in its own 256 colours at once (what saving would do): 1 byte a pixel held.
                self._frames.append(Image.fromarray(rgba[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE))

            def finish(self):
                self._frames[0].save(self.outfile, format="GIF", save_all=True, append_images=self._frames[1:],
                                     duration=int(round(1000 / self.fps)), loop=0)

        return GifWriter(fps=fps)

    class Mp4Writer(FFMpegWriter):
        def grab_pixels(self, rgba):
            self._proc.stdin.write(np.ascontiguousarray(rgba).tobytes())

    # h264 in yuv420p plays everywhere; -f names the container.
    return Mp4Writer(fps=fps, codec="h264", extra_args=["-pix_fmt", "yuv420p", "-f", "mp4"])


def write_animation(data: CoverageFrames, path, fps: float = FPS, dpi: float = DPI, size_in=SIZE_IN,
                    progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the animation of ``data`` to ``path`` (.gif, or .mp4 with ffmpeg), one
    frame per instant, through :func:`constellation.files.atomic_write` (a
    failure leaves no file).  ``progress(done, total)`` after each frame."""
    fmt = animation_format(path)
    if not fps > 0:
        raise ValueError(f"frames per second must be positive, not {fps}")
    frame = _Frame(data, size_in, dpi)

    def render(tmp: str):
        writer = _writer(fmt, fps)
        with writer.saving(frame.fig, tmp, dpi):
            for f in range(data.n_frames):
                writer.grab_pixels(frame.pixels(f))
                if progress is not None:
                    progress(f + 1, data.n_frames)

    return atomic_write(path, render)


def plot_frame(data: CoverageFrames, frame: int, path=None, dpi: float = DPI, size_in=SIZE_IN):
    """One frame of the animation as a Figure; given ``path``, also written as a PNG."""
    fig = _Frame(data, size_in, dpi).figure(frame)
    if path is not None:
        atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))
    return fig
