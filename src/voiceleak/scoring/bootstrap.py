"""Bootstrap confidence intervals as weight matrices, so every metric resamples in one vector pass.

Resampling is by cluster (speaker) by default: clips of one speaker are not independent, and a
clip-level bootstrap would give intervals that are too narrow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 1000
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"value": _round(self.value), "low": _round(self.low), "high": _round(self.high)}


def _round(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def resample_weights(clusters: Sequence[str], resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> np.ndarray:
    """(resamples x n) weights: how often each sample is drawn when whole clusters are drawn."""
    return next(_weight_chunks(clusters, resamples, seed, chunk=resamples))


def _weight_chunks(clusters: Sequence[str], resamples: int, seed: int, chunk: int) -> Iterator[np.ndarray]:
    names, index = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
    rng = np.random.default_rng(seed)
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        counts = rng.multinomial(len(names), np.full(len(names), 1.0 / len(names)), size=size)
        yield counts[:, index].astype(np.float64)


def _chunk_size(n: int) -> int:
    """Resamples per pass, so a weight matrix stays near 32 MB whatever the number of samples."""
    return int(max(1, min(DEFAULT_RESAMPLES, (32 << 20) // (8 * max(n, 1)))))


def interval(statistic: Callable[[np.ndarray], np.ndarray], n: int, clusters: Sequence[str] | None,
             resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> Interval:
    """`statistic` maps a (k x n) weight matrix to k values; row 0 of the call is the point estimate.

    Resamples are drawn in chunks: at 100,000 samples one matrix of 1,000 resamples would take 800 MB.
    """
    if n == 0:
        return Interval(None, None, None)
    point = float(statistic(np.ones((1, n)))[0])
    labels = clusters if clusters is not None else [str(i) for i in range(n)]
    values = np.concatenate([statistic(w) for w in _weight_chunks(labels, resamples, seed, _chunk_size(n))])
    values = values[np.isfinite(values)]
    if len(values) < resamples * 0.5:
        return Interval(point, None, None)
    tail = (1 - LEVEL) / 2 * 100
    return Interval(point, float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail)))


def weighted_mean(values: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    def statistic(w: np.ndarray) -> np.ndarray:
        total = w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray((w @ values) / total, dtype=np.float64)

    return statistic


def paired_difference(a: np.ndarray, b: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Mean of a minus mean of b over the same samples (same weights): a paired comparison."""
    return weighted_mean(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))
