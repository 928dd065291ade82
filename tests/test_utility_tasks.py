"""Application tasks (transcription, language-id, content:LABEL) and the value-type metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voiceleak.models.text.transcript import LANGUAGE_ID_INSTRUCTION, TRANSCRIBE_INSTRUCTION, extract, question, wrap
from voiceleak.scoring.metrics import summarize
from voiceleak.spec import parse_spec
from voiceleak.tasks import build_task
from voiceleak.tasks.utility import normalize_text, spell_number
from voiceleak.types import Audio, Clip, Outcome, Response, SampleRecord

AUDIO = Audio(np.zeros(1600, dtype=np.float32), 16_000)


def clip(cid: str, text: str | None = None, language: str = "en", **raw: str) -> Clip:
    return Clip(cid, Path(f"{cid}.wav"), f"spk-{cid}", labels={"language": language}, text=text, raw_labels=raw)


def test_normalisation_spells_numbers_and_drops_punctuation() -> None:
    assert normalize_text("Last year I cut costs by 15%!") == "last year i cut costs by fifteen percent"
    assert normalize_text("Sure, here is the transcript: Don't STOP.") == "don't stop"
    assert spell_number(0) == "zero" and spell_number(342) == "three hundred forty two"
    assert spell_number(12_005) == "twelve thousand five"


def test_transcription_scores_per_clip_wer_and_has_no_class_label() -> None:
    task = build_task("transcription")
    c = clip("a", "I have managed a team of six engineers.")
    request = task.render(c, AUDIO, "k")
    assert request.prompt.startswith(TRANSCRIBE_INSTRUCTION) and request.choices == ()
    assert task.truth(c) is None  # keeps label-trained attackers away from a value-type task
    exact = task.score(c, request, Response("k", "I have managed a team of 6 engineers"))
    assert (exact.outcome, exact.value) == (Outcome.ANSWER, 0.0)
    one_off = task.score(c, request, Response("k", "I have managed the team of six engineers."))
    assert one_off.value == pytest.approx(1 / 8)
    assert task.score(c, request, Response("k", "")).value == 1.0
    assert task.score(c, request, Response("k", None, error="timeout")).outcome is Outcome.ERROR


def test_transcription_language_filter() -> None:
    task = build_task("transcription language=en")
    assert task.name == "transcription language=en"
    assert task.applies_to(clip("a", "hello there")) and not task.applies_to(clip("b", "ciao", "it"))
    assert not task.applies_to(clip("c", None)) and not task.applies_to(clip("d", " ... "))


def test_language_id_offers_the_corpus_languages_and_parses_names() -> None:
    task = build_task("language-id")
    clips = [clip("a", language="en"), clip("b", language="es"), clip("c", language="it")]
    task.prepare(clips)
    request = task.render(clips[1], AUDIO, "k")
    assert request.prompt.startswith(LANGUAGE_ID_INSTRUCTION) and request.choices == ("en", "es", "it")
    assert task.score(clips[1], request, Response("k", "Spanish")).correct is True
    assert task.score(clips[1], request, Response("k", "it")).correct is False


def test_content_task_reads_a_manifest_label_column() -> None:
    task = build_task("content:intent")
    clips = [clip("a", intent="loan"), clip("b", intent="job"), clip("c")]
    task.prepare(clips)
    assert [task.applies_to(c) for c in clips] == [True, True, False]
    request = task.render(clips[0], AUDIO, "k")
    assert request.choices == ("job", "loan") and "intent" in request.prompt
    assert task.score(clips[0], request, Response("k", "loan")).correct is True
    with pytest.raises(ValueError, match="label column"):
        build_task(parse_spec("content"))


def test_transcript_block_round_trips() -> None:
    prompt = wrap("I need a loan.", "What is the gender of the speaker? Answer with exactly one of: Male, Female.")
    assert extract(prompt) == "I need a loan."
    assert question(prompt).startswith("What is the gender")
    assert extract("no block here") is None


def wer_record(speaker: str, value: float, truth: str) -> SampleRecord:
    fields: dict[str, Any] = dict(
        key=f"{speaker}{truth}", model="m", task="transcription", transform="none", clip_id=truth, repeat=0,
        speaker_id=speaker, labels={}, target=None, prompt="", system=None, audio_note="clip", response="x",
        error=None, outcome="answer", predicted="x", truth=truth, correct=None, value=value, latency_s=0.0,
        cached=False)
    return SampleRecord(**fields)


def test_value_metrics_pool_wer_over_reference_words() -> None:
    records = [wer_record("s1", 0.5, "one two"), wer_record("s2", 0.0, "one two three four five six"),
               wer_record("s3", 1.0, "one two")]
    out = summarize(records)
    assert out["n_scored"] == 3 and "balanced_accuracy" not in out
    assert out["value"]["value"] == pytest.approx(0.5)  # mean of per-clip WER
    assert out["value_pooled"]["value"] == pytest.approx(3 / 10)  # (1 + 0 + 2) errors / 10 words
    assert out["value_pooled"]["status"] == "too_few"  # three speakers: no interval is claimed
    more = [*records, wer_record("s4", 0.5, "a b"), wer_record("s5", 0.0, "a b c d")]
    pooled = summarize(more)["value_pooled"]
    assert pooled["value"] == pytest.approx(4 / 16) and pooled["unit"] == "speaker" and pooled["n_units"] == 5
    assert pooled["low"] <= 0.25 <= pooled["high"]
