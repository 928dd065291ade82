"""VoxCeleb1 and VoxCeleb2: speaker metadata plus `<id>/<video>/<n>.wav` (or `.m4a`) audio.

`vox1_meta.csv` is tab-separated despite its name: `VoxCeleb1 ID, VGGFace1 ID, Gender, Nationality,
Set`, the VGGFace1 ID being the celebrity's name with underscores. `vox2_meta.csv` is
comma-separated with every field padded by spaces: `VoxCeleb2 ID, VGGFace2 ID, Gender, Set`.
Nationality is not an accent; it is kept raw, and mapped to a regional accent only for the
English-speaking countries whose nationals, in these English interviews, speak that variety.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from voiceleak.corpus.importers.base import (
    Found,
    ImportContext,
    ImportSourceError,
    Row,
    column,
    find_file,
    importers,
    read_table,
    walk_files,
)
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip

SPEAKER_ID = re.compile(r"^id\d+$")
META_FILES = ("vox1_meta.csv", "vox2_meta.csv")
NATIONALITY_REGION = {
    "usa": "en-US",
    "uk": "en-GB",
    "ireland": "en-IE",
    "australia": "en-AU",
    "india": "en-IN",
}
LICENSE = "CC-BY-SA-4.0"  # the metadata; the audio stays with its YouTube uploaders


@dataclass(frozen=True)
class Speaker:
    labels: dict[str, str]
    raw: dict[str, str]
    split: str | None
    version: str


@importers.register("voxceleb", "VoxCeleb1/2: vox1_meta.csv and/or vox2_meta.csv + wav|aac/<id>/<video>/<n>")
def import_voxceleb(ctx: ImportContext) -> Iterator[Found | Problem]:
    metas = [m for m in (find_file(ctx.source, name, 1) for name in META_FILES) if m is not None]
    if not metas:
        raise ImportSourceError(f"{ctx.source}: neither vox1_meta.csv nor vox2_meta.csv found")
    speakers: dict[str, Speaker] = {}  # a few thousand speakers: held, unlike the clips
    for meta in metas:
        for row in read_table(meta, ctx):
            if isinstance(row, Problem):
                yield row
                continue
            parsed = _speaker(ctx, row, "VoxCeleb2" if meta.name.startswith("vox2") else "VoxCeleb1")
            if isinstance(parsed, Problem):
                yield parsed
            else:
                speakers[parsed[0]] = parsed[1]
    root = ctx.source if ctx.source.is_dir() else ctx.source.parent
    for audio in walk_files(root):
        yield _clip(ctx, audio, speakers)


def _speaker(ctx: ImportContext, row: Row, version: str) -> tuple[str, Speaker] | Problem:
    values = row.values
    speaker = column(values, "VoxCeleb1 ID", "VoxCeleb2 ID") or ""
    if not SPEAKER_ID.match(speaker):
        return Problem(row.file, row.line, "VoxCeleb ID", f"not a VoxCeleb speaker id: {speaker!r}")
    labels = ctx.labels.row()
    labels.stated("Gender", column(values, "Gender"))
    name = column(values, "VGGFace1 ID")
    if name is not None:
        labels.keep("name", name.replace("_", " "))
    elif (face := column(values, "VGGFace2 ID")) is not None:
        labels.keep("vggface2_id", face)
    nationality = column(values, "Nationality")
    if nationality is not None:
        labels.keep("nationality", nationality)
        region = NATIONALITY_REGION.get(nationality.strip().lower())
        if region:
            labels.label("regional_accent", region)
    split = (column(values, "Set") or "").lower() or None
    return speaker, Speaker(labels.labels, labels.raw, split, version)


def _clip(ctx: ImportContext, audio: Path, speakers: dict[str, Speaker]) -> Found | Problem:
    parts = audio.parts
    if len(parts) < 3 or not SPEAKER_ID.match(parts[-3]):
        return Problem(str(audio), None, None, "not in the <id>/<video>/<n> layout of VoxCeleb")
    speaker_id, video = parts[-3], parts[-2]
    speaker = speakers.get(speaker_id)
    if speaker is None:
        ctx.note("clips of speakers absent from the meta file (imported without labels)")
    if audio.suffix.lower() == ".m4a":
        ctx.note("VoxCeleb2 .m4a clips (AAC: convert to WAV before a run; soundfile cannot read them)")
    clip = Clip(
        id=f"{speaker_id}/{video}/{audio.stem}",
        audio_path=audio,
        speaker_id=speaker_id,
        labels=dict(speaker.labels) if speaker else {},
        raw_labels=dict(speaker.raw) if speaker else {},
        provenance=f"{speaker.version if speaker else 'VoxCeleb'}, YouTube video {video}",
        license=LICENSE,
        split=speaker.split if speaker else _folder_split(parts),
    )
    return Found(clip, str(audio))


def _folder_split(parts: tuple[str, ...]) -> str | None:
    """dev/ or test/ above the audio (vox2_dev_aac/dev/aac/...), for speakers the meta lacks."""
    for part in reversed(parts[:-3]):
        if part.lower() in {"dev", "test"}:
            return part.lower()
    return None
