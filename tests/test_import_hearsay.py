"""HearSay's label layout, imported as released: dataset/label/<Attribute>/<Class>.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from import_fixtures import by_id, messages, run_import, write_audio
from voiceleak.corpus.importers import ImportSourceError
from voiceleak.corpus.manifest import load_manifest

BOM = "\ufeff"


def _label_file(root: Path, attribute: str, label: str, rows: list[str], bom: bool = False) -> None:
    path = root / "dataset" / "label" / attribute / f"{label}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        (BOM if bom else "") + "name,value,file_path\n" + "".join(r + "\n" for r in rows), encoding="utf-8"
    )


@pytest.fixture
def hearsay(tmp_path: Path) -> Path:
    root = tmp_path / "HearSay"
    for n, rel in enumerate(
        [
            "gender/Male/m_001.mp3",
            "gender/Female/f_001.wav",
            "Accent/Arabic/Arabic_001.mp3",
            "Weight/Obese/o_001.wav",
            "age/20-30/a_001.wav",
            "Hair/Red/r_001.wav",
        ]
    ):
        write_audio(root / "dataset" / "audio" / rel, seed=n, format="MP3" if rel.endswith(".mp3") else None)
    _label_file(
        root,
        "gender",
        "Male",
        [
            "m_001.mp3,Male,./dataset/audio/gender/Male/m_001.mp3",
            "m_002.mp3,Female,./dataset/audio/gender/Male/m_002.mp3",
            "m_003.mp3,Male,",
        ],
        bom=True,
    )
    _label_file(root, "gender", "Female", ["f_001.wav,Female,./dataset/audio/gender/Female/f_001.wav"])
    _label_file(
        root,
        "Accent",
        "Arabic",
        ["Arabic_001.mp3,Arabic,./dataset/audio/Accent/Arabic/Arabic_001.mp3", "Arabic_002.mp3,Arabic"],
        bom=True,
    )
    # An empty value column: the class file's name says the class.
    _label_file(root, "Weight", "Obese", ["o_001.wav,,.\\dataset\\audio\\Weight\\Obese\\o_001.wav"])
    _label_file(root, "age", "20-30", ["a_001.wav,20-30,./dataset/audio/age/20-30/a_001.wav"])
    _label_file(root, "Hair", "Red", ["r_001.wav,Red,./dataset/audio/Hair/Red/r_001.wav"])
    return root


def test_imports_every_attribute_folder_through_the_taxonomy_aliases(hearsay: Path, tmp_path: Path) -> None:
    summary, rows = run_import("hearsay", hearsay, tmp_path / "out")
    clips = by_id(rows)
    assert sorted(clips) == [
        "Accent/Arabic/Arabic_001",
        "Hair/Red/r_001",
        "Weight/Obese/o_001",
        "age/20-30/a_001",
        "gender/Female/f_001",
        "gender/Male/m_001",
    ]
    assert clips["gender/Male/m_001"]["labels"] == {"sex": "Male"}
    assert clips["gender/Female/f_001"]["labels"] == {"sex": "Female"}
    assert clips["Accent/Arabic/Arabic_001"]["labels"] == {"accent": "Arabic"}
    assert clips["Weight/Obese/o_001"]["labels"] == {"weight": "Obese"}  # Windows path, empty value
    assert clips["age/20-30/a_001"]["labels"] == {"age": "20-30"}
    # An attribute the taxonomy lacks is kept raw, not dropped, and listed in the summary.
    assert clips["Hair/Red/r_001"]["labels"] == {} and clips["Hair/Red/r_001"]["raw_labels"] == {
        "Hair": "Red"
    }
    assert summary.raw == {"Hair": {"Red": 1}}
    assert summary.labels["sex"] == {"Male": 1, "Female": 1}
    # mp3 and wav both load, with durations read from their headers, relative to the manifest.
    loaded = {c.id: c for c in load_manifest(tmp_path / "out" / "manifest.jsonl")}
    assert (
        loaded["gender/Male/m_001"].audio_path.resolve()
        == (hearsay / "dataset/audio/gender/Male/m_001.mp3").resolve()
    )
    assert loaded["gender/Female/f_001"].duration == pytest.approx(0.5, abs=0.01)
    assert clips["gender/Male/m_001"]["provenance"] == "HearSay label file dataset/label/gender/Male.csv"


def test_bad_rows_are_reported_with_file_line_and_reason(hearsay: Path, tmp_path: Path) -> None:
    summary, rows = run_import("hearsay", hearsay, tmp_path / "out")
    male = hearsay / "dataset" / "label" / "gender" / "Male.csv"
    arabic = hearsay / "dataset" / "label" / "Accent" / "Arabic.csv"
    assert sorted(messages(summary)) == sorted(
        [
            f"{arabic}, line 3: expected 3 fields as in the header (name, value, file_path), got 2",
            f"{male}, line 3, field value: value 'Female' contradicts the class file Male.csv",
            f"{male}, line 4, field file_path: empty file_path",
        ]
    )
    assert summary.rows_failed == 3 and not summary.ok and len(rows) == 6


def test_source_may_be_the_dataset_folder_but_must_hold_labels(hearsay: Path, tmp_path: Path) -> None:
    _, rows = run_import("hearsay", hearsay / "dataset", tmp_path / "out")
    assert len(rows) == 6
    with pytest.raises(ImportSourceError, match="no dataset/label"):
        run_import("hearsay", tmp_path / "out", tmp_path / "again")
