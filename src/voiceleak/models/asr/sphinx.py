"""CMU PocketSphinx with the en-US model inside its wheel: a weak, fully offline recognition baseline."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from voiceleak.audio import MODEL_RATE, resample
from voiceleak.models.asr.base import transcribers
from voiceleak.spec import Spec
from voiceleak.types import Audio


@transcribers.register("pocketsphinx", "offline CMU PocketSphinx, en-US model in the wheel (weak baseline)")
class PocketSphinx:
    remote_host: str | None = None
    language: str | None = "en"  # the en-US model inside the wheel

    def __init__(self, spec: Spec) -> None:
        spec.check_known(set())
        self.name = str(spec)
        self._decoder: Any = None
        self._lock = threading.Lock()  # one decoder, one utterance at a time

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "engine": "pocketsphinx", "weights": "en-us (in the pocketsphinx wheel)"}

    def _engine(self) -> Any:
        if self._decoder is None:
            try:
                from pocketsphinx import Decoder
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise RuntimeError("pocketsphinx needs: pip install 'voiceleak[asr]'") from exc
            self._decoder = Decoder(samprate=MODEL_RATE, loglevel="FATAL")
        return self._decoder

    def transcribe(self, audios: Sequence[Audio]) -> list[str]:
        with self._lock:
            decoder = self._engine()
            return [self._one(decoder, audio) for audio in audios]

    @staticmethod
    def _one(decoder: Any, audio: Audio) -> str:
        samples = resample(audio, MODEL_RATE).samples
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        return str(hypothesis.hypstr).strip() if hypothesis is not None else ""
