"""Speaker verification (EER, minDCF, trials, attackers) and WER, on inputs with known answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from voiceleak.scoring.verification import (
    Trial,
    attack_scores,
    build_trials,
    eer,
    min_dcf,
    verification_metrics,
)
from voiceleak.scoring.wer import WordErrors, wer_metrics, word_errors
from voiceleak.studies.defend import expand_defenses, select_wer_clips
from voiceleak.types import Clip


def test_perfectly_separated_scores_give_zero() -> None:
    scores = [0.9, 0.8, 0.7, 0.1, 0.2, 0.3]
    target = [True, True, True, False, False, False]
    assert eer(scores, target) == 0.0
    assert min_dcf(scores, target) == 0.0


def test_identical_distributions_give_chance() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=20_000)
    target = np.arange(20_000) % 2 == 0
    assert eer(scores, target) == pytest.approx(0.5, abs=0.02)
    assert min_dcf(scores, target) == pytest.approx(1.0, abs=0.02)


def test_all_tied_scores_cannot_be_separated() -> None:
    assert eer([0.5] * 4, [True, False, True, False]) == 0.5
    assert min_dcf([0.5] * 4, [True, False, True, False]) == 1.0


def test_small_case_by_hand() -> None:
    # targets 0.9 0.8 0.3, non-targets 0.7 0.2 0.1. Accepting >= 0.7 misses 1/3 targets and lets in
    # 1/3 non-targets: EER 1/3. Accepting >= 0.8 misses 1/3 and lets in none:
    # DCF = 0.05 * 1/3 / min(0.05, 0.95) = 1/3, the lowest over all thresholds.
    scores = [0.9, 0.8, 0.3, 0.7, 0.2, 0.1]
    target = [True, True, True, False, False, False]
    assert eer(scores, target) == pytest.approx(1 / 3)
    assert min_dcf(scores, target) == pytest.approx(1 / 3)


def test_eer_of_gaussian_scores_matches_theory() -> None:
    rng = np.random.default_rng(1)
    scores = np.r_[rng.normal(1, 1, 20_000), rng.normal(-1, 1, 20_000)]
    target = np.r_[np.ones(20_000, bool), np.zeros(20_000, bool)]
    assert eer(scores, target) == pytest.approx(0.1587, abs=0.01)  # Phi(-1): curves cross midway


def clips_for(speakers: dict[str, int]) -> list[Clip]:
    return [Clip(f"{s}-{i}", Path(f"{s}-{i}.wav"), s, text=f"hello {s} number {i}",
                 labels={"language": "en" if s != "it" else "it"})
            for s, n in speakers.items() for i in range(n)]


def test_trials_are_balanced_seeded_and_never_pair_a_clip_with_itself() -> None:
    clips = clips_for({"a": 5, "b": 5, "c": 3, "solo": 1})
    trials = build_trials(clips, per_speaker=4, seed=0)
    assert trials == build_trials(clips, per_speaker=4, seed=0)
    assert trials != build_trials(clips, per_speaker=4, seed=1)
    speaker = {c.id: c.speaker_id for c in clips}
    per = Counter((t.speaker, t.target) for t in trials)
    assert per == {("a", True): 4, ("a", False): 4, ("b", True): 4, ("b", False): 4,
                   ("c", True): 3, ("c", False): 3}  # c has only 3 pairs; solo has none
    for t in trials:
        assert t.enrol != t.test
        assert (speaker[t.enrol] == speaker[t.test]) is t.target


def test_metrics_carry_intervals_over_speakers() -> None:
    trials = [Trial(f"{s}e{i}", f"{s}t{i}", i % 2 == 0, s) for s in "abcdef" for i in range(6)]
    rng = np.random.default_rng(2)
    scores = [float(rng.normal(1.5 if t.target else 0, 1)) for t in trials]
    metrics = verification_metrics(scores, trials, resamples=300)
    assert metrics["n_trials"] == 36 and metrics["n_target"] == 18 and metrics["n_speakers"] == 6
    for key in ("eer", "min_dcf"):
        value = metrics[key]
        assert value["low"] <= value["value"] <= value["high"]
    assert verification_metrics([], [])["eer"]["value"] is None


def test_attackers_enrol_on_clean_or_defended_speech() -> None:
    """A defense that maps every voice to one point fools the ignorant attacker into accepting
    everyone and leaves the lazy-informed one no better: both at chance."""
    trials = [Trial("a1", "a2", True, "a"), Trial("a1", "b1", False, "a"),
              Trial("b1", "b2", True, "b"), Trial("b1", "a2", False, "b")]
    clean = {"a1": [1.0, 0.0], "a2": [0.9, 0.1], "b1": [0.0, 1.0], "b2": [0.1, 0.9]}
    asked: list[tuple[tuple[str, ...], bool]] = []

    def embed(ids: Sequence[str], defended: bool) -> dict[str, np.ndarray]:
        asked.append((tuple(ids), defended))
        return {i: np.array([1.0, 1.0]) if defended else np.array(clean[i]) for i in ids}

    ignorant = attack_scores(trials, embed, informed=False)
    assert asked[0] == (("a1", "b1"), False) and asked[1] == (("a2", "b1", "b2"), True)
    assert eer(ignorant, [t.target for t in trials]) == 0.5
    lazy = attack_scores(trials, embed, informed=True)
    assert lazy == pytest.approx([1.0] * 4)


def test_word_errors_after_normalisation() -> None:
    assert word_errors("Hello, World! It's “fine”.", "hello world it's fine") == WordErrors(0, 4)
    assert word_errors("I have 15 apples", "I have fifteen apples.") == WordErrors(0, 4)
    assert word_errors("The cat sat on the mat.", "the cat sat on a mat") == WordErrors(1, 6)
    assert word_errors("two words", "") == WordErrors(2, 2)
    assert word_errors("a b c", "a x b c d") == WordErrors(2, 3)  # two insertions


def test_wer_is_pooled_over_words_with_an_interval() -> None:
    counts = [word_errors("a b c d", "a b c d"), word_errors("a b", "a x"), word_errors("a b c", "a b")]
    metrics = wer_metrics(counts, ["s1", "s2", "s3"])
    assert metrics["wer"]["value"] == pytest.approx(2 / 9, abs=1e-4)
    assert metrics["wer"]["status"] == "too_few"  # three speakers carry no interval
    counts += [word_errors("a b", "a b"), word_errors("a b c", "a c")]
    metrics = wer_metrics(counts, ["s1", "s2", "s3", "s4", "s5"])
    assert metrics["wer"]["value"] == pytest.approx(3 / 14, abs=1e-4)
    assert metrics["wer"]["low"] <= metrics["wer"]["value"] <= metrics["wer"]["high"]


def test_wer_clips_spread_over_speakers_in_the_recognisers_language() -> None:
    clips = clips_for({"a": 6, "b": 6, "it": 6})
    chosen = select_wer_clips(clips, 5, "en", seed=0)
    assert len(chosen) == 5 and {c.speaker_id for c in chosen} == {"a", "b"}
    assert sorted(Counter(c.speaker_id for c in chosen).values()) == [2, 3]
    assert {c.speaker_id for c in select_wer_clips(clips, 6, None, seed=0)} == {"a", "b", "it"}


def test_strength_lists_expand_into_one_spec_each() -> None:
    assert expand_defenses(["mcadams:0.7,0.8,0.9"]) == ["mcadams:0.7", "mcadams:0.8", "mcadams:0.9"]
    assert expand_defenses(["noise:snr=20,10 colour=pink"]) == ["noise:snr=20 colour=pink",
                                                                "noise:snr=10 colour=pink"]
    assert expand_defenses(["pitch:+2,-2", "output-filter:sex+age", "noise:snr=10,colour=pink"]) == [
        "pitch:+2", "pitch:-2", "output-filter:sex+age", "noise:snr=10,colour=pink"]
