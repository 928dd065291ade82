"""Transforms: pure functions from a Request to a new Request (controls, defenses, prompt guards).

A transform never mutates its input. It may need to see another clip (the "other speaker" blind
control), which it gets through the context, never by reaching into the corpus itself.

A transform declares what it is (`role`: the identity, a control that removes the evidence, a
defense, another setting); the run header records it (`describe_transform`) and the report reads it
there, never off the transform's name. `TransformBase` holds the defaults of every optional member; a
registered transform that does not inherit it gets them at registration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from voiceleak.registry import Registry, fill_defaults
from voiceleak.spec import Spec, parse_spec
from voiceleak.types import Audio, Clip, Request, Response

#: the name of the identity transform (the clip as the corpus has it): the one spelling of "none"
IDENTITY = "none"


class TransformRole(StrEnum):
    IDENTITY = "identity"
    #: a blind control takes every trace of the speaker away (silence, noise, another speaker, no
    #: audio): a baseline the real-audio figures are read against, never a finding of its own
    CONTROL = "control"
    #: a control that keeps the words and drops the voice (the transcript as text)
    WORDS_ONLY = "words-only"
    DEFENSE = "defense"  # what a deployment could do to leak less (anonymisation, a prompt guard)
    SETTING = "setting"  # any other change to the audio or the prompt


@dataclass(frozen=True)
class TransformContext:
    clip: Clip
    #: audio of a clip by another speaker, chosen deterministically for this clip (None if none)
    donor_audio: Callable[[Clip], Audio | None]


class TransformBase:
    """Defaults of the optional members of a Transform."""

    role: TransformRole = TransformRole.SETTING
    #: False for a transform that leaves the audio as it is (a prompt guard, a reply filter)
    changes_audio = True
    #: the defense's strength as its argument says it (alpha, semitones, SNR...), None when it has none
    strength: float | None = None
    #: how far from the identity, larger = stronger: orders a defense's points on a curve
    severity: float | None = None

    def filter_response(self, request: Request, response: Response) -> Response:
        """An output-side defense sees each reply after the model, as a deployment's filter would;
        every other transform passes it through."""
        return response


OPTIONAL = ("role", "changes_audio", "strength", "severity", "filter_response")


@runtime_checkable
class Transform(Protocol):
    name: str
    role: TransformRole
    changes_audio: bool
    strength: float | None
    severity: float | None

    def __call__(self, request: Request, context: TransformContext) -> Request: ...

    def describe(self) -> Mapping[str, Any]: ...

    def filter_response(self, request: Request, response: Response) -> Response: ...


class TransformFactory(Protocol):
    def __call__(self, spec: Spec) -> Transform: ...


def _declare(name: str, factory: TransformFactory) -> TransformFactory:
    fill_defaults(factory, TransformBase, OPTIONAL)
    return factory


transforms: Registry[TransformFactory] = Registry("transform", declare=_declare)


def build_transform(text: str | Spec) -> Transform:
    spec = parse_spec(text) if isinstance(text, str) else text
    return transforms.get(spec.family)(spec)


def describe_transform(transform: Transform) -> dict[str, Any]:
    """The transform's description for the run header: what it did, and what it declares itself to be."""
    return {**dict(transform.describe()), "role": TransformRole(transform.role).value,
            "changes_audio": bool(transform.changes_audio)}


def mark(request: Request, name: str, **changes: Any) -> Request:
    """A copy of the request with the transform's name appended to its history."""
    return request.with_changes(applied=(*request.applied, name), **changes)


@transforms.register(IDENTITY, "no change: the clip as the corpus has it")
class Identity(TransformBase):
    role = TransformRole.IDENTITY
    changes_audio = False

    def __init__(self, spec: Spec) -> None:
        spec.check_known(set())
        self.name = IDENTITY

    def __call__(self, request: Request, context: TransformContext) -> Request:
        return request

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name}
