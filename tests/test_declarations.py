"""Meaning is declared, not read off names: records store their task family, models and transforms
declare their role in the run header, tasks declare how a bare family expands, optional members have
declared defaults. (The cascade's dispatch on Request.intent is tested in test_cascade.py.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from voiceleak.analysis.aggregate import Declared, aggregate, load_records
from voiceleak.models.base import Architecture, AudioModel, Role, build_model, describe_model, models
from voiceleak.models.baselines import UniformBaseline
from voiceleak.registry import Registry
from voiceleak.report.findings import kind_of
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.spec import Spec
from voiceleak.tasks.base import Task, build_task, describe_task, tasks
from voiceleak.tasks.expand import expand_names
from voiceleak.transforms.base import IDENTITY, TransformContext, TransformRole, build_transform, describe_transform
from voiceleak.types import Audio, Clip, Intent, Request, Response, SampleRecord


@pytest.fixture
def registered() -> Iterator[list[tuple[Registry[Any], str]]]:
    """Entries a test registers, taken out again afterwards (contract tests list every registered one)."""
    added: list[tuple[Registry[Any], str]] = []
    yield added
    for registry, name in added:
        registry._entries.pop(name, None)


def register(added: list[tuple[Registry[Any], str]], registry: Registry[Any], name: str, obj: Any) -> None:
    registry.register(name, "test only")(obj)
    added.append((registry, name))


class CoinFlip(UniformBaseline):
    """A renamed stand-in: its spec says nothing of "uniform" or "baseline"."""


def test_a_renamed_stand_in_is_still_a_calibration_run(corpus: Path, tmp_path: Path,
                                                        registered: list[tuple[Registry[Any], str]]) -> None:
    register(registered, models, "coin-flip", CoinFlip)
    config = RunConfig(corpus=str(corpus), models=("coin-flip seed=3",), tasks=("attribute:sex",))
    runner = Runner(config, RunOptions(out=tmp_path / "run", use_cache=False, quiet=True))
    runner.execute()
    records, header = load_records(tmp_path / "run")
    assert {r.family for r in records} == {"attribute"}  # stored by the runner, from the task
    (cell,) = aggregate(records, header, resamples=50)["cells"]
    assert cell["role"] == "calibration" and cell["family"] == "attribute"
    assert kind_of(cell) == "calibration"


class PlainPlugin:
    """A third-party backend written against the minimal protocol: name, identity, generate."""

    role = "calibration"

    def __init__(self, spec: Spec) -> None:
        self.name = str(spec)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return [Response(r.id, "x") for r in requests]


class PlainAttacker:
    def __init__(self, spec: Spec) -> None:
        self.name = str(spec)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    def cross_predict(self, requests: Sequence[Request], labels: Sequence[str],
                      groups: Sequence[str] | None) -> list[Response]:
        return [Response(r.id, labels[0]) for r in requests]


def test_a_plugin_gets_every_optional_member_with_its_declared_default(
        registered: list[tuple[Registry[Any], str]]) -> None:
    register(registered, models, "plain-plugin", PlainPlugin)
    register(registered, models, "plain-attacker", PlainAttacker)
    model = build_model("plain-plugin")
    assert isinstance(model, AudioModel)
    assert (model.cacheable, model.accepts_several_audios, model.remote_host) == (True, False, None)
    assert (model.max_batch, model.max_concurrency) == (16, 1)
    asyncio.run(model.aclose())
    described = describe_model(model)
    assert described["role"] == "calibration" and described["architecture"] == "end-to-end"
    assert Declared({"models": {"plain-plugin": described}}).role("plain-plugin") is Role.CALIBRATION
    attacker = build_model("plain-attacker")
    assert attacker.role is Role.PROBE  # trained on labels: a probe unless it says otherwise


def test_the_built_in_declarations() -> None:
    assert build_model("uniform").role is Role.CALIBRATION and build_model("majority").role is Role.CALIBRATION
    assert build_model("cascade:pocketsphinx+uniform").architecture is Architecture.CASCADE
    cascade = build_model("cascade:pocketsphinx+uniform")
    assert isinstance(cascade, AudioModel) and not cascade.cacheable  # its text stage guesses at random
    assert build_transform("blind:noise").role is TransformRole.CONTROL
    assert build_transform(IDENTITY).role is TransformRole.IDENTITY
    assert describe_transform(build_transform("blind"))["role"] == "control"
    task = build_task("transcription")
    assert (task.family, task.intent) == ("transcription", Intent.TRANSCRIBE)
    assert describe_task(task)["metrics"] == list(task.metrics) and "value" in task.metrics
    assert build_task("speaker-id").family == "speaker-id" and build_task("attribute:sex").family == "attribute"


def test_the_header_describes_each_component_with_its_declarations() -> None:
    from voiceleak.runner.header import describe_components

    models_, tasks_, transforms_ = describe_components(
        {"uniform": build_model("uniform")}, {"transcription": build_task("transcription")},
        {"blind:silence": build_transform("blind:silence"), IDENTITY: build_transform(IDENTITY)})
    assert models_["uniform"]["role"] == "calibration" and models_["uniform"]["name"] == "uniform"
    assert tasks_["transcription"]["family"] == "transcription" and tasks_["transcription"]["intent"] == "transcribe"
    assert [transforms_[t]["role"] for t in ("blind:silence", IDENTITY)] == ["control", "identity"]
    header = {"models": models_, "transforms": transforms_}
    assert Declared(header).role("uniform") is Role.CALIBRATION and Declared(header).is_blind("blind:silence")


class Hush:
    """A plugin control with a name no convention knows."""

    role = TransformRole.CONTROL

    def __init__(self, spec: Spec) -> None:
        self.name = "hush"

    def __call__(self, request: Request, context: TransformContext) -> Request:
        return request.with_changes(audio=None, applied=(*request.applied, self.name))

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name}


def test_a_declared_control_reads_as_one_whatever_its_name(registered: list[tuple[Registry[Any], str]]) -> None:
    from voiceleak.transforms.base import transforms

    register(registered, transforms, "hush", Hush)
    hush = build_transform("hush")
    reply = Response("k", "Male")
    assert hush.filter_response(Request("k", "q", None), reply) is reply  # the declared default: passes it on
    header = {"transforms": {"hush": describe_transform(hush)}, "models": {"m": {"name": "m"}}}
    declared = Declared(header)
    assert declared.is_blind("hush") and declared.is_control("hush")
    records = [record("m", "attribute:sex", "hush", "c1", "s1"), record("m", "attribute:sex", IDENTITY, "c1", "s1")]
    cells = {c["transform"]: c for c in aggregate(records, header, resamples=20)["cells"]}
    assert cells["hush"]["transform_role"] == "control" and kind_of(cells["hush"]) == "blind"
    assert cells[IDENTITY]["transform_role"] == "identity" and kind_of(cells[IDENTITY]) == "model"


def test_a_cell_leads_with_the_first_metric_its_task_declared() -> None:
    from voiceleak.report.console import summary_tables
    from voiceleak.results.files import parse_results
    from voiceleak.results.frames import headline

    who = build_task("identity")  # declares accuracy first: an open set has no leakage over a null
    assert who.metrics[0] == "accuracy"
    header = {"tasks": {"identity": describe_task(who), "attribute:sex": describe_task(build_task("attribute:sex"))},
              "models": {"m": {"name": "m"}}}
    records = [record("m", task, IDENTITY, f"c{i}", f"s{i}", labels={"sex": sex}, truth=sex, predicted=sex)
               for task in ("identity", "attribute:sex") for i, sex in enumerate(["Male", "Female"] * 4)]
    results = aggregate(records, header, resamples=20)
    cells = {c["task"]: c for c in results["cells"]}
    assert cells["identity"]["headline"] == "accuracy" and cells["attribute:sex"]["headline"] == "leakage"
    typed = {c.task: c for c in parse_results(json.loads(json.dumps(results, default=str)), Path("r.json")).cells}
    assert headline(typed["identity"])[0] == "accuracy" and headline(typed["attribute:sex"])[0] == "leakage"
    table = summary_tables(results)[0]
    rows = dict(zip(table.columns[0].cells, table.columns[3].cells, strict=True))
    assert str(rows["identity"]).startswith("acc. 100") and str(rows["sex"]).startswith("+")
    # a header written before tasks declared metrics: leakage, as the report led with then
    assert Declared({}).metrics("attribute:sex")[0] == "leakage"


def record(model: str, task: str, transform: str, clip: str, speaker: str, **changes: Any) -> SampleRecord:
    fields: dict[str, Any] = dict(
        key=f"{model}|{task}|{transform}|{clip}", model=model, task=task, transform=transform, clip_id=clip,
        repeat=0, speaker_id=speaker, labels={"sex": "Male"}, target="sex", prompt="q", system=None,
        audio_note="clip", response="Male", error=None, outcome="answer", predicted="Male", truth="Male",
        correct=True, value=None, latency_s=0.0, cached=False)
    return SampleRecord(**{**fields, **changes})


def test_a_record_keeps_its_declared_family_and_an_old_one_gets_it_from_its_task() -> None:
    # A plugin family whose name does not start with "decision" is still what its task declared.
    new = record("m", "hire-or-not:x", IDENTITY, "c1", "s1", family="decision")
    assert SampleRecord.from_dict(json.loads(new.to_json())).family == "decision"
    old = {k: v for k, v in asdict(record("m", "decision:hiring", IDENTITY, "c1", "s1")).items() if k != "family"}
    assert SampleRecord.from_dict(old).family == "decision"
    cascade = record("cascade:a+b", "attribute:sex", IDENTITY, "c1", "s1", meta={"transcript": "hello"})
    assert cascade.transcript == "hello" and record("m", "attribute:sex", IDENTITY, "c", "s").transcript is None


def test_an_old_header_is_read_from_what_it_recorded() -> None:
    legacy = Declared({"models": {"uniform": {"kind": "baseline"}, "probe": {"kind": "supervised probe"},
                                  "cascade:w+m": {"kind": "cascade"}, "gpt": {"name": "gpt"}}})
    assert [legacy.role(m) for m in ("uniform", "probe", "cascade:w+m", "gpt")] == \
        [Role.CALIBRATION, Role.PROBE, Role.MODEL, Role.MODEL]
    assert legacy.is_cascade("cascade:w+m") and not legacy.is_cascade("gpt")
    assert legacy.is_blind("blind:silence") and legacy.is_control("text-only") and not legacy.is_blind("text-only")
    assert legacy.transform(IDENTITY) is TransformRole.IDENTITY and not legacy.is_control("mcadams:0.8")


def clips_with(labels: Sequence[dict[str, str]]) -> list[Clip]:
    return [Clip(f"c{i}", Path(f"c{i}.wav"), f"s{i}", labels) for i, labels in enumerate(labels)]


def test_one_expansion_of_task_names_for_every_study() -> None:
    clips = clips_with([{"sex": "Male", "age": "20-29", "language": "en", "accent": "US"},
                        {"sex": "Female", "age": "30-39", "language": "en", "accent": "US"}])
    # `attribute`: every attribute labelled with two classes or more (accent and language have one).
    assert expand_names(["attribute"], clips) == ["attribute:age", "attribute:sex"]
    assert expand_names(["attribute:* prompts=hearsay-main"], clips) == \
        ["attribute:age prompts=hearsay-main", "attribute:sex prompts=hearsay-main"]
    # `sensitive` and `attribute:sensitive`: the sensitive closed-set ones; explicit names stay as written.
    assert expand_names(["sensitive", "attribute:sensitive", "attribute:accent", "transcription", "nosuch"],
                        clips) == ["attribute:age", "attribute:sex", "attribute:accent", "transcription", "nosuch"]
    assert expand_names(["speaker-id"], clips) == ["speaker-id"]


class Echo:
    """A plugin task that declares nothing optional."""

    target = None
    group_by = None

    def __init__(self, spec: Spec) -> None:
        self.name = "echo"

    def applies_to(self, clip: Clip) -> bool:
        return True

    def truth(self, clip: Clip) -> str | None:
        return None

    def render(self, clip: Clip, audio: Audio, request_id: str) -> Request:
        return Request(request_id, "q", audio)

    def score(self, clip: Clip, request: Request, response: Response) -> Any:
        raise NotImplementedError

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name}


def test_a_plugin_task_declares_its_family_by_registration(registered: list[tuple[Registry[Any], str]]) -> None:
    register(registered, tasks, "echo", Echo)
    task = build_task("echo")
    assert isinstance(task, Task)
    assert (task.family, task.intent, expand_names(["echo"], [])) == ("echo", Intent.ANSWER, ["echo"])
    task.prepare([])  # the declared default: nothing to learn from the corpus
