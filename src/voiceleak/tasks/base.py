"""What a task is to the runner: it renders a Request from a clip and scores the Response.

Tasks own the prompts and the truth; models never see either beyond the rendered Request. A task also
declares what the report needs to know about it, so that nothing reads it off the task's name: its
`family` (stored in every record), the `metrics` its cells headline, the `intent` its requests carry
(`types.Intent`), and how a bare family name expands over a corpus (`expand`, used by
`tasks.expand.expand_names`). `TaskBase` holds the defaults; a plugin task that does not inherit it
gets them when it is registered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml

from voiceleak.registry import Registry, fill_defaults
from voiceleak.spec import Spec, parse_spec
from voiceleak.types import Audio, Clip, Intent, Outcome, Request, Response, Score

#: the figures of a closed-set cell (results.json "metrics"), in the order a report shows them; the first
#: one a cell has is its headline (results.json cell "headline": the console's tables, the cells frame)
CLASS_METRICS = ("leakage", "balanced_accuracy", "accuracy", "refusal_rate")
#: the figures of a cell scored by a number per sample (word error rate...)
VALUE_METRICS = ("value", "value_pooled", "refusal_rate")


@runtime_checkable
class Task(Protocol):
    name: str
    #: the family the task was registered as ("attribute", "decision"...): stored in every record
    family: str
    #: the results figures the task's cells headline, in order (CLASS_METRICS or VALUE_METRICS, or its
    #: own): the first one a cell has is the cell's "headline" in results.json
    metrics: tuple[str, ...]
    #: what every request of the task asks for (a cascade transcribes a TRANSCRIBE request itself)
    intent: Intent
    #: the label the task asks about (an attribute), if any
    target: str | None
    #: "speaker" keeps supervised folds speaker-disjoint; None splits within speakers
    group_by: str | None

    def prepare(self, clips: Sequence[Clip]) -> None:
        """See the corpus once (for example to learn the open set of speakers)."""
        ...

    def applies_to(self, clip: Clip) -> bool: ...

    def truth(self, clip: Clip) -> str | None: ...

    def render(self, clip: Clip, audio: Audio, request_id: str) -> Request: ...

    def score(self, clip: Clip, request: Request, response: Response) -> Score: ...

    def describe(self) -> Mapping[str, Any]:
        """Prompt texts and versions: recorded in the run header."""
        ...


class TaskBase:
    """Defaults of the optional members of a Task. A family that expands (`attribute` -> every attribute
    the corpus labels) overrides `expand`."""

    family: str = ""
    metrics: tuple[str, ...] = CLASS_METRICS
    #: what every request of the task asks for; a transcription task says TRANSCRIBE
    intent: Intent = Intent.ANSWER
    target: str | None = None
    group_by: str | None = "speaker"

    def prepare(self, clips: Sequence[Clip]) -> None:
        return None

    @classmethod
    def expand(cls, spec: Spec, clips: Sequence[Clip]) -> list[str]:
        """The task names `spec` stands for over these clips: itself, unless the family says otherwise."""
        return [str(spec)]


class TaskFactory(Protocol):
    """What the task registry holds: a class (or callable) building a Task from its spec, and saying
    what a bare spec of its family stands for over a corpus."""

    family: str

    def __call__(self, spec: Spec) -> Task: ...

    def expand(self, spec: Spec, clips: Sequence[Clip]) -> list[str]: ...


def _declare(name: str, factory: Any) -> Any:
    """A registered task states its family (its registered name unless it says otherwise) and has
    every optional member, whether or not it inherits TaskBase."""
    fill_defaults(factory, TaskBase, ("family", "metrics", "intent", "prepare", "expand"))
    if not factory.family:  # a class attribute: every instance reads it as its own
        factory.family = name
    return factory


tasks: Registry[TaskFactory] = Registry("task", declare=_declare)


def block_reason(response: Response) -> str | None:
    """Why the provider's safety filter withheld the reply (Gemini SAFETY, OpenAI content_filter...),
    or None. Backends mark a block as a Response with no text, no error and meta["blocked"]."""
    reason = response.meta.get("blocked") if response.error is None and response.text is None else None
    return str(reason) if reason else None


def score_response(task: Task, clip: Clip, request: Request, response: Response) -> Score:
    """The task's score, except for a provider's block: that is its own outcome for every task (counted
    with refusals, never an error and never an answer), so no task can mistake it for a failed request."""
    reason = block_reason(response)
    if reason is not None:
        return Score(Outcome.BLOCKED, truth=task.truth(clip), detail=f"blocked by the provider: {reason}")
    return task.score(clip, request, response)


def build_task(text: str | Spec) -> Task:
    spec = parse_spec(text) if isinstance(text, str) else text
    return tasks.get(spec.family)(spec)


def describe_task(task: Task) -> dict[str, Any]:
    """The task's description for the run header: its prompts, and what it declares itself to be."""
    return {**dict(task.describe()), "family": task.family, "metrics": list(task.metrics),
            "intent": Intent(task.intent).value}



@dataclass(frozen=True)
class PromptSet:
    name: str
    version: int
    description: str
    system: str | None
    template: str
    open_template: str

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "system": self.system,
                "template": self.template, "open_template": self.open_template}


PROMPT_DIRS: list[Path] = []  # user folders searched before the shipped prompt sets


@cache
def _shipped_prompt(name: str) -> str | None:
    path = resources.files("voiceleak.tasks").joinpath("prompts", f"{name}.yaml")
    return path.read_text(encoding="utf-8") if path.is_file() else None


def shipped_prompt_names() -> list[str]:
    folder = resources.files("voiceleak.tasks").joinpath("prompts")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_prompt_set(name: str) -> PromptSet:
    """A prompt set by name (shipped or in a user folder) or by path to a YAML file."""
    text = None
    candidate = Path(name)
    if candidate.suffix in {".yaml", ".yml"} and candidate.is_file():
        text = candidate.read_text(encoding="utf-8")
    for folder in PROMPT_DIRS:
        if text is None and (folder / f"{name}.yaml").is_file():
            text = (folder / f"{name}.yaml").read_text(encoding="utf-8")
    text = text or _shipped_prompt(name)
    if text is None:
        raise KeyError(f"unknown prompt set {name!r} (shipped: {', '.join(shipped_prompt_names())})")
    data = yaml.safe_load(text)
    return PromptSet(
        name=data["name"], version=int(data.get("version", 1)), description=data.get("description", ""),
        system=data.get("system"), template=data["template"],
        open_template=data.get("open_template", data["template"]),
    )
