"""`voiceleak validate`: what is wrong with a corpus, before hours of model time are spent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from voiceleak.cli.app import app, console
from voiceleak.cli.options import Json
from voiceleak.corpus.validate import ValidationReport, validate_manifest

#: exit codes, for scripts
VALID, INVALID, WARNINGS = 0, 1, 3


ManifestArg = Annotated[Path, typer.Argument(help="Manifest (JSON lines) to check.")]
AudioOpt = Annotated[bool, typer.Option(help="Open every audio file and hash it (slower; catches missing, "
                                        "corrupt, empty and duplicated audio).")]
StrictOpt = Annotated[bool, typer.Option(help="Warnings (thin classes, speakers in two splits) fail too.")]


@app.command()
def validate(manifest: ManifestArg, as_json: Json = False, check_audio: AudioOpt = True,
             strict: StrictOpt = False) -> None:
    """Check a manifest: JSON, fields, labels, audio files, durations, duplicates, splits, coverage.

    Exit code 0: valid. 1: problems (a run refuses the manifest unless given --skip-bad).
    3: valid but with warnings, only with --strict.

    Example: voiceleak validate corpus/manifest.jsonl --json > report.json
    """
    report = validate_manifest(manifest, check_audio=check_audio)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))  # plain: rich is slow on 100k items
    else:
        print_report(report, manifest)
    if not report.ok:
        raise typer.Exit(INVALID)
    raise typer.Exit(WARNINGS if strict and report.warnings else VALID)


def print_report(report: ValidationReport, manifest: Path) -> None:
    splits = ", ".join(f"{s} ({n})" for s, n in sorted(report.splits.items()))
    splits = f", splits {splits}" if splits else ""
    table = Table(title=f"{escape(str(manifest))}: {report.n_clips} clips, {report.n_speakers} speakers{splits}",
                  header_style="bold")
    for column in ("attribute", "labelled clips", "speakers", "classes (clips / speakers)"):
        table.add_column(column)
    coverage = report.label_coverage()
    for attribute, classes in sorted(report.coverage.items()):
        share = coverage[attribute]
        table.add_row(attribute, f"{share['clips']} ({share['share']:.0%})", str(share["speakers"]),
                      ", ".join(f"{c} ({n} / {s})" for c, (n, s) in sorted(classes.items())))
    console.print(table)
    if report.raw_labels:
        console.print("raw labels (kept as the corpus states them): "
                      + escape(", ".join(f"{k} ({n} clip(s))" for k, n in sorted(report.raw_labels.items()))))
    for problem in report.problems[:50]:
        console.print(f"[red]✗[/] {escape(str(problem))}", highlight=False)
    if len(report.problems) > 50:
        console.print(f"... and {len(report.problems) - 50} more (use --json for all)")
    for warning in report.warnings:
        console.print(f"[yellow]![/] {escape(warning)}", highlight=False)
    if report.ok:
        warned = f" ({len(report.warnings)} warning(s))" if report.warnings else ""
        console.print(f"[green]valid[/]{warned}")
    else:
        console.print(f"[red]{len(report.problems)} problem(s)[/] in {len(report.bad_lines)} line(s); "
                      "`voiceleak run --skip-bad` leaves those lines out")
