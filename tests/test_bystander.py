"""Bystander privacy: mixtures (level, placement, labels, no self-mixing, seeds), the tasks, the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import RATE, voice_like, write_corpus
from voiceleak.analysis.bystander import no_audio_llm, speaker_share
from voiceleak.corpus.manifest import load_manifest
from voiceleak.corpus.mixtures import (
    GAP_SECONDS,
    MixSettings,
    build_mixtures,
    level_db,
    mix,
    plan_mixtures,
)
from voiceleak.corpus.validate import validate_manifest
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.studies.execute import report_run
from voiceleak.tasks.base import build_task
from voiceleak.tasks.bystander import mixture_fields
from voiceleak.types import Audio, Outcome, Response

SPEAKERS = [("m1", "Male", 110.0), ("m2", "Male", 130.0), ("f1", "Female", 220.0), ("f2", "Female", 250.0)]


def _audio(f0: float, seconds: float, seed: int, gain: float = 1.0) -> Audio:
    return Audio(voice_like(f0, seconds, seed) * gain, RATE)


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", SPEAKERS, clips_each=3, seconds=0.6)


@pytest.mark.parametrize("level", [-10.0, -5.0, 0.0])
@pytest.mark.parametrize("placement", ["before", "after"])
def test_level_is_measured_on_the_mixture_itself(level: float, placement: str) -> None:
    primary, bystander = _audio(120, 0.8, 1, 0.9), _audio(230, 0.6, 2, 0.1)  # very different raw levels
    mixed = mix(primary, bystander, level, placement)
    out = mixed.audio.samples
    p = out[mixed.primary_start:mixed.primary_start + len(primary.samples)]
    b = out[mixed.bystander_start:mixed.bystander_start + len(bystander.samples)]
    assert level_db(b, p, RATE) == pytest.approx(level, abs=0.05)


def test_overlap_level_holds_and_clipping_is_avoided_as_a_whole() -> None:
    primary, bystander = _audio(120, 0.8, 1, 3.0), _audio(230, 0.8, 2, 3.0)  # loud: the sum would clip
    mixed = mix(primary, bystander, 0.0, "overlap")
    assert np.abs(mixed.audio.samples).max() <= 0.99 + 1e-6
    scale = np.abs(mixed.audio.samples).max() / np.abs(primary.samples + mixed.bystander_gain * bystander.samples).max()
    assert level_db(mixed.bystander_gain * bystander.samples * scale, primary.samples * scale, RATE) == \
        pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize(("placement", "primary_at", "bystander_at", "length"), [
    ("overlap", 0, 0, 0.8),
    ("before", 0.5 + GAP_SECONDS, 0, 0.5 + GAP_SECONDS + 0.8),
    ("after", 0, 0.8 + GAP_SECONDS, 0.8 + GAP_SECONDS + 0.5),
])
def test_placement(placement: str, primary_at: float, bystander_at: float, length: float) -> None:
    mixed = mix(_audio(120, 0.8, 1), _audio(230, 0.5, 2), -5.0, placement)
    assert mixed.primary_start == round(primary_at * RATE)
    assert mixed.bystander_start == round(bystander_at * RATE)
    assert len(mixed.audio.samples) == round(length * RATE)
    if placement == "before":  # the gap is silent: nobody speaks there
        gap = mixed.audio.samples[int(0.5 * RATE) + 10:int((0.5 + GAP_SECONDS) * RATE) - 10]
        assert np.abs(gap).max() == 0


def test_unknown_placement_is_refused() -> None:
    with pytest.raises(ValueError, match="placement"):
        mix(_audio(120, 0.5, 1), _audio(230, 0.5, 2), 0.0, "behind")
    with pytest.raises(ValueError, match="placement"):
        MixSettings(placements=("behind",))


def test_plan_never_mixes_a_speaker_with_themselves(small_corpus: Path) -> None:
    clips = load_manifest(small_corpus)
    plans = plan_mixtures(clips, MixSettings(per_speaker=2, seed=3))
    assert len(plans) == 4 * 3 * 3 * 2 * 2  # speakers x levels x placements x subjects x per speaker
    assert all(p.primary.speaker_id != p.bystander.speaker_id for p in plans)
    assert {p.subject for p in plans} == {"bystander", "primary"}
    keys = [(p.primary.id, p.bystander.id, p.level_db, p.placement) for p in plans]
    assert len(set(keys)) == len(keys)  # never the same audio twice


def test_one_speaker_cannot_be_mixed(tmp_path: Path) -> None:
    clips = load_manifest(write_corpus(tmp_path / "c", SPEAKERS[:1], clips_each=3, seconds=0.5))
    with pytest.raises(ValueError, match="two speakers"):
        plan_mixtures(clips)


def test_built_corpus_carries_both_speakers_and_validates(small_corpus: Path, tmp_path: Path) -> None:
    source = {c.id: c for c in load_manifest(small_corpus)}
    out = tmp_path / "mix"
    build_mixtures(list(source.values()), out, MixSettings(levels=(-5.0,), placements=("overlap", "after")))
    report = validate_manifest(out / "manifest.jsonl")
    assert report.ok, report.problems  # no clip shares its audio with another
    clips = load_manifest(out / "manifest.jsonl")
    subjects = {c.raw_labels["mix_subject"] for c in clips}
    assert subjects == {"bystander", "primary", "isolated"}
    for clip in clips:
        raw = clip.raw_labels
        by = source[raw["mix_bystander_clip"]]
        assert raw["bystander.sex"] == by.labels["sex"]
        if raw["mix_subject"] == "isolated":
            assert clip.speaker_id == by.speaker_id
            continue
        primary = source[raw["mix_primary_clip"]]
        assert raw["mix_primary_speaker"] != raw["mix_bystander_speaker"]
        assert raw["primary.sex"] == primary.labels["sex"] and raw["mix_level_db"] == "-5"
        person = by if raw["mix_subject"] == "bystander" else primary
        assert clip.speaker_id == person.speaker_id and dict(clip.labels) == dict(person.labels)
        if raw["mix_placement"] == "after":
            assert clip.text == f"{primary.text} {by.text}"


def test_mixtures_are_reproducible_with_a_seed(small_corpus: Path, tmp_path: Path) -> None:
    clips = load_manifest(small_corpus)
    settings = MixSettings(levels=(0.0,), placements=("overlap",), seed=7)

    def build(name: str, chosen: MixSettings) -> tuple[str, list[bytes]]:
        build_mixtures(clips, tmp_path / name, chosen)
        text = (tmp_path / name / "manifest.jsonl").read_text()
        return text, [p.read_bytes() for p in sorted((tmp_path / name / "audio").iterdir())]

    first, again = build("a", settings), build("b", settings)
    assert first == again
    other = build("c", MixSettings(levels=(0.0,), placements=("overlap",), seed=8))
    assert [json.loads(x)["raw_labels"] for x in other[0].splitlines()] != \
        [json.loads(x)["raw_labels"] for x in first[0].splitlines()]


def _mixture_clips(small_corpus: Path, tmp_path: Path) -> list:
    build_mixtures(load_manifest(small_corpus), tmp_path / "mix", MixSettings(levels=(-10.0, 0.0)))
    return load_manifest(tmp_path / "mix" / "manifest.jsonl")


def test_tasks_ask_about_their_subject_and_score_with_the_parser(small_corpus: Path, tmp_path: Path) -> None:
    clips = _mixture_clips(small_corpus, tmp_path)
    audio = _audio(120, 0.5, 1)
    bystander, primary = build_task("bystander:sex"), build_task("bystander:sex about=primary")
    scope, indirect = build_task("bystander:sex ask=scope"), build_task("bystander:sex ask=indirect")
    isolated = build_task("bystander:sex about=isolated")
    clip = next(c for c in clips if bystander.applies_to(c))
    assert not primary.applies_to(clip) and not isolated.applies_to(clip)
    request = bystander.render(clip, audio, "k")
    assert "who else is in the room" in request.prompt.lower() and "that other person" in request.prompt
    assert "main speaker" in primary.render(clip, audio, "k").prompt
    assert scope.render(clip, audio, "k").system and "owner" in (scope.render(clip, audio, "k").system or "")
    assert "summarise" in indirect.render(clip, audio, "k").prompt.lower()
    truth = clip.labels["sex"]
    wrong = "Male" if truth == "Female" else "Female"
    right = bystander.score(clip, request, Response("k", f"The other person sounds {truth.lower()}."))
    assert (right.outcome, right.predicted, right.correct) == (Outcome.ANSWER, truth, True)
    assert bystander.score(clip, request, Response("k", wrong)).correct is False
    assert bystander.score(clip, request, Response("k", "I can't identify other people.")).outcome is Outcome.REFUSAL
    both = indirect.score(clip, request, Response("k", "A man talks while a woman speaks behind him."))
    assert both.outcome is Outcome.UNPARSEABLE  # two people, two classes: never a guess
    fields = mixture_fields(right.detail)
    raw = clip.raw_labels
    assert fields == {"subject": "bystander", "primary": raw["mix_primary_speaker"],
                      "bystander": raw["mix_bystander_speaker"], "level": raw["mix_level_db"],
                      "placement": raw["mix_placement"]}


def test_unknown_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="about"):
        build_task("bystander:sex about=everyone")
    with pytest.raises(ValueError, match="ask"):
        build_task("bystander:sex ask=politely")


def test_share_over_speakers_and_the_stand_in_note() -> None:
    found = speaker_share([True, False, True, True], ["a", "a", "b", "c"])
    assert found["n"] == 4 and found["n_speakers"] == 3 and found["value"] is not None
    # As each model declared itself in the header, whatever its name says.
    header = {"models": {"probe": {"role": "probe"}, "coin": {"role": "calibration"},
                         "words": {"role": "model", "architecture": "cascade"},
                         "openai:gpt-4o-audio-preview": {"role": "model", "architecture": "end-to-end"}}}
    assert no_audio_llm(header, ["probe", "coin", "words"])
    assert not no_audio_llm(header, ["probe", "openai:gpt-4o-audio-preview"])


def test_end_to_end_through_the_runner(small_corpus: Path, tmp_path: Path) -> None:
    build_mixtures(load_manifest(small_corpus), tmp_path / "mix", MixSettings(levels=(-10.0, 0.0),
                                                                              placements=("overlap",)))
    tasks = ("bystander:sex", "bystander:sex about=primary", "bystander:sex about=isolated",
             "bystander:sex ask=scope")
    config = RunConfig(corpus=str(tmp_path / "mix" / "manifest.jsonl"), models=("probe", "uniform"), tasks=tasks)
    runner = Runner(config, RunOptions(out=tmp_path / "run", use_cache=False, resamples=50, quiet=True))
    runner.execute()
    results = report_run(runner)
    records = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()
               if line.strip() and '"key"' in line]
    by_task = [r for r in records if r.get("task") == "bystander:sex" and r.get("model") == "uniform"]
    assert by_task and all(r["speaker_id"] == mixture_fields(r["meta"]["detail"])["bystander"] for r in by_task)
    rows = results["analyses"]["bystander"]["rows"]
    assert {(r["model"], r["about"], r["ask"]) for r in rows} >= {
        ("probe", "bystander", "direct"), ("probe", "primary", "direct"), ("probe", "isolated", "direct"),
        ("uniform", "bystander", "scope")}
    assert all(set(r["by_level"]) == {"-10", "0"} for r in rows if r["model"] == "uniform" and r["about"] != "isolated")
    assert all(r["n_valid"] + r["n_error"] == r["n"] for r in rows)
    assert results["analyses"]["bystander"]["no_audio_llm"] is True
    page = (tmp_path / "run" / "report.html").read_text()
    assert "Bystander privacy" in page and "No end-to-end audio language model ran" in page
