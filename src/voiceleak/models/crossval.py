"""Out-of-fold prediction for supervised attackers, speaker-disjoint where speakers are known.

A class with a single speaker cannot be estimated speaker-disjointly: any correct answer would come
from recognising that one speaker's channel or voice, not the attribute. Such clips are answered
with an explicit "not estimable" error instead of a number that memorised speakers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

MIN_GROUPS_PER_CLASS = 2
MIN_SAMPLES_PER_CLASS = 2
MAX_LEAVE_ONE_OUT_GROUPS = 12

#: fit on (train indices) and predict labels for (test indices)
FitPredict = Callable[[np.ndarray, np.ndarray], Sequence[str]]


@dataclass(frozen=True)
class OutOfFold:
    predictions: list[str | None]
    excluded: dict[int, str]  # index -> why it could not be estimated
    scheme: str


def estimable_mask(labels: Sequence[str], groups: Sequence[str] | None,
                   clips: Sequence[str] | None = None) -> tuple[np.ndarray, dict[int, str]]:
    """Which samples belong to a class with enough speakers (or distinct clips) to be held out."""
    reasons: dict[int, str] = {}
    if groups is not None:
        speakers: dict[str, set[str]] = defaultdict(set)
        for label, group in zip(labels, groups, strict=True):
            speakers[label].add(group)
        for i, label in enumerate(labels):
            if len(speakers[label]) < MIN_GROUPS_PER_CLASS:
                reasons[i] = (f"not estimable speaker-disjoint: class {label!r} has "
                              f"{len(speakers[label])} speaker(s), need {MIN_GROUPS_PER_CLASS}")
    else:
        distinct: dict[str, set[str]] = defaultdict(set)
        for i, label in enumerate(labels):
            distinct[label].add(clips[i] if clips is not None else str(i))
        for i, label in enumerate(labels):
            if len(distinct[label]) < MIN_SAMPLES_PER_CLASS:
                reasons[i] = f"not estimable: class {label!r} has {len(distinct[label])} distinct clip(s)"
    keep = np.array([i not in reasons for i in range(len(labels))], dtype=bool)
    kept = [int(i) for i in np.flatnonzero(keep)]
    if len({labels[i] for i in kept}) < 2:
        for i in kept:
            reasons[i] = "not estimable: fewer than two classes with enough speakers"
        keep[:] = False
    return keep, reasons


def _splits(labels: np.ndarray, groups: np.ndarray | None,
            clips: np.ndarray) -> tuple[str, Iterator[tuple[np.ndarray, np.ndarray]]]:
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut, StratifiedGroupKFold  # slow to import

    dummy = np.zeros(len(labels))
    if groups is not None:
        n_groups = len(set(groups.tolist()))
        if n_groups <= MAX_LEAVE_ONE_OUT_GROUPS:
            return "leave-one-speaker-out", LeaveOneGroupOut().split(dummy, labels, groups)
        return "5-fold speaker-disjoint", GroupKFold(n_splits=5).split(dummy, labels, groups)
    # Within speakers, folds group by clip: a clip asked twice (repeats) never sits in training and test.
    per_class = Counter(label for label, _ in set(zip(labels.tolist(), clips.tolist(), strict=True)))
    n_splits = int(min(5, min(per_class.values())))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=0)
    return f"{n_splits}-fold stratified within speakers, grouped by clip", splitter.split(dummy, labels, clips)


def out_of_fold(labels: Sequence[str], groups: Sequence[str] | None, fit_predict: FitPredict,
                clips: Sequence[str] | None = None) -> OutOfFold:
    """Out-of-fold predictions; `clips` names the audio of each sample (its content hash), so repeats of
    one clip always fall in the same fold: a supervised attacker never sees a test clip in training."""
    keep, excluded = estimable_mask(labels, groups, clips)
    predictions: list[str | None] = [None] * len(labels)
    index = np.flatnonzero(keep)
    if len(index) == 0:
        return OutOfFold(predictions, excluded, "none")
    kept_labels = np.asarray(labels, dtype=object)[index]
    kept_groups = None if groups is None else np.asarray(groups, dtype=object)[index]
    kept_clips = np.asarray(clips if clips is not None else [str(i) for i in range(len(labels))], dtype=object)[index]
    scheme, splits = _splits(kept_labels, kept_groups, kept_clips)
    for train, test in splits:
        for i, predicted in zip(test, fit_predict(index[train], index[test]), strict=True):
            predictions[int(index[i])] = predicted
    return OutOfFold(predictions, excluded, scheme)
