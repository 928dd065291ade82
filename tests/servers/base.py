"""What the simulated API servers share: hearing the audio, scripted faults, a bounded lifetime.

A server answers from the audio it decodes (pitch -> "Female"/"Male", plus the duration), so an
answer proves the audio arrived intact. It runs aiohttp on 127.0.0.1 at a random port, in a
background thread (tests) or in its own process (`python -m servers.chat_server`, benchmarks), and
stops itself after `lifetime_s` even if nobody stops it.

Faults are scripted per model name: `server.faults["m"] = ["429", "ok"]` makes the first attempt of
each distinct request body for model "m" get a 429 and the next succeed (a retry resends the same
body, so the script advances per retry). A fault ending in "*" repeats forever ("500*"). Faults:
ok, 429 (with retry-after), 500, 400, 401 (echoes the caller's key in the message, as careless
servers do), slow:SECONDS, malformed (200 with a non-JSON body), empty (200 with a JSON body that is
not a reply), refusal (200: the API's structured refusal, no text), 503 (an outage: the service is
unavailable), 401long (a 401 whose long message repeats the caller's key at every offset, so any cut of
the text splits a copy of it), echo (200: an answer that quotes the caller's key). Connection-level
faults (reset, hangup, stall) live in servers.fault_server. A model whose name starts with "deaf"
ignores the audio and always gives the same answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf
from aiohttp import web

RETRY_AFTER_S = 0.05


class BadAudio(ValueError):
    pass


@dataclass(frozen=True)
class Heard:
    """What the server decoded from one audio part."""

    rate: int
    channels: int
    subtype: str
    duration: float
    f0: float | None  # None for silence

    def describe(self) -> str:
        if self.f0 is None:
            return "I hear only silence, so I cannot tell."
        sex = "Female" if self.f0 >= 165 else "Male"
        return f"{sex}. I hear {self.duration:.2f} s of speech with a pitch near {self.f0:.0f} Hz."


def hear(wav: bytes, *, rate: int = 16_000) -> Heard:
    """Decode WAV bytes and check they are what the backends promise: PCM16, 16 kHz, mono."""
    try:
        info = sf.info(io.BytesIO(wav))
        samples, got_rate = sf.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    except Exception as exc:
        raise BadAudio(f"audio is not a readable WAV file ({exc})") from exc
    if info.format != "WAV" or info.subtype != "PCM_16":
        raise BadAudio(f"expected 16-bit PCM WAV, got {info.format}/{info.subtype}")
    if got_rate != rate or samples.shape[1] != 1:
        raise BadAudio(f"expected {rate} Hz mono, got {got_rate} Hz with {samples.shape[1]} channels")
    mono = samples[:, 0]
    return Heard(got_rate, samples.shape[1], info.subtype, len(mono) / got_rate, pitch(mono, got_rate))


def pitch(samples: np.ndarray, rate: int) -> float | None:
    """Fundamental frequency by autocorrelation (the first lag close to the best one, which avoids
    octave errors), or None for near-silence."""
    frame = samples[: rate // 2].astype(np.float64)
    if frame.size < rate // 20 or float(np.sqrt(np.mean(frame**2))) < 1e-3:
        return None
    frame = frame - frame.mean()
    spectrum = np.fft.rfft(frame, 2 * frame.size)
    corr = np.fft.irfft(spectrum * np.conj(spectrum))[: frame.size]
    low, high = rate // 400, rate // 60
    window = corr[low:high]
    best = float(window.max())
    if best <= 0:
        return None
    lag = low + int(np.argmax(window >= 0.85 * best))
    return rate / lag


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names are case-insensitive; clients differ in the case they send."""
    return {name.lower(): value for name, value in headers.items()}


@dataclass
class Received:
    """One request the server accepted for answering (after its faults)."""

    model: str
    heard: list[Heard]
    prompt: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, object] = field(repr=False)


class SimServer:
    """aiohttp on 127.0.0.1:random port with scripted faults; subclasses add the routes."""

    def __init__(self, latency: float = 0.0, lifetime_s: float = 300.0) -> None:
        self.latency = latency
        self.lifetime_s = lifetime_s
        self.faults: dict[str, list[str]] = {}
        self.received: list[Received] = []
        self.attempts: Counter[str] = Counter()  # model -> HTTP requests that reached the route
        self.statuses: Counter[int] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.port = 0
        self._seen: defaultdict[str, int] = defaultdict(int)
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    # -- subclasses --------------------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    def error(self, status: int, message: str) -> web.Response:
        return web.json_response({"error": {"message": message, "code": status}}, status=status)

    def refusal(self, model: str) -> web.Response:
        """A 200 reply in which the model declines (the API's own refusal shape)."""
        return self.error(500, "this server has no refusal shape")

    def echo(self, model: str, key: str) -> web.Response:
        """A 200 reply whose answer quotes the caller's key (subclasses give it their reply shape)."""
        return self.error(500, f"this server has no reply shape; key {key}")

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SimServer:
        self._thread = threading.Thread(target=lambda: asyncio.run(self.serve()), daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("simulated server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    async def serve(self, on_ready: Callable[[int], None] | None = None) -> None:
        """Serve until stop() or `lifetime_s`, whichever comes first."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(self.routes())
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and getattr(server, "sockets", None)
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        if on_ready:
            on_ready(self.port)
        try:
            await asyncio.wait_for(self._stop.wait(), self.lifetime_s)
        except TimeoutError:
            pass
        finally:
            await runner.cleanup()

    # -- per request -------------------------------------------------------------------------
    async def admit(self, model: str, raw: bytes, key: str = "") -> web.Response | None:
        """Count the attempt, wait the configured latency, and play the scripted fault, if any."""
        self.attempts[model] += 1
        script = self.faults.get(model, [])
        digest = hashlib.sha1(raw).hexdigest()
        attempt = self._seen[f"{model}:{digest}"]
        self._seen[f"{model}:{digest}"] += 1
        fault = "ok"
        if script:
            fault = script[min(attempt, len(script) - 1)]
            if attempt >= len(script) and not fault.endswith("*"):
                fault = "ok"
        fault = fault.rstrip("*")
        if self.latency:
            await asyncio.sleep(self.latency)
        if fault.startswith("slow:"):
            await asyncio.sleep(float(fault.split(":", 1)[1]))
            return None
        if fault == "429":
            response = self.error(429, "rate limit reached (simulated)")
            response.headers["retry-after"] = str(RETRY_AFTER_S)
            return response
        if fault == "500":
            response = self.error(500, "internal error (simulated)")
            response.headers["retry-after-ms"] = "20"  # keeps tests fast; real servers rarely say
            return response
        if fault == "401":
            return self.error(401, f"Incorrect API key provided: {key}.")
        if fault == "503":
            response = self.error(503, "service unavailable (simulated outage)")
            response.headers["retry-after-ms"] = "10"
            return response
        if fault == "401long":
            echoed = " ".join(f"{'#' * (i % 7)}key={key}" for i in range(40))
            return self.error(401, f"Incorrect API key provided. Details: {echoed}")
        if fault == "echo":
            return self.echo(model, key)
        if fault == "400":
            return self.error(400, "bad request (simulated)")
        if fault == "malformed":
            return web.Response(text="<html>502 upstream went away</html>", content_type="application/json")
        if fault == "empty":
            return web.json_response({"unexpected": True})
        if fault == "refusal":
            return self.refusal(model)
        return None

    def track(self, delta: int) -> None:
        self.in_flight += delta
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def answer_for(self, model: str, heard: list[Heard]) -> str:
        if model.startswith("deaf"):
            return "Male. It sounds like a calm adult voice."
        if not heard:
            return "I cannot tell without any audio."
        return " ".join(h.describe() for h in heard)
