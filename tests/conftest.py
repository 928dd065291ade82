"""Fixtures that build their own audio: small corpora of voice-like harmonic signals."""

from __future__ import annotations

import asyncio
import json
import os
import signal as posix_signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from voiceleak.models.base import LocalModel, build_model, models
from voiceleak.types import Request, Response

RATE = 16_000


def pytest_configure(config: pytest.Config) -> None:
    """Give Ctrl-C back to a suite started with SIGINT ignored. A script that starts `make test` in the
    background without job control (`make test &`, nohup) makes it ignore SIGINT; Python then installs
    no KeyboardInterrupt handler, and an ignored SIGINT survives exec into every child. The tests that
    stop a run with Ctrl-C (tests/test_runner.py, tests/test_judge.py) would wait for a stop that never
    comes. A caught signal is reset to the default in exec'd children, so this covers them too."""
    main = threading.current_thread() is threading.main_thread()
    if main and posix_signal.getsignal(posix_signal.SIGINT) is posix_signal.SIG_IGN:
        posix_signal.signal(posix_signal.SIGINT, posix_signal.default_int_handler)


def voice_like(f0: float, seconds: float, seed: int, rate: int = RATE) -> np.ndarray:
    """A glottal-pulse-like harmonic series with vibrato and syllable envelope: crude but speech-shaped."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    pitch = f0 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    signal = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 3.5 * t + rng.uniform(0, 6)) ** 2
    noise = rng.normal(0, 0.01, len(t))
    out = 0.3 * signal * envelope / np.max(np.abs(signal)) + noise
    return out.astype(np.float32)


def write_corpus(folder: Path, speakers: list[tuple[str, str, float]], clips_each: int = 4,
                 seconds: float = 1.6) -> Path:
    """speakers: (speaker id, sex, f0). Writes WAVs and a manifest; returns the manifest path."""
    audio = folder / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    lines = []
    for s_index, (speaker, sex, f0) in enumerate(speakers):
        for c in range(clips_each):
            clip_id = f"{speaker}-{c}"
            samples = voice_like(f0 * (1 + 0.02 * c), seconds, seed=s_index * 100 + c)
            sf.write(audio / f"{clip_id}.wav", samples, RATE)
            lines.append({"id": clip_id, "audio_filepath": f"audio/{clip_id}.wav", "duration": seconds,
                          "speaker_id": speaker, "labels": {"sex": sex, "language": "en"},
                          "text": "hello there", "provenance": "test fixture: generated harmonic signal",
                          "license": "CC0-1.0"})
    manifest = folder / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return manifest


def ask(spec: str, requests: list[Request]) -> list[Response]:
    """Build a backend from its spec, send the requests in one call, close it: a backend test's round trip."""
    async def go() -> list[Response]:
        model = build_model(spec)
        try:
            return list(await model.generate(requests))  # type: ignore[union-attr]
        finally:
            await model.aclose()  # type: ignore[union-attr]

    return asyncio.run(go())


# Modules whose tests take longest (pytest --durations on 2 cores), run first: with `make test`'s two
# xdist workers, the long tests start at once instead of leaving one worker busy at the end while the
# other idles. Order only: a stale entry costs wall time, never a result.
LONGEST_FIRST = ("test_text_models.py", "test_ray_executor.py", "test_ray_streaming.py",
                 "test_contracts_recognisers.py", "test_readme_example.py", "test_registration.py",
                 "test_privilege_cli.py", "test_defend.py", "test_defend_study.py", "test_runner.py",
                 "test_asr_offline.py", "test_report_browser.py")
# Tests that start a local Ray cluster share one xdist worker: two clusters on two cores starve each other.
RAY_MODULES = ("test_ray_",)
# Modules that load packaged speech models once per process (whisper-base: 20-40 s each): one worker each,
# so no model is loaded twice.
ONE_WORKER_MODULES = ("test_contracts_recognisers.py", "test_asr_offline.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest modules first, then modules with slow tests, then the rest; each module stays whole (its
    module fixtures are built once) and keeps its own order. Ray tests get one xdist group, and so does
    each module that loads speech models."""
    modules: dict[str, int] = {}
    for item in items:
        name = item.path.name
        rank = LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST) + 1
        if item.get_closest_marker("slow") and rank > len(LONGEST_FIRST):
            rank = len(LONGEST_FIRST)
        modules[name] = min(modules.get(name, rank), rank)
        if name.startswith(RAY_MODULES):
            item.add_marker(pytest.mark.xdist_group("ray"))
        elif name in ONE_WORKER_MODULES:
            item.add_marker(pytest.mark.xdist_group(name))
    order = {name: index for index, name in enumerate(sorted(modules, key=lambda n: modules[n]))}
    items.sort(key=lambda item: order[item.path.name])


SPEAKERS = [("m1", "Male", 100.0), ("m2", "Male", 120.0), ("m3", "Male", 135.0),
            ("f1", "Female", 210.0), ("f2", "Female", 235.0), ("f3", "Female", 260.0)]


@pytest.fixture
def server() -> Iterator[Any]:
    """The local chat-completions server (tests/servers/chat_server.py), stopped after the test."""
    from servers.chat_server import ChatServer

    chat = ChatServer(lifetime_s=120).start()
    yield chat
    chat.stop()


@pytest.fixture(autouse=True, scope="session")
def own_voiceleak_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The record of which folders each written manifest may read (corpus/roots.py) lives in a
    folder of the test session, not in the user's configuration."""
    os.environ.setdefault("VOICELEAK_CONFIG", str(tmp_path_factory.mktemp("voiceleak-config")))
    yield


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", SPEAKERS)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path) -> Iterator[Path]:
    """Every test gets its own response and voiceprint cache."""
    previous = os.environ.get("VOICELEAK_CACHE")
    os.environ["VOICELEAK_CACHE"] = str(tmp_path / "cache")
    yield tmp_path / "cache"
    if previous is None:
        os.environ.pop("VOICELEAK_CACHE", None)
    else:
        os.environ["VOICELEAK_CACHE"] = previous


@models.register("test-first-choice", "test only: a text stage that answers the first choice")
class FirstChoice(LocalModel):
    """A cascade's text stage for tests that count what the recogniser does (asr, defend)."""

    def __init__(self, spec: Any) -> None:
        self.name = str(spec)

    def identity(self) -> dict[str, Any]:
        return {"name": self.name}

    async def generate(self, requests: list[Request]) -> list[Response]:
        return [Response(r.id, r.choices[0] if r.choices else "ok") for r in requests]
