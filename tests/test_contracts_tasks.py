"""Contracts over every registered task (see tests/test_contracts.py for the five contracts)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from test_contracts import (
    ERROR,
    Broken,
    Parrot,
    Snapshot,
    assert_round_trips,
    audio_of,
    check_description,
    contract_for,
    plugin_names,
    run_cell,
    write_clips,
)
from voiceleak.spec import parse_spec
from voiceleak.tasks.base import Task, build_task, score_response
from voiceleak.transforms.base import build_transform
from voiceleak.types import Clip, Outcome, Response, Score

#: task family -> the spec its contracts build; the contract clips carry every label these read
TASK_SPECS = {
    "attribute": "attribute:sex",
    "bystander": "bystander:sex",
    "content": "content:topic",
    "decision": "decision:hiring",
    "identity": "identity:general",
    "language-id": "language-id",
    "scope": "scope:meeting",
    "speaker-id": "speaker-id",
    "transcription": "transcription",
    "verify": "verify voiceprint=no",  # the voiceprint score loads torch (seconds): the probe pays that
    "words-voice": "words-voice:sex",
}
WHERE = "TASK_SPECS in tests/test_contracts_tasks.py"
NAMES = plugin_names("task")
#: replies no task may choke on
ODD_REPLIES = ["", " ", "\x00", "Female Male Female", "I cannot help with that.", "yes no 11/10",
               "🙂 " * 50, "a" * 5000, '{"answer": null}']


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Clip]:
    return write_clips(tmp_path_factory.mktemp("task-clips"))


def prepared(name: str, clips: list[Clip]) -> Task:
    task = build_task(contract_for(TASK_SPECS, "task", name, WHERE))
    task.prepare(clips)
    return task


def first_applying(task: Task, clips: list[Clip]) -> Clip:
    found = next((c for c in clips if task.applies_to(c)), None)
    assert found is not None, f"{task.name}: no contract clip applies; label them in tests/test_contracts.py"
    return found


@pytest.mark.parametrize("name", NAMES)
def test_builds_from_its_spec_and_describes_itself(name: str, clips: list[Clip]) -> None:
    task = prepared(name, clips)
    assert isinstance(task, Task), f"{name}: not a Task"
    check_description(task.describe(), task.name, name)
    assert parse_spec(task.name).family == name
    with pytest.raises(ValueError):  # SpecError is one: a misspelt argument is refused, never ignored
        build_task(f"{TASK_SPECS[name]} misspelt_contract_argument=1")


@pytest.mark.parametrize("name", NAMES)
def test_never_mutates_its_input(name: str, clips: list[Clip]) -> None:
    corpus = copy.deepcopy(clips)  # a Clip is frozen, but its labels are dicts a task could write to
    task = prepared(name, clips)
    clip = first_applying(task, clips)
    audio = audio_of(clip)
    samples = audio.samples.copy()
    request = task.render(clip, audio, "k1")
    assert (audio.samples == samples).all(), f"{name}.render changed the clip's samples"
    before_request = Snapshot.of(request)
    reply = Response("k1", request.choices[0] if request.choices else "hello", meta={"tokens": [3]})
    before_reply = Snapshot.of(reply)
    assert isinstance(task.score(clip, request, reply), Score)
    before_request.assert_same(request, f"{name}.score")
    before_reply.assert_same(reply, f"{name}.score")
    assert clips == corpus, f"{name} changed a clip (its labels, raw labels or fields)"


@pytest.mark.parametrize("name", NAMES)
def test_a_failed_request_is_an_error_outcome_and_odd_replies_are_scored(name: str, clips: list[Clip]) -> None:
    task = prepared(name, clips)
    clip = first_applying(task, clips)
    request = task.render(clip, audio_of(clip), "k1")
    failed = score_response(task, clip, request, Response("k1", None, error="HTTP 500"))
    assert failed.outcome is Outcome.ERROR and failed.correct is None, f"{name} scored a failure as {failed}"
    for text in ODD_REPLIES:
        score = score_response(task, clip, request, Response("k1", text))
        assert isinstance(score.outcome, Outcome), f"{name} scored {text[:20]!r} as {score}"
        assert score.outcome is not Outcome.ERROR or not text.strip(), f"{name}: a reply is not an error"


@pytest.mark.parametrize("name", NAMES)
def test_its_samples_round_trip_through_the_log(name: str, clips: list[Clip], tmp_path: Path) -> None:
    task = prepared(name, clips)
    records = run_cell(Parrot(), Parrot.name, task, task.name, build_transform("none"), "none", clips)
    assert ERROR not in {r.outcome for r in records}, [r.error for r in records if r.error]
    assert_round_trips(records, tmp_path / "answered")
    failed = run_cell(Broken(), Broken.name, prepared(name, clips), task.name, build_transform("none"), "none",
                      clips)
    assert {r.outcome for r in failed} == {ERROR}, f"{name}: a failed request was scored {failed[0].outcome}"
    assert_round_trips(failed, tmp_path / "failed")
