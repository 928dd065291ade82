"""The summary table printed at the end of a run (and by `voiceleak report`)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def pct(interval: dict[str, Any] | None, signed: bool = False) -> str:
    """"93.1 [88.0, 96.9]" in percentage points, or "n/a"."""
    if not interval or interval.get("value") is None:
        return "n/a"
    sign = "+" if signed else ""
    text = f"{interval['value'] * 100:{sign}.1f}"
    if interval.get("low") is not None and interval.get("high") is not None:
        text += f" [{interval['low'] * 100:.1f}, {interval['high'] * 100:.1f}]"
    return text


def summary_table(results: dict[str, Any], title: str = "voiceleak results") -> Table:
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in ("model", "task", "transform", "n", "answered", "refused", "errors",
                   "accuracy % [95% CI]", "balanced acc. %", "chance %", "leakage pts"):
        table.add_column(column, justify="right" if column[0] in "nare" and column != "model" else "left")
    for cell in results["cells"]:
        m = cell["metrics"]
        chance = f"{m['chance'] * 100:.1f}" if m.get("chance") is not None else "n/a"
        table.add_row(
            cell["model"], cell["task"], cell["transform"], str(m["n"]), str(m["n_answered"]),
            str(m["n_refusal"]), str(m["n_error"]), pct(m.get("accuracy")), pct(m.get("balanced_accuracy")),
            chance, pct(m.get("leakage"), signed=True),
        )
    return table


def print_summary(results: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    console.print(summary_table(results))
    notes = {reason for cell in results["cells"] for reason in cell["metrics"].get("error_reasons", {})}
    if notes:
        console.print("[yellow]Errors (excluded from accuracy, never counted as answers):[/] "
                      + "; ".join(sorted(notes)))
