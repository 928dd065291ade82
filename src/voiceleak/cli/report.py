"""`voiceleak report`: re-aggregate a run directory without calling any model."""

from __future__ import annotations

from pathlib import Path

import typer

from voiceleak.cli.app import app, console, err, fail
from voiceleak.cli.options import Resamples
from voiceleak.report.build import write_report
from voiceleak.report.console import print_summary
from voiceleak.results import SchemaError
from voiceleak.runner.log import RunDirError


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A run directory written by `voiceleak run`."),
    resamples: Resamples = 1000,
) -> None:
    """Rebuild results.json and report.html from a run's log (no model is called).

    Example: voiceleak report runs/a1
    """
    try:
        results = write_report(run_dir, resamples=resamples)
    except (RunDirError, OSError, SchemaError) as exc:  # a full disk, a read-only folder, a newer file: a message
        raise fail(str(exc)) from exc
    err.print(f"wrote {run_dir}/results.json, report.html and samples.html")
    print_summary(results, console, run_dir=run_dir)
