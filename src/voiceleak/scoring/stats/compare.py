"""Comparisons at the level of the units: paired differences on the same clips, and gaps between groups.

- Paired (prompt defense, reasoning, blind, end-to-end vs cascade): the same clips under two
  conditions. Each unit's mean difference is one observation; the test is the t test over units
  (the clustered equivalent of a sign-flip test), never McNemar over clips, whose clips of one
  speaker would count as independent pairs.
- Between groups (a decision by voices of two sexes): each voice's mean decision is one observation;
  the gap is a Welch comparison of the two groups of voices, with a minimum number of voices per
  group below which no interval or test is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from voiceleak.scoring.stats.estimate import Estimate, stratified
from voiceleak.scoring.stats.layout import layout
from voiceleak.scoring.stats.leakage import class_cell, leakage_values
from voiceleak.scoring.stats.units import speaker_units
from voiceleak.types import SampleRecord

Pair = tuple[SampleRecord, SampleRecord]


def paired_difference(pairs: Sequence[Pair], measure: Callable[[SampleRecord], float],
                      unit_of: Callable[[SampleRecord], str | None] | None = None) -> Estimate:
    """Mean over units of (measure(second) − measure(first)), with its t interval and test against 0."""
    if not pairs:
        return Estimate(None, status="empty")
    first = [a for a, _ in pairs]
    units = speaker_units(first, unit_of)
    grouped = layout(units)
    differences = np.array([measure(b) - measure(a) for a, b in pairs], dtype=np.float64)
    found = stratified([grouped.means(differences)], [1.0], unit=units.kind, unit_range=(-1.0, 1.0))
    return found.with_note(units.note)


def paired_leakage_difference(pairs: Sequence[Pair],
                              unit_of: Callable[[SampleRecord], str | None] | None = None,
                              measure: str = "leakage") -> Estimate:
    """Leakage(first) − leakage(second) on the same clips (or their balanced accuracies, with
    `measure="balanced_accuracy"`): class-stratified, paired within units."""
    first = class_cell([a for a, _ in pairs], unit_of)
    second = class_cell([b for _, b in pairs], unit_of)
    if first is None or second is None or len(first.categories) != len(second.categories):
        return Estimate(None, status="empty")
    if measure == "leakage":
        difference = leakage_values(first) - leakage_values(second)
    else:
        difference = first.correct - second.correct
    return first.estimate(difference, unit_range=(-1.0, 1.0), constant=first.constant and second.constant)


def group_gap(a: np.ndarray, b: np.ndarray, labels: tuple[str, str], unit: str = "voice",
              unit_range: tuple[float, float] = (0.0, 1.0)) -> Estimate:
    """mean(a) − mean(b) over units of two groups (Welch), e.g. per-voice decision rates by sex."""
    return stratified([np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)], [1.0, -1.0],
                      unit=unit, unit_range=unit_range, labels=list(labels))



__all__ = ["Pair", "group_gap", "paired_difference", "paired_leakage_difference"]
