"""Contracts over every registered speech recogniser (see tests/test_contracts.py for the five contracts).

A recogniser is used as a model (`asr:NAME`, and the first stage of `cascade:NAME+TEXT`): its errors
and transcripts reach the log through that model, so that is where the error and log contracts look.
The packaged recognisers (Whisper, PocketSphinx) load real weights and hallucinate at length on the
synthetic clips, so their cases are marked slow; the tiny random-weight CTC checkpoint and the local
transcription server keep the fast run covering the protocol.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from servers.base import SimServer, hear
from test_contracts import (
    ERROR,
    SECRET,
    assert_round_trips,
    audio_of,
    bad_audios,
    build_tiny_ctc,
    check_description,
    contract_for,
    plugin_names,
    run_cell,
    write_clips,
)
from voiceleak.models.asr import Transcriber, build_transcriber
from voiceleak.models.base import build_model
from voiceleak.spec import SpecError, parse_spec
from voiceleak.tasks.base import build_task
from voiceleak.transforms.base import build_transform
from voiceleak.types import Audio, Clip, Intent, Request


class TranscriptionServer(SimServer):
    """OpenAI's /audio/transcriptions: says what it heard, so a transcript proves the audio arrived."""

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/audio/transcriptions", self.transcribe)]

    async def transcribe(self, request: web.Request) -> web.Response:
        form = await request.post()
        model, upload = str(form.get("model", "")), form.get("file")
        wav = upload.file.read() if isinstance(upload, web.FileField) else b""
        fault = await self.admit(model, wav)
        if fault is not None:
            return fault
        heard = hear(wav)
        return web.json_response({"text": f"i hear {heard.duration:.1f} seconds"})


@dataclass(frozen=True)
class Env:
    server: str  # base URL of the transcription server
    ctc: Path


@dataclass(frozen=True)
class RecogniserCase:
    spec: Callable[[Env], str]
    #: a spec whose server fails every request (None: the recogniser runs here and has no server)
    down: Callable[[Env], str] | None = None
    slow: bool = False  # loads packaged weights (seconds) and decodes at length


RECOGNISER_SPECS: dict[str, RecogniserCase] = {
    "openai-asr": RecogniserCase(lambda e: f"openai-asr:whisper-1 base_url={e.server}",
                                 down=lambda e: f"openai-asr:down base_url={e.server}"),
    "transformers-asr": RecogniserCase(lambda e: f"transformers-asr:{e.ctc}"),
    "whisper-tiny": RecogniserCase(lambda e: "whisper-tiny", slow=True),
    "whisper-base": RecogniserCase(lambda e: "whisper-base", slow=True),
    "pocketsphinx": RecogniserCase(lambda e: "pocketsphinx", slow=True),
}
WHERE = "RECOGNISER_SPECS in tests/test_contracts_recognisers.py"
NAMES = [pytest.param(n, marks=pytest.mark.slow) if n in RECOGNISER_SPECS and RECOGNISER_SPECS[n].slow else n
         for n in plugin_names("recogniser")]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    server = TranscriptionServer(lifetime_s=3600).start()
    server.faults["down"] = ["500*"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_API_KEY", SECRET)
        yield Env(f"{server.url}/v1", build_tiny_ctc(tmp_path_factory.mktemp("ctc")))
    server.stop()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Clip]:
    return write_clips(tmp_path_factory.mktemp("recogniser-clips"))[:4]


def case_of(name: str) -> RecogniserCase:
    return contract_for(RECOGNISER_SPECS, "recogniser", name, WHERE)


_BUILT: dict[str, Any] = {}


def built(name: str, env: Env) -> Any:
    spec = case_of(name).spec(env)
    if spec not in _BUILT:
        _BUILT[spec] = build_transcriber(spec)
    return _BUILT[spec]


def transcription_requests(audios: Sequence[Audio]) -> list[Request]:
    return [Request(f"t{i}", "Transcribe the speech.", a, intent=Intent.TRANSCRIBE) for i, a in enumerate(audios)]


@pytest.mark.parametrize("name", NAMES)
def test_builds_from_its_spec_and_describes_itself(name: str, env: Env) -> None:
    recogniser = built(name, env)
    assert isinstance(recogniser, Transcriber), f"{name}: not a Transcriber"
    check_description(recogniser.identity(), recogniser.name, name)
    assert parse_spec(recogniser.name).family == name
    with pytest.raises(ValueError):  # SpecError is one: a misspelt argument is refused, never ignored
        build_transcriber(f"{case_of(name).spec(env)} misspelt_contract_argument=1")


@pytest.mark.parametrize("name", NAMES)
def test_never_mutates_its_input(name: str, env: Env, clips: list[Clip]) -> None:
    audios = [audio_of(c) for c in clips[:2]]
    before = [a.samples.copy() for a in audios]
    texts = built(name, env).transcribe(audios)
    assert len(texts) == len(audios) and all(isinstance(t, str) for t in texts), f"{name}: {texts}"
    for audio, samples in zip(audios, before, strict=True):
        assert audio.sample_rate == 16_000 and (audio.samples == samples).all(), f"{name} changed its input"


@pytest.mark.parametrize("name", NAMES)
def test_bad_audio_is_an_error_response_never_an_exception(name: str, env: Env) -> None:
    """The recogniser may raise on audio it cannot read (its protocol says so); as a model it turns that
    into an error response for that clip alone."""
    model = build_model(f"asr:{case_of(name).spec(env)}")
    requests = transcription_requests(list(bad_audios().values()))
    answers = asyncio.run(model.generate(requests))  # type: ignore[union-attr]
    assert [r.request_id for r in answers] == [r.id for r in requests], f"{name}: not one response per request"
    assert all(r.ok or (r.text is None and r.error) for r in answers), f"{name}: {answers}"


@pytest.mark.parametrize("name", NAMES)
def test_a_failure_is_an_error_outcome(name: str, env: Env, clips: list[Clip], tmp_path: Path) -> None:
    case = case_of(name)
    if case.down is None:
        # nothing to take down: a recogniser asked a question about the speaker is the error it can give
        spec, task = f"asr:{case.spec(env)}", "attribute:sex"
    else:
        spec, task = f"asr:{case.down(env)}", "transcription"
    model = build_model(spec)
    records = run_cell(model, model.name, build_task(task), task, build_transform("none"), "none", clips)
    assert {r.outcome for r in records} == {ERROR}, f"{name}: {[r.outcome for r in records]}"
    assert all(SECRET not in r.to_json() for r in records), f"{name}: a secret reached the log"
    assert_round_trips(records, tmp_path / "run")


@pytest.mark.parametrize("name", NAMES)
def test_its_transcripts_round_trip_through_the_log(name: str, env: Env, clips: list[Clip], tmp_path: Path) -> None:
    model = build_model(f"asr:{case_of(name).spec(env)}")
    records = run_cell(model, model.name, build_task("transcription"), "transcription", build_transform("none"),
                       "none", clips)
    assert ERROR not in {r.outcome for r in records}, [r.error for r in records if r.error][:3]
    assert all(r.response is not None for r in records)
    assert_round_trips(records, tmp_path / "run")


def test_a_misspelt_argument_is_a_spec_error() -> None:
    with pytest.raises(SpecError):
        build_transcriber("openai-asr:whisper-1 base_ulr=http://127.0.0.1:9/v1")
