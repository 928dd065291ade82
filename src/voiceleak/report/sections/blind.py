"""The section of report.html for blind controls (the figures: `analysis.blind`)."""

from __future__ import annotations

from typing import Any

from voiceleak.report.console import interval_text
from voiceleak.report.html import section
from voiceleak.report.sections.common import p_value, pct, section_html, share


@section("blind")
def blind_section(results: dict[str, Any]) -> str:
    rows = []
    for row in results.get("analyses", {}).get("blind") or []:
        over = row.get("leakage_over_blind") or {}
        rows.append([row["model"], row["task"], row["transform"], row["n_valid"], pct(row["refusal_rate"]),
                     pct(row["commitment_rate"]), row["top_guess"] or "n/a", pct(row["top_share"]),
                     _entropy_text(row["entropy"]), share(over.get("accuracy_real")),
                     share(over.get("accuracy_blind")), pct(over.get("difference"), signed=True),
                     p_value(over.get("difference")), over.get("n_pairs", 0), row["n_audio_substituted"]])
    return section_html(
        "Blind controls",
        "The audio replaced by silence, noise, nothing, or another speaker's clip. Refusal and commitment "
        "rates are over valid replies; top guess share and normalised entropy (log2 entropy / log2 classes: "
        "0 = always the same guess, 1 = uniform) are over committed guesses. Leakage over blind = accuracy "
        "with the real audio minus accuracy blind on the same clips (correct over valid replies): the mean "
        "over speakers of each speaker's paired difference, 95% t interval over speakers and its t test, "
        "Holm-adjusted across the table (each interval at the level that agrees with its adjusted p).",
        ["model", "task", "control", "n", "refusal %", "commitment %", "top guess", "top share %",
         "entropy", "acc. real %", "acc. blind %", "leakage over blind", "p (Holm)", "pairs",
         "audio substituted"], rows)


def _entropy_text(entropy: dict[str, Any] | None) -> str:
    return interval_text(entropy, scale=1.0, digits=2)
