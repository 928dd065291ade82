"""The section of report.html for the judge (the figures: `analysis.judging`)."""

from __future__ import annotations

from typing import Any

from voiceleak.report.html import esc, section


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
