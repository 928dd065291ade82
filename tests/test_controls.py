"""Blind controls: the same control for every backend, recorded in the log, and measured.

A fake model that really listens (its answer follows the pitch it hears) shows that each control
changes what the model can say, and the uniform baseline shows a model that never listens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import write_corpus
from voiceleak.audio import MODEL_RATE
from voiceleak.corpus.manifest import load_manifest
from voiceleak.models.base import LocalModel, models
from voiceleak.runner.context import RunContext
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.spec import Spec
from voiceleak.studies.execute import report_run
from voiceleak.transforms.base import TransformContext, build_transform
from voiceleak.types import Audio, Clip, Decoding, Request, Response

CONTROLS = ("blind:silence", "blind:noise", "blind:none", "blind:other")


def pitch_answer(audio: Audio | None) -> str:
    """What the fake hears: no audio, silence, noise (then it guesses from a prior), or a pitch."""
    if audio is None:
        return "No audio was provided, so I cannot tell."
    samples = audio.samples.astype(np.float64)
    if np.sqrt(np.mean(samples**2)) < 1e-4:
        return "I cannot determine the speaker's gender from this recording."
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1.0 / audio.sample_rate)
    band = (freqs >= 60) & (freqs <= 400)
    if spectrum[band].max() / np.median(spectrum[band]) < 20:  # no harmonic peak: noise
        return "It's hard to say, but I'd guess female."
    f0 = freqs[band][int(np.argmax(spectrum[band]))]
    return "The speaker is male." if f0 < 170 else "Female"


@models.register("test-pitch", "test fake: answers the sex question from the pitch it hears")
class PitchModel(LocalModel):
    max_batch = 8

    def __init__(self, spec: Spec) -> None:
        spec.check_known(set())
        self.name = str(spec)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "test fake"}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return [Response(r.id, pitch_answer(r.audio)) for r in requests]


def _request(clip: Clip) -> Request:
    audio = Audio(np.ones(800, np.float32) * 0.1, MODEL_RATE)
    return Request(clip.id, "What is the gender of the speaker?", audio, choices=("Male", "Female"),
                   decoding=Decoding())


def _context(clip: Clip, donor: Audio | None) -> TransformContext:
    return TransformContext(clip, lambda _clip: donor)


def test_each_control_replaces_the_audio_and_records_it() -> None:
    clip = Clip("c1", Path("x.wav"), "s1")
    donor = Audio(np.full(1600, 0.2, np.float32), MODEL_RATE)
    original = _request(clip)
    silence = build_transform("blind:silence")(original, _context(clip, donor))
    assert silence.audio is not None and silence.audio.duration == 1.0 and not silence.audio.samples.any()
    assert silence.audio_note == "blind:silence" and silence.applied == ("blind:silence",)
    noise = build_transform("blind:noise")(original, _context(clip, donor))
    assert noise.audio is not None and noise.audio.samples.std() > 0.01 and noise.audio_note == "blind:noise"
    none = build_transform("blind:none")(original, _context(clip, donor))
    assert none.audio is None and none.audio_note == "blind:none"
    other = build_transform("blind:other")(original, _context(clip, donor))
    assert other.audio is donor and other.audio_note == "blind:other"
    assert original.audio is not None and original.audio_note == "clip"  # never mutated
    longer = build_transform("blind:silence seconds=2")(original, _context(clip, donor)).audio
    assert longer is not None and longer.duration == 2.0


def test_noise_is_the_same_for_a_clip_and_differs_between_clips() -> None:
    noise = build_transform("blind:noise")
    clips = [Clip(f"corpus-prefix-{i}", Path("x.wav")) for i in range(2)]
    first = [noise(_request(c), _context(c, None)).audio for c in clips]
    again = noise(_request(clips[0]), _context(clips[0], None)).audio
    assert first[0] is not None and first[1] is not None and again is not None
    assert np.array_equal(first[0].samples, again.samples)
    assert not np.array_equal(first[0].samples, first[1].samples)


def test_bad_controls_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        build_transform("blind:music")
    clip = Clip("c1", Path("x.wav"), "s1")
    with pytest.raises(ValueError, match="another speaker"):
        build_transform("blind:other")(_request(clip), _context(clip, None))


def _blind_run(corpus: Path, out: Path) -> dict[str, Any]:
    config = RunConfig(corpus=str(corpus), models=("test-pitch", "uniform"), tasks=("attribute:sex",),
                       transforms=("none", *CONTROLS))
    runner = Runner(config, RunOptions(out=out, quiet=True, use_cache=False))
    runner.execute()
    return report_run(runner)


def test_blind_controls_change_what_a_listening_model_says(corpus: Path, tmp_path: Path) -> None:
    results = _blind_run(corpus, tmp_path / "run")
    records = list(RunLog(tmp_path / "run").records())
    notes = {r.transform: {x.audio_note for x in records if x.transform == r.transform} for r in records}
    assert notes == {"none": {"clip"}, **{c: {c} for c in CONTROLS}}
    cells = {(c["model"], c["transform"]): c["metrics"] for c in results["cells"]}
    assert cells[("test-pitch", "none")]["accuracy"]["value"] == 1.0  # it really hears the pitch
    rows = {(r["model"], r["transform"]): r for r in results["analyses"]["blind"]}
    assert len(rows) == 2 * len(CONTROLS)

    silence = rows[("test-pitch", "blind:silence")]
    assert silence["refusal_rate"]["value"] == 1.0 and silence["commitment_rate"]["value"] == 0.0
    assert silence["top_guess"] is None and silence["n_valid"] == 24
    none = rows[("test-pitch", "blind:none")]
    assert none["refusal_rate"]["value"] == 1.0 and none["n_no_audio_refusals"] == 24
    noise = rows[("test-pitch", "blind:noise")]  # a prior guess: always Female, zero entropy
    assert noise["commitment_rate"]["value"] == 1.0 and noise["top_guess"] == "Female"
    assert noise["top_share"]["value"] == 1.0 and noise["entropy"]["value"] == 0.0
    over = noise["leakage_over_blind"]
    assert over["n_pairs"] == 24 and over["accuracy_real"] == 1.0 and over["accuracy_blind"] == 0.5
    assert over["difference"]["value"] == 0.5
    assert over["difference"]["low"] <= 0.5 <= over["difference"]["high"]
    # a t test over speakers (each speaker's paired difference once), Holm-adjusted across the table
    assert over["difference"]["unit"] == "speaker" and over["difference"]["n_units"] >= 5
    assert over["difference"]["p_adjusted"] >= over["difference"]["p_value"]
    silent_over = silence["leakage_over_blind"]
    assert silent_over["accuracy_blind"] == 0.0 and silent_over["difference"]["value"] == 1.0

    uniform = rows[("uniform", "blind:silence")]  # never listens: commits every time, guesses both
    assert uniform["commitment_rate"]["value"] == 1.0 and uniform["refusal_rate"]["value"] == 0.0
    assert set(uniform["guesses"]) == {"Male", "Female"} and 0 < uniform["entropy"]["value"] <= 1.0
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Blind controls" in html and "blind:noise" in html


def test_other_speaker_control_answers_from_the_donor_voice(corpus: Path, tmp_path: Path) -> None:
    _blind_run(corpus, tmp_path / "run")
    clips = {c.id: c for c in load_manifest(corpus)}
    context = RunContext(clips, {}, {}, {}, Decoding())
    for record in RunLog(tmp_path / "run").records():
        if record.model == "test-pitch" and record.transform == "blind:other":
            donor = context.donor_audio(clips[record.clip_id])
            assert record.response == pitch_answer(donor)
    other = [r for r in RunLog(tmp_path / "run").records()
             if r.model == "test-pitch" and r.transform == "blind:other"]
    # donors are other speakers, so some answers are now wrong: the control really swapped voices
    assert {r.correct for r in other} == {True, False}


def test_single_speaker_corpus_makes_other_speaker_an_error_not_an_answer(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "one", [("solo", "Female", 220.0)], clips_each=2)
    config = RunConfig(corpus=str(corpus), models=("test-pitch",), tasks=("attribute:sex",),
                       transforms=("blind:other",))
    runner = Runner(config, RunOptions(out=tmp_path / "run", quiet=True, use_cache=False))
    runner.execute()
    records = list(RunLog(tmp_path / "run").records())
    assert {r.outcome for r in records} == {"error"}
    assert all("another speaker" in (r.error or "") for r in records)
    results = json.loads(json.dumps(report_run(runner)))
    assert results["analyses"]["blind"][0]["n_error"] == 2
