from __future__ import annotations

import json
from pathlib import Path

import pytest

from voiceleak.corpus.manifest import ManifestError, Problem, iter_manifest, load_manifest, write_manifest
from voiceleak.corpus.validate import validate_manifest


def _lines(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_reads_relative_paths_and_canonical_labels(corpus: Path) -> None:
    clips = load_manifest(corpus)
    assert len(clips) == 24
    assert clips[0].audio_path == corpus.parent / "audio" / "m1-0.wav"
    assert clips[0].labels == {"sex": "Male", "language": "en"}


def test_round_trip_keeps_every_field(corpus: Path, tmp_path: Path) -> None:
    clips = load_manifest(corpus)
    out = tmp_path / "elsewhere" / "m.jsonl"
    write_manifest(out, clips)
    again = load_manifest(out)
    assert [c.audio_path.resolve() for c in again] == [c.audio_path.resolve() for c in clips]
    assert [(c.id, c.speaker_id, dict(c.labels), c.text) for c in again] == \
        [(c.id, c.speaker_id, dict(c.labels), c.text) for c in clips]


@pytest.mark.parametrize(("row", "field", "message"), [
    ("{not json", None, "not valid JSON"),
    ('["a list"]', None, "must be a JSON object"),
    ({"audio_filepath": "a.wav"}, "id", "missing"),
    ({"id": "x", "audio_filepath": "a.wav", "labels": {"hair": "red"}}, "labels.hair", "unknown attribute 'hair'"),
    ({"id": "x", "audio_filepath": "a.wav", "labels": {"gendr": "Male"}}, "labels.gendr", "did you mean"),
    ({"id": "x", "audio_filepath": "a.wav", "labels": {"sex": "robot"}}, "labels.sex", "not a class of sex"),
    ({"id": "x", "audio_filepath": "a.wav", "duration": -1}, "duration", "non-negative"),
])
def test_bad_lines_name_the_line_and_field(tmp_path: Path, row: object, field: str | None, message: str) -> None:
    good = {"id": "ok", "audio_filepath": "a.wav"}
    path = _lines(tmp_path / "m.jsonl", [good, row])
    problems = [p for p in iter_manifest(path) if isinstance(p, Problem)]
    assert len(problems) == 1
    assert problems[0].line == 2 and problems[0].field == field
    assert message in problems[0].message
    assert "m.jsonl, line 2" in str(problems[0])
    with pytest.raises(ManifestError, match="line 2"):
        load_manifest(path)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    rows = [{"id": "a", "audio_filepath": "1.wav"}, {"id": "a", "audio_filepath": "2.wav"}]
    path = _lines(tmp_path / "m.jsonl", rows)
    with pytest.raises(ManifestError, match="duplicate id 'a'"):
        load_manifest(path)


def test_validate_reports_missing_and_corrupt_audio_and_coverage(corpus: Path) -> None:
    rows = [json.loads(line) for line in corpus.read_text().splitlines()]
    rows[0]["audio_filepath"] = "audio/missing.wav"
    (corpus.parent / "audio" / "broken.wav").write_bytes(b"not audio at all")
    rows[1]["audio_filepath"] = "audio/broken.wav"
    _lines(corpus, rows)
    report = validate_manifest(corpus)
    messages = [str(p) for p in report.problems]
    assert any("missing.wav: file not found" in m for m in messages)
    assert any("broken.wav: unreadable or corrupt" in m for m in messages)
    assert report.bad_clip_ids == {rows[0]["id"], rows[1]["id"]}
    assert report.coverage["sex"]["Male"] == (12, 3)
    assert not report.ok
