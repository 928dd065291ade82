"""What every hosted-API backend shares: keys, hosts, a rate limiter, redaction, the audio parts.

Nothing here imports a vendor client, so the vLLM backend (and tests) can build chat messages
without the `openai` package.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import os
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from voiceleak.audio import to_wav_bytes
from voiceleak.types import Audio, Request

REDACTED = "[REDACTED]"
AUDIO_PART_STYLES = ("input_audio", "audio_url")

_dotenv_loaded = False


def load_api_key(env_names: Sequence[str]) -> str | None:
    """The first of `env_names` that is set, after reading a `.env` file (which never overrides the
    environment: a key exported in the shell wins over one in a file)."""
    global _dotenv_loaded
    if not _dotenv_loaded:
        from dotenv import find_dotenv, load_dotenv

        load_dotenv(find_dotenv(usecwd=True), override=False)
        _dotenv_loaded = True
    for name in env_names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def remote_host(url: str) -> str | None:
    """The host audio is sent to, or None when it stays on this machine (loopback)."""
    host = urlsplit(url).hostname
    return None if is_loopback(host) else host


def safe_url(url: str) -> str:
    """The URL without user:password@ or a query string, either of which may carry a secret."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


#: every secret a Redactor was built with in this process: the runner removes them from anything a
#: server sends back (an echoed key) before it reaches the response cache or the run log
_KNOWN_SECRETS: set[str] = set()
AUTH_SCHEMES = ("bearer", "basic", "token", "apikey", "api-key", "key")


def secret_forms(secrets: Iterable[str | None]) -> list[str]:
    """The values to remove, longest first: each secret, and the token of an `Authorization: Bearer X`
    style value (a server echoes the token, not the scheme). Short values would redact ordinary
    words; real keys are long."""
    found: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        scheme, _, token = secret.strip().partition(" ")
        forms = [secret.strip()]
        if scheme.lower() in AUTH_SCHEMES:
            forms.append(token.strip())
        for form in forms:
            if len(form) >= 6:
                found.add(form)
    return sorted(found, key=len, reverse=True)


class Redactor:
    """Removes secrets (API keys, header values) from any text that may reach a log or a record."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self._secrets = secret_forms(secrets)
        _KNOWN_SECRETS.update(self._secrets)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def has_secrets() -> bool:
    return bool(_KNOWN_SECRETS)


def redact_secrets(text: str) -> str:
    """`text` without any secret a backend of this process was configured with."""
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RateLimiter:
    """At most `per_minute` starts per minute, spaced evenly (no bursts); None or 0 means unlimited.

    Applies to first attempts: the vendor client's own retries wait on the server's retry-after.
    """

    def __init__(self, per_minute: float | None) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


def unusable_audio(request: Request) -> str | None:
    """Why a request's audio cannot be sent, or None. NaN or infinite samples would reach a model as
    arbitrary PCM values or silence and come back as an answer about nothing: an error instead."""
    for audio in request.audios:
        if not np.isfinite(audio.samples).all():
            return "the audio holds non-finite samples (NaN or infinity); nothing was sent to the model"
    return None


def audio_part(audio: Audio, style: str = "input_audio") -> dict[str, Any]:
    """An OpenAI-style content part holding 16 kHz mono PCM16 WAV, base64 (no data: prefix for
    input_audio; a data URI for audio_url, which vLLM and some gateways prefer)."""
    data = base64.b64encode(to_wav_bytes(audio)).decode("ascii")
    if style == "input_audio":
        return {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}}
    if style == "audio_url":
        return {"type": "audio_url", "audio_url": {"url": f"data:audio/wav;base64,{data}"}}
    raise ValueError(f"audio_part must be one of {', '.join(AUDIO_PART_STYLES)}, got {style!r}")


def chat_messages(request: Request, audio: Audio | None, style: str = "input_audio") -> list[dict[str, Any]]:
    """Chat-completions messages for one request. The audio comes before the question, the order
    audio LLMs were tuned on ("Audio 1: ... <question>"); OpenAI's models accept either order."""
    content: list[dict[str, Any]] = []
    if audio is not None:
        content.append(audio_part(audio, style))
    content.append({"type": "text", "text": request.prompt})
    messages: list[dict[str, Any]] = []
    if request.system:
        messages.append({"role": "system", "content": request.system})
    messages.append({"role": "user", "content": content})
    return messages


_AUDIO_ONLY_IDS = re.compile(r"^(gpt-4o.*audio.*|gpt-audio.*)$", re.IGNORECASE)


def needs_audio(model_id: str) -> bool:
    """OpenAI's audio chat models refuse a request with no audio in it ("requires that either input
    content or output modality contain audio"); gateways prefix ids (openai/gpt-audio)."""
    return bool(_AUDIO_ONLY_IDS.match(model_id.rsplit("/", 1)[-1]))


MAX_REASON = 500


def connection_failure(exc: BaseException) -> str | None:
    """What really happened under a client's generic "connection error" or "timed out": refused,
    reset, closed without a reply, name not resolved... or None when nothing says."""
    import socket
    import ssl

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        text = str(current).lower()
        if isinstance(current, ConnectionRefusedError) or ("connect" in name.lower() and "refused" in text):
            return "connection refused (is the server running, on this host and port?)"
        if isinstance(current, ConnectionResetError) or "reset by peer" in text:
            return "connection reset by the server"
        if name in {"ServerDisconnectedError", "RemoteProtocolError"} or ("closed" in text and "connection" in text):
            return "the server closed the connection without a reply"
        if isinstance(current, socket.gaierror) or "Name or service not known" in str(current):
            return "host name not resolved"
        if isinstance(current, ssl.SSLError):
            return f"TLS failure ({current})"
        current = current.__cause__ or current.__context__
    return None


_UNREACHABLE = re.compile(r"connection refused|connection reset|closed the connection|not resolved|"
                          r"APIConnectionError|APITimeoutError|timed out|deadline", re.IGNORECASE)


def is_unreachable(reason: str | None) -> bool:
    """Whether a failed request's reason says the server could not be reached or never answered
    (rather than answered with an error status): the sign of a backend that is down."""
    return bool(reason) and not str(reason).startswith("HTTP ") and bool(_UNREACHABLE.search(str(reason)))


def describe_failure(exc: BaseException, redact: Redactor) -> str:
    """A one-line reason for a failed request, with secrets removed (before the text is cut, so no
    piece of a key survives the cut), naming a refused or reset connection as such."""
    status = getattr(exc, "status_code", None) or getattr(exc, "code", None)
    text = redact(str(exc).strip().replace("\n", " "))
    head = f"HTTP {status}: " if isinstance(status, int) else ""
    reason = f"{head}{type(exc).__name__}: {text}"
    real = None if isinstance(status, int) else connection_failure(exc)
    if real is not None:  # the client's own words ("Request timed out") can hide a refused connection
        reason = f"{real} [the client reported {type(exc).__name__}: {text}]"
    reason = redact(reason)
    if len(reason) > MAX_REASON:
        reason = reason[:MAX_REASON] + "..."
    return reason
