"""Manifests of other toolkits: NeMo JSON lines and Lhotse cuts (plain or gzipped)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from import_fixtures import by_id, messages, run_import, write_audio


def _jsonl(rows: list[Any]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def test_nemo_fields_extra_keys_and_bad_lines(tmp_path: Path) -> None:
    corpus = tmp_path / "nemo"
    write_audio(corpus / "audio" / "a.wav", seconds=0.6, seed=1)
    long = write_audio(tmp_path / "elsewhere" / "long.wav", seconds=3.0, seed=2)
    manifest = corpus / "train_manifest.json"
    manifest.write_text(
        _jsonl(
            [
                {
                    "audio_filepath": "audio/a.wav",
                    "duration": 0.6,
                    "text": "hi",
                    "speaker": "s1",
                    "gender": "F",
                    "age": 34,
                    "emotion": "happy",
                    "pred_text": "hey",
                },
                {
                    "audio_filepath": str(long),
                    "duration": 1.0,
                    "offset": 0.5,
                    "text": "x",
                    "voice": "s2",
                    "lang": "en",
                    "tags": ["a", "b"],
                },
                "{not json",
                {"duration": 1.0},
                {"audio_filepath": "audio/c.wav", "duration": -1},
            ]
        )
    )
    summary, rows = run_import("nemo", manifest, tmp_path / "out", mapping={"speaker_id": "voice"})
    clips = by_id(rows)
    assert sorted(clips) == ["audio/a", "long#0.5"]
    first = clips["audio/a"]
    # emotion is a taxonomy attribute (a per-clip label), so it is mapped, not kept raw
    assert first["labels"] == {"sex": "Female", "age": "30-40", "emotion": "happy"}
    assert not first.get("raw_labels")
    assert first["speaker_id"] == "s1" and first["duration"] == 0.6 and first["text"] == "hi"
    segment = clips["long#0.5"]
    assert segment["speaker_id"] == "s2" and segment["offset"] == 0.5 and segment["duration"] == 1.0
    assert segment["labels"] == {"language": "en"}
    assert summary.notes["key 'tags' holds a list or object: not a label, left out"] == 1
    assert messages(summary) == [
        f"{manifest}, line 3: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        f"{manifest}, line 4, field audio_filepath: missing or empty audio_filepath",
        f"{manifest}, line 5, field duration: duration must be a non-negative number, got -1",
    ]


def _cut(
    cut_id: str, source: dict[str, Any], supervisions: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "id": cut_id,
        "start": 0.25,
        "duration": 0.5,
        "channel": 0,
        "supervisions": supervisions,
        "recording": {
            "id": f"rec-{cut_id}",
            "sources": [{"type": source["type"], "channels": [0], "source": source["source"]}],
            "sampling_rate": 16000,
            "num_samples": 16000,
            "duration": 1.0,
            "channel_ids": [0],
        },
        "type": "MonoCut",
        **extra,
    }


def test_lhotse_cuts_supervisions_custom_and_refusals(tmp_path: Path) -> None:
    corpus = tmp_path / "lhotse"
    write_audio(corpus / "recordings" / "r1.wav", seconds=1.0, seed=1)
    file_source = {"type": "file", "source": "recordings/r1.wav"}
    good = _cut(
        "c1",
        file_source,
        [
            {
                "id": "s1",
                "recording_id": "rec-c1",
                "start": 0.0,
                "duration": 0.5,
                "speaker": "spk1",
                "gender": "F",
                "language": "English",
                "text": "hello",
                "custom": {"age": 27, "native_language": "German", "scores": [1, 2]},
            }
        ],
    )
    two = _cut("c2", file_source, [{"id": "a", "speaker": "A", "text": "one"}, {"id": "b", "speaker": "B"}])
    url = _cut("c3", {"type": "url", "source": "https://example.org/a.wav"}, [])
    mixed = {"id": "c4", "type": "MixedCut", "tracks": []}
    cuts = corpus / "cuts.jsonl.gz"
    with gzip.open(cuts, "wt", encoding="utf-8") as handle:
        handle.write(_jsonl([good, two, url, mixed, "[1, 2]"]))
    summary, rows = run_import("lhotse", cuts, tmp_path / "out")
    assert [r["id"] for r in rows] == ["c1"]
    clip = rows[0]
    assert clip["labels"] == {"sex": "Female", "language": "en", "age": "20-30"}
    assert clip["raw_labels"] == {"native_language": "German"}
    assert clip["offset"] == 0.25 and clip["duration"] == 0.5 and clip["speaker_id"] == "spk1"
    assert clip["text"] == "hello" and clip["audio_filepath"].endswith("recordings/r1.wav")
    assert messages(summary) == [
        f"{cuts}, line 2, field supervisions: cut has supervisions from 2 speakers (A, B); "
        "split it into single-speaker cuts first",
        f"{cuts}, line 3, field recording: audio source of type 'url' is not supported (only 'file')",
        f"{cuts}, line 4, field type: MixedCut is not supported (only MonoCut: one recording, one channel)",
        f"{cuts}, line 5: a line must be a JSON object",
    ]
