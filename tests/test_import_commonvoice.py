"""Common Voice as released: a locale folder of TSVs (two header generations) and clips/*.mp3."""

from __future__ import annotations

from pathlib import Path

import pytest

from import_fixtures import by_id, messages, run_import, write_audio

NEW_HEADER = (
    "client_id\tpath\tsentence_id\tsentence\tsentence_domain\tup_votes\tdown_votes\tage\tgender\t"
    "accents\tvariant\tlocale\tsegment"
)
OLD_HEADER = "client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccent\tlocale\tsegment"


def _tsv(path: Path, header: str, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")


def _new_row(
    client: str, clip: str, sentence: str, age: str, gender: str, accents: str, variant: str = ""
) -> list[str]:
    return [client, clip, "s1", sentence, "", "2", "0", age, gender, accents, variant, "en", ""]


@pytest.fixture
def locale(tmp_path: Path) -> Path:
    root = tmp_path / "cv-corpus-17.0" / "en"
    for n in range(6):
        write_audio(root / "clips" / f"common_voice_en_{n}.mp3", seed=n, format="MP3")
    _tsv(
        root / "train.tsv",
        NEW_HEADER,
        [
            _new_row(
                "aaa",
                "common_voice_en_0.mp3",
                '"Hello," she said.',
                "twenties",
                "male_masculine",
                "United States English",
            ),
            _new_row(
                "bbb",
                "common_voice_en_1.mp3",
                "It's fine.",
                "nineties",
                "female_feminine",
                "England English|Scottish English",
            ),
            ["ccc", "common_voice_en_9.mp3", "broken row"],
            _new_row("ddd", "", "No path.", "", "", ""),
        ],
    )
    _tsv(
        root / "dev.tsv",
        NEW_HEADER,
        [
            _new_row("ccc", "common_voice_en_2.mp3", "Fine.", "teens", "other", "", "Received Pronunciation"),
            _new_row("aaa", "common_voice_en_3.mp3", "Again.", "twenties", "male", "United States English"),
        ],
    )
    _tsv(
        root / "test.tsv",
        NEW_HEADER,
        [
            _new_row(
                "eee",
                "common_voice_en_4.mp3",
                "Last one.",
                "fifties",
                "do_not_wish_to_say",
                "India and South Asia (India, Pakistan, Sri Lanka)",
            ),
        ],
    )
    # validated.tsv holds train+dev+test again: importing it too would duplicate every clip.
    _tsv(root / "validated.tsv", NEW_HEADER, [_new_row("zzz", "common_voice_en_5.mp3", "x", "", "", "")])
    return root


def test_locale_folder_imports_train_dev_test_with_mapped_labels(locale: Path, tmp_path: Path) -> None:
    summary, rows = run_import("commonvoice", locale, tmp_path / "out")
    clips = by_id(rows)
    assert sorted(clips) == [f"common_voice_en_{n}" for n in range(5)]
    first = clips["common_voice_en_0"]
    assert first["labels"] == {"age": "20-30", "sex": "Male", "regional_accent": "en-US", "language": "en"}
    assert first["text"] == '"Hello," she said.'  # bare quotes kept, not parsed as CSV quoting
    assert first["speaker_id"] == "aaa" and first["split"] == "train" and first["license"] == "CC0-1.0"
    assert first["duration"] == pytest.approx(0.5, abs=0.06)  # mp3 frames pad the end a little
    # Values with no class are kept raw under the corpus's own column names.
    assert clips["common_voice_en_1"]["labels"] == {"sex": "Female", "language": "en"}
    assert clips["common_voice_en_1"]["raw_labels"] == {
        "age": "nineties",
        "accents": "England English|Scottish English",
    }
    assert clips["common_voice_en_2"]["raw_labels"] == {
        "gender": "other",
        "variant": "Received Pronunciation",
    }
    assert clips["common_voice_en_2"]["labels"]["age"] == "10-20"
    assert clips["common_voice_en_4"]["labels"]["regional_accent"] == "en-IN"
    assert clips["common_voice_en_4"]["raw_labels"] == {"gender": "do_not_wish_to_say"}
    assert summary.splits == {"train": 2, "dev": 2, "test": 1}
    assert summary.raw["gender"] == {"other": 1, "do_not_wish_to_say": 1}
    assert summary.missing["accents"] == 1


def test_malformed_rows_are_reported_and_the_rest_imported(locale: Path, tmp_path: Path) -> None:
    summary, rows = run_import("commonvoice", locale, tmp_path / "out")
    train = locale / "train.tsv"
    assert messages(summary) == [
        f"{train}, line 4: expected 13 fields as in the header (client_id, path, sentence_id, sentence, "
        "sentence_domain, up_votes, down_votes, age, gender, accents, variant, locale, segment), got 3",
        f"{train}, line 5, field path: empty path",
    ]
    assert len(rows) == 5


def test_one_old_style_tsv_of_another_locale(tmp_path: Path) -> None:
    root = tmp_path / "cv" / "es"
    write_audio(root / "clips" / "common_voice_es_1.mp3", format="MP3")
    _tsv(
        root / "other.tsv",
        OLD_HEADER,
        [["x1", "common_voice_es_1.mp3", "Hola.", "1", "0", "thirties", "female", "México", "es", ""]],
    )
    _, rows = run_import("commonvoice", root / "other.tsv", tmp_path / "out", limit=1)
    assert rows[0]["labels"] == {"age": "30-40", "sex": "Female", "language": "es"}
    # Another language's accent choice is not guessed into an English regional variety.
    assert rows[0]["raw_labels"] == {"accent": "México"} and rows[0]["split"] == "other"
    assert rows[0]["provenance"] == "Mozilla Common Voice (es), other.tsv"


def test_a_clip_in_two_tables_is_imported_once(tmp_path: Path) -> None:
    root = tmp_path / "cv" / "en"
    write_audio(root / "clips" / "common_voice_en_7.mp3", format="MP3")
    row = _new_row("aaa", "common_voice_en_7.mp3", "Hi.", "twenties", "male", "")
    _tsv(root / "train.tsv", NEW_HEADER, [row])
    _tsv(root / "test.tsv", NEW_HEADER, [row])
    summary, rows = run_import("commonvoice", root, tmp_path / "out")
    assert [r["split"] for r in rows] == ["train"]
    assert messages(summary) == [
        f"{root / 'test.tsv'}, line 2, field id: duplicate id 'common_voice_en_7' "
        f"(first imported from {root / 'train.tsv'}, line 2)"
    ]
