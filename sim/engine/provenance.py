"""How a result was made: inputs (with hashes), versions, settings, when and how long.

Every writer in :mod:`sim.outputs.io` stores this dict with the result, so a file
handed around in a design review says what produced it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

PACKAGES = ("revisit", "numpy", "numba", "sgp4", "skyfield")


def package_versions() -> dict[str, str]:
    """Versions of revisit and the libraries that compute a result, and Python's."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["python"] = platform.python_version()
    return out


def file_record(path: str | Path, with_text: bool = False) -> dict:
    """Path, size and sha256 of an input file (and its text, for scenario files)."""
    path = Path(path)
    data = path.read_bytes()
    rec = {"path": str(path), "abspath": str(path.resolve()), "sha256": hashlib.sha256(data).hexdigest(),
           "bytes": len(data)}
    if with_text:
        rec["text"] = data.decode("utf-8", errors="replace")
    return rec


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def build_provenance(result, constellation=None, scenario_path: str | Path | None = None,
                     catalog_paths=(), command_line: str | None = None, started_utc: datetime | None = None,
                     wall_s: float | None = None, options: dict | None = None,
                     points_path: str | Path | None = None) -> dict:
    """Provenance of ``result`` (a :class:`sim.engine.run.Result`), JSON-ready.

    ``scenario_path``: the scenario file (its text and sha256 are kept);
    ``catalog_paths``: TLE/OMM files (sha256 and size); ``points_path``: the
    CSV of ground points run instead of a grid (sha256 and size); ``constellation``: for
    the sensor of each group; ``options``: the command-line overrides given;
    ``started_utc`` and ``wall_s``: when the run started and how long it took.
    """
    from sim.engine.metrics import MIN_GAP_S, REFINEMENT

    g = result.grid
    w = result.window
    prov = {
        "created_by": "revisit",
        "started_utc": _iso(started_utc) if started_utc is not None else None,
        "wall_s": float(wall_s) if wall_s is not None else None,
        "command_line": command_line,
        "scenario": file_record(scenario_path, with_text=True) if scenario_path else None,
        "catalogs": [file_record(p) for p in catalog_paths],
        "points": file_record(points_path) if points_path else None,
        "versions": package_versions(),
        "window": {"start": _iso(w.start), "duration_s": w.duration_s, "step_s": w.step_s,
                   "n_samples": w.n_samples},
        "grid": {"name": g.name, "points": len(g), "res_deg": g.res_deg, "kind": g.kind,
                 "shape": list(g.shape) if g.shape is not None else None,
                 "lat_min_deg": float(g.lat_deg.min()), "lat_max_deg": float(g.lat_deg.max())},
        "satellites": result.n_satellites,
        "sensors": list(result.sensors),
        "refinement": result.meta.get("refinement", REFINEMENT),
        "min_gap_s": MIN_GAP_S,
    }
    if "sample_step_s" in result.meta:
        prov["window"]["sample_step_s"] = result.meta["sample_step_s"]
    if constellation is not None:
        prov["groups"] = [{"name": grp.name, "satellites": len(grp.satellites),
                           "sensor": dataclasses.asdict(grp.sensor)} for grp in constellation.groups]
    if options:
        prov["options"] = {k: v for k, v in options.items() if v is not None and v != ()}
    return prov

