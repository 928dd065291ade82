"""The semi-informed attacker: a speaker split it never crosses, and a back-end trained on defended
voiceprints, on fixtures with known answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voiceleak.scoring.verification import (
    TooFewSpeakers,
    Trial,
    attack_scores,
    build_trials,
    eer,
    semi_informed_scores,
    split_speakers,
    train_backend,
)
from voiceleak.studies.defend import DefendConfig, plan_semi_informed
from voiceleak.types import Clip


def clips_for(speakers: dict[str, int]) -> list[Clip]:
    return [Clip(f"{s}-{i}", Path(f"{s}-{i}.wav"), s) for s, n in speakers.items() for i in range(n)]


def test_split_is_seeded_disjoint_and_covers_the_speakers_with_two_clips() -> None:
    clips = clips_for({**{f"s{i}": 4 for i in range(10)}, "solo": 1})
    split = split_speakers(clips, 0.5, seed=0)
    assert split == split_speakers(clips, 0.5, seed=0)
    assert split != split_speakers(clips, 0.5, seed=3)
    assert len(split.train) == 5 and len(split.evaluation) == 5
    assert not set(split.train) & set(split.evaluation)
    assert set(split.train) | set(split.evaluation) == {f"s{i}" for i in range(10)}  # solo: no trial
    # Rounding never leaves fewer than 3 training or 2 evaluation speakers.
    small = split_speakers(clips_for({f"s{i}": 3 for i in range(5)}), 0.1, seed=0)
    assert (len(small.train), len(small.evaluation)) == (3, 2)


def test_too_few_speakers_is_refused_with_the_reason() -> None:
    with pytest.raises(TooFewSpeakers, match=r"at least 5 speakers.*this corpus has 4"):
        split_speakers(clips_for({f"s{i}": 3 for i in range(4)} | {"solo": 1}))
    config = DefendConfig(corpus="x", defenses=())
    reason = plan_semi_informed(clips_for({"a": 3, "b": 3}), config)
    assert isinstance(reason, str) and "this corpus has 2" in reason


def test_the_attacker_never_sees_evaluation_speakers_and_trials_are_balanced() -> None:
    clips = clips_for({f"s{i}": 6 for i in range(8)})
    config = DefendConfig(corpus="x", defenses=(), trials_per_speaker=4, train_clips_per_speaker=3)
    semi = plan_semi_informed(clips, config)
    assert not isinstance(semi, str)
    speaker = {c.id: c.speaker_id for c in clips}
    train_speakers = set(semi.train_clips.values())
    assert train_speakers == set(semi.split.train)
    assert Counter(semi.train_clips.values()) == {s: 3 for s in semi.split.train}
    for trial in semi.trials:  # every clip of every trial belongs to an evaluation speaker
        assert speaker[trial.enrol] in semi.split.evaluation and speaker[trial.test] in semi.split.evaluation
        assert (speaker[trial.enrol] == speaker[trial.test]) is trial.target
    per = Counter((t.speaker, t.target) for t in semi.trials)
    assert per == {(s, target): 4 for s in semi.split.evaluation for target in (True, False)}

    # The embedding calls: defended training clips of training speakers only, then the trials.
    asked: list[tuple[tuple[str, ...], bool]] = []

    def embed(ids: Sequence[str], defended: bool) -> dict[str, np.ndarray]:
        asked.append((tuple(ids), defended))
        return {i: np.random.default_rng(abs(hash(i)) % 2**32).normal(size=4) for i in ids}

    semi_informed_scores(semi.trials, semi.train_clips, embed)
    assert {speaker[i] for i in asked[0][0]} == train_speakers and asked[0][1] is True
    assert all(speaker[i] in semi.split.evaluation for ids, _ in asked[1:] for i in ids)
    assert all(defended for _, defended in asked)


def test_training_on_an_evaluation_speaker_is_an_error() -> None:
    trials = [Trial("a1", "a2", True, "a"), Trial("a1", "b1", False, "a")]
    with pytest.raises(ValueError, match="overlap the evaluation speakers: a"):
        semi_informed_scores(trials, {"a9": "a", "c1": "c"}, lambda ids, d: {})


def voices(n_speakers: int, per_speaker: int, start: int, seed: int) -> tuple[list[Clip], dict[str, np.ndarray]]:
    """Speakers on a circle in dimensions 0-1; each clip adds large nuisance in dimensions 2-7."""
    rng = np.random.default_rng(seed)
    clips, clean = [], {}
    for k in range(n_speakers):
        angle = 2 * np.pi * (start + k) / 23
        for i in range(per_speaker):
            clip = Clip(f"v{start + k}-{i}", Path("x.wav"), f"v{start + k}")
            voice = np.r_[np.cos(angle), np.sin(angle)] + rng.normal(0, 0.02, 2)
            clean[clip.id] = np.r_[voice * 4.0, rng.normal(0, 0.3, 6)]
            clips.append(clip)
    return clips, clean


@pytest.mark.parametrize("kind", ["logistic", "lda"])
def test_a_defense_that_fools_cosine_does_not_fool_the_semi_informed_attacker(kind: str) -> None:
    """Known answer: the defense shrinks the voice and adds a constant offset and loud per-clip noise.
    Cosine (ignorant, lazy-informed) drowns in the noise; a back-end trained on defended voices of
    other speakers learns to look at dimensions 0-1 and separates (nearly) every trial."""
    train, clean_train = voices(8, 6, start=0, seed=1)
    evaluation, clean_eval = voices(6, 6, start=11, seed=2)
    clean = clean_train | clean_eval
    noise = np.random.default_rng(3)
    defended = {i: np.r_[v[:2] * 0.25, 5.0 + noise.normal(0, 3.0, 6)] for i, v in clean.items()}

    def embed(ids: Sequence[str], is_defended: bool) -> dict[str, np.ndarray]:
        return {i: (defended if is_defended else clean)[i] for i in ids}

    trials = build_trials(evaluation, per_speaker=10, seed=0)
    target = [t.target for t in trials]
    lazy = eer(attack_scores(trials, embed, informed=True), target)
    semi = eer(semi_informed_scores(trials, {c.id: str(c.speaker_id) for c in train}, embed, kind), target)
    assert lazy > 0.2
    # LDA finds dimensions 0-1 exactly; the pair model weighs |a-b| linearly and keeps a little noise.
    assert semi <= (0.0 if kind == "lda" else 0.05), semi


def test_backend_refuses_one_speaker_and_unknown_kinds() -> None:
    x = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(TooFewSpeakers):
        train_backend(x, ["a"] * 4)
    with pytest.raises(ValueError, match="unknown back-end"):
        train_backend(x, ["a", "a", "b", "b"], kind="plda")


@pytest.mark.parametrize("kind", ["centred", "wccn"])
def test_a_shift_shared_by_every_voice_fools_cosine_not_the_centring_attacker(kind: str) -> None:
    """Known answer: a defense that adds one vector to every voiceprint leaves the centring back-ends'
    scores exactly as they were (they subtract the anonymized training mean), while the cosine moves."""
    train, clean_train = voices(8, 6, start=0, seed=1)
    evaluation, clean_eval = voices(6, 6, start=11, seed=2)
    clean = clean_train | clean_eval
    offset = np.r_[0.0, 0.0, 30.0, -20.0, 0.0, 0.0, 0.0, 0.0]
    shifted = {i: v + offset for i, v in clean.items()}
    trials = build_trials(evaluation, per_speaker=10, seed=0)
    train_clips = {c.id: str(c.speaker_id) for c in train}

    def embed_with(table: dict[str, np.ndarray]) -> Any:
        return lambda ids, defended: {i: table[i] for i in ids}

    plain = semi_informed_scores(trials, train_clips, embed_with(clean), kind)
    moved = semi_informed_scores(trials, train_clips, embed_with(shifted), kind)
    assert moved == pytest.approx(plain, abs=1e-9)
    assert attack_scores(trials, embed_with(shifted), True) != pytest.approx(
        attack_scores(trials, embed_with(clean), True), abs=1e-3)
