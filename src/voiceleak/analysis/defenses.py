"""The figures of `voiceleak defend`: the privacy-utility table (report.sections.defenses prints it and
draws its trade-off curves).

Privacy of an attribute is the class-balanced accuracy over every valid reply, refusals and
unparseable replies counting as not correct: what a deployment reveals per question asked (a
filter that withholds answers must not look leaky because the few it lets through are right).
Every figure comes from the run log: WER from the recogniser's `transcription` cells (corpus WER over
words, interval over speakers), verification EER and minDCF from the attackers' trial records (one per
trial and attacker, written by studies.defend_verification; intervals over enrolment speakers). The
header's "defend" block only declares the study: its model, probe, recogniser, tasks and conditions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from voiceleak.analysis.aggregate import analysis
from voiceleak.scoring.stats import balanced_accuracy, class_cell, leakage
from voiceleak.scoring.verification import Trial, verification_metrics
from voiceleak.scoring.wer import wer_of_records
from voiceleak.transforms.base import IDENTITY
from voiceleak.types import Outcome, SampleRecord

#: the `model` of the verification records: the attackers share one voiceprint encoder
ATTACKER = "voiceprint-attacker"
VERIFICATION = "verification"
#: trial sets: every speaker, or the evaluation speakers the semi-informed attacker never trained on
ALL, EVALUATION = "all", "evaluation"
ATTACKER_NAMES = ("ignorant", "lazy_informed", "semi_informed")


def task_name(attacker: str, trials: str) -> str:
    """`verification:lazy_informed` (every speaker) or `verification:semi_informed trials=evaluation`."""
    return f"{VERIFICATION}:{attacker}" + ("" if trials == ALL else f" trials={trials}")


def read_task(task: str) -> tuple[str, str]:
    """(attacker, trial set) of a verification record's task name."""
    head, _, rest = task.partition(" ")
    return head.split(":", 1)[1], rest.removeprefix("trials=") or ALL


def leak_metric(records: Sequence[SampleRecord]) -> dict[str, Any]:
    """Balanced accuracy and leakage over valid replies (`stats.leakage`), with intervals over speakers."""
    cell = class_cell(records)
    valid = [r for r in records if r.outcome != Outcome.ERROR and r.truth is not None]
    refused = sum(r.outcome in (Outcome.REFUSAL, Outcome.BLOCKED) for r in valid)
    empty = {"value": None, "low": None, "high": None}
    return {"n": len(valid), "n_error": len(records) - len(valid),
            "n_speakers": len({r.speaker_id or r.clip_id for r in valid}),
            "chance": round(1 / cell.k, 4) if cell else None,
            "refusal_rate": round(refused / len(valid), 4) if valid else None,
            "balanced_accuracy": balanced_accuracy(cell).to_dict() if cell else empty,
            "leakage": leakage(cell).to_dict() if cell else empty}


def verification_of(records: Sequence[SampleRecord]) -> dict[str, Any]:
    """One condition's EER and minDCF per attacker from its trial records: every speaker's trials at the
    top, all three attackers on the evaluation speakers under "evaluation_split", and "semi_informed"
    at the top being that same figure."""
    by_attacker: dict[tuple[str, str], list[SampleRecord]] = defaultdict(list)
    for record in records:
        by_attacker[read_task(record.task)].append(record)
    out: dict[str, Any] = {}
    split: dict[str, Any] = {}
    for attacker in ATTACKER_NAMES:
        for trials_set, block in ((ALL, out), (EVALUATION, split)):
            members = by_attacker.get((attacker, trials_set))
            if members:
                trials = [Trial(str(r.meta["enrol"]), str(r.meta["test"]), bool(r.meta["target"]),
                                r.speaker_id or "") for r in members]
                block[attacker] = verification_metrics([float(r.meta["score"]) for r in members], trials)
    if "semi_informed" in split:
        out["semi_informed"] = split["semi_informed"]
        out["evaluation_split"] = split
    return out


@analysis("defenses")
def defense_table(records: Sequence[SampleRecord], header: dict[str, Any]) -> dict[str, Any] | None:
    defend = header.get("defend")
    if not defend:
        return None
    cells: dict[tuple[str, str, str], list[SampleRecord]] = defaultdict(list)
    attacks: dict[str, list[SampleRecord]] = defaultdict(list)
    for record in records:  # one pass: a defend run's log holds every trial of every attacker
        cells[(record.model, record.task, record.transform)].append(record)
        if record.model == ATTACKER:
            attacks[record.transform].append(record)
    models = list(dict.fromkeys([defend["model"], defend["probe"]]))
    asr, transcription = defend.get("asr_model"), defend.get("transcription_task")
    rows = []
    for condition in defend["conditions"]:
        name = condition["name"]
        attributes = {task: {m: leak_metric(cells[(m, task, name)])
                             for m in models if cells.get((m, task, name))} for task in defend["tasks"]}
        # Prompt and reply defenses hear the clean audio: their verification and WER are the clean row's.
        heard = name if condition["changes_audio"] or name == IDENTITY else IDENTITY
        same_as = {} if heard == name else {"same_as": IDENTITY}
        verification = verification_of(attacks.get(heard, []))
        utterances = cells.get((asr, transcription, heard)) if asr and transcription else None
        wer = wer_of_records(utterances) if utterances else {}
        task = defend.get("utility_task")
        rows.append({**condition, "attributes": attributes,
                     "verification": {**verification, **same_as} if verification else {},
                     "wer": {**wer, **same_as} if wer else {},
                     "utility_task": leak_metric(cells[(defend["model"], task, name)]) if task else None})
    return {"model": defend["model"], "probe": defend["probe"], "tasks": defend["tasks"],
            "utility_task": defend.get("utility_task"), "asr": header.get("models", {}).get(asr),
            "settings": defend.get("settings", {}), "rows": rows}

