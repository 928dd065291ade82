"""Speaker verification: the authentication pillar, and the VoicePrivacy Challenge's privacy metric.

Trials pair an enrolment clip with a test clip, same speaker (target) or not. An attacker scores
each trial with the cosine of two voiceprints; the equal error rate (EER) and the normalised
minimum detection cost (minDCF) summarise how well it tells them apart. For a defense, a higher
EER means more privacy (50% is a coin toss).

Attackers, as in the challenge:
- ignorant: enrols on clean speech, tests on defended speech;
- lazy-informed: passes its enrolment speech through the same defense first.

Intervals resample enrolment speakers (trials of one speaker are not independent).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from voiceleak.models.voiceprint import cosine_scores
from voiceleak.scoring.stats import Units
from voiceleak.scoring.stats.bootstrap import DEFAULT_RESAMPLES, bootstrap
from voiceleak.types import Clip

P_TARGET = 0.05
C_MISS = 1.0
C_FA = 1.0


@dataclass(frozen=True)
class Trial:
    enrol: str  # clip id
    test: str
    target: bool
    speaker: str  # the enrolment speaker: the bootstrap cluster


def build_trials(clips: Sequence[Clip], per_speaker: int = 20, seed: int = 0) -> list[Trial]:
    """Balanced, seeded trials: for each speaker with two or more clips, up to `per_speaker` target
    pairs (two different clips) and as many non-target pairs (its clip against another speaker's)."""
    by_speaker: dict[str, list[str]] = defaultdict(list)
    for clip in clips:
        if clip.speaker_id is not None:
            by_speaker[clip.speaker_id].append(clip.id)
    speakers = sorted(s for s, ids in by_speaker.items() if len(ids) >= 2)
    if len(speakers) < 2:
        return []
    rng = random.Random(f"trials:{seed}")
    trials: list[Trial] = []
    for speaker in speakers:
        own = sorted(by_speaker[speaker])
        pairs = [(a, b) for i, a in enumerate(own) for b in own[i + 1:]]
        chosen = rng.sample(pairs, min(per_speaker, len(pairs)))
        others = [c for s in speakers if s != speaker for c in sorted(by_speaker[s])]
        for enrol, test in chosen:
            trials.append(Trial(enrol, test, True, speaker))
        for enrol, _ in chosen:
            trials.append(Trial(enrol, rng.choice(others), False, speaker))
    return trials


# -- error rates, vectorised over bootstrap weight rows -----------------------------------------

def _error_curves(scores: np.ndarray, target: np.ndarray,
                  weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Miss and false-alarm rates (b x thresholds) at every distinct threshold, lowest first.

    A threshold between two distinct sorted scores rejects everything below it; tied scores cannot
    be separated, so only cuts at the boundaries between distinct values count.
    """
    order = np.argsort(scores, kind="stable")
    s, t = scores[order], target[order].astype(np.float64)
    w = weights[:, order]
    cum_target = np.concatenate([np.zeros((len(w), 1)), np.cumsum(w * t, axis=1)], axis=1)
    cum_non = np.concatenate([np.zeros((len(w), 1)), np.cumsum(w * (1 - t), axis=1)], axis=1)
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(s)) + 1, [len(s)]])
    with np.errstate(invalid="ignore", divide="ignore"):
        miss = cum_target[:, cuts] / cum_target[:, -1:]
        false_alarm = 1.0 - cum_non[:, cuts] / cum_non[:, -1:]
    return miss, false_alarm


def eer_statistic(scores: npt.ArrayLike, target: npt.ArrayLike) -> Callable[[np.ndarray], np.ndarray]:
    """Weights (b x n) -> EER per row, where the miss and false-alarm curves cross (interpolated)."""
    s, t = np.asarray(scores, dtype=np.float64), np.asarray(target, dtype=bool)

    def statistic(weights: np.ndarray) -> np.ndarray:
        miss, false_alarm = _error_curves(s, t, weights)
        gap = miss - false_alarm  # rises from -1 to +1
        k = np.argmax(gap >= 0, axis=1)
        k = np.maximum(k, 1)
        rows = np.arange(len(gap))
        g0, g1 = gap[rows, k - 1], gap[rows, k]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(g1 > g0, -g0 / (g1 - g0), 0.0)
        m0, m1 = miss[rows, k - 1], miss[rows, k]
        return np.asarray(m0 + frac * (m1 - m0))

    return statistic


def min_dcf_statistic(scores: npt.ArrayLike, target: npt.ArrayLike, p_target: float = P_TARGET,
                      c_miss: float = C_MISS, c_fa: float = C_FA) -> Callable[[np.ndarray], np.ndarray]:
    """Weights -> minimum normalised detection cost per row (1 = no better than always rejecting)."""
    s, t = np.asarray(scores, dtype=np.float64), np.asarray(target, dtype=bool)
    norm = min(c_miss * p_target, c_fa * (1 - p_target))

    def statistic(weights: np.ndarray) -> np.ndarray:
        miss, false_alarm = _error_curves(s, t, weights)
        cost = (c_miss * p_target * miss + c_fa * (1 - p_target) * false_alarm) / norm
        return np.asarray(np.min(cost, axis=1))

    return statistic


def eer(scores: npt.ArrayLike, target: npt.ArrayLike) -> float:
    return float(eer_statistic(scores, target)(np.ones((1, np.size(scores))))[0])


def min_dcf(scores: npt.ArrayLike, target: npt.ArrayLike, p_target: float = P_TARGET) -> float:
    return float(min_dcf_statistic(scores, target, p_target)(np.ones((1, np.size(scores))))[0])


def verification_metrics(scores: Sequence[float], trials: Sequence[Trial],
                         resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> dict[str, Any]:
    """EER and minDCF with 95% intervals over speakers, plus the trial counts."""
    target = [t.target for t in trials]
    clusters = [t.speaker for t in trials]
    n = len(trials)
    units = Units("speaker", tuple(clusters))
    if n == 0 or all(target) or not any(target):
        return {"n_trials": n, "n_target": sum(target), "n_speakers": len(set(clusters)),
                "eer": {"value": None, "low": None, "high": None},
                "min_dcf": {"value": None, "low": None, "high": None}}
    return {
        "n_trials": n, "n_target": sum(target), "n_speakers": len(set(clusters)),
        "eer": bootstrap(eer_statistic(scores, target), units, resamples=resamples, seed=seed).to_dict(),
        "min_dcf": bootstrap(min_dcf_statistic(scores, target), units, resamples=resamples, seed=seed).to_dict(),
        "p_target": P_TARGET,
    }


# -- the voiceprint attackers --------------------------------------------------------------------

Embed = Callable[[Sequence[str], bool], Mapping[str, np.ndarray]]


def attack_scores(trials: Sequence[Trial], embed: Embed, informed: bool) -> list[float]:
    """Cosine scores of every trial. `embed(clip_ids, defended)` returns voiceprints by clip id;
    the test side is always defended, the enrolment side only for the lazy-informed attacker."""
    enrol = embed(sorted({t.enrol for t in trials}), informed)
    test = embed(sorted({t.test for t in trials}), True)
    a = np.stack([enrol[t.enrol] for t in trials])
    b = np.stack([test[t.test] for t in trials])
    return [float(x) for x in cosine_scores(a, b)]
