"""One estimator for every figure: a weighted sum of per-stratum means of per-unit values.

Every figure voiceleak prints reduces to θ = Σ_c a_c · mean_{u in c}(r_u), where u runs over the
units of evidence (speakers, voices) of stratum c (a class, a group) and r_u is that unit's own
value (its share of right answers, its mean decision, its mean paired difference):
- balanced accuracy and leakage: strata = true classes, a_c = 1/K;
- a rate or a paired difference: one stratum, a = 1;
- a gap between two groups of voices: strata = groups, a = (+1, −1).

Each unit counts once in its stratum, whatever its number of clips, so resampling and testing are
at the level of the unit. The interval is Student's t with the Satterthwaite (Welch) degrees of
freedom, the small-sample method whose coverage benchmarks/calibration.py measures. Degenerate
designs are named for what they are rather than printed as intervals:
- `too_few`: a stratum has fewer than MIN_UNITS units: no interval ("too few speakers");
- `exact`: the figure is fixed by construction (a constant answer); no sampling error to show;
- `bound`: every unit sits at the same extreme (all speakers perfectly recognised): an exact
  one-sided Clopper–Pearson bound at the unit level, with the number of units beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from voiceleak.scoring.stats.units import MIN_UNITS

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A figure with its interval, its unit of evidence and how the interval was obtained."""

    value: float | None
    low: float | None = None
    high: float | None = None
    status: str = "ok"  # ok | exact | bound | too_few | no_spread (bootstrap) | empty
    method: str = ""
    unit: str = "speaker"
    n_units: int = 0
    se: float | None = None
    df: float | None = None
    p_value: float | None = None  # against `null`, two-sided unless the caller says otherwise
    level: float = LEVEL
    note: str = ""
    bounds: tuple[float, float] | None = None  # the range the figure can take; intervals never pass it

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": _round(self.value), "low": _round(self.low), "high": _round(self.high),
                               "status": self.status, "unit": self.unit, "n_units": self.n_units}
        if self.method:
            out["method"] = self.method
        if self.p_value is not None:
            out["p_value"] = round(float(self.p_value), 6)
        if self.level != LEVEL:
            out["level"] = round(self.level, 6)
        if self.note:
            out["note"] = self.note
        return out

    def with_note(self, note: str) -> Estimate:
        """The same estimate with `note` added to its own (a unit fallback, say); none: unchanged."""
        return replace(self, note="; ".join(n for n in (self.note, note) if n)) if note else self

    def at_level(self, level: float) -> Estimate:
        """The same estimate with a t interval at another level (for multiplicity-adjusted intervals)."""
        if self.status != "ok" or self.se is None or self.df is None or self.value is None:
            return replace(self, level=level)
        half = _t_quantile(level, self.df) * self.se
        low, high = self.value - half, self.value + half
        if self.bounds is not None:
            low, high = max(low, self.bounds[0]), min(high, self.bounds[1])
        return replace(self, low=low, high=high, level=level)


def _round(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4) + 0.0  # + 0.0: no "-0"


def _t_quantile(level: float, df: float) -> float:
    from scipy.stats import t  # scipy.stats costs a second at start-up; only reports need it

    return float(t.ppf(0.5 + level / 2, df))


def _t_p_value(statistic: float, df: float) -> float:
    """Two-sided p of a t statistic."""
    from scipy.stats import t

    return float(min(1.0, 2 * t.sf(abs(statistic), df)))


def clopper_pearson_extreme(units: int, level: float = LEVEL) -> float:
    """With every one of `units` units a success, the exact one-sided lower bound of the success share."""
    return float((1 - level) ** (1 / units)) if units else 0.0


def stratified(strata: Sequence[np.ndarray], weights: Sequence[float], *, unit: str = "speaker",
               unit_range: tuple[float, float] = (0.0, 1.0), null: float = 0.0, constant: bool = False,
               level: float = LEVEL, min_units: int = MIN_UNITS,
               labels: Sequence[str] | None = None) -> Estimate:
    """θ = Σ a_c mean(r_c) with a t interval; `strata[c]` holds the per-unit values r_u of stratum c.

    `unit_range` is the range a unit value can take (for the exact bound at an extreme); `null` the
    value tested against; `constant` says the figure is fixed by construction whatever the sample.
    """
    strata = [np.asarray(s, dtype=np.float64) for s in strata]
    sizes = [len(s) for s in strata]
    n_units = sum(sizes)
    if n_units == 0 or any(size == 0 for size in sizes):
        return Estimate(None, status="empty", unit=unit, n_units=n_units)
    value = float(sum(a * s.mean() for a, s in zip(weights, strata, strict=True)))
    if constant:
        return Estimate(value, status="exact", unit=unit, n_units=n_units, method="fixed by construction",
                        note="the model gave the same reply to every clip: this value holds for any sample")
    if min(sizes) < min_units:
        if labels:
            counts = ", ".join(f"{name} {size}" for name, size in zip(labels, sizes, strict=True))
        else:  # unnamed strata (one cell, or groups merged): the counts alone
            counts = ", ".join(f"{size} {unit}s" for size in sizes)
        return Estimate(value, status="too_few", unit=unit, n_units=n_units,
                        note=f"too few {unit}s for an interval ({counts}; at least {min_units} per "
                             f"{'class' if len(strata) > 1 else 'cell'} are needed)")
    if all(float(np.ptp(s)) < 1e-12 for s in strata):  # no unit differs (up to rounding)
        bound = _bound_at_extreme(value, strata, weights, unit, unit_range, level)
        if bound is not None:
            return bound
    spreads = [_spread(s, unit_range) for s in strata]
    found = _t_interval(value, strata, weights, spreads, unit, null, level)
    return _clipped(found, _possible(weights, unit_range))


#: Weight of the pseudo-units at each end of the range added to a stratum's spread (not its mean):
#: unit values are bounded and skewed near an end (most speakers perfectly recognised, one not),
#: where a plain t interval under-covers; the pseudo-units act as Agresti–Coull's added successes and
#: failures do for a binomial. benchmarks/calibration.py measured the weight: coverage at 8 speakers
#: per class stays at or above 93% near the ends without over-covering the middle by much.
PSEUDO_WEIGHT = 0.1


def _spread(values: np.ndarray, unit_range: tuple[float, float]) -> float:
    mean = values.mean()
    squares = float(((values - mean) ** 2).sum())
    squares += PSEUDO_WEIGHT * ((unit_range[0] - mean) ** 2 + (unit_range[1] - mean) ** 2)
    return squares / (len(values) - 1)


def _t_interval(value: float, strata: Sequence[np.ndarray], weights: Sequence[float], spreads: list[float],
                unit: str, null: float, level: float) -> Estimate:
    parts = [(a * a * v / len(s), len(s) - 1) for a, s, v in zip(weights, strata, spreads, strict=True)]
    variance = sum(p for p, _ in parts)
    df = variance ** 2 / sum(p * p / d for p, d in parts if p > 0)
    se = math.sqrt(variance)
    half = _t_quantile(level, df) * se
    p = _t_p_value((value - null) / se, df) if se > 0 else None
    return Estimate(value, value - half, value + half, status="ok", method="Student t, Welch–Satterthwaite df",
                    unit=unit, n_units=sum(len(s) for s in strata), se=se, df=df, p_value=p, level=level)


def _possible(weights: Sequence[float], unit_range: tuple[float, float]) -> tuple[float, float]:
    """The range θ can take when every unit value lies in `unit_range`."""
    low = sum(a * (unit_range[0] if a > 0 else unit_range[1]) for a in weights)
    high = sum(a * (unit_range[1] if a > 0 else unit_range[0]) for a in weights)
    return low, high


def _clipped(found: Estimate, bounds: tuple[float, float]) -> Estimate:
    """An interval never reaches past what the figure can be (a share above 100%)."""
    if found.low is None or found.high is None:
        return found
    return replace(found, low=max(found.low, bounds[0]), high=min(found.high, bounds[1]), bounds=bounds)


def _bound_at_extreme(value: float, strata: Sequence[np.ndarray], weights: Sequence[float], unit: str,
                      unit_range: tuple[float, float], level: float) -> Estimate | None:
    """No unit differs from another in its stratum: an exact bound where they all sit at an extreme
    (None elsewhere: the t interval's pseudo-units then give the spread the data cannot show)."""
    n_units = sum(len(s) for s in strata)
    lo_possible, hi_possible = _possible(weights, unit_range)
    share = clopper_pearson_extreme(n_units, level)
    span = hi_possible - lo_possible
    method = f"exact one-sided {level:.0%} bound over {n_units} {unit}s (Clopper–Pearson)"
    if math.isclose(value, hi_possible):
        return Estimate(value, lo_possible + span * share, None, status="bound", unit=unit, n_units=n_units,
                        method=method, note=f"all {n_units} {unit}s at the maximum")
    if math.isclose(value, lo_possible):
        return Estimate(value, None, hi_possible - span * share, status="bound", unit=unit, n_units=n_units,
                        method=method, note=f"all {n_units} {unit}s at the minimum")
    return None


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (None stays None and does not count in the family)."""
    indexed = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(indexed)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def adjust_family(estimates: Sequence[Estimate], alpha: float = 1 - LEVEL) -> list[tuple[Estimate, float | None]]:
    """Holm across a family, each interval widened to the level at which it agrees with its adjusted test.

    An interval at level 1 − α·p/p_adj excludes the null exactly when the Holm-adjusted p is below α,
    so a reader never sees an interval and a test that disagree.
    """
    adjusted = holm([e.p_value for e in estimates])
    out = []
    for estimate, p_adj in zip(estimates, adjusted, strict=True):
        if p_adj is None or estimate.p_value is None or p_adj <= 0:
            out.append((estimate, p_adj))
            continue
        level = 1 - alpha * (estimate.p_value / p_adj)
        out.append((estimate.at_level(max(level, LEVEL)), p_adj))
    return out


__all__ = ["LEVEL", "Estimate", "adjust_family", "clopper_pearson_extreme", "holm", "stratified"]
