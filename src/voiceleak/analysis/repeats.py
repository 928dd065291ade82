"""Repeats: k samples per clip at a set temperature. How stable is the accuracy, and what does a vote say?

Per cell with more than one repeat: the accuracy of committed answers in each repeat, their mean
and standard deviation across repeats (the spread sampling alone produces), and the majority vote
per clip over its committed answers. A tie between the most frequent answers gives no vote, and a
clip whose repeats all declined has nothing to vote on; both are counted, neither is scored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from voiceleak.analysis.aggregate import analysis
from voiceleak.analysis.common import answered, by_cell
from voiceleak.scoring.metrics import rate
from voiceleak.types import Outcome, SampleRecord


def per_repeat_accuracy(records: Sequence[SampleRecord]) -> dict[int, tuple[int, float | None]]:
    """repeat -> (committed answers, their accuracy), unrounded."""
    out: dict[int, tuple[int, float | None]] = {}
    for repeat in sorted({r.repeat for r in records}):
        scored = answered(r for r in records if r.repeat == repeat)
        right = sum(r.correct is True for r in scored)
        out[repeat] = (len(scored), right / len(scored) if scored else None)
    return out


def majority_vote(records: Sequence[SampleRecord]) -> dict[str, Any]:
    """Accuracy of the per-clip majority answer (ties and clips without answers counted, not scored)."""
    by_clip: dict[str, list[SampleRecord]] = defaultdict(list)
    for record in records:
        by_clip[record.clip_id].append(record)
    voted: list[tuple[SampleRecord, bool]] = []
    ties = empty = 0
    for clip_records in by_clip.values():
        votes = Counter(r.predicted for r in clip_records if r.outcome == Outcome.ANSWER and r.predicted)
        if not votes:
            empty += 1
            continue
        ranked = votes.most_common()
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            ties += 1
            continue
        first = clip_records[0]
        if first.truth is not None:
            voted.append((first, ranked[0][0] == first.truth))
    right = {id(r) for r, ok in voted if ok}
    accuracy = rate([r for r, _ in voted], lambda r: id(r) in right)
    return {"n_clips": len(by_clip), "n_voted": len(voted), "n_ties": ties, "n_no_answer": empty,
            "accuracy": accuracy}


@analysis("repeats")
def repeats(records: Sequence[SampleRecord], header: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for (model, task, transform), members in by_cell(records).items():
        per_repeat = per_repeat_accuracy(members)
        if len(per_repeat) < 2:
            continue
        values = np.array([acc for _, acc in per_repeat.values() if acc is not None])
        rows.append({
            "model": model, "task": task, "transform": transform, "target": members[0].target,
            "n_repeats": len(per_repeat),
            "per_repeat": {str(k): {"n": n, "accuracy": None if acc is None else round(acc, 4)}
                           for k, (n, acc) in per_repeat.items()},
            "mean_accuracy": round(float(values.mean()), 4) if len(values) else None,
            "sd_accuracy": round(float(values.std(ddof=1)), 4) if len(values) > 1 else None,
            "majority_vote": majority_vote(members),
        })
    return rows
