"""The judge's verdicts on disk (judgments.jsonl, append-only) and how aggregation uses them.

A verdict replaces the parser only where the parser said UNPARSEABLE; everything the parser decided
stays as it is. A judge failure is recorded with its reason and changes nothing: it is never an
answer. Verdicts on a seeded sample of parser-decided replies measure how far judge and parser agree.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from voiceleak.types import Outcome, SampleRecord

JUDGMENTS = "judgments.jsonl"
REFUSAL = "REFUSAL"
UNPARSEABLE = "UNPARSEABLE"
RESCUE = "rescue"  # the parser could not read the reply
AGREEMENT = "agreement"  # the parser decided; the judge is asked too, to measure agreement


@dataclass(frozen=True)
class Judgment:
    key: str
    judge: str
    purpose: str
    parser: str  # the parser's reading: a class, REFUSAL or UNPARSEABLE
    verdict: str | None  # the judge's: a class, REFUSAL or UNPARSEABLE; None when the judge failed
    reason: str = ""
    error: str | None = None
    raw: str | None = None
    latency_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.verdict is not None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def parser_reading(record: SampleRecord) -> str | None:
    """The parser's reading of a record in the judge's vocabulary; None for errors."""
    if record.outcome == Outcome.ANSWER:
        return record.predicted
    return {Outcome.REFUSAL: REFUSAL, Outcome.UNPARSEABLE: UNPARSEABLE}.get(Outcome(record.outcome))


def read_judgments(run_dir: Path | str) -> list[Judgment]:
    path = Path(run_dir) / JUDGMENTS
    if not path.is_file():
        return []
    known = set(Judgment.__dataclass_fields__)
    out = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by a kill; the sample is judged again
            out.append(Judgment(**{k: v for k, v in data.items() if k in known}))
    return out


def append_judgments(run_dir: Path | str, judgments: Iterable[Judgment]) -> None:
    with open(Path(run_dir) / JUDGMENTS, "a", encoding="utf-8") as handle:
        for judgment in judgments:
            handle.write(judgment.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def settled(judgments: Sequence[Judgment], judge: str) -> dict[str, Judgment]:
    """The first successful verdict of `judge` per sample: never asked again, never overwritten."""
    out: dict[str, Judgment] = {}
    for judgment in judgments:
        if judgment.judge == judge and judgment.ok:
            out.setdefault(judgment.key, judgment)
    return out


def current_judge(judgments: Sequence[Judgment]) -> str | None:
    """The judge used last (a run dir may hold verdicts from several; aggregation uses one)."""
    return judgments[-1].judge if judgments else None


def apply_judgments(run_dir: Path | str, records: Sequence[SampleRecord],
                    header: Mapping[str, Any]) -> tuple[list[SampleRecord], dict[str, Any]]:
    """Records with the judge's verdict in place of UNPARSEABLE, and header["judge"] summarising it."""
    judgments = read_judgments(run_dir)
    judge = current_judge(judgments)
    if judge is None:
        return list(records), dict(header)
    verdicts = settled(judgments, judge)
    out: list[SampleRecord] = []
    rescued: Counter[str] = Counter()
    for record in records:
        verdict = verdicts.get(record.key)
        if record.outcome == Outcome.UNPARSEABLE and verdict is not None and verdict.verdict != UNPARSEABLE:
            record = _rescued(record, verdict)
            rescued[record.outcome] += 1
        out.append(record)
    summary = judge_summary(judge, judgments, records)
    summary.update(rescued_answer=rescued[Outcome.ANSWER], rescued_refusal=rescued[Outcome.REFUSAL])
    return out, {**header, "judge": summary}


def _rescued(record: SampleRecord, judgment: Judgment) -> SampleRecord:
    meta = {**dict(record.meta), "parser_outcome": record.outcome, "judged_by": judgment.judge,
            "judge_reason": judgment.reason}
    if judgment.verdict == REFUSAL:
        return replace(record, outcome=Outcome.REFUSAL.value, predicted=None, correct=None, meta=meta)
    correct = None if record.truth is None else judgment.verdict == record.truth
    return replace(record, outcome=Outcome.ANSWER.value, predicted=judgment.verdict, correct=correct,
                   meta=meta)


def judge_summary(judge: str, judgments: Sequence[Judgment],
                  records: Sequence[SampleRecord]) -> dict[str, Any]:
    mine = [j for j in judgments if j.judge == judge]
    verdicts = settled(mine, judge)
    unparseable = {r.key for r in records if r.outcome == Outcome.UNPARSEABLE}
    failed = {j.key for j in mine if not j.ok} - set(verdicts)
    return {
        "judge": judge,
        "n_unparseable": len(unparseable),
        "n_judged": sum(1 for k in unparseable if k in verdicts),
        "still_unparseable": sum(1 for k in unparseable
                                 if k not in verdicts or verdicts[k].verdict == UNPARSEABLE),
        "n_judge_errors": len(failed),
        "judge_error_reasons": dict(Counter((j.error or "").split(":")[0] for j in mine
                                            if j.key in failed).most_common(5)),
        "agreement": agreement([j for j in verdicts.values() if j.purpose == AGREEMENT]),
    }


def agreement(judgments: Sequence[Judgment]) -> dict[str, Any]:
    """Judge vs parser on parser-decided replies: raw agreement and Cohen's kappa, with n."""
    pairs = [(j.parser, j.verdict or "") for j in judgments]
    if not pairs:
        return {"n": 0, "raw": None, "kappa": None}
    raw = sum(a == b for a, b in pairs) / len(pairs)
    kappa = cohen_kappa([a for a, _ in pairs], [b for _, b in pairs])
    return {"n": len(pairs), "raw": round(raw, 4), "kappa": None if kappa is None else round(kappa, 4)}


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """(observed - expected agreement) / (1 - expected); None when expected agreement is 1 (one category)."""
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[c] * count_b[c] for c in set(a) | set(b)) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)
