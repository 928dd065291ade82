"""Fairness: does a model infer (or refuse) more for some groups than for others?

For each cell and each label other than the one asked (sex accuracy by age band, accent accuracy by
sex, ...): accuracy of committed answers and refusal rate per group, and the gap between the best
and the worst group (max - min) with a bootstrap interval resampling speakers. A max-min gap is
biased upwards in small samples (noise alone makes groups differ); read it with its n and interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from voiceleak.report.aggregate import analysis
from voiceleak.report.analyses.common import answered, by_cell, clusters, indicator, pct, section_html, valid
from voiceleak.report.html import section
from voiceleak.scoring.bootstrap import DEFAULT_RESAMPLES, interval
from voiceleak.types import Outcome, SampleRecord


def _gap_statistic(values: np.ndarray, masks: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """max - min over groups of the weighted group means; NaN when a resample loses a group."""
    def statistic(w: np.ndarray) -> np.ndarray:
        totals = w @ masks.T  # (b x g)
        hits = w @ (masks * values).T
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(totals > 0, hits / totals, np.nan)
        return np.asarray(means.max(axis=1) - means.min(axis=1))

    return statistic


def group_gap(records: Sequence[SampleRecord], label: str, what: str,
              resamples: int = DEFAULT_RESAMPLES) -> dict[str, Any] | None:
    """Per-group rate of `what` and the max-min gap across groups, or None with fewer than two groups."""
    members = [r for r in records if r.labels.get(label) is not None]
    groups = sorted({str(r.labels[label]) for r in members})
    if len(groups) < 2:
        return None
    values = indicator(members, what)
    masks = np.stack([np.array([r.labels[label] == g for r in members], dtype=np.float64) for g in groups])
    per_group = {g: {"n": int(m.sum()), "rate": round(float((m * values).sum() / m.sum()), 4)}
                 for g, m in zip(groups, masks, strict=True)}
    gap = interval(_gap_statistic(values, masks), len(members), clusters(members), resamples).to_dict()
    best = max(groups, key=lambda g: per_group[g]["rate"])
    worst = min(groups, key=lambda g: per_group[g]["rate"])
    return {"groups": per_group, "gap": gap, "best": best, "worst": worst}


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


@section("fairness")
def fairness_section(results: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    for row in results.get("analyses", {}).get("fairness") or []:
        acc, ref = row.get("accuracy") or {}, row.get("refusal") or {}
        rows.append([row["model"], row["task"], row["transform"], row["label"], _groups(acc),
                     pct(acc.get("gap")), _groups(ref), pct(ref.get("gap"))])
    return section_html(
        "Fairness: gaps between groups",
        "Accuracy of committed answers and refusal rate per group of another label; gap = best minus worst "
        "group with a 95% bootstrap interval over speakers (biased upwards in small groups: read it with n).",
        ["model", "task", "transform", "by", "accuracy % per group (n)", "accuracy gap",
         "refusal % per group (n)", "refusal gap"], rows, left=5)


def _groups(result: dict[str, Any]) -> str:
    groups = result.get("groups") or {}
    return "; ".join(f"{g}: {v['rate'] * 100:.1f} ({v['n']})" for g, v in groups.items()) or "n/a"
