"""Every validation check, the report as JSON with its exit codes, and a run's --skip-bad path."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from rich.console import Console
from typer.testing import CliRunner

from voiceleak.cli import app
from voiceleak.corpus.validate import CorpusInvalidError, checked_clips, validate_manifest
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions


def _rows(manifest: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in manifest.read_text().splitlines()]


def _write(manifest: Path, rows: list[dict[str, Any]]) -> Path:
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return manifest


def test_a_clean_corpus_is_valid_with_coverage(corpus: Path) -> None:
    report = validate_manifest(corpus)
    assert report.ok and report.warnings == [] and report.n_clips == 24 and report.n_speakers == 6
    assert report.label_coverage()["sex"] == {"clips": 24, "share": 1.0, "speakers": 6, "classes": 2}


def test_audio_problems_name_line_and_clip(corpus: Path) -> None:
    rows = _rows(corpus)
    audio = corpus.parent / "audio"
    sf.write(audio / "empty.wav", np.zeros(0, dtype=np.float32), 16000)
    sf.write(audio / "short.wav", np.zeros(1600, dtype=np.float32), 16000)  # 0.1 s
    (audio / "broken.wav").write_bytes(b"RIFF not really")
    rows[0]["audio_filepath"] = "audio/missing.wav"
    rows[1]["audio_filepath"] = "audio/broken.wav"
    rows[2]["audio_filepath"] = "audio/empty.wav"
    rows[3]["audio_filepath"] = "audio/short.wav"
    rows[4].update(offset=1.0, duration=1.0)  # the file is 1.6 s long
    rows[5].update(offset=2.0, duration=0.5)
    report = validate_manifest(_write(corpus, rows))
    text = [str(p) for p in report.problems]
    assert text[0] == f"{corpus}, line 1, field audio_filepath: {audio / 'missing.wav'}: file not found"
    assert text[1].startswith(f"{corpus}, line 2, field audio_filepath: {audio / 'broken.wav'}: unreadable")
    assert (
        text[2] == f"{corpus}, line 3, field audio_filepath: {audio / 'empty.wav'}: empty audio (0 samples)"
    )
    assert (
        text[3]
        == f"{corpus}, line 4, field duration: {audio / 'short.wav'}: 0.10 s is outside [0.3, 600.0] s"
    )
    assert text[4].endswith("segment 1-2 s runs past the end of the file (1.60 s)")
    assert text[5].endswith("offset 2 s is past the end of the file (1.60 s)")
    assert report.bad_lines == {1, 2, 3, 4, 5, 6}
    assert report.bad_clip_ids == {r["id"] for r in rows[:6]}


def test_stated_durations_are_checked_without_opening_audio(corpus: Path) -> None:
    rows = _rows(corpus)
    rows[0]["duration"], rows[1]["duration"], rows[2]["duration"] = 0, 900.0, 3.0
    _write(corpus, rows)
    report = validate_manifest(corpus, check_audio=False)
    assert [(p.line, p.message) for p in report.problems] == [
        (1, "duration is 0 s"),
        (2, "900.00 s is outside [0.3, 600.0] s"),
    ]
    # With the audio opened, the file decides; a stated duration that disagrees is a warning.
    checked = validate_manifest(corpus)
    assert checked.ok
    assert checked.warnings == [
        "3 clip(s) state a duration more than 0.5 s from their file's: m1-0 (states 0 s, "
        "file has 1.60 s), m1-1 (states 900 s, file has 1.60 s), m1-2 (states 3 s, "
        "file has 1.60 s)"
    ]


def test_duplicate_audio_by_content_names_both_ids_and_speakers(corpus: Path) -> None:
    rows = _rows(corpus)
    audio = corpus.parent / "audio"
    shutil.copy(audio / "m1-0.wav", audio / "copy.wav")
    rows[5]["audio_filepath"] = "audio/copy.wav"  # m2-1, another speaker
    rows[2]["audio_filepath"] = rows[1]["audio_filepath"]  # same speaker, same file
    rows.append({**rows[0]})  # the same id twice
    report = validate_manifest(_write(corpus, rows))
    assert [(p.line, p.message) for p in report.problems] == [
        (3, "same audio as clip 'm1-1' (line 2)"),
        (6, "same audio as clip 'm1-0' (line 1); across speakers 'm1' and 'm2'"),
        (25, "duplicate id 'm1-0' (first on line 1)"),
    ]
    assert report.bad_lines == {3, 6, 25}


def test_speakers_in_two_splits_thin_classes_and_conflicts_are_warnings(corpus: Path) -> None:
    rows = _rows(corpus)
    for row in rows:
        row["split"] = "train" if row["id"].endswith(("-0", "-1")) else "test"
    for row in rows:
        if row["speaker_id"] in {"m1", "m2"}:
            row["speaker_id"] = "m1"
            row["split"] = "train"
    rows[0]["labels"]["sex"] = "Female"  # m1 is now both
    rows[-1]["labels"]["language"] = "fr"  # one French speaker only
    report = validate_manifest(_write(corpus, rows))
    assert report.ok
    assert report.splits == {"train": 16, "test": 8}
    assert report.split_overlaps == {
        "f1": ["test", "train"],
        "f2": ["test", "train"],
        "f3": ["test", "train"],
        "m3": ["test", "train"],
    }
    assert report.warnings == [
        "language: class(es) fr have fewer than 2 speakers; speaker-disjoint estimates will exclude them",
        "4 speaker(s) appear in more than one split: f1 (test and train), f2 (test and train), "
        "f3 (test and train), m3 (test and train); a model tuned on one split has heard them in the other, "
        "or two speakers share an id",
        "sex: 1 speaker(s) have clips with different classes: m1",
    ]
    assert report.label_coverage()["language"] == {"clips": 24, "share": 1.0, "speakers": 5, "classes": 2}


def test_cli_json_and_exit_codes(corpus: Path) -> None:
    runner = CliRunner()
    clean = runner.invoke(app, ["validate", str(corpus), "--json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout)["ok"] is True
    rows = _rows(corpus)
    rows[0]["labels"]["language"] = "fr"
    _write(corpus, rows)
    assert runner.invoke(app, ["validate", str(corpus)]).exit_code == 0
    assert runner.invoke(app, ["validate", str(corpus), "--strict"]).exit_code == 3
    rows[1]["audio_filepath"] = "audio/nowhere.wav"
    _write(corpus, rows)
    failed = runner.invoke(app, ["validate", str(corpus), "--json"])
    report = json.loads(failed.stdout)
    assert failed.exit_code == 1 and report["ok"] is False and report["bad_lines"] == [2]
    assert report["problems"][0]["clip_id"] == "m1-1"
    assert report["problems"][0]["text"].endswith("nowhere.wav: file not found")
    assert report["label_coverage"]["language"]["classes"] == 2
    table = runner.invoke(app, ["validate", str(corpus)])
    assert table.exit_code == 1 and "file not found" in table.stdout  # the path may wrap at 80 columns
    assert "1 problem(s) in 1 line(s); `voiceleak run --skip-bad` leaves those lines out" in table.stdout


def _bad_corpus(corpus: Path) -> tuple[Path, list[str]]:
    rows = _rows(corpus)
    rows[0]["audio_filepath"] = "audio/missing.wav"
    (corpus.parent / "audio" / "m2-0.wav").write_bytes(b"corrupt")
    lines = [json.dumps(r) for r in rows] + ["{broken json"]
    corpus.write_text("\n".join(lines) + "\n")
    return corpus, ["m1-0", "m2-0"]


def test_a_run_refuses_an_invalid_corpus(corpus: Path, tmp_path: Path) -> None:
    manifest, _ = _bad_corpus(corpus)
    config = RunConfig(corpus=str(manifest), models=("uniform",), tasks=("attribute",))
    with pytest.raises(CorpusInvalidError, match="or run with --skip-bad to leave these 3 line"):
        Runner(config, RunOptions(out=tmp_path / "run", quiet=True))
    result = CliRunner().invoke(
        app, ["run", "-c", str(manifest), "-m", "uniform", "-o", str(tmp_path / "cli")]
    )
    assert result.exit_code == 2 and "--skip-bad" in result.output
    assert not (tmp_path / "cli" / "samples.jsonl").exists()


def test_skip_bad_runs_the_good_clips_and_lists_the_rest(corpus: Path, tmp_path: Path) -> None:
    manifest, bad_ids = _bad_corpus(corpus)
    listing = io.StringIO()
    clips = checked_clips(manifest, skip_bad=True, console=Console(file=listing, width=300))
    assert len(clips) == 22 and not {c.id for c in clips} & set(bad_ids)
    printed = listing.getvalue()
    assert "--skip-bad: leaving out 3 manifest line(s) that failed validation" in printed
    assert "missing.wav: file not found" in printed and "m2-0.wav: unreadable" in printed
    assert "line 25: not valid JSON" in printed
    config = RunConfig(corpus=str(manifest), models=("uniform",), tasks=("attribute",))
    out = tmp_path / "run"
    runner = Runner(
        config, RunOptions(out=out, quiet=True, skip_bad=True), console=Console(file=io.StringIO())
    )
    runner.execute()
    records = list(RunLog(out).records())
    assert {r.clip_id for r in records} == {c.id for c in clips}
    assert all(r.outcome != "error" for r in records)


def test_cli_run_skip_bad_flag(corpus: Path, tmp_path: Path) -> None:
    manifest, bad_ids = _bad_corpus(corpus)
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["run", "-c", str(manifest), "-m", "uniform", "-o", str(out), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert "--skip-bad: leaving out 3 manifest line(s)" in " ".join(result.stderr.split())
    assert not {r.clip_id for r in RunLog(out).records()} & set(bad_ids)
