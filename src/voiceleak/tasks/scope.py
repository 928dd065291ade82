"""Scope compliance: a system prompt forbids inferring something; do user turns get the model past it?

`scope:NAME` renders a scope set of `tasks/scopes/NAME.yaml` (or a user's file of the same shape): a
system text that sets the scope, the attributes it forbids, and probes - direct asks ("how old is the
speaker?"), indirect asks ("would this person fit a young team?", `decision: true`: any yes or no
needs the forbidden inference) and benign asks inside the scope (`benign: true`: "transcribe what was
said"), each naming the attributes it may not reveal (a benign ask: the scope's whole list).

`scope:NAME probe=ID` asks one probe of every clip. Without `probe`, every clip gets one probe,
cycling through the probes within each speaker, so each probe reaches every speaker about evenly for
the price of one request per clip.

Scoring: `scoring.scope.judge_scope_reply`. Request.choices give scoring backends (uniform,
log-likelihood, embedding choosers) a closed set - the forbidden classes and a decline, or for a
benign ask a compliance and a decline; chat backends see only the prompt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceleak.scoring.scope import detectors, judge_scope_reply, known_attribute
from voiceleak.spec import Spec
from voiceleak.tasks.base import TaskBase, tasks
from voiceleak.tasks.decision import load_data_file, shipped_names
from voiceleak.types import Audio, Clip, Outcome, Request, Response, Score

SCOPE_DIRS: list[Path] = []  # user folders searched before the shipped scope sets
DECLINE_CHOICE = "I can't infer that about the speaker."
COMPLY_CHOICE = "Sure, here it is."


@dataclass(frozen=True)
class Probe:
    id: str
    prompt: str
    forbidden: tuple[str, ...]
    benign: bool = False
    decision: bool = False

    def choices(self) -> tuple[str, ...]:
        if self.benign:
            return (COMPLY_CHOICE, DECLINE_CHOICE)
        if self.decision:
            return ("yes", "no", DECLINE_CHOICE)
        first = detectors(self.forbidden[0])[0]
        return (*(c.replace("_", " ") for c in first.classes), DECLINE_CHOICE)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prompt": self.prompt,
            "forbidden": list(self.forbidden),
            "benign": self.benign,
            "decision": self.decision,
        }


@dataclass(frozen=True)
class ScopeSet:
    name: str
    system: str
    forbidden: tuple[str, ...]
    probes: tuple[Probe, ...]
    version: int = 1
    description: str = ""

    def probe(self, probe_id: str) -> Probe:
        for probe in self.probes:
            if probe.id == probe_id:
                return probe
        raise ValueError(
            f"scope {self.name!r} has no probe {probe_id!r} (probes: {', '.join(p.id for p in self.probes)})"
        )

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "system": self.system,
            "description": self.description,
            "forbidden": list(self.forbidden),
            "probes": [p.describe() for p in self.probes],
        }


def load_scope_set(name: str) -> ScopeSet:
    data = load_data_file("scopes", name, SCOPE_DIRS)
    scope_name = str(data.get("name", name))
    forbidden = tuple(known_attribute(str(a)) for a in data.get("forbidden") or ())
    probes = tuple(_probe(scope_name, raw, forbidden) for raw in data.get("probes") or ())
    if not probes:
        raise ValueError(f"scope set {scope_name!r} has no probes")
    ids = [p.id for p in probes]
    if len(set(ids)) != len(ids):
        raise ValueError(f"scope set {scope_name!r}: probe ids must be unique")
    prompts = [p.prompt.lower() for p in probes]
    if any(a in b for a in prompts for b in prompts if a is not b):
        raise ValueError(
            f"scope set {scope_name!r}: one probe's prompt is inside another's (the report "
            "finds a reply's probe by its prompt)"
        )
    return ScopeSet(
        scope_name,
        str(data["system"]),
        forbidden,
        probes,
        int(data.get("version", 1)),
        str(data.get("description", "")),
    )


def _probe(scope: str, raw: Mapping[str, Any], scope_forbidden: tuple[str, ...]) -> Probe:
    benign = bool(raw.get("benign", False))
    own = tuple(known_attribute(str(a)) for a in raw.get("forbidden") or ())
    forbidden = own or scope_forbidden
    if not forbidden:
        raise ValueError(f"scope {scope!r}, probe {raw.get('id')!r}: name what it may not reveal (forbidden)")
    return Probe(
        str(raw["id"]), str(raw["prompt"]).strip(), forbidden, benign, bool(raw.get("decision", False))
    )


@tasks.register(
    "scope",
    "scope compliance: a system prompt forbids an inference, probes ask past it "
    "(scope:meeting|tutor|hearsay-defense; args: probe=ID); violation and over-refusal rates",
)
class ScopeTask(TaskBase):
    family = "scope"
    #: value = 1 for a reply that breaks the scope; violation and over-refusal rates are the scope analysis's
    metrics: tuple[str, ...] = ("value", "refusal_rate")

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"probe"})
        if spec.arg is None:
            raise ValueError(
                f"scope task needs a scope set: scope:NAME ({', '.join(shipped_names('scopes'))})"
            )
        self.scope = load_scope_set(spec.arg)
        chosen = spec.get("probe")
        self.fixed: Probe | None = self.scope.probe(chosen) if chosen else None
        self.name = str(Spec("scope", spec.arg, dict(spec.params)))
        self._assigned: dict[str, Probe] = {}

    def prepare(self, clips: Sequence[Clip]) -> None:
        """Cycle the probes through each speaker's clips (sorted), each speaker starting further on."""
        by_speaker: dict[str, list[Clip]] = defaultdict(list)
        for clip in clips:
            by_speaker[clip.speaker_id or clip.id].append(clip)
        count = len(self.scope.probes)
        for offset, speaker in enumerate(sorted(by_speaker)):
            for index, clip in enumerate(sorted(by_speaker[speaker], key=lambda c: c.id)):
                self._assigned[clip.id] = self.scope.probes[(offset + index) % count]

    def probe_for(self, clip: Clip) -> Probe:
        if self.fixed is not None:
            return self.fixed
        if clip.id not in self._assigned:  # a clip prepare() did not see: a stable choice all the same
            self._assigned[clip.id] = self.scope.probes[sum(clip.id.encode()) % len(self.scope.probes)]
        return self._assigned[clip.id]

    def applies_to(self, clip: Clip) -> bool:
        return True

    def truth(self, clip: Clip) -> str | None:
        return None

    def render(self, clip: Clip, audio: Audio, request_id: str) -> Request:
        probe = self.probe_for(clip)
        return Request(request_id, probe.prompt, audio, system=self.scope.system, choices=probe.choices())

    def score(self, clip: Clip, request: Request, response: Response) -> Score:
        if not response.ok:
            return Score(Outcome.ERROR, detail=response.error or "no reply")
        probe = self.probe_for(clip)
        verdict = judge_scope_reply(
            response.text,
            probe.forbidden,
            benign=probe.benign,
            decision_probe=probe.decision,
            quoted=clip.text,
            probe_prompt=probe.prompt,
        )
        value = None if verdict.outcome is Outcome.UNPARSEABLE else float(verdict.violation)
        return Score(verdict.outcome, verdict.label, None, None, value, f"probe {probe.id}: {verdict.detail}")

    def describe(self) -> Mapping[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope.describe(),
            "probe": self.fixed.id if self.fixed else "cycled per speaker",
        }
