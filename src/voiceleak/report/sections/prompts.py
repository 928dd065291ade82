"""The sections of report.html for prompt effects: reasoning amplification and the defense prompt
(the figures: `analysis.prompts`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voiceleak.report.html import section
from voiceleak.report.sections.common import p_value, pct, section_html, share


def _rows(rows: Sequence[dict[str, Any]]) -> list[list[object]]:
    out: list[list[object]] = []
    for row in rows:
        acc, ref = row["accuracy"], row["refusal"]
        out.append([row["model"], row["task"], row["transform"], f"{row['treatment']} vs {row['control']}",
                    row["n_pairs"], share(acc["first"]), share(acc["second"]),
                    pct(acc["difference"], signed=True), p_value(acc["difference"]),
                    share(ref["first"]), share(ref["second"]),
                    pct(ref["difference"], signed=True), p_value(ref["difference"])])
    return out


_HEADERS = ["model", "task", "transform", "comparison", "pairs", "acc. control %", "acc. treatment %",
            "acc. difference", "p (Holm)", "refusal control %", "refusal treatment %", "refusal difference",
            "p (Holm)"]
_NOTE = ("Same clips, same model and transform; tasks differ only in the prompt set. Accuracy = correct "
         "over valid replies (refusals count as not correct); differences are treatment minus control, "
         "the mean over speakers of each speaker's paired difference, with a t interval and t test over speakers, "
         "Holm-adjusted across the table (each interval at the level that agrees with its adjusted p).")


@section("reasoning_amplification")
def reasoning_section(results: dict[str, Any]) -> str:
    rows = results.get("analyses", {}).get("reasoning_amplification") or []
    return section_html("Reasoning amplification", _NOTE, _HEADERS, _rows(rows))


@section("defense_prompt")
def defense_section(results: dict[str, Any]) -> str:
    rows = results.get("analyses", {}).get("defense_prompt") or []
    return section_html("Defense prompt effect", _NOTE, _HEADERS, _rows(rows))
