"""A cluster bootstrap, only for statistics that are not means of unit values (EER, minDCF, entropy).

Units (speakers) are resampled with replacement, within strata when strata are given (so a class
never drops out of a resample). Percentile intervals from fewer than MIN_UNITS units under-cover, so
below that count the interval is declined, as the t estimator declines it. Weight matrices are built
in chunks so memory stays bounded whatever the number of records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from voiceleak.scoring.stats.estimate import LEVEL, Estimate
from voiceleak.scoring.stats.units import MIN_UNITS, Units

DEFAULT_RESAMPLES = 1000
Statistic = Callable[[np.ndarray], np.ndarray]  # (k x n) weights -> k values; row of ones = the estimate


def _weight_chunks(ids: Sequence[str], strata: Sequence[str] | None, resamples: int, seed: int,
                   chunk: int) -> Iterator[np.ndarray]:
    names, index = np.unique(np.asarray(ids, dtype=object).astype(str), return_inverse=True)
    unit_stratum = np.zeros(len(names), dtype=np.int64)
    if strata is not None:
        _, stratum_index = np.unique(np.asarray(strata, dtype=object).astype(str), return_inverse=True)
        unit_stratum[index] = stratum_index
    members = [np.flatnonzero(unit_stratum == s) for s in np.unique(unit_stratum)]
    rng = np.random.default_rng(seed)
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        counts = np.zeros((size, len(names)))
        for units in members:  # stratified: each stratum keeps its number of units
            draws = rng.multinomial(len(units), np.full(len(units), 1.0 / len(units)), size=size)
            counts[:, units] = draws
        yield counts[:, index]


def _chunk_size(n: int) -> int:
    """Resamples per pass, so a weight matrix stays near 32 MB whatever the number of records."""
    return int(max(1, min(DEFAULT_RESAMPLES, (32 << 20) // (8 * max(n, 1)))))


def bootstrap(statistic: Statistic, units: Units, strata: Sequence[str] | None = None,
              resamples: int = DEFAULT_RESAMPLES, seed: int = 0, min_units: int = MIN_UNITS) -> Estimate:
    """Percentile interval of `statistic` over unit resamples (within strata), or a declined interval."""
    n = len(units.ids)
    if n == 0:
        return Estimate(None, status="empty", unit=units.kind)
    point = float(statistic(np.ones((1, n)))[0])
    per_stratum = _units_per_stratum(units, strata)
    if min(per_stratum.values()) < min_units:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(per_stratum.items()))
        return Estimate(point, status="too_few", unit=units.kind, n_units=units.count,
                        note=f"too few {units.kind}s for an interval ({counts}; at least {min_units} needed)")
    values = np.concatenate([statistic(w) for w in _weight_chunks(units.ids, strata, resamples, seed,
                                                                   _chunk_size(n))])
    values = values[np.isfinite(values)]
    if len(values) < resamples * 0.5:
        return Estimate(point, status="too_few", unit=units.kind, n_units=units.count,
                        note="most resamples could not compute the statistic")
    if float(np.ptp(values)) < 1e-12:
        return Estimate(point, status="no_spread", unit=units.kind, n_units=units.count,
                        note=f"every resample of {units.kind}s gives the same value: no interval can be drawn")
    tail = (1 - LEVEL) / 2 * 100
    return Estimate(point, float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail)),
                    method=f"percentile bootstrap over {units.kind}s", unit=units.kind, n_units=units.count,
                    note=units.note)


def _units_per_stratum(units: Units, strata: Sequence[str] | None) -> dict[str, int]:
    seen: dict[str, set[str]] = {}
    for i, unit in enumerate(units.ids):
        seen.setdefault("all" if strata is None else str(strata[i]), set()).add(unit)
    return {k: len(v) for k, v in seen.items()}


__all__ = ["DEFAULT_RESAMPLES", "Statistic", "bootstrap"]
