"""Records grouped into units within strata, once per cell, so every figure of the cell reuses it.

A group is one (stratum, unit) pair: the clips of one speaker that share a true class. Per-unit
values are plain means over the unit's records (each unit counts once in its stratum, whatever its
number of clips); a ratio pooled over clips (a word error rate) is linearised into per-unit values
that the same estimator takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voiceleak.scoring.stats.estimate import Estimate, stratified
from voiceleak.scoring.stats.units import Units


@dataclass(frozen=True, eq=False)
class Layout:
    units: Units
    strata: tuple[str, ...]      # stratum names, in the order split() returns them
    group_stratum: np.ndarray    # stratum index of each group
    index: np.ndarray            # group index of each record
    counts: np.ndarray           # records per group

    @property
    def n_groups(self) -> int:
        return len(self.counts)

    def means(self, values: npt.ArrayLike) -> np.ndarray:
        """Per-group mean of a per-record value (NaN-free input expected)."""
        sums = np.bincount(self.index, weights=np.asarray(values, dtype=np.float64), minlength=self.n_groups)
        return sums / np.maximum(self.counts, 1)

    def sums(self, values: npt.ArrayLike) -> np.ndarray:
        return np.bincount(self.index, weights=np.asarray(values, dtype=np.float64), minlength=self.n_groups)

    def split(self, group_values: np.ndarray) -> list[np.ndarray]:
        """Per stratum, the values of its groups."""
        return [group_values[self.group_stratum == s] for s in range(len(self.strata))]

    def sizes(self) -> list[int]:
        return [int((self.group_stratum == s).sum()) for s in range(len(self.strata))]


def layout(units: Units, strata: Sequence[str] | None = None) -> Layout:
    """Group records by (stratum, unit); one stratum when `strata` is None."""
    names = sorted(set(strata)) if strata is not None else [""]
    position = {name: i for i, name in enumerate(names)}
    stratum_index = [position[s] for s in strata] if strata is not None else [0] * len(units.ids)
    groups: dict[tuple[int, str], int] = {}
    index = np.empty(len(units.ids), dtype=np.int64)
    for i, key in enumerate(zip(stratum_index, units.ids, strict=True)):
        index[i] = groups.setdefault(key, len(groups))
    group_stratum = np.empty(len(groups), dtype=np.int64)
    for (s, _), g in groups.items():
        group_stratum[g] = s
    counts = np.bincount(index, minlength=len(groups)).astype(np.float64)
    return Layout(units, tuple(names), group_stratum, index, counts)


def linearised_ratio(numerators: np.ndarray, denominators: np.ndarray) -> np.ndarray:
    """Per-unit values whose mean is Σy/Σn and whose spread is the ratio's linearised (delta) spread.

    r_u = R + (y_u − R·n_u) / mean(n): the standard cluster estimator of a ratio (a corpus-level WER
    = errors / reference words) expressed so that the one t estimator applies to it unchanged.
    """
    y = np.asarray(numerators, dtype=np.float64)
    n = np.asarray(denominators, dtype=np.float64)
    total = n.sum()
    if total <= 0:
        return np.full(len(y), np.nan)
    ratio = y.sum() / total
    return np.asarray(ratio + (y - ratio * n) / n.mean(), dtype=np.float64)


def pooled_ratio(units: Units, numerators: npt.ArrayLike, denominators: npt.ArrayLike,
                 unit_range: tuple[float, float]) -> Estimate:
    """Σ numerators / Σ denominators over the records (errors over reference words: a corpus WER), with
    its interval over `units`; empty when there is nothing to divide by."""
    denominators = np.asarray(denominators, dtype=np.float64)
    if denominators.sum() <= 0:
        return Estimate(None, status="empty", unit=units.kind)
    grouped = layout(units)
    per_unit = linearised_ratio(grouped.sums(numerators), grouped.sums(denominators))
    return stratified([per_unit], [1.0], unit=units.kind, unit_range=unit_range)


__all__ = ["Layout", "layout", "linearised_ratio", "pooled_ratio"]
