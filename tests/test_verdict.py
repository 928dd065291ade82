"""The least-privilege verdict on fixed numbers: every outcome reachable, thresholds respected."""

from __future__ import annotations

import pytest

from voiceleak.analysis.verdict import Gap, Outcome, Thresholds, Utility, decide

T = Thresholds(min_leak_gap=0.10, max_utility_loss=0.05)
SEX_GAP = Gap("sex", 0.41, 0.35, 0.47, e2e_low=0.40)


def wer(loss: float, low: float, high: float, bounded: bool = False) -> Utility:
    return Utility("transcription", "WER", loss, low, high, bounded=bounded)


def test_cascade_with_less_privilege_names_the_largest_gap_and_the_utility() -> None:
    small = Gap("accent", 0.12, 0.02, 0.22, e2e_low=0.05)
    verdict = decide(wer(0.003, -0.005, 0.011), [small, SEX_GAP], T)
    assert verdict.outcome is Outcome.LESS_PRIVILEGE
    assert verdict.sentence == ("end-to-end reaches sex +41.0 points [35.0, 47.0] above the cascade while "
                                "transcription WER differs by +0.3 points [-0.5, 1.1]: the cascade serves "
                                "transcription with less privilege")


def test_end_to_end_necessary_when_the_cascade_loses_beyond_the_tolerance() -> None:
    verdict = decide(wer(0.20, 0.12, 0.28), [SEX_GAP], T)
    assert verdict.outcome is Outcome.NECESSARY
    assert "the cascade's WER is worse by 20.0 points [12.0, 28.0], beyond the 5.0-point tolerance" in verdict.sentence
    assert verdict.sentence.startswith("end-to-end is necessary for transcription")
    assert "sex +41.0 points" in verdict.sentence  # the privilege it costs is still stated


def test_no_gap_when_every_attribute_is_confidently_below_the_gap_threshold() -> None:
    verdict = decide(wer(0.0, -0.01, 0.01), [Gap("sex", 0.02, -0.03, 0.07, e2e_low=0.3)], T)
    assert verdict.outcome is Outcome.NO_GAP


@pytest.mark.parametrize("utility, gaps, reason", [
    (wer(0.04, -0.02, 0.10), [SEX_GAP], "reaches past the 5.0-point tolerance"),  # utility straddles
    (wer(0.0, -0.01, 0.01), [Gap("sex", 0.15, -0.05, 0.35, e2e_low=0.1)], "too uncertain"),  # gap straddles 0
    (Utility("transcription", "WER", None, None, None), [SEX_GAP], "no WER was measured"),
    (wer(0.0, -0.01, 0.01), [], "no sensitive attribute was audited"),
])
def test_inconclusive_when_intervals_are_too_wide(utility: Utility, gaps: list[Gap], reason: str) -> None:
    verdict = decide(utility, gaps, T)
    assert verdict.outcome is Outcome.INCONCLUSIVE
    assert reason in verdict.sentence


def test_thresholds_are_respected_at_their_edges() -> None:
    at_tolerance = wer(0.03, 0.01, 0.05)  # high == tolerance: within
    assert decide(at_tolerance, [SEX_GAP], T).outcome is Outcome.LESS_PRIVILEGE
    just_past = wer(0.03, 0.01, 0.0501)
    assert decide(just_past, [SEX_GAP], T).outcome is Outcome.INCONCLUSIVE
    below_gap = Gap("sex", 0.099, 0.05, 0.15, e2e_low=0.3)  # significant, but under 10 points
    assert decide(at_tolerance, [below_gap], T).outcome is Outcome.INCONCLUSIVE
    strict = Thresholds(min_leak_gap=0.5, max_utility_loss=0.05)  # the sex gap [35, 47] is all below 50
    assert decide(at_tolerance, [SEX_GAP], strict).outcome is Outcome.NO_GAP
    straddling = Thresholds(min_leak_gap=0.45, max_utility_loss=0.05)
    assert decide(at_tolerance, [SEX_GAP], straddling).outcome is Outcome.INCONCLUSIVE
    lenient = Thresholds(min_leak_gap=0.10, max_utility_loss=0.30)
    assert decide(wer(0.20, 0.12, 0.28), [SEX_GAP], lenient).outcome is Outcome.LESS_PRIVILEGE


def test_a_gap_over_an_end_to_end_model_at_chance_is_not_exposure() -> None:
    # The cascade below chance makes a large gap, but end-to-end itself is indistinguishable from chance.
    gap = Gap("regional_accent", 0.50, 0.15, 0.75, e2e_low=-0.30)
    assert decide(wer(0.0, -0.01, 0.01), [gap], T).outcome is Outcome.INCONCLUSIVE


def test_a_bound_against_a_perfect_model_never_proves_end_to_end_necessary() -> None:
    bounded = wer(0.114, 0.03, 0.205, bounded=True)
    verdict = decide(bounded, [SEX_GAP], T)
    assert verdict.outcome is Outcome.INCONCLUSIVE
    assert "bound is against a perfect model" in verdict.sentence
    tight = wer(0.02, 0.01, 0.04, bounded=True)
    verdict = decide(tight, [SEX_GAP], T)
    assert verdict.outcome is Outcome.LESS_PRIVILEGE
    assert "even against a perfect end-to-end model" in verdict.sentence


def test_accuracy_applications_use_the_same_rules() -> None:
    lid = Utility("language-id", "accuracy", 0.25, 0.15, 0.35)
    verdict = decide(lid, [SEX_GAP], T)
    assert verdict.outcome is Outcome.NECESSARY
    assert "the cascade's accuracy is worse by 25.0 points [15.0, 35.0]" in verdict.sentence
