"""The cascade: speech recognition, then a text-only model. Composed, not subclassed.

    cascade:whisper-tiny+minilm
    cascade:whisper-base+openai:gpt-4o-mini text.base_url=http://127.0.0.1:8000/v1 asr.language=auto
    cascade:pocketsphinx+gemma-loglik lid=text

The argument is `ASR+TEXT`: a transcriber name (`voiceleak.models.asr`) and any model of the model
registry, split at the first "+". Arguments prefixed `asr.` or `text.` go to that stage. `lid=asr|text`
says who answers spoken-language identification: the recogniser's own language detection (default
when it has one) or the text stage.

The text stage sees ONLY the transcript and the same question (system text, prompt, choices) the
end-to-end model sees: a Request with audio=None and the transcript inserted between markers. The
transcript is recorded in every Response's meta under `types.TRANSCRIPT`. What a request asks for is
its declared `Request.intent`, never its wording: TRANSCRIBE is answered by the recogniser alone, and
LANGUAGE_ID too with lid=asr; every other request goes to the text stage.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from voiceleak.models.asr.base import LanguageDetector, Transcriber, build_transcriber
from voiceleak.models.asr.store import TranscriptStore
from voiceleak.models.base import Architecture, AudioModel, ModelBase, SupervisedModel, build_model
from voiceleak.models.text.transcript import extract, wrap
from voiceleak.spec import SECRET_PREFIX, Spec, SpecError, parse_spec
from voiceleak.types import TRANSCRIPT, Audio, Intent, Request, Response

STAGES = ("asr", "text")


def split_stages(spec: Spec) -> tuple[Spec, Spec]:
    """The recogniser's and the text model's specs, with their prefixed arguments."""
    if not spec.arg or "+" not in spec.arg:
        raise SpecError(f"{spec}: a cascade is named cascade:ASR+TEXT, e.g. cascade:whisper-tiny+minilm")
    asr_text, text_text = spec.arg.split("+", 1)
    parts = []
    for stage, text in zip(STAGES, (asr_text, text_text), strict=True):
        base = parse_spec(text)
        extra = {k.split(".", 1)[1]: v for k, v in spec.params.items() if k.startswith(stage + ".")}
        parts.append(Spec(base.family, base.arg, {**base.params, **extra}))
    return parts[0], parts[1]


class Cascade(ModelBase):
    architecture = Architecture.CASCADE

    def __init__(self, spec: Spec) -> None:
        unknown = [k for k in spec.params if k != "lid" and not k.startswith(("asr.", "text."))]
        if unknown:
            raise SpecError(f"cascade: unknown argument(s) {', '.join(sorted(unknown))} "
                            "(allowed: lid, asr.KEY, text.KEY)")
        asr_spec, text_spec = split_stages(spec)
        # Like every backend's name, without its stages' secrets (text.header.Authorization=...): the name
        # is logged with every sample, the secret stays in the stage that sends it.
        self.name = str(Spec(spec.family, spec.arg, {k: v for k, v in spec.params.items()
                                                     if not k.partition(".")[2].startswith(SECRET_PREFIX)}))
        self.asr: Transcriber = build_transcriber(asr_spec)
        text_model = build_model(text_spec)
        if isinstance(text_model, SupervisedModel) or not isinstance(text_model, AudioModel):
            raise SpecError(f"{spec}: the text stage must answer requests (a chat or text model), "
                            f"not a supervised attacker like {text_spec.family!r}")
        self.text: AudioModel = text_model
        default_lid = "asr" if isinstance(self.asr, LanguageDetector) else "text"
        self.lid = spec.get("lid", default_lid) or default_lid
        if self.lid not in STAGES or (self.lid == "asr" and not isinstance(self.asr, LanguageDetector)):
            raise SpecError(f"{spec}: lid must be 'text' or, with a recogniser that detects languages, 'asr'")
        # Audio goes to the recogniser's host; the text stage receives words only.
        self.remote_host: str | None = self.asr.remote_host
        self.max_batch = max(8, self.text.max_batch)
        self.max_concurrency = self.text.max_concurrency
        self.cacheable = self.text.cacheable  # a seeded guesser as the text stage must not be cached either
        self._transcripts = TranscriptStore(self.asr.identity())
        self._asr_lock = threading.Lock()  # one recognition at a time: it already uses every core

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "cascade", "asr": dict(self.asr.identity()),
                "text": dict(self.text.identity()), "lid": self.lid,
                "text_sees": "transcript + the same system text, prompt and choices; never audio"}

    async def aclose(self) -> None:
        await self.text.aclose()

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        transcripts = await asyncio.to_thread(self._transcribe_all, requests)
        out: dict[str, Response] = {}
        to_text: list[Request] = []
        for request in requests:
            heard = transcripts[request.id]
            if isinstance(heard, Exception):
                reason = f"asr failed: {type(heard).__name__}: {heard}"
                out[request.id] = Response(request.id, None, error=reason)
            elif request.intent is Intent.TRANSCRIBE:
                meta = {TRANSCRIPT: heard, "answered_by": "asr"}
                out[request.id] = Response(request.id, heard, meta=meta)
            elif request.intent is Intent.LANGUAGE_ID and self.lid == "asr":
                out[request.id] = await asyncio.to_thread(self._language, request, heard)
            elif request.audio is None and extract(request.prompt) is not None:
                to_text.append(request)  # already text-only (the text-only control): nothing to wrap again
            else:
                to_text.append(self._text_request(request, heard))
        if to_text:
            out.update(await self._ask_text(to_text, transcripts))
        return [out[r.id] for r in requests]

    @staticmethod
    def _text_request(request: Request, transcript: str) -> Request:
        return request.with_changes(prompt=wrap(transcript, request.prompt), audio=None,
                                    audio_note="transcript", applied=(*request.applied, "cascade:transcript"))

    async def _ask_text(self, requests: Sequence[Request],
                        transcripts: Mapping[str, str | Exception]) -> dict[str, Response]:
        try:
            answers = await self.text.generate(requests)
        except Exception as exc:  # a failing text stage is an error per sample, never an answer
            answers = [Response(r.id, None, error=f"text stage raised {type(exc).__name__}: {exc}")
                       for r in requests]
        out = {}
        for answer in answers:
            meta = {**dict(answer.meta), TRANSCRIPT: transcripts[answer.request_id], "answered_by": "text"}
            error = f"text stage: {answer.error}" if answer.error else None
            out[answer.request_id] = Response(answer.request_id, answer.text, error=error,
                                              latency_s=answer.latency_s, meta=meta)
        return out

    def _language(self, request: Request, transcript: str) -> Response:
        assert request.audio is not None and isinstance(self.asr, LanguageDetector)
        with self._asr_lock:
            code, probability = self.asr.detect_language([request.audio])[0]
        answer = next((c for c in request.choices if c.lower() == code.lower()), code)
        meta = {TRANSCRIPT: transcript, "answered_by": "asr", "language": code,
                "language_probability": round(probability, 4)}
        return Response(request.id, answer, meta=meta)

    def _transcribe_all(self, requests: Sequence[Request]) -> dict[str, str | Exception]:
        """Transcript per request id (empty without audio); failures are kept per clip."""
        out: dict[str, str | Exception] = {}
        missing: dict[str, Audio] = {}
        for request in requests:
            if request.audio is None:
                out[request.id] = ""
                continue
            known = self._transcripts.get(request.audio)
            if known is None:
                missing[request.id] = request.audio
            else:
                out[request.id] = known
        with self._asr_lock:
            for request_id, audio in missing.items():
                repeated = self._transcripts.get(audio)  # same audio twice in a batch (blind controls)
                if repeated is not None:
                    out[request_id] = repeated
                    continue
                try:
                    text = self.asr.transcribe([audio])[0]
                except Exception as exc:  # one bad clip must not sink the batch
                    out[request_id] = exc
                    continue
                self._transcripts.put(audio, text)
                out[request_id] = text
        return out
