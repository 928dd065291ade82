"""samples.html: every reply of a run, with its parsed outcome, the truth and the clip's audio.

A static page (inline data and script, no network): pick a cell (model · task · audio setting),
filter by outcome, read the reply, play the clip. Audio is linked relatively from the manifest the
run header names, so the page plays wherever the run and the corpus keep their relative places.
At most MAX_PER_CELL samples per cell are embedded (the page says so); samples.jsonl has them all.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from voiceleak.report.nav import page

MAX_PER_CELL = 300
MAX_REPLY = 1200


def clip_audio(manifest: str | None, wanted: set[str] | None = None) -> dict[str, Path]:
    """clip id → audio file, from the manifest (paths relative to the manifest's folder); only the
    `wanted` clips when given, so a 100,000-clip corpus costs no 100,000-entry table."""
    if not manifest or not Path(manifest).is_file():
        return {}
    base = Path(manifest).resolve().parent
    out: dict[str, Path] = {}
    with open(manifest, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            path = row.get("audio_filepath") or row.get("audio_path") if isinstance(row, dict) else None
            if row and path and row.get("id") is not None and (wanted is None or str(row["id"]) in wanted):
                out[str(row["id"])] = (base / path).resolve()
    return out


def outcome_of(record: Mapping[str, Any]) -> str:
    """What the filter offers: right, wrong, refusal, blocked, unparseable, error (or the raw outcome)."""
    if record.get("error"):
        return "error"
    outcome = str(record.get("outcome") or "")
    if outcome == "answer" and record.get("correct") is not None:
        return "right" if record["correct"] else "wrong"
    return outcome or "unknown"


def sample_rows(records: Iterable[Mapping[str, Any]], manifest: str | None, run_dir: Path
                ) -> dict[str, list[list[Any]]]:
    """Per cell, at most MAX_PER_CELL rows; audio links are looked up for the kept clips only."""
    cells: dict[str, list[list[Any]]] = {}
    for r in records:
        cell = f"{r['model']} · {r['task']} · audio: {r['transform']}"
        rows = cells.setdefault(cell, [])
        if len(rows) >= MAX_PER_CELL:
            continue
        reply = r.get("error") or r.get("response") or ""
        rows.append([r.get("clip_id"), r.get("speaker_id") or "", r.get("truth") or "",
                     r.get("predicted") or "", outcome_of(r), str(reply)[:MAX_REPLY], "",
                     r.get("audio_note") or "", r.get("prompt") or ""])
    audio = clip_audio(manifest, {str(row[0]) for rows in cells.values() for row in rows})
    for rows in cells.values():
        for row in rows:
            path = audio.get(str(row[0]))
            row[6] = os.path.relpath(path, run_dir).replace(os.sep, "/") if path else ""
    return cells


SCRIPT = r"""
const data = JSON.parse(document.getElementById('sample-data').textContent);
const cellSel = document.getElementById('cell'), outSel = document.getElementById('outcome');
const body = document.getElementById('rows'), count = document.getElementById('count');
function option(parent, value, text) {
  const o = document.createElement('option'); o.value = value; o.textContent = text; parent.appendChild(o);
}
for (const name of Object.keys(data)) option(cellSel, name, name);
function td(text, cls) {
  const c = document.createElement('td'); c.textContent = text; if (cls) c.className = cls; return c;
}
function refreshOutcomes() {
  const rows = data[cellSel.value] || [], seen = {};
  for (const r of rows) seen[r[4]] = (seen[r[4]] || 0) + 1;
  outSel.innerHTML = '';
  option(outSel, '', 'every outcome (' + rows.length + ')');
  for (const k of Object.keys(seen).sort()) option(outSel, k, k + ' (' + seen[k] + ')');
}
function replyCell(r) {
  const cell = td('', 'l reply'), d = document.createElement('details'), s = document.createElement('summary');
  s.textContent = r[5].length > 90 ? r[5].slice(0, 90) + '…' : (r[5] || '(empty)');
  const full = document.createElement('pre'); full.textContent = 'Prompt: ' + r[8] + '\n\nReply: ' + r[5];
  d.append(s, full); cell.appendChild(d); return cell;
}
function audioCell(r) {
  const cell = td('', 'l');
  if (!r[6]) { cell.textContent = 'no audio file'; return cell; }
  const au = document.createElement('audio'); au.controls = true; au.preload = 'none'; au.src = r[6];
  cell.appendChild(au);
  if (r[7] && r[7] !== 'clip') {
    const n = document.createElement('div'); n.className = 'note'; n.textContent = 'the model heard: ' + r[7];
    cell.appendChild(n);
  }
  return cell;
}
function show() {
  const rows = (data[cellSel.value] || []).filter(r => !outSel.value || r[4] === outSel.value);
  body.innerHTML = '';
  for (const r of rows) {
    const tr = document.createElement('tr'); tr.className = 'o-' + r[4]; tr.dataset.outcome = r[4];
    tr.append(td(r[0], 'l'), td(r[1], 'l'), td(r[2], 'l'), td(r[3], 'l'), td(r[4], 'l outcome'));
    tr.append(replyCell(r), audioCell(r)); body.appendChild(tr);
  }
  count.textContent = rows.length + ' shown';
}
cellSel.addEventListener('change', () => { refreshOutcomes(); show(); });
outSel.addEventListener('change', show);
const wanted = new URLSearchParams(location.search);
if (wanted.get('cell') && data[wanted.get('cell')]) cellSel.value = wanted.get('cell');
refreshOutcomes();
if (wanted.get('outcome')) outSel.value = wanted.get('outcome');
show();
"""

SAMPLE_STYLE = """<style>
#rows tr.o-right td.outcome{color:#1a7f37} #rows tr.o-wrong td.outcome{color:#c0392b}
#rows tr.o-error td.outcome{color:#b8860b} #rows td,thead th{overflow-wrap:normal}
#rows td.reply{max-width:420px;overflow-wrap:anywhere} audio{width:230px;height:32px}
.filters{display:flex;gap:16px;flex-wrap:wrap;align-items:center;font-size:14px} select{max-width:560px}
</style>"""


def render_samples(records: Iterable[Mapping[str, Any]], run: Mapping[str, Any], run_dir: Path, title: str,
                   nav: str) -> str:
    config = run.get("config") or {}
    manifest = config.get("corpus") if isinstance(config, Mapping) else None
    cells = sample_rows(records, manifest, Path(run_dir).resolve())
    capped = [c for c, rows in cells.items() if len(rows) >= MAX_PER_CELL]
    data = json.dumps(cells, ensure_ascii=False).replace("</", "<\\/")
    cap = (f"At most {MAX_PER_CELL} samples per cell are shown; samples.jsonl holds them all." if capped else "")
    body = (SAMPLE_STYLE +
            '<p class="note">Every reply of this run with its parsed outcome (right, wrong, refusal, blocked, '
            "unparseable, error) and the truth. Audio: the original clip from the manifest "
            f"({html.escape(str(manifest))}); where a control changed what the model heard, the row says so. {cap}"
            '</p><div class="filters"><label>cell <select id="cell"></select></label>'
            '<label>outcome <select id="outcome"></select></label><span id="count" class="note"></span></div>'
            '<table><thead><tr><th class="l">clip</th><th class="l">speaker</th><th class="l">truth</th>'
            '<th class="l">parsed answer</th><th class="l">outcome</th><th class="l">reply (click for the prompt '
            'and the full reply)</th><th class="l">audio</th></tr></thead><tbody id="rows"></tbody></table>'
            f'<script type="application/json" id="sample-data">{data}</script>')
    return page(title, body, nav, SCRIPT)
