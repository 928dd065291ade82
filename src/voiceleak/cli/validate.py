"""`voiceleak validate`: what is wrong with a corpus, before hours of model time are spent."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from voiceleak.cli.app import app, console
from voiceleak.corpus.validate import validate_manifest


@app.command()
def validate(
    manifest: Path = typer.Argument(..., help="Manifest (JSON lines) to check."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    check_audio: bool = typer.Option(True, help="Open every audio file (slower, catches corrupt files)."),
) -> None:
    """Check a manifest: JSON, fields, labels, audio files, durations. Exit code 1 if anything is wrong.

    Example: voiceleak validate corpus/manifest.jsonl
    """
    report = validate_manifest(manifest, check_audio=check_audio)
    if as_json:
        console.print_json(json.dumps(report.to_dict()))
    else:
        table = Table(title=f"{manifest}: {report.n_clips} clips, {report.n_speakers} speakers", header_style="bold")
        for column in ("attribute", "classes (clips / speakers)"):
            table.add_column(column)
        for attribute, classes in sorted(report.coverage.items()):
            table.add_row(attribute, ", ".join(f"{c} ({n} / {s})" for c, (n, s) in sorted(classes.items())))
        console.print(table)
        for problem in report.problems[:50]:
            console.print(f"[red]✗[/] {problem}")
        if len(report.problems) > 50:
            console.print(f"... and {len(report.problems) - 50} more (use --json for all)")
        for warning in report.warnings:
            console.print(f"[yellow]![/] {warning}")
        console.print("[green]valid[/]" if report.ok else f"[red]{len(report.problems)} problem(s)[/]")
    raise typer.Exit(0 if report.ok else 1)
