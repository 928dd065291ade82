"""One audit, one set of pages: the shared navigation and the page style.

An audit is a run directory and the run directories inside it (the demo's `decisions/` and
`privilege/`). Every page links the landing page (index.html), each run's report and sample
browser, by relative links, so the folder can be moved or served as it is.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:0 16px 3em;color:#222;line-height:1.4}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:8px 0;font-size:14px;z-index:2}
nav a{margin-right:14px;text-decoration:none;color:#1f5fa8} nav a.here{font-weight:bold;color:#222}
table{border-collapse:collapse;margin:.6em 0;font-size:13px;max-width:100%}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;overflow-wrap:anywhere;vertical-align:top}
th{background:#f3f3f3} td.l,th.l{text-align:left}
.note{color:#555;font-size:13px} h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:1.6em}
.calib td{color:#888;font-style:italic} .key{margin-right:12px}
svg.chart{width:100%;height:auto;max-width:1000px} img{max-width:100%}
details{margin:.4em 0} summary{cursor:pointer;font-weight:600}
ul.readings li{margin:.3em 0} pre{white-space:pre-wrap;overflow-wrap:anywhere}
.heat td{min-width:60px} .nw{white-space:nowrap;overflow-wrap:normal}
"""


def audit_root(run_dir: Path) -> Path:
    """The audit a run belongs to: its parent when the parent is itself a run, else the run itself."""
    run_dir = Path(run_dir)
    return run_dir.parent if (run_dir.parent / "results.json").exists() else run_dir


def sub_runs(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).iterdir() if p.is_dir() and (p / "results.json").exists())


def _link(page: Path, target: Path, text: str) -> str:
    here = " here" if page.resolve() == target.resolve() else ""
    href = os.path.relpath(target, page.parent).replace(os.sep, "/")
    return f'<a class="nav{here}" href="{html.escape(href)}">{html.escape(text)}</a>'


def nav_html(page: Path, root: Path) -> str:
    """Links to every page of the audit that exists (or is being written: `page`)."""
    root = Path(root)
    links = [(root / "index.html", "Overview"), (root / "report.html", "Full report")]
    if (root / "samples.jsonl").exists():
        links.append((root / "samples.html", "Samples"))
    for sub in sub_runs(root):
        links.append((sub / "report.html", f"{sub.name} report"))
        if (sub / "samples.jsonl").exists():
            links.append((sub / "samples.html", f"{sub.name} samples"))
    shown = [_link(page, target, text) for target, text in links]  # write_html writes every one of them
    return f"<nav>{''.join(shown)}</nav>"


def page(title: str, body: str, nav: str, script: str = "") -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>{nav}"
            f"<h1>{html.escape(title)}</h1>{body}{f'<script>{script}</script>' if script else ''}</body></html>")


def audit_title(run: dict[str, object], part: str | None = None) -> str:
    """"voiceleak audit of demo (probe, majority, uniform), 2026-12-04": corpus, models and date;
    a sub-run names its part: "voiceleak audit of demo: decisions (uniform), 2026-12-04"."""
    config = run.get("config") or {}
    assert isinstance(config, dict)
    corpus = Path(str(config.get("corpus", "?")))
    name = corpus.parent.name if corpus.name in {"manifest.jsonl", "manifest.json"} else corpus.stem
    models = ", ".join(str(m).split()[0] for m in config.get("models") or []) or "no models"  # no arguments
    date = str(run.get("created") or "")[:10]
    return f"voiceleak audit of {name}{': ' + part if part else ''} ({models}), {date}".rstrip(", ")
