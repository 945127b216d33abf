"""Before simulating a catalog: which satellites sgp4 can fly over the window, and how stale they are.

Real catalogs hold element sets sgp4 cannot propagate across a given window
(decayed objects, error codes 1-6, and positions no orbit has, which sgp4 can
return without an error past a decay: :func:`sim.engine.propagate.in_orbit`).  :func:`check_constellation` propagates
every satellite at a few times spread over the window (start and end
included), drops those sgp4 reports an error for, and returns one-line
warnings naming them, plus a warning for element sets whose epochs lie far
from the window's start.  The simulation's own propagation still masks any
sample sgp4 fails on (``valid`` in :func:`sim.engine.propagate.propagate_ecef`).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sgp4.api import SatrecArray

from constellation.catalog import DEFAULT_MAX_EPOCH_AGE_DAYS, epoch_warnings
from constellation.constants import SECONDS_PER_DAY
from constellation.core import Constellation, Group
from constellation.elements import sgp4_error_text
from constellation.errors import CatalogError
from sim.engine.propagate import MAX_ORBIT_RADIUS_KM, MIN_ORBIT_ALTITUDE_KM, Window, in_orbit

# Check samples: at most this far apart (s), and at most this many per satellite.
CHECK_SPACING_S = 3600.0
MAX_CHECK_SAMPLES = 2000


def check_times_s(window: Window) -> np.ndarray:
    """Seconds from the window start at which satellites are checked: start, end and every
    ``CHECK_SPACING_S`` (or fewer, evenly spaced, for long windows) in between."""
    n = int(min(MAX_CHECK_SAMPLES, np.ceil(window.duration_s / CHECK_SPACING_S))) + 1
    return np.linspace(0.0, window.duration_s, max(n, 2))


def propagation_failures(constellation: Constellation, window: Window) -> dict[int, tuple[float, int]]:
    """Satellite index -> (first failing time in s from the window start, sgp4 error code)."""
    sats = constellation.satellites
    if not sats:
        return {}
    t = check_times_s(window)
    jd_whole, jd_frac = window.jd_utc()
    err, r, _ = SatrecArray([s.satrec for s in sats]).sgp4(np.full(t.shape, jd_whole), jd_frac + t / SECONDS_PER_DAY)
    code = failure_codes(err, r)
    failures = {}
    for i in np.flatnonzero((code != 0).any(axis=1)):
        k = int(np.argmax(code[i] != 0))
        failures[int(i)] = (float(t[k]), int(code[i, k])) if k == 0 else \
            _first_failure(sats[i].satrec, jd_whole, jd_frac, float(t[k - 1]), float(t[k]))
    return failures


# Failures sgp4 reports no error code for (its own are 1-6): positions no orbit has
# (sim.engine.propagate.in_orbit).
NON_FINITE = -1
BELOW_ORBIT = -2
BEYOND_ORBIT = -3


def failure_codes(err: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Per sample: sgp4's error code, else NON_FINITE, BELOW_ORBIT or BEYOND_ORBIT where the
    position is none an orbiting body can have, else 0."""
    finite = np.all(np.isfinite(r), axis=-1)
    with np.errstate(invalid="ignore", over="ignore"):
        below = np.sum(r * r, axis=-1) < MAX_ORBIT_RADIUS_KM ** 2
    own = np.where(in_orbit(r), 0, np.where(below, BELOW_ORBIT, BEYOND_ORBIT))
    return np.where(err != 0, err, np.where(~finite, NON_FINITE, own))


def failure_text(code: int) -> str:
    if code == NON_FINITE:
        return "non-finite position"
    if code == BELOW_ORBIT:
        return f"re-entering, under {MIN_ORBIT_ALTITUDE_KM:g} km altitude"
    if code == BEYOND_ORBIT:
        return f"a position {MAX_ORBIT_RADIUS_KM:,.0f} km or more from the Earth, past its decay"
    return sgp4_error_text(code)


def _first_failure(satrec, jd_whole: float, jd_frac: float, ok_s: float, bad_s: float) -> tuple[float, int]:
    """(time, sgp4 error code) where propagation first fails between a check sample
    at ``ok_s`` that works and one at ``bad_s`` that does not, to the second
    (bisection: the check samples are up to an hour apart)."""
    code = 0
    while bad_s - ok_s > 1.0:
        mid = 0.5 * (ok_s + bad_s)
        e, r, _ = satrec.sgp4(jd_whole, jd_frac + mid / SECONDS_PER_DAY)
        c = int(failure_codes(np.array(e), np.array(r)))
        if c != 0:
            bad_s, code = mid, c
        else:
            ok_s = mid
    if code == 0:
        e, r, _ = satrec.sgp4(jd_whole, jd_frac + bad_s / SECONDS_PER_DAY)
        code = int(failure_codes(np.array(e), np.array(r)))
    return bad_s, int(code)


def check_constellation(constellation: Constellation, window: Window,
                        max_epoch_age_days: float | None = DEFAULT_MAX_EPOCH_AGE_DAYS
                        ) -> tuple[Constellation, list[str]]:
    """-> (the satellites sgp4 can propagate over ``window``, one-line warnings).

    ``max_epoch_age_days=None`` skips the epoch check (synthetic constellations
    whose epoch is the scenario's own).  Raises :class:`CatalogError` when no
    satellite is left.
    """
    warnings = []
    if max_epoch_age_days is not None:
        warnings += epoch_warnings(constellation, window.start, max_epoch_age_days)
    failures = propagation_failures(constellation, window)
    if not failures:
        return constellation, warnings
    sats = constellation.satellites
    described = []
    for i, (t_s, code) in sorted(failures.items()):
        when = (window.start + timedelta(seconds=t_s)).strftime("%Y-%m-%dT%H:%MZ")
        reason = failure_text(code)
        described.append(f"{sats[i].name} (NORAD {sats[i].satrec.satnum}: {reason} at {when})")
    if len(failures) == len(sats):
        raise CatalogError(f"sgp4 cannot propagate any of the {len(sats)} satellites over the window starting "
                           f"{window.start.strftime('%Y-%m-%dT%H:%MZ')}: " + "; ".join(described[:5])
                           + (f"; and {len(described) - 5} more" if len(described) > 5 else ""),
                           None, None, constellation.name)
    shown = "; ".join(described[:10]) + (f"; and {len(described) - 10} more" if len(described) > 10 else "")
    warnings.append(f"dropped {len(failures)} of {len(sats)} satellites that sgp4 cannot propagate over the "
                    f"window: {shown}")
    keep, groups, k = set(range(len(sats))) - set(failures), [], 0
    for g in constellation.groups:
        kept = [s for j, s in enumerate(g.satellites, start=k) if j in keep]
        k += len(g.satellites)
        if kept:
            groups.append(Group(g.name, kept, g.sensor))
    return Constellation(constellation.name, groups), warnings
