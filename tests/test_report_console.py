"""The console summary: 100 columns, real audio before controls, marks spelled out, a last line that guides."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from voiceleak.report.console import interval_text, print_summary


def figure(value: float, status: str = "ok", low: float | None = None, high: float | None = None) -> dict[str, Any]:
    return {"value": value, "low": low, "high": high, "status": status, "unit": "speaker", "n_units": 10}


def cell(model: str, task: str, transform: str, leakage: dict[str, Any], role: str = "model",
         n_error: int = 0) -> dict[str, Any]:
    return {"model": model, "task": task, "transform": transform, "role": role,
            "metrics": {"n": 260, "n_answered": 260 - n_error, "n_refusal": 3, "n_error": n_error, "chance": 0.5,
                        "leakage": leakage, "error_reasons": {"not estimable": n_error} if n_error else {}}}


RESULTS = {"cells": [
    cell("openai:gpt-4o-audio-preview-2025-06-03", "attribute:sex", "blind:silence", figure(0.0, "exact")),
    cell("openai:gpt-4o-audio-preview-2025-06-03", "attribute:sex", "none", figure(0.46, "ok", 0.30, 0.5)),
    cell("probe", "attribute:sex", "none", figure(0.9, "bound", 0.64), role="probe"),
    cell("probe", "attribute:regional_accent_of_the_speaker", "none", figure(0.08, "too_few"), role="probe",
         n_error=60),
    cell("uniform", "attribute:sex", "none", figure(0.05, "ok", -0.05, 0.15), role="calibration"),
]}


def test_summary_fits_100_columns_real_audio_first_and_says_where_to_look() -> None:
    console = Console(width=100, record=True)
    print_summary(RESULTS, console, "runs/a1")
    text = console.export_text()
    lines = text.rstrip().splitlines()
    assert max(len(line) for line in lines) <= 100
    assert text.index("Leakage on the real audio") < text.index("blind:silence")
    assert "+46 [30, 50]" in text and "+90 (≥ 64)" in text and "+8 (few)" in text
    for spelled in ("exact = one reply to every clip", "few = too few speakers", "≥ or ≤ = exact one-sided",
                    "errors = failed samples", "Chance = 1 / number of classes"):
        assert spelled in text
    assert " ref " not in text and " err)" not in text  # no unexplained abbreviations
    assert lines[-1].startswith("report") or "runs/a1/index.html" in " ".join(lines[-2:])
    # the model under audit comes before the probe and the calibration run
    sex = next(line for line in lines if line.startswith("│ sex") and "+46" in line)
    assert sex.index("+46 [30, 50]") < sex.index("+90 (≥ 64)") < sex.index("+5 [-5, 15]")


def test_interval_text_keeps_its_wording() -> None:
    assert interval_text(figure(0.46, "ok", 0.30, 0.5), signed=True) == "+46.0 [30.0, 50.0]"
    assert interval_text(figure(0.08, "too_few")) == "8.0 (too few speakers for an interval)"
