"""A run as pandas DataFrames: one row per sample, one row per cell, in the units the report shows.

The report prints every rate, accuracy and leakage in percent (leakage in percentage points above
the model's own null), so the cells frame does too: a leakage of +41.0 [35.0, 47.0] in report.html
is estimate 41.0, low 35.0, high 47.0 here. pandas is imported here only: `pip install
voiceleak[notebook]` brings it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from voiceleak.results.schema import LEGACY_HEADLINES, Cell, Figure, Results, headline_of
from voiceleak.types import SampleRecord

if TYPE_CHECKING:
    import pandas as pd

#: the report's scale: figures are stored as fractions and shown as percent (points)
PERCENT = 100.0

CELL_COLUMNS = ("model", "task", "transform", "target", "role", "metric", "estimate", "low", "high", "n", "unit",
                "status", "p_value", "n_samples", "n_answered", "n_refused", "n_unparseable", "n_error",
                "balanced_accuracy", "null", "chance", "refusal_rate")


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:  # an optional dependency: say which extra brings it
        raise ImportError("voiceleak's DataFrames need pandas: pip install 'voiceleak[notebook]'") from exc
    return pandas


def _scaled(value: float | None) -> float | None:
    return None if value is None else round(value * PERCENT, 6)  # 0.0175 -> 1.75, not 1.7500000000000002


def headline(cell: Cell) -> tuple[str, Figure | None]:
    """The figure the report leads with for a cell: the cell's declared headline (the first of its task's
    metrics it has); a file written before tasks declared them: leakage, else the task's own value."""
    figures = {name: value for name, value in cell.metrics if isinstance(value, Figure)}
    name = cell.headline if cell.headline in figures else headline_of(LEGACY_HEADLINES, figures)
    return (name, figures[name]) if name else ("accuracy_all", cell.metrics.accuracy_all)


def cell_row(cell: Cell) -> dict[str, Any]:
    metrics = cell.metrics
    metric, figure = headline(cell)
    balanced = metrics.balanced_accuracy.value if metrics.balanced_accuracy is not None else None
    refusal = metrics.refusal_rate.value if metrics.refusal_rate is not None else None
    return {
        "model": cell.model, "task": cell.task, "transform": cell.transform, "target": cell.target,
        "role": cell.role, "metric": metric,
        "estimate": _scaled(figure.value) if figure else None,
        "low": _scaled(figure.low) if figure else None,
        "high": _scaled(figure.high) if figure else None,
        # the n of the interval: units of evidence (speakers, voices), each counted once
        "n": figure.n_units if figure else metrics.n_units,
        "unit": figure.unit if figure else metrics.unit,
        "status": figure.status if figure else "empty",
        "p_value": figure.p_value if figure else None,
        "n_samples": metrics.n, "n_answered": metrics.n_answered,
        "n_refused": metrics.n_refusal + metrics.n_blocked, "n_unparseable": metrics.n_unparseable,
        "n_error": metrics.n_error,
        "balanced_accuracy": _scaled(balanced), "null": _scaled(metrics.null), "chance": _scaled(metrics.chance),
        "refusal_rate": _scaled(refusal),
    }


def cells_frame(results: Results) -> pd.DataFrame:
    """One row per cell (model, task, transform): its headline figure with interval, n, unit and status,
    then its counts and rates; percentages as the report shows them."""
    return _pandas().DataFrame([cell_row(c) for c in results.cells], columns=list(CELL_COLUMNS))


def record_row(record: SampleRecord) -> dict[str, Any]:
    """A sample as the log stores it, plus one `label_<name>` column per corpus label."""
    row = {f.name: getattr(record, f.name) for f in fields(record)}
    row["outcome"] = str(record.outcome)
    labels: Mapping[str, str] = record.labels or {}
    row.update({f"label_{name}": value for name, value in labels.items()})
    return row


def samples_frame(records: Iterable[SampleRecord]) -> pd.DataFrame:
    """One row per sample record: model, task, transform, clip, speaker, prompt, reply, outcome, parsed
    answer, truth, correctness, and the labels spread into columns."""
    columns = [f.name for f in fields(SampleRecord)]
    rows = [record_row(r) for r in records]
    frame = _pandas().DataFrame(rows)
    return frame if rows else _pandas().DataFrame(columns=columns)
