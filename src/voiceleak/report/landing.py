"""index.html: the audit's landing page, findings first.

Title: corpus, models, date. Then, per attribute, each model's leakage above its own null beside the
voiceprint probe, the cascade and the blind control, as one chart and one sentence; then what else
the audit holds (each sub-run's report and sample browser), calibration runs marked and last.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from voiceleak.atomic import atomic_write_text
from voiceleak.report.findings import findings, headline_html
from voiceleak.report.nav import audit_title, nav_html, page, sub_runs

SUB_RUN_NOTES = {
    "decisions": "Does the voice change a decision (hiring, credit, ...) about the same words, and does the "
                 "model stay in its scope?",
    "privilege": "Least privilege: does the application need the audio, or would a transcript (cascade) do?",
}


def _load(run_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _sub_findings(results: dict[str, Any]) -> str:
    """The one line a sub-run contributes to the landing page: a verdict, or what its models are."""
    analyses = results.get("analyses") or {}
    lines = []
    privilege = analyses.get("privilege") or {}
    for verdict in privilege.get("verdicts") or []:
        lines.append(f"Least-privilege verdict: {verdict.get('sentence', verdict.get('outcome', ''))}"
                     + (" (the end-to-end side is the voiceprint probe standing in for a model)"
                        if privilege.get("stand_in") else ""))
    for name in ("decisions", "scope"):
        found = analyses.get(name) or {}
        if found.get("rows"):
            stand_ins = found.get("stand_ins") or []
            lines.append(f"{name}: {len(found['rows'])} comparisons"
                         + (f"; stand-in model(s) {', '.join(map(str, stand_ins))}: no finding about a real model"
                            if stand_ins else ""))
    return "".join(f'<br><span class="note">{html.escape(line)}</span>' for line in lines)


def _contents(root: Path, index: Path) -> str:
    items = ['<li><a href="report.html">Full report</a>: every cell with its figures, the controls, fairness '
             "heat maps and confusion matrices.</li>"]
    if (root / "samples.html").exists():
        items.append('<li><a href="samples.html">Samples</a>: every reply with its parsed outcome, the truth and '
                     "the clip, filterable by outcome.</li>")
    for sub in sub_runs(root):
        results = _load(sub) or {}
        config = (results.get("run") or {}).get("config") or {}
        models = ", ".join(config.get("models") or [])
        note = SUB_RUN_NOTES.get(sub.name, f"{len(results.get('cells') or [])} cells")
        samples = (f' · <a href="{sub.name}/samples.html">samples</a>' if (sub / "samples.html").exists() else "")
        items.append(f'<li><a href="{sub.name}/report.html">{sub.name}</a>{samples}: {note} '
                     f'<span class="note">(models: {models})</span>{_sub_findings(results)}</li>')
    return f"<h2>In this audit</h2><ul>{''.join(items)}</ul>"


def render_landing(root: Path) -> str | None:
    results = _load(root)
    if results is None:
        return None
    index = root / "index.html"
    run = results.get("run") or {}
    groups = findings(results)
    calib = any(r.kind == "calibration" for rs in groups.values() for r in rs)
    lead = ("<p>What each model infers about the speaker, per attribute, in points of balanced accuracy "
            "above the model's own null, beside the voiceprint probe (what the voice alone carries), the "
            "cascade (what the words carry) and the blind control (no audio)."
            + (" Calibration runs (stand-in baselines, grey) check the machinery and come last; they are not "
               "findings." if calib else "") + "</p>")
    body = f"{lead}<h2>Findings</h2>{headline_html(results)}{_contents(root, index)}"
    return page(audit_title(run), body, nav_html(index, root))


def write_landing(root: Path | str) -> Path | None:
    root = Path(root)
    text = render_landing(root)
    if text is None:
        return None
    path = root / "index.html"
    atomic_write_text(path, text)
    return path
