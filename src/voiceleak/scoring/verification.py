"""Speaker verification: the authentication pillar, and the VoicePrivacy Challenge's privacy metric.

Trials pair an enrolment clip with a test clip, same speaker (target) or not. An attacker scores
each trial with the cosine of two voiceprints; the equal error rate (EER) and the normalised
minimum detection cost (minDCF) summarise how well it tells them apart. For a defense, a higher
EER means more privacy (50% is a coin toss).

Attackers, as in the challenge:
- ignorant: enrols on clean speech, tests on defended speech;
- lazy-informed: passes its enrolment speech through the same defense first;
- semi-informed: also knows the defense, anonymizes speech of its own training speakers with it and
  trains a back-end on those voiceprints (centring, WCCN, LDA or a logistic model on pairs), then scores
  anonymized trials. Its training speakers are disjoint from the evaluation speakers
  (`split_speakers`), so its figures are over the evaluation speakers only.

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


MIN_TRAIN_SPEAKERS = 3  # a back-end learns "same voice" from at least three voices
MIN_EVAL_SPEAKERS = 2  # a non-target trial needs two evaluation speakers
BACKENDS = ("centred", "wccn", "lda", "logistic")
WCCN_SHRINKAGE = 0.5  # half way between the within-speaker covariance and its mean variance


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


@dataclass(frozen=True)
class SpeakerSplit:
    """The semi-informed attacker's training speakers and the evaluation speakers: never both."""

    train: tuple[str, ...]
    evaluation: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"train": list(self.train), "evaluation": list(self.evaluation)}


class TooFewSpeakers(ValueError):
    """The corpus cannot give the semi-informed attacker training speakers and still leave trials."""


def split_speakers(clips: Sequence[Clip], train_fraction: float = 0.5, seed: int = 0) -> SpeakerSplit:
    """Seeded split of the speakers with two or more clips: `train_fraction` of them (rounded, at
    least MIN_TRAIN_SPEAKERS) train the attacker, the rest (at least MIN_EVAL_SPEAKERS) are evaluated."""
    counts: dict[str, int] = defaultdict(int)
    for clip in clips:
        if clip.speaker_id is not None:
            counts[clip.speaker_id] += 1
    speakers = sorted(s for s, n in counts.items() if n >= 2)
    needed = MIN_TRAIN_SPEAKERS + MIN_EVAL_SPEAKERS
    if len(speakers) < needed:
        raise TooFewSpeakers(
            f"the semi-informed attacker needs at least {needed} speakers with two or more clips "
            f"({MIN_TRAIN_SPEAKERS} to train on, {MIN_EVAL_SPEAKERS} to evaluate, disjoint); "
            f"this corpus has {len(speakers)}")
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must lie strictly between 0 and 1, not {train_fraction}")
    n_train = min(max(round(len(speakers) * train_fraction), MIN_TRAIN_SPEAKERS),
                  len(speakers) - MIN_EVAL_SPEAKERS)
    shuffled = random.Random(f"split:{seed}").sample(speakers, len(speakers))
    return SpeakerSplit(tuple(sorted(shuffled[:n_train])), tuple(sorted(shuffled[n_train:])))


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


# -- the semi-informed attacker's back-end --------------------------------------------------------

Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (n x d, n x d) -> n scores


def _pair_features(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Symmetric in the two sides: which dimensions agree, and by how much they differ."""
    return np.concatenate([a * b, np.abs(a - b)], axis=1)


def train_backend(embeddings: np.ndarray, speakers: Sequence[str], kind: str = "centred",
                  seed: int = 0) -> Scorer:
    """A scorer trained on voiceprints of the attacker's own (anonymized) speakers.

    Every kind centres on the training mean first: a defense that pushes every voice the same way
    fools a cosine, not an attacker who has seen what the defense does.
    - centred: that alone, then cosine (no other parameter: cannot overfit a few training speakers);
    - wccn: then within-class covariance normalisation (the training speakers' within-speaker
      covariance, shrunk half way to its mean variance), then cosine: a PLDA-like scoring;
    - logistic: a logistic model on standardised pair features (a*b, |a-b|) of every same-speaker pair and as many
      different-speaker pairs (seeded), scored by its log-odds;
    - lda: linear discriminant analysis (shrunk covariance) to at most speakers-1 dimensions, then cosine.
    """
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(embeddings, dtype=np.float64)
    labels = np.asarray(speakers, dtype=object).astype(str)
    if len(set(labels)) < 2:
        raise TooFewSpeakers("a back-end needs training clips of at least two speakers")
    mean = x.mean(axis=0)
    centred = x - mean  # not length-normalised: a norm set by the defense's noise would blur the voice
    if kind in ("centred", "wccn"):
        transform = np.eye(x.shape[1]) if kind == "centred" else _wccn(centred, labels)

        def cosine_after(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            pa = (np.asarray(a, np.float64) - mean) @ transform
            pb = (np.asarray(b, np.float64) - mean) @ transform
            return np.asarray(cosine_scores(pa, pb))

        return cosine_after
    if kind == "lda":
        lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto",
                                         n_components=min(len(set(labels)) - 1, x.shape[1]))
        lda.fit(centred, labels)

        def lda_score(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            pa = lda.transform(np.asarray(a, np.float64) - mean)
            pb = lda.transform(np.asarray(b, np.float64) - mean)
            return np.asarray(cosine_scores(pa, pb))

        return lda_score
    if kind != "logistic":
        raise ValueError(f"unknown back-end {kind!r}: choose one of {', '.join(BACKENDS)}")
    same = [(i, j) for i in range(len(x)) for j in range(i + 1, len(x)) if labels[i] == labels[j]]
    different = [(i, j) for i in range(len(x)) for j in range(i + 1, len(x)) if labels[i] != labels[j]]
    if not same:
        raise TooFewSpeakers("a back-end needs two or more training clips of one speaker")
    rng = random.Random(f"backend:{seed}")
    pairs = same + rng.sample(different, min(len(same), len(different)))
    first, second = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    target = np.r_[np.ones(len(same)), np.zeros(len(pairs) - len(same))]
    # Standardised features: a defense may shrink the dimensions that still carry the speaker.
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    model.fit(_pair_features(x[first] - mean, x[second] - mean), target)

    def logistic_score(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ca, cb = np.asarray(a, np.float64) - mean, np.asarray(b, np.float64) - mean
        return np.asarray(model.decision_function(_pair_features(ca, cb)))

    return logistic_score


def _wccn(centred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The inverse square root of the shrunk within-speaker covariance."""
    within = np.zeros((centred.shape[1], centred.shape[1]))
    for speaker in np.unique(labels):
        members = centred[labels == speaker]
        deviation = members - members.mean(axis=0)
        within += deviation.T @ deviation
    within /= len(centred)
    shrunk = (1 - WCCN_SHRINKAGE) * within + WCCN_SHRINKAGE * np.trace(within) / len(within) * np.eye(len(within))
    values, vectors = np.linalg.eigh(shrunk)
    return np.asarray(vectors @ np.diag(np.maximum(values, 1e-12) ** -0.5) @ vectors.T)


def semi_informed_scores(trials: Sequence[Trial], train_clips: Mapping[str, str], embed: Embed,
                         kind: str = "centred", seed: int = 0) -> list[float]:
    """Scores of the semi-informed attacker. `train_clips` maps each of its training clips to its
    speaker; it must share no speaker with the trials (checked). Its training clips, enrolment and
    test clips are all defended: it knows the defense and uses it on its own speakers."""
    evaluated = {t.speaker for t in trials}
    if set(train_clips.values()) & evaluated:
        raise ValueError("the semi-informed attacker's training speakers overlap the evaluation speakers: "
                         + ", ".join(sorted(set(train_clips.values()) & evaluated)))
    if set(train_clips) & ({t.enrol for t in trials} | {t.test for t in trials}):
        raise ValueError("a training clip of the semi-informed attacker is also in a trial")
    ids = sorted(train_clips)
    trained = embed(ids, True)
    scorer = train_backend(np.stack([trained[i] for i in ids]), [train_clips[i] for i in ids], kind, seed)
    enrol = embed(sorted({t.enrol for t in trials}), True)
    test = embed(sorted({t.test for t in trials}), True)
    a = np.stack([enrol[t.enrol] for t in trials])
    b = np.stack([test[t.test] for t in trials])
    return [float(x) for x in scorer(a, b)]
