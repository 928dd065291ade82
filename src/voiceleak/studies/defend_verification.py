"""The defend study's speaker-verification attackers, scored into the run log.

Ignorant and lazy-informed attackers score every trial (enrolled on clean or on defended speech); the
semi-informed one trains a back-end on defended speech of its own speakers, split off the corpus, and
all three are also scored side by side on the remaining speakers' trials (VoicePrivacy Challenge).

Why not ordinary cells: a request goes to one model under one transform, but an ignorant trial pairs
clean enrolment audio with defended test audio, and the semi-informed attacker trains across clips of
other speakers first. So the study measures them itself, after the run (its `settle` step), and logs
one record per trial and attacker (`meta`: the attacker's score, the two clips and whether they share a
speaker; no `value`, since one score is no figure of a cell). The report rebuilds EER and minDCF from
those records alone, like every other figure; a resumed study measures only the conditions the log
does not hold yet.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voiceleak.analysis.defenses import ALL, ATTACKER, EVALUATION, task_name
from voiceleak.audio import AudioError
from voiceleak.models.voiceprint import VoiceprintEncoder
from voiceleak.runner.context import AudioLoader
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import sample_key
from voiceleak.scoring.verification import (
    SpeakerSplit,
    TooFewSpeakers,
    Trial,
    attack_scores,
    build_trials,
    semi_informed_scores,
    split_speakers,
)
from voiceleak.studies.base import per_speaker
from voiceleak.transforms.base import IDENTITY, Transform, TransformContext
from voiceleak.types import TRIAL_FAMILY, Audio, Clip, Outcome, Request, SampleRecord


def select_per_speaker(clips: Sequence[Clip], per_speaker_limit: int, seed: int) -> list[Clip]:
    """Up to `per_speaker_limit` clips of each speaker (seeded), in corpus order."""
    return per_speaker(clips, per_speaker_limit, f"subset:{seed}")


@dataclass(frozen=True)
class SemiInformed:
    """What the semi-informed attacker is given: its training clips (by speaker), the evaluation
    trials (speakers disjoint from its training speakers) and its back-end."""

    split: SpeakerSplit
    train_clips: Mapping[str, str]  # clip id -> speaker
    trials: Sequence[Trial]
    backend: str
    seed: int

    def describe(self, train_fraction: float, train_per_speaker: int) -> dict[str, Any]:
        return {"status": "ok", "backend": self.backend, "train_fraction": train_fraction,
                **self.split.to_dict(), "n_train_clips": len(self.train_clips), "n_trials": len(self.trials),
                "train_clips_per_speaker": train_per_speaker}


def plan_semi_informed(clips: Sequence[Clip], per_speaker: int, train_fraction: float, train_per_speaker: int,
                       backend: str, seed: int) -> SemiInformed | str:
    """The split, training clips and evaluation trials; or, when the corpus is too small, the reason."""
    try:
        split = split_speakers(clips, train_fraction, seed)
    except TooFewSpeakers as exc:
        return str(exc)
    training = select_per_speaker([c for c in clips if c.speaker_id in split.train], train_per_speaker, seed)
    trials = build_trials([c for c in clips if c.speaker_id in split.evaluation], per_speaker, seed)
    if not trials:
        return "no evaluation trials: the evaluation speakers have too few clips"
    return SemiInformed(split, {c.id: str(c.speaker_id) for c in training}, trials, backend, seed)


@dataclass(frozen=True)
class AttackPlan:
    """The trials of every speaker, and the semi-informed attacker's plan (or why it is not run)."""

    trials: tuple[Trial, ...]
    semi: SemiInformed | str


class Conditions:
    """Clean or defended audio of any clip, for any condition of the run (each clip loaded once)."""

    def __init__(self, clips: Sequence[Clip], transforms: Mapping[str, Transform]) -> None:
        self.clips = {c.id: c for c in clips}
        self.transforms = transforms
        self.load = AudioLoader(capacity=1024)

    def audio(self, clip_id: str, condition: str) -> Audio:
        clip = self.clips[clip_id]
        audio = self.load(clip)
        if condition == IDENTITY:
            return audio
        request = Request(f"defend:{clip_id}", "", audio)
        defended = self.transforms[condition](request, TransformContext(clip, lambda _: None)).audio
        if defended is None:
            raise ValueError(f"{condition} removed the audio of {clip_id}")
        return defended

    def readable(self, trials: Sequence[Trial]) -> list[Trial]:
        """Trials whose two clips load: a corrupt file is the runner's logged error, not a crash here."""
        bad = set()
        for clip_id in sorted({c for t in trials for c in (t.enrol, t.test)}):
            try:
                self.audio(clip_id, IDENTITY)
            except AudioError:
                bad.add(clip_id)
        return [t for t in trials if t.enrol not in bad and t.test not in bad]


def attack(conditions: Conditions, condition: str, plan: AttackPlan,
           encoder: VoiceprintEncoder) -> dict[tuple[str, str], tuple[list[Trial], list[float]]]:
    """(attacker, trial set) -> (trials, scores) under one condition."""
    memo: dict[tuple[str, bool], np.ndarray] = {}

    def embed(ids: Sequence[str], defended: bool) -> dict[str, np.ndarray]:
        missing = [i for i in ids if (i, defended) not in memo]
        audios = [conditions.audio(i, condition if defended else IDENTITY) for i in missing]
        for i, vector in zip(missing, encoder.embed(audios) if audios else [], strict=True):
            memo[(i, defended)] = vector
        return {i: memo[(i, defended)] for i in ids}

    every = conditions.readable(plan.trials)
    out = {("ignorant", ALL): (every, attack_scores(every, embed, informed=False)),
           ("lazy_informed", ALL): (every, attack_scores(every, embed, informed=True))}
    semi = plan.semi
    if not isinstance(semi, str):
        held_out = conditions.readable(semi.trials)
        out[("ignorant", EVALUATION)] = (held_out, attack_scores(held_out, embed, informed=False))
        out[("lazy_informed", EVALUATION)] = (held_out, attack_scores(held_out, embed, informed=True))
        out[("semi_informed", EVALUATION)] = (held_out, semi_informed_scores(
            held_out, semi.train_clips, embed, semi.backend, semi.seed))
    return out


def trial_records(condition: str, attacker: str, trials_set: str, trials: Sequence[Trial],
                  scores: Sequence[float]) -> Iterator[SampleRecord]:
    task = task_name(attacker, trials_set)
    for index, (trial, score) in enumerate(zip(trials, scores, strict=True)):
        yield SampleRecord(
            key=sample_key(ATTACKER, task, condition, f"trial-{index}", 0), model=ATTACKER, task=task,
            transform=condition, clip_id=trial.test, repeat=0, speaker_id=trial.speaker, labels={}, target=None,
            prompt="", system=None, audio_note="two clips", response=None, error=None,
            outcome=Outcome.ANSWER.value, predicted=None, truth=None, correct=None, value=None, latency_s=0.0,
            cached=False, family=TRIAL_FAMILY, meta={"score": round(score, 5), "enrol": trial.enrol, "test": trial.test,
                                "target": trial.target})


def measured_conditions(log: RunLog) -> set[str]:
    """Conditions whose verification records the log already holds (a condition is logged whole)."""
    return {r.transform for r in log.records() if r.model == ATTACKER}


def log_attacks(log: RunLog, conditions: Conditions, names: Sequence[str], plan: AttackPlan,
                encoder: VoiceprintEncoder) -> int:
    """Measure the conditions the log lacks and append their records; returns how many were added."""
    missing = [n for n in names if n not in measured_conditions(log)]
    if not missing or not plan.trials:
        return 0
    header = log.read_header()
    log.start(header, header["config"])  # the run's own log, reopened for appending; the same config
    added = 0
    try:
        for condition in missing:  # a condition is appended whole, so a resume never holds half of one
            records = [r for (attacker, trials_set), (trials, scores) in attack(conditions, condition, plan,
                                                                                 encoder).items()
                       for r in trial_records(condition, attacker, trials_set, trials, scores)]
            for record in records:
                log.append(record)
            added += len(records)
    finally:
        log.close()
    return added
