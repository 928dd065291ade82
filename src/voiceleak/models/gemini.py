"""`gemini`: Google's Gemini models through the `google-genai` client.

    gemini:gemini-2.5-flash
    gemini:gemini-2.5-pro max_concurrency=4 rpm=60 thinking_budget=0

Audio goes inline as 16 kHz mono PCM16 WAV while the request stays under `inline_limit_mb` (20 MB, the
API's limit on the whole request, which carries the audio as base64: 4/3 of the WAV's bytes, so about
7.8 minutes of audio at most); a longer clip goes through the Files API and is deleted as soon as the
answer is in (voice is biometric data: nothing is left on the provider's side longer than needed).

Retries: exactly one layer owns them, this backend (the client's own HttpRetryOptions are set to one
attempt). It retries 408, 429, 5xx, timeouts and connection errors, waiting what the server asks
(google.rpc.RetryInfo's retryDelay, or a Retry-After header) and otherwise backing off exponentially
with jitter from `retry_delay` seconds; `max_retries` sets how many times. A per-minute quota 429
asks for up to a minute: the client's own backoff (about 15 s in all) would spend every retry inside
that minute. A server delay over `max_retry_wait` (300 s) is not waited for. The runner never retries.

A request that still fails becomes a Response with `error` set, never an answer. A reply withheld by
Google's safety filters (finish reason SAFETY, PROHIBITED_CONTENT, BLOCKLIST, SPII, RECITATION...; a
blocked prompt) is a block: no text, no error, `meta["blocked"]`, scored as Outcome.BLOCKED. An empty
reply cut by the token budget (MAX_TOKENS, typically spent on thoughts) is an error that says so.

The key comes from `api_key_env` (default GEMINI_API_KEY, then GOOGLE_API_KEY) or a `.env` file
and is removed from every error text. Thinking models spend output tokens on thoughts before the
answer: `thinking_budget=0` turns that off where the model allows it.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import io
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import httpx
from google import genai
from google.genai import errors, types

from voiceleak.audio import to_wav_bytes
from voiceleak.models.base import models
from voiceleak.models.http_common import (
    RateLimiter,
    Redactor,
    describe_failure,
    load_api_key,
    remote_host,
    safe_url,
    unusable_audio,
)
from voiceleak.spec import Spec, SpecError
from voiceleak.types import Request, Response

DEFAULT_KEY_ENVS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
PUBLIC_HOST = "generativelanguage.googleapis.com"
WAV = "audio/wav"
RETRY_CODES = frozenset({408, 429, 500, 502, 503, 504})
#: finish reasons by which Google's filters withhold a reply (a blocked prompt has its own field)
BLOCK_REASONS = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY",
                           "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR"})
OPERATIONAL = frozenset({"max_concurrency", "rpm", "timeout", "max_retries", "retry_delay", "api_key_env",
                         "inline_limit_mb", "max_retry_wait"})
#: JSON around the inline base64 (prompt, config, part headers): generous, the limit is not exact
REQUEST_OVERHEAD = 64 * 1024
BACKOFF_CAP_S = 60.0
T = TypeVar("T")
ANSWERING = frozenset({"base_url", "thinking_budget"})
FILE_POLL_S = 1.0
FILE_WAIT_S = 120.0


@models.register("gemini", "Google Gemini through google-genai; args: base_url, api_key_env, "
                           "max_concurrency, rpm, timeout, max_retries, retry_delay, max_retry_wait, inline_limit_mb, "
                           "thinking_budget")
class GeminiModel:
    accepts_audio = True
    accepts_several_audios = True  # one part per clip (the verify task sends two)
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
        self.inline_limit = int(spec.get_float("inline_limit_mb", 20.0) * 1_000_000)  # MB as Google counts
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
        self.retry_delay = spec.get_float("retry_delay", 1.0)
        self.max_retries = max(0, spec.get_int("max_retries", 4))
        self.max_retry_wait = spec.get_float("max_retry_wait", 300.0)
        # attempts=1: the client never retries (and, with options set, never retries aiohttp errors
        # on its own either); _retrying() owns retries so that the server's delay is honoured
        options = types.HttpOptions(base_url=self.base_url, retry_options=types.HttpRetryOptions(attempts=1),
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

    def fits_inline(self, request: Request, wav: bytes) -> bool:
        """Whether the request, with the audio as base64 inside it, stays under the inline limit."""
        encoded = 4 * ((len(wav) + 2) // 3)
        texts = len(request.prompt.encode()) + len((request.system or "").encode())
        return encoded + texts + REQUEST_OVERHEAD <= self.inline_limit

    async def _ask(self, request: Request) -> Response:
        if (problem := unusable_audio(request)) is not None:
            return Response(request.id, None, error=problem)
        meta: dict[str, Any] = {}
        async with self._slots:
            await self._limiter.wait()
            start = time.perf_counter()
            uploads: list[types.File] = []
            try:
                contents: list[Any] = [request.prompt]
                wavs = [to_wav_bytes(a) for a in request.audios]  # one part per clip, in order
                inline = self.fits_inline(request, b"".join(wavs))
                for wav in wavs:
                    if not inline:
                        uploaded = await self._retrying(functools.partial(self._upload, wav), meta)
                        uploads.append(uploaded)
                        meta["uploaded"] = "files-api"
                        contents.append(types.Part.from_uri(file_uri=uploaded.uri or "", mime_type=WAV))
                    else:
                        contents.append(types.Part.from_bytes(data=wav, mime_type=WAV))
                reply = await self._retrying(lambda: self._client.aio.models.generate_content(
                    model=self.model_id, contents=contents, config=self.config(request)), meta)
                failure = None
            except Exception as exc:  # retried already where it could be; this is the final failure
                failure = describe_failure(exc, self._redact)
            if uploads:
                deleted = [await self._delete(u) for u in uploads]
                meta["deleted"] = deleted[0] if len(deleted) == 1 else deleted
        latency = time.perf_counter() - start
        if failure is not None:
            return Response(request.id, None, error=failure, latency_s=latency, meta=meta)
        return self._read(request, reply, latency, meta)

    async def _retrying(self, call: Callable[[], Awaitable[T]], meta: dict[str, Any]) -> T:
        """`call()`, retried on transient failures: after the delay the server asks for, else after an
        exponential backoff with full jitter. Waits are recorded in meta["retry_waits_s"]."""
        for attempt in range(self.max_retries + 1):
            try:
                return await call()
            except Exception as exc:
                if attempt == self.max_retries or not is_transient(exc):
                    raise
                asked = server_delay(exc)
                if asked is not None and asked > self.max_retry_wait:
                    raise RuntimeError(f"the server asks to wait {asked:g} s before retrying, more than "
                                       f"max_retry_wait={self.max_retry_wait:g} s ({exc})") from exc
                backoff = min(BACKOFF_CAP_S, self.retry_delay * 2 ** attempt) * random.uniform(0.5, 1.0)
                wait = max(asked or 0.0, backoff)
                meta.setdefault("retry_waits_s", []).append(round(wait, 3))
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises

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
        if reply.usage_metadata is not None:
            meta["usage"] = reply.usage_metadata.model_dump(exclude_none=True, mode="json")
        candidate = reply.candidates[0] if reply.candidates else None
        finish = None
        if candidate is not None and candidate.finish_reason is not None:
            finish = str(candidate.finish_reason.value)
            meta["finish_reason"] = finish
        text = _text_of(candidate)
        prompt_block = reply.prompt_feedback.block_reason if reply.prompt_feedback else None
        if prompt_block is not None or finish in BLOCK_REASONS:
            # Withheld by Google's filters: an outcome (scored BLOCKED), never an error or an answer
            meta["blocked"] = f"prompt:{prompt_block.value}" if prompt_block is not None else finish
            if text:
                meta["partial_text"] = text[:500]
            return Response(request.id, None, latency_s=latency, meta=meta)
        if finish == "MAX_TOKENS" and not (text or "").strip():
            reason = (f"empty reply: the token budget ran out before any answer text (finish_reason=MAX_TOKENS, "
                      f"max_tokens={request.decoding.max_tokens}); raise max_tokens or set thinking_budget=0")
            return Response(request.id, None, error=reason, latency_s=latency, meta=meta)
        if text is None:
            reason = f"no text in reply (finish_reason={finish})"
            return Response(request.id, None, error=reason, latency_s=latency, meta=meta)
        return Response(request.id, text, latency_s=latency, meta=meta)


def is_transient(exc: BaseException) -> bool:
    """Worth asking again: 408, 429, 5xx, a timeout or a dropped connection."""
    if isinstance(exc, errors.APIError):
        return exc.code in RETRY_CODES
    transient: tuple[type[BaseException], ...] = (TimeoutError, httpx.TimeoutException, httpx.NetworkError)
    try:
        import aiohttp

        transient += (aiohttp.ClientConnectionError,)
    except ImportError:  # pragma: no cover - aiohttp comes with the openai extra
        pass
    return isinstance(exc, transient)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def server_delay(exc: BaseException) -> float | None:
    """Seconds the server asked to wait: google.rpc.RetryInfo's retryDelay ("37s") in the error body,
    else a Retry-After header (seconds or an HTTP date). None when it said nothing."""
    details = getattr(exc, "details", None)
    error = details.get("error") if isinstance(details, dict) else None
    for item in (error.get("details") if isinstance(error, dict) else None) or []:
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("google.rpc.RetryInfo"):
            found = _DURATION.match(str(item.get("retryDelay", "")))
            if found:
                return float(found.group(1))
    headers = getattr(getattr(exc, "response", None), "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _text_of(candidate: types.Candidate | None) -> str | None:
    """The text parts of the first candidate, without thoughts (reply.text would warn and guess)."""
    if candidate is None or candidate.content is None or not candidate.content.parts:
        return None
    texts = [p.text for p in candidate.content.parts if p.text is not None and not p.thought]
    return "".join(texts) if texts else None
