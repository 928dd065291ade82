"""The section of report.html for bystander privacy (the figures: `analysis.bystander`)."""

from __future__ import annotations

from typing import Any

from voiceleak.analysis.bystander import LEVEL_ORDER, PLACEMENT_ORDER, stand_in_note
from voiceleak.report.console import interval_text
from voiceleak.report.html import section
from voiceleak.report.sections.common import section_html


@section("bystander")
def bystander_section(results: dict[str, Any]) -> str:
    found = (results.get("analyses") or {}).get("bystander") or {}
    rows = found.get("rows") or []
    if not rows:
        return ""
    levels = [v for v in LEVEL_ORDER if any(v in r["by_level"] for r in rows)]
    placements = [v for v in PLACEMENT_ORDER if any(v in r["by_placement"] for r in rows)]
    table = [[r["model"], r["attribute"], r["about"], r["ask"], r["transform"], r["n_valid"],
              r["accuracy_all"]["n_speakers"], "n/a" if r["null"] is None else f"{r['null'] * 100:.0f}",
              interval_text(r["leakage"], signed=True), interval_text(r["accuracy_all"]),
              interval_text(r["answer_rate"]), interval_text(r["refusal_rate"]),
              *(interval_text(r["by_level"].get(v)) for v in levels),
              *(interval_text(r["by_placement"].get(v)) for v in placements)] for r in rows]
    headers = ["model", "attribute", "about", "ask", "transform", "n", "people", "null %", "leakage", "right %",
               "answered %", "refused %", *(f"right at {v} dB" for v in levels), *(f"right, {v}" for v in placements)]
    note = ("A second speaker of the corpus overlaid on a primary clip (voiceleak mix). 'about' is the person "
            "asked about: the bystander, the primary (the comparison) or the bystander's clip alone (the "
            "bound of what that voice carries). 'right %' counts correct answers over valid replies (refusals "
            "and unparseable replies are not right); 'answered %' is any committed answer - under ask=scope "
            "about the bystander, a violation of the owner-only scope. Level: the bystander's speech level "
            "relative to the primary's. 95% intervals over the people asked about (the bystander "
            "speakers for bystander rows); n = replies, people = distinct speakers. The probe and the "
            "majority baseline never read the prompt: their rows are the same for every ask."
            + stand_in_note(bool(found.get("no_audio_llm"))))
    return section_html("Bystander privacy", note, headers, table, left=5)
