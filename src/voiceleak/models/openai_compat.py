"""`openai`: any server that speaks OpenAI chat completions, through the official `openai` client.

That is OpenAI itself (gpt-4o-audio-preview, gpt-audio), `vllm serve`, SGLang, DashScope (Qwen-Omni),
OpenRouter and Gemini's compatible endpoint:

    openai:gpt-4o-audio-preview
    openai:Qwen/Qwen2-Audio-7B-Instruct base_url=http://127.0.0.1:8000/v1 max_concurrency=32

Audio goes as an `input_audio` part holding base64 16 kHz mono PCM16 WAV (`audio_part=audio_url`
sends a data URI instead, for servers that want that). The client runs on its aiohttp transport,
which costs less CPU per request at high concurrency (`transport=httpx` for the SDK's default).

Streaming: `stream=true` sends streamed requests and joins the deltas into one reply (usage and finish
reason kept, from the last chunks). It is the default where a provider answers nothing else (DashScope's
Qwen-Omni models); it changes no answer, so it stays out of the model's name.

Outcomes that are not answers: a reply withheld by the provider's filter (finish_reason
content_filter; Azure's 400 content_filter on a filtered prompt; DashScope's data_inspection_failed)
is a block: no text, no error, `meta["blocked"]`, scored as Outcome.BLOCKED and never retried. An empty
reply cut by the token budget (finish_reason length) is an error that says so.

A base_url with user:password@ goes over httpx (which sends it as Basic auth); aiohttp refuses it.

Retries: exactly one layer owns them, the openai client. It retries connection errors, timeouts,
408, 409, 429 and 5xx with exponential backoff (0.5 s doubling to 8 s) and honours the server's
retry-after / retry-after-ms; `max_retries` sets how many times. The runner never retries a request,
so no request is sent twice by two layers and the server's rate limit is respected once. A request
that still fails becomes a Response with `error` set (status code and reason), never an answer.

The API key comes from the environment (`api_key_env`, default OPENAI_API_KEY) or a `.env` file. It
never enters the model's name, identity, a response, an error message or a log: the name keeps only
the arguments that change answers, header values are recorded by name only, and every error text is
passed through a redactor that removes the key and header values.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import openai

from voiceleak.audio import silence
from voiceleak.models.base import models
from voiceleak.models.http_common import (
    AUDIO_PART_STYLES,
    RateLimiter,
    Redactor,
    audio_part,
    chat_messages,
    describe_failure,
    load_api_key,
    needs_audio,
    remote_host,
    safe_url,
    unusable_audio,
)
from voiceleak.spec import Spec, SpecError
from voiceleak.types import Request, Response

DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: arguments that change how requests are sent, not what comes back: kept out of the name, so a run
#: resumes after changing them and the response cache still hits
OPERATIONAL = frozenset({"max_concurrency", "rpm", "timeout", "max_retries", "api_key_env", "transport",
                         "stream"})
ANSWERING = frozenset({"base_url", "audio_part", "requires_audio", "token_field"})
TOKEN_FIELDS = ("max_tokens", "max_completion_tokens")
SILENCE_NOTE = "silence:1s"
CHAT_PATH = "/chat/completions"
#: finish reasons and error codes by which a provider's safety filter withholds a reply: OpenAI and
#: Azure (content_filter, also the code of Azure's 400 on a filtered prompt), DashScope
#: (data_inspection_failed: "Input data may contain inappropriate content")
BLOCK_CODES = frozenset({"content_filter", "data_inspection_failed"})
#: providers that answer only streamed requests for some models (DashScope's Qwen-Omni: "only support
#: stream mode"): host suffix -> model-id fragment
STREAM_ONLY = (("dashscope.aliyuncs.com", "omni"), ("dashscope-intl.aliyuncs.com", "omni"),
               ("dashscope-us.aliyuncs.com", "omni"))


def http_client(transport: str) -> Any:
    """The client's aiohttp transport (the SDK's own option for many concurrent requests: a quarter
    less CPU per request than its default httpx transport), or None for the default."""
    if transport == "httpx":
        return None
    if transport != "aiohttp":
        raise SpecError(f"transport must be aiohttp or httpx, got {transport!r}")
    try:
        return openai.DefaultAioHttpClient()
    except RuntimeError:  # the SDK was installed without its aiohttp extra
        return None


def requires_stream(base_url: str, model_id: str) -> bool:
    """Whether the provider refuses this model's requests unless they stream."""
    host = (urlsplit(base_url).hostname or "").lower()
    model = model_id.lower()
    return any(host.endswith(suffix) and fragment in model for suffix, fragment in STREAM_ONLY)


def split_headers(spec: Spec) -> dict[str, str]:
    """`header.X-Name=value` arguments, as headers to send on every request."""
    return {key.removeprefix("header."): value for key, value in spec.params.items()
            if key.startswith("header.")}


@models.register("openai", "OpenAI-compatible chat completions (OpenAI, vllm serve, SGLang, DashScope, "
                           "OpenRouter); args: base_url, api_key_env, max_concurrency, rpm, timeout, "
                           "max_retries, audio_part=input_audio|audio_url, requires_audio, token_field, stream, "
                           "header.NAME=VALUE")
class OpenAIChatModel:
    accepts_audio = True
    accepts_several_audios = True  # one part per clip (the verify task sends two)
    #: requests per generate() call; they fan out at once under max_concurrency. Batches of 8 spread
    #: the runner's per-batch work (cache transaction, log flush, bookkeeping) over 8 requests: at
    #: concurrency 64 the local benchmark went from 82% to 92% of the ideal throughput.
    max_batch = 8

    def __init__(self, spec: Spec) -> None:
        headers = split_headers(spec)
        spec.check_known(set(OPERATIONAL | ANSWERING) | {f"header.{name}" for name in headers})
        if not spec.arg:
            raise SpecError("openai needs a model id: openai:gpt-4o-audio-preview, openai:MODEL base_url=...")
        self.model_id = spec.arg
        self.base_url = (spec.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.audio_style = spec.get("audio_part", "input_audio") or "input_audio"
        if self.audio_style not in AUDIO_PART_STYLES:
            raise SpecError(f"{spec}: audio_part must be one of {', '.join(AUDIO_PART_STYLES)}")
        self.token_field = spec.get("token_field", "max_tokens") or "max_tokens"
        if self.token_field not in TOKEN_FIELDS:
            raise SpecError(f"{spec}: token_field must be one of {', '.join(TOKEN_FIELDS)}")
        self.requires_audio = spec.get_bool("requires_audio", needs_audio(self.model_id))
        #: streamed requests (deltas aggregated into one reply): the default where the provider
        #: refuses anything else; the answer is the same either way, so it stays out of the name
        self.stream = spec.get_bool("stream", requires_stream(self.base_url, self.model_id))
        self.max_concurrency = max(1, spec.get_int("max_concurrency", 8))
        self.remote_host = remote_host(self.base_url)
        self.header_names = sorted(headers)
        kept = {k: v for k, v in spec.params.items() if k in ANSWERING}
        if "base_url" in kept:
            kept["base_url"] = safe_url(self.base_url)
        self.name = str(Spec("openai", self.model_id, kept))

        env_name = spec.get("api_key_env", "OPENAI_API_KEY") or "OPENAI_API_KEY"
        api_key = load_api_key([env_name])
        if api_key is None:
            if self.remote_host is not None:
                raise ValueError(f"{self.name}: no API key; set {env_name} in the environment or in a .env "
                                 "file (or api_key_env=NAME to read another variable)")
            api_key = "EMPTY"  # local servers (vllm serve, SGLang) accept any key
        self._redact = Redactor([api_key, *headers.values()])
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=self.base_url, default_headers=headers or None,
            timeout=spec.get_float("timeout", 120.0), max_retries=spec.get_int("max_retries", 4),
            http_client=http_client(transport_for(self.base_url, spec.get("transport"))),
        )
        self._slots = asyncio.Semaphore(self.max_concurrency)
        self._limiter = RateLimiter(spec.get_float("rpm", 0.0))

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "family": "openai", "model": self.model_id,
                "base_url": safe_url(self.base_url),
                "audio_part": self.audio_style, "requires_audio": self.requires_audio,
                "token_field": self.token_field, "stream": self.stream, "headers": self.header_names}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return list(await asyncio.gather(*(self._ask(r) for r in requests)))

    async def aclose(self) -> None:
        await self._client.close()

    # -- one request ----------------------------------------------------------------------------
    def payload(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        """The create() arguments, and what the record should say about how they were built."""
        meta: dict[str, Any] = {}
        audio = request.audio
        if audio is None and self.requires_audio:
            # The API would reject the request; silence carries no evidence either, and says so.
            audio = silence(1.0)
            meta["audio_substituted"] = SILENCE_NOTE
        decoding = request.decoding
        messages = chat_messages(request, audio, self.audio_style)
        if request.extra_audio:  # every further clip as its own part, in order, after the first
            messages[-1]["content"][1:1] = [audio_part(a, self.audio_style) for a in request.extra_audio]
        body: dict[str, Any] = {
            "model": self.model_id,
            "messages": messages,
            "temperature": decoding.temperature,
            "top_p": decoding.top_p,
            self.token_field: decoding.max_tokens,
        }
        if decoding.seed is not None:
            body["seed"] = decoding.seed
        if self.stream:
            # include_usage: the last chunk carries the token counts (DashScope and OpenAI alike)
            body.update(stream=True, stream_options={"include_usage": True})
            meta["streamed"] = True
        return body, meta

    async def _ask(self, request: Request) -> Response:
        if (problem := unusable_audio(request)) is not None:
            return Response(request.id, None, error=problem)
        async with self._slots:
            # Encoded once a slot is free: only requests in flight hold their base64, and the first
            # requests go out without waiting for every queued clip to be encoded.
            body, meta = self.payload(request)
            await self._limiter.wait()
            start = time.perf_counter()
            reply: Any
            try:
                # client.post() rather than chat.completions.create(): the body is already in wire
                # format, and create()'s parameter transform walks the ~43 kB of base64 per second of
                # audio recursively (a third of the client's CPU per request); cast_to=object returns
                # the parsed JSON without building pydantic models (another fifth). Retries, timeouts
                # and auth are the client's either way (a stream is retried only before it starts).
                if self.stream:
                    chunks = await self._client.post(CHAT_PATH, cast_to=object, body=body, stream=True,
                                                     stream_cls=openai.AsyncStream[object])
                    reply = await aggregate_stream(chunks)
                else:
                    reply = await self._client.post(CHAT_PATH, cast_to=object, body=body)
            except Exception as exc:  # the client has retried already; this is the final failure
                latency = time.perf_counter() - start
                code = getattr(exc, "code", None)
                if isinstance(exc, openai.APIStatusError) and code in BLOCK_CODES:
                    # the provider's filter refused the prompt (Azure 400 content_filter, DashScope
                    # data_inspection_failed): an outcome, not a failed request
                    meta.update(blocked=str(code), status=exc.status_code)
                    return Response(request.id, None, latency_s=latency, meta=meta)
                return Response(request.id, None, error=describe_failure(exc, self._redact),
                                latency_s=latency, meta=meta)
        return self._read(request, reply, time.perf_counter() - start, meta)

    def _read(self, request: Request, reply: Any, latency: float, meta: dict[str, Any]) -> Response:
        """The answer text; a block (no text, no error, meta["blocked"]); or an error when the body is
        not a usable chat completion or the token budget ran out before any text."""
        choices = reply.get("choices") if isinstance(reply, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            shown = self._redact(repr(reply)[:200])
            return Response(request.id, None, error=f"malformed reply: not a chat completion ({shown})",
                            latency_s=latency, meta=meta)
        meta["served_model"] = reply.get("model")
        if reply.get("system_fingerprint"):
            meta["system_fingerprint"] = reply["system_fingerprint"]
        if isinstance(reply.get("usage"), dict):
            meta["usage"] = reply["usage"]
        choice = choices[0]
        found = choice.get("message")
        message: dict[str, Any] = found if isinstance(found, dict) else {}
        finish = choice.get("finish_reason")
        meta["finish_reason"] = finish
        text = message_text(message.get("content"))
        if finish in BLOCK_CODES:
            # Withheld by the provider's filter (any partial text is not the model's answer)
            if text:
                meta["partial_text"] = text[:500]
            meta["blocked"] = finish
            return Response(request.id, None, latency_s=latency, meta=meta)
        if text is None and message.get("refusal"):
            # OpenAI's structured refusal: the model's own words, so an answer (scored as a refusal).
            text = str(message["refusal"])
            meta["refusal_field"] = True
        if finish == "length" and not (text or "").strip():
            return Response(request.id, None, error=budget_spent(request), latency_s=latency, meta=meta)
        if text is None:
            reason = f"no text in reply (finish_reason={finish})"
            return Response(request.id, None, error=reason, latency_s=latency, meta=meta)
        return Response(request.id, text, latency_s=latency, meta=meta)


def budget_spent(request: Request) -> str:
    """An empty reply cut by the token budget is no answer: the model (often a reasoning model) spent
    every token before writing one. It says nothing about the model's choice to answer or refuse, so
    it is an error (counted, shown, asked again), not an unparseable answer."""
    return (f"empty reply: the token budget ran out before any answer text (finish_reason=length, "
            f"max_tokens={request.decoding.max_tokens}); raise max_tokens or turn reasoning down")


async def aggregate_stream(chunks: AsyncIterable[Any]) -> dict[str, Any]:
    """A streamed chat completion as the one-shot reply it stands for: the content deltas joined, and
    the model, fingerprint, finish reason and usage (the last chunk's, with include_usage)."""
    texts: list[str] = []
    refusals: list[str] = []
    reply: dict[str, Any] = {}
    finish: str | None = None
    async for chunk in chunks:
        if not isinstance(chunk, dict):
            continue
        for key in ("id", "model", "system_fingerprint", "usage"):
            if chunk.get(key):
                reply[key] = chunk[key]
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            piece = message_text(delta.get("content")) if isinstance(delta, dict) else None
            if piece:
                texts.append(piece)
            if isinstance(delta, dict) and isinstance(delta.get("refusal"), str):
                refusals.append(delta["refusal"])
            finish = choice.get("finish_reason") or finish
    if not reply and not texts and finish is None:
        return {"stream": "ended with no chunks"}  # read as malformed
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    if refusals:
        message["refusal"] = "".join(refusals)
    reply["choices"] = [{"index": 0, "message": message, "finish_reason": finish}]
    return reply


def transport_for(base_url: str, chosen: str | None) -> str:
    """aiohttp unless asked otherwise; httpx when the URL carries user:password@, which only httpx
    turns into Basic auth (aiohttp refuses a URL with credentials when a header also authorises)."""
    if chosen:
        return chosen
    return "httpx" if urlsplit(base_url).username else "aiohttp"


def message_text(content: Any) -> str | None:
    """A message's text: a string, or (some servers) a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [str(p["text"]) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "".join(texts) if texts else None
    return None
