"""A speech recogniser as a model: `asr:whisper-tiny`, `asr:whisper-base language=auto`, ...

The argument is any recogniser of the transcriber registry (`voiceleak list` shows them); every other
argument goes to the recogniser. It answers by the request's intent, never by its prompt's words:
- TRANSCRIBE: the transcript (also in meta[TRANSCRIPT], as a cascade records it);
- LANGUAGE_ID: the spoken language, when the recogniser detects languages (multilingual Whisper);
- ANSWER, or a language question to a recogniser that cannot name languages: an error that says so.
A recogniser cannot answer a question about the speaker; its error is recorded, never an answer.

Its answers are cached by the runner's response cache like any model's, and transcripts also go to
the recogniser's TranscriptStore (models.asr.store), which a cascade with the same recogniser shares:
the same audio is transcribed once, whether a defend study or a cascade run heard it first.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from voiceleak.models.asr.base import LanguageDetector, Transcriber, build_transcriber
from voiceleak.models.asr.store import TranscriptStore
from voiceleak.models.base import ModelBase, models
from voiceleak.spec import Spec, SpecError, parse_spec
from voiceleak.types import TRANSCRIPT, Intent, Request, Response

CANNOT_ANSWER = ("a speech recogniser transcribes (and may name the language); it cannot answer a question "
                 "about the speaker: ask an audio language model, or a cascade:ASR+TEXT")


def recogniser_spec(spec: Spec) -> Spec:
    """The transcriber's spec inside `asr:NAME key=value`: NAME with every argument."""
    if not spec.arg:
        raise SpecError(f"{spec}: name the recogniser, e.g. asr:whisper-tiny (see: voiceleak list)")
    inner = parse_spec(spec.arg)
    return Spec(inner.family, inner.arg, {**inner.params, **spec.params})


@models.register("asr", "a speech recogniser as a model (asr:whisper-tiny, asr:whisper-base language=auto): "
                        "transcribes, names the language if it can; errors on any other question")
class RecogniserModel(ModelBase):
    max_batch = 8

    def __init__(self, spec: Spec) -> None:
        self.name = str(spec)
        self.asr: Transcriber = build_transcriber(recogniser_spec(spec))
        self.remote_host: str | None = self.asr.remote_host  # audio goes where the recogniser runs
        self._store = TranscriptStore(self.asr.identity())
        self._lock = threading.Lock()  # one recognition at a time: an engine already uses every core

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "asr", "asr": dict(self.asr.identity()),
                "languages": isinstance(self.asr, LanguageDetector)}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return await asyncio.to_thread(lambda: [self._answer(r) for r in requests])

    def _answer(self, request: Request) -> Response:
        start = time.perf_counter()
        try:
            if request.intent is Intent.TRANSCRIBE:
                text = self.transcript(request)
                response = Response(request.id, text, meta={TRANSCRIPT: text, "answered_by": "asr"})
            elif request.intent is Intent.LANGUAGE_ID and isinstance(self.asr, LanguageDetector):
                response = self._language(request)
            elif request.intent is Intent.LANGUAGE_ID:
                response = Response(request.id, None, error=f"{self.name} cannot identify languages: "
                                    "use a recogniser that detects them (asr:whisper-base)")
            else:
                response = Response(request.id, None, error=f"{self.name}: {CANNOT_ANSWER}")
        except Exception as exc:  # one clip the engine cannot read must not sink the batch
            response = Response(request.id, None, error=f"asr failed: {type(exc).__name__}: {exc}")
        return Response(response.request_id, response.text, response.error, time.perf_counter() - start,
                        response.meta)

    def transcript(self, request: Request) -> str:
        """The transcript of the request's audio (empty without audio), from the store when known."""
        if request.audio is None:
            return ""
        known = self._store.get(request.audio)
        if known is not None:
            return known
        with self._lock:
            text = self.asr.transcribe([request.audio])[0]
        self._store.put(request.audio, text)
        return text

    def _language(self, request: Request) -> Response:
        if request.audio is None:
            return Response(request.id, None, error="no audio: there is no language to identify")
        assert isinstance(self.asr, LanguageDetector)
        with self._lock:
            code, probability = self.asr.detect_language([request.audio])[0]
        answer = next((c for c in request.choices if c.lower() == code.lower()), code)
        meta = {"answered_by": "asr", "language": code, "language_probability": round(probability, 4)}
        return Response(request.id, answer, meta=meta)
