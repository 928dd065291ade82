"""A local OpenAI chat-completions server that hears the audio (see servers.base for the faults).

    python -m servers.chat_server --latency 0.2     # from tests/: prints "PORT <n>", serves until killed

Beyond the shared faults: `content_filter` (200, finish_reason content_filter, no text: OpenAI's
output filter), `filtered_prompt` (Azure's 400 with code content_filter), `inspection` (DashScope's
400 data_inspection_failed) and `length_empty` (200, empty text cut by the token budget).
`"stream": true` gets server-sent events (deltas, then a usage chunk, then [DONE]); a model whose
name starts with "streamonly" refuses anything else, as DashScope does for Qwen-Omni.

Words: `server.transcribe(wav, text)` registers what a clip says; models then answer with the words of
the clip they hear ("sim" after its description, "terse..." with nothing else). "deafvaried..." ignores
the audio and words its one guess differently every time; "deaforacle..." ignores the audio and
answers one of the registered transcripts at random (a deaf model that knows the probe sentences).
"verifier..." hears every audio part of the request and says whether the first two are one speaker
(`same_speaker`: pitches within 8%), with a confidence that falls as the pitches part.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import re
import time
from typing import Any

from aiohttp import web

from servers.base import BadAudio, Heard, Received, SimServer, hear, lower_keys

STREAM_ONLY_MESSAGE = "This model only support stream mode, please enable the stream parameter to access the model."
DEAF_WORDINGS = ("A man is speaking.", "It sounds like an adult man talking.", "Someone, probably male, speaks.",
                 "An adult voice says something.", "The speaker seems to be a man.", "A calm male voice.",
                 "I hear a person talking in a neutral tone.", "This is a man's voice, speaking calmly.")

AUDIO_ONLY = re.compile(r"^(gpt-4o.*audio.*|gpt-audio.*)$")


class ChatServer(SimServer):
    def __init__(self, latency: float = 0.0, lifetime_s: float = 300.0, hear_audio: bool = True) -> None:
        super().__init__(latency, lifetime_s)
        #: False: answer without parsing or decoding anything (benchmarks measure the client, and on a
        #: small shared machine a server that decodes every clip becomes the bottleneck)
        self.hear_audio = hear_audio
        self.words: dict[tuple[float, float | None], str] = {}
        self._rng = random.Random(7)

    def transcribe(self, wav: bytes, text: str) -> None:
        """Register what a clip says: the server then recognises it by what it hears."""
        self.words[key_of(hear(wav))] = text

    def answer_for(self, model: str, heard: list[Heard]) -> str:
        if model.startswith("verifier"):
            return same_speaker(heard)
        said = [self.words.get(key_of(h)) for h in heard]
        if model.startswith("deafvaried"):
            return self._rng.choice(DEAF_WORDINGS)
        if model.startswith("deaforacle"):
            return self._rng.choice(sorted(self.words.values()) or ["hello"])
        if model.startswith("terse"):
            return " ".join(re.sub(r"[^\w ]+", "", w).lower() for w in said if w) or "no speech"
        answer = super().answer_for(model, heard)
        words = " ".join(w for w in said if w)
        return f"{answer} The words are: {words}" if words and not model.startswith("deaf") else answer

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/chat/completions", self.completions if self.hear_audio else self.canned)]

    async def canned(self, request: web.Request) -> web.Response:
        await request.read()
        self.track(+1)
        try:
            await asyncio.sleep(self.latency)
            return web.json_response(completion("bench", "Female."))
        finally:
            self.track(-1)

    def error(self, status: int, message: str) -> web.Response:
        kind = "rate_limit_error" if status == 429 else "invalid_request_error"
        return web.json_response({"error": {"message": message, "type": kind, "code": None}}, status=status)

    def refusal(self, model: str) -> web.Response:
        body = completion(model, "")
        body["choices"][0]["message"] = {"role": "assistant", "content": None,
                                         "refusal": "I can't help identify people from their voice."}
        return web.json_response(body)

    async def completions(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.track(+1)
        try:
            return await self._complete(request, raw)
        finally:
            self.track(-1)

    async def _complete(self, request: web.Request, raw: bytes) -> web.Response:
        try:
            body = json.loads(raw)
            model = str(body["model"])
        except (ValueError, KeyError):
            return self.error(400, "body is not a chat completion request")
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        fault = await self.admit(model, raw, key)
        if fault is not None:
            self.statuses[fault.status] += 1
            return fault
        streamed = bool(body.get("stream"))
        if model.startswith("streamonly") and not streamed:
            self.statuses[400] += 1
            return self.error(400, STREAM_ONLY_MESSAGE)
        shaped = self.shaped_fault(model, raw)
        if shaped is not None:
            self.statuses[shaped.get("status", 200)] += 1
            if "status" in shaped:
                return web.json_response({"error": shaped["error"]}, status=shaped["status"])
            return await self.respond(request, shaped, streamed)
        try:
            prompt, heard = read_messages(body["messages"])
        except BadAudio as exc:
            self.statuses[400] += 1
            return self.error(400, str(exc))
        if not heard and AUDIO_ONLY.match(model):
            self.statuses[400] += 1
            return self.error(400, "This model requires that either input content or output modality "
                                   "contain audio.")
        self.received.append(Received(model, heard, prompt, lower_keys(request.headers), body))
        self.statuses[200] += 1
        return await self.respond(request, completion(model, self.answer_for(model, heard)), streamed)

    def shaped_fault(self, model: str, raw: bytes) -> dict[str, Any] | None:
        """Faults with a provider's own shape: a body to send, or {"status", "error"} for an error."""
        script = self.faults.get(model, [])
        shape = script[-1].rstrip("*") if script else ""
        if shape == "content_filter":
            body = completion(model, "")
            body["choices"][0].update(message={"role": "assistant", "content": None}, finish_reason="content_filter")
            return body
        if shape == "length_empty":
            body = completion(model, "")
            body["choices"][0]["finish_reason"] = "length"
            return body
        if shape == "filtered_prompt":
            return {"status": 400, "error": {"message": "The response was filtered due to the prompt triggering "
                                             "Azure OpenAI's content management policy.", "type": None,
                                             "param": "prompt", "code": "content_filter"}}
        if shape == "inspection":
            return {"status": 400, "error": {"message": "Input data may contain inappropriate content.",
                                             "type": "data_inspection_failed", "code": "data_inspection_failed"}}
        return None

    async def respond(self, request: web.Request, body: dict[str, Any], streamed: bool) -> web.StreamResponse:
        if not streamed:
            return web.json_response(body)
        stream = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await stream.prepare(request)
        for chunk in stream_chunks(body):
            await stream.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await stream.write(b"data: [DONE]\n\n")
        await stream.write_eof()
        return stream


def read_messages(messages: list[dict[str, Any]]) -> tuple[str, list[Heard]]:
    """The user's text and every audio part decoded (input_audio or a data-URI audio_url)."""
    texts: list[str] = []
    heard: list[Heard] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content or []:
            kind = part.get("type")
            if kind == "text":
                texts.append(part["text"])
            elif kind == "input_audio":
                if part["input_audio"].get("format") != "wav":
                    raise BadAudio(f"unexpected audio format {part['input_audio'].get('format')!r}")
                heard.append(hear(decode_b64(part["input_audio"]["data"])))
            elif kind == "audio_url":
                url = part["audio_url"]["url"]
                if not url.startswith("data:audio/wav;base64,"):
                    raise BadAudio("audio_url must be a data:audio/wav;base64 URI")
                heard.append(hear(decode_b64(url.split(",", 1)[1])))
            else:
                raise BadAudio(f"unknown content part {kind!r}")
    return "\n".join(texts), heard


def same_speaker(heard: list[Heard]) -> str:
    """A verifier's reply about the first two clips heard: one speaker when their pitches are within 8%."""
    if len(heard) < 2:
        return f"I need two clips to compare; I heard {len(heard)}."
    a, b = heard[0].f0, heard[1].f0
    if a is None or b is None:
        return "I cannot tell: one of the clips is silent."
    gap = abs(a - b) / max(a, b)
    if gap <= 0.08:
        return f"Answer: yes. Confidence: {max(1, 10 - round(gap * 60))}"
    return f"Answer: no. Confidence: {min(10, 5 + round(gap * 10))}"


def decode_b64(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except ValueError as exc:
        raise BadAudio(f"audio data is not base64 ({exc})") from exc


def completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-sim-{time.monotonic_ns()}", "object": "chat.completion", "created": int(time.time()),
        "model": f"{model}-sim-2026-01-01", "system_fingerprint": "fp_sim_42",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split()), "total_tokens": 10},
    }


def stream_chunks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A completion as the chunks a server streams: role, word deltas, the finish, then usage alone."""
    head = {k: body[k] for k in ("id", "created", "model", "system_fingerprint")}
    head["object"] = "chat.completion.chunk"
    choice = body["choices"][0]
    text = choice["message"].get("content") or ""
    pieces = re.findall(r"\S+\s*|\s+", text)
    chunks = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                    "finish_reason": None}]}]
    chunks += [{**head, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]} for p in pieces]
    chunks.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]})
    chunks.append({**head, "choices": [], "usage": body["usage"]})
    return chunks


def key_of(heard: Heard) -> tuple[float, float | None]:
    return round(heard.duration, 3), None if heard.f0 is None else round(heard.f0, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--lifetime", type=float, default=600.0, help="stop after this many seconds")
    parser.add_argument("--canned", action="store_true", help="answer without decoding (benchmarks)")
    args = parser.parse_args()
    server = ChatServer(latency=args.latency, lifetime_s=args.lifetime, hear_audio=not args.canned)
    asyncio.run(server.serve(on_ready=lambda port: print(f"PORT {port}", flush=True)))


if __name__ == "__main__":
    main()
