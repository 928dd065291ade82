"""TIMIT: SPKRINFO.TXT (`;` comments, `??` dates) and NIST SPHERE .WAV files in TRAIN|TEST/DR*/<sex><ID>/."""

from __future__ import annotations

from pathlib import Path

import pytest

from import_fixtures import by_id, messages, run_import, write_audio

SPKRINFO = """\
; Speaker Info
;
;  ID  Sex DR Use  RecDate    BirthDate  Ht    Race Edu  Comments
;
  CJF0  F  1  TRN  03/11/86  10/12/59  5'06"  WHT  MS
  DAB0  M  1  TST  01/02/86  06/15/55  5'11"  BLK  PHD  Speaks slowly
  MRW0  M  2  TRN  03/11/86  ??/??/??  6'00"  WHT  AS
  BROKEN  M  1
"""


@pytest.fixture
def timit(tmp_path: Path) -> Path:
    root = tmp_path / "TIMIT"
    (root / "DOC").mkdir(parents=True)
    (root / "DOC" / "SPKRINFO.TXT").write_text(SPKRINFO, encoding="ascii")
    speaker = root / "TRAIN" / "DR1" / "FCJF0"
    write_audio(speaker / "SA1.WAV", seed=1, format="NIST")
    (speaker / "SA1.TXT").write_text("0 46797 She had your dark suit in greasy wash water all year.\n")
    write_audio(speaker / "SX37.WAV", seed=2, format="NIST")
    write_audio(speaker / "SX37.WAV.wav", seed=3)  # a converted copy: preferred, not imported twice
    # Lower-case distributions exist too.
    write_audio(root / "TEST" / "DR1" / "mdab0" / "sa1.wav", seed=4, format="NIST")
    write_audio(root / "TRAIN" / "DR2" / "MMRW0" / "SI1.WAV", seed=5, format="NIST")
    return root


def test_speakers_age_education_and_splits(timit: Path, tmp_path: Path) -> None:
    summary, rows = run_import("timit", timit, tmp_path / "out")
    clips = by_id(rows)
    assert sorted(clips) == ["FCJF0_SA1", "FCJF0_SX37", "MDAB0_SA1", "MMRW0_SI1"]
    sa1 = clips["FCJF0_SA1"]
    # 03/11/86 - 10/12/59 = 26 full years
    assert sa1["labels"] == {
        "sex": "Female",
        "age": "20-30",
        "education": "Masters_Degree",
        "regional_accent": "en-US",
        "language": "en",
    }
    assert sa1["raw_labels"] == {"dialect_region": "DR1", "height": "5'06\"", "race": "WHT"}
    assert sa1["text"] == "She had your dark suit in greasy wash water all year."
    assert sa1["split"] == "train" and sa1["speaker_id"] == "FCJF0"
    assert sa1["duration"] == pytest.approx(0.5, abs=0.01)  # SPHERE header read by soundfile
    assert clips["FCJF0_SX37"]["audio_filepath"].endswith("SX37.WAV.wav")
    dab = clips["MDAB0_SA1"]
    assert (
        dab["split"] == "test"
        and dab["labels"]["age"] == "30-40"
        and dab["labels"]["education"] == "Doctorate"
    )
    assert dab["raw_labels"]["comments"] == "Speaks slowly"
    # Unknown birth date: no age, counted as missing. Associate degree: no class, kept raw.
    mrw = clips["MMRW0_SI1"]
    assert "age" not in mrw["labels"] and mrw["raw_labels"]["Edu"] == "AS"
    assert summary.missing["age"] == 1


def test_short_speaker_line_is_reported(timit: Path, tmp_path: Path) -> None:
    summary, _ = run_import("timit", timit, tmp_path / "out")
    assert messages(summary) == [
        f"{timit / 'DOC' / 'SPKRINFO.TXT'}, line 8: expected at least 9 fields "
        "(ID Sex DR Use RecDate BirthDate Ht Race Edu), got 3"
    ]
