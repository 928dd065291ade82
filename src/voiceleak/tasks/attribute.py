"""Attribute inference: ask what the voice says about the speaker, score against the corpus label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from voiceleak.attributes import Attribute, taxonomy
from voiceleak.scoring.parse import parse_answer
from voiceleak.scoring.phrases import option_lines
from voiceleak.spec import Spec
from voiceleak.tasks.base import TaskBase, load_prompt_set, tasks
from voiceleak.types import Audio, Clip, Outcome, Request, Response, Score

#: `attribute:sensitive`: every sensitive closed-set attribute the corpus labels (see AttributeTask.expand)
SENSITIVE = "sensitive"
#: `attribute` or `attribute:*`: every taxonomy attribute the corpus labels
EVERY = "*"


def score_reply(attribute: Attribute, truth: str | None, request: Request, response: Response,
                letters: Sequence[str] = ()) -> Score:
    """Shared by every task whose answer is one class of an attribute.

    `letters`: the classes in the order a multiple-choice prompt lettered them (A, B, ...), if it did.
    """
    if not response.ok:
        return Score(Outcome.ERROR, truth=truth, detail=response.error or "no reply")
    parsed = parse_answer(response.text, attribute, request.choices if attribute.open_set else (), letters)
    if parsed.outcome is not Outcome.ANSWER:
        return Score(parsed.outcome, truth=truth, detail=parsed.detail)
    return Score(Outcome.ANSWER, parsed.label, truth, parsed.label == truth, detail=parsed.detail)


@tasks.register("attribute", "infer one attribute of the speaker (attribute:NAME prompts=direct|hearsay-main|...)")
class AttributeTask(TaskBase):
    family = "attribute"

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"prompts"})
        if spec.arg is None:
            raise ValueError("attribute task needs an attribute: attribute:sex, attribute:age, ...")
        self.attribute = taxonomy().get(spec.arg)
        self.target: str | None = self.attribute.name
        self.prompts = load_prompt_set(spec.get("prompts", "direct") or "direct")
        self.name = str(Spec("attribute", self.attribute.name, dict(spec.params)))
        self._choices: tuple[str, ...] = self.attribute.classes

    @classmethod
    def expand(cls, spec: Spec, clips: Sequence[Clip]) -> list[str]:
        """`attribute` (or `attribute:*`) stands for every taxonomy attribute the corpus labels with at
        least two classes (one class leaves nothing to infer), `attribute:sensitive` for the sensitive
        closed-set ones; arguments carry over (`attribute prompts=hearsay-main`)."""
        if spec.arg not in {None, EVERY, SENSITIVE}:
            return [str(spec)]
        present: dict[str, set[str]] = {}
        for clip in clips:
            for name, label in clip.labels.items():
                present.setdefault(name, set()).add(label)
        chosen = [a for a in taxonomy() if len(present.get(a.name, ())) >= 2
                  and (spec.arg != SENSITIVE or (a.sensitive and not a.open_set))]
        return [str(Spec(spec.family, a.name, dict(spec.params))) for a in chosen]

    def prepare(self, clips: Sequence[Clip]) -> None:
        if self.attribute.open_set:
            self._choices = tuple(sorted({c.labels[self.attribute.name] for c in clips
                                          if self.attribute.name in c.labels}))

    def applies_to(self, clip: Clip) -> bool:
        return self.truth(clip) is not None

    def truth(self, clip: Clip) -> str | None:
        return clip.labels.get(self.attribute.name)

    def render(self, clip: Clip, audio: Audio, request_id: str) -> Request:
        prompt = self._template().format(question=self.attribute.question, choices=", ".join(self._choices),
                                         options=option_lines(self._choices),
                                         attribute=self.attribute.name.replace("_", " "))
        return Request(request_id, prompt, audio, system=self.prompts.system, choices=self._choices)

    def score(self, clip: Clip, request: Request, response: Response) -> Score:
        # A prompt that letters the options ({options}) may be answered with a letter alone.
        letters = request.choices if "{options}" in self._template() else ()
        return score_reply(self.attribute, self.truth(clip), request, response, letters)

    def _template(self) -> str:
        return self.prompts.open_template if self.attribute.open_set else self.prompts.template

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "attribute": self.attribute.name, "question": self.attribute.question,
                "classes": list(self._choices), "prompts": self.prompts.describe()}


@tasks.register("speaker-id", "closed-set speaker identification among the corpus's speakers")
class SpeakerIdTask(AttributeTask):
    """Same as attribute:speaker, but supervised folds split within speakers (every speaker is
    seen in training), which is what closed-set identification means."""

    family = "speaker-id"
    group_by: str | None = None
    def __init__(self, spec: Spec) -> None:
        super().__init__(Spec("attribute", "speaker", dict(spec.params)))
        self.name = str(Spec("speaker-id", None, dict(spec.params)))

    @classmethod
    def expand(cls, spec: Spec, clips: Sequence[Clip]) -> list[str]:
        return [str(spec)]  # one task, whatever the corpus: nothing to expand

    def truth(self, clip: Clip) -> str | None:
        return clip.speaker_id

    def prepare(self, clips: Sequence[Clip]) -> None:
        self._choices = tuple(sorted({c.speaker_id for c in clips if c.speaker_id}))
