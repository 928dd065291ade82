"""A Hugging Face DatasetDict saved with save_to_disk, built with pyarrow as `datasets` lays it out."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import soundfile as sf

from import_fixtures import by_id, messages, run_import, write_audio

FEATURES = {
    "audio": {"sampling_rate": 16000, "decode": True, "_type": "Audio"},
    "text": {"dtype": "string", "_type": "Value"},
    "speaker_id": {"dtype": "string", "_type": "Value"},
    "gender": {"names": ["male", "female"], "_type": "ClassLabel"},
    "age": {"dtype": "string", "_type": "Value"},
    "up_votes": {"dtype": "int64", "_type": "Value"},
    "tags": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "Sequence"},
}
AUDIO_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
SCHEMA = pa.schema(
    [
        ("audio", AUDIO_TYPE),
        ("text", pa.string()),
        ("speaker_id", pa.string()),
        ("gender", pa.int64()),
        ("age", pa.string()),
        ("up_votes", pa.int64()),
        ("tags", pa.list_(pa.string())),
    ],
    metadata={"huggingface": json.dumps({"info": {"features": FEATURES}})},
)


def _encoded(seed: int, fmt: str) -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(seed)
    sf.write(buffer, rng.normal(0, 0.1, 8000).astype(np.float32), 16000, format=fmt)
    return buffer.getvalue()


def _split(folder: Path, name: str, batches: list[list[dict[str, Any]]]) -> None:
    folder.mkdir(parents=True)
    with (
        pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink,
        pa.ipc.new_stream(sink, SCHEMA) as w,
    ):
        for rows in batches:  # several record batches, as datasets writes them
            w.write_batch(pa.RecordBatch.from_pylist(rows, schema=SCHEMA))
    (folder / "dataset_info.json").write_text(json.dumps({"features": FEATURES, "splits": {}}))
    (folder / "state.json").write_text(
        json.dumps(
            {
                "_data_files": [{"filename": "data-00000-of-00001.arrow"}],
                "_fingerprint": "abc",
                "_split": name,
            }
        )
    )


def _row(audio: dict[str, Any], speaker: str, gender: int, age: str, text: str = "hello") -> dict[str, Any]:
    return {
        "audio": audio,
        "text": text,
        "speaker_id": speaker,
        "gender": gender,
        "age": age,
        "up_votes": 2,
        "tags": ["x"],
    }


def test_dataset_dict_bytes_are_written_out_and_labels_mapped(tmp_path: Path) -> None:
    root = tmp_path / "saved"
    existing = write_audio(tmp_path / "raw" / "kept.wav", seed=9)
    _split(
        root / "train",
        "train",
        [
            [_row({"bytes": _encoded(1, "WAV"), "path": "clip_0.wav"}, "s1", 0, "twenties")],
            [
                _row({"bytes": _encoded(2, "FLAC"), "path": None}, "s2", 1, "nineties"),
                _row({"bytes": None, "path": str(existing)}, "s3", 1, ""),
            ],
        ],
    )
    _split(root / "test", "test", [[_row({"bytes": None, "path": "missing.wav"}, "s4", 0, "thirties")]])
    (root / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    out = tmp_path / "out"
    summary, rows = run_import("hf", root, out)
    clips = by_id(rows)
    assert sorted(clips) == ["train-0000000", "train-0000001", "train-0000002"]
    first = clips["train-0000000"]
    assert first["audio_filepath"] == "audio/train/train-0000000.wav"
    assert first["labels"] == {"sex": "Male", "age": "20-30"}  # ClassLabel 0 -> "male"
    assert (
        first["raw_labels"] == {"up_votes": "2"} and first["speaker_id"] == "s1" and first["text"] == "hello"
    )
    assert first["split"] == "train" and first["duration"] == 0.5
    assert (out / "audio" / "train" / "train-0000000.wav").read_bytes() == _encoded(1, "WAV")
    # No file name: the format is told by the bytes.
    assert clips["train-0000001"]["audio_filepath"] == "audio/train/train-0000001.flac"
    assert clips["train-0000001"]["raw_labels"]["age"] == "nineties"
    assert Path(clips["train-0000002"]["audio_filepath"]).resolve() == existing.resolve()
    assert summary.notes["column 'tags' holds a list or struct: not a label, left out"] == 3
    test_file = root / "test" / "data-00000-of-00001.arrow"
    assert messages(summary) == [
        f"{test_file}, line 1, field audio: no audio bytes, and the path 'missing.wav' is not a file"
    ]


def test_single_split_folder_with_a_mapping(tmp_path: Path) -> None:
    root = tmp_path / "one"
    _split(root, "validation", [[_row({"bytes": _encoded(3, "WAV"), "path": "a.wav"}, "s1", 1, "40")]])
    _, rows = run_import("hf", root, tmp_path / "out", mapping={"id": "text", "accent": "age"})
    assert rows[0]["id"] == "hello" and rows[0]["split"] == "validation"
    # --map accent=age: the mapped column is read as that attribute; "40" is no accent, so it stays raw.
    assert rows[0]["raw_labels"]["age"] == "40" and rows[0]["labels"] == {"sex": "Female"}
