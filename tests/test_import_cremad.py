"""CREMA-D: VideoDemographics.csv (CRLF line ends) and AudioWAV/<Actor>_<Sentence>_<Emotion>_<Level>.wav."""

from __future__ import annotations

from pathlib import Path

import pytest

from import_fixtures import by_id, messages, run_import, write_audio


@pytest.fixture
def cremad(tmp_path: Path) -> Path:
    root = tmp_path / "CREMA-D"
    root.mkdir()
    (root / "VideoDemographics.csv").write_bytes(
        b"ActorID,Age,Sex,Race,Ethnicity\r\n1001,51,Male,Caucasian,Not Hispanic\r\n"
        b"1002,21,Female,African American,Not Hispanic\r\nabc,30,Male,Asian,Not Hispanic\r\n"
    )
    write_audio(root / "AudioWAV" / "1001_DFA_ANG_XX.wav", seed=1)
    write_audio(root / "AudioWAV" / "1002_IEO_HAP_HI.wav", seed=2)
    write_audio(root / "AudioWAV" / "1091_TSI_SAD_LO.wav", seed=3)  # an actor the table lacks
    write_audio(root / "AudioWAV" / "1001_dfa.wav", seed=4)
    return root


def test_actor_labels_emotion_and_sentence(cremad: Path, tmp_path: Path) -> None:
    summary, rows = run_import("cremad", cremad, tmp_path / "out")
    clips = by_id(rows)
    assert sorted(clips) == ["1001_DFA_ANG_XX", "1002_IEO_HAP_HI", "1091_TSI_SAD_LO"]
    angry = clips["1001_DFA_ANG_XX"]
    assert angry["labels"] == {"age": "50-60", "sex": "Male", "emotion": "angry"}  # emotion: per clip
    assert angry["raw_labels"] == {
        "race": "Caucasian",
        "ethnicity": "Not Hispanic",
        "emotion_code": "ANG",
        "emotion_level": "unspecified",
        "sentence": "DFA",
    }
    assert angry["text"] == "Don't forget a jacket." and angry["speaker_id"] == "1001"
    assert clips["1002_IEO_HAP_HI"]["labels"] == {"age": "20-30", "sex": "Female", "emotion": "happy"}
    assert clips["1002_IEO_HAP_HI"]["raw_labels"]["emotion_level"] == "high"
    assert clips["1091_TSI_SAD_LO"]["labels"] == {"emotion": "sad"}
    assert summary.notes["clips of actors absent from VideoDemographics.csv (imported without labels)"] == 1
    assert summary.raw["race"] == {"Caucasian": 1, "African American": 1}


def test_bad_actor_row_and_bad_file_name(cremad: Path, tmp_path: Path) -> None:
    summary, _ = run_import("cremad", cremad, tmp_path / "out")
    assert messages(summary) == [
        f"{cremad / 'VideoDemographics.csv'}, line 4, field ActorID: ActorID must be a number, got 'abc'",
        f"{cremad / 'AudioWAV' / '1001_dfa.wav'}: file name is not "
        "<ActorID>_<Sentence>_<Emotion>_<Level>.wav",
    ]
