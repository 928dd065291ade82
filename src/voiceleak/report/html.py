"""A static, self-contained report.html: tables, per-attribute charts with intervals, confusions.

Sections contributed by other features (least privilege, defenses, ...) register a renderer in
SECTIONS; each gets results.json and returns an HTML fragment.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voiceleak.report.console import pct

SECTIONS: dict[str, Callable[[dict[str, Any]], str]] = {}

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3} td.l,th.l{text-align:left}
.note{color:#555;font-size:13px} h2{border-bottom:1px solid #ddd;padding-bottom:4px}
"""


def section(name: str) -> Callable[[Callable[[dict[str, Any]], str]], Callable[[dict[str, Any]], str]]:
    def decorate(fn: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], str]:
        SECTIONS[name] = fn
        return fn

    return decorate


def esc(value: object) -> str:
    return html.escape(str(value))


def figure_tag(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return f'<img alt="chart" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def table_html(headers: list[str], rows: list[list[object]], left: int = 1) -> str:
    head = "".join(f'<th class="{"l" if i < left else ""}">{esc(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{esc(v)}</td>' for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


ROLE_ORDER = {"model": 0, "probe": 1, "calibration": 2}


def ordered_cells(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Models under audit first, then the voiceprint probe, then calibration runs (stand-in baselines)."""
    return sorted(results["cells"], key=lambda c: ROLE_ORDER.get(c.get("role", "model"), 0))


def model_label(cell: dict[str, Any]) -> str:
    return cell["model"] + (" (calibration run)" if cell.get("role") == "calibration" else "")


def main_table(results: dict[str, Any]) -> str:
    rows = []
    for cell in ordered_cells(results):
        m = cell["metrics"]
        rows.append([model_label(cell), cell["task"], cell["transform"], m["n"], m["n_answered"],
                     m["n_refusal"] + m.get("n_blocked", 0), m["n_unparseable"], m["n_error"],
                     f"{m.get('n_units', 0)} {m.get('unit', 'speaker')}s", pct(m.get("accuracy")),
                     pct(m.get("balanced_accuracy")),
                     "n/a" if m.get("null") is None else f"{m['null'] * 100:.1f}",
                     pct(m.get("leakage"), signed=True), pct(m.get("refusal_rate"))])
    return table_html(["model", "task", "transform", "n", "answered", "refused", "unparseable", "errors",
                       "units", "accuracy", "balanced acc.", "null", "leakage", "refusal rate"], rows, left=3)


def leakage_chart(results: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = [c for c in ordered_cells(results) if (c["metrics"].get("leakage") or {}).get("value") is not None]
    if not cells:
        return ""
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(cells) + 1.2))
    for y, cell in enumerate(cells):
        b = cell["metrics"]["leakage"]
        low = b["low"] if b.get("low") is not None else b["value"]
        high = b["high"] if b.get("high") is not None else b["value"]
        color = "#999999" if cell.get("role") == "calibration" else "#1f5fa8"
        ax.errorbar(b["value"] * 100, y, xerr=[[(b["value"] - low) * 100], [(high - b["value"]) * 100]],
                    fmt="o", color=color, capsize=3)
    ax.axvline(0, color="#c0392b", linewidth=1)
    ax.set_yticks(range(len(cells)))
    ax.set_yticklabels([f"{model_label(c)} · {c['task']} · {c['transform']}" for c in cells], fontsize=8)
    ax.set_xlabel("leakage: points of balanced accuracy above the model's own null (95% CI over speakers); "
                  "red line = no information")
    ax.set_xlim(-100, 100)
    ax.invert_yaxis()
    return figure_tag(fig)


def group_tables(results: dict[str, Any]) -> str:
    parts = []
    for cell in results["cells"]:
        for label, values in cell.get("by_group", {}).items():
            rows = [[value, m["n"], m["n_answered"], pct(m.get("accuracy")), pct(m.get("refusal_rate"))]
                    for value, m in values.items()]
            if len(rows) > 1:
                parts.append(f"<h4>{esc(cell['model'])} · {esc(cell['task'])} · {esc(cell['transform'])}"
                             f" — by {esc(label)}</h4>" + table_html([label, "n", "answered", "accuracy",
                                                                      "refusal rate"], rows))
    return "".join(parts)


def confusions(results: dict[str, Any]) -> str:
    parts = []
    for cell in results["cells"]:
        matrix = cell["metrics"].get("confusion") or {}
        if not matrix or len(matrix) > 20:
            continue
        predicted = sorted({p for row in matrix.values() for p in row})
        rows = [[truth, *[row.get(p, 0) for p in predicted]] for truth, row in sorted(matrix.items())]
        parts.append(f"<h4>{esc(cell['model'])} · {esc(cell['task'])} · {esc(cell['transform'])}</h4>"
                     + table_html(["truth \\ predicted", *predicted], rows))
    return "".join(parts)


DEFINITIONS = (
    "Accuracy counts committed answers; balanced accuracy averages over the true classes the share of right "
    "answers among all valid replies (refusals, provider blocks and unparseable replies count as not right; "
    "errors are excluded from every figure and counted). Null = the balanced accuracy this model's own replies "
    "would reach if they carried no information about the class; leakage = balanced accuracy − null, so a "
    "constant answer, a random guess or an answer outside the classes present sits at 0. Units: each speaker "
    "counts once within its class; 95% intervals are Student t over speakers; with fewer than 5 speakers in a "
    "class no interval is given. Calibration runs (uniform, majority) check the machinery: they are not "
    "findings about any model."
)


def render(results: dict[str, Any], title: str = "voiceleak report") -> str:
    config = results.get("run", {}).get("config") or {}
    extra = "".join(fn(results) for fn in SECTIONS.values())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>{STYLE}</style></head><body>
<h1>{esc(title)}</h1>
<p class="note">Corpus: {esc(config.get('corpus', '?'))}. {esc(DEFINITIONS)}</p>
<h2>Results</h2>{main_table(results)}
<h2>Leakage above each model's null</h2>{leakage_chart(results)}
{extra}
<h2>By group</h2>{group_tables(results)}
<h2>Confusion matrices</h2>{confusions(results)}
</body></html>"""


def write_html(run_dir: Path | str, results: dict[str, Any]) -> Path:
    path = Path(run_dir) / "report.html"
    path.write_text(render(results), encoding="utf-8")
    return path
