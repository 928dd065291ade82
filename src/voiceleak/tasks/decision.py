"""Decisions from a voice: ask a model to decide about the speaker (hire? grant the loan? which job?).

`decision:NAME` renders one prompt set of `tasks/decisions/NAME.yaml` (or a user's file of the same
shape): a system text, a user template, and the answer kind - `yesno`, `score` (1-10) or `choice`
among `options`. There is no right answer: the measurement is whether the decision changes with the
voice when the words are the same (see `analysis.decision`), so the task applies only to clips with a
transcript, which is what pairs clips saying the same sentence in different voices.

Score.predicted holds the decision ("yes", "no", "7", an option); Score.value its number (1/0 or the
score; None for an option).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from voiceleak.scoring.decisions import Kind, parse_decision
from voiceleak.spec import Spec
from voiceleak.tasks.base import TaskBase, tasks
from voiceleak.types import Audio, Clip, Outcome, Request, Response, Score

DECISION_DIRS: list[Path] = []  # user folders searched before the shipped decision sets
SCORE_SCALE = tuple(str(i) for i in range(1, 11))


def load_data_file(folder: str, name: str, user_dirs: Sequence[Path]) -> dict[str, Any]:
    """A YAML data set by path, by name in a user folder, or by name among the shipped ones."""
    candidate = Path(name)
    if candidate.suffix in {".yaml", ".yml"} and candidate.is_file():
        return _mapping(candidate.read_text(encoding="utf-8"), str(candidate))
    for directory in user_dirs:
        if (directory / f"{name}.yaml").is_file():
            return _mapping((directory / f"{name}.yaml").read_text(encoding="utf-8"), str(directory))
    shipped = resources.files("voiceleak.tasks").joinpath(folder, f"{name}.yaml")
    if not shipped.is_file():
        known = ", ".join(shipped_names(folder))
        raise KeyError(
            f"unknown {folder[:-1]} set {name!r} (shipped: {known}; or give a path to a .yaml file)"
        )
    return _mapping(shipped.read_text(encoding="utf-8"), name)


def shipped_names(folder: str) -> list[str]:
    root = resources.files("voiceleak.tasks").joinpath(folder)
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def _mapping(text: str, where: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a decision or scope set must be a YAML mapping")
    return data


@dataclass(frozen=True)
class DecisionSet:
    name: str
    kind: Kind
    template: str
    system: str | None = None
    options: tuple[str, ...] = ()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    version: int = 1
    description: str = ""

    @property
    def choices(self) -> tuple[str, ...]:
        """The closed set scoring backends pick from (chat backends see only the prompt)."""
        if self.kind is Kind.YESNO:
            return ("yes", "no")
        return SCORE_SCALE if self.kind is Kind.SCORE else self.options

    def prompt(self) -> str:
        return self.template.format(options=", ".join(self.options))

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "kind": self.kind.value,
            "system": self.system,
            "template": self.template,
            "options": list(self.options),
            "description": self.description,
        }


def load_decision_set(name: str) -> DecisionSet:
    data = load_data_file("decisions", name, DECISION_DIRS)
    try:
        kind = Kind(str(data.get("kind", "yesno")))
    except ValueError as exc:
        raise ValueError(f"decision set {name!r}: kind must be yesno, score or choice") from exc
    options = tuple(str(o) for o in data.get("options") or ())
    if kind is Kind.CHOICE and len(options) < 2:
        raise ValueError(f"decision set {name!r}: a choice needs at least two options")
    return DecisionSet(
        name=str(data.get("name", name)),
        kind=kind,
        template=str(data["template"]),
        system=data.get("system"),
        options=options,
        synonyms={str(k): tuple(str(w) for w in v) for k, v in (data.get("synonyms") or {}).items()},
        version=int(data.get("version", 1)),
        description=str(data.get("description", "")),
    )


@tasks.register(
    "decision",
    "a decision about the speaker from the voice (decision:hiring|promotion|credit|"
    "job-advice or a YAML path); pair clips by sentence to measure voice bias",
)
class DecisionTask(TaskBase):
    family = "decision"
    #: no right answer: the gaps between voices are the decisions analysis's; the cell counts refusals
    metrics: tuple[str, ...] = ("refusal_rate",)

    def __init__(self, spec: Spec) -> None:
        spec.check_known(set())
        if spec.arg is None:
            raise ValueError(
                f"decision task needs a decision set: decision:NAME ({', '.join(shipped_names('decisions'))})"
            )
        self.decision = load_decision_set(spec.arg)
        self.name = str(Spec("decision", spec.arg))

    def applies_to(self, clip: Clip) -> bool:
        # Only clips with a transcript can be paired with the same words in another voice.
        return bool(clip.text and clip.text.strip())

    def truth(self, clip: Clip) -> str | None:
        return None

    def render(self, clip: Clip, audio: Audio, request_id: str) -> Request:
        return Request(
            request_id,
            self.decision.prompt(),
            audio,
            system=self.decision.system,
            choices=self.decision.choices,
        )

    def score(self, clip: Clip, request: Request, response: Response) -> Score:
        if not response.ok:
            return Score(Outcome.ERROR, detail=response.error or "no reply")
        d = self.decision
        parsed = parse_decision(response.text, d.kind, d.options, d.synonyms)
        return Score(parsed.outcome, parsed.label, None, None, parsed.value, parsed.detail)

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "decision": self.decision.describe(), "choices": list(self.decision.choices)}
