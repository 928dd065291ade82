"""VCTK 0.92 (p225 ids, flac, mic1/mic2) and 0.80 (225 ids, wav48/*.wav): aligned speaker-info.txt."""

from __future__ import annotations

from pathlib import Path

from import_fixtures import by_id, messages, run_import, write_audio

INFO_092 = (
    "ID  AGE  GENDER  ACCENTS  REGION COMMENTS \n"
    + """\
p225  23  F    English    Southern  England
p280  25  F    France    (mic2 files unavailable)
p315  18  M    American    Connecticut  (mic2 files unavailable)
p2x5  23  F    English
p363  22  M    Canadian  Southern  Ontario
"""
)


def _utterance(root: Path, speaker: str, n: str, text: str | None, seed: int, mics: tuple[str, ...]) -> None:
    for mic in mics:
        write_audio(root / "wav48_silence_trimmed" / speaker / f"{speaker}_{n}_{mic}.flac", seed=seed)
    if text is not None:
        (root / "txt" / speaker).mkdir(parents=True, exist_ok=True)
        (root / "txt" / speaker / f"{speaker}_{n}.txt").write_text(text + "\n")


def test_vctk_092_regions_comments_and_microphones(tmp_path: Path) -> None:
    root = tmp_path / "VCTK-Corpus-0.92"
    root.mkdir()
    (root / "speaker-info.txt").write_text(INFO_092)
    _utterance(root, "p225", "001", "Please call Stella.", 1, ("mic1", "mic2"))
    _utterance(root, "p280", "001", "Ask her to bring these things.", 2, ("mic1",))
    _utterance(root, "p315", "001", None, 3, ("mic1",))  # p315 has no transcripts
    _utterance(root, "p363", "002", "Six spoons.", 4, ("mic1",))
    summary, rows = run_import("vctk", root, tmp_path / "out")
    clips = by_id(rows)
    assert sorted(clips) == ["p225_001", "p280_001", "p315_001", "p363_002"]
    p225 = clips["p225_001"]
    assert p225["labels"] == {
        "age": "20-30",
        "sex": "Female",
        "regional_accent": "en-GB",
        "accent": "English",
        "language": "en",
    }
    assert p225["raw_labels"] == {"home_region": "Southern England"}
    assert p225["text"] == "Please call Stella." and p225["audio_filepath"].endswith("p225_001_mic1.flac")
    # "France" is no English variety: kept raw, and no accent group is claimed for it.
    assert clips["p280_001"]["labels"] == {"age": "20-30", "sex": "Female", "language": "en"}
    assert clips["p280_001"]["raw_labels"] == {"ACCENTS": "France", "comments": "mic2 files unavailable"}
    p315 = clips["p315_001"]
    assert p315["labels"]["regional_accent"] == "en-US" and p315["text"] is None
    assert p315["raw_labels"] == {"home_region": "Connecticut", "comments": "mic2 files unavailable"}
    assert clips["p363_002"]["labels"]["regional_accent"] == "en-CA"
    assert summary.notes["mic2 recordings skipped (the same utterances as mic1)"] == 1
    assert messages(summary) == [
        f"{root / 'speaker-info.txt'}, line 5: expected ID AGE GENDER "
        "[ACCENTS REGION (COMMENTS)], got 'p2x5  23  F    English'"
    ]


def test_vctk_080_numeric_ids_match_p_folders(tmp_path: Path) -> None:
    root = tmp_path / "VCTK-Corpus"
    root.mkdir()
    (root / "speaker-info.txt").write_text(
        "ID  AGE  GENDER  ACCENTS  REGION\n"
        "225  23  F    English    Southern  England\n"
        "226  22  M    Scottish\n"
    )
    write_audio(root / "wav48" / "p225" / "p225_001.wav", seed=1)
    write_audio(root / "wav48" / "p226" / "p226_003.wav", seed=2)
    write_audio(root / "wav48" / "p226" / "notes.wav", seed=3)
    (root / "txt" / "p225").mkdir(parents=True)
    (root / "txt" / "p225" / "p225_001.txt").write_text("Please call Stella.")
    summary, rows = run_import("vctk", root, tmp_path / "out")
    clips = by_id(rows)
    assert clips["p225_001"]["speaker_id"] == "p225" and clips["p225_001"]["labels"]["sex"] == "Female"
    assert clips["p226_003"]["labels"]["regional_accent"] == "en-GB-SCT"
    assert "raw_labels" not in clips["p226_003"]  # no region, no comment: nothing raw to keep
    assert messages(summary) == [
        f"{root / 'wav48' / 'p226' / 'notes.wav'}: file name is not <speaker>_<n>[_mic1|_mic2]"
    ]
