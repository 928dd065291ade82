"""The one statistical core: units of evidence, the estimator, leakage against the model's null,
comparisons at the unit level, multiplicity. Every view reads its figures from here."""

from voiceleak.scoring.stats.compare import Pair, group_gap, paired_difference, paired_leakage_difference
from voiceleak.scoring.stats.estimate import LEVEL, Estimate, adjust_family, holm, stratified
from voiceleak.scoring.stats.layout import Layout, layout, linearised_ratio, pooled_ratio
from voiceleak.scoring.stats.leakage import (
    DECLINED,
    NON_ANSWERS,
    ClassCell,
    balanced_accuracy,
    class_cell,
    leakage,
    null_level,
    per_class_rate,
    side_channel,
    spread_test,
)
from voiceleak.scoring.stats.units import MIN_UNITS, Units, speaker_units

__all__ = [
    "DECLINED",
    "LEVEL",
    "MIN_UNITS",
    "NON_ANSWERS",
    "ClassCell",
    "Estimate",
    "Layout",
    "Pair",
    "Units",
    "adjust_family",
    "balanced_accuracy",
    "class_cell",
    "group_gap",
    "holm",
    "layout",
    "leakage",
    "linearised_ratio",
    "null_level",
    "paired_difference",
    "paired_leakage_difference",
    "per_class_rate",
    "pooled_ratio",
    "side_channel",
    "speaker_units",
    "spread_test",
    "stratified",
]
