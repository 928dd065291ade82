"""Checks over the shipped demo corpus in src/voiceleak/corpus/demo (json + soundfile only)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf

DEMO_DIR = Path(__file__).resolve().parents[1] / "src" / "voiceleak" / "corpus" / "demo"
MANIFEST = DEMO_DIR / "manifest.jsonl"

KEYS = {"id", "audio_filepath", "duration", "offset", "text", "speaker_id", "labels", "provenance", "license"}
ALLOWED_LABELS: dict[str, set[str]] = {
    "sex": {"Male", "Female"},
    "language": {"en", "es", "fr", "it", "ru"},
    "regional_accent": {"en-US", "en-GB-SCT", "es-MX", "fr-CA", "it-IT", "ru-RU"},
    "voice_source": {"human", "synthetic"},
}
SAMPLE_RATE = 8000
MIN_DURATION_S = 1.5
DURATION_TOLERANCE_S = 0.05
MIN_CLIPS_PER_SPEAKER = 15
MAX_TOTAL_BYTES = 10_000_000


def _load() -> list[dict[str, Any]]:
    lines = MANIFEST.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return _load()


def _voice(rec: dict[str, Any]) -> str:
    """'syn-flite-slt-07' -> 'syn-flite-slt' (one synthetic voice)."""
    return str(rec["id"]).rsplit("-", 1)[0]


def test_every_line_parses_with_exact_keys() -> None:
    lines = MANIFEST.read_text(encoding="utf-8").splitlines()
    assert lines, "manifest is empty"
    for n, line in enumerate(lines, 1):
        rec = json.loads(line)
        assert isinstance(rec, dict), f"line {n} is not an object"
        assert set(rec) == KEYS, f"line {n}: keys {sorted(rec)}"


def test_field_types(records: list[dict[str, Any]]) -> None:
    for rec in records:
        assert isinstance(rec["id"], str) and rec["id"], rec
        assert isinstance(rec["speaker_id"], str) and rec["speaker_id"], rec["id"]
        assert isinstance(rec["duration"], float), rec["id"]
        assert rec["offset"] == 0.0, rec["id"]
        assert rec["text"] is None or (isinstance(rec["text"], str) and rec["text"].strip())
        assert isinstance(rec["provenance"], str) and rec["provenance"].strip(), rec["id"]
        assert isinstance(rec["license"], str) and rec["license"].strip(), rec["id"]
        path = rec["audio_filepath"]
        assert not Path(path).is_absolute() and ".." not in Path(path).parts, rec["id"]


def test_ids_unique(records: list[dict[str, Any]]) -> None:
    counts = Counter(rec["id"] for rec in records)
    assert [i for i, c in counts.items() if c > 1] == []


def test_audio_files_match_manifest(records: list[dict[str, Any]]) -> None:
    for rec in records:
        path = DEMO_DIR / rec["audio_filepath"]
        assert path.is_file(), f"missing {path}"
        info = sf.info(str(path))
        assert info.samplerate == SAMPLE_RATE, (rec["id"], info.samplerate)
        assert info.channels == 1, (rec["id"], info.channels)
        assert info.format == "FLAC" and info.subtype == "PCM_16", (rec["id"], info.subtype)
        assert info.duration >= MIN_DURATION_S, (rec["id"], info.duration)
        assert abs(info.duration - rec["duration"]) <= DURATION_TOLERANCE_S, rec["id"]


def test_no_unlisted_audio(records: list[dict[str, Any]]) -> None:
    listed = {(DEMO_DIR / rec["audio_filepath"]).resolve() for rec in records}
    on_disk = {p.resolve() for p in (DEMO_DIR / "audio").glob("*") if p.is_file()}
    assert on_disk - listed == set()


def test_labels_from_allowed_sets(records: list[dict[str, Any]]) -> None:
    for rec in records:
        labels = rec["labels"]
        assert set(labels) == set(ALLOWED_LABELS), (rec["id"], sorted(labels))
        for attr, value in labels.items():
            assert value in ALLOWED_LABELS[attr], (rec["id"], attr, value)
        assert labels["regional_accent"].split("-")[0] == labels["language"], rec["id"]


def test_voice_source_matches_id_and_provenance(records: list[dict[str, Any]]) -> None:
    for rec in records:
        synthetic = rec["labels"]["voice_source"] == "synthetic"
        assert rec["id"].startswith("syn-" if synthetic else "ast-"), rec["id"]
        assert ("SYNTHETIC" in rec["provenance"]) == synthetic, rec["id"]
        if synthetic:
            assert rec["text"], f"{rec['id']}: synthetic clips must carry their text"


def test_speaker_labels_consistent(records: list[dict[str, Any]]) -> None:
    sexes: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        sexes[rec["speaker_id"]].add(rec["labels"]["sex"])
    assert {s: v for s, v in sexes.items() if len(v) != 1} == {}


def test_each_speaker_has_enough_clips(records: list[dict[str, Any]]) -> None:
    counts = Counter(rec["speaker_id"] for rec in records)
    assert len(counts) >= 2
    assert {s: c for s, c in counts.items() if c < MIN_CLIPS_PER_SPEAKER} == {}


def _texts_by_voice(records: list[dict[str, Any]], language: str) -> dict[str, dict[str, str]]:
    """Synthetic voice -> {sentence number (id suffix): text} for one language."""
    texts: dict[str, dict[str, str]] = defaultdict(dict)
    for rec in records:
        labels = rec["labels"]
        if labels["voice_source"] == "synthetic" and labels["language"] == language:
            texts[_voice(rec)][rec["id"].rsplit("-", 1)[1]] = rec["text"]
    return texts


def test_synthetic_english_voices_share_the_same_sentences(
    records: list[dict[str, Any]],
) -> None:
    texts = _texts_by_voice(records, "en")
    assert len(texts) >= 2, sorted(texts)
    reference = next(iter(texts.values()))
    assert len(reference) >= 15
    assert len(set(reference.values())) == len(reference), "duplicate sentences"
    for voice, said in texts.items():
        assert said == reference, f"{voice} does not speak the same numbered sentences"


def test_synthetic_italian_voices_mirror_english_set(records: list[dict[str, Any]]) -> None:
    italian = _texts_by_voice(records, "it")
    if not italian:
        pytest.skip("no synthetic Italian voices")
    english = next(iter(_texts_by_voice(records, "en").values()))
    reference = next(iter(italian.values()))
    for voice, said in italian.items():
        assert said == reference, voice
        assert set(said) == set(english), f"{voice}: sentence numbers differ from English"


def test_total_size_within_budget() -> None:
    total = sum(p.stat().st_size for p in DEMO_DIR.rglob("*") if p.is_file())
    assert 0 < total <= MAX_TOTAL_BYTES, f"{total / 1e6:.2f} MB"
