"""Fairness: does a model infer (or refuse) more for some groups than for others?

For each cell and each label other than the one asked (sex accuracy by age band, accent accuracy by
sex, ...): accuracy of committed answers and refusal rate per group, and the gap between the best
and the worst group (max - min) with a permutation test over speakers. A max-min gap is biased
upwards in small samples (noise alone makes groups differ): the test, not the gap, says whether
groups differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voiceleak.analysis.aggregate import analysis
from voiceleak.analysis.common import answered, by_cell, indicator, rate, valid
from voiceleak.scoring.stats import layout, speaker_units, spread_test
from voiceleak.types import Outcome, SampleRecord


def group_gap(records: Sequence[SampleRecord], label: str, what: str) -> dict[str, Any] | None:
    """Per-group rate of `what` (each speaker once) and the best-minus-worst gap with a permutation test
    over speakers, or None with fewer than two groups."""
    members = [r for r in records if r.labels.get(label) is not None]
    groups = sorted({str(r.labels[label]) for r in members})
    if len(groups) < 2:
        return None
    per_group = {g: rate([r for r in members if str(r.labels[label]) == g], what) for g in groups}
    grouped = layout(speaker_units(members), [str(r.labels[label]) for r in members])
    test = spread_test(grouped.means(indicator(members, what)), grouped.group_stratum, len(groups))
    values = {g: v["value"] for g, v in per_group.items() if v["value"] is not None}
    best, worst = max(values, key=lambda g: values[g]), min(values, key=lambda g: values[g])
    return {"groups": per_group, "gap": round(values[best] - values[worst], 4), "test": test,
            "best": best, "worst": worst}


@analysis("fairness")
def fairness(records: Sequence[SampleRecord], header: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (cell, label): accuracy gap over committed answers, refusal gap over valid replies."""
    rows = []
    for (model, task, transform), members in by_cell(records).items():
        target = members[0].target
        labels = sorted({name for r in members for name in r.labels if name != target})
        for label in labels:
            accuracy = group_gap(answered(members), label, "correct")
            refusal = group_gap(valid(members), label, Outcome.REFUSAL)
            if accuracy is None and refusal is None:
                continue
            rows.append({"model": model, "task": task, "transform": transform, "target": target,
                         "label": label, "accuracy": accuracy, "refusal": refusal})
    return rows
