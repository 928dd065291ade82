"""What the analyses share: cells, pairing on the same clips, speaker clusters, McNemar, HTML bits.

Paired comparisons use "correct over valid replies" (refusals and unparseable replies count as not
correct, errors drop the pair), so both sides are measured on exactly the same clips whatever
each side declined.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from voiceleak.report.console import pct
from voiceleak.report.html import esc, table_html
from voiceleak.scoring.bootstrap import DEFAULT_RESAMPLES, interval, paired_difference, weighted_mean
from voiceleak.spec import Spec, SpecError, parse_spec
from voiceleak.types import Outcome, SampleRecord

Cell = tuple[str, str, str]  # model, task, transform
REAL_AUDIO = "none"  # the transform that leaves the clip as the corpus has it


def by_cell(records: Iterable[SampleRecord]) -> dict[Cell, list[SampleRecord]]:
    out: dict[Cell, list[SampleRecord]] = defaultdict(list)
    for record in records:
        out[(record.model, record.task, record.transform)].append(record)
    return dict(sorted(out.items()))


def valid(records: Iterable[SampleRecord]) -> list[SampleRecord]:
    return [r for r in records if r.outcome != Outcome.ERROR]


def answered(records: Iterable[SampleRecord]) -> list[SampleRecord]:
    return [r for r in records if r.outcome == Outcome.ANSWER and r.truth is not None]


def clusters(records: Sequence[SampleRecord]) -> list[str] | None:
    """Speakers, when every record has one and there are at least two (else clip-level resampling)."""
    speakers = [r.speaker_id for r in records]
    if any(s is None for s in speakers) or len(set(speakers)) < 2:
        return None
    return [str(s) for s in speakers]


def indicator(records: Sequence[SampleRecord], what: str) -> np.ndarray:
    """1/0 per record: "correct" (a right committed answer) or an outcome name ("refusal", "answer")."""
    if what == "correct":
        return np.array([r.correct is True for r in records], dtype=np.float64)
    return np.array([r.outcome == what for r in records], dtype=np.float64)


def rate(records: Sequence[SampleRecord], what: str, resamples: int = DEFAULT_RESAMPLES) -> dict[str, Any]:
    """A proportion over `records` with its 95% interval (speakers resampled) and n."""
    statistic = weighted_mean(indicator(records, what))
    return {**interval(statistic, len(records), clusters(records), resamples).to_dict(), "n": len(records)}


def pairs(a: Sequence[SampleRecord], b: Sequence[SampleRecord]) -> list[tuple[SampleRecord, SampleRecord]]:
    """Records of the same clip and repeat on both sides, errors on either side left out."""
    other = {(r.clip_id, r.repeat): r for r in valid(b)}
    return [(r, other[(r.clip_id, r.repeat)]) for r in valid(a) if (r.clip_id, r.repeat) in other]


def paired(matched: Sequence[tuple[SampleRecord, SampleRecord]], what: str,
           resamples: int = DEFAULT_RESAMPLES) -> dict[str, Any]:
    """Rate on each side, the paired difference (second minus first) with its interval, McNemar."""
    first = indicator([a for a, _ in matched], what)
    second = indicator([b for _, b in matched], what)
    groups = clusters([a for a, _ in matched])
    n = len(matched)
    diff = interval(paired_difference(second, first), n, groups, resamples).to_dict()
    first_only = int(((first == 1) & (second == 0)).sum())
    second_only = int(((first == 0) & (second == 1)).sum())
    return {"n_pairs": n, "first": _mean(first), "second": _mean(second), "difference": diff,
            "mcnemar": mcnemar(first_only, second_only)}


def _mean(values: np.ndarray) -> float | None:
    return round(float(values.mean()), 4) if len(values) else None


def mcnemar(first_only: int, second_only: int) -> dict[str, Any]:
    """Exact McNemar test: a two-sided binomial test on the discordant pairs."""
    from scipy.stats import binomtest  # scipy.stats costs a second at start-up; only reports need it

    discordant = first_only + second_only
    p = float(binomtest(second_only, discordant, 0.5).pvalue) if discordant else None
    return {"first_only": first_only, "second_only": second_only, "n_discordant": discordant,
            "p_value": None if p is None else round(p, 6)}


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


# -- HTML ---------------------------------------------------------------------------------------

def p_value(test: Mapping[str, Any] | None) -> str:
    if not test or test.get("p_value") is None:
        return "n/a"
    return f"{test['p_value']:.3g} ({test['first_only']}/{test['second_only']})"


def share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}"


def section_html(title: str, note: str, headers: list[str], rows: list[list[object]], left: int = 3) -> str:
    if not rows:
        return ""
    return f"<h2>{esc(title)}</h2><p class=\"note\">{esc(note)}</p>" + table_html(headers, rows, left=left)


__all__ = ["REAL_AUDIO", "Cell", "answered", "by_cell", "clusters", "indicator", "mcnemar", "p_value",
           "paired", "pairs", "pct", "rate", "section_html", "share", "split_prompts", "task_classes",
           "valid"]
