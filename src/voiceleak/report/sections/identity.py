"""The identity analysis as an HTML section and a terminal table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from voiceleak.report.html import esc, section, table_html
from voiceleak.report.sections.privilege import fmt
from voiceleak.transforms.base import IDENTITY

COLUMNS = ("model", "clips", "length", "refused", "accuracy (non-refusals)", "accuracy (all)",
           "voice only: accuracy (non-refusals)")
NOTE = ("Majority vote over the contexts per clip; refusals are counted apart. Accuracy (non-refusals) = "
        "correct / named, the paper's figure; accuracy (all) counts refusals as not correct. 'Voice only' "
        "sets aside the clips a cascade named from the transcript alone, so it measures what the voice "
        "adds. Intervals: 95% bootstrap over speakers.")


def rows(data: Mapping[str, Any]) -> list[list[object]]:
    out: list[list[object]] = []
    for entry in data["models"]:
        voice = entry.get("voice_only")
        voice_text = fmt(voice["accuracy"]) if voice else ""
        for label, figures in [("all", entry["all"]), *entry["by_length"].items()]:
            if label != "all" and len(entry["by_length"]) < 2:
                continue
            out.append([entry["model"] + ("" if entry["transform"] == IDENTITY else f" · {entry['transform']}"),
                        str(figures["n"]), label, str(figures["n_refusal"]), fmt(figures["accuracy"]),
                        fmt(figures["accuracy_all"]), voice_text if label == "all" else ""])
    return out


def flagged_line(data: Mapping[str, Any]) -> str:
    by = ", ".join(data["identifiable_by"]) or "no cascade was run"
    return f"{len(data['transcript_identifiable'])} clip(s) identifiable from the transcript alone (by {by})"


@section("identity")
def identity_section(results: Mapping[str, Any]) -> str:
    data = (results.get("analyses") or {}).get("identity")
    if not data:
        return ""
    return ("<h2>Speaker identity: who is speaking?</h2>"
            f"<p class=\"note\">Contexts: {esc(', '.join(data['contexts']))}. {esc(flagged_line(data))}.</p>"
            + table_html(list(COLUMNS), rows(data), left=3) + f"<p class=\"note\">{esc(NOTE)}</p>")


def print_identity(results: Mapping[str, Any], console: Console | None = None) -> None:
    data = (results.get("analyses") or {}).get("identity")
    if not data:
        return
    console = console or Console()
    table = Table(title="speaker identity — majority over contexts, % [95% CI]", header_style="bold",
                  title_justify="left")
    for i, column in enumerate(COLUMNS):
        table.add_column(column, justify="left" if i in (0, 2) else "right")
    for row in rows(data):
        table.add_row(*(str(v) for v in row))
    console.print(table)
    console.print(f"[dim]{flagged_line(data)}[/]")
