"""What a model is to the runner. Backends know nothing of tasks: they see Requests only.

Two kinds:
- AudioModel: answers each request on its own (chat APIs, local checkpoints, cascades, baselines).
- SupervisedModel: an attacker trained on labelled clips (the voiceprint probe, the majority
  baseline). The runner hands it the labels explicitly and it answers every clip out of fold,
  so no prediction comes from a model that saw that clip's speaker (or that clip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from voiceleak.registry import Registry
from voiceleak.spec import Spec, parse_spec
from voiceleak.types import Decoding, Request, Response


@runtime_checkable
class AudioModel(Protocol):
    name: str
    accepts_audio: bool
    #: host the audio is sent to, or None when it stays on this machine (voice is biometric data)
    remote_host: str | None
    #: requests per generate() call the runner should send (engines that batch want more)
    max_batch: int
    #: generate() calls in flight at once
    max_concurrency: int

    def identity(self) -> Mapping[str, Any]:
        """Model name, revision, served name, decoding defaults: recorded in the run header."""
        ...

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        """One Response per Request, in order. Failures are Responses with `error` set."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class SupervisedModel(Protocol):
    name: str
    accepts_audio: bool
    remote_host: str | None

    def identity(self) -> Mapping[str, Any]: ...

    def cross_predict(
        self,
        requests: Sequence[Request],
        labels: Sequence[str],
        groups: Sequence[str] | None,
    ) -> list[Response]:
        """Out-of-fold answers. `groups` (speakers) keeps folds speaker-disjoint; None splits
        within groups (closed-set speaker identification)."""
        ...


Model = AudioModel | SupervisedModel

#: factories taking the parsed Spec
models: Registry[Any] = Registry("model")


def build_model(text: str | Spec) -> Model:
    spec = parse_spec(text) if isinstance(text, str) else text
    factory = models.get(spec.family)
    model: Model = factory(spec)
    return model


def group_by_decoding(requests: Sequence[Request]) -> dict[Decoding, list[int]]:
    """Indices of requests that share decoding settings: an engine batches only those together."""
    groups: dict[Decoding, list[int]] = {}
    for index, request in enumerate(requests):
        groups.setdefault(request.decoding, []).append(index)
    return groups


class LocalModel:
    """Defaults for models that run in this process and need no clean-up."""

    accepts_audio = True
    remote_host: str | None = None
    max_batch = 16
    max_concurrency = 1

    async def aclose(self) -> None:
        return None
