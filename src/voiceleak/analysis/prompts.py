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

from voiceleak.analysis.aggregate import Declared, analysis
from voiceleak.analysis.common import adjust, paired, pairs, split_prompts
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
