"""Figures of merit per point, area-weighted statistics and verdicts.

Definitions (per point, window [0, T]); gaps are the intervals with no access:
- gaps before the first and after the last access count (edge gaps);
- max revisit = longest gap (T for a point never accessed);
- mean revisit = mean gap length; mean response = sum(gap^2) / (2 T);
  time-averaged gap = sum(gap^2) / T;
- coverage fraction = accessed time / T; accesses = number of merged access
  intervals, with their min/mean/max durations.
The "interior" variants leave the two edge gaps out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.kernels import coverage as K

# Two gaps closer than this are one access (root finding is ~1e-9 s; anything
# under a millisecond is numerical, not a revisit).
MIN_GAP_S = 1e-3
REFINEMENT = "cubic Hermite of the visibility margin between samples (edges, and passes between samples)"

FIGURES = {
    "max_revisit_s": "longest gap, edge gaps included (s)",
    "mean_revisit_s": "mean gap, edge gaps included (s)",
    "mean_response_s": "mean wait from a random time to the next access, sum(gap^2)/(2T) (s)",
    "time_avg_gap_s": "time-averaged gap, sum(gap^2)/T (s)",
    "max_revisit_interior_s": "longest gap between two accesses (s); NaN with fewer than two accesses",
    "mean_revisit_interior_s": "mean gap between two accesses (s); NaN with fewer than two accesses",
    "coverage_fraction": "share of the window with access",
    "n_access": "number of access intervals",
    "access_min_s": "shortest access (s)",
    "access_mean_s": "mean access (s)",
    "access_max_s": "longest access (s)",
    "first_access_s": "start of the first access, from the window start (s); NaN if never accessed",
    # With a ground network (sim.studies.ground; docs/model.md, "From request to image on the ground").
    "mean_system_response_s": "mean time from a uniformly random request to the first image collected after it "
                              "reaching the ground (s); over the requests resolved",
    "max_system_response_s": "longest time from a request to its image on the ground (s); NaN where some "
                             "request is unresolved",
    "censored_request_share": "share of the window's requests whose image is not on the ground by the search's end",
    "mean_data_latency_s": "mean time from an image (an access start) to the end of its downlink contact (s)",
    "images_delivered": "images (accesses starting in the window) delivered to the ground",
}


def per_point_figures(state: np.ndarray, duration_s: float, min_gap_s: float) -> dict[str, np.ndarray]:
    """Per-point figures of merit from the kernel's accumulated state (not modified)."""
    st = state.copy()
    T = float(duration_s)
    seen = st[:, K.SEEN] > 0
    K.close_open_runs(st)
    n_acc = st[:, K.N_ACCESS]
    lead = np.where(seen, st[:, K.FIRST_START], T)
    trail = np.where(seen, T - st[:, K.LAST_END], 0.0)
    lead = np.where(lead > min_gap_s, lead, 0.0)
    trail = np.where(trail > min_gap_s, trail, 0.0)
    n_edge = (lead > 0).astype(float) + (trail > 0).astype(float)
    n_int = st[:, K.N_GAPS]
    gap_sum = st[:, K.GAP_SUM] + lead + trail
    gap_sum2 = st[:, K.GAP_SUM2] + lead * lead + trail * trail
    n_gaps = n_int + n_edge
    with np.errstate(invalid="ignore", divide="ignore"):
        max_int = np.where(n_int > 0, st[:, K.GAP_MAX], np.nan)
        mean_int = np.where(n_int > 0, st[:, K.GAP_SUM] / np.maximum(n_int, 1), np.nan)
        mean_rev = np.where(n_gaps > 0, gap_sum / np.maximum(n_gaps, 1), 0.0)
        acc_mean = np.where(n_acc > 0, st[:, K.COVERED] / np.maximum(n_acc, 1), np.nan)
    return {
        "max_revisit_s": np.maximum(np.maximum(st[:, K.GAP_MAX], lead), trail),
        "mean_revisit_s": mean_rev,
        "mean_response_s": gap_sum2 / (2.0 * T),
        "time_avg_gap_s": gap_sum2 / T,
        "max_revisit_interior_s": max_int,
        "mean_revisit_interior_s": mean_int,
        "coverage_fraction": st[:, K.COVERED] / T,
        "n_access": n_acc,
        "access_min_s": np.where(n_acc > 0, st[:, K.DUR_MIN], np.nan),
        "access_mean_s": acc_mean,
        "access_max_s": np.where(n_acc > 0, st[:, K.DUR_MAX], np.nan),
        "first_access_s": np.where(seen, st[:, K.FIRST_START], np.nan),
        "seen": seen,
    }


def weighted_percentiles(values: np.ndarray, weights: np.ndarray, qs) -> list[float]:
    """Area-weighted percentiles: for each q, the smallest value v such that the
    points with values <= v hold at least q % of the weight (q = 100 gives the
    maximum).  NaN values are left out.  One sort serves every q."""
    ok = np.isfinite(values)
    if not ok.any():
        return [float("nan")] * len(qs)
    v = values[ok]
    w = weights[ok]
    order = np.argsort(v, kind="stable")
    v_sorted = v[order]
    cum = np.cumsum(w[order])
    cum /= cum[-1]
    out = []
    for q in qs:
        idx = int(np.searchsorted(cum, q / 100.0 - 1e-12, side="left"))
        out.append(float(v_sorted[min(idx, v.size - 1)]))
    return out


def weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """One area-weighted percentile (see :func:`weighted_percentiles`)."""
    return weighted_percentiles(values, weights, [q])[0]


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    ok = np.isfinite(values)
    if not ok.any():
        return float("nan")
    return float(np.sum(values[ok] * weights[ok]) / np.sum(weights[ok]))


PERCENTILES = (50, 90, 95, 99, 100)


def distribution(values: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    found = weighted_percentiles(values, weights, PERCENTILES)
    out = {f"p{q}": x for q, x in zip(PERCENTILES[:-1], found)}
    out["max"] = found[-1]
    out["mean"] = weighted_mean(values, weights)
    return out


UNTESTABLE = "untestable"


def untestable_reason(threshold_s: float, window_s: float) -> str:
    """Why a claim "within threshold_s" is not judged over a window of ``window_s``."""
    return (f"the window ({window_s / 3600:g} h) is not longer than the claim ({threshold_s / 3600:g} h), so every "
            "gap in it is within the claim; give a longer window")


@dataclass(frozen=True)
class Target:
    """A claim such as 'revisit anywhere within 30 minutes': met where max revisit <= threshold_s."""

    name: str
    threshold_s: float
    claim: str = ""

    def __post_init__(self):
        t = self.threshold_s
        if isinstance(t, bool) or not isinstance(t, (int, float, np.floating, np.integer)) or not (
                math.isfinite(t) and t > 0):
            raise ValueError(f"target {self.name!r}: threshold_s must be a positive finite number of seconds, "
                             f"got {t!r}")

    def evaluate(self, max_revisit_s: np.ndarray, seen: np.ndarray, weights: np.ndarray,
                 mean_response_s: np.ndarray | None = None, window_s: float | None = None) -> dict:
        """The share of the area (``weights``) that meets the claim and the verdict.
        Over a window of ``window_s`` no longer than the threshold every gap is within
        it, so the claim can fail only where a point is never seen: with every point
        seen the verdict is "untestable" and the shares None; with some never seen it
        is "not met", the share met being the share seen."""
        short = window_s is not None and window_s <= self.threshold_s
        if short and seen.all():
            out = {"name": self.name, "threshold_s": self.threshold_s, "share_met": None, "verdict": UNTESTABLE,
                   "reason": untestable_reason(self.threshold_s, window_s)}
            if mean_response_s is not None:
                out["share_mean_response_met"] = None
            return out
        met = seen & (max_revisit_s <= self.threshold_s)
        share = float(np.sum(weights[met]) / np.sum(weights))
        out = {
            "name": self.name,
            "threshold_s": self.threshold_s,
            "share_met": share,
            "verdict": "met" if met.all() else "not met",
        }
        if short:
            out["reason"] = ("some points are never seen in the window; every other gap is within the claim, as the "
                             "window is not longer than it")
        if mean_response_s is not None:
            # Which weaker reading of the claim would hold: the mean wait for a
            # random request, rather than the worst-case gap.
            out["share_mean_response_met"] = float(
                np.sum(weights[seen & (mean_response_s <= self.threshold_s)]) / np.sum(weights))
        return out
