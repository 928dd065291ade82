"""Voiceprints: resemblyzer's GE2E speaker encoder (weights ship inside its wheel), cached per audio.

Used by the probe (what the voice carries), speaker verification and the defenses' attackers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from voiceleak.audio import MODEL_RATE, resample
from voiceleak.cache import KeyValueCache, default_cache_dir
from voiceleak.types import Audio

EMBEDDING_DIM = 256
MIN_VOICED_SECONDS = 0.3


@cache
def _encoder() -> Any:
    try:
        import torch
        from resemblyzer import VoiceEncoder
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("the voiceprint probe needs the 'probe' extra: pip install 'voiceleak[probe]'") from exc
    if not os.environ.get("OMP_NUM_THREADS"):
        # The LSTM runs batches of a few frames: a second thread gains little, and on shared cores its
        # spin-waits made each clip 3-6x slower (measured on the demo). An explicit OMP_NUM_THREADS wins.
        torch.set_num_threads(1)
    return VoiceEncoder("cpu", verbose=False)


class VoiceprintEncoder:
    """256-d speaker embeddings, L2-normalised, with a persistent cache keyed on the audio content.

    `channel_rate` band-limits every clip to one rate first: voiceprints of 8 kHz and 16 kHz sources
    cluster by channel, and a probe would learn the channel instead of the speaker.
    """

    name = "resemblyzer-ge2e"

    def __init__(self, channel_rate: int | None = 8000, cache_path: Path | None = None) -> None:
        self.channel_rate = channel_rate
        path = cache_path or default_cache_dir() / "voiceprints.sqlite"
        self._cache = KeyValueCache(path, "resemblyzer")

    def embed(self, audios: Sequence[Audio]) -> np.ndarray:
        out = np.zeros((len(audios), EMBEDDING_DIM), dtype=np.float32)
        for i, audio in enumerate(audios):
            key = f"{audio.content_hash()}:{self.channel_rate}"
            stored = self._cache.get(key)
            if stored is None:
                vector = self._embed_one(audio)
                self._cache.put(key, vector.astype(np.float32).tobytes())
            else:
                vector = np.frombuffer(stored, dtype=np.float32)
            out[i] = vector
        return out

    def _embed_one(self, audio: Audio) -> np.ndarray:
        from resemblyzer import preprocess_wav

        if self.channel_rate:
            audio = resample(audio, self.channel_rate)
        wav = resample(audio, MODEL_RATE).samples
        if not np.any(np.abs(wav) > 1e-6):
            # Digital silence (a blind control): normalising its volume would divide by zero.
            return np.zeros(EMBEDDING_DIM, dtype=np.float32)
        voiced = preprocess_wav(wav)  # volume normalisation and VAD trimming
        if len(voiced) < MIN_VOICED_SECONDS * MODEL_RATE:
            voiced = wav  # silence or noise: embed it as is, the probe must still answer
        vector = np.asarray(_encoder().embed_utterance(voiced.astype(np.float32)), dtype=np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector


def cosine_scores(enrol: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two sets of normalised embeddings."""
    return np.sum(enrol * test, axis=1) / (
        np.linalg.norm(enrol, axis=1) * np.linalg.norm(test, axis=1) + 1e-9
    )
