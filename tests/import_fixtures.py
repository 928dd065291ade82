"""Helpers for the importer tests: tiny real audio files and reading back what an import wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from voiceleak.corpus.importers import ImportSummary, import_corpus


def write_audio(
    path: Path, seconds: float = 0.5, seed: int = 0, rate: int = 16_000, format: str | None = None
) -> Path:
    """A short harmonic tone with noise; `seed` makes the content (and its hash) differ."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    samples = 0.2 * np.sin(2 * np.pi * (110 + 10 * seed) * t) + rng.normal(0, 0.01, len(t))
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), samples.astype(np.float32), rate, format=format)
    return path


def run_import(
    kind: str, source: Path, out_dir: Path, **options: Any
) -> tuple[ImportSummary, list[dict[str, Any]]]:
    manifest = out_dir / "manifest.jsonl"
    summary = import_corpus(kind, source, manifest, **options)
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]
    return summary, rows


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows}


def messages(summary: ImportSummary) -> list[str]:
    return [str(p) for p in summary.problems]
