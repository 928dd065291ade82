"""Any CSV/TSV table with a column mapping: `--map sex=Gender --map speaker_id=spk --map audio_filepath=file`.

Targets are clip fields (id, audio_filepath, speaker_id, text, duration, offset, split, license,
provenance) or taxonomy attributes (by name or alias). A column named like a target is used without
a --map (`Gender` -> sex, `text`, `speaker_id`). Every other column is kept raw, so nothing is lost.
The delimiter is sniffed from the header (`.tsv` means tab), the encoding from BOMs and bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from voiceleak.corpus.importers.base import (
    Found,
    ImportContext,
    ImportSourceError,
    Row,
    check_map,
    importers,
    open_text,
    read_table,
    relative_id,
    sniff_delimiter,
    takes_map,
)
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip

FIELDS = (
    "id",
    "audio_filepath",
    "speaker_id",
    "text",
    "duration",
    "offset",
    "split",
    "license",
    "provenance",
)
#: column names recognised without a --map, per field
GUESSES = {
    "audio_filepath": ("audio_filepath", "audio", "path", "file", "filename", "file_path", "wav"),
    "speaker_id": ("speaker_id", "speaker", "spk", "client_id"),
    "text": ("text", "transcript", "transcription", "sentence"),
}


@importers.register(
    "csv", "Any CSV/TSV with a column mapping: --map audio_filepath=file --map sex=Gender ..."
)
@takes_map
def import_csv(ctx: ImportContext) -> Iterator[Found | Problem]:
    if not ctx.source.is_file():
        raise ImportSourceError(f"{ctx.source}: give the CSV or TSV file, not a folder")
    columns = _columns(ctx)
    for row in read_table(ctx.source, ctx, "\t" if ctx.source.suffix.lower() == ".tsv" else None):
        yield row if isinstance(row, Problem) else _clip(ctx, columns, row)


def _header(ctx: ImportContext) -> list[str]:
    with open_text(ctx.source) as handle:
        first = handle.readline()
    delimiter = "\t" if ctx.source.suffix.lower() == ".tsv" else sniff_delimiter(first)
    return [h.strip().strip('"').lstrip("\ufeff") for h in first.rstrip("\r\n").split(delimiter)]


def _columns(ctx: ImportContext) -> dict[str, str]:
    """target -> column, from --map first, then from column names; checked against the header."""
    header = _header(ctx)
    by_lower = {h.lower(): h for h in header}
    chosen: dict[str, str] = {}
    check_map(ctx, FIELDS)
    for target, name in ctx.mapping.items():
        if name.lower() not in by_lower:
            raise ImportSourceError(
                f"--map {target}={name}: no column {name!r} (columns: {', '.join(header)})"
            )
        chosen[target] = by_lower[name.lower()]
    taken = set(chosen.values())
    for field, names in {**{f: (f,) for f in FIELDS}, **GUESSES}.items():
        found = next((by_lower[n] for n in names if n in by_lower and by_lower[n] not in taken), None)
        if field not in chosen and found:
            chosen[field] = found
            taken.add(found)
    if "audio_filepath" not in chosen:
        raise ImportSourceError(
            f"{ctx.source}: no audio column; give --map audio_filepath=COLUMN (columns: {', '.join(header)})"
        )
    return chosen


def _clip(ctx: ImportContext, columns: Mapping[str, str], row: Row) -> Found | Problem:
    values = row.values
    fields = {f: values.get(c, "") for f, c in columns.items() if f in FIELDS}
    if not fields["audio_filepath"]:
        return Problem(row.file, row.line, columns["audio_filepath"], "empty audio path")
    numbers: dict[str, float | None] = {}
    for field in ("duration", "offset"):
        text = fields.get(field) or ""
        try:
            numbers[field] = float(text) if text else None
        except ValueError:
            return Problem(row.file, row.line, columns[field], f"{field} is not a number: {text!r}")
        if (numbers[field] or 0.0) < 0:
            return Problem(row.file, row.line, columns[field], f"{field} is negative: {text!r}")
    audio = Path(fields["audio_filepath"].replace("\\", "/"))
    audio = audio if audio.is_absolute() else ctx.source.parent / audio
    labels = ctx.labels.row()
    mapped_columns = {c: t for t, c in columns.items()}
    for column, value in values.items():
        target = mapped_columns.get(column)
        if target in FIELDS:
            continue
        # An explicit --map names the attribute (open-set ones too); unmapped values stay under the column.
        labels.stated(column, value, attribute=ctx.tax.resolve(target) if target else None)
    clip = Clip(
        id=fields.get("id") or relative_id(audio, ctx.source.parent),
        audio_path=audio,
        speaker_id=fields.get("speaker_id") or None,
        text=fields.get("text") or None,
        labels=labels.labels,
        raw_labels=labels.raw,
        duration=numbers["duration"],
        offset=numbers["offset"] or 0.0,
        split=fields.get("split") or None,
        license=fields.get("license") or None,
        provenance=fields.get("provenance") or f"table {ctx.source.name}",
    )
    return Found(clip, row.file, row.line)
