"""Time-resolved results of a run (opt-in: ``run(..., timeseries=True)``): how many
satellites see each point at the window's sample instants, as STK's Percent
Coverage over time and N Asset Coverage reports give them.

The counts come from :func:`sim.kernels.snapshots.count_chunk`, streamed with the
run's time chunks (chunks share their boundary sample; each sample is counted
once) at the user's samples (the step asked for, not the finer step the coverage
kernel may sample at).  Nothing scales with points x samples: per point five
numbers, per sample four.

Per point (figures, :data:`POINT_FIGURES`): the least, mean and largest number of
satellites seeing the point at once over the samples, and the share of the
samples at which >= 1 and >= N satellites see it (N: ``n_assets``, default
:data:`DEFAULT_N_ASSETS`).

Per sample (:class:`TimeSeries`): the area-weighted share of the grid seen by
>= 1 satellite (instantaneous coverage) and by >= N, the share seen at least
once so far (from each point's exact first access, ``first_access_s`` <= t,
so it also counts passes that began and ended between samples), and the
area-weighted mean and the largest number of satellites in view.

Push-broom (swath) sensors image a line at an instant, of zero area: they count 0
at every sample (their passes still count in the cumulative share).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np

from sim.engine.table import iso_utc
from sim.kernels import snapshots as S

# N of the N-asset figures when none is given: the share seen by two satellites at
# once (stereo, or a second chance), beside the share seen by one.
DEFAULT_N_ASSETS = 2

# Per-point figures a time-series run adds, with their long names.
POINT_FIGURES = {
    "min_in_view": "least number of satellites seeing the point at once over the samples",
    "mean_in_view": "mean number of satellites seeing the point at once over the samples",
    "max_in_view": "largest number of satellites seeing the point at once over the samples",
    "share_in_view": "share of the samples at which at least one satellite sees the point",
    "share_in_view_n": "share of the samples at which at least N satellites see the point (N: n_assets)",
}

# Per-sample series, in the order files list them, with their long names (all unitless).
SERIES = {
    "coverage_share": "area-weighted share of the grid seen by at least one satellite at the instant",
    "cumulative_share": "area-weighted share of the grid seen at least once from the window start to the instant",
    "share_n": "area-weighted share of the grid seen by at least N satellites at the instant (N: n_assets)",
    "mean_sats_in_view": "area-weighted mean number of satellites seeing a point at the instant",
    "max_sats_in_view": "largest number of satellites seeing any point at the instant",
}


@dataclass
class TimeSeries:
    """The per-sample figures of a run: ``times_s`` (s from ``start``, UTC) and
    one array per name of :data:`SERIES`; ``n_assets`` is the N of ``share_n``."""

    start: datetime
    times_s: np.ndarray
    values: dict = field(default_factory=dict)
    n_assets: int = DEFAULT_N_ASSETS

    def __len__(self) -> int:
        return int(self.times_s.size)

    def times_utc(self) -> list[datetime]:
        """The sample instants as UTC datetimes."""
        start = self.start.astimezone(timezone.utc)
        return [start + timedelta(seconds=float(t)) for t in self.times_s]

    def times_iso(self) -> list[str]:
        """The sample instants as UTC ISO-8601 strings, milliseconds, trailing Z."""
        return [iso_utc(t) for t in self.times_utc()]

    def to_dict(self) -> dict:
        """JSON-ready: ``time_utc`` (strings), the series as lists, ``n_assets``."""
        out = {"n_assets": self.n_assets, "time_utc": self.times_iso()}
        for name in SERIES:
            arr = np.asarray(self.values[name])
            out[name] = arr.astype(int).tolist() if name == "max_sats_in_view" else arr.astype(float).tolist()
        return out



def series_stride(user_step_s: float, sample_step_s: float) -> int:
    """How many of the kernel's samples make one of the user's: the sample step
    is the user's divided into whole parts (:func:`sim.engine.sampling.sample_step_s`)."""
    return max(1, int(round(user_step_s / sample_step_s)))


def chunk_samples_to_count(k0: int, k1: int, stride: int, n_samples: int) -> np.ndarray:
    """Indices (into the chunk [k0, k1) of the kernel's samples) of the user's
    samples the chunk counts: every ``stride``-th sample and the window's last;
    a chunk's first sample belongs to the chunk before (they share it), except
    the window's first."""
    g = np.arange(k0 + (1 if k0 > 0 else 0), k1)
    keep = (g % stride == 0) | (g == n_samples - 1)
    return (g[keep] - k0).astype(np.int64)


class SeriesAccumulator:
    """The streamed state of a time-series pass over one grid (kernel order):
    per point :func:`sim.kernels.snapshots.new_counts`, per counted sample the
    sums of :func:`sim.kernels.snapshots.count_chunk`."""

    def __init__(self, weight: np.ndarray, n_assets: int, stride: int, n_samples: int):
        if int(n_assets) < 1:
            raise ValueError(f"n_assets must be at least 1, not {n_assets}")
        self.weight = np.ascontiguousarray(weight, dtype=np.float64)
        self.n_assets = int(n_assets)
        self.stride = stride
        self.n_samples = n_samples
        self.acc = S.new_counts(self.weight.size)
        self.parts = []

    def add_chunk(self, steps, rows, k0: int, k1: int) -> None:
        ks = chunk_samples_to_count(k0, k1, self.stride, self.n_samples)
        if ks.size == 0:
            return
        out = S.count_chunk(self.acc, steps, rows, self.weight, ks, self.n_assets)
        per_sample = out.sum(axis=0)
        per_sample[:, S.MAX_IN_VIEW] = out[:, :, S.MAX_IN_VIEW].max(axis=0)
        self.parts.append(per_sample)

    def sums(self) -> np.ndarray:
        """(n counted samples, NSERIES): the weights' sums and the largest count per sample."""
        return np.concatenate(self.parts) if self.parts else np.zeros((0, S.NSERIES))

    def point_figures(self) -> dict[str, np.ndarray]:
        n = max(1, sum(p.shape[0] for p in self.parts))
        acc = self.acc
        seen_always = acc[:, S.N_SEEN] >= n
        return {
            "min_in_view": np.where(seen_always, acc[:, S.MIN_SEEN], 0.0),
            "mean_in_view": acc[:, S.SUM_COUNT] / n,
            "max_in_view": acc[:, S.MAX_COUNT].copy(),
            "share_in_view": acc[:, S.N_SEEN] / n,
            "share_in_view_n": acc[:, S.N_AT_LEAST] / n,
        }


def cumulative_share(first_access_s: np.ndarray, weight: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Area-weighted share of the points first accessed at or before each time
    (``first_access_s`` NaN: never), of the total ``weight``."""
    seen = np.isfinite(first_access_s)
    order = np.argsort(first_access_s[seen], kind="stable")
    t_sorted = first_access_s[seen][order]
    cum = np.concatenate([[0.0], np.cumsum(weight[seen][order])])
    return cum[np.searchsorted(t_sorted, times_s, side="right")] / float(np.sum(weight))


def build_series(sums: np.ndarray, first_access_s: np.ndarray, weight: np.ndarray, start: datetime,
                 times_s: np.ndarray, n_assets: int) -> TimeSeries:
    """The :class:`TimeSeries` from the per-sample sums (:meth:`SeriesAccumulator.sums`,
    weights of ``weight``, the grid's), each point's first access and the sample times."""
    if sums.shape[0] != times_s.size:
        raise ValueError(f"{sums.shape[0]} samples counted for {times_s.size} sample times")
    total = float(np.sum(weight))
    values = {
        "coverage_share": sums[:, S.W_SEEN] / total,
        "cumulative_share": cumulative_share(first_access_s, weight, times_s),
        "share_n": sums[:, S.W_AT_LEAST] / total,
        "mean_sats_in_view": sums[:, S.W_COUNT] / total,
        "max_sats_in_view": sums[:, S.MAX_IN_VIEW].astype(np.int64),
    }
    return TimeSeries(start, np.asarray(times_s, dtype=np.float64), values, int(n_assets))


def combine_bands(parts: list, band_weights: list[float], first_access_s: np.ndarray, weight: np.ndarray):
    """One run's series from its bands' (each over its band's renormalised weights,
    the band being ``band_weights[b]`` of the whole grid's weight): shares and
    means add, weighted by the bands' shares; the largest count is the largest of
    the bands'; the cumulative share is recomputed from the whole grid's first
    accesses.  None when the bands have no series."""
    if not parts or parts[0] is None:
        return None
    total = float(sum(band_weights))
    first = parts[0]
    values = {}
    for name in ("coverage_share", "share_n", "mean_sats_in_view"):
        values[name] = sum(np.asarray(p.values[name]) * (w / total) for p, w in zip(parts, band_weights))
    values["max_sats_in_view"] = np.max(np.stack([np.asarray(p.values["max_sats_in_view"]) for p in parts]), axis=0)
    values["cumulative_share"] = cumulative_share(first_access_s, weight, first.times_s)
    return TimeSeries(first.start, first.times_s, {k: values[k] for k in SERIES}, first.n_assets)


def summary(series: TimeSeries, figures: dict, weight: np.ndarray) -> dict:
    """What a summary reports of a time series: N, the time-averaged instantaneous
    coverage and share seen by >= N, and the mean and largest number of
    satellites in view."""
    w = np.asarray(weight, dtype=np.float64) / float(np.sum(weight))
    v = series.values
    return {
        "n_assets": series.n_assets,
        "samples": len(series),
        "mean_coverage_share": float(np.mean(v["coverage_share"])) if len(series) else math.nan,
        "mean_share_n": float(np.mean(v["share_n"])) if len(series) else math.nan,
        "mean_in_view": float(np.sum(w * figures["mean_in_view"])),
        "max_in_view": int(np.max(v["max_sats_in_view"])) if len(series) else 0,
    }


__all__ = ["DEFAULT_N_ASSETS", "POINT_FIGURES", "SERIES", "TimeSeries", "SeriesAccumulator", "build_series",
           "combine_bands", "cumulative_share", "chunk_samples_to_count", "series_stride", "summary"]
