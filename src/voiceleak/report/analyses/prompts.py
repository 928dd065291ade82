"""Prompt effects, paired on the same clips: does reasoning amplify inference, does a defense prompt help?

Two tasks form a pair when they are the same task on the same model and transform and differ only
in `prompts=` (for example "attribute:accent" and "attribute:accent prompts=reasoning").
- Reasoning amplification: `reasoning` against every other prompt set present (usually `direct`).
- Defense prompt effect: `hearsay-defense` against `hearsay-main` (HearSay's two settings).
Each row gives accuracy and refusal rate on both sides over the paired clips, the paired
difference (treatment minus control) over speakers (each speaker's mean paired difference is one
observation) with its t interval and t test, Holm-adjusted across each table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from voiceleak.report.aggregate import Declared, analysis
from voiceleak.report.analyses.common import adjust, p_value, paired, pairs, pct, section_html, share, split_prompts
from voiceleak.report.html import section
from voiceleak.types import Outcome, SampleRecord

REASONING = "reasoning"
DEFENSE, UNDEFENDED = "hearsay-defense", "hearsay-main"


def prompt_comparisons(records: Sequence[SampleRecord], treatment: str, control: str | None = None,
                       calibration: Collection[str] = ()) -> list[dict[str, Any]]:
    """Paired rows of `treatment` against `control` (or against every other prompt set present);
    the `calibration` models' rows get no test (see common.adjust)."""
    groups: dict[tuple[str, str, str], dict[str, list[SampleRecord]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        base, prompts = split_prompts(record.task)
        groups[(record.model, base, record.transform)][prompts].append(record)
    rows = []
    for (model, base, transform), by_prompt in sorted(groups.items()):
        if treatment not in by_prompt:
            continue
        controls = [control] if control else sorted(p for p in by_prompt if p != treatment)
        for other in controls:
            if other not in by_prompt:
                continue
            matched = pairs(by_prompt[other], by_prompt[treatment])
            if not matched:
                continue
            rows.append({"model": model, "task": base, "transform": transform,
                         "target": matched[0][0].target, "control": other, "treatment": treatment,
                         "n_pairs": len(matched), "accuracy": paired(matched, "correct"),
                         "refusal": paired(matched, Outcome.REFUSAL)})
    return adjust(rows, ["accuracy", "refusal"], calibration)


@analysis("reasoning_amplification")
def reasoning_amplification(records: Sequence[SampleRecord], header: dict[str, Any]) -> list[dict[str, Any]]:
    return prompt_comparisons(records, REASONING, calibration=calibration_runs(records, header))


@analysis("defense_prompt")
def defense_prompt(records: Sequence[SampleRecord], header: dict[str, Any]) -> list[dict[str, Any]]:
    return prompt_comparisons(records, DEFENSE, UNDEFENDED, calibration_runs(records, header))


def calibration_runs(records: Sequence[SampleRecord], header: dict[str, Any]) -> frozenset[str]:
    return Declared(header).calibration({r.model for r in records})


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
