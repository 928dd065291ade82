"""The section of report.html for repeats (the figures: `analysis.repeats`)."""

from __future__ import annotations

from typing import Any

from voiceleak.report.html import section
from voiceleak.report.sections.common import pct, section_html


@section("repeats")
def repeats_section(results: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    for row in results.get("analyses", {}).get("repeats") or []:
        vote = row["majority_vote"]
        mean = "n/a" if row["mean_accuracy"] is None else f"{row['mean_accuracy'] * 100:.1f}"
        sd = "n/a" if row["sd_accuracy"] is None else f"{row['sd_accuracy'] * 100:.1f}"
        rows.append([row["model"], row["task"], row["transform"], row["n_repeats"], mean, sd,
                     pct(vote["accuracy"]), vote["n_voted"], vote["n_ties"], vote["n_no_answer"]])
    return section_html(
        "Repeats",
        "Accuracy of committed answers in each repeat: mean and standard deviation across repeats. Majority "
        "vote per clip over its committed answers; ties give no vote and are counted, as are clips whose "
        "repeats all declined; 95% interval over speakers.",
        ["model", "task", "transform", "repeats", "mean acc. %", "sd (pts)", "majority-vote acc. %",
         "voted", "ties", "no answer"], rows)
