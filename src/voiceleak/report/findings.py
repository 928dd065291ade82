"""The headline: per attribute, what each model infers above its own null, beside the controls.

Shared by the landing page and report.html. Rows of one attribute come in a fixed order: models
under audit on the real audio, the voiceprint probe (what the voice carries), the cascade (what the
words carry), each blind control, other settings, and calibration runs (stand-in baselines) last.
The chart is inline SVG: no image file to resolve, crisp at any width.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voiceleak.analysis.aggregate import cell_family
from voiceleak.models.base import Architecture, Role
from voiceleak.report.console import interval_suffix, interval_text, transform_role
from voiceleak.transforms.base import TransformRole


@dataclass(frozen=True)
class FindingRow:
    label: str
    kind: str  # model | probe | cascade | blind | setting | calibration
    cell: Mapping[str, Any]

    @property
    def leakage(self) -> Mapping[str, Any] | None:
        return self.cell["metrics"].get("leakage")

    @property
    def balanced(self) -> Mapping[str, Any] | None:
        return self.cell["metrics"].get("balanced_accuracy")


FADED = ' fill-opacity="0.5"'
KIND_ORDER = {"model": 0, "probe": 1, "cascade": 2, "blind": 3, "setting": 4, "calibration": 5}
KIND_NOTE = {"probe": "voiceprint probe: what the voice carries", "cascade": "cascade: what the words carry",
             "blind": "blind control: no audio", "calibration": "calibration run", "setting": "", "model": ""}
COLORS = {"model": "#1f5fa8", "probe": "#7b3fa0", "cascade": "#2e8b57", "blind": "#b8860b", "setting": "#1f5fa8",
          "calibration": "#9a9a9a"}


def kind_of(cell: Mapping[str, Any]) -> str:
    """The row's kind, from what the cell's model and transform declared (aggregate copies it in)."""
    if cell.get("role") == Role.CALIBRATION:
        return "calibration"
    transform = transform_role(cell)
    if transform == TransformRole.CONTROL:
        return "blind"
    if transform != TransformRole.IDENTITY:
        return "setting"
    if cell.get("role") == Role.PROBE:
        return "probe"
    return "cascade" if cell.get("architecture") == Architecture.CASCADE else "model"


def short_model(model: str) -> str:
    """"openai:gpt-4o-audio-preview": a model's spec without its arguments (base URLs, headers)."""
    return str(model).split()[0]


def row_label(cell: Mapping[str, Any]) -> str:
    """Model, then what differs: the prompt set, then the audio setting ("blind" for a blind control)."""
    label = short_model(cell["model"])
    task = str(cell.get("task", ""))
    if " " in task:  # task arguments: the prompt set of a variant
        label += " · " + " ".join(p.split("=", 1)[-1] for p in task.split()[1:])
    if transform_role(cell) != TransformRole.IDENTITY:
        label += " · blind" if kind_of(cell) == "blind" else f" · {cell.get('transform')}"
    if cell.get("role") == "calibration":
        label += " (calibration run)"
    return label


def attribute_of(cell: Mapping[str, Any]) -> str | None:
    family = cell_family(cell)
    if family == "speaker-id":
        return "speaker identity"
    if family != "attribute":
        return None
    return str(cell.get("target") or cell.get("task"))


def findings(results: Mapping[str, Any]) -> dict[str, list[FindingRow]]:
    """attribute → its rows in reading order (the attribute's cells with a leakage figure)."""
    out: dict[str, list[FindingRow]] = {}
    for cell in results.get("cells") or []:
        attribute = attribute_of(cell)
        if attribute is None:
            continue
        out.setdefault(attribute, []).append(FindingRow(row_label(cell), kind_of(cell), cell))
    for rows in out.values():
        rows.sort(key=lambda r: KIND_ORDER[r.kind])
    return out


def _phrase(row: FindingRow, attribute: str) -> str:
    m = row.cell["metrics"]
    leak, bal = row.leakage, row.balanced
    if not leak or leak.get("value") is None:
        reasons = "; ".join(sorted(m.get("error_reasons") or {}))
        return (f"{row.label}: no figure ({m.get('n_error', 0)} of {m.get('n', 0)} samples were errors"
                f"{': ' + reasons if reasons else ''})")
    null = m.get("null")
    null_text = "" if null is None else f" of {null * 100:.1f}"
    subject = {"probe": "the voiceprint probe", "cascade": f"the cascade {short_model(row.cell['model'])}",
               "blind": f"{row.label} (no audio)"}.get(row.kind, row.label)
    value = leak["value"] * 100
    balanced = "n/a" if not bal or bal.get("value") is None else f"{bal['value'] * 100:.1f}"
    return (f"{subject} infers {attribute} at {balanced} balanced accuracy, "
            f"{value:+.1f} points above its null{null_text}{interval_suffix(leak)}")


def reading(attribute: str, rows: list[FindingRow]) -> str:
    """One line: models and controls; calibration runs are not findings and stay out of it."""
    parts = [_phrase(r, attribute) for r in rows if r.kind != "calibration"]
    if not parts:
        parts = [_phrase(r, attribute) + " — a calibration run, not a finding" for r in rows]
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "." if text.startswith("the ") else text + "."


def units_note(results: Mapping[str, Any]) -> str:
    """n, the unit and the null, named once."""
    cells = [c for c in results.get("cells") or [] if c["metrics"].get("n_units")]
    counts = sorted({c["metrics"]["n_units"] for c in cells})
    unit = "/".join(sorted({str(c["metrics"].get("unit", "speaker")) for c in cells})) or "speaker"
    units = (f"{counts[0]} {unit}s" if len(counts) == 1 else f"{counts[0]} to {counts[-1]} {unit}s per cell"
             ) if counts else "no units"
    samples = sorted({c["metrics"].get("n", 0) for c in cells})
    clips = str(samples[0]) if len(samples) == 1 else f"{samples[0]} to {samples[-1]}" if samples else "0"
    return (f"Each figure is over {units} ({clips} samples per cell), "
            "each speaker counting once; brackets are 95% intervals over speakers. Leakage = balanced accuracy "
            "minus the model's own null (what its replies would reach if they carried no information about "
            "the class): 0 means nothing inferred, whatever the number of classes.")


def _x(value: float, lo: float, hi: float, left: int, width: int) -> float:
    return left + (min(max(value, lo), hi) - lo) / (hi - lo) * width


def chart_svg(groups: dict[str, list[FindingRow]]) -> str:
    """One dot-and-interval chart: a band per attribute, a row per model or control, leakage in points."""
    rows = [(a, r) for a, rs in groups.items() for r in rs if r.leakage and r.leakage.get("value") is not None]
    if not rows:
        return '<p class="note">No leakage figure to chart.</p>'
    lo, hi = -50.0, 100.0
    for _, r in rows:
        fig = r.leakage or {}
        for key in ("low", "high", "value"):
            if fig.get(key) is not None:
                lo, hi = min(lo, fig[key] * 100 - 5), max(hi, fig[key] * 100 + 5)
    lo, hi = max(lo, -100.0), min(hi, 100.0)
    left, width, row_h, top = 330, 560, 20, 26
    height = top + row_h * len(rows) + 22 * len(groups) + 30
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {left + width + 40} {height}" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui,sans-serif" font-size="12">',
             '<title>Leakage above each model\'s own null, per attribute, with 95% intervals</title>']
    for tick in range(int(lo // 25 * 25), int(hi) + 1, 25):
        if tick < lo:
            continue
        x = _x(tick, lo, hi, left, width)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - 24}" '
                     f'stroke="{"#c0392b" if tick == 0 else "#e4e4e4"}"/>'
                     f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" fill="#555">{tick:+d}</text>')
    parts.append(f'<text x="{left}" y="14" fill="#555">points of balanced accuracy above the model\'s own null '
                 '(red line: nothing inferred)</text>')
    y = top
    for attribute, group in groups.items():
        shown = [r for r in group if r.leakage and r.leakage.get("value") is not None]
        if not shown:
            continue
        parts.append(f'<text x="4" y="{y + 10}" font-weight="bold">{html.escape(attribute)}</text>')
        y += 18
        for r in shown:
            parts.append(_chart_row(r, y, lo, hi, left, width))
            y += row_h
        y += 4
    parts.append("</svg>")
    return "".join(parts)


def _chart_row(r: FindingRow, y: int, lo: float, hi: float, left: int, width: int) -> str:
    fig = r.leakage or {}
    value = fig["value"] * 100
    low = fig["low"] * 100 if fig.get("low") is not None else value
    high = fig["high"] * 100 if fig.get("high") is not None else value
    color = COLORS[r.kind]
    note = KIND_NOTE[r.kind]
    label = html.escape(r.label if len(r.label) <= 44 else r.label[:43] + "…")
    text = html.escape(interval_text(fig, signed=True))
    cy = y + 6
    return (f'<g><title>{html.escape(r.label)}: leakage {text}{" — " + note if note else ""}</title>'
            f'<text x="14" y="{cy + 4}" fill="{color}">{label}</text>'
            f'<line x1="{_x(low, lo, hi, left, width):.1f}" x2="{_x(high, lo, hi, left, width):.1f}" '
            f'y1="{cy}" y2="{cy}" stroke="{color}" stroke-width="2"/>'
            f'<circle cx="{_x(value, lo, hi, left, width):.1f}" cy="{cy}" r="4.5" fill="{color}"'
            f'{FADED if r.kind == "calibration" else ""}/></g>')


def headline_html(results: Mapping[str, Any]) -> str:
    groups = findings(results)
    if not groups:
        return '<p class="note">No attribute inference in this run: see the sections below.</p>'
    legend = " ".join(f'<span class="key" style="color:{COLORS[k]}">● {html.escape(v)}</span>'
                      for k, v in KIND_NOTE.items() if v and any(r.kind == k for rs in groups.values() for r in rs))
    readings = "".join(f'<li data-attribute="{html.escape(a)}"><b>{html.escape(a)}</b>: {html.escape(reading(a, rs))}'
                       "</li>" for a, rs in groups.items())
    return (f'<ul class="readings">{readings}</ul>{chart_svg(groups)}'
            f'<p class="note">{legend}</p><p class="note">{html.escape(units_note(results))}</p>')
