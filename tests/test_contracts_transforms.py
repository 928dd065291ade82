"""Contracts over every registered transform (see tests/test_contracts.py for the five contracts)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from test_contracts import (
    DECODING,
    ERROR,
    Snapshot,
    assert_round_trips,
    audio_of,
    bad_audios,
    check_description,
    contract_for,
    plugin_names,
    run_cell,
    write_clips,
)
from voiceleak.audio import AudioError
from voiceleak.models.base import build_model
from voiceleak.spec import parse_spec
from voiceleak.tasks.base import build_task
from voiceleak.transforms.base import Transform, TransformContext, build_transform, describe_transform
from voiceleak.types import Audio, Clip, Request, Response

#: transform family -> the spec its contracts build (a strong setting, so a change is visible)
TRANSFORM_SPECS = {
    "none": "none",
    "blind": "blind:other",
    "bandlimit": "bandlimit:3400",
    "mcadams": "mcadams:0.8",
    "noise": "noise:snr=10",
    "output-filter": "output-filter",
    "pitch": "pitch:+3",
    "prompt-guard": "prompt-guard:2",
    "telephone": "telephone",
    "text-only": "text-only",
    "sampled": "sampled:0.7 control=blind:noise",
}
WHERE = "TRANSFORM_SPECS in tests/test_contracts_transforms.py"
NAMES = plugin_names("transform")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Clip]:
    return write_clips(tmp_path_factory.mktemp("transform-clips"))


def built(name: str) -> Transform:
    return build_transform(contract_for(TRANSFORM_SPECS, "transform", name, WHERE))


def context_for(clip: Clip, clips: list[Clip]) -> TransformContext:
    donor = next(c for c in clips if c.speaker_id != clip.speaker_id)
    return TransformContext(clip, lambda _: audio_of(donor))


def request_for(clip: Clip, audio: Audio) -> Request:
    return Request(f"{clip.id}/r", "What is the sex of the speaker? Answer Male or Female.", audio,
                   system="Answer in one word.", choices=("Female", "Male"), decoding=DECODING)


@pytest.mark.parametrize("name", NAMES)
def test_builds_from_its_spec_and_describes_itself(name: str) -> None:
    transform = built(name)
    assert isinstance(transform, Transform), f"{name}: not a Transform"
    check_description(transform.describe(), transform.name, name)
    check_description(describe_transform(transform), transform.name, name)  # as the run header records it
    assert parse_spec(transform.name).family == name
    with pytest.raises(ValueError):  # SpecError is one: a misspelt argument is refused, never ignored
        build_transform(f"{TRANSFORM_SPECS[name]} misspelt_contract_argument=1")


@pytest.mark.parametrize("name", NAMES)
def test_never_mutates_its_input(name: str, clips: list[Clip]) -> None:
    transform, clip = built(name), clips[0]
    corpus = copy.deepcopy(clips)  # a Clip is frozen, but its labels are dicts a transform could write to
    request = request_for(clip, audio_of(clip))
    before = Snapshot.of(request)
    out = transform(request, context_for(clip, clips))
    before.assert_same(request, name)
    assert clips == corpus, f"{name} changed a clip of its context"
    assert isinstance(out, Request) and out.id == request.id
    hook = getattr(transform, "filter_response", None)
    if hook is not None:  # an output-side defense sees the reply: it must not change it either
        reply = Response(request.id, "She sounds Female to me.", meta={"tokens": [1, 2]})
        seen = Snapshot.of(reply)
        hook(out, reply)
        seen.assert_same(reply, f"{name}.filter_response")


@pytest.mark.parametrize("name", NAMES)
def test_bad_audio_is_handled_or_refused_with_a_named_error(name: str, clips: list[Clip]) -> None:
    """The runner turns ValueError and AudioError into a per-sample error; anything else kills the run.
    Audio that comes out must be audio a model can take: finite samples."""
    transform, clip = built(name), clips[0]
    for label, audio in bad_audios().items():
        try:
            out = transform(request_for(clip, audio), context_for(clip, clips))
        except (ValueError, AudioError):
            continue
        except Exception as exc:  # the contract is about which exceptions escape
            pytest.fail(f"{name} fed {label} audio raised {type(exc).__name__}: {exc}; raise ValueError (the "
                        "runner records it as an error for that sample) or return a request", pytrace=False)
        for a in out.audios:  # passing the input on untouched is fine; making NaN out of it is not
            assert a is audio or np.isfinite(a.samples).all(), f"{name} fed {label} audio made non-finite samples"


@pytest.mark.parametrize("name", NAMES)
def test_its_samples_round_trip_through_the_log(name: str, clips: list[Clip], tmp_path: Path) -> None:
    transform = built(name)
    records = run_cell(build_model("uniform"), "uniform", build_task("attribute:sex"), "attribute:sex",
                       transform, transform.name, clips)
    assert ERROR not in {r.outcome for r in records}, [r.error for r in records if r.error]
    assert {r.transform for r in records} == {transform.name}
    assert_round_trips(records, tmp_path / "run")


@pytest.mark.parametrize("name", NAMES)
def test_a_failed_request_stays_an_error_after_it(name: str, clips: list[Clip], tmp_path: Path) -> None:
    """Behind a model that cannot answer, every sample is an error record (no transform, not even an
    output filter, turns a failure into an answer), and those round-trip too."""
    transform = built(name)
    records = run_cell(build_model("uniform"), "uniform", build_task("transcription"), "transcription",
                       transform, transform.name, clips)  # uniform needs choices: transcription has none
    assert {r.outcome for r in records} == {ERROR}
    assert_round_trips(records, tmp_path / "run")
