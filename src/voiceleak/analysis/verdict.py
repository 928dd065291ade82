"""The least-privilege verdict: pure logic on intervals, so every outcome can be tested on fixed numbers.

Per application, the question of the position paper: is end-to-end modelling necessary for it, and
what does it expose beyond a cascade? Inputs, all paired over the same clips:

- per sensitive attribute, end-to-end leakage minus cascade leakage (points of balanced accuracy);
- the cascade's utility LOSS on the application (positive = the cascade does worse): for
  transcription its WER minus the end-to-end WER, for a closed question the end-to-end accuracy
  minus the cascade's.

Rules, in order (thresholds are options with these defaults):
1. loss interval entirely above `max_utility_loss`         -> "end-to-end is necessary"
2. loss interval entirely at or below `max_utility_loss`, and
   a. some attribute's gap interval excludes 0 with the gap >= `min_leak_gap`, and the end-to-end
      leakage on it is itself above its null (its interval excludes 0)      -> "cascade: less privilege"
   b. every attribute's gap interval lies below `min_leak_gap`                -> "no privilege gap"
3. anything else (an interval straddles a threshold)        -> "inconclusive"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    NECESSARY = "end-to-end necessary"
    LESS_PRIVILEGE = "cascade: less privilege"
    NO_GAP = "no privilege gap"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Thresholds:
    #: a leakage gap counts when its interval excludes 0 and the estimate reaches this (0.10 = 10 pts)
    min_leak_gap: float = 0.10
    #: the cascade may lose at most this much utility (WER or accuracy, fraction: 0.05 = 5 pts)
    max_utility_loss: float = 0.05

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Gap:
    """End-to-end minus cascade leakage on one attribute, with its paired interval."""

    attribute: str
    value: float | None
    low: float | None
    high: float | None
    #: lower bound of the end-to-end leakage itself: a gap over a cascade that does worse than
    #: chance is no exposure when end-to-end is at chance too (None: not checked)
    e2e_low: float | None = None


@dataclass(frozen=True)
class Utility:
    """The cascade's utility loss on one application, with its paired interval.

    `bounded` marks a loss computed against a perfect end-to-end model (no end-to-end utility was
    measured): the most the cascade could lose, never an observed difference.
    """

    application: str
    metric: str  # "WER" or "accuracy"
    loss: float | None
    low: float | None
    high: float | None
    bounded: bool = False


@dataclass(frozen=True)
class Verdict:
    application: str
    outcome: Outcome
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return {"application": self.application, "outcome": self.outcome.value, "sentence": self.sentence}


def points(value: float | None, signed: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value * 100:+.1f}" if signed else f"{value * 100:.1f}"


def span(low: float | None, high: float | None) -> str:
    return "(no interval)" if low is None or high is None else f"[{low * 100:.1f}, {high * 100:.1f}]"


def significant(gap: Gap, t: Thresholds) -> bool:
    exposed = gap.e2e_low is None or gap.e2e_low > 0
    return gap.value is not None and gap.low is not None and gap.low > 0 and gap.value >= t.min_leak_gap \
        and exposed


def clearly_small(gap: Gap, t: Thresholds) -> bool:
    return gap.high is not None and gap.high < t.min_leak_gap


def decide(utility: Utility, gaps: Sequence[Gap], t: Thresholds = Thresholds()) -> Verdict:
    app = utility.application
    util = _utility_phrase(utility)
    if utility.low is not None and utility.low > t.max_utility_loss and not utility.bounded:
        worst = _largest(gaps)
        cost = f"; it comes with {_gap_phrase(worst)}" if worst else ""
        return Verdict(app, Outcome.NECESSARY,
                       f"end-to-end is necessary for {app}: the cascade's {utility.metric} is worse by "
                       f"{points(utility.loss, False)} points {span(utility.low, utility.high)}, beyond the "
                       f"{points(t.max_utility_loss, False)}-point tolerance{cost}")
    if utility.high is not None and utility.high <= t.max_utility_loss:
        strong = [g for g in gaps if significant(g, t)]
        if strong:
            lead = max(strong, key=lambda g: g.value or 0.0)
            return Verdict(app, Outcome.LESS_PRIVILEGE,
                           f"end-to-end reaches {_gap_phrase(lead)} while {util}: the cascade serves "
                           f"{app} with less privilege")
        if gaps and all(clearly_small(g, t) for g in gaps):
            return Verdict(app, Outcome.NO_GAP,
                           f"no privilege gap for {app}: on every audited attribute the end-to-end model "
                           f"stays within {points(t.min_leak_gap, False)} points of the cascade, and {util}")
    return Verdict(app, Outcome.INCONCLUSIVE, f"inconclusive for {app}: {_why_unclear(utility, gaps, t)}")


def _gap_phrase(gap: Gap) -> str:
    return f"{gap.attribute} {points(gap.value)} points {span(gap.low, gap.high)} above the cascade"


def _utility_phrase(u: Utility) -> str:
    if u.loss is None:
        return f"no {u.metric} was measured for {u.application}"
    if u.bounded:
        return (f"even against a perfect end-to-end model the cascade's {u.application} {u.metric} "
                f"loses at most {points(u.loss, False)} points {span(u.low, u.high)}")
    return f"{u.application} {u.metric} differs by {points(u.loss)} points {span(u.low, u.high)}"


def _largest(gaps: Sequence[Gap]) -> Gap | None:
    known = [g for g in gaps if g.value is not None]
    return max(known, key=lambda g: g.value or 0.0) if known else None


def _why_unclear(u: Utility, gaps: Sequence[Gap], t: Thresholds) -> str:
    if u.loss is None or u.low is None or u.high is None:
        return f"{_utility_phrase(u)}, so utility cannot be compared"
    if u.high > t.max_utility_loss:
        tail = " (no end-to-end utility was measured; the bound is against a perfect model)" \
            if u.bounded else ""
        return (f"{_utility_phrase(u)}, an interval that reaches past the "
                f"{points(t.max_utility_loss, False)}-point tolerance{tail}")
    if not gaps:
        return f"{_utility_phrase(u)}, but no sensitive attribute was audited"
    wide = [g for g in gaps if not significant(g, t) and not clearly_small(g, t)]
    named = ", ".join(f"{g.attribute} {points(g.value)} {span(g.low, g.high)}" for g in wide) or "none"
    return (f"{_utility_phrase(u)}, but the leakage gaps are too uncertain to call ({named}; a gap counts "
            f"from {points(t.min_leak_gap, False)} points with an interval excluding 0, over an end-to-end "
            "leakage above its null)")
