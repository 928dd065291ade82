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

from voiceleak.atomic import atomic_write_text
from voiceleak.report.console import pct
from voiceleak.report.nav import audit_root, audit_title, nav_html, page, sub_runs

SECTIONS: dict[str, Callable[[dict[str, Any]], str]] = {}



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


def _replies(m: dict[str, Any]) -> str:
    text = f"{m['n_answered']} / {m['n_refusal'] + m.get('n_blocked', 0)} / {m['n_unparseable']} / {m['n_error']}"
    reasons = m.get("error_reasons") or {}
    return text + (f" (errors: {'; '.join(sorted(reasons))})" if reasons else "")


def _main_class(column: int) -> str:
    """Left-aligned labels; the setting and the null never break inside a word."""
    return " ".join(c for c in ("l" if column < 3 else "", "nw" if column in (2, 5) else "") if c)


def main_table(results: dict[str, Any]) -> str:
    """Compact: one row per cell; n and units are named once in the section's note."""
    head = "".join(f'<th class="{_main_class(i)}">{esc(h)}</th>' for i, h in enumerate(
        ["model", "task", "audio", "leakage (points)", "balanced accuracy", "null", "refusal rate",
         "answered / refused / unparseable / errors"]))
    body = []
    for cell in ordered_cells(results):
        m = cell["metrics"]
        values = [model_label(cell), cell["task"], cell["transform"], pct(m.get("leakage"), signed=True),
                  pct(m.get("balanced_accuracy")), "n/a" if m.get("null") is None else f"{m['null'] * 100:.1f}",
                  pct(m.get("refusal_rate")), _replies(m)]
        klass = ' class="calib"' if cell.get("role") == "calibration" else ""
        body.append(f"<tr{klass}>" + "".join(f'<td class="{_main_class(i)}">{esc(v)}</td>'
                                             for i, v in enumerate(values)) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def leakage_chart(results: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = [c for c in ordered_cells(results) if (c["metrics"].get("leakage") or {}).get("value") is not None]
    if not cells:
        return ""
    fig, ax = plt.subplots(figsize=(9.5, 0.35 * len(cells) + 1.2))
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


def _heat(value: float | None) -> str:
    if value is None:
        return "#ffffff"
    shade = int(255 - 120 * max(0.0, min(1.0, value)))
    return f"rgb({shade},{shade + (255 - shade) // 3},255)"


def group_tables(results: dict[str, Any]) -> str:
    """Fairness as heat maps: per label, a row per cell, a column per group, shaded by accuracy."""
    by_label: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for cell in ordered_cells(results):
        for label, values in cell.get("by_group", {}).items():
            if len(values) > 1:
                by_label.setdefault(label, []).append((cell, values))
    parts = []
    for label, rows in by_label.items():
        groups = sorted({g for _, values in rows for g in values})
        head = "".join(f"<th>{esc(g)}</th>" for g in groups)
        body = []
        for cell, values in rows:
            tds = []
            for g in groups:
                m = values.get(g) or {}
                acc = m.get("accuracy") or {}
                value = acc.get("value") if isinstance(acc, dict) else None
                tip = f"{g}: accuracy {pct(acc) if isinstance(acc, dict) else 'n/a'}, n {m.get('n', 0)}, " \
                      f"refusal {pct(m.get('refusal_rate'))}"
                tds.append(f'<td title="{esc(tip)}" style="background:{_heat(value)}">'
                           f'{"—" if value is None else f"{value * 100:.0f}"}</td>')
            klass = ' class="calib"' if cell.get("role") == "calibration" else ""
            body.append(f'<tr{klass}><td class="l">{esc(model_label(cell))} · {esc(cell["task"])} · '
                        f'{esc(cell["transform"])}</td>{"".join(tds)}</tr>')
        parts.append(f'<h4>accuracy (%) by {esc(label)}</h4><table class="heat"><tr><th class="l">cell</th>'
                     f'{head}</tr>{"".join(body)}</table>')
    if not parts:
        return ""
    return ('<p class="note">Darker = more accurate. Hover a square for its interval, n and refusal rate; the '
            'fairness section below tests each gap.</p>' + "".join(parts))


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


def _details(summary: str, body: str, open_: bool = False) -> str:
    if not body.strip():
        return ""
    return f'<details{" open" if open_ else ""}><summary>{esc(summary)}</summary>{body}</details>'


#: sections that are details of the main findings: folded until asked for
FOLDED = {"fairness", "bystander", "words_voice", "repeats", "judging"}


def render(results: dict[str, Any], title: str = "voiceleak report", nav: str = "") -> str:
    from voiceleak.report.findings import findings, headline_html

    config = results.get("run", {}).get("config") or {}
    extra: list[str] = []
    folded: list[str] = []
    for name, fn in SECTIONS.items():
        fragment = fn(results)
        if fragment.strip():  # the analyses in full; details of secondary ones folded, after them
            (folded if name in FOLDED else extra).append(
                _details(name.replace("_", " "), fragment) if name in FOLDED else fragment)
    extra += folded
    headline = f"<h2>Findings</h2>{headline_html(results)}" if findings(results) else ""
    body = f"""<p class="note">Corpus: {esc(config.get('corpus', '?'))}.</p>
{headline}
{''.join(extra)}
<h2>Every cell</h2><p class="note">One row per model × task × audio setting; models first, then the voiceprint
probe, then calibration runs (grey). {esc(DEFINITIONS)}</p>{main_table(results)}
{_details("Leakage of every cell, as a chart", leakage_chart(results))}
<h2>By group</h2>{_details("Accuracy by group of every other label (heat maps)", group_tables(results))}
<h2>Confusion matrices</h2>{_details("Truth against parsed answer, per cell", confusions(results))}"""
    return page(title, body, nav)


def write_html(run_dir: Path | str, results: dict[str, Any]) -> Path:
    """report.html and samples.html of this run, then the audit's landing page (index.html)."""
    from voiceleak.report.landing import write_landing

    run_dir = Path(run_dir)
    root = audit_root(run_dir)
    path = run_dir / "report.html"
    title = audit_title(results.get("run") or {}, None if root == run_dir else run_dir.name)
    atomic_write_text(path, render(results, title, nav_html(path, root)))
    write_samples(run_dir, results, title)
    write_landing(root)
    return path


def write_samples(run_dir: Path, results: dict[str, Any], title: str) -> Path | None:
    from voiceleak.report.samples import render_samples
    from voiceleak.runner.log import RunLog

    log = RunLog(run_dir)
    if not log.samples_path.is_file():  # a study folder without a sample log: no sample browser
        return None
    path = run_dir / "samples.html"
    # streamed from the log: a 100,000-sample run never holds its samples twice in memory
    page_html = render_samples(log.record_dicts(), results.get("run") or {}, run_dir,
                               f"Samples — {title}", nav_html(path, audit_root(run_dir)))
    atomic_write_text(path, page_html)
    return path


def refresh_audit(root: Path | str) -> None:
    """Rewrite every page of an audit from its results.json files, so each navigation lists every run."""
    import json

    root = Path(root)
    for run_dir in [root, *sub_runs(root)]:
        results_path = run_dir / "results.json"
        if results_path.exists():
            write_html(run_dir, json.loads(results_path.read_text(encoding="utf-8")))
