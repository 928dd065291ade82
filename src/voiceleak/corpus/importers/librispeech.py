"""LibriSpeech: `SPEAKERS.TXT` plus `<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<n>.flac`.

SPEAKERS.TXT is pipe-separated with `;` comments: `;ID |SEX| SUBSET |MINUTES| NAME`. A reader's
name may itself contain pipes (speaker 60 is `|CBW|Simon`), so a row is split four times at most.
Each chapter folder has `<speaker>-<chapter>.trans.txt`, one `<utterance> TEXT` per line.
The subset folder the audio sits in (train-clean-100, dev-clean ...) is recorded as the split.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from voiceleak.corpus.importers.base import (
    Found,
    ImportContext,
    Speakers,
    importers,
    open_text,
    require_file,
)
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip

SUBSET = re.compile(r"^(train|dev|test)-(clean|other)(-\d+)?$")


@importers.register(
    "librispeech", "LibriSpeech: SPEAKERS.TXT + <subset>/<speaker>/<chapter>/*.flac + *.trans.txt"
)
def import_librispeech(ctx: ImportContext) -> Iterator[Found | Problem]:
    info = require_file(ctx.source, "SPEAKERS.TXT", 1)
    speakers: Speakers = {}
    yield from _read_speakers(ctx, info, speakers)
    root = info.parent
    for subset in sorted(p for p in root.iterdir() if p.is_dir() and SUBSET.match(p.name)):
        for speaker_dir in sorted((p for p in subset.iterdir() if p.is_dir()), key=lambda p: p.name):
            for chapter in sorted(p for p in speaker_dir.iterdir() if p.is_dir()):
                yield from _chapter(ctx, chapter, subset.name, speakers)


def _read_speakers(ctx: ImportContext, info: Path, speakers: Speakers) -> Iterator[Problem]:
    with open_text(info, ctx) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(";"):
                continue
            fields = [f.strip() for f in line.split("|", 4)]
            if len(fields) < 5 or not fields[0].isdigit():
                yield Problem(
                    str(info),
                    number,
                    None,
                    f"expected ID | SEX | SUBSET | MINUTES | NAME, got {line.strip()!r}",
                )
                continue
            labels = ctx.labels.row()
            labels.stated("SEX", fields[1], attribute="sex")
            labels.keep("name", fields[4])
            labels.label("language", "en")
            speakers[fields[0]] = (labels.labels, labels.raw)


def _chapter(ctx: ImportContext, chapter: Path, subset: str, speakers: Speakers) -> Iterator[Found | Problem]:
    speaker = chapter.parent.name
    texts = _transcripts(chapter / f"{speaker}-{chapter.name}.trans.txt")
    labels, raw = speakers.get(speaker, ({}, {}))
    if speaker not in speakers:
        ctx.note("clips of speakers absent from SPEAKERS.TXT (imported without labels)")
    for audio in sorted(chapter.glob("*.flac")):
        if audio.stem not in texts:
            ctx.note("clips without a line in their chapter's trans.txt (imported without text)")
        clip = Clip(
            id=audio.stem,
            audio_path=audio,
            speaker_id=speaker,
            labels=dict(labels),
            raw_labels=dict(raw),
            text=texts.get(audio.stem),
            split=subset,
            license="CC-BY-4.0",
            provenance=f"LibriSpeech (Panayotov et al. 2015), {subset}/{speaker}/{chapter.name}",
        )
        yield Found(clip, str(audio))


def _transcripts(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        utterance, _, text = line.strip().partition(" ")
        if utterance:
            out[utterance] = text
    return out
