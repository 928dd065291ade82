"""The Python API for notebooks: run an audit, load any run directory as typed results and DataFrames.

    run = voiceleak.audit("corpus.jsonl", models=["probe", "uniform"], tasks=["attribute:sex"], out="runs/a1")
    run.cells        # one row per cell: estimate, interval, n, unit, status (percent, as the report)
    run.samples      # one row per sample: the reply, its parsed outcome, the truth, the labels

`audit` is `voiceleak run` without the command line: the same study path (`studies.execute`), Runner,
log, cache and resume, and the same results.json (an interrupted audit resumes where it stopped when
called again). `load_run`
reads what any command wrote — `run`, a study, `report` — without calling a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from voiceleak.analysis.aggregate import load_records
from voiceleak.results.files import read_header, read_results
from voiceleak.results.frames import cells_frame, samples_frame
from voiceleak.results.schema import Header, Results
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import RunOptions
from voiceleak.studies.base import plain_run
from voiceleak.studies.execute import execute
from voiceleak.types import Decoding

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Run:
    """A run directory, read: its header and results (typed, at the current schema version) and, on
    first use, its samples and cells as DataFrames."""

    path: Path
    header: Header
    results: Results

    @cached_property
    def samples(self) -> pd.DataFrame:
        """One row per sample record (a judge's verdicts applied, as the report counts them)."""
        records, _ = load_records(self.path)
        return samples_frame(records)

    @cached_property
    def cells(self) -> pd.DataFrame:
        """One row per (model, task, transform): the headline figure (leakage, or the task's own value)
        with its interval, n (units of evidence), unit and status, in percent as the report shows."""
        return cells_frame(self.results)


def load_run(run_dir: Path | str) -> Run:
    """Read a run directory written by any voiceleak command or by `audit`. A results.json of an older
    schema is migrated, or refused with a message naming the file, the versions and the command that
    rebuilds it (`voiceleak report RUN_DIR`)."""
    path = Path(run_dir)
    return Run(path, read_header(path), read_results(path))


def audit(corpus: Path | str, models: Sequence[str], tasks: Sequence[str] = ("attribute",),
          transforms: Sequence[str] = ("none",), out: Path | str = "runs/latest", *, repeats: int = 1,
          decoding: Decoding | None = None, max_per_class: int | None = None, seed: int = 0,
          use_cache: bool = True, resamples: int = 1000, quiet: bool = True) -> Run:
    """Run an audit from Python and return it, loaded.

    corpus: a manifest (JSON lines); models, tasks, transforms: specs as on the command line
    (`probe`, `openai:gpt-4o-audio-preview`, `attribute` for every labelled attribute,
    `blind:silence`); out: the run directory (an existing one resumes). Progress is silent unless
    `quiet=False`. What ran and what it found are in `out` exactly as `voiceleak run` writes them.
    A mistake a user can fix (an unknown model, a bad manifest) raises `StudyError` with the message
    the command line prints; Ctrl-C raises `StudyInterrupted`, and calling again resumes.
    """
    config = RunConfig(corpus=str(corpus), models=tuple(dict.fromkeys(models)), tasks=tuple(tasks),
                       transforms=tuple(dict.fromkeys(transforms)), repeats=repeats,
                       decoding=decoding or Decoding(seed=seed), max_per_class=max_per_class, seed=seed)
    options = RunOptions(out=Path(out), use_cache=use_cache, resamples=resamples, quiet=quiet)
    # the one study path: the same errors (StudyError, with a clean message), Ctrl-C (StudyInterrupted:
    # call again to resume) and finishing (served models, then write_report) as `voiceleak run`
    execute(plain_run(config), options, Console(stderr=True, quiet=quiet))
    return load_run(out)
