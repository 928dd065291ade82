"""The least-privilege analysis as an HTML section of report.html and as terminal tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from voiceleak.report.console import interval_text
from voiceleak.report.html import esc, section, table_html

ATTRIBUTE_COLUMNS = ("attribute", "clips (speakers)", "end-to-end", "cascade", "e2e − cascade (paired)",
                     "voice adds (e2e − words only)", "voiceprint probe", "blind")
APPLICATION_COLUMNS = ("application", "metric", "end-to-end", "cascade", "cascade loss (paired)")
#: terminal rows (one column per attribute, so 80 columns hold it): label, key in the attribute row
ROLE_ROWS = (("end-to-end", "e2e"), ("cascade", "cascade"), ("e2e − cascade (paired)", "gap"),
             ("voice adds (e2e − words only)", "voice_adds"), ("voiceprint probe", "probe"), ("blind", "blind"))
SHORT_APPLICATION = ("application", "metric", "e2e", "cascade", "cascade loss")

NOTE = ("Leakage = balanced accuracy above the null of the model's own replies (a constant answer, a random "
        "guess, an answer outside the classes present or a refusal sits at 0), on the clips both the "
        "end-to-end model and the cascade answered without error. Units: speakers, each counting once. "
        "Differences are paired: each speaker's mean difference is one observation. Intervals: Student t over "
        "speakers, simultaneous over the attributes (Bonferroni), which is what the verdict reads. "
        "Voice adds = end-to-end minus the same model given only the transcript. Cascade loss: how much worse "
        "the cascade does on the application (WER points, or accuracy points).")
STAND_IN = ("No end-to-end audio language model runs offline, so the end-to-end column is the voiceprint "
            "probe standing in for what an end-to-end model COULD reach from the voice: an upper bound "
            "from the voice alone, trained on this corpus. A real model may reach less, or more through "
            "the words. The verdict is about that bound, not about any deployed model.")


def fmt(figure: Mapping[str, Any] | None, signed: bool = False, digits: int = 1) -> str:
    """"+41.0 [35.0, 47.0]" in points (digits=0: "+41 [35, 47]"), or "n/a"."""
    return interval_text(figure, signed=signed, digits=digits)


def attribute_cells(row: Mapping[str, Any], digits: int = 1) -> list[str]:
    return [row["attribute"], f"{row['n']} ({row['n_speakers']})",
            *(fmt(row[k], True, digits) for k in ("e2e", "cascade", "gap", "voice_adds", "probe", "blind"))]


def application_cells(row: Mapping[str, Any], digits: int = 1) -> list[str]:
    loss = fmt(row["loss"], True, digits) + (" (vs a perfect model)" if row["bounded"] else "")
    return [row["task"], row["metric"], fmt(row["e2e"], digits=digits), fmt(row["cascade"], digits=digits), loss]


def roles_line(data: Mapping[str, Any]) -> str:
    roles = data["roles"]
    parts = [f"end-to-end: {roles['e2e']}", f"cascade: {roles['cascade']}",
             f"voiceprint probe: {roles.get('probe') or 'not run'}",
             f"words-only control: {roles.get('control') or 'not run'}",
             f"blind: {roles.get('blind') or 'not run'}"]
    limits = data["thresholds"]
    parts.append(f"thresholds: a leakage gap counts from {limits['min_leak_gap'] * 100:.0f} points with an "
                 f"interval excluding 0; the cascade may lose up to {limits['max_utility_loss'] * 100:.0f} "
                 "points of utility")
    return "; ".join(parts)


@section("privilege")
def privilege_section(results: Mapping[str, Any]) -> str:
    data = (results.get("analyses") or {}).get("privilege")
    if not data:
        return ""
    notes = [STAND_IN] if data.get("stand_in") else []
    notes += list(data.get("notes", []))
    verdict_items = "".join(f"<li><b>{esc(v['outcome'])}</b>: {esc(v['sentence'])}</li>"
                            for v in data["verdicts"])
    return (
        "<h2>Least privilege: end-to-end vs cascade</h2>"
        f"<p class=\"note\">{esc(roles_line(data))}</p>"
        + "".join(f"<p class=\"note\"><b>{esc(n)}</b></p>" for n in notes)
        + "<h3>Leakage per sensitive attribute (points above each model's own null)</h3>"
        + table_html(list(ATTRIBUTE_COLUMNS), [list(attribute_cells(r)) for r in data["attributes"]])
        + "<h3>Utility on the application</h3>"
        + table_html(list(APPLICATION_COLUMNS), [list(application_cells(r)) for r in data["applications"]])
        + f"<h3>Verdict</h3><ul>{verdict_items}</ul><p class=\"note\">{esc(NOTE)}</p>"
    )


def print_privilege(results: Mapping[str, Any], console: Console | None = None) -> None:
    data = (results.get("analyses") or {}).get("privilege")
    if not data:
        return
    console = console or Console()
    leak = Table(title="least privilege — leakage, points above each model's own null [simultaneous 95% CI]",
                 header_style="bold", title_justify="left")
    leak.add_column("")
    for row in data["attributes"]:
        leak.add_column(row["attribute"], justify="right")
    leak.add_row("clips (speakers)", *(f"{r['n']} ({r['n_speakers']})" for r in data["attributes"]))
    for label, key in ROLE_ROWS:
        if any(r[key] for r in data["attributes"]):
            leak.add_row(label, *(fmt(r[key], True, 0) for r in data["attributes"]))
    use = Table(title="least privilege — utility [95% CI]", header_style="bold", title_justify="left")
    for i, column in enumerate(SHORT_APPLICATION):
        use.add_column(column, justify="left" if i < 2 else "right")
    for row in data["applications"]:
        use.add_row(*application_cells(row, digits=1))
    console.print(leak)
    console.print(use)
    console.print(f"[dim]{roles_line(data)}[/]")
    if data.get("stand_in"):
        console.print(f"[yellow]{STAND_IN}[/]")
    for note in data.get("notes", []):
        console.print(f"[yellow]{note}[/]")
    console.print(f"[dim]{NOTE}[/]")
    for verdict in data["verdicts"]:
        console.print(f"[bold]verdict ({verdict['outcome']}):[/] {verdict['sentence']}")
