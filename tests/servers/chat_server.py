"""A local OpenAI chat-completions server that hears the audio (see servers.base for the faults).

    python -m servers.chat_server --latency 0.2     # from tests/: prints "PORT <n>", serves until killed
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import time
from typing import Any

from aiohttp import web

from servers.base import BadAudio, Heard, Received, SimServer, hear, lower_keys

AUDIO_ONLY = re.compile(r"^(gpt-4o.*audio.*|gpt-audio.*)$")


class ChatServer(SimServer):
    def __init__(self, latency: float = 0.0, lifetime_s: float = 300.0, hear_audio: bool = True) -> None:
        super().__init__(latency, lifetime_s)
        #: False: answer without parsing or decoding anything (benchmarks measure the client, and on a
        #: small shared machine a server that decodes every clip becomes the bottleneck)
        self.hear_audio = hear_audio

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
        return web.json_response(completion(model, self.answer_for(model, heard)))


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
