"""The data that flows through an audit: clips in, requests to models, responses, scores, log records.

Everything here is frozen: a transform returns a new Request, a scorer a new Score. Only SampleRecord
is serialised; the others live for one batch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voiceleak.spec import SpecError, parse_spec


@dataclass(frozen=True)
class Clip:
    """One utterance of the corpus, with the labels the corpus states for its speaker."""

    id: str
    audio_path: Path
    speaker_id: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    text: str | None = None
    provenance: str = ""
    raw_labels: Mapping[str, str] = field(default_factory=dict)  # stated but not in the taxonomy
    license: str | None = None
    duration: float | None = None
    offset: float = 0.0
    split: str | None = None  # the corpus's own split (train/dev/test), when it has one


@dataclass(frozen=True, eq=False)
class Audio:
    """Mono float32 samples in [-1, 1] at a known rate."""

    samples: npt.NDArray[np.float32]
    sample_rate: int

    @property
    def duration(self) -> float:
        return float(len(self.samples)) / self.sample_rate

    def content_hash(self) -> str:
        """Hash of what a model would hear; keys the response cache."""
        digest = hashlib.sha256(np.ascontiguousarray(self.samples, dtype=np.float32).tobytes())
        digest.update(str(self.sample_rate).encode())
        return digest.hexdigest()[:24]


@dataclass(frozen=True)
class Decoding:
    """Decoding settings, shared by every backend so that models are compared on equal terms."""

    temperature: float = 0.0
    max_tokens: int = 256
    top_p: float = 1.0
    seed: int | None = 0


class Intent(StrEnum):
    """What a request asks for, declared by the task so that no backend reads it off the prompt's words.

    A chat model reads only the prompt; a cascade or a speech recogniser uses the intent to decide
    whether to transcribe, name the language, or pass the question to its text stage.
    """

    ANSWER = "answer"
    TRANSCRIBE = "transcribe"
    LANGUAGE_ID = "language_id"


#: the key of Response.meta (and so of SampleRecord.meta) under which a cascade records the transcript
#: its text stage saw; read it as `SampleRecord.transcript`
TRANSCRIPT = "transcript"
#: the family of a record that carries a study's score (a verification trial's similarity), not an
#: answer: its study's analysis reads it; it makes no cell of the main table (no figure to show there)
TRIAL_FAMILY = "trial"

#: the error of a backend asked to send several clips in one request when it can send only one
SEVERAL_CLIPS = "this backend cannot send more than one clip"


@dataclass(frozen=True, eq=False)
class Request:
    """What a model receives. It carries no labels: backends know nothing of tasks.

    `choices` lists the allowed answers for closed questions; scoring backends (log-likelihood,
    embedding match, classifiers) pick among them, chat backends see them only through the prompt.
    `audio_note` records what the audio is (for example "blind:silence"), so a control is visible
    in the log without looking at samples.
    """

    id: str
    prompt: str
    audio: Audio | None
    system: str | None = None
    choices: tuple[str, ...] = ()
    decoding: Decoding = field(default_factory=Decoding)
    audio_note: str = "clip"
    applied: tuple[str, ...] = ()
    #: further clips after `audio`, in order (a verification trial sends two). openai: and gemini: send
    #: every clip (they declare `accepts_several_audios`); to any other backend the runner answers
    #: SEVERAL_CLIPS as an error, never a reply about the first clip alone
    extra_audio: tuple[Audio, ...] = ()
    intent: Intent = Intent.ANSWER

    def with_changes(self, **changes: Any) -> Request:
        return replace(self, **changes)

    @property
    def audios(self) -> tuple[Audio, ...]:
        """Every clip of the request, `audio` first."""
        return ((self.audio,) if self.audio is not None else ()) + self.extra_audio

    def cache_key(self, model_identity: str, repeat: int) -> str:
        """Only what changes the output: model, decoding, texts, choices and the audio itself.

        The repeat index matters only when sampling is random (temperature > 0).
        """
        parts = {
            "model": model_identity,
            "decoding": asdict(self.decoding),
            "system": self.system,
            "prompt": self.prompt,
            "choices": list(self.choices),
            "audio": self.audio.content_hash() if self.audio is not None else None,
            "repeat": repeat if self.decoding.temperature > 0 else 0,
        }
        if self.extra_audio:  # only then: single-clip keys, and so every existing cache, stay as they were
            parts["extra_audio"] = [a.content_hash() for a in self.extra_audio]
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Response:
    """A model's reply, or the reason there is none. An error is never an answer."""

    request_id: str
    text: str | None
    error: str | None = None
    latency_s: float = 0.0
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None


class Outcome(StrEnum):
    ANSWER = "answer"
    REFUSAL = "refusal"
    UNPARSEABLE = "unparseable"
    ERROR = "error"
    #: a provider's safety filter withheld the reply (Gemini SAFETY, OpenAI content_filter): never an
    #: error (it is an outcome the statistics see) and never an answer; counted with refusals
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Score:
    """A scored reply. `correct` is None unless the outcome is an answer with a known truth."""

    outcome: Outcome
    predicted: str | None = None
    truth: str | None = None
    correct: bool | None = None
    value: float | None = None
    detail: str = ""


@lru_cache(maxsize=4096)
def task_family(task: str) -> str:
    """The family of a task's name ("decision" for "decision:hire voice=x"), for records logged before
    the runner stored it. The one place a task's name is read for its meaning."""
    try:
        return parse_spec(task).family
    except SpecError:
        return task.split(":", 1)[0].split()[0] if task.split() else ""


@dataclass(frozen=True, slots=True)  # slots: a 100,000-sample report holds every record at once
class SampleRecord:
    """One line of samples.jsonl: everything needed to re-score and re-report without the model.

    `family` is the task's family as the task declared it (the runner fills it); a record read from a
    log written before it existed gets it from its task's name, once, here. A cascade's transcript
    is in `meta[TRANSCRIPT]` (see `transcript`).
    """

    key: str
    model: str
    task: str
    transform: str
    clip_id: str
    repeat: int
    speaker_id: str | None
    labels: Mapping[str, str]
    target: str | None
    prompt: str
    system: str | None
    audio_note: str
    response: str | None
    error: str | None
    outcome: str
    predicted: str | None
    truth: str | None
    correct: bool | None
    value: float | None
    latency_s: float
    cached: bool
    meta: Mapping[str, Any] = field(default_factory=dict)
    family: str = ""

    def __post_init__(self) -> None:
        if not self.family:
            object.__setattr__(self, "family", task_family(self.task))

    @property
    def transcript(self) -> str | None:
        """What a cascade's text stage read instead of the audio; None for a model that heard it."""
        found = self.meta.get(TRANSCRIPT) if self.meta else None
        return None if found is None else str(found)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, default=str)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SampleRecord:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})
