"""One run directory in, its results and pages out: the one path every entry point reports through.

`voiceleak report`, the end of `voiceleak run` and of every study, `voiceleak.report(run_dir)` and a
notebook's `write_report` all come here, and the `voiceleak.report` package has registered every
analysis and section before this module runs, so each writes the same results.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from voiceleak.analysis.aggregate import aggregate, load_records
from voiceleak.atomic import atomic_write_text
from voiceleak.report.html import write_html
from voiceleak.results.files import parse_results
from voiceleak.results.schema import RESULTS_SCHEMA_VERSION
from voiceleak.runner.log import RESULTS, finite


def plain(value: Any) -> Any:
    """`value` with every pydantic model as its dict: an analysis may return a typed block (a model of
    its own, or figures as `results.Figure`) or a plain dict, and the file holds the same JSON either way."""
    if isinstance(value, BaseModel):
        return plain(value.model_dump(mode="python", exclude_unset=True))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def results_text(results: dict[str, Any]) -> str:
    """results.json's text: versioned first, valid JSON (a NaN becomes null)."""
    versioned = {"schema_version": RESULTS_SCHEMA_VERSION, **results}
    return json.dumps(finite(plain(versioned)), indent=2, default=str, allow_nan=False)


def write_report(run_dir: Path | str, resamples: int = 1000) -> dict[str, Any]:
    """Aggregate the log into results.json and the HTML pages (no model is called); returns the results
    as written.

    The results are checked against the schema (`voiceleak.results.Results`) before anything is
    written, and each file is replaced atomically: a failure leaves the previous report whole.
    `resamples` is for the analyses that bootstrap; cell figures are analytic.
    """
    run_dir = Path(run_dir)
    records, header = load_records(run_dir)
    results = aggregate(records, header, resamples=resamples)
    del records  # the sample browser streams the log again: never two copies of a large run in memory
    text = results_text(results)
    written: dict[str, Any] = json.loads(text)  # what the file holds, for the caller and the pages
    path = run_dir / RESULTS
    parse_results(written, path, written=False)
    atomic_write_text(path, text)
    write_html(run_dir, written)
    return written
