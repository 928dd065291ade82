from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voiceleak.attributes import UnknownAttributeError, taxonomy
from voiceleak.audio import AudioError, file_hash, from_wav_bytes, load, to_wav_bytes

HEARSAY_CLASSES = {
    "age": ["10-20", "20-30", "30-40", "40-50", "50-60", "60-70", "70-80", "80-90"],
    "sex": ["Male", "Female"],
    "education": ["High_School_or_Equivalent", "Bachelors_Degree", "Masters_Degree", "Doctorate"],
    "health_status": ["healthy", "illness"],
    "weight": ["Underweight", "Normal", "Overweight", "Obese"],
    "social_stratum": ["Lower_Class", "Middle_Class", "Upper_Class"],
    "income": ["Low", "Middle", "High"],
}


def test_hearsay_attributes_keep_exactly_their_classes() -> None:
    for name, classes in HEARSAY_CLASSES.items():
        assert list(taxonomy().get(name).classes) == classes
    accent = taxonomy().get("accent").classes
    assert {"Arabic", "East_Asia", "English", "Germanic", "Romance", "Slavic", "South_Asia"} <= set(accent)


@pytest.mark.parametrize(("attribute", "raw", "label"), [
    ("age", "34", "30-40"), ("age", "twenties", "20-30"), ("age", "10", "10-20"), ("age", "89.5", "80-90"),
    ("sex", "male_masculine", "Male"), ("gender", "F", "Female"), ("Accent", "arabic", "Arabic"),
    ("language", "Spanish", "es"), ("health", "Illness", "illness"),
])
def test_corpus_labels_map_onto_classes(attribute: str, raw: str, label: str) -> None:
    assert taxonomy().get(attribute).canonical(raw) == label


def test_out_of_range_and_unknown() -> None:
    assert taxonomy().get("age").canonical("95") is None
    assert taxonomy().get("sex").canonical("other") is None
    with pytest.raises(UnknownAttributeError, match="did you mean"):
        taxonomy().get("gendr")
    assert taxonomy().get("sex").chance == 0.5
    assert taxonomy().get("speaker").chance is None


def test_load_downmixes_and_resamples_stereo(tmp_path: Path) -> None:
    t = np.arange(44_100) / 44_100
    left, right = np.sin(2 * np.pi * 440 * t), np.zeros_like(t)
    sf.write(tmp_path / "s.wav", np.stack([left, right], axis=1) * 0.5, 44_100)
    audio = load(tmp_path / "s.wav", sample_rate=16_000)
    assert audio.sample_rate == 16_000
    assert audio.samples.ndim == 1 and abs(len(audio.samples) - 16_000) <= 1
    assert 0.2 < float(np.max(np.abs(audio.samples))) < 0.3  # half of the left channel's 0.5 amplitude


def test_wav_round_trip_is_16k_mono_pcm16(tmp_path: Path) -> None:
    sf.write(tmp_path / "a.flac", np.full(8000, 0.25, dtype=np.float32), 8000)
    data = to_wav_bytes(load(tmp_path / "a.flac"))
    info = sf.info(__import__("io").BytesIO(data))
    assert (info.samplerate, info.channels, info.subtype) == (16_000, 1, "PCM_16")
    assert abs(from_wav_bytes(data).duration - 1.0) < 0.01


@pytest.mark.parametrize(("content", "message"), [
    (None, "file not found"), (b"", "unreadable or corrupt"), (b"RIFF\x00\x00garbage" * 10, "unreadable or corrupt"),
])
def test_bad_audio_names_the_file(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "bad.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as info:
        load(path)
    assert str(path) in str(info.value)


def test_empty_audio_is_an_error(tmp_path: Path) -> None:
    sf.write(tmp_path / "e.wav", np.zeros(0, dtype=np.float32), 16_000)
    with pytest.raises(AudioError, match="empty"):
        load(tmp_path / "e.wav")


def test_file_hash_finds_identical_content(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "b").write_bytes(b"x" * 10)
    (tmp_path / "c").write_bytes(b"y" * 10)
    assert file_hash(tmp_path / "a") == file_hash(tmp_path / "b") != file_hash(tmp_path / "c")
