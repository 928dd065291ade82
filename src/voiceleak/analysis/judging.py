"""The judge in the report: how many unparseable replies it rescued, and how far it agrees with the parser.

The figures come from header["judge"], which `scoring.judgments.apply_judgments` sets when the run
directory holds judgments.jsonl (written by `voiceleak judge`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voiceleak.analysis.aggregate import analysis
from voiceleak.types import SampleRecord


@analysis("judge")
def judge_analysis(records: Sequence[SampleRecord], header: dict[str, Any]) -> dict[str, Any] | None:
    summary = header.get("judge")
    return dict(summary) if summary else None
