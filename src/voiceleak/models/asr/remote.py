"""Recognisers with optional dependencies: an OpenAI-compatible transcription endpoint and a local
transformers checkpoint. Both import their library only when built, and say which extra to install."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from voiceleak.audio import MODEL_RATE, resample, to_wav_bytes
from voiceleak.models.asr.base import transcribers
from voiceleak.spec import Spec
from voiceleak.types import Audio

DEFAULT_BASE_URL = "https://api.openai.com/v1"


@transcribers.register("openai-asr", "any OpenAI-compatible /audio/transcriptions endpoint "
                                     "(openai-asr:MODEL base_url=... api_key_env=OPENAI_API_KEY language=)")
class OpenAITranscriber:
    def __init__(self, spec: Spec) -> None:
        spec.check_known({"base_url", "api_key_env", "language"})
        self.name = str(spec)
        self.model = spec.arg or "whisper-1"
        configured = spec.get("base_url") or os.environ.get("OPENAI_BASE_URL")
        self.base_url = configured or DEFAULT_BASE_URL
        self.api_key_env = spec.get("api_key_env", "OPENAI_API_KEY") or "OPENAI_API_KEY"
        self.language = spec.get("language")
        host = urlparse(self.base_url).hostname
        # Voice is biometric data: the runner announces where it goes; loopback stays local.
        self.remote_host: str | None = None if host in {"127.0.0.1", "localhost", "::1"} else host
        self._client: Any = None

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "engine": "openai-compatible transcription", "model": self.model,
                "base_url": self.base_url, "language": self.language}

    def _api(self) -> Any:
        if self._client is None:
            try:
                from openai import OpenAI
            except ImportError as exc:
                raise RuntimeError("openai-asr needs: pip install 'voiceleak[openai]'") from exc
            self._client = OpenAI(base_url=self.base_url, api_key=os.environ.get(self.api_key_env, "unset"))
        return self._client

    def transcribe(self, audios: Sequence[Audio]) -> list[str]:
        client = self._api()
        extra = {"language": self.language} if self.language else {}
        out = []
        for audio in audios:
            result = client.audio.transcriptions.create(
                model=self.model, file=("clip.wav", to_wav_bytes(audio), "audio/wav"), **extra)
            out.append(str(getattr(result, "text", result)).strip())
        return out


@transcribers.register("transformers-asr", "a local transformers ASR checkpoint (transformers-asr:PATH); "
                                           "never downloads")
class PipelineTranscriber:
    remote_host: str | None = None

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"language"})
        if not spec.arg or not Path(spec.arg).is_dir():
            raise ValueError(f"transformers-asr needs a local checkpoint folder: transformers-asr:PATH "
                             f"(got {spec.arg!r}; hub names are refused because nothing may download)")
        self.name = str(spec)
        self.path = spec.arg
        self.language = spec.get("language")
        self._pipe: Any = None
        self._lock = threading.Lock()

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "engine": "transformers pipeline", "checkpoint": self.path,
                "language": self.language}

    def _engine(self) -> Any:
        with self._lock:
            if self._pipe is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a missing file must fail, not download
                try:
                    from transformers import pipeline
                except ImportError as exc:
                    raise RuntimeError("transformers-asr needs the 'transformers' extra") from exc
                self._pipe = pipeline("automatic-speech-recognition", model=self.path, device="cpu")
        return self._pipe

    def transcribe(self, audios: Sequence[Audio]) -> list[str]:
        pipe = self._engine()
        kwargs = {"generate_kwargs": {"language": self.language}} if self.language else {}
        out = []
        for audio in audios:
            result = pipe({"raw": resample(audio, MODEL_RATE).samples, "sampling_rate": MODEL_RATE}, **kwargs)
            out.append(str(result.get("text", "")).strip())
        return out
