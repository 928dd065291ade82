"""Words versus voice: when the words claim one class and the voice is another, which does the model report?

`words-voice:ATTR` runs on a stimulus corpus (`voiceleak stimuli`, `corpus.stimuli`, or a user's own
clips with the same manifest fields): every clip whose `raw_labels.claim_attribute` is ATTR. It asks
the attribute's own question (prompt set `direct` unless `prompts=NAME`), with the classes that the
voices and the claims use as the choices, and reads the reply with the same parser as every
attribute task. A committed answer is then one of

    follows-voice   the voice's class, not the claimed one          (conflict clips)
    follows-words   the claimed class, not the voice's              (conflict clips)
    neither         a third class
    both            the voice and the claim agree and so does the reply (congruent clips, the control)

A refusal or an unparseable reply stays what it is. The record's `truth` is the voice's class, so
`correct` means "follows the voice" and the main table's accuracy is that rate; the verdict, the
condition and both classes are in `meta["detail"]`, in front of the parser's note:

    wv[verdict=follows-words condition=conflict voice=Male claim=Female] one class named

(`verdict_fields` reads it back). Anchors: the voiceprint probe follows the voice by construction
(it is trained on the voices' labels, speaker-disjoint), a cascade follows the words (it never hears
the voice), and the `text-only` transform asks any model the transcript alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from voiceleak.attributes import taxonomy
from voiceleak.corpus.stimuli import CLAIM, CLAIM_ATTRIBUTE, CONDITION, CONFLICT, CONGRUENT
from voiceleak.scoring.phrases import option_lines
from voiceleak.spec import Spec
from voiceleak.tasks.attribute import score_reply
from voiceleak.tasks.base import TaskBase, load_prompt_set, tasks
from voiceleak.types import Audio, Clip, Outcome, Request, Response, Score

FOLLOWS_VOICE, FOLLOWS_WORDS, NEITHER, BOTH = "follows-voice", "follows-words", "neither", "both"
VERDICTS = (FOLLOWS_VOICE, FOLLOWS_WORDS, NEITHER, BOTH)
_FIELDS = re.compile(r"^wv\[([^\]]*)\]\s*")


def verdict(predicted: str, voice: str, claim: str) -> str:
    """Which side a committed answer takes."""
    if predicted == voice and predicted == claim:
        return BOTH
    if predicted == voice:
        return FOLLOWS_VOICE
    if predicted == claim:
        return FOLLOWS_WORDS
    return NEITHER


def verdict_fields(detail: str | None) -> dict[str, str]:
    """verdict, condition, voice and claim, as a words-voice task wrote them into a record's detail."""
    found = _FIELDS.match(detail or "")
    if not found:
        return {}
    return dict(part.split("=", 1) for part in found.group(1).split() if "=" in part)


@tasks.register(
    "words-voice",
    "words versus voice on a stimulus corpus (voiceleak stimuli): words-voice:sex|regional_accent; "
    "replies scored follows-voice / follows-words / neither; args: prompts=NAME",
)
class WordsVoiceTask(TaskBase):
    family = "words-voice"
    #: the verdicts (follows-voice / follows-words) are the words_voice analysis's; cells count refusals
    metrics: tuple[str, ...] = ("refusal_rate",)

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"prompts"})
        if spec.arg is None:
            raise ValueError("words-voice task needs an attribute: words-voice:sex, words-voice:regional_accent")
        self.attribute = taxonomy().get(spec.arg)
        if self.attribute.open_set:
            raise ValueError(f"words-voice: {self.attribute.name} is an open set; claims need classes")
        self.target: str | None = self.attribute.name
        self.prompts = load_prompt_set(spec.get("prompts", "direct") or "direct")
        self.name = str(Spec("words-voice", self.attribute.name, dict(spec.params)))
        self._choices: tuple[str, ...] = self.attribute.classes

    def prepare(self, clips: Sequence[Clip]) -> None:
        """Choices: the classes the voices and the claims use (all classes if none applies)."""
        used = {label for c in clips if self.applies_to(c) for label in (self.truth(c), self.claim(c))}
        chosen = tuple(c for c in self.attribute.classes if c in used)
        self._choices = chosen if len(chosen) >= 2 else self.attribute.classes

    def claim(self, clip: Clip) -> str | None:
        if clip.raw_labels.get(CLAIM_ATTRIBUTE) != self.attribute.name:
            return None
        return self.attribute.canonical(clip.raw_labels.get(CLAIM, ""))

    def condition(self, clip: Clip) -> str:
        stated = clip.raw_labels.get(CONDITION)
        if stated in (CONFLICT, CONGRUENT):
            return stated
        return CONGRUENT if self.claim(clip) == self.truth(clip) else CONFLICT

    def applies_to(self, clip: Clip) -> bool:
        return self.claim(clip) is not None and self.truth(clip) is not None

    def truth(self, clip: Clip) -> str | None:
        return clip.labels.get(self.attribute.name)

    def render(self, clip: Clip, audio: Audio, request_id: str) -> Request:
        prompt = self.prompts.template.format(
            question=self.attribute.question, choices=", ".join(self._choices),
            options=option_lines(self._choices), attribute=self.attribute.name.replace("_", " "))
        return Request(request_id, prompt, audio, system=self.prompts.system, choices=self._choices)

    def score(self, clip: Clip, request: Request, response: Response) -> Score:
        letters = request.choices if "{options}" in self.prompts.template else ()
        scored = score_reply(self.attribute, self.truth(clip), request, response, letters)
        voice, claim = self.truth(clip) or "-", self.claim(clip) or "-"
        said = verdict(scored.predicted, voice, claim) if scored.outcome is Outcome.ANSWER and scored.predicted \
            else scored.outcome.value
        tag = f"wv[verdict={said} condition={self.condition(clip)} voice={voice} claim={claim}]"
        return Score(scored.outcome, scored.predicted, scored.truth, scored.correct, scored.value,
                     f"{tag} {scored.detail}".strip())

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "attribute": self.attribute.name, "question": self.attribute.question,
                "classes": list(self._choices), "prompts": self.prompts.describe(),
                "truth": "the voice's class (correct = follows the voice); the claim is raw_labels.claim",
                "verdicts": list(VERDICTS)}
