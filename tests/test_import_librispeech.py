"""LibriSpeech: pipe-separated SPEAKERS.TXT (names with pipes in them) and per-chapter trans.txt."""

from __future__ import annotations

from pathlib import Path

from import_fixtures import by_id, messages, run_import, write_audio

SPEAKERS = """\
; Some speakers
;ID  |SEX| SUBSET           |MINUTES| NAME
60   | M | train-clean-100  | 20.18 | |CBW|Simon
84   | F | dev-clean        |  8.02 | Christie Nowak
XX   | F | dev-clean
"""


def test_speakers_subsets_and_transcripts(tmp_path: Path) -> None:
    root = tmp_path / "LibriSpeech"
    root.mkdir()
    (root / "SPEAKERS.TXT").write_text(SPEAKERS)
    chapter = root / "dev-clean" / "84" / "121123"
    write_audio(chapter / "84-121123-0000.flac", seed=1)
    write_audio(chapter / "84-121123-0001.flac", seed=2)
    (chapter / "84-121123.trans.txt").write_text("84-121123-0000 GO DO YOU HEAR\n")
    simon = root / "train-clean-100" / "60" / "121082"
    write_audio(simon / "60-121082-0000.flac", seed=3)
    (simon / "60-121082.trans.txt").write_text("60-121082-0000 THE TRUE HISTORY\n")
    (root / "README.TXT").write_text("not a subset")
    summary, rows = run_import("librispeech", root, tmp_path / "out")
    clips = by_id(rows)
    assert sorted(clips) == ["60-121082-0000", "84-121123-0000", "84-121123-0001"]
    first = clips["84-121123-0000"]
    assert first["labels"] == {"sex": "Female", "language": "en"} and first["text"] == "GO DO YOU HEAR"
    assert first["raw_labels"] == {"name": "Christie Nowak"} and first["split"] == "dev-clean"
    assert first["speaker_id"] == "84" and first["license"] == "CC-BY-4.0"
    assert clips["60-121082-0000"]["raw_labels"] == {"name": "|CBW|Simon"}  # pipes inside the name survive
    assert clips["84-121123-0001"]["text"] is None
    assert summary.notes["clips without a line in their chapter's trans.txt (imported without text)"] == 1
    assert summary.splits == {"dev-clean": 2, "train-clean-100": 1}
    assert messages(summary) == [
        f"{root / 'SPEAKERS.TXT'}, line 5: expected ID | SEX | SUBSET | MINUTES | NAME, "
        "got 'XX   | F | dev-clean'"
    ]
