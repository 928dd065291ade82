"""What the analyses' sections share: a titled table with its note, p-values and shares as text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voiceleak.report.console import pct
from voiceleak.report.html import esc, table_html


def p_value(figure: Mapping[str, Any] | None) -> str:
    """The Holm-adjusted p of a paired difference over speakers, or "n/a"."""
    if figure and figure.get("calibration"):
        return "calibration run"
    if not figure or figure.get("p_value") is None:
        return "n/a"
    adjusted = figure.get("p_adjusted")
    return f"{adjusted:.3g}" if adjusted is not None else f"{figure['p_value']:.3g}"


def share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}"


def section_html(title: str, note: str, headers: list[str], rows: list[list[object]], left: int = 3,
                 notes: Mapping[str, str] | None = None) -> str:
    """A titled table with its note; `notes` (model -> what it stands in for) go between them."""
    if not rows:
        return ""
    extra = "".join(f"<p class='note'>{esc(m)}: {esc(w)}</p>" for m, w in (notes or {}).items())
    return f"<h2>{esc(title)}</h2><p class=\"note\">{esc(note)}</p>" + extra + table_html(headers, rows, left=left)


__all__ = ["p_value", "pct", "section_html", "share"]
