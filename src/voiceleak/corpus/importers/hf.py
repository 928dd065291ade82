"""A Hugging Face dataset saved with `save_to_disk`, read with pyarrow alone (no `datasets`, no decoder).

The folder holds `data-*.arrow` (Arrow IPC streams), `dataset_info.json` (features) and `state.json`
(file order, split); a DatasetDict has `dataset_dict.json` and one such folder per split. The audio
column (`_type: Audio`) stores `{bytes, path}`: bytes are written out unchanged to
`<manifest folder>/audio/<split>/<id><ext>`, or the path is used when there are no bytes. ClassLabel
columns are stored as integers and read back as their names. Batches are streamed one at a time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceleak.corpus.importers.base import (
    AUDIO_SUFFIXES,
    Found,
    ImportContext,
    ImportSourceError,
    check_map,
    importers,
    is_scalar,
    takes_map,
)
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip

FIELDS = ("id", "audio_filepath", "text", "speaker_id")
TEXT_COLUMNS = ("text", "sentence", "transcription", "transcript", "normalized_text")
SPEAKER_COLUMNS = ("speaker_id", "speaker", "client_id")
MAGIC = (
    (b"RIFF", ".wav"),
    (b"fLaC", ".flac"),
    (b"OggS", ".ogg"),
    (b"ID3", ".mp3"),
    (b"\xff\xfb", ".mp3"),
    (b"\xff\xf3", ".mp3"),
    (b"NIST_1A", ".sph"),
)


@importers.register("hf", "Hugging Face dataset folder from save_to_disk (arrow files; needs pyarrow)")
@takes_map
def import_hf(ctx: ImportContext) -> Iterator[Found | Problem]:
    for split, folder in _splits(ctx.source):
        features = _features(folder)
        for arrow in _arrow_files(folder):
            columns: Columns | None = None
            for index, row in _rows(arrow):
                columns = columns or _columns(ctx, features, list(row), arrow)
                # The row number within the arrow file stands in for a line.
                yield _clip(ctx, columns, features, split, (str(arrow), index + 1), row)


def _splits(source: Path) -> list[tuple[str | None, Path]]:
    if (source / "dataset_dict.json").is_file():
        splits = json.loads((source / "dataset_dict.json").read_text())["splits"]
        return [(str(s), source / str(s)) for s in splits]
    if (source / "state.json").is_file() or list(source.glob("*.arrow")):
        state = _json(source / "state.json")
        return [(state.get("_split"), source)]
    raise ImportSourceError(
        f"{source}: not a save_to_disk folder (no dataset_dict.json, state.json or *.arrow)"
    )


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _features(folder: Path) -> dict[str, Any]:
    return dict(_json(folder / "dataset_info.json").get("features") or {})


def _arrow_files(folder: Path) -> list[Path]:
    listed = [folder / f["filename"] for f in _json(folder / "state.json").get("_data_files") or []]
    return listed or sorted(folder.glob("*.arrow"))


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row index, row) of one arrow file, one record batch in memory at a time."""
    try:
        import pyarrow as pa
    except ImportError as exc:
        raise ImportSourceError("the hf importer needs pyarrow: pip install 'voiceleak[hf]'") from exc
    with pa.memory_map(str(path), "r") as source:
        try:
            reader = pa.ipc.open_stream(source)  # what save_to_disk writes
        except pa.ArrowInvalid:
            source.seek(0)
            reader = pa.ipc.open_file(source)  # an Arrow file written by other tools
        batches = (
            (reader.get_batch(i) for i in range(reader.num_record_batches))
            if isinstance(reader, pa.ipc.RecordBatchFileReader)
            else reader
        )
        index = 0
        for batch in batches:
            for row in batch.to_pylist():
                yield index, row
                index += 1


@dataclass(frozen=True)
class Columns:
    """Which columns hold the audio, id, text and speaker: from --map, else the usual names."""

    audio: str
    id: str | None
    text: str | None
    speaker: str | None
    attributes: Mapping[str, str]  # column -> attribute named by --map

    @property
    def fields(self) -> set[str]:
        return {c for c in (self.audio, self.id, self.text, self.speaker) if c}


def _columns(ctx: ImportContext, features: Mapping[str, Any], names: list[str], arrow: Path) -> Columns:
    def pick(target: str, candidates: tuple[str, ...]) -> str | None:
        return ctx.mapping.get(target) or next((c for c in candidates if c in names), None)

    typed = [n for n, spec in features.items() if isinstance(spec, dict) and spec.get("_type") == "Audio"]
    audio = ctx.mapping.get("audio_filepath") or (typed[0] if typed else None) or pick("audio", ("audio",))
    if audio is None:
        raise ImportSourceError(
            f"{arrow}: no Audio column; give --map audio_filepath=COLUMN (columns: {', '.join(names)})"
        )
    return Columns(
        audio,
        pick("id", ("id",)),
        pick("text", TEXT_COLUMNS),
        pick("speaker_id", SPEAKER_COLUMNS),
        check_map(ctx, FIELDS),
    )


def _clip(
    ctx: ImportContext,
    columns: Columns,
    features: Mapping[str, Any],
    split: str | None,
    where: tuple[str, int],
    row: dict[str, Any],
) -> Found | Problem:
    stated_id = row.get(columns.id) if columns.id else None
    # The id names the extracted file, so it is made safe for a file name.
    clip_id = (
        re.sub(r"[^\w.\-]+", "_", str(stated_id))
        if stated_id is not None
        else f"{split or 'data'}-{where[1] - 1:07d}"
    )
    audio = _audio_file(ctx, row.get(columns.audio), split, clip_id)
    if isinstance(audio, str):
        return Problem(*where, columns.audio, audio, clip_id)
    labels = ctx.labels.row()
    for column, value in row.items():
        if column in columns.fields:
            continue
        value = _class_name(features.get(column), value)
        if is_scalar(value) or value is None:
            labels.stated(column, value, attribute=columns.attributes.get(column))
        else:
            ctx.note(f"column {column!r} holds a list or struct: not a label, left out")
    clip = Clip(
        id=clip_id,
        audio_path=audio,
        labels=labels.labels,
        raw_labels=labels.raw,
        split=split,
        speaker_id=_text(row.get(columns.speaker)) if columns.speaker else None,
        text=_text(row.get(columns.text)) if columns.text else None,
        provenance=f"Hugging Face dataset saved to disk: {ctx.source.name}{f' [{split}]' if split else ''}",
    )
    return Found(clip, *where)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _class_name(feature: Any, value: Any) -> Any:
    """ClassLabel columns hold integers; their names are in the features."""
    if isinstance(feature, dict) and feature.get("_type") == "ClassLabel" and isinstance(value, int):
        names = feature.get("names") or []
        return names[value] if 0 <= value < len(names) else value
    return value


def _audio_file(ctx: ImportContext, value: Any, split: str | None, clip_id: str) -> Path | str:
    """Where the clip's audio is on disk (written out from its bytes), or why there is none."""
    if isinstance(value, str):
        value = {"path": value, "bytes": None}
    if not isinstance(value, dict):
        return f"audio is {type(value).__name__}, expected {{bytes, path}}"
    data, original = value.get("bytes"), value.get("path")
    if data:
        suffix = Path(original).suffix.lower() if original else ""
        if suffix not in AUDIO_SUFFIXES:
            suffix = next((ext for magic, ext in MAGIC if data.startswith(magic)), ".bin")
        target = ctx.out_dir / "audio" / (split or "data") / f"{clip_id}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target
    if original:
        path = Path(original)
        path = path if path.is_absolute() else ctx.source / path
        return path if path.is_file() else f"no audio bytes, and the path {original!r} is not a file"
    return "no audio bytes and no path"
