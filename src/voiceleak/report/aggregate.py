"""From the run log to results.json: one cell per (model, task, transform), grouped metrics inside.

Re-scoring and re-reporting read the log only; no model is called again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from voiceleak.atomic import atomic_write_text
from voiceleak.runner.log import RESULTS, RunLog, finite
from voiceleak.scoring.judgments import apply_judgments
from voiceleak.scoring.metrics import grouped, summarize
from voiceleak.types import SampleRecord

#: extra analyses plugged in by other modules: name -> function(records, header) -> JSON-able
ANALYSES: dict[str, Callable[[Sequence[SampleRecord], dict[str, Any]], Any]] = {}


def analysis(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        ANALYSES[name] = fn
        return fn

    return decorate


def cells(records: Iterable[SampleRecord]) -> dict[tuple[str, str, str], list[SampleRecord]]:
    out: dict[tuple[str, str, str], list[SampleRecord]] = defaultdict(list)
    for record in records:
        out[(record.model, record.task, record.transform)].append(record)
    return out


#: Models whose figures calibrate the machinery rather than describe a system under audit: their
#: intervals are shown, no p-value of theirs is presented as a finding.
CALIBRATION_MODELS = frozenset({"majority", "uniform"})


def role(model: str) -> str:
    """"calibration" for the stand-in baselines, "probe" for the voiceprint probe, else "model"."""
    family = model.split(":", 1)[0].split()[0]
    if family in CALIBRATION_MODELS:
        return "calibration"
    return "probe" if family == "probe" else "model"


def aggregate(records: Sequence[SampleRecord], header: dict[str, Any], resamples: int = 1000,
              group_labels: Sequence[str] | None = None) -> dict[str, Any]:
    """`resamples` is for the analyses that bootstrap (verification); cell figures are analytic."""
    results_cells = []
    for (model, task, transform), members in sorted(cells(records).items()):
        target = members[0].target
        labels = group_labels if group_labels is not None else sorted(
            {name for r in members for name in r.labels if name != target})
        results_cells.append({
            "model": model, "task": task, "transform": transform, "target": target, "role": role(model),
            "metrics": summarize(members),
            "by_group": {label: grouped(members, label) for label in labels},
        })
    return {
        "run": {k: header.get(k) for k in ("created", "config", "corpus", "voiceleak_version", "git_commit")},
        "cells": results_cells,
        "analyses": {name: fn(records, header) for name, fn in ANALYSES.items()},
    }


def load_records(run_dir: Path | str) -> tuple[list[SampleRecord], dict[str, Any]]:
    log = RunLog(run_dir)
    header = log.read_header()
    # A judge's verdicts (`voiceleak judge`) replace UNPARSEABLE outcomes only; no judgments, no change.
    return apply_judgments(run_dir, list(log.records()), header)


def write_results(run_dir: Path | str, results: dict[str, Any]) -> Path:
    """results.json, written atomically (a full disk leaves the old file, never half of a new one) and
    valid JSON (a NaN becomes null)."""
    path = Path(run_dir) / RESULTS
    atomic_write_text(path, json.dumps(finite(results), indent=2, default=str, allow_nan=False))
    return path


from voiceleak.report import analyses  # noqa: E402,F401  (registers the built-in analyses and sections)
