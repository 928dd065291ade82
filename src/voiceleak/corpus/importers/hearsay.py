"""HearSay's label layout: `dataset/label/<Attribute>/<Class>.csv`, one CSV per class.

Each CSV has the header `name,value,file_path` (often after a UTF-8 BOM) and rows like
`Arabic_001.mp3,Arabic,./dataset/audio/Accent/Arabic/Arabic_001.mp3`, the path relative to the
folder that holds `dataset/`. Attribute folders are named as HearSay names them (gender, Weight,
Social_Stratum ...) and resolve through the taxonomy's aliases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from voiceleak.corpus.importers.base import (
    Found,
    ImportContext,
    ImportSourceError,
    Row,
    importers,
    read_table,
    relative_id,
)
from voiceleak.corpus.importers.labels import norm_key
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip


@importers.register(
    "hearsay", "HearSay label files: dataset/label/<Attribute>/<Class>.csv (name,value,file_path)"
)
def import_hearsay(ctx: ImportContext) -> Iterator[Found | Problem]:
    root = _root(ctx.source)
    clips = 0
    for attribute_dir in sorted(p for p in (root / "dataset" / "label").iterdir() if p.is_dir()):
        for class_file in sorted(attribute_dir.glob("*.csv")):
            for row in read_table(class_file, ctx, ","):
                item = row if isinstance(row, Problem) else _clip(ctx, root, attribute_dir.name, class_file, row)
                clips += isinstance(item, Found)
                yield item
    if clips:
        # HearSay's label files name no speaker: say so where the user looks, not only in validate.
        ctx.note(NO_SPEAKER_IDS, clips)


NO_SPEAKER_IDS = ("WARNING: HearSay's label files name no speaker, so these clips have no speaker_id and each "
                  "counts as its own speaker: every interval then resamples clips, not people (too narrow), "
                  "and the voiceprint probe cannot hold speakers out. Add \"speaker_id\" to each manifest "
                  "line from a speaker list if you have one")


def _root(source: Path) -> Path:
    """The folder holding `dataset/`; the user may point at it, at `dataset/` or at `dataset/label/`."""
    for candidate in (source, source.parent, source.parent.parent):
        if (candidate / "dataset" / "label").is_dir():
            return candidate
    raise ImportSourceError(f"{source}: no dataset/label/<Attribute>/<Class>.csv folders here")


def _clip(ctx: ImportContext, root: Path, attribute: str, class_file: Path, row: Row) -> Found | Problem:
    path_text = (row.values.get("file_path") or "").replace("\\", "/")  # exports from Windows
    if not path_text:
        return Problem(row.file, row.line, "file_path", "empty file_path")
    value = row.values.get("value") or class_file.stem
    if norm_key(value) != norm_key(class_file.stem):
        return Problem(
            row.file, row.line, "value", f"value {value!r} contradicts the class file {class_file.name}"
        )
    relative = PurePosixPath(path_text)
    audio = Path(relative) if relative.is_absolute() else root / relative
    labels = ctx.labels.row()
    labels.stated(attribute, value)
    audio_root = root / "dataset" / "audio"
    clip = Clip(
        id=relative_id(audio, audio_root if audio.is_relative_to(audio_root) else root),
        audio_path=audio,
        labels=labels.labels,
        raw_labels=labels.raw,
        provenance=f"HearSay label file {class_file.relative_to(root).as_posix()}",
    )
    return Found(clip, row.file, row.line)
