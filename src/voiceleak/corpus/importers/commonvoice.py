"""Mozilla Common Voice: a locale folder (`train.tsv`, `dev.tsv`, `test.tsv`, `clips/`) or one TSV.

Header variants across releases: `accent` (before v8) or `accents`, then `variant`, `sentence_id`,
`sentence_domain`. Ages are decade words (`twenties`), genders `male_masculine`, `female_feminine`,
`male`, `female`, `other`, `intersex`, `transgender`, `non-binary`, `do_not_wish_to_say`.
Sentences may hold quotes, so the TSVs are read without quoting, as Common Voice writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from voiceleak.corpus.importers.base import (
    Found,
    ImportContext,
    ImportSourceError,
    Row,
    importers,
    read_table,
)
from voiceleak.corpus.importers.labels import norm_key
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip

#: the splits imported from a locale folder; validated.tsv holds them all, so it is the fallback only
SPLITS = ("train", "dev", "test")

#: columns that describe the row, not the speaker: neither labels nor raw labels
NOT_LABELS = frozenset(
    {
        "client_id",
        "path",
        "sentence",
        "sentence_id",
        "sentence_domain",
        "up_votes",
        "down_votes",
        "segment",
        "age",
        "gender",
        "accent",
        "accents",
        "locale",
    }
)

#: English accent choices of the Common Voice site that name one regional variety
ACCENT_REGION = {
    "united states english": "en-US",
    "us": "en-US",
    "england english": "en-GB",
    "england": "en-GB",
    "scottish english": "en-GB-SCT",
    "scotland": "en-GB-SCT",
    "irish english": "en-IE",
    "ireland": "en-IE",
    "australian english": "en-AU",
    "australia": "en-AU",
    "canadian english": "en-CA",
    "canada": "en-CA",
    "india and south asia (india, pakistan, sri lanka)": "en-IN",
    "indian": "en-IN",
}


@importers.register(
    "commonvoice", "Mozilla Common Voice: a locale folder (train/dev/test.tsv + clips/) or one TSV"
)
def import_commonvoice(ctx: ImportContext) -> Iterator[Found | Problem]:
    for tsv in _tables(ctx.source):
        clips_dir = tsv.parent / "clips"
        for row in read_table(tsv, ctx, "\t", quote_none=True):
            yield row if isinstance(row, Problem) else _clip(ctx, row, clips_dir, tsv.stem)


def _tables(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    found = [source / f"{split}.tsv" for split in SPLITS if (source / f"{split}.tsv").is_file()]
    if not found and (source / "validated.tsv").is_file():
        found = [source / "validated.tsv"]
    if not found:
        raise ImportSourceError(f"{source}: no train.tsv, dev.tsv, test.tsv or validated.tsv here")
    return found


def _clip(ctx: ImportContext, row: Row, clips_dir: Path, split: str) -> Found | Problem:
    values = row.values
    path = values.get("path", "")
    if not path:
        return Problem(row.file, row.line, "path", "empty path")
    locale = values.get("locale", "")
    labels = ctx.labels.row()
    labels.stated("age", values.get("age"))
    labels.stated("gender", values.get("gender"), attribute="sex")
    key = "accents" if "accents" in values else "accent"  # renamed in v8
    accents = values.get(key)
    region = ACCENT_REGION.get(norm_key(accents or "")) if locale.startswith("en") else None
    if region:
        labels.stated(key, accents, attribute="regional_accent", mapped=region)
    else:
        labels.keep(key, accents)  # free text, several accents, or another language's
    labels.stated("locale", locale, attribute="language", mapped=locale.split("-")[0])
    for key, value in values.items():
        if key not in NOT_LABELS:
            labels.stated(key, value)  # variant, and whatever later releases add
    clip = Clip(
        id=Path(path).stem,
        audio_path=clips_dir / path,
        speaker_id=values.get("client_id") or None,
        labels=labels.labels,
        raw_labels=labels.raw,
        text=values.get("sentence") or None,
        provenance=f"Mozilla Common Voice{f' ({locale})' if locale else ''}, {Path(row.file).name}",
        license="CC0-1.0",
        split=split,
    )
    return Found(clip, row.file, row.line)
