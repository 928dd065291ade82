"""`voiceleak import`: turn a corpus as it is distributed into our manifest, with a summary."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from voiceleak.attributes import taxonomy
from voiceleak.cli.app import app, console, err, fail
from voiceleak.cli.options import CorpusOut, Json
from voiceleak.corpus.importers import ImportSourceError, ImportSummary, import_corpus, importers
from voiceleak.registry import UnknownNameError

SHOWN_VALUES = 8
SHOWN_PROBLEMS = 30


def _kinds_help() -> str:
    lines = "\n".join(f"  {e.name:<12} {e.summary}" for e in importers.entries())
    return (f"Import a corpus: map its labels onto the taxonomy, keep the rest raw, report every row "
            f"that could not be imported.\n\nKINDS:\n\n{lines}\n\n"
            "Examples: voiceleak import commonvoice cv-corpus-17.0/en -o cv/manifest.jsonl --limit 5000\n\n"
            "voiceleak import csv meta.csv -o m.jsonl --map audio_filepath=file --map sex=Gender "
            "--map speaker_id=spk")


def parse_maps(maps: list[str]) -> dict[str, str]:
    out = {}
    for text in maps:
        target, sep, column = text.partition("=")
        if not sep or not target.strip() or not column.strip():
            raise fail(f"--map takes TARGET=COLUMN (for example sex=Gender), got {text!r}")
        out[target.strip()] = column.strip()
    return out


KindArg = Annotated[str, typer.Argument(help=f"Corpus kind: {', '.join(importers.names())}.")]
SourceArg = Annotated[Path, typer.Argument(help="The corpus folder or metadata file, as distributed.")]
MapOpt = Annotated[list[str] | None, typer.Option(
    "--map", help="TARGET=COLUMN, repeatable (csv, hf, nemo): a clip field (id, audio_filepath, speaker_id, "
    "text, duration, offset, split) or an attribute (sex, age, accent ...).")]
LimitOpt = Annotated[int | None, typer.Option(help="Stop after this many clips.")]
ReadAudioOpt = Annotated[bool, typer.Option(help="Read each audio file's header for its duration and "
                                            "existence.")]


@app.command("import", help=_kinds_help())
def import_command(kind: KindArg, source: SourceArg, out: CorpusOut, maps: MapOpt = None, limit: LimitOpt = None,
                   read_audio: ReadAudioOpt = True, as_json: Json = False) -> None:
    try:
        summary = import_corpus(kind, source, out, mapping=parse_maps(maps or []), limit=limit, probe=read_audio)
    except (ImportSourceError, UnknownNameError) as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(summary.to_dict(taxonomy()), indent=2, ensure_ascii=False))
    else:
        print_summary(summary)
    raise typer.Exit(0 if summary.ok else 1)


def _values(counts: Counter[str]) -> str:
    shown = ", ".join(f"{v} ({n})" for v, n in counts.most_common(SHOWN_VALUES))
    return shown + (f", ... {len(counts) - SHOWN_VALUES} more" if len(counts) > SHOWN_VALUES else "")


def print_summary(summary: ImportSummary) -> None:
    splits = ", ".join(f"{s} ({n})" for s, n in sorted(summary.splits.items()))
    console.print(f"[bold]{summary.kind}[/] {summary.source} -> {summary.manifest}: "
                  f"[green]{summary.clips}[/] clips, {summary.speakers} speakers"
                  f"{f', splits {splits}' if splits else ''} in {summary.seconds:.1f} s", highlight=False)
    unmapped, extra = summary.split_raw(taxonomy())
    table = Table(header_style="bold")
    for column in ("", "key", "values (clips)"):
        table.add_column(column)
    for attribute, counts in sorted(summary.labels.items()):
        table.add_row("[green]label[/]", attribute, _values(counts))
    for key, counts in sorted(unmapped.items()):
        table.add_row("[yellow]unmapped[/]", key, _values(counts))
    for key, counts in sorted(extra.items()):
        table.add_row("raw", key, _values(counts))
    for key, count in summary.missing.most_common():
        table.add_row("[dim]missing[/]", key, f"{count} blank or unknown")
    if table.row_count:
        console.print(table)
    for note, count in summary.notes.most_common():
        console.print(f"[yellow]![/] {note}: {count}", highlight=False)
    if summary.audio_missing:
        console.print(f"[yellow]![/] {summary.audio_missing} audio file(s) not found, e.g. "
                      f"{', '.join(summary.audio_missing_examples[:3])}", highlight=False)
    for problem in summary.problems[:SHOWN_PROBLEMS]:
        err.print(f"[red]✗[/] {problem}", highlight=False)
    if summary.rows_failed > SHOWN_PROBLEMS:
        err.print(f"... and {summary.rows_failed - SHOWN_PROBLEMS} more (use --json)")
    if summary.rows_failed:
        err.print(f"[red]{summary.rows_failed} row(s) not imported[/]; the manifest holds the other "
                  f"{summary.clips}. Next: voiceleak validate {summary.manifest}")
    else:
        console.print(f"Next: voiceleak validate {summary.manifest}")
