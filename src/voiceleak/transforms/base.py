"""Transforms: pure functions from a Request to a new Request (controls, defenses, prompt guards).

A transform never mutates its input. It may need to see another clip (the "other speaker" blind
control), which it gets through the context, never by reaching into the corpus itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from voiceleak.registry import Registry
from voiceleak.spec import Spec, parse_spec
from voiceleak.types import Audio, Clip, Request


@dataclass(frozen=True)
class TransformContext:
    clip: Clip
    #: audio of a clip by another speaker, chosen deterministically for this clip (None if none)
    donor_audio: Callable[[Clip], Audio | None]


@runtime_checkable
class Transform(Protocol):
    """May also define `filter_response(request, response) -> Response`: an output-side defense
    that sees each reply after the model, as a deployment's filter would."""

    name: str

    def __call__(self, request: Request, context: TransformContext) -> Request: ...

    def describe(self) -> Mapping[str, Any]: ...


transforms: Registry[Any] = Registry("transform")

IDENTITY = "none"


def build_transform(text: str | Spec) -> Transform:
    spec = parse_spec(text) if isinstance(text, str) else text
    transform: Transform = transforms.get(spec.family)(spec)
    return transform


def mark(request: Request, name: str, **changes: Any) -> Request:
    """A copy of the request with the transform's name appended to its history."""
    return request.with_changes(applied=(*request.applied, name), **changes)


@transforms.register(IDENTITY, "no change: the clip as the corpus has it")
class Identity:
    def __init__(self, spec: Spec) -> None:
        spec.check_known(set())
        self.name = IDENTITY

    def __call__(self, request: Request, context: TransformContext) -> Request:
        return request

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name}
