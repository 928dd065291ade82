"""TIMIT: `DOC/SPKRINFO.TXT` plus `TRAIN|TEST/DR<n>/<sex><ID>/<utterance>.WAV` (NIST SPHERE).

SPKRINFO.TXT is whitespace-aligned, `;` starts a comment: `ID Sex DR Use RecDate BirthDate Ht Race
Edu Comments`. Dates are MM/DD/YY (19YY) and may be `??`; the age is RecDate - BirthDate in whole
years. Every speaker speaks American English, so `regional_accent` is en-US throughout.
Distributions differ in case (train/dr1/fcjf0/sa1.wav) and some add converted `SA1.WAV.wav` files,
which are preferred over the SPHERE originals when both exist.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from voiceleak.corpus.importers.base import (
    Found,
    ImportContext,
    Speakers,
    find_child,
    importers,
    require_file,
)
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip

COLUMNS = ("ID", "Sex", "DR", "Use", "RecDate", "BirthDate", "Ht", "Race", "Edu")
EDUCATION = {
    "HS": "High_School_or_Equivalent",
    "BS": "Bachelors_Degree",
    "MS": "Masters_Degree",
    "PHD": "Doctorate",
}  # AS (associate degree) has no class: kept raw
DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")


@importers.register("timit", "TIMIT: DOC/SPKRINFO.TXT + TRAIN|TEST/DR*/<sex><ID>/*.WAV")
def import_timit(ctx: ImportContext) -> Iterator[Found | Problem]:
    info = require_file(ctx.source, "SPKRINFO.TXT", 2, " (looked in DOC/ and below)")
    speakers: Speakers = {}
    yield from _read_speakers(ctx, info, speakers)
    root = ctx.source if ctx.source.is_dir() else info.parent.parent
    for split in ("TRAIN", "TEST"):
        split_dir = find_child(root, split)
        if split_dir is None:
            continue
        for region in sorted(p for p in split_dir.iterdir() if p.is_dir()):
            for speaker_dir in sorted(p for p in region.iterdir() if p.is_dir()):
                yield from _speaker_clips(ctx, speaker_dir, region.name.upper(), split.lower(), speakers)


def _read_speakers(ctx: ImportContext, info: Path, speakers: Speakers) -> Iterator[Problem]:
    with open(info, encoding="latin-1") as handle:  # 1990 ASCII; latin-1 never fails
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.lstrip().startswith(";"):
                continue
            fields = line.split()
            if len(fields) < len(COLUMNS):
                yield Problem(
                    str(info),
                    number,
                    None,
                    f"expected at least {len(COLUMNS)} fields ({' '.join(COLUMNS)}), got {len(fields)}",
                )
                continue
            values = dict(zip(COLUMNS, fields, strict=False))
            labels = ctx.labels.row()
            labels.stated("Sex", values["Sex"])
            labels.stated("age", _age(values["RecDate"], values["BirthDate"]))
            labels.stated(
                "Edu", values["Edu"], attribute="education", mapped=EDUCATION.get(values["Edu"].upper())
            )
            labels.label("regional_accent", "en-US")
            labels.label("language", "en")
            labels.keep("dialect_region", f"DR{values['DR']}")
            labels.keep("height", values["Ht"])
            labels.keep("race", values["Race"])
            if len(fields) > len(COLUMNS):
                labels.keep("comments", " ".join(fields[len(COLUMNS) :]))
            speakers[values["ID"].upper()] = (labels.labels, labels.raw)


def _age(recorded: str, born: str) -> int | None:
    """Whole years between two MM/DD/YY dates, or None if either is unknown (`??/??/??`)."""
    rec, birth = _date(recorded), _date(born)
    if rec is None or birth is None:
        return None
    return rec.year - birth.year - ((rec.month, rec.day) < (birth.month, birth.day))


def _date(text: str) -> dt.date | None:
    match = DATE.match(text)
    if match is None:
        return None
    month, day, year = (int(g) for g in match.groups())
    try:
        return dt.date(year + 1900 if year < 100 else year, month, day)
    except ValueError:
        return None


def _speaker_clips(
    ctx: ImportContext, folder: Path, region: str, split: str, speakers: Speakers
) -> Iterator[Found | Problem]:
    name = folder.name.upper()
    labels, raw = speakers.get(name[1:], ({}, {}))
    if name[1:] not in speakers:
        ctx.note("clips of speakers absent from SPKRINFO.TXT (imported without labels)")
    for utterance, audio in _utterances(folder):
        clip = Clip(
            id=f"{name}_{utterance}",
            audio_path=audio,
            speaker_id=name,
            labels=dict(labels),
            raw_labels=dict(raw),
            text=_transcript(audio.parent, utterance),
            split=split,
            provenance=f"TIMIT (LDC93S1), {split.upper()}/{region}/{name}",
            license="LDC User Agreement",
        )
        yield Found(clip, str(audio))


def _utterances(folder: Path) -> Iterator[tuple[str, Path]]:
    """(utterance, audio) per utterance, preferring a converted X.WAV.wav over the SPHERE X.WAV."""
    chosen: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.name.lower().endswith(".wav"):
            continue
        utterance = path.name.split(".")[0].upper()
        if utterance not in chosen or path.name.count(".") > chosen[utterance].name.count("."):
            chosen[utterance] = path
    yield from sorted(chosen.items())


def _transcript(folder: Path, utterance: str) -> str | None:
    """The text of X.TXT, whose line starts with the first and last sample: `0 46797 She had ...`."""
    path = find_child(folder, f"{utterance}.TXT")
    if path is None:
        return None
    parts = path.read_text(encoding="latin-1").split(maxsplit=2)
    return parts[2].strip() if len(parts) == 3 else None
