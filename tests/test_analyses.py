"""Each analysis on fixed records whose answers are known, so every number can be checked by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from voiceleak.analysis.aggregate import aggregate
from voiceleak.analysis.blind import blind_statistics, normalised_entropy
from voiceleak.analysis.fairness import fairness
from voiceleak.analysis.prompts import defense_prompt, reasoning_amplification
from voiceleak.analysis.repeats import repeats
from voiceleak.report.html import render
from voiceleak.types import Outcome, SampleRecord

HEADER: dict[str, Any] = {"tasks": {"attribute:sex": {"classes": ["Male", "Female"]}}}


def rec(clip: str, speaker: str, truth: str, reply: str, *, task: str = "attribute:sex",
        transform: str = "none", model: str = "m", repeat: int = 0, labels: dict[str, str] | None = None,
        detail: str = "") -> SampleRecord:
    """`reply`: a class (an answer), "REFUSAL", "UNPARSEABLE" or "ERROR"."""
    outcome = {"REFUSAL": Outcome.REFUSAL, "UNPARSEABLE": Outcome.UNPARSEABLE,
               "ERROR": Outcome.ERROR}.get(reply, Outcome.ANSWER)
    answer = outcome is Outcome.ANSWER
    target = task.split()[0].split(":")[1]
    return SampleRecord(
        key=f"{model}|{task}|{transform}|{clip}|{repeat}", model=model, task=task, transform=transform,
        clip_id=clip, repeat=repeat, speaker_id=speaker, labels=labels or {target: truth}, target=target,
        prompt="q", system=None, audio_note=transform if transform.startswith("blind") else "clip",
        response=reply, error="boom" if outcome is Outcome.ERROR else None, outcome=outcome.value,
        predicted=reply if answer else None, truth=truth, correct=(reply == truth) if answer else None,
        value=None, latency_s=0.0, cached=False, meta={"detail": detail} if detail else {},
    )


def within(interval: dict[str, Any]) -> bool:
    return interval["low"] <= interval["value"] <= interval["high"]


# -- blind controls ------------------------------------------------------------------------------

def blind_records() -> list[SampleRecord]:
    truths = {"c1": "Male", "c2": "Female", "c3": "Male", "c4": "Female", "c5": "Male"}
    speakers = {"c1": "s1", "c2": "s1", "c3": "s2", "c4": "s2", "c5": "s3"}
    real = {"c1": "Male", "c2": "Female", "c3": "Male", "c4": "Male", "c5": "Male"}
    blind = {"c1": "Male", "c2": "Male", "c3": "REFUSAL", "c4": "Female", "c5": "ERROR"}
    return [*(rec(c, speakers[c], truths[c], real[c]) for c in truths),
            *(rec(c, speakers[c], truths[c], blind[c], transform="blind:silence",
                  detail="no audio heard" if blind[c] == "REFUSAL" else "") for c in truths)]


def test_blind_statistics_exact() -> None:
    rows = blind_statistics(blind_records(), HEADER)
    assert len(rows) == 1
    row = rows[0]
    assert (row["n"], row["n_valid"], row["n_error"]) == (5, 4, 1)
    assert row["refusal_rate"]["value"] == 0.25 and row["refusal_rate"]["n"] == 4
    assert row["commitment_rate"]["value"] == 0.75
    assert row["n_no_audio_refusals"] == 1
    # each speaker counts once: s1 guessed Male twice (share 1), s2 Female once (share 0)
    assert row["top_guess"] == "Male" and row["top_share"]["value"] == 0.5
    assert row["entropy"]["value"] == pytest.approx(0.9183, abs=1e-4)  # H(2/3, 1/3) / log2(2)
    assert row["guesses"] == {"Male": 2, "Female": 1}
    over = row["leakage_over_blind"]
    # c5 errored blind: its pair is dropped. Real correct 1,1,1,0; blind correct 1,0,0,1.
    assert over["n_pairs"] == 4 and over["accuracy_real"] == 0.75 and over["accuracy_blind"] == 0.5
    # per speaker: s1 (0 + 1) / 2, s2 (1 - 1) / 2; two speakers carry no interval and no test
    assert over["difference"]["value"] == 0.25 and over["difference"]["unit"] == "speaker"
    assert over["difference"]["status"] == "too_few" and over["difference"].get("p_value") is None


def test_normalised_entropy_bounds() -> None:
    assert normalised_entropy(["A"] * 5, 4) == 0.0
    assert normalised_entropy(["A", "B", "C", "D"], 4) == pytest.approx(1.0)
    assert normalised_entropy(["A", "B"], 4) == pytest.approx(0.5)
    assert normalised_entropy([], 2) is None


def test_blind_without_real_audio_cell_has_no_leakage_over_blind() -> None:
    only_blind = [r for r in blind_records() if r.transform != "none"]
    assert blind_statistics(only_blind, HEADER)[0]["leakage_over_blind"] is None


# -- prompt effects ------------------------------------------------------------------------------

def accent_records() -> list[SampleRecord]:
    direct = ["English", "X", "X", "X", "X", "English"]
    reasoning = ["English", "English", "English", "English", "X", "REFUSAL"]
    out = []
    for i in range(6):
        speaker = f"s{i // 2}"
        out.append(rec(f"c{i}", speaker, "English", direct[i], task="attribute:accent"))
        out.append(rec(f"c{i}", speaker, "English", reasoning[i], task="attribute:accent prompts=reasoning"))
    out.append(rec("c0", "s0", "English", "English", task="attribute:accent prompts=reasoning",
                   model="other"))
    return out


def test_reasoning_amplification_exact() -> None:
    rows = reasoning_amplification(accent_records(), HEADER)
    assert len(rows) == 1  # the other model has no direct run to pair with
    row = rows[0]
    assert (row["task"], row["control"], row["treatment"], row["n_pairs"]) == \
        ("attribute:accent", "direct", "reasoning", 6)
    acc = row["accuracy"]
    assert acc["first"] == 0.3333 and acc["second"] == 0.6667
    # per speaker (s0: c0, c1; s1: c2, c3; s2: c4, c5): 0.5, 1.0, -0.5
    assert acc["difference"]["value"] == 0.3333 and acc["difference"]["n_units"] == 3
    assert acc["difference"]["status"] == "too_few"
    refusal = row["refusal"]
    assert refusal["first"] == 0.0 and refusal["second"] == 0.1667 and refusal["difference"]["value"] == 0.1667


def test_defense_prompt_effect_exact() -> None:
    main, defense = "attribute:sex prompts=hearsay-main", "attribute:sex prompts=hearsay-defense"
    defended = ["REFUSAL", "REFUSAL", "REFUSAL", "Male"]
    records = []
    for i in range(4):
        records.append(rec(f"c{i}", f"s{i}", "Male", "Male", task=main))
        records.append(rec(f"c{i}", f"s{i}", "Male", defended[i], task=defense))
        records.append(rec(f"c{i}", f"s{i}", "Male", "Female", task="attribute:sex"))  # direct: not compared
    rows = defense_prompt(records, HEADER)
    assert [(r["control"], r["treatment"]) for r in rows] == [("hearsay-main", "hearsay-defense")]
    refusal, accuracy = rows[0]["refusal"], rows[0]["accuracy"]
    assert refusal["first"] == 0.0 and refusal["second"] == 0.75 and refusal["difference"]["value"] == 0.75
    assert accuracy["first"] == 1.0 and accuracy["second"] == 0.25
    assert accuracy["difference"]["value"] == -0.75 and accuracy["difference"]["n_units"] == 4
    assert accuracy["difference"]["status"] == "too_few"  # four speakers: no test, never McNemar over clips


# -- fairness ------------------------------------------------------------------------------------

def test_fairness_gaps_exact() -> None:
    table = [("c1", "Male", "Male", "20-30"), ("c2", "Female", "Female", "20-30"),  # clip, truth, reply, age
             ("c3", "Male", "Male", "60-70"), ("c4", "Female", "Male", "60-70"),
             ("c5", "Male", "REFUSAL", "60-70"), ("c6", "Male", "REFUSAL", "60-70")]
    records = [rec(c, c, truth, reply, labels={"sex": truth, "age": band}) for c, truth, reply, band in table]
    rows = fairness(records, HEADER)
    assert [r["label"] for r in rows] == ["age"]  # the asked label is not a group
    accuracy, refusal = rows[0]["accuracy"], rows[0]["refusal"]
    assert {g: (v["n"], v["value"]) for g, v in accuracy["groups"].items()} == {"20-30": (2, 1.0), "60-70": (2, 0.5)}
    assert accuracy["gap"] == 0.5 and (accuracy["best"], accuracy["worst"]) == ("20-30", "60-70")
    assert {g: (v["n"], v["value"]) for g, v in refusal["groups"].items()} == {"20-30": (2, 0.0), "60-70": (4, 0.5)}
    assert refusal["gap"] == 0.5 and refusal["test"]["test"] == "permutation over units"
    assert 0 < refusal["test"]["p_value"] <= 1


# -- repeats -------------------------------------------------------------------------------------

def test_repeats_spread_and_majority_vote_exact() -> None:
    replies = {"a": ("Male", ["Male", "Male", "Female"]),           # vote Male: right
               "b": ("Female", ["Male", "Female", "REFUSAL"]),      # tie: no vote
               "c": ("Female", ["REFUSAL", "REFUSAL", "REFUSAL"]),  # nothing to vote on
               "d": ("Female", ["Male", "Male", "Male"])}           # vote Male: wrong
    records = [rec(clip, f"s-{clip}", truth, reply, repeat=k)
               for clip, (truth, answers) in replies.items() for k, reply in enumerate(answers)]
    records.append(rec("a", "s-a", "Male", "Male", transform="blind:noise"))  # one repeat: no row
    rows = repeats(records, HEADER)
    assert len(rows) == 1
    row = rows[0]
    # committed accuracy per repeat: 1/3, 2/3, 0/2
    assert row["per_repeat"] == {"0": {"n": 3, "accuracy": 0.3333}, "1": {"n": 3, "accuracy": 0.6667},
                                 "2": {"n": 2, "accuracy": 0.0}}
    assert row["mean_accuracy"] == 0.3333 and row["sd_accuracy"] == 0.3333
    vote = row["majority_vote"]
    assert (vote["n_clips"], vote["n_voted"], vote["n_ties"], vote["n_no_answer"]) == (4, 2, 1, 1)
    assert vote["accuracy"]["value"] == 0.5


# -- wiring ---------------------------------------------------------------------------------------

def test_analyses_land_in_results_and_report() -> None:
    records: Sequence[SampleRecord] = [*blind_records(), *accent_records()]
    results = aggregate(records, {**HEADER, "config": {"corpus": "x"}}, resamples=50)
    assert {"blind", "reasoning_amplification", "defense_prompt", "fairness", "repeats", "judge"} <= \
        set(results["analyses"])
    assert results["analyses"]["blind"][0]["top_guess"] == "Male"
    html = render(results)
    assert "Blind controls" in html and "Reasoning amplification" in html
    assert "Defense prompt effect" not in html  # no defense run: no empty section
