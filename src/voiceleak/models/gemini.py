"""`gemini`: Google's Gemini models through the `google-genai` client.

    gemini:gemini-2.5-flash
    gemini:gemini-2.5-pro max_concurrency=4 rpm=60 thinking_budget=0

Audio up to `inline_limit_mb` (20 MB, the API's inline limit) goes inline as 16 kHz mono PCM16
WAV; a larger clip goes through the Files API and is deleted as soon as the answer is in (voice is
biometric data: nothing is left on the provider's side longer than the request needs).

Retries: exactly one layer owns them, the client's HttpRetryOptions (408, 429, 5xx and connection
errors, exponential backoff with jitter from `retry_delay` seconds); `max_retries` sets how many.
The runner never retries. A request that still fails becomes a Response with `error` set, never an
answer; so does a reply with no text (a safety block, for example), with its finish reason.

The key comes from `api_key_env` (default GEMINI_API_KEY, then GOOGLE_API_KEY) or a `.env` file
and is removed from every error text. Thinking models spend output tokens on thoughts before the
answer: `thinking_budget=0` turns that off where the model allows it.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Mapping, Sequence
from typing import Any

from google import genai
from google.genai import types

from voiceleak.audio import to_wav_bytes
from voiceleak.models.base import models
from voiceleak.models.http_common import (
    RateLimiter,
    Redactor,
    describe_failure,
    load_api_key,
    remote_host,
    safe_url,
)
from voiceleak.spec import Spec, SpecError
from voiceleak.types import Request, Response

DEFAULT_KEY_ENVS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
PUBLIC_HOST = "generativelanguage.googleapis.com"
WAV = "audio/wav"
RETRY_CODES = [408, 429, 500, 502, 503, 504]
OPERATIONAL = frozenset({"max_concurrency", "rpm", "timeout", "max_retries", "retry_delay", "api_key_env",
                         "inline_limit_mb"})
ANSWERING = frozenset({"base_url", "thinking_budget"})
FILE_POLL_S = 1.0
FILE_WAIT_S = 120.0


@models.register("gemini", "Google Gemini through google-genai; args: base_url, api_key_env, "
                           "max_concurrency, rpm, timeout, max_retries, retry_delay, inline_limit_mb, "
                           "thinking_budget")
class GeminiModel:
    accepts_audio = True
    #: requests per generate() call, fanned out at once under max_concurrency (see openai_compat)
    max_batch = 8

    def __init__(self, spec: Spec) -> None:
        spec.check_known(set(OPERATIONAL | ANSWERING))
        if not spec.arg:
            raise SpecError("gemini needs a model id: gemini:gemini-2.5-flash")
        self.model_id = spec.arg
        self.base_url = spec.get("base_url")
        self.remote_host = remote_host(self.base_url) if self.base_url else PUBLIC_HOST
        self.max_concurrency = max(1, spec.get_int("max_concurrency", 8))
        self.inline_limit = int(spec.get_float("inline_limit_mb", 20.0) * 1024 * 1024)
        budget = spec.get("thinking_budget")
        self.thinking_budget = None if budget is None else spec.get_int("thinking_budget", 0)
        kept = {k: v for k, v in spec.params.items() if k in ANSWERING}
        if self.base_url:
            kept["base_url"] = safe_url(self.base_url)
        self.name = str(Spec("gemini", self.model_id, kept))

        env = spec.get("api_key_env")
        envs = (env,) if env else DEFAULT_KEY_ENVS
        api_key = load_api_key(envs)
        if api_key is None:
            raise ValueError(f"{self.name}: no API key; set {' or '.join(envs)} in the environment or a "
                             ".env file")
        self._redact = Redactor([api_key])
        delay = spec.get_float("retry_delay", 1.0)
        retry = types.HttpRetryOptions(attempts=spec.get_int("max_retries", 4) + 1, initial_delay=delay,
                                       jitter=delay, max_delay=30.0, http_status_codes=RETRY_CODES)
        options = types.HttpOptions(base_url=self.base_url, retry_options=retry,
                                    timeout=int(spec.get_float("timeout", 120.0) * 1000))
        self._client = genai.Client(api_key=api_key, vertexai=False, http_options=options)
        self._slots = asyncio.Semaphore(self.max_concurrency)
        self._limiter = RateLimiter(spec.get_float("rpm", 0.0))

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "family": "gemini", "model": self.model_id,
                "base_url": safe_url(self.base_url) if self.base_url else None,
                "thinking_budget": self.thinking_budget}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return list(await asyncio.gather(*(self._ask(r) for r in requests)))

    async def aclose(self) -> None:
        await self._client.aio.aclose()

    # -- one request ----------------------------------------------------------------------------
    def config(self, request: Request) -> types.GenerateContentConfig:
        decoding = request.decoding
        thinking = None
        if self.thinking_budget is not None:
            thinking = types.ThinkingConfig(thinking_budget=self.thinking_budget)
        return types.GenerateContentConfig(
            temperature=decoding.temperature, top_p=decoding.top_p, max_output_tokens=decoding.max_tokens,
            seed=decoding.seed, system_instruction=request.system, thinking_config=thinking,
        )

    async def _ask(self, request: Request) -> Response:
        meta: dict[str, Any] = {}
        async with self._slots:
            await self._limiter.wait()
            start = time.perf_counter()
            uploaded: types.File | None = None
            try:
                contents: list[Any] = [request.prompt]
                if request.audio is not None:
                    wav = to_wav_bytes(request.audio)
                    if len(wav) > self.inline_limit:
                        uploaded = await self._upload(wav)
                        meta["uploaded"] = "files-api"
                        contents.append(types.Part.from_uri(file_uri=uploaded.uri or "", mime_type=WAV))
                    else:
                        contents.append(types.Part.from_bytes(data=wav, mime_type=WAV))
                reply = await self._client.aio.models.generate_content(
                    model=self.model_id, contents=contents, config=self.config(request))
                failure = None
            except Exception as exc:  # the client has retried already; this is the final failure
                failure = describe_failure(exc, self._redact)
            if uploaded is not None:
                meta["deleted"] = await self._delete(uploaded)
        latency = time.perf_counter() - start
        if failure is not None:
            return Response(request.id, None, error=failure, latency_s=latency, meta=meta)
        return self._read(request, reply, latency, meta)

    async def _upload(self, wav: bytes) -> types.File:
        """Upload through the Files API and wait until the file can be used."""
        uploaded = await self._client.aio.files.upload(
            file=io.BytesIO(wav), config=types.UploadFileConfig(mime_type=WAV))
        waited = 0.0
        while uploaded.state == types.FileState.PROCESSING and waited < FILE_WAIT_S:
            await asyncio.sleep(FILE_POLL_S)
            waited += FILE_POLL_S
            uploaded = await self._client.aio.files.get(name=uploaded.name or "")
        if uploaded.state == types.FileState.FAILED or not uploaded.uri:
            raise RuntimeError(f"Files API upload did not become usable (state {uploaded.state})")
        return uploaded

    async def _delete(self, uploaded: types.File) -> bool:
        try:
            await self._client.aio.files.delete(name=uploaded.name or "")
        except Exception:
            return False  # the provider deletes it after 48 h anyway; the record says it lingered
        return True

    def _read(self, request: Request, reply: types.GenerateContentResponse, latency: float,
              meta: dict[str, Any]) -> Response:
        if reply.model_version:
            meta["served_model"] = reply.model_version
        if reply.response_id:
            meta["response_id"] = reply.response_id
        candidate = reply.candidates[0] if reply.candidates else None
        if candidate is not None and candidate.finish_reason is not None:
            meta["finish_reason"] = str(candidate.finish_reason.value)
        text = _text_of(candidate)
        if text is None:
            blocked = reply.prompt_feedback.block_reason if reply.prompt_feedback else None
            reason = f"prompt blocked: {blocked.value}" if blocked else \
                f"no text in reply (finish_reason={meta.get('finish_reason')})"
            return Response(request.id, None, error=reason, latency_s=latency, meta=meta)
        return Response(request.id, text, latency_s=latency, meta=meta)


def _text_of(candidate: types.Candidate | None) -> str | None:
    """The text parts of the first candidate, without thoughts (reply.text would warn and guess)."""
    if candidate is None or candidate.content is None or not candidate.content.parts:
        return None
    texts = [p.text for p in candidate.content.parts if p.text is not None and not p.thought]
    return "".join(texts) if texts else None
