"""The judge in the report: how many unparseable replies it rescued, and how far it agrees with the parser.

The figures come from header["judge"], which `scoring.judgments.apply_judgments` sets when the run
directory holds judgments.jsonl (written by `voiceleak judge`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voiceleak.report.aggregate import analysis
from voiceleak.report.html import esc, section
from voiceleak.types import SampleRecord


@analysis("judge")
def judge_analysis(records: Sequence[SampleRecord], header: dict[str, Any]) -> dict[str, Any] | None:
    summary = header.get("judge")
    return dict(summary) if summary else None


@section("judge")
def judge_section(results: dict[str, Any]) -> str:
    summary = results.get("analyses", {}).get("judge")
    if not summary:
        return ""
    agree = summary.get("agreement") or {}
    agreement = "not measured (no verdicts on parser-decided replies; use --agreement-sample N)"
    if agree.get("n"):
        kappa = "n/a" if agree.get("kappa") is None else f"{agree['kappa']:.2f}"
        agreement = f"{agree['raw'] * 100:.1f}% raw agreement, Cohen's kappa {kappa} (n = {agree['n']})"
    s = summary
    return (f"<h2>Judge</h2><p>Judge <b>{esc(s['judge'])}</b> ruled only on replies the parser could "
            f"not read: of {s['n_unparseable']} unparseable replies it turned {s['rescued_answer']} "
            f"into answers and {s['rescued_refusal']} into refusals; {s['still_unparseable']} stay "
            f"unparseable; {s['n_judge_errors']} judge failures (never counted as answers). "
            f"Agreement with the parser on parser-decided replies: {esc(agreement)}.</p>")
