"""`voiceleak import` end to end, and the contract every registered importer keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from import_fixtures import write_audio
from voiceleak.cli import app
from voiceleak.corpus.importers import ImportSourceError, import_corpus, importers

KINDS = [
    "commonvoice",
    "cremad",
    "csv",
    "hearsay",
    "hf",
    "lhotse",
    "librispeech",
    "nemo",
    "timit",
    "vctk",
    "voxceleb",
]


def flat(text: str) -> str:
    """Console output without the line wrapping of an 80-column terminal."""
    return " ".join(text.split())


def test_help_lists_every_kind() -> None:
    result = CliRunner().invoke(app, ["import", "--help"])
    assert result.exit_code == 0
    assert importers.names() == KINDS
    for entry in importers.entries():
        assert flat(f"{entry.name} {entry.summary}") in flat(result.stdout)


@pytest.mark.parametrize("kind", KINDS)
def test_every_importer_refuses_a_folder_that_is_not_its_corpus(kind: str, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportSourceError):
        import_corpus(kind, tmp_path / "empty", tmp_path / "out" / "m.jsonl")
    assert not (tmp_path / "out" / "m.jsonl").exists()


def _table(tmp_path: Path) -> Path:
    for n in range(4):
        write_audio(tmp_path / "corpus" / f"{n}.wav", seed=n)
    table = tmp_path / "corpus" / "meta.csv"
    table.write_text("file,spk,Gender,mood\n0.wav,a,F,calm\n1.wav,a,F,calm\n2.wav,b,M,tense\n3.wav,c,M\n")
    return table


def test_import_then_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _table(tmp_path)
    monkeypatch.chdir(tmp_path)  # short relative paths: messages fit on a line
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "import",
            "csv",
            "corpus/meta.csv",
            "-o",
            "out/manifest.jsonl",
            "--map",
            "speaker_id=spk",
            "--map",
            "sex=Gender",
        ],
    )
    assert result.exit_code == 1  # one row could not be imported: said, and the exit code says so
    assert "3 clips, 2 speakers" in flat(result.stdout)
    assert "│ raw │ mood │ calm (2), tense (1) │" in flat(result.stdout)  # kept raw, counted
    assert (
        "corpus/meta.csv, line 5: expected 4 fields as in the header (file, spk, Gender, mood), got 3"
        in flat(result.stderr)
    )
    assert "1 row(s) not imported" in result.stderr
    checked = runner.invoke(app, ["validate", "out/manifest.jsonl", "--json"])
    report = json.loads(checked.stdout)
    assert checked.exit_code == 0 and report["clips"] == 3
    assert report["raw_labels"] == {"mood": 3} and report["label_coverage"]["sex"]["share"] == 1.0


def test_json_summary_and_limit(tmp_path: Path) -> None:
    table = _table(tmp_path)
    manifest = tmp_path / "m.jsonl"
    result = CliRunner().invoke(
        app, ["import", "csv", str(table), "-o", str(manifest), "--limit", "2", "--json", "--no-read-audio"]
    )
    summary = json.loads(result.stdout)
    assert summary["clips"] == 2 and summary["labels"] == {"sex": {"Female": 2}}
    assert summary["kept_raw"] == {"mood": {"calm": 2}} and summary["ok"] is True
    assert all(json.loads(line)["duration"] is None for line in manifest.read_text().splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "csvv", "x", "-o", "m.jsonl"], "unknown importer 'csvv'; did you mean 'csv'?"),
        (["import", "csv", "nowhere.csv", "-o", "m.jsonl"], "nowhere.csv: not found"),
        (["import", "csv", "{table}", "-o", "m.jsonl", "--map", "sex"], "--map takes TARGET=COLUMN"),
        (["import", "commonvoice", "{table}", "-o", "m.jsonl", "--map", "sex=Gender"], "takes no --map"),
    ],
)
def test_user_mistakes_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    table = _table(tmp_path)
    result = CliRunner().invoke(app, [a.replace("{table}", str(table)) for a in args], terminal_width=300)
    assert result.exit_code == 2 and message in flat(result.stderr)
    assert "Traceback" not in result.output
