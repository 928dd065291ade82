"""Shared helpers for the benchmarks: fixture corpora, peak memory, result files."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

RESULTS = Path(__file__).parent / "results"


def make_corpus(folder: Path, n_clips: int, seconds: float = 1.0, rate: int = 16_000,
                n_files: int | None = None, n_speakers: int = 20) -> Path:
    """A manifest of `n_clips` clips; with `n_files`, clips share that many audio files (big manifests)."""
    audio = folder / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    files = n_files or n_clips
    for i in range(files):
        path = audio / f"{i}.wav"
        if not path.exists():
            sf.write(path, (rng.normal(0, 0.1, int(seconds * rate))).astype(np.float32), rate)
    manifest = folder / "manifest.jsonl"
    with open(manifest, "w") as handle:
        for i in range(n_clips):
            speaker = f"s{i % n_speakers}"
            sex = "Male" if (i % n_speakers) % 2 else "Female"
            handle.write(json.dumps({"id": f"c{i}", "audio_filepath": f"audio/{i % files}.wav",
                                     "duration": seconds, "speaker_id": speaker,
                                     "labels": {"sex": sex}}) + "\n")
    return manifest


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def write_result(name: str, markdown: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(markdown)
    print(markdown)
    return path
