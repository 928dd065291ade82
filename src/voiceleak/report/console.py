"""The summary printed at the end of a run (and by `voiceleak report`).

One compact table per transform: a row per task, a column per model, each cell the balanced
accuracy with its 95% interval. The full figures are in results.json and report.html.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table


def interval_text(figure: Mapping[str, Any] | None, *, scale: float = 100.0, digits: int = 1,
                  signed: bool = False) -> str:
    """"+41.0 [35.0, 47.0]": a figure with its interval, scaled (100: percentage points), or "n/a".

    The one formatter every report view uses, so a figure reads the same everywhere."""
    if not figure or figure.get("value") is None:
        return "n/a"
    text = f"{figure['value'] * scale:{'+' if signed else ''}.{digits}f}"
    if figure.get("low") is not None and figure.get("high") is not None:
        text += f" [{figure['low'] * scale:.{digits}f}, {figure['high'] * scale:.{digits}f}]"
    return text


def pct(interval: Mapping[str, Any] | None, signed: bool = False) -> str:
    """"93.1 [88.0, 96.9]" in percentage points, or "n/a"."""
    return interval_text(interval, signed=signed)


def short(interval: dict[str, Any] | None) -> str:
    """"96 [86–100]": whole percentage points, for narrow terminals."""
    if not interval or interval.get("value") is None:
        return "—"
    text = f"{interval['value'] * 100:.0f}"
    if interval.get("low") is not None and interval.get("high") is not None:
        text += f" [{interval['low'] * 100:.0f}–{interval['high'] * 100:.0f}]"
    return text


def _cell_text(metrics: dict[str, Any], row_chance: float | None) -> str:
    text = short(metrics.get("balanced_accuracy"))
    extras = []
    if metrics.get("chance") is not None and metrics["chance"] != row_chance:
        extras.append(f"chance {metrics['chance'] * 100:.0f}")
    if metrics.get("n_refusal"):
        extras.append(f"{metrics['n_refusal']} ref")
    if metrics.get("n_error"):
        extras.append(f"{metrics['n_error']} err")
    return text + (f" ({', '.join(extras)})" if extras else "")


def summary_tables(results: dict[str, Any]) -> list[Table]:
    by_transform: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cell in results["cells"]:
        by_transform[cell["transform"]].append(cell)
    tables = []
    for transform, cells in by_transform.items():
        models = list(dict.fromkeys(c["model"] for c in cells))
        table = Table(title=f"balanced accuracy % [95% CI] — audio: {transform}", header_style="bold",
                      title_justify="left")
        table.add_column("task")
        table.add_column("n", justify="right")
        table.add_column("chance", justify="right")
        for model in models:
            table.add_column(model, justify="right")
        for task in dict.fromkeys(c["task"] for c in cells):
            row = {c["model"]: c["metrics"] for c in cells if c["task"] == task}
            fullest = max(row.values(), key=lambda m: m["n_answered"])
            chance = fullest.get("chance")
            table.add_row(task, str(fullest["n"]), "—" if chance is None else f"{chance * 100:.0f}",
                          *[_cell_text(row[m], chance) if m in row else "" for m in models])
        tables.append(table)
    return tables


def print_summary(results: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    for table in summary_tables(results):
        console.print(table)
    notes = {reason for cell in results["cells"] for reason in cell["metrics"].get("error_reasons", {})}
    if notes:
        console.print("[yellow]err = errors, excluded from accuracy and never counted as answers:[/] "
                      + "; ".join(sorted(notes)))
    console.print("chance = 1 / classes present; intervals resample speakers. Full figures: results.json, "
                  "report.html")
