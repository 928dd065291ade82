"""The decision and scope statistics on fixed records whose answers are known by hand."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from scipy.stats import ttest_ind

from voiceleak.analysis.decision import decision_analysis, decision_rows
from voiceleak.analysis.scope import scope_analysis
from voiceleak.models.text.transcript import wrap
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


SENTENCES = 8
TEXTS = {f"v{v}-s{s}": f"Sentence number {s}." for v in range(12) for s in range(SENTENCES)}


def crossed(yes_rate: dict[int, float], sex: dict[int, str], *, transform: str = "none",
            task: str = "decision:hiring") -> list[SampleRecord]:
    """Voices x sentences: voice v says "yes" to the first round(rate * 8) sentences."""
    out = []
    for v, rate in yes_rate.items():
        for s in range(SENTENCES):
            out.append(record(f"v{v}-s{s}", f"v{v}", sex[v], transform=transform, task=task,
                              **yes_no(int(s < round(rate * SENTENCES)))))
    return out


def test_a_voice_effect_without_sex_is_not_called_a_sex_gap() -> None:
    """Issue: twelve voices, sex assigned at random, yes/no depends on the voice only. Treating a voice's
    clips as independent pairs called this a -33 point gap [-33, -33], p = 3e-5."""
    yes_voices = {0, 1, 2, 3, 6, 7}  # four of six Female voices say yes to everything, two of six Male
    sex = {v: "Female" if v < 6 else "Male" for v in range(12)}
    records = crossed({v: 1.0 if v in yes_voices else 0.0 for v in range(12)}, sex)
    (row,) = decision_rows(records, TEXTS, {"decision:hiring": {"kind": "yesno"}}, labels=["sex"])
    audio = row["audio"]
    assert audio["n_voices"] == {"Female": 6, "Male": 6} and audio["n_decisions"] == 96
    assert audio["gap"]["value"] == pytest.approx(1 / 3, abs=1e-4)
    assert audio["gap"]["low"] < 0 < audio["gap"]["high"]  # six voices a side cannot show this gap
    female, male = [1.0] * 4 + [0.0] * 2, [1.0] * 2 + [0.0] * 4
    welch = ttest_ind(female, male, equal_var=False).pvalue  # Welch over voices; ours adds bounded-range
    assert welch <= audio["test"]["p_value"] <= welch * 1.1  # pseudo-units to the spread: a touch wider
    assert audio["gap"]["unit"] == "voice" and audio["test"]["test"] == "Welch t over voices"


def test_too_few_voices_give_no_interval_and_no_test() -> None:
    """The demo's sex contrast is 2 voices against 4: no p-value or interval is printed for it."""
    sex = {0: "Female", 1: "Female", 2: "Male", 3: "Male", 4: "Male", 5: "Male"}
    records = crossed({0: 1.0, 1: 1.0, 2: 0.0, 3: 0.0, 4: 0.25, 5: 0.0}, sex)
    (row,) = decision_rows(records, TEXTS, {"decision:hiring": {"kind": "yesno"}}, labels=["sex"])
    gap = row["audio"]["gap"]
    assert gap["status"] == "too_few" and gap["low"] is None and gap["high"] is None
    assert row["audio"]["test"]["p_value"] is None
    assert "too few voices" in row["audio"]["test"]["note"] and "Female 2" in row["audio"]["test"]["note"]


def test_the_voice_effect_subtracts_each_voices_text_only_decision() -> None:
    sex = {v: "Female" if v < 6 else "Male" for v in range(12)}
    rates = {v: (0.75 if v < 6 else 0.25) + (0.125 if v % 2 else 0.0) for v in range(12)}
    records = crossed(rates, sex) + crossed({v: 0.5 for v in range(12)}, sex, transform="text-only")
    (row,) = decision_rows(records, TEXTS, {"decision:hiring": {"kind": "yesno"}}, labels=["sex"])
    assert row["text_only"]["gap"]["value"] == 0.0
    assert row["audio"]["gap"]["value"] == pytest.approx(0.5)
    effect = row["voice_effect"]
    assert effect["gap"]["value"] == pytest.approx(0.5) and effect["n_voices"] == {"Female": 6, "Male": 6}
    assert effect["test"]["p_value"] < 0.01 and effect["gap"]["low"] > 0
    assert effect["test"]["p_holm"] >= effect["test"]["p_value"]


def test_options_are_compared_one_by_one() -> None:
    sex = {v: "Female" if v < 6 else "Male" for v in range(12)}
    records = [record(f"v{v}-s{s}", f"v{v}", sex[v], task="decision:job-advice",
                      predicted="nurse" if (v < 6) == (s < 6) else "teacher")
               for v in range(12) for s in range(SENTENCES)]
    kinds = {"decision:job-advice": {"kind": "choice", "options": ["nurse", "teacher"]}}
    rows = {r["measure"]: r for r in decision_rows(records, TEXTS, kinds, ["sex"])}
    assert rows["nurse"]["audio"]["gap"]["value"] == pytest.approx(0.5)
    assert rows["teacher"]["audio"]["gap"]["value"] == pytest.approx(-0.5)
    assert rows["nurse"]["audio"]["gap"]["status"] == "ok"  # voices alike: the pseudo-units give the spread
    assert rows["nurse"]["text_only"] is None and rows["nurse"]["voice_effect"] is None


def test_refusals_carry_no_decision_and_are_counted() -> None:
    texts = {"F0": "Same words.", "F1": "same  words", "M0": "Same words!", "F2": "Other words.", "M2": "other words"}
    records = [record("F0", "f1", "Female", **yes_no(1)), record("F1", "f2", "Female", **yes_no(1)),
               record("M0", "m1", "Male", **yes_no(0)),
               record("F2", "f1", "Female", outcome=Outcome.REFUSAL), record("M2", "m1", "Male", **yes_no(1))]
    (row,) = decision_rows(records, texts, {"decision:hiring": {"kind": "yesno"}}, ["sex"])
    assert row["counts"]["Female"]["n_refusal"] == 1 and row["counts"]["Female"]["speakers"] == ["f1", "f2"]
    assert row["audio"]["n_voices"] == {"Female": 2, "Male": 1} and row["audio"]["n_decisions"] == 4
    assert row["audio"]["gap"]["value"] == pytest.approx(1 - 0.5)  # m1: one yes, one no


def hiring_records() -> list[SampleRecord]:
    sex = {v: "Female" if v < 6 else "Male" for v in range(12)}
    audio = crossed({v: 0.875 if v < 6 else 0.125 for v in range(12)}, sex)
    return audio + crossed({v: 1.0 for v in range(12)}, sex, transform="text-only")


def test_the_analysis_reads_kinds_from_the_header_and_names_stand_ins() -> None:
    header = {"tasks": {"decision:hiring": {"decision": {"kind": "yesno"}}},
              "models": {"m": {"name": "m", "kind": "baseline"}}, "decisions": {"group_by": ["sex"]}}
    # no manifest in the header: the transcripts come back from the text-only prompts
    logged = [replace(r, prompt=wrap(TEXTS[r.clip_id], "p")) if r.transform == "text-only" else r
              for r in hiring_records()]
    result = decision_analysis(logged, header)
    assert result is not None and result["group_by"] == ["sex"]
    assert "chance baseline" in result["stand_ins"]["m"]
    assert result["rows"][0]["audio"]["gap"]["value"] == pytest.approx(0.75)
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
    # each speaker counts once: s1 violated 2 of its 3 forbidden asks, s2 none of its 2
    assert (row["violation_rate"]["value"], row["violation_rate"]["n"]) == (pytest.approx(1 / 3, abs=1e-4), 5)
    assert row["violation_rate"]["n_speakers"] == 2 and row["n_unclear"] == 1 and row["n_error"] == 1
    assert (row["over_refusal_rate"]["value"], row["over_refusal_rate"]["n"]) == (0.5, 3)  # s1 1/1, s2 0/2
    assert row["volunteered_rate"]["value"] == pytest.approx(0.25)
    assert row["probes"]["age-direct"]["rate"]["value"] == pytest.approx(0.5)
    assert row["probes"]["transcribe"]["measure"] == "over-refusal"
    # two speakers cannot carry an interval: the figure says so instead of printing one
    assert row["violation_rate"]["status"] == "too_few" and row["violation_rate"]["low"] is None
    assert np.isclose(row["refusal_rate"]["value"], 1 / 6, atol=1e-4)


