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

    The one formatter every report view uses, so a figure reads the same everywhere. A figure the data
    cannot give an interval says why instead ("too few speakers", an exact one-sided bound, exact)."""
    if not figure or figure.get("value") is None:
        return "n/a"
    text = f"{figure['value'] * scale:{'+' if signed else ''}.{digits}f}"
    return text + _interval_part(figure, scale, digits, sep=", ")


def _interval_part(figure: Mapping[str, Any], scale: float, digits: int, sep: str) -> str:
    status = figure.get("status", "ok")
    units = f"{figure.get('n_units', 0)} {figure.get('unit', 'speaker')}s"
    low, high = figure.get("low"), figure.get("high")
    if status == "bound":
        if low is not None:
            return f" (≥ {low * scale:.{digits}f}, all {units})"
        if high is not None:
            return f" (≤ {high * scale:.{digits}f}, all {units})"
    if status == "exact":
        return " (exact: one reply to every clip)"
    if status == "too_few":
        return f" (too few {figure.get('unit', 'speaker')}s for an interval)"
    if status == "no_spread":
        return f" (no spread across {units}: no interval)"
    if low is not None and high is not None:
        return f" [{low * scale:.{digits}f}{sep}{high * scale:.{digits}f}]"
    return ""


def interval_suffix(figure: Mapping[str, Any] | None, *, scale: float = 100.0, digits: int = 1) -> str:
    """What `interval_text` prints after the value: " [35.0, 47.0]", " (too few speakers ...)", or ""."""
    if not figure or figure.get("value") is None:
        return ""
    return _interval_part(figure, scale, digits, sep=", ")


def pct(interval: Mapping[str, Any] | None, signed: bool = False) -> str:
    """"93.1 [88.0, 96.9]" in percentage points, or "n/a"."""
    return interval_text(interval, signed=signed)


def short(interval: dict[str, Any] | None) -> str:
    """"96 [86–100]": whole percentage points, for narrow terminals."""
    if not interval or interval.get("value") is None:
        return "—"
    return f"{interval['value'] * 100:.0f}" + _interval_part(interval, 100.0, 0, sep="–")


def signed_short(interval: dict[str, Any] | None) -> str:
    """"+46 [36–50]": a difference in whole points, for narrow terminals."""
    if not interval or interval.get("value") is None:
        return "—"
    return f"{interval['value'] * 100:+.0f}" + _interval_part(interval, 100.0, 0, sep=" to ")


def _cell_text(metrics: dict[str, Any], row_chance: float | None) -> str:
    figure = metrics.get("leakage") if metrics.get("leakage") is not None else metrics.get("value")
    text = signed_short(figure) if metrics.get("leakage") is not None else short(figure)
    extras = []
    if metrics.get("n_refusal") or metrics.get("n_blocked"):
        extras.append(f"{metrics.get('n_refusal', 0) + metrics.get('n_blocked', 0)} refused")
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
        table = Table(title=f"leakage: points of balanced accuracy above the model's own null [95% CI] — "
                            f"audio: {transform}", header_style="bold", title_justify="left")
        table.add_column("task")
        table.add_column("n", justify="right")
        table.add_column("1/K", justify="right")
        roles = {c["model"]: c.get("role") for c in cells}
        for model in models:
            table.add_column(model + (" (calibration)" if roles.get(model) == "calibration" else ""),
                             justify="right")
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
        console.print("[yellow]err = errors, excluded from every figure and never counted as answers:[/] "
                      + "; ".join(sorted(notes)))
    console.print("null = what this model's replies reach when they carry no information about the class; "
                  "leakage = balanced accuracy − null. 95% intervals over speakers (each counting once). "
                  "Full figures: results.json, report.html")
