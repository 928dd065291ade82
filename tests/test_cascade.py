"""The cascade: the text stage sees only the transcript and the same question; transcripts are recorded
and reused; the recogniser answers transcription and (lid=asr) language identification."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from voiceleak.audio import load
from voiceleak.models import build_model, models
from voiceleak.models.asr import transcribers
from voiceleak.models.base import LocalModel
from voiceleak.models.cascade import Cascade
from voiceleak.models.text.transcript import LANGUAGE_ID_INSTRUCTION, TRANSCRIBE_INSTRUCTION, extract, question
from voiceleak.spec import Spec, SpecError
from voiceleak.tasks import build_task
from voiceleak.types import Audio, Clip, Intent, Request, Response


@models.register("test-recorder", "test only: records what the text stage receives, answers the first choice")
class Recorder(LocalModel):
    seen: ClassVar[list[Request]] = []

    def __init__(self, spec: Spec) -> None:
        self.name = str(spec)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        Recorder.seen.extend(requests)
        return [Response(r.id, r.choices[0] if r.choices else "ok") for r in requests]


@transcribers.register("test-asr", "test only: a counting recogniser that detects languages")
class CountingAsr:
    remote_host = None
    calls: ClassVar[list[int]] = []

    def __init__(self, spec: Spec) -> None:
        self.name = str(spec)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    def transcribe(self, audios: Sequence[Audio]) -> list[str]:
        CountingAsr.calls.append(len(audios))
        return [f"{len(a.samples)} samples heard" for a in audios]

    def detect_language(self, audios: Sequence[Audio]) -> list[tuple[str, float]]:
        return [("es", 0.97) for _ in audios]


def tone(n: int) -> Audio:
    return Audio(np.sin(np.arange(n, dtype=np.float32) / 5), 16_000)


def test_spec_syntax_and_stage_arguments() -> None:
    cascade = build_model("cascade:test-asr+test-recorder lid=text")
    assert isinstance(cascade, Cascade) and cascade.name == "cascade:test-asr+test-recorder lid=text"
    assert cascade.identity()["asr"] == {"name": "test-asr"}
    with pytest.raises(SpecError, match="ASR\\+TEXT"):
        build_model("cascade:whisper-tiny")
    with pytest.raises(SpecError, match="supervised"):
        build_model("cascade:test-asr+probe")
    with pytest.raises(SpecError, match="unknown argument"):
        build_model("cascade:test-asr+test-recorder beam=2")


def test_text_stage_sees_only_the_transcript_and_the_same_question() -> None:
    Recorder.seen.clear()
    CountingAsr.calls.clear()
    cascade = build_model("cascade:test-asr+test-recorder")
    task = build_task("attribute:sex")
    clip = Clip("c1", Path("c1.wav"), "s1", labels={"sex": "Female"})
    original = task.render(clip, tone(3200), "k1")
    answers = asyncio.run(cascade.generate([original]))  # type: ignore[union-attr]
    sent = Recorder.seen[0]
    assert sent.audio is None and sent.audio_note == "transcript"
    assert (sent.system, sent.choices, sent.decoding) == (original.system, original.choices, original.decoding)
    assert extract(sent.prompt) == "3200 samples heard" and question(sent.prompt) == original.prompt
    assert answers[0].meta["transcript"] == "3200 samples heard" and answers[0].text == original.choices[0]
    # The same audio under another task is not transcribed again.
    asyncio.run(cascade.generate([build_task("attribute:language").render(clip, tone(3200), "k2")]))  # type: ignore[union-attr]
    assert CountingAsr.calls == [1]


def test_recogniser_answers_transcription_and_language_id() -> None:
    Recorder.seen.clear()
    cascade = build_model("cascade:test-asr+test-recorder")
    transcription = build_task("transcription").render(Clip("t", Path("t.wav")), tone(800), "t")
    lid_task = build_task("language-id")
    lid_task.prepare([Clip("a", Path("a.wav"), labels={"language": "en"}),
                      Clip("b", Path("b.wav"), labels={"language": "es"})])
    lid = lid_task.render(Clip("b", Path("b.wav")), tone(800), "l")
    out = asyncio.run(cascade.generate([transcription, lid]))  # type: ignore[union-attr]
    assert out[0].text == "800 samples heard" and out[0].meta["answered_by"] == "asr"
    assert out[1].text == "es" and out[1].meta["language_probability"] == 0.97
    assert Recorder.seen == []  # neither reached the text stage
    by_text = build_model("cascade:test-asr+test-recorder lid=text")
    assert asyncio.run(by_text.generate([lid]))[0].meta["answered_by"] == "text"  # type: ignore[union-attr]


def test_the_declared_intent_decides_never_the_prompt_words() -> None:
    """A TRANSCRIBE request is transcribed whatever its prompt says; an ANSWER request goes to the text
    stage even when its prompt starts with the words transcription prompts use."""
    Recorder.seen.clear()
    cascade = build_model("cascade:test-asr+test-recorder")
    plain = Request("t", "Write down what you hear.", tone(640), intent=Intent.TRANSCRIBE)
    lookalike = Request("a", f"{TRANSCRIBE_INSTRUCTION} Then say: is the speaker Male or Female?", tone(640),
                        choices=("Male", "Female"))
    language = Request("l", f"{LANGUAGE_ID_INSTRUCTION} Which one?", tone(640), choices=("en", "es"))
    out = asyncio.run(cascade.generate([plain, lookalike, language]))  # type: ignore[union-attr]
    assert out[0].text == "640 samples heard" and out[0].meta["answered_by"] == "asr"
    assert out[1].text == "Male" and out[1].meta["answered_by"] == "text"
    assert out[2].meta["answered_by"] == "text"  # an ANSWER request: the recogniser's language ID is not asked
    assert [question(r.prompt) for r in Recorder.seen] == [lookalike.prompt, language.prompt]


def test_utility_tasks_declare_their_intent() -> None:
    clip = Clip("b", Path("b.wav"), labels={"language": "es"})
    lid_task = build_task("language-id")
    lid_task.prepare([clip])
    assert build_task("transcription").render(clip, tone(80), "t").intent is Intent.TRANSCRIBE
    assert lid_task.render(clip, tone(80), "l").intent is Intent.LANGUAGE_ID
    assert build_task("attribute:language").render(clip, tone(80), "a").intent is Intent.ANSWER


def test_no_audio_means_an_empty_transcript_not_an_error() -> None:
    cascade = build_model("cascade:test-asr+test-recorder")
    request = Request("n", "What is the gender of the speaker?", None, choices=("Male", "Female"))
    out = asyncio.run(cascade.generate([request]))  # type: ignore[union-attr]
    assert out[0].ok and out[0].meta["transcript"] == ""


def test_text_only_control_reaches_the_text_stage_unwrapped() -> None:
    """The text-only transform already put the manifest transcript in the prompt: the cascade must not
    wrap an empty transcript around it (the text stage would read the empty one)."""
    from voiceleak.transforms import build_transform
    from voiceleak.transforms.base import TransformContext

    Recorder.seen.clear()
    clip = Clip("c1", Path("c1.wav"), "s1", labels={"sex": "Female"}, text="I have managed a team for years")
    request = build_task("attribute:sex").render(clip, tone(800), "k")
    text_only = build_transform("text-only")(request, TransformContext(clip, lambda _: None))
    asyncio.run(build_model("cascade:test-asr+test-recorder").generate([text_only]))  # type: ignore[union-attr]
    assert extract(Recorder.seen[0].prompt) == "I have managed a team for years"
    assert Recorder.seen[0].prompt.count("TRANSCRIPT>>>") == 1


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed")
def test_offline_whisper_cascade_on_generated_speech(tmp_path: Path) -> None:
    wav = tmp_path / "x.wav"
    subprocess.run(["flite", "-voice", "slt", "-t", "I want to open a savings account for my bakery.", "-o", str(wav)],
                   check=True)
    clip = Clip("x", wav, "slt", text="I want to open a savings account for my bakery.")
    audio = load(wav)
    cascade = build_model("cascade:whisper-tiny+minilm")
    task = build_task("transcription")
    request = task.render(clip, audio, "x")
    response = asyncio.run(cascade.generate([request]))[0]  # type: ignore[union-attr]
    assert task.score(clip, request, response).value == 0.0, response.text
    content = build_task("content:topic")
    content.prepare([Clip("x", wav, raw_labels={"topic": "banking"}), Clip("y", wav, raw_labels={"topic": "weather"})])
    answer = asyncio.run(cascade.generate([content.render(clip, audio, "y")]))[0]  # type: ignore[union-attr]
    assert answer.text == "banking" and "bakery" in answer.meta["transcript"].lower()
