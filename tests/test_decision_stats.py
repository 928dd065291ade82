"""The decision and scope statistics on fixed records whose answers are known by hand."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from voiceleak.models.text.transcript import wrap
from voiceleak.report.decision import (
    Pairs,
    decision_analysis,
    decision_rows,
    decisions_by_sentence,
    holm,
    match,
    value_measure,
    voice_effect,
)
from voiceleak.report.scope import scope_analysis
from voiceleak.spec import parse_spec
from voiceleak.tasks.scope import ScopeTask
from voiceleak.types import Outcome, SampleRecord


def record(clip: str, speaker: str, sex: str, *, task: str = "decision:hiring", transform: str = "none",
           outcome: Outcome = Outcome.ANSWER, predicted: str | None = None, value: float | None = None,
           detail: str = "") -> SampleRecord:
    return SampleRecord(
        key=f"{task}|{transform}|{clip}", model="m", task=task, transform=transform, clip_id=clip, repeat=0,
        speaker_id=speaker, labels={"sex": sex}, target=None, prompt="p", system=None, audio_note="clip",
        response="r", error=None, outcome=outcome.value, predicted=predicted, truth=None, correct=None,
        value=value, latency_s=0.0, cached=False, meta={"detail": detail} if detail else {})


def yes_no(value: int) -> dict[str, Any]:
    return {"predicted": "yes" if value else "no", "value": float(value)}


def exact_signed_rank_p(d: list[float]) -> float:
    """Two-sided exact Wilcoxon p by enumerating every sign assignment (no ties, zeros dropped)."""
    d = [x for x in d if x != 0]
    ranks = {abs(x): i + 1 for i, x in enumerate(sorted(d, key=abs))}
    observed = sum(ranks[abs(x)] for x in d if x < 0)
    total = sum(ranks.values())
    sums = [sum(r for r, neg in zip(ranks.values(), signs, strict=True) if neg)
            for signs in itertools.product([False, True], repeat=len(d))]
    low = min(observed, total - observed)
    return min(1.0, 2 * sum(s <= low for s in sums) / len(sums))


# Ten sentences, one Female and one Male clip each. Audio: Female yes / Male no on 8 sentences, the
# reverse on 1, both yes on 1. Text only: both yes on every sentence.
AUDIO_F = [1, 1, 1, 1, 1, 1, 1, 1, 0, 1]
AUDIO_M = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
TEXTS = {f"{sex}{i}": f"Sentence number {i}." for sex in "FM" for i in range(10)}


def hiring_records() -> list[SampleRecord]:
    out = []
    for i in range(10):
        out.append(record(f"F{i}", "f-voice", "Female", **yes_no(AUDIO_F[i])))
        out.append(record(f"M{i}", "m-voice", "Male", **yes_no(AUDIO_M[i])))
        out.append(record(f"F{i}", "f-voice", "Female", transform="text-only", **yes_no(1)))
        out.append(record(f"M{i}", "m-voice", "Male", transform="text-only", **yes_no(1)))
    return out


def test_yes_no_rates_gap_mcnemar_and_the_text_only_control() -> None:
    kinds = {"decision:hiring": {"kind": "yesno"}}
    (row,) = decision_rows(hiring_records(), TEXTS, kinds, labels=["sex"], resamples=200)
    audio = row["audio"]
    assert row["groups"] == ["Female", "Male"] and audio["n_pairs"] == 10
    assert (audio["a"]["value"], audio["b"]["value"], audio["gap"]["value"]) == (0.9, 0.2, 0.7)
    assert audio["gap"]["low"] <= 0.7 <= audio["gap"]["high"]
    # exact McNemar: 8 discordant one way, 1 the other: 2 * P(X >= 8 | n=9, 1/2) = 2 * 10 / 512
    assert (audio["test"]["a_more"], audio["test"]["b_more"]) == (8, 1)
    assert audio["test"]["p_value"] == pytest.approx(20 / 512, abs=1e-6)
    text = row["text_only"]
    assert text["gap"]["value"] == 0.0 and text["test"]["p_value"] is None  # no discordant pair
    effect = row["voice_effect"]
    assert effect["value"] == pytest.approx(0.7) and effect["n_sentences"] == 10


def test_scores_use_wilcoxon_and_the_voice_effect_subtracts_the_text_gap() -> None:
    female, male = [8, 7, 9, 6, 10, 3], [7, 5, 6, 2, 5, 9]  # differences 1, 2, 3, 4, 5, -6
    text_female, text_male = [6, 6, 6, 6, 6, 6], [5, 5, 5, 5, 5, 5]  # text-only gap +1 everywhere
    records = []
    for i in range(6):
        for transform, f, m in (("none", female[i], male[i]), ("text-only", text_female[i], text_male[i])):
            records.append(record(f"F{i}", "f", "Female", task="decision:promotion", transform=transform,
                                  predicted=str(f), value=float(f)))
            records.append(record(f"M{i}", "m", "Male", task="decision:promotion", transform=transform,
                                  predicted=str(m), value=float(m)))
    (row,) = decision_rows(records, TEXTS, {"decision:promotion": {"kind": "score"}}, ["sex"], resamples=200)
    audio = row["audio"]
    assert audio["a"]["value"] == pytest.approx(43 / 6, abs=1e-4)
    assert audio["b"]["value"] == pytest.approx(34 / 6, abs=1e-4)
    assert audio["gap"]["value"] == pytest.approx(1.5)
    assert audio["test"]["statistic"] == 6.0  # the smaller rank sum: the rank of |-6|
    assert audio["test"]["p_value"] == pytest.approx(exact_signed_rank_p([1, 2, 3, 4, 5, -6]), abs=1e-6)
    assert audio["test"]["p_value"] == pytest.approx(28 / 64)
    assert row["text_only"]["gap"]["value"] == pytest.approx(1.0)
    effect = row["voice_effect"]  # per sentence 0, 1, 2, 3, 4, -7; the zero is dropped by the test
    assert effect["value"] == pytest.approx(0.5)
    assert effect["test"]["p_value"] == pytest.approx(exact_signed_rank_p([0, 1, 2, 3, 4, -7]), abs=1e-6)
    assert effect["test"]["p_value"] == pytest.approx(20 / 32)


def test_options_are_compared_one_by_one() -> None:
    records = []
    for i in range(4):
        records.append(record(f"F{i}", "f", "Female", task="decision:job-advice", predicted="nurse"
                              if i < 3 else "teacher"))
        records.append(record(f"M{i}", "m", "Male", task="decision:job-advice", predicted="teacher"))
    kinds = {"decision:job-advice": {"kind": "choice", "options": ["nurse", "teacher"]}}
    rows = {r["measure"]: r for r in decision_rows(records, TEXTS, kinds, ["sex"], resamples=100)}
    assert rows["nurse"]["audio"]["gap"]["value"] == 0.75
    assert rows["nurse"]["audio"]["test"]["p_value"] == pytest.approx(0.25)  # 3 of 3 discordant one way
    assert rows["teacher"]["audio"]["gap"]["value"] == -0.75
    assert rows["nurse"]["text_only"] is None and rows["nurse"]["voice_effect"] is None


def test_pairs_are_one_to_one_and_refusals_carry_no_decision() -> None:
    texts = {"F0": "Same words.", "F1": "same  words", "M0": "Same words!", "F2": "Other words.", "M2": "other words"}
    records = [record("F0", "f1", "Female", **yes_no(1)), record("F1", "f2", "Female", **yes_no(1)),
               record("M0", "m1", "Male", **yes_no(0)),
               record("F2", "f1", "Female", outcome=Outcome.REFUSAL), record("M2", "m1", "Male", **yes_no(1))]
    pairs = match(decisions_by_sentence(records, "sex", texts, value_measure), "Female", "Male")
    assert pairs.sentences == ["same words"]  # the other sentence's Female clip refused: no pair
    assert (pairs.a.tolist(), pairs.b.tolist()) == ([1.0], [0.0])  # two Female clips, one Male: one pair
    (row,) = decision_rows(records, texts, {"decision:hiring": {"kind": "yesno"}}, ["sex"], resamples=50)
    assert row["counts"]["Female"]["n_refusal"] == 1 and row["counts"]["Female"]["speakers"] == ["f1", "f2"]


def test_the_analysis_reads_kinds_from_the_header_and_names_stand_ins() -> None:
    header = {"tasks": {"decision:hiring": {"decision": {"kind": "yesno"}}},
              "models": {"m": {"name": "m", "kind": "baseline"}}, "decisions": {"group_by": ["sex"]}}
    # no manifest in the header: the transcripts come back from the text-only prompts
    logged = [replace(r, prompt=wrap(TEXTS[r.clip_id], "p")) if r.transform == "text-only" else r
              for r in hiring_records()]
    result = decision_analysis(logged, header)
    assert result is not None and result["group_by"] == ["sex"]
    assert "chance baseline" in result["stand_ins"]["m"]
    assert result["rows"][0]["audio"]["gap"]["value"] == 0.7
    assert decision_analysis([], header) is None


def test_scope_rates_per_probe_and_over_refusal_with_speaker_intervals() -> None:
    task = ScopeTask(parse_spec("scope:meeting"))
    header = {"tasks": {task.name: dict(task.describe())}}
    V, W, R, U = (Outcome.ANSWER, "violation"), (Outcome.ANSWER, "within-scope"), (Outcome.REFUSAL, None), \
        (Outcome.UNPARSEABLE, None)
    plan = [("s1", "age-direct", V), ("s1", "age-direct", V), ("s1", "emotion-direct", R),
            ("s2", "age-direct", W), ("s2", "emotion-direct", U), ("s1", "transcribe", R), ("s2", "summarise", W),
            ("s2", "summarise", V)]
    records = [record(f"c{i}", speaker, "Female", task=task.name, outcome=outcome, predicted=label,
                      detail=f"probe {probe}: x") for i, (speaker, probe, (outcome, label)) in enumerate(plan)]
    records.append(record("c-err", "s2", "Female", task=task.name, outcome=Outcome.ERROR))
    (row,) = scope_analysis(records, header)["rows"]
    assert (row["violation_rate"]["value"], row["violation_rate"]["n"]) == (0.4, 5)  # 2 of 5 forbidden asks
    assert row["violation_rate"]["n_speakers"] == 2 and row["n_unclear"] == 1 and row["n_error"] == 1
    assert (row["over_refusal_rate"]["value"], row["over_refusal_rate"]["n"]) == (pytest.approx(1 / 3, abs=1e-4), 3)
    assert row["volunteered_rate"]["value"] == pytest.approx(1 / 3, abs=1e-4)
    assert row["probes"]["age-direct"]["rate"]["value"] == pytest.approx(2 / 3, abs=1e-4)
    assert row["probes"]["transcribe"]["measure"] == "over-refusal"
    low, high = row["violation_rate"]["low"], row["violation_rate"]["high"]
    assert low is not None and high is not None and low <= 0.4 <= high
    assert np.isclose(row["refusal_rate"]["value"], 0.2)


def test_voice_effect_is_the_difference_of_the_pooled_gaps() -> None:
    heard = Pairs(["s1", "s1", "s2"], np.array([1.0, 1.0, 0.0]), np.array([0.0, 0.0, 0.0]))
    read = Pairs(["s1", "s1", "s2"], np.array([1.0, 0.0, 1.0]), np.array([1.0, 0.0, 1.0]))
    effect = voice_effect(heard, read, resamples=100)
    assert effect["value"] == pytest.approx(2 / 3, abs=1e-4)  # not 1/2, the mean of per-sentence effects
    assert effect["n_sentences"] == 2 and effect["test"]["n_nonzero"] == 1


def test_holm_adjusts_step_down_and_keeps_missing_tests_missing() -> None:
    assert holm([0.01, 0.04, 0.03, None]) == [0.03, 0.06, 0.06, None]
    assert holm([0.5, 0.9]) == [1.0, 1.0]
