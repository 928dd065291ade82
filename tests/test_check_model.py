"""`voiceleak check-model`: passes a model that hears, fails one that does not, refuses text-only ones."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from servers.chat_server import ChatServer
from voiceleak.cli import app, check_model
from voiceleak.types import Request, Response


@pytest.fixture
def server() -> Iterator[ChatServer]:
    chat = ChatServer(lifetime_s=120).start()
    yield chat
    chat.stop()


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["check-model", *args])


def test_a_model_that_hears_passes(server: ChatServer, corpus: Path) -> None:
    result = invoke(f"openai:sim base_url={server.url}/v1", "--corpus", str(corpus))
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "hears the audio" in result.output
    assert len(server.received) == 7  # six clips and one second of silence
    assert sorted(len(r.heard) for r in server.received) == [1] * 7


def test_a_model_that_ignores_the_audio_fails_loudly(server: ChatServer, corpus: Path) -> None:
    result = invoke(f"openai:deaf base_url={server.url}/v1", "--corpus", str(corpus))
    assert result.exit_code == 1
    assert "FAIL" in result.output and "same answer" in result.output


def test_models_that_take_no_audio_are_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Sequence[Request]] = []

    class TextOnly:
        name = "text-only"
        accepts_audio = False

        async def generate(self, requests: Sequence[Request]) -> list[Response]:
            calls.append(requests)
            return []

    monkeypatch.setattr(check_model, "build_model", lambda text: TextOnly())
    result = invoke("text-only")
    assert result.exit_code == 2 and "does not take audio" in result.output and not calls
    supervised = invoke("majority")  # a trained attacker answers no questions
    assert supervised.exit_code == 2 and "does not take audio" in supervised.output


def test_silence_answered_like_speech_fails() -> None:
    speech = ["a", "b", "c", "d"]
    answers = {"a": "a woman says hello", "b": "a man speaking", "c": "a man speaking", "d": "a man speaking",
               "quiet": "A man speaking."}
    verdict = check_model.judge({k: Response(k, v) for k, v in answers.items()}, speech, "quiet")
    assert not verdict.ok and "silence" in verdict.problems[0]
    answers["quiet"] = "There is no speech."
    assert check_model.judge({k: Response(k, v) for k, v in answers.items()}, speech, "quiet").ok


def test_errors_instead_of_answers_fail() -> None:
    responses = {k: Response(k, None, error="HTTP 500") for k in ("a", "b", "quiet")}
    verdict = check_model.judge(responses, ["a", "b"], "quiet")
    assert not verdict.ok and "fewer than 2" in verdict.problems[0]


def test_default_clips_come_from_different_speakers(tmp_path: Path) -> None:
    probes = check_model.default_probes(tmp_path, 6)
    assert len(probes) == 6 and len({p.note.split(",")[0] for p in probes}) >= 3
    assert all(p.audio.sample_rate == 16_000 and p.audio.duration > 0.2 for p in probes)


@pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed")
def test_flite_makes_clips_when_there_is_no_corpus(tmp_path: Path) -> None:
    probes = check_model.flite_probes(tmp_path, 3)
    assert len(probes) == 3 and all(p.audio.duration > 1.0 for p in probes)
    assert len({p.audio.content_hash() for p in probes}) == 3
