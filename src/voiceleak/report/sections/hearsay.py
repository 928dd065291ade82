"""HearSay's comparison tables, for a run of `--preset hearsay` (or any run that asks several prompt sets).

1. accuracy and refusal per attribute × setting (profiler prompt, privacy-prompt defense, CoT, blind);
2. the blind test: refusal rate, entropy of the guesses, top guess, and leakage over blind (accuracy with
   the real audio minus accuracy on silence, paired on the same clips).
Every figure carries its 95% interval over speakers (interval_text); the wording is HearSay's, the
statistics are this package's (speakers as units, the model's own null for leakage).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voiceleak.analysis.aggregate import cell_family
from voiceleak.analysis.common import split_prompts
from voiceleak.report.console import interval_text, transform_role
from voiceleak.report.html import esc, section, table_html
from voiceleak.transforms.base import TransformRole

NAMES = {"hearsay-main": "profiler", "hearsay-defense": "privacy-prompt defense", "hearsay-cot": "profiler + CoT"}


def setting(task: str) -> str:
    """The task's prompt set (its `prompts=` argument, read by the spec parser), by its HearSay name."""
    prompts = split_prompts(task)[1]
    return NAMES.get(prompts, prompts)


def attribute(cell: Mapping[str, Any]) -> str:
    return str(cell.get("target") or cell["task"])


def is_control(cell: Mapping[str, Any]) -> bool:
    """A blind control (silence, or silence sampled at a temperature), as the transform declared it."""
    return transform_role(cell) == TransformRole.CONTROL


def _attribute_cells(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in results.get("cells") or [] if cell_family(c) == "attribute"]


def _applies(results: Mapping[str, Any]) -> bool:
    tasks = {c["task"] for c in _attribute_cells(results)}
    settings = {split_prompts(t)[1] for t in tasks}
    return bool(settings & set(NAMES)) or len(settings) > 1


def _figures(cell: Mapping[str, Any]) -> str:
    m = cell["metrics"]
    return (f"accuracy {interval_text(m.get('accuracy'))}; refusal {interval_text(m.get('refusal_rate'))}; "
            f"leakage {interval_text(m.get('leakage'), signed=True)}")


def settings_table(results: Mapping[str, Any]) -> str:
    cells = [c for c in _attribute_cells(results) if c.get("role") != "calibration"]
    columns: list[str] = []
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for cell in cells:
        name = setting(cell["task"]) + (" · blind" if is_control(cell) else "")
        if transform_role(cell) != TransformRole.IDENTITY and not is_control(cell):
            name += f" · {cell['transform']}"
        columns.append(name)
        rows.setdefault((cell["model"], attribute(cell)), {})[name] = _figures(cell)
    order = list(dict.fromkeys(sorted(columns, key=lambda n: (" · " in n, n))))
    body: list[list[object]] = [[model, attr, *[values.get(c, "—") for c in order]]
                                for (model, attr), values in sorted(rows.items())]
    return table_html(["model", "attribute", *order], body, left=2)


def blind_table(results: Mapping[str, Any]) -> str:
    rows: list[list[object]] = []
    for row in (results.get("analyses") or {}).get("blind") or []:
        if row.get("model") in {"majority", "uniform"}:
            continue
        share = row.get("top_share")
        over = (row.get("leakage_over_blind") or {}).get("difference")
        rows.append([row["model"], row.get("target") or row["task"], setting(row["task"]),
                     interval_text(row.get("refusal_rate")), interval_text(row.get("entropy"), digits=1),
                     f"{row.get('top_guess') or '—'} ({interval_text(share)})",
                     interval_text(over, signed=True)])
    if not rows:
        return ""
    return table_html(["model", "attribute", "setting", "refusal rate (blind)", "entropy of guesses (×100)",
                       "top guess (share)", "leakage over blind (points)"], rows, left=3)


@section("hearsay")
def hearsay_section(results: dict[str, Any]) -> str:
    if not _applies(results):
        return ""
    return (
        "<h2>HearSay's comparisons</h2>"
        '<p class="note">Per attribute and setting: accuracy of committed answers, refusal rate and leakage above '
        "the model's own null, each with its 95% interval over speakers (each speaker counting once). Settings: "
        f"{esc(', '.join(f'{v} = prompts {k}' for k, v in NAMES.items()))}; blind = the same question with the "
        "audio replaced by silence (decoding as the run header records it for that control).</p>"
        + settings_table(results)
        + '<h3>Blind test</h3><p class="note">Entropy of the committed guesses, normalised to 0-100 (low: the '
          "model answers from a prior); top guess and its share; leakage over blind = accuracy with the real "
          "audio minus accuracy on silence, paired on the same clips.</p>"
        + blind_table(results)
    )
