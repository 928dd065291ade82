"""The section of report.html for fairness (the figures: `analysis.fairness`)."""

from __future__ import annotations

from typing import Any

from voiceleak.report.html import section
from voiceleak.report.sections.common import pct, section_html


@section("fairness")
def fairness_section(results: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    for row in results.get("analyses", {}).get("fairness") or []:
        acc, ref = row.get("accuracy") or {}, row.get("refusal") or {}
        rows.append([row["model"], row["task"], row["transform"], row["label"], _groups(acc),
                     _gap(acc), _groups(ref), _gap(ref)])
    return section_html(
        "Fairness: gaps between groups",
        "Accuracy of committed answers and refusal rate per group of another label, each speaker counting once, "
        "with 95% intervals over speakers; gap = best minus worst group, with the p of a permutation test over "
        "speakers (group labels shuffled across speakers): a gap alone is biased upwards in small groups.",
        ["model", "task", "transform", "by", "accuracy % per group (n)", "accuracy gap",
         "refusal % per group (n)", "refusal gap"], rows, left=5)


def _groups(result: dict[str, Any]) -> str:
    groups = result.get("groups") or {}
    return "; ".join(f"{g}: {pct(v)} (n {v['n']}, {v['n_units']} {v['unit']}s)" for g, v in groups.items()) or "n/a"


def _gap(result: dict[str, Any]) -> str:
    if result.get("gap") is None:
        return "n/a"
    p = (result.get("test") or {}).get("p_value")
    return f"{result['gap'] * 100:.1f} (p {'n/a' if p is None else f'{p:.3g}'})"
