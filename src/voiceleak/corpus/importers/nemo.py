"""NeMo manifests: JSON lines with `audio_filepath`, `duration`, optional `offset`, `text`, and
whatever else the dataset added (`speaker`, `gender`, `age`, `lang`, `emotion` ...).

Extra keys that name a taxonomy attribute become labels where their value maps; every other
scalar key is kept raw. Relative paths resolve against the manifest's folder. `--map` renames
keys, as for the csv importer (`--map speaker_id=spk`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from voiceleak.corpus.importers.base import (
    Found,
    ImportContext,
    ImportSourceError,
    check_map,
    importers,
    is_scalar,
    read_json_lines,
    relative_id,
    takes_map,
)
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip

FIELDS = ("id", "audio_filepath", "duration", "offset", "text", "speaker_id")
SPEAKER_KEYS = ("speaker_id", "speaker", "spk_id", "spk")
NOT_LABELS = frozenset({"pred_text", "normalized_text", "answer", "question", "context"})


@importers.register("nemo", "NeMo manifest (JSON lines: audio_filepath, duration, offset, text, ...)")
@takes_map
def import_nemo(ctx: ImportContext) -> Iterator[Found | Problem]:
    if not ctx.source.is_file():
        raise ImportSourceError(f"{ctx.source}: give the manifest file (JSON lines), not a folder")
    attributes = check_map(ctx, FIELDS)  # key -> attribute the user named for it
    renames = {key: target for target, key in ctx.mapping.items() if target in FIELDS}
    for item in read_json_lines(ctx.source):
        if isinstance(item, Problem):
            yield item
            continue
        number, row = item
        row = {renames.get(k, k): v for k, v in row.items()}  # clip fields only; label keys keep their names
        yield _clip(ctx, number, row, attributes)


def _clip(
    ctx: ImportContext, number: int, row: Mapping[str, Any], attributes: Mapping[str, str]
) -> Found | Problem:
    source = str(ctx.source)
    path = row.get("audio_filepath")
    if not isinstance(path, str) or not path.strip():
        return Problem(source, number, "audio_filepath", "missing or empty audio_filepath")
    numbers: dict[str, float | None] = {}
    for key in ("duration", "offset"):
        value = row.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool) or value < 0):
            return Problem(source, number, key, f"{key} must be a non-negative number, got {value!r}")
        numbers[key] = float(value) if value is not None else None
    audio = Path(path)
    audio = audio if audio.is_absolute() else ctx.source.parent / audio
    offset = numbers["offset"] or 0.0
    clip_id = row.get("id") or relative_id(audio, ctx.source.parent) + (f"#{offset:g}" if offset else "")
    speaker = next((row[k] for k in SPEAKER_KEYS if is_scalar(row.get(k))), None)
    labels = ctx.labels.row()
    for key, value in row.items():
        if key in FIELDS or key in SPEAKER_KEYS or key in NOT_LABELS:
            continue
        if is_scalar(value):
            labels.stated(key, value, attribute=attributes.get(key))
        else:
            ctx.note(f"key {key!r} holds a list or object: not a label, left out")
    clip = Clip(
        id=str(clip_id),
        audio_path=audio,
        speaker_id=str(speaker) if speaker is not None else None,
        labels=labels.labels,
        raw_labels=labels.raw,
        text=str(row["text"]) if is_scalar(row.get("text")) else None,
        duration=numbers["duration"],
        offset=offset,
        provenance=f"NeMo manifest {ctx.source.name}",
    )
    return Found(clip, source, number)
