"""The summary printed at the end of a run (and by `voiceleak report`).

One compact table per audio setting (real audio first, controls last): a row per task, a column per
model, each cell the leakage with its 95% interval, fitting 100 columns; every mark is spelled out
once under the tables. The full figures are in results.json and the report pages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from voiceleak.results.schema import LEGACY_HEADLINES, headline_of
from voiceleak.transforms.base import IDENTITY, TransformRole


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


#: the console's short marks for figures without a two-sided interval, spelled out once under the tables
MARKS = {"exact": "exact", "bound": "≥/≤", "too_few": "few", "no_spread": "flat"}
MARK_LEGEND = {
    "exact": "exact = one reply to every clip, so the value holds for any sample",
    "bound": "≥ or ≤ = exact one-sided 95% bound (every speaker at the extreme)",
    "too_few": "few = too few speakers (under 5 in a class) for an interval",
    "no_spread": "flat = no spread across speakers: no interval",
}


def compact(figure: Mapping[str, Any] | None) -> str:
    """"+46 [30, 50]", "+90 (≥ 64)", "+8 (few)": a leakage in whole points that fits a 100-column table."""
    if not figure or figure.get("value") is None:
        return "—"
    text = f"{figure['value'] * 100:+.0f}"
    status, low, high = figure.get("status", "ok"), figure.get("low"), figure.get("high")
    if status == "bound":
        return text + (f" (≥ {low * 100:.0f})" if low is not None else f" (≤ {high * 100:.0f})"
                       if high is not None else "")
    if status in MARKS:
        return f"{text} ({MARKS[status]})"
    if low is not None and high is not None:
        return f"{text} [{low * 100:.0f}, {high * 100:.0f}]"
    return text


#: how a headline other than leakage is named in a leakage table (the task's own value, a WER: bare)
_HEADLINE_LABELS = {"balanced_accuracy": "bal. acc. ", "accuracy": "acc. ", "accuracy_all": "acc. ",
                    "refusal_rate": "refused ", "value": "", "value_pooled": "pooled "}


def _cell_text(cell: Mapping[str, Any]) -> str:
    """The cell's headline figure (its task declared it; "leakage" for a closed-set attribute), then
    how many replies were refused or failed."""
    metrics = cell["metrics"]
    name = cell.get("headline") or headline_of(LEGACY_HEADLINES, metrics) or "value"
    figure = metrics.get(name)
    text = compact(figure) if name == "leakage" else _HEADLINE_LABELS.get(name, f"{name} ") + short(figure)
    extras = []
    if metrics.get("n_refusal") or metrics.get("n_blocked"):
        extras.append(f"{metrics.get('n_refusal', 0) + metrics.get('n_blocked', 0)} refused")
    if metrics.get("n_error"):
        extras.append(f"{metrics['n_error']} errors")
    return text + (f" ({', '.join(extras)})" if extras else "")


#: a transform's place among the tables: real audio, then defenses and other settings, then controls
_ORDER = {TransformRole.IDENTITY: 0, TransformRole.CONTROL: 2, TransformRole.WORDS_ONLY: 2}


def _transform_order(transform: str, role: str) -> tuple[int, str]:
    """Real audio first, then defenses and other settings, then the controls (blind, words only), as
    each transform declared itself (the cell's "transform_role")."""
    rank = _ORDER.get(TransformRole(role), 1)
    return (rank, "" if rank == 0 else transform)


def _title(transform: str, role: str) -> str:
    if _transform_order(transform, role)[0] == 0:
        return "Leakage on the real audio"
    control = _transform_order(transform, role)[0] == 2
    return f"Leakage with audio setting {transform}" + (" (control)" if control else "")


def transform_role(cell: Mapping[str, Any]) -> str:
    """The cell's transform role; a results file written before cells carried it: identity or setting."""
    fallback = TransformRole.IDENTITY if cell.get("transform") == IDENTITY else TransformRole.SETTING
    return str(cell.get("transform_role") or fallback.value)


def summary_tables(results: dict[str, Any]) -> list[Table]:
    by_transform: dict[str, list[dict[str, Any]]] = defaultdict(list)
    kinds: dict[str, str] = {}
    for cell in results["cells"]:
        by_transform[cell["transform"]].append(cell)
        kinds[cell["transform"]] = transform_role(cell)
    tables = []
    for transform in sorted(by_transform, key=lambda t: _transform_order(t, kinds[t])):
        cells = by_transform[transform]
        roles = {c["model"]: c.get("role") for c in cells}
        rank = {"model": 0, "probe": 1, "calibration": 2}
        models = sorted(dict.fromkeys(c["model"] for c in cells), key=lambda m: rank.get(roles.get(m) or "model", 0))
        table = Table(title=f"{_title(transform, kinds[transform])}: points of balanced accuracy above each "
                            "model's own null", header_style="bold", title_justify="left")
        table.add_column("task", overflow="fold", max_width=24)
        table.add_column("clips", justify="right")
        table.add_column("chance", justify="right")
        shorts = [m.split()[0] for m in models]  # without arguments (base URLs), unless that confuses two
        names = shorts if len(set(shorts)) == len(shorts) else models
        for model, name in zip(models, names, strict=True):
            table.add_column(name + (" (calibration)" if roles.get(model) == "calibration" else ""),
                             justify="right", overflow="fold", no_wrap=False)
        for task in dict.fromkeys(c["task"] for c in cells):
            row = {c["model"]: c for c in cells if c["task"] == task}
            fullest = max((c["metrics"] for c in row.values()), key=lambda m: m["n_answered"])
            chance = fullest.get("chance")
            table.add_row(task.removeprefix("attribute:"), str(fullest["n"]),
                          "—" if chance is None else f"{chance * 100:.0f}",
                          *[_cell_text(row[m]) if m in row else "" for m in models])
        tables.append(table)
    return tables


def _used_marks(results: dict[str, Any]) -> list[str]:
    statuses = {(c["metrics"].get("leakage") or {}).get("status") for c in results["cells"]}
    return [MARK_LEGEND[s] for s in MARK_LEGEND if s in statuses]


def print_summary(results: dict[str, Any], console: Console | None = None, run_dir: Path | str | None = None
                  ) -> None:
    console = console or Console()
    for table in summary_tables(results):
        console.print(table)
    notes = {reason for cell in results["cells"] for reason in cell["metrics"].get("error_reasons", {})}
    console.print("Leakage = balanced accuracy − null, in points; null = what this model's replies reach when they "
                  "carry no information about the class (0 = nothing inferred). Chance = 1 / number of classes. "
                  "Brackets: 95% intervals over speakers, each counting once; clips = samples per cell.",
                  markup=False)
    marks = _used_marks(results)
    if marks:
        console.print("; ".join(marks) + ".", markup=False)
    if notes:
        console.print("errors = failed samples, excluded from every figure and never counted as answers: "
                      + "; ".join(sorted(notes)), markup=False)
    if run_dir is not None:
        console.print(f"Report: open {Path(run_dir) / 'index.html'} (findings first; every reply in samples.html). "
                      f"Next: voiceleak report {run_dir} re-reports without calling any model.", markup=False)
