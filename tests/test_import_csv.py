"""A user's own table: column mapping, sniffed delimiters, BOMs, UTF-16 and Windows-1252 exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from import_fixtures import by_id, messages, run_import, write_audio
from voiceleak.corpus.importers import ImportSourceError


@pytest.fixture
def table(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    for n in range(3):
        write_audio(folder / "wavs" / f"{n}.wav", seed=n)
    path = folder / "meta.csv"
    path.write_text(
        "\ufefffile;spk;Gender;Age;duration;Notes\n"
        "wavs/0.wav;alice;F;34;0.5;first take\n"
        "wavs/1.wav;bob;male;71;;\n"
        "wavs\\2.wav;carol;nonbinary;;abc;\n"
        ";dave;M;20;;\n"
        "wavs/3.wav;erin\n",
        encoding="utf-8",
    )
    return path


def test_mapped_and_recognised_columns(table: Path, tmp_path: Path) -> None:
    summary, rows = run_import(
        "csv",
        table,
        tmp_path / "out",
        mapping={"sex": "Gender", "speaker_id": "spk", "audio_filepath": "file"},
    )
    clips = by_id(rows)
    assert sorted(clips) == ["wavs/0", "wavs/1"]
    alice = clips["wavs/0"]
    assert alice["speaker_id"] == "alice" and alice["duration"] == 0.5
    assert alice["labels"] == {"sex": "Female", "age": "30-40"}
    assert alice["raw_labels"] == {"Notes": "first take"}  # unmapped columns are kept, not dropped
    assert clips["wavs/1"]["labels"] == {"sex": "Male", "age": "70-80"}
    assert clips["wavs/1"]["duration"] == 0.5  # not stated: read from the file header
    assert messages(summary) == [
        f"{table}, line 4, field duration: duration is not a number: 'abc'",
        f"{table}, line 5, field file: empty audio path",
        f"{table}, line 6: expected 6 fields as in the header "
        "(file, spk, Gender, Age, duration, Notes), got 2",
    ]


def test_utf16_tsv_without_any_map(tmp_path: Path) -> None:
    folder = tmp_path / "excel"
    write_audio(folder / "a.wav")
    path = folder / "export.tsv"
    path.write_text(
        "id\taudio_filepath\tspeaker_id\ttext\tsex\tsplit\nu1\ta.wav\tspk\tbonjour\tFemale\ttest\n",
        encoding="utf-16",
    )
    _, rows = run_import("csv", path, tmp_path / "out")
    assert rows[0]["id"] == "u1" and rows[0]["text"] == "bonjour" and rows[0]["split"] == "test"
    assert rows[0]["labels"] == {"sex": "Female"} and rows[0]["speaker_id"] == "spk"


def test_windows_1252_is_read_and_said(tmp_path: Path) -> None:
    folder = tmp_path / "legacy"
    write_audio(folder / "a.wav")
    path = folder / "legacy.csv"
    path.write_bytes("path,speaker,accent,city\na.wav,José,French,Montréal\n".encode("cp1252"))
    summary, rows = run_import("csv", path, tmp_path / "out")
    assert rows[0]["speaker_id"] == "José" and rows[0]["labels"] == {"accent": "Romance"}
    assert rows[0]["raw_labels"] == {"city": "Montréal"}
    assert summary.notes == {"legacy.csv: not valid UTF-8, read as Windows-1252": 1}


def test_mapping_mistakes_are_refused_before_reading(table: Path, tmp_path: Path) -> None:
    with pytest.raises(ImportSourceError, match=r"'sx' is neither a clip field .* did you mean 'sex'\?"):
        run_import("csv", table, tmp_path / "out", mapping={"sx": "Gender", "audio_filepath": "file"})
    with pytest.raises(ImportSourceError, match=r"no column 'Sexe' \(columns: file, spk, Gender"):
        run_import("csv", table, tmp_path / "out", mapping={"sex": "Sexe", "audio_filepath": "file"})
    odd = table.with_name("odd.csv")
    odd.write_text("recording,who\nwavs/0.wav,alice\n")
    with pytest.raises(
        ImportSourceError,
        match=r"no audio column; give --map audio_filepath=COLUMN "
        r"\(columns: recording, who\)",
    ):
        run_import("csv", odd, tmp_path / "out")
    assert not (tmp_path / "out" / "manifest.jsonl").exists()
