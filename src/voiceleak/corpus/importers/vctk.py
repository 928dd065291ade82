"""VCTK: `speaker-info.txt` plus `wav48*/<speaker>/<speaker>_<n>[_mic1|_mic2].wav|flac` and `txt/`.

speaker-info.txt is whitespace-aligned, `ID AGE GENDER ACCENTS REGION COMMENTS`: REGION may be
several words ("Southern England"), COMMENTS start with "(", some rows stop after ACCENTS. Release
0.80 writes ids as `225`, 0.92 as `p225` (and `s5`). 0.92 has two microphones per utterance; mic1
is imported and mic2 counted as skipped, since the same utterance twice would be a near-duplicate.
Speakers with a native English accent get HearSay's accent group English.
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
    require_file,
    walk_files,
)
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip

ACCENT_REGION = {
    "english": "en-GB",
    "british": "en-GB",
    "scottish": "en-GB-SCT",
    "irish": "en-IE",
    "american": "en-US",
    "canadian": "en-CA",
    "australian": "en-AU",
    "indian": "en-IN",
}
#: VCTK's accents of native English speakers: HearSay's accent group English
NATIVE_ENGLISH = frozenset(
    {
        "english",
        "british",
        "scottish",
        "irish",
        "northernirish",
        "welsh",
        "american",
        "canadian",
        "australian",
        "newzealand",
        "southafrican",
    }
)
AUDIO = re.compile(r"^(?P<speaker>[ps]?\d+)_(?P<n>\d+)(?:_(?P<mic>mic\d))?$")


@importers.register("vctk", "VCTK 0.80/0.92: speaker-info.txt + wav48*/<speaker>/*.wav|flac + txt/")
def import_vctk(ctx: ImportContext) -> Iterator[Found | Problem]:
    info = require_file(ctx.source, "speaker-info.txt", 1)
    speakers: Speakers = {}
    yield from _read_speakers(ctx, info, speakers)
    root = info.parent
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name.lower().startswith("wav")):
        for audio in walk_files(folder, frozenset({".wav", ".flac"})):
            item = _clip(ctx, root, audio, speakers)
            if item is not None:
                yield item


def speaker_key(text: str) -> str:
    """`225` (0.80) and `p225` (0.92) name the same speaker."""
    return f"p{text}" if text.isdigit() else text.lower()


def _read_speakers(ctx: ImportContext, info: Path, speakers: Speakers) -> Iterator[Problem]:
    with open(info, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields or fields[0].upper() == "ID":
                continue
            if len(fields) < 3 or not re.fullmatch(r"[ps]?\d+", fields[0]):
                yield Problem(
                    str(info),
                    number,
                    None,
                    f"expected ID AGE GENDER [ACCENTS REGION (COMMENTS)], got {line.strip()!r}",
                )
                continue
            rest = fields[4:]
            cut = next((i for i, word in enumerate(rest) if word.startswith("(")), len(rest))
            labels = ctx.labels.row()
            labels.stated("AGE", fields[1], attribute="age")
            labels.stated("GENDER", fields[2], attribute="sex")
            accent = fields[3] if len(fields) > 3 else None
            region = ACCENT_REGION.get((accent or "").lower())
            if region:
                labels.stated("ACCENTS", accent, attribute="regional_accent", mapped=region)
            else:
                labels.keep("ACCENTS", accent)
            if (accent or "").lower() in NATIVE_ENGLISH:
                labels.label("accent", "English")
            labels.label("language", "en")
            labels.keep("home_region", " ".join(rest[:cut]) or None)
            labels.keep("comments", " ".join(rest[cut:]).strip("()") or None)
            speakers[speaker_key(fields[0])] = (labels.labels, labels.raw)


def _clip(ctx: ImportContext, root: Path, audio: Path, speakers: Speakers) -> Found | Problem | None:
    match = AUDIO.match(audio.stem)
    if match is None:
        return Problem(str(audio), None, None, "file name is not <speaker>_<n>[_mic1|_mic2]")
    if match["mic"] == "mic2":
        ctx.note("mic2 recordings skipped (the same utterances as mic1)")
        return None
    speaker = speaker_key(match["speaker"])
    labels, raw = speakers.get(speaker, ({}, {}))
    if speaker not in speakers:
        ctx.note("clips of speakers absent from speaker-info.txt (imported without labels)")
    utterance = f"{speaker}_{match['n']}"
    text_file = root / "txt" / audio.parent.name / f"{audio.parent.name}_{match['n']}.txt"
    clip = Clip(
        id=utterance,
        audio_path=audio,
        speaker_id=speaker,
        labels=dict(labels),
        raw_labels=dict(raw),
        text=text_file.read_text(encoding="utf-8", errors="replace").strip() if text_file.is_file() else None,
        provenance=f"CSTR VCTK corpus, {audio.parent.parent.name}/{audio.parent.name}",
        license="CC-BY-4.0",
    )
    return Found(clip, str(audio))
