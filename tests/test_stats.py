"""The statistical core on records whose truth is known: each defect the issue observed is a case here.

Unit tests check the mechanics on small fixed or seeded corpora (seconds); the rates (coverage,
false positives, power) are measured by benchmarks/calibration.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ttest_1samp

from voiceleak.analysis.aggregate import role
from voiceleak.analysis.common import adjust, paired
from voiceleak.analysis.privilege import build_privilege
from voiceleak.models.crossval import out_of_fold
from voiceleak.report.console import interval_text
from voiceleak.scoring.metrics import summarize
from voiceleak.scoring.stats import (
    Estimate,
    adjust_family,
    class_cell,
    holm,
    leakage,
    side_channel,
    speaker_units,
    stratified,
)
from voiceleak.scoring.stats.bootstrap import bootstrap
from voiceleak.types import Outcome, SampleRecord


def rec(i: int, speaker: str | None, truth: str, reply: str, *, model: str = "m", task: str = "attribute:sex",
        repeat: int = 0) -> SampleRecord:
    """`reply`: a class name (an answer), "REFUSAL", "UNPARSEABLE" or "ERROR"."""
    outcome = {"REFUSAL": Outcome.REFUSAL, "UNPARSEABLE": Outcome.UNPARSEABLE,
               "ERROR": Outcome.ERROR}.get(reply, Outcome.ANSWER)
    answer = outcome == Outcome.ANSWER
    return SampleRecord(
        key=f"{model}{task}{i}{repeat}", model=model, task=task, transform="none", clip_id=f"c{i}", repeat=repeat,
        speaker_id=speaker, labels={"sex": truth}, target="sex", prompt="q", system=None, audio_note="clip",
        response=reply, error="boom" if outcome == Outcome.ERROR else None, outcome=outcome.value,
        predicted=reply if answer else None, truth=truth, correct=(reply == truth) if answer else None,
        value=None, latency_s=0.0, cached=False)


def corpus(reply: dict[str, object], speakers: int = 8, clips: int = 4, seed: int = 0) -> list[SampleRecord]:
    """`speakers` speakers per class (Female, Male), `clips` each; `reply[truth]` is a reply or a callable."""
    rng = np.random.default_rng(seed)
    out, i = [], 0
    for truth in ("Female", "Male"):
        for s in range(speakers):
            for _ in range(clips):
                chosen = reply[truth]
                out.append(rec(i, f"{truth}{s}", truth, chosen(rng) if callable(chosen) else str(chosen)))
                i += 1
    return out


# -- leakage against the model's own null -----------------------------------------------------------

def test_a_constant_answer_leaks_exactly_nothing() -> None:
    metrics = summarize(corpus({"Female": "Male", "Male": "Male"}))
    assert metrics["leakage"]["value"] == 0.0 and metrics["leakage"]["status"] == "exact"
    assert metrics["balanced_accuracy"]["value"] == 0.5 and metrics["null"] == 0.5
    assert "exact" in interval_text(metrics["leakage"])


def test_a_random_guesser_among_16_offered_classes_sits_at_its_null() -> None:
    """Issue: 1 / (classes present) put such a guesser at -44 points [-48, -41]."""
    offered = [f"region{k}" for k in range(14)] + ["Female", "Male"]
    guess = {t: (lambda rng: offered[int(rng.integers(16))]) for t in ("Female", "Male")}
    metrics = summarize(corpus(guess, speakers=10, clips=20, seed=3))
    assert metrics["null"] == pytest.approx(1 / 16, abs=0.03)
    leak = metrics["leakage"]
    assert abs(leak["value"]) < 0.05 and leak["low"] < 0 < leak["high"]


def test_answers_outside_the_classes_present_sit_at_zero() -> None:
    metrics = summarize(corpus({"Female": "Scottish", "Male": "Welsh"}))
    assert metrics["leakage"]["value"] == 0.0 and metrics["null"] == 0.0


def test_refusing_one_class_is_a_side_channel_the_figures_see() -> None:
    """Issue: refusing every Female clip and answering Male on every Male clip showed leakage 0."""
    records = corpus({"Female": "REFUSAL", "Male": "Male"})
    metrics = summarize(records)
    assert metrics["leakage"]["value"] == pytest.approx(0.25)
    assert metrics["non_answer_by_class"]["Female"]["value"] == 1.0
    assert metrics["non_answer_by_class"]["Male"]["value"] == 0.0
    channel = metrics["side_channel"]
    assert channel["p_value"] < 0.01 and channel["spread"] == 1.0
    cell = class_cell(records)
    assert cell is not None and side_channel(cell)["test"] == "permutation over units"


def test_leakage_of_a_hearing_model_is_its_balanced_accuracy_above_its_null() -> None:
    right = {"Female": "Female", "Male": lambda rng: "Male" if rng.random() < 0.75 else "Female"}
    metrics = summarize(corpus(right, speakers=10, clips=10))
    ba, null, leak = (metrics[k] for k in ("balanced_accuracy", "null", "leakage"))
    assert leak["value"] == pytest.approx(ba["value"] - null, abs=1e-3)
    assert leak["low"] > 0 and metrics["unit"] == "speaker" and metrics["n_units"] == 20


# -- intervals -----------------------------------------------------------------------------------

def test_all_correct_gets_an_exact_one_sided_bound_with_the_speakers_beside_it() -> None:
    """Issue: 100 [100-100] for 10 voices."""
    metrics = summarize(corpus({"Female": "Female", "Male": "Male"}, speakers=5))
    ba = metrics["balanced_accuracy"]
    assert ba["status"] == "bound" and ba["high"] is None and ba["n_units"] == 10
    assert ba["low"] == pytest.approx(0.05 ** (1 / 10), abs=1e-4)
    assert interval_text(ba) == "100.0 (≥ 74.1, all 10 speakers)"


def test_too_few_speakers_get_no_interval() -> None:
    metrics = summarize(corpus({"Female": "Female", "Male": lambda rng: str(rng.choice(["Male", "Female"]))},
                               speakers=4))
    assert metrics["leakage"]["status"] == "too_few" and metrics["leakage"]["low"] is None
    assert "too few speakers" in interval_text(metrics["leakage"])


def test_a_record_without_speaker_resamples_clips_and_says_so() -> None:
    """Issue: one record without a speaker id silently switched the cell to clip resampling."""
    records = corpus({"Female": "Female", "Male": "Male"})
    records[0] = rec(0, None, "Female", "Female")
    units = speaker_units(records)
    assert units.kind == "clip" and "1 of 64 records carry no speaker id" in units.note
    metrics = summarize(records)
    assert metrics["unit"] == "clip" and "carry no speaker id" in metrics["unit_note"]


def test_stratified_bootstrap_keeps_every_class_in_every_resample() -> None:
    """Issue: unstratified resamples dropped classes, so a constant predictor got 20 [20-50]."""
    truth = np.array(["a"] * 10 + ["b"] * 10 + ["c"] * 10 + ["d"] * 10 + ["e"] * 10)
    units = speaker_units([rec(i, f"s{i // 2}", str(t), "a") for i, t in enumerate(truth)])
    seen = []

    def classes_present(w: np.ndarray) -> np.ndarray:
        seen.extend(len({t for t, x in zip(truth, row, strict=True) if x > 0}) for row in w)
        return w.sum(axis=1)

    bootstrap(classes_present, units, strata=truth.tolist(), resamples=200)
    assert set(seen) == {5}


def test_the_t_interval_is_welch_satterthwaite_over_units() -> None:
    a, b = np.array([0.2, 0.4, 0.5, 0.7, 0.9]), np.array([0.1, 0.3, 0.2, 0.6, 0.5, 0.4])
    found = stratified([a, b], [0.5, 0.5], unit_range=(0.0, 1.0))
    assert found.value == pytest.approx((a.mean() + b.mean()) / 2)
    assert found.df is not None and 5 < found.df < 9 and found.low < found.value < found.high


# -- tests at the level of the units ---------------------------------------------------------------

def test_paired_tests_count_speakers_not_clips() -> None:
    """Issue: McNemar over clips rejected about 38% of the time with speaker-level differences only."""
    first, second = [], []
    for s in range(6):
        better = s % 2 == 0  # half the speakers gain 10 clips each, half lose 10: no mean effect
        for c in range(10):
            first.append(rec(s * 10 + c, f"s{s}", "Male", "Female" if better else "Male"))
            second.append(rec(s * 10 + c, f"s{s}", "Male", "Male" if better else "Female"))
    compared = paired(list(zip(first, second, strict=True)), "correct")
    estimate = compared["difference"]
    assert isinstance(estimate, Estimate) and estimate.n_units == 6 and estimate.value == pytest.approx(0.0)
    assert estimate.p_value == pytest.approx(1.0)
    assert estimate.low is not None and estimate.low < -0.5  # clip-level pairs gave [0, 0] here


def test_a_paired_t_test_agrees_with_scipy_over_speaker_means() -> None:
    diffs = np.array([0.3, 0.1, 0.5, 0.2, 0.4, 0.0, 0.6])
    found = stratified([diffs], [1.0], unit_range=(-100.0, 100.0))  # range wide: pseudo-units negligible?
    plain = stratified([diffs], [1.0], unit_range=(float(diffs.min()), float(diffs.max())))
    reference = ttest_1samp(diffs, 0.0).pvalue
    assert plain.p_value is not None and plain.p_value >= reference  # never more confident than Welch
    assert found.p_value is not None and found.p_value > plain.p_value  # a wider range only widens


def test_holm_and_intervals_that_agree_with_the_adjusted_tests() -> None:
    assert holm([0.01, 0.04, 0.03, None]) == [0.03, 0.06, 0.06, None]
    rng = np.random.default_rng(1)
    family = [stratified([rng.normal(shift, 0.3, 8)], [1.0], unit_range=(-2.0, 2.0)) for shift in (0.0, 0.2, 0.5)]
    for estimate, p_adjusted in adjust_family(family):
        assert p_adjusted is not None and estimate.low is not None and estimate.high is not None
        excludes_zero = estimate.low > 0 or estimate.high < 0
        assert excludes_zero == (p_adjusted < 0.05)


def test_calibration_runs_are_marked_and_carry_no_finding() -> None:
    # A header written before models declared a role: read from the identity's "kind".
    legacy = {"models": {"uniform": {"kind": "baseline"}, "majority": {"kind": "baseline"},
                         "probe": {"kind": "supervised probe"}, "openai:gpt-4o": {"name": "gpt-4o"}}}
    assert [role(m, legacy) for m in ("uniform", "majority", "probe", "openai:gpt-4o")] == \
        ["calibration", "calibration", "probe", "model"]
    rows = [{"model": "uniform", "accuracy": {"difference": stratified([np.arange(8) / 10], [1.0])}}]
    (row,) = adjust(rows, ["accuracy"], calibration={"uniform"})
    assert row["accuracy"]["difference"]["calibration"] is True
    assert row["accuracy"]["difference"].get("p_value") is None


# -- the verdict ------------------------------------------------------------------------------------

def test_the_verdict_reads_simultaneous_intervals_over_the_attributes() -> None:
    records = []
    for task in ("attribute:sex", "attribute:age", "attribute:accent"):
        for model, reply in (("e2e", "hear"), ("casc", "Male")):
            for s in range(6):
                for c in range(3):
                    truth = "Female" if s < 3 else "Male"
                    records.append(rec(s * 3 + c, f"s{s}", truth, truth if reply == "hear" else reply,
                                       model=model, task=task))
    roles = {"e2e": "e2e", "cascade": "casc", "attributes": ["attribute:sex", "attribute:age", "attribute:accent"],
             "applications": []}
    data = build_privilege(records, roles)
    assert data["simultaneous_level"] == pytest.approx(1 - 0.05 / 3, abs=1e-6)
    assert all(a["level"] == data["simultaneous_level"] for a in data["attributes"])
    assert data["attributes"][0]["cascade"]["value"] == 0.0  # a constant cascade sits at its null


# -- supervised attackers ------------------------------------------------------------------------

def test_repeats_of_a_clip_never_sit_in_training_and_test() -> None:
    """Issue: with --repeats 2 the probe identified speakers from pure noise (82%)."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 8))
    labels = [f"spk{i % 10}" for i in range(40)]
    clips = [f"clip{i}" for i in range(40)]
    doubled_x, doubled_y, doubled_clips = np.vstack([features, features]), labels * 2, clips * 2

    def nearest(train: np.ndarray, test: np.ndarray) -> list[str]:  # memorises its training clips
        distances = ((doubled_x[test][:, None, :] - doubled_x[train][None, :, :]) ** 2).sum(axis=2)
        return [doubled_y[int(train[j])] for j in distances.argmin(axis=1)]

    folds = out_of_fold(doubled_y, None, nearest, doubled_clips)
    right = np.mean([p == t for p, t in zip(folds.predictions, doubled_y, strict=True)])
    assert right < 0.4 and "grouped by clip" in folds.scheme


def test_a_cell_with_errors_only_is_empty_not_zero() -> None:
    metrics = summarize([rec(0, "s", "Male", "ERROR")])
    assert metrics["n_error"] == 1 and metrics["leakage"]["value"] is None


def test_leakage_uses_speakers_as_units() -> None:
    cell = class_cell(corpus({"Female": "Female", "Male": "Female"}, speakers=5))
    assert cell is not None and leakage(cell).unit == "speaker" and leakage(cell).n_units == 10
