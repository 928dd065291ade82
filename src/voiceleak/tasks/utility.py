"""Application tasks, measured for utility: what a deployment needs the audio model FOR.

- `transcription`: word error rate against the clip's `text` (Score.value = per-clip WER).
- `language-id`: spoken-language identification, scored against the `language` label.
- `content:LABEL`: a closed question about what is said, its classes taken from a label column of the
  user's manifest (`raw_labels` or `labels`), e.g. content:intent.

The least-privilege report compares end-to-end and cascade on these while it compares their leakage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import jiwer

from voiceleak.attributes import Attribute, taxonomy
from voiceleak.models.text.transcript import LANGUAGE_ID_INSTRUCTION, TRANSCRIBE_INSTRUCTION
from voiceleak.spec import Spec
from voiceleak.tasks.attribute import score_reply
from voiceleak.tasks.base import VALUE_METRICS, TaskBase, load_prompt_set, tasks
from voiceleak.types import Audio, Clip, Intent, Outcome, Request, Response, Score

_LEAD = re.compile(r"^\s*(?:sure[,.!]?\s*)?(?:here is the transcript(?:ion)?|transcript(?:ion)?)\s*:\s*",
                   re.IGNORECASE)


_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spell_number(n: int) -> str:
    """English words for 0 <= n < 1,000,000 ("15" -> "fifteen"), as references usually spell them."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + (" " + spell_number(rest) if rest else "")
    rest = n % 1000
    return spell_number(n // 1000) + " thousand" + (" " + spell_number(rest) if rest else "")


def _spell(match: re.Match[str]) -> str:
    value = int(match.group(1).replace(",", ""))
    words = spell_number(value) if value < 1_000_000 else match.group(1)
    return f" {words}{' percent' if match.group(2) else ''} "


def normalize_text(text: str) -> str:
    """Lower case, whole numbers spelt out ("15%" -> "fifteen percent"), punctuation dropped
    (apostrophes inside words kept), spaces collapsed. Applied to reference and hypothesis alike."""
    lowered = _LEAD.sub("", text).lower().replace("’", "'")
    lowered = re.sub(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(%?)(?![\w.]\d)", _spell, lowered)
    words = re.sub(r"[^\w']+", " ", lowered)
    return " ".join(w.strip("'") for w in words.split() if w.strip("'"))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of normalised texts; an empty hypothesis is 100% deletions."""
    return float(jiwer.wer(reference, hypothesis)) if hypothesis else 1.0


@tasks.register("transcription", "utility: transcribe the clip; per-clip word error rate against its text "
                                  "(args: language=CODE keeps the clips labelled with that language)")
class TranscriptionTask(TaskBase):
    family = "transcription"
    metrics: tuple[str, ...] = VALUE_METRICS
    #: a cascade or a speech recogniser answers it with the transcript itself, whatever the prompt says
    intent = Intent.TRANSCRIBE

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"language"})
        self.name = str(Spec("transcription", None, dict(spec.params)))
        self.language = spec.get("language")
        self.prompt = f"{TRANSCRIBE_INSTRUCTION} Reply with the transcript only."

    def applies_to(self, clip: Clip) -> bool:
        if self.language and clip.labels.get("language") != self.language:
            return False  # an English-only deployment is measured on English speech
        return bool(clip.text and normalize_text(clip.text))

    def truth(self, clip: Clip) -> str | None:
        # No class label: WER is a value. None also keeps supervised attackers (which learn labels) out.
        return None

    def render(self, clip: Clip, audio: Audio, request_id: str) -> Request:
        return Request(request_id, self.prompt, audio, intent=self.intent)

    def score(self, clip: Clip, request: Request, response: Response) -> Score:
        reference = normalize_text(clip.text or "")
        if not response.ok:
            return Score(Outcome.ERROR, truth=reference, detail=response.error or "no reply")
        hypothesis = normalize_text(response.text or "")
        wer = word_error_rate(reference, hypothesis)
        return Score(Outcome.ANSWER, hypothesis, reference, None, value=wer, detail=f"wer={wer:.3f}")

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "prompt": self.prompt, "language": self.language,
                "metric": "word error rate (jiwer) on normalised text",
                "normalisation": "lower case, whole numbers spelt out, punctuation removed"}


class _ClosedQuestion(TaskBase):
    """Shared by language-id and content:LABEL: one closed question whose classes the corpus defines."""

    name: str
    attribute: Attribute

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"prompts"})
        self.prompts = load_prompt_set(spec.get("prompts", "direct") or "direct")
        self._choices: tuple[str, ...] = ()

    def label_of(self, clip: Clip) -> str | None:
        raise NotImplementedError

    def prepare(self, clips: Sequence[Clip]) -> None:
        self._choices = tuple(sorted({v for c in clips if (v := self.label_of(c)) is not None}))
        self.attribute = Attribute(self.attribute.name, self.attribute.description, self.attribute.question,
                                   self._choices, self.attribute.synonyms, sensitive=False)

    def applies_to(self, clip: Clip) -> bool:
        return self.label_of(clip) is not None

    def truth(self, clip: Clip) -> str | None:
        return self.label_of(clip)

    def question(self) -> str:
        return self.attribute.question

    def render(self, clip: Clip, audio: Audio, request_id: str) -> Request:
        prompt = self.prompts.template.format(question=self.question(), choices=", ".join(self._choices),
                                              attribute=self.attribute.name)
        return Request(request_id, prompt, audio, system=self.prompts.system, choices=self._choices,
                       intent=self.intent)

    def score(self, clip: Clip, request: Request, response: Response) -> Score:
        return score_reply(self.attribute, self.truth(clip), request, response)

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "question": self.question(), "classes": list(self._choices),
                "prompts": self.prompts.describe()}


@tasks.register("language-id", "utility: identify the spoken language (classes: the corpus's languages)")
class LanguageIdTask(_ClosedQuestion):
    family = "language-id"
    #: a cascade whose recogniser detects languages answers from the audio (lid=asr)
    intent = Intent.LANGUAGE_ID

    def __init__(self, spec: Spec) -> None:
        super().__init__(spec)
        self.name = str(Spec("language-id", None, dict(spec.params)))
        self.target = "language"
        self.attribute = taxonomy().get("language")

    def label_of(self, clip: Clip) -> str | None:
        return clip.labels.get("language")

    def question(self) -> str:
        return f"{LANGUAGE_ID_INSTRUCTION} Give its ISO 639-1 code."


@tasks.register("content", "utility: a closed question about what is said; content:LABEL reads the classes "
                           "from the manifest's raw_labels (or labels) column LABEL")
class ContentTask(_ClosedQuestion):
    family = "content"

    def __init__(self, spec: Spec) -> None:
        super().__init__(spec)
        if not spec.arg:
            raise ValueError("content task needs a label column: content:intent, content:topic, ...")
        self.label = spec.arg
        self.name = str(Spec("content", spec.arg, dict(spec.params)))
        self.target = f"content:{spec.arg}"
        readable = spec.arg.replace("_", " ")
        self.attribute = Attribute(spec.arg, f"content label {spec.arg!r} of the manifest",
                                   f"Which {readable} best describes what the speaker says?", ())

    def label_of(self, clip: Clip) -> str | None:
        value = clip.raw_labels.get(self.label) or clip.labels.get(self.label)
        return str(value) if value else None
