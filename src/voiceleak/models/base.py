"""What a model is to the runner. Backends know nothing of tasks: they see Requests only.

Two kinds:
- AudioModel: answers each request on its own (chat APIs, local checkpoints, cascades, baselines).
- SupervisedModel: an attacker trained on labelled clips (the voiceprint probe, the majority
  baseline). The runner hands it the labels explicitly and it answers every clip out of fold,
  so no prediction comes from a model that saw that clip's speaker (or that clip).

A model declares what its figures mean (`role`: a system under audit, a calibration stand-in, a
probe of what the signal carries) and how it is built (`architecture`: end to end, or a cascade that
only reads a transcript). The run header records both in the model's description (`describe_model`),
and the report reads them there, never off the model's name. `ModelBase` and `SupervisedBase` hold the
defaults of every optional member; a registered backend that inherits neither gets them at registration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from voiceleak.registry import Registry, fill_defaults
from voiceleak.spec import Spec, parse_spec
from voiceleak.types import Decoding, Request, Response


class Role(StrEnum):
    """What a model's figures mean in a report."""

    MODEL = "model"  # a system under audit: its p-values are findings
    #: a stand-in that calibrates the machinery (chance baselines): intervals shown, no finding claimed
    CALIBRATION = "calibration"
    PROBE = "probe"  # an attacker trained on labels: what the signal carries at most


class Architecture(StrEnum):
    END_TO_END = "end-to-end"
    CASCADE = "cascade"  # speech recognition, then a text model: it reads words, never hears the voice


class ModelBase:
    """Defaults of the optional members of every model (AudioModel and SupervisedModel alike)."""

    accepts_audio = True
    role: Role = Role.MODEL
    architecture: Architecture = Architecture.END_TO_END
    #: host the audio is sent to, or None when it stays on this machine (voice is biometric data)
    remote_host: str | None = None
    #: requests per generate() call the runner should send (engines that batch want more)
    max_batch = 16
    #: generate() calls in flight at once
    max_concurrency = 1
    #: False when an answer depends on more than the cache key (a seeded random guess per request id)
    cacheable = True
    #: True for a backend that sends every clip of a request (Request.extra_audio) to the model
    accepts_several_audios = False

    async def aclose(self) -> None:
        """Release connections or engines; called once, in the event loop the model ran in."""
        return None


class SupervisedBase(ModelBase):
    """An attacker trained on the corpus's labels probes what the signal carries, unless it says
    otherwise (the majority baseline is a calibration stand-in)."""

    role: Role = Role.PROBE


#: the members a protocol declares optional: filled in from the base on registration
OPTIONAL = ("accepts_audio", "role", "architecture", "remote_host", "max_batch", "max_concurrency",
            "cacheable", "accepts_several_audios", "aclose")


@runtime_checkable
class AudioModel(Protocol):
    name: str
    accepts_audio: bool
    role: Role
    architecture: Architecture
    remote_host: str | None
    max_batch: int
    max_concurrency: int
    cacheable: bool
    accepts_several_audios: bool

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
    role: Role
    architecture: Architecture
    remote_host: str | None
    accepts_several_audios: bool

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

    async def aclose(self) -> None: ...


Model = AudioModel | SupervisedModel


class ModelFactory(Protocol):
    """What the model registry holds: a backend class (or callable) taking the parsed Spec."""

    def __call__(self, spec: Spec) -> Model: ...


def _declare(name: str, factory: ModelFactory) -> ModelFactory:
    """A backend class that inherits neither base gets every optional member with its default; one
    that trains on labels (it has `cross_predict`) is a probe unless it says otherwise."""
    supervised = isinstance(factory, type) and hasattr(factory, "cross_predict")
    fill_defaults(factory, SupervisedBase if supervised else ModelBase, OPTIONAL)
    return factory


models: Registry[ModelFactory] = Registry("model", declare=_declare)


def build_model(text: str | Spec) -> Model:
    spec = parse_spec(text) if isinstance(text, str) else text
    return models.get(spec.family)(spec)


def describe_model(model: Model) -> dict[str, Any]:
    """The model's description for the run header: its identity and what it declares itself to be."""
    return {**dict(model.identity()), "role": Role(model.role).value,
            "architecture": Architecture(model.architecture).value}


def group_by_decoding(requests: Sequence[Request]) -> dict[Decoding, list[int]]:
    """Indices of requests that share decoding settings: an engine batches only those together."""
    groups: dict[Decoding, list[int]] = {}
    for index, request in enumerate(requests):
        groups.setdefault(request.decoding, []).append(index)
    return groups


class LocalModel(ModelBase):
    """A model that runs in this process and needs no clean-up: every default of ModelBase."""
