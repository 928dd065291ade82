"""A local Gemini API (generateContent and the Files API's resumable upload) that hears the audio.

See servers.base for faults. Errors use Google's shape: {"error": {"code", "message", "status"}}.
Gemini's own faults: `quota:SECONDS` (429 RESOURCE_EXHAUSTED whose google.rpc.RetryInfo asks for that
delay, no Retry-After header, as the API sends for per-minute quotas), `safety` (a candidate withheld
with finish reason SAFETY), `prompt_blocked` (promptFeedback.blockReason PROHIBITED_CONTENT, no
candidate) and `max_tokens_empty` (finish reason MAX_TOKENS with no text).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
from typing import Any

from aiohttp import web

from servers.base import BadAudio, Heard, Received, SimServer, hear, lower_keys
from servers.chat_server import same_speaker

STATUS_NAMES = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL"}


class GeminiServer(SimServer):
    def __init__(self, latency: float = 0.0, lifetime_s: float = 300.0) -> None:
        super().__init__(latency, lifetime_s)
        self.files: dict[str, bytes] = {}  # name -> bytes, while not deleted
        self.uploaded: list[str] = []
        self.deleted: list[str] = []
        self._uploads: dict[str, bytearray] = {}
        self._ids = itertools.count(1)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/{version}/models/{call}", self.generate),
            web.post("/upload/{version}/files", self.upload),
            web.delete("/{version}/files/{id}", self.delete),
            web.get("/{version}/files/{id}", self.get_file),
        ]

    def error(self, status: int, message: str) -> web.Response:
        body = {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}
        return web.json_response(body, status=status)

    async def generate(self, request: web.Request) -> web.Response:
        model, _, method = request.match_info["call"].partition(":")
        if method != "generateContent":
            return self.error(404, f"unknown method {method!r}")
        raw = await request.read()
        self.track(+1)
        try:
            fault = await self.admit(model, raw, request.headers.get("x-goog-api-key", ""))
            if fault is not None:
                self.statuses[fault.status] += 1
                return fault
            shaped = self.shaped_fault(model, raw)
            if shaped is not None:
                self.statuses[shaped.status] += 1
                return shaped
            try:
                body = json.loads(raw)
                prompt, heard = self.read_contents(body.get("contents", []))
            except (BadAudio, ValueError, KeyError, TypeError, AttributeError) as exc:
                self.statuses[400] += 1
                return self.error(400, str(exc))
            self.received.append(Received(model, heard, prompt, lower_keys(request.headers), body))
            self.statuses[200] += 1
            text = same_speaker(heard) if model.startswith("verifier") else self.answer_for(model, heard)
            return web.json_response(reply(model, text))
        finally:
            self.track(-1)

    def shaped_fault(self, model: str, raw: bytes) -> web.Response | None:
        """This attempt's Gemini-shaped fault, if the script names one (admit() counted the attempt)."""
        script = self.faults.get(model, [])
        if not script:
            return None
        attempt = self._seen[f"{model}:{hashlib.sha1(raw).hexdigest()}"] - 1
        fault = script[min(attempt, len(script) - 1)]
        if attempt >= len(script) and not fault.endswith("*"):
            return None
        fault = fault.rstrip("*")
        if fault.startswith("quota:"):
            body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                              "message": "You exceeded your current quota (simulated per-minute limit).",
                              "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
                                          {"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                           "retryDelay": f"{fault.split(':', 1)[1]}s"}]}}
            return web.json_response(body, status=429)
        if fault == "safety":
            ratings = [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]
            body = reply(model, "")
            body["candidates"] = [{"finishReason": "SAFETY", "index": 0, "safetyRatings": ratings}]
            return web.json_response(body)
        if fault == "prompt_blocked":
            body = reply(model, "")
            del body["candidates"]
            body["promptFeedback"] = {"blockReason": "PROHIBITED_CONTENT"}
            return web.json_response(body)
        if fault == "max_tokens_empty":
            body = reply(model, "")
            body["candidates"] = [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS", "index": 0}]
            return web.json_response(body)
        return None

    def read_contents(self, contents: list[dict[str, Any]]) -> tuple[str, list[Heard]]:
        """The text and every audio part decoded. Like the real API, field names may be camelCase
        or snake_case (the SDK sends a mix)."""
        texts: list[str] = []
        heard: list[Heard] = []
        for content in contents:
            for part in content.get("parts", []):
                inline, stored = field(part, "inlineData"), field(part, "fileData")
                if "text" in part:
                    texts.append(part["text"])
                elif inline is not None:
                    heard.append(self._hear_blob(field(inline, "mimeType"), field(inline, "data")))
                elif stored is not None:
                    name = "files/" + str(field(stored, "fileUri")).rstrip("/").rsplit("/", 1)[-1]
                    if name not in self.files:
                        raise BadAudio(f"{name} does not exist (deleted or never uploaded)")
                    heard.append(hear(self.files[name]))
                else:
                    raise BadAudio(f"unknown part {sorted(part)}")
        return "\n".join(texts), heard

    @staticmethod
    def _hear_blob(mime: Any, data: Any) -> Heard:
        if mime != "audio/wav":
            raise BadAudio(f"unexpected mime type {mime!r}")
        try:
            # proto JSON carries bytes as base64, standard or URL-safe (the SDK sends URL-safe)
            return hear(base64.b64decode(str(data).replace("-", "+").replace("_", "/"), validate=True))
        except binascii.Error as exc:
            raise BadAudio(f"inline data is not base64 ({exc})") from exc

    # -- Files API: start a resumable upload, receive the bytes, finalize ------------------------
    async def upload(self, request: web.Request) -> web.Response:
        version = request.match_info["version"]
        upload_id = request.query.get("upload_id")
        if upload_id is None:  # start
            if request.headers.get("X-Goog-Upload-Command") != "start":
                return self.error(400, "expected a resumable upload start")
            upload_id = str(next(self._ids))
            self._uploads[upload_id] = bytearray()
            url = f"{self.url}/upload/{version}/files?upload_id={upload_id}"
            return web.json_response({}, headers={"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"})
        self._uploads[upload_id].extend(await request.read())
        if "finalize" not in request.headers.get("X-Goog-Upload-Command", ""):
            return web.json_response({}, headers={"X-Goog-Upload-Status": "active"})
        name = f"files/sim{upload_id}"
        self.files[name] = bytes(self._uploads.pop(upload_id))
        self.uploaded.append(name)
        final = {"X-Goog-Upload-Status": "final"}
        return web.json_response({"file": self._file_json(version, name)}, headers=final)

    async def get_file(self, request: web.Request) -> web.Response:
        name = f"files/{request.match_info['id']}"
        if name not in self.files:
            return self.error(404, f"{name} not found")
        return web.json_response(self._file_json(request.match_info["version"], name))

    async def delete(self, request: web.Request) -> web.Response:
        name = f"files/{request.match_info['id']}"
        if self.files.pop(name, None) is None:
            return self.error(404, f"{name} not found")
        self.deleted.append(name)
        return web.json_response({})

    def _file_json(self, version: str, name: str) -> dict[str, Any]:
        return {"name": name, "uri": f"{self.url}/{version}/{name}", "mimeType": "audio/wav",
                "sizeBytes": str(len(self.files[name])), "state": "ACTIVE"}


def field(obj: dict[str, Any], camel: str) -> Any:
    """obj[camel], or its snake_case spelling."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
    return obj.get(camel, obj.get(snake))


def reply(model: str, text: str) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP",
                        "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": len(text.split())},
        "modelVersion": f"{model}-sim-001", "responseId": "sim-response",
    }
