"""`asr:NAME`: a speech recogniser as a model. It answers by the request's intent (transcribe, name the
language), turns any other question into an error outcome, and shares its transcripts with a cascade
that uses the same recogniser."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from conftest import ask
from voiceleak.models import build_model
from voiceleak.models.asr import transcribers
from voiceleak.models.asr.model import RecogniserModel
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.spec import Spec, SpecError
from voiceleak.types import Audio, Intent, Request


@transcribers.register("test-words", "test only: a counting recogniser that says how much it heard")
class Words:
    remote_host = None
    calls: ClassVar[list[str]] = []

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"mood"})
        self.name = str(spec)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    def transcribe(self, audios: Sequence[Audio]) -> list[str]:
        Words.calls.extend(a.content_hash() for a in audios)
        return ["hello there" for _ in audios]


@transcribers.register("test-polyglot", "test only: a recogniser that also names the language")
class Polyglot(Words):
    def detect_language(self, audios: Sequence[Audio]) -> list[tuple[str, float]]:
        return [("es", 0.9) for _ in audios]


@pytest.fixture(autouse=True)
def fresh_counts() -> None:
    Words.calls.clear()


def tone(n: int) -> Audio:
    return Audio(np.sin(np.arange(n, dtype=np.float32) / 7), 16_000)


def test_spec_names_any_recogniser_and_passes_it_the_arguments() -> None:
    model = build_model("asr:test-words mood=calm")
    assert isinstance(model, RecogniserModel) and model.name == "asr:test-words mood=calm"
    assert model.identity()["asr"] == {"name": "test-words mood=calm"} and model.remote_host is None
    with pytest.raises(SpecError, match="name the recogniser"):
        build_model("asr")
    with pytest.raises(SpecError):
        build_model("asr:test-words beam=3")  # the recogniser's own argument check


def test_it_transcribes_and_refuses_questions_it_cannot_answer() -> None:
    audio = tone(4000)
    requests = [Request("t", "anything", audio, intent=Intent.TRANSCRIBE),
                Request("q", "Is the speaker male or female?", audio, choices=("male", "female")),
                Request("l", "Which language?", audio, choices=("en", "es"), intent=Intent.LANGUAGE_ID),
                Request("silent", "", None, intent=Intent.TRANSCRIBE)]
    transcript, question, language, silent = ask("asr:test-words", requests)
    assert transcript.ok and transcript.text == "hello there" and transcript.meta["transcript"] == "hello there"
    assert not question.ok and "cannot answer a question about the speaker" in (question.error or "")
    assert not language.ok and "cannot identify languages" in (language.error or "")
    assert silent.ok and silent.text == ""
    assert Words.calls == [audio.content_hash()]  # the second request for the same audio hit the store

    named = ask("asr:test-polyglot", [Request("l", "?", audio, choices=("en", "es"), intent=Intent.LANGUAGE_ID)])
    assert named[0].text == "es" and named[0].meta["language"] == "es"


def test_an_answer_request_is_an_error_outcome_in_the_log(corpus: Path, tmp_path: Path) -> None:
    config = RunConfig(corpus=str(corpus), models=("asr:test-words",), tasks=("attribute:sex",))
    Runner(config, RunOptions(out=tmp_path / "run", quiet=True)).execute()
    records = list(RunLog(tmp_path / "run").records())
    assert len(records) == 24 and {r.outcome for r in records} == {"error"}
    assert all("cannot answer a question about the speaker" in (r.error or "") for r in records)
    assert Words.calls == []  # nothing was transcribed for a question it cannot answer


def test_a_cascade_reuses_the_transcripts_of_the_asr_model() -> None:
    audio = tone(5000)
    ask("asr:test-words", [Request("t", "", audio, intent=Intent.TRANSCRIBE)])
    assert len(Words.calls) == 1
    replies = ask("cascade:test-words+test-first-choice",
                  [Request("q", "Male or female?", audio, choices=("male", "female"))])
    assert replies[0].ok and replies[0].meta["transcript"] == "hello there"
    assert len(Words.calls) == 1  # the same recogniser, the same audio: one transcription in all
