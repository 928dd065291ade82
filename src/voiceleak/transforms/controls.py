"""Blind controls: what a model answers when the audio carries no evidence about the speaker.

Every backend gets the same control. `blind:none` removes the audio; backends that cannot take a
request without audio replace it with silence themselves and record that in the response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from voiceleak.audio import MODEL_RATE, silence, white_noise
from voiceleak.spec import Spec
from voiceleak.transforms.base import TransformBase, TransformContext, TransformRole, build_transform, mark, transforms
from voiceleak.types import Request

VARIANTS = ("silence", "noise", "none", "other")


def noise_seed(clip_id: str) -> int:
    """A seed per clip from a hash of its whole id: the same noise every run, different across clips
    (the first bytes of an id are often a shared corpus prefix)."""
    return int.from_bytes(hashlib.sha256(clip_id.encode()).digest()[:8], "big")


@transforms.register("blind", "replace the audio: blind:silence (1 s, default), blind:noise, blind:none, "
                              "blind:other (a clip of another speaker); args: seconds=1")
class Blind(TransformBase):
    role = TransformRole.CONTROL

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"seconds"})
        self.variant = spec.arg or "silence"
        if self.variant not in VARIANTS:
            raise ValueError(f"blind:{self.variant}: unknown variant (choose from {', '.join(VARIANTS)})")
        self.seconds = spec.get_float("seconds", 1.0)
        self.name = str(Spec("blind", self.variant, dict(spec.params)))

    def __call__(self, request: Request, context: TransformContext) -> Request:
        note = f"blind:{self.variant}"
        if self.variant == "silence":
            return mark(request, self.name, audio=silence(self.seconds), audio_note=note)
        if self.variant == "noise":
            noise = white_noise(self.seconds, MODEL_RATE, seed=noise_seed(context.clip.id))
            return mark(request, self.name, audio=noise, audio_note=note)
        if self.variant == "none":
            return mark(request, self.name, audio=None, audio_note=note)
        donor = context.donor_audio(context.clip)
        if donor is None:
            raise ValueError("blind:other needs a clip by another speaker; the corpus has one speaker")
        return mark(request, self.name, audio=donor, audio_note=note)

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "variant": self.variant, "seconds": self.seconds}


@transforms.register("sampled", "a control at its own temperature: sampled:0.7 control=blind:silence "
                                "(HearSay's blind test samples silence at temperature 0.7)")
class Sampled(TransformBase):
    """A control decoded at its own temperature; it is the control it wraps (its declared role too)."""

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"control"})
        if spec.arg is None:
            raise ValueError("sampled needs a temperature: sampled:0.7 control=blind:silence")
        self.temperature = float(spec.arg)
        self.control = build_transform(spec.get("control", "blind:silence") or "blind:silence")
        self.name = str(spec)
        self.role = self.control.role

    def __call__(self, request: Request, context: TransformContext) -> Request:
        changed = self.control(request, context)
        # A seed per clip: the control's input is the same silence for every clip, so without it every
        # sample would share one cache key and one reply; with it, each is an independent, reproducible draw.
        seed = (changed.decoding.seed or 0) + int(hashlib.sha256(context.clip.id.encode()).hexdigest()[:8], 16)
        decoding = replace(changed.decoding, temperature=self.temperature, seed=seed)
        return mark(changed, self.name, decoding=decoding)

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "temperature": self.temperature, "control": self.control.describe(),
                "note": "this control's requests are decoded at this temperature, seeded per clip (the run's "
                        "seed + a hash of the clip id); every other setting keeps the run's decoding"}
