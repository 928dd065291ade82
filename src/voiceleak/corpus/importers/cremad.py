"""CREMA-D: `VideoDemographics.csv` (ActorID, Age, Sex, Race, Ethnicity) and
`AudioWAV/<ActorID>_<Sentence>_<Emotion>_<Level>.wav`.

Ages go to the taxonomy's bins; race and ethnicity are kept raw. The acted emotion in the file name
is a label of the clip (not of the actor: every actor speaks every emotion), mapped to the taxonomy's
`emotion`; its code and intensity stay raw. The twelve sentences are known, so each clip gets its
transcript.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from voiceleak.corpus.importers.base import (
    Found,
    ImportContext,
    Row,
    Speakers,
    column,
    find_child,
    importers,
    read_table,
    require_file,
    walk_files,
)
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip

FILE_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")
SENTENCES = {
    "IEO": "It's eleven o'clock.",
    "TIE": "That is exactly what happened.",
    "IOM": "I'm on my way to the meeting.",
    "IWW": "I wonder what this is about.",
    "TAI": "The airplane is almost full.",
    "MTI": "Maybe tomorrow it will be cold.",
    "IWL": "I would like a new alarm clock.",
    "ITH": "I think I have a doctor's appointment.",
    "DFA": "Don't forget a jacket.",
    "ITS": "I think I've seen this before.",
    "TSI": "The surface is slick.",
    "WSI": "We'll stop in a couple of minutes.",
}
EMOTIONS = {"ANG": "angry", "DIS": "disgusted", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}


@importers.register(
    "cremad", "CREMA-D: VideoDemographics.csv + AudioWAV/<Actor>_<Sentence>_<Emotion>_<Level>.wav"
)
def import_cremad(ctx: ImportContext) -> Iterator[Found | Problem]:
    demographics = require_file(ctx.source, "VideoDemographics.csv", 1)
    actors: Speakers = {}  # 91 actors
    for row in read_table(demographics, ctx):
        parsed = row if isinstance(row, Problem) else _actor(ctx, row)
        if isinstance(parsed, Problem):
            yield parsed
        else:
            actors[parsed[0]] = parsed[1]
    root = demographics.parent
    audio_dir = find_child(root, "AudioWAV") or root
    for audio in walk_files(audio_dir, frozenset({".wav"})):
        yield _clip(ctx, audio, actors)


def _actor(ctx: ImportContext, row: Row) -> tuple[str, tuple[dict[str, str], dict[str, str]]] | Problem:
    actor = column(row.values, "ActorID") or ""
    if not actor.isdigit():
        return Problem(row.file, row.line, "ActorID", f"ActorID must be a number, got {actor!r}")
    labels = ctx.labels.row()
    labels.stated("Age", column(row.values, "Age"))
    labels.stated("Sex", column(row.values, "Sex"))
    labels.keep("race", column(row.values, "Race"))
    labels.keep("ethnicity", column(row.values, "Ethnicity"))
    return actor, (labels.labels, labels.raw)


def _clip(
    ctx: ImportContext, audio: Path, actors: dict[str, tuple[dict[str, str], dict[str, str]]]
) -> Found | Problem:
    match = FILE_NAME.match(audio.stem)
    if match is None:
        return Problem(str(audio), None, None, "file name is not <ActorID>_<Sentence>_<Emotion>_<Level>.wav")
    actor, sentence, emotion, level = match.groups()
    labels, raw = actors.get(actor, ({}, {}))
    if actor not in actors:
        ctx.note("clips of actors absent from VideoDemographics.csv (imported without labels)")
    clip = Clip(
        id=audio.stem,
        audio_path=audio,
        speaker_id=actor,
        labels={**labels, **({"emotion": EMOTIONS[emotion]} if emotion in EMOTIONS else {})},
        raw_labels={
            **raw,
            **({} if emotion in EMOTIONS else {"emotion": emotion}),  # an unknown code, kept as stated
            "emotion_code": emotion,
            "emotion_level": LEVELS.get(level, level),
            "sentence": sentence,
        },
        text=SENTENCES.get(sentence),
        provenance="CREMA-D (Cao et al. 2014), AudioWAV",
        license="ODbL-1.0",
    )
    return Found(clip, str(audio))
