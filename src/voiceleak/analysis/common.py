"""What the analyses share: cells, pairing on the same clips, paired tests over speakers, Holm.

Paired comparisons use "correct over valid replies" (refusals and unparseable replies count as not
correct, errors drop the pair), so both sides are measured on exactly the same clips whatever
each side declined.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from voiceleak.scoring.metrics import rate as metric_rate
from voiceleak.scoring.stats import Estimate, adjust_family, paired_difference
from voiceleak.spec import Spec, SpecError, parse_spec
from voiceleak.transforms.base import IDENTITY as REAL_AUDIO  # the clip as the corpus has it
from voiceleak.types import Outcome, SampleRecord

Cell = tuple[str, str, str]  # model, task, transform


def by_cell(records: Iterable[SampleRecord]) -> dict[Cell, list[SampleRecord]]:
    out: dict[Cell, list[SampleRecord]] = defaultdict(list)
    for record in records:
        out[(record.model, record.task, record.transform)].append(record)
    return dict(sorted(out.items()))


def valid(records: Iterable[SampleRecord]) -> list[SampleRecord]:
    return [r for r in records if r.outcome != Outcome.ERROR]


def answered(records: Iterable[SampleRecord]) -> list[SampleRecord]:
    return [r for r in records if r.outcome == Outcome.ANSWER and r.truth is not None]


def indicator(records: Sequence[SampleRecord], what: str) -> np.ndarray:
    """1/0 per record: "correct" (a right committed answer) or an outcome name ("refusal", "answer")."""
    return np.array([hits(r, what) for r in records], dtype=np.float64)


def hits(record: SampleRecord, what: str) -> bool:
    if what == "correct":
        return record.correct is True
    if what == Outcome.REFUSAL:  # a provider's block declines as a refusal does
        return record.outcome in (Outcome.REFUSAL, Outcome.BLOCKED)
    return bool(record.outcome == what)


def rate(records: Sequence[SampleRecord], what: str) -> dict[str, Any]:
    """A share over `records` with its 95% interval over speakers (each counting once) and n."""
    return metric_rate(records, lambda r: hits(r, what))


def pairs(a: Sequence[SampleRecord], b: Sequence[SampleRecord]) -> list[tuple[SampleRecord, SampleRecord]]:
    """Records of the same clip and repeat on both sides, errors on either side left out."""
    other = {(r.clip_id, r.repeat): r for r in valid(b)}
    return [(r, other[(r.clip_id, r.repeat)]) for r in valid(a) if (r.clip_id, r.repeat) in other]


def paired(matched: Sequence[tuple[SampleRecord, SampleRecord]], what: str) -> dict[str, Any]:
    """Rate on each side and the paired difference (second minus first) over speakers, with its t test.

    "difference" holds an `Estimate` until `adjust` turns the family's rows into JSON with Holm."""
    first = indicator([a for a, _ in matched], what)
    second = indicator([b for _, b in matched], what)
    difference = paired_difference(matched, lambda r: float(hits(r, what)))
    return {"n_pairs": len(matched), "first": _mean(first), "second": _mean(second), "difference": difference}


def adjust(rows: Sequence[dict[str, Any]], fields: Sequence[str], calibration: Collection[str] = ()
           ) -> list[dict[str, Any]]:
    """Holm across the family (every row × field of one analysis); each interval at its agreeing level.

    Calibration runs (the stand-in baselines) keep their intervals but get no test: a p-value about a
    coin-flipping baseline is not a finding, and they do not enlarge the family. `calibration` names
    them (`aggregate.Declared.calibration`: as each model declared itself in the run header)."""
    for row in rows:
        if str(row.get("model", "")) not in calibration:
            continue
        for field in fields:
            if row.get(field) and isinstance(row[field].get("difference"), Estimate):
                figure = {k: v for k, v in row[field]["difference"].to_dict().items() if k != "p_value"}
                row[field] = {**row[field], "difference": {**figure, "calibration": True}}
    slots = [(row, field) for row in rows for field in fields
             if row.get(field) and isinstance(row[field].get("difference"), Estimate)]
    adjusted = adjust_family([row[field]["difference"] for row, field in slots])
    for (row, field), (estimate, p_adjusted) in zip(slots, adjusted, strict=True):
        figure = estimate.to_dict()
        figure["p_adjusted"] = None if p_adjusted is None else round(p_adjusted, 6)
        figure["family_size"] = len(slots)
        row[field] = {**row[field], "difference": figure}
    return list(rows)


def _mean(values: np.ndarray) -> float | None:
    return round(float(values.mean()), 4) if len(values) else None


def split_prompts(task: str) -> tuple[str, str]:
    """("attribute:age", "reasoning") from "attribute:age prompts=reasoning" (prompts default: direct)."""
    try:
        spec = parse_spec(task)
    except SpecError:
        return task, "direct"
    rest = {k: v for k, v in spec.params.items() if k != "prompts"}
    return str(Spec(spec.family, spec.arg, rest)), spec.params.get("prompts", "direct")


def task_classes(header: Mapping[str, Any], task: str) -> list[str]:
    described = (header.get("tasks") or {}).get(task) or {}
    return [str(c) for c in described.get("classes") or []]


__all__ = ["REAL_AUDIO", "Cell", "adjust", "answered", "by_cell", "hits", "indicator", "paired", "pairs", "rate",
           "split_prompts", "task_classes", "valid"]
