"""The text-only control: the same model, the same question, the clip's transcript instead of its audio.

A cascade can only act on the words; whatever changes between voices saying the same words is bias a
cascade could not have. This control asks the model under audit itself with the reference transcript
(the manifest's `text`, not a recogniser's, so recognition errors cannot masquerade as a voice effect),
framed exactly as the cascade's text stage frames a transcript (`models.text.transcript.wrap`), so
text scorers read it back the same way. A clip without a transcript cannot be controlled: the runner
records it as an error with that reason, never as an answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voiceleak.models.text.transcript import wrap
from voiceleak.spec import Spec
from voiceleak.transforms.base import TransformBase, TransformContext, TransformRole, mark, transforms
from voiceleak.types import Request

NAME = "text-only"


@transforms.register(
    NAME, "the text-only control: the clip's transcript (manifest text) as text, audio removed"
)
class TextOnly(TransformBase):
    #: keeps the words, drops the voice: the report reads it against the real audio as a control
    role = TransformRole.WORDS_ONLY

    def __init__(self, spec: Spec) -> None:
        spec.check_known(set())
        self.name = NAME

    def __call__(self, request: Request, context: TransformContext) -> Request:
        text = context.clip.text
        if text is None or not text.strip():
            raise ValueError(
                f"text-only control: clip {context.clip.id} has no transcript (manifest text is empty)"
            )
        return mark(request, self.name, prompt=wrap(text, request.prompt), audio=None, audio_note="text-only")

    def describe(self) -> Mapping[str, Any]:
        return {
            "name": self.name,
            "source": "manifest text (reference transcript)",
            "framing": "models.text.transcript.wrap: intro + delimited transcript + the original prompt",
        }
