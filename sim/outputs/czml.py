"""A constellation's orbits as CZML, the scene format of Cesium (CesiumJS, Cesium ion).

One document packet holds the clock (the window: its interval, the start as
the current time, a multiplier of 60 s a second); each satellite's packet
holds its position sampled at every step of the window, in metres, in the
Earth-fixed frame (``referenceFrame: FIXED``) as seconds from the packet's
``epoch`` (the window start): sgp4's TEME states rotated by the simulation's
own rotation (:func:`sim.engine.propagate.propagate_ecef`: ITRS without polar
motion, within ~10 m of the ITRF Cesium takes), so Cesium draws the orbits the
coverage was computed with.  Cesium interpolates between samples (Lagrange,
degree 5: metre-level at a 60 s step), and draws a point, a label and the last
orbit as a trail.  Packets are built and checked with the ``czml3`` package's
models; times are UTC ISO 8601 with milliseconds and a trailing Z.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from constellation.files import atomic_write
from sim.engine.memory import check_fits
from sim.engine.propagate import Window, propagate_ecef
from sim.engine.table import iso_utc

CLOCK_MULTIPLIER = 60.0
INTERPOLATION_DEGREE = 5
# Bytes per satellite sample while the document is built: the states (48 bytes), the
# samples as Python floats in czml3's models (~4 x 32 bytes) and the JSON text (~70 bytes).
CZML_BYTES_PER_SAMPLE = 300
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]



def _packet_ids(constellation) -> list[str]:
    """'NORAD-NAME' for each satellite, made unique by a suffix where two repeat."""
    ids, used = [], set()
    for sat in constellation.satellites:
        base = f"{sat.satrec.satnum:05d} {sat.name}"
        pid, k = base, 2
        while pid in used:
            pid, k = f"{base} ({k})", k + 1
        used.add(pid)
        ids.append(pid)
    return ids


def czml_document(constellation, start: datetime, duration_s: float, step_s: float = 60.0,
                  name: str | None = None, memory_limit_bytes: int | None = None):
    """A ``czml3.Document`` of ``constellation``'s positions from ``start`` over
    ``duration_s`` seconds, sampled every ``step_s`` (and at the end).  Samples
    where sgp4 fails are left out; a satellite that sgp4 flies at no sample has no
    packet.  Raises ValueError for an empty window and MemoryLimitError (an
    InputError) when the document would not fit in memory."""
    from czml3 import Document, Packet
    from czml3.properties import Clock, Color, Label, Point, PolylineMaterial, Position, SolidColorMaterial
    from czml3.properties import Path as CzmlPath
    from czml3.types import Cartesian2Value, TimeInterval
    from sgp4.api import SatrecArray

    window = Window(start, float(duration_s), min(float(step_s), float(duration_s)))
    sats = constellation.satellites
    if not sats:
        raise ValueError("the constellation has no satellites")
    check_fits(CZML_BYTES_PER_SAMPLE * len(sats) * window.n_samples,
               f"CZML of {len(sats)} satellites at {window.n_samples:,} samples each",
               "take a longer step (--step) or a shorter window (--hours, --days)", memory_limit_bytes)
    t, pos, _, valid = propagate_ecef(SatrecArray([s.satrec for s in sats]), window, 0, window.n_samples,
                                      interpolate=False)
    t0 = window.start
    begin, end = iso_utc(t0), iso_utc(t0 + timedelta(seconds=window.duration_s))
    title = name or constellation.name
    packets = [Packet(id="document", name=title, version="1.0",
                      clock=Clock(interval=TimeInterval(start=begin, end=end), currentTime=begin,
                                  multiplier=CLOCK_MULTIPLIER, range="LOOP_STOP", step="SYSTEM_CLOCK_MULTIPLIER"))]
    groups = list(dict.fromkeys(s.group for s in sats))
    for k, (sat, pid) in enumerate(zip(sats, _packet_ids(constellation))):
        ok = valid[k]
        if not ok.any():
            continue
        samples = np.column_stack([t[ok], np.round(1000.0 * pos[k, ok], 3)]).ravel().tolist()  # metres, to 1 mm
        first, last = t0 + timedelta(seconds=float(t[ok][0])), t0 + timedelta(seconds=float(t[ok][-1]))
        rgb = PALETTE[groups.index(sat.group) % len(PALETTE)]
        period_s = 2.0 * math.pi / sat.satrec.no_kozai * 60.0  # no_kozai: rad/min
        packets.append(Packet(
            id=pid, name=sat.name,
            description=f"NORAD {sat.satrec.satnum}, group {sat.group}",
            availability=TimeInterval(start=iso_utc(first), end=iso_utc(last)),
            position=Position(epoch=begin, referenceFrame="FIXED", interpolationAlgorithm="LAGRANGE",
                              interpolationDegree=INTERPOLATION_DEGREE, cartesian=samples),
            point=Point(pixelSize=6, color=Color(rgba=[*rgb, 255]), outlineColor=Color(rgba=[255, 255, 255, 255]),
                        outlineWidth=1),
            label=Label(text=sat.name, font="11px sans-serif", fillColor=Color(rgba=[255, 255, 255, 255]),
                        pixelOffset=Cartesian2Value(values=[8.0, 0.0]), horizontalOrigin="LEFT", show=True),
            path=CzmlPath(leadTime=0, trailTime=round(period_s, 3), width=1, resolution=float(window.step_s),
                          material=PolylineMaterial(solidColor=SolidColorMaterial(color=Color(rgba=[*rgb, 160])))),
        ))
    return Document(packets=packets)


def write_czml(constellation, path, start: datetime, duration_s: float, step_s: float = 60.0,
               name: str | None = None, memory_limit_bytes: int | None = None) -> Path:
    """Write :func:`czml_document` to ``path`` (JSON, through
    :func:`constellation.files.atomic_write`: a failure leaves no file).
    Returns the path."""
    doc = czml_document(constellation, start, duration_s, step_s, name, memory_limit_bytes)
    text = doc.dumps()
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
