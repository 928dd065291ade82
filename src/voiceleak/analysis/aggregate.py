"""From the run log to results.json: one cell per (model, task, transform), grouped metrics inside.

Re-scoring and re-reporting read the log only; no model is called again.

What each model, task and transform IS comes from the run header, where each declared it (see
runner.header.describe_components): a model's role and architecture, a transform's role, and the
record's own `family`. `Declared` reads them; a header written before the declarations existed is
read once, in `_legacy_model` / `_legacy_transform`, from what it did record (the identity's "kind").
Every cell carries them, so views never read a component's name for its meaning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceleak.models.base import Architecture, Role
from voiceleak.results.schema import LEGACY_HEADLINES, headline_of
from voiceleak.runner.log import RunLog
from voiceleak.scoring.judgments import apply_judgments
from voiceleak.scoring.metrics import grouped, summarize
from voiceleak.spec import SpecError, parse_spec
from voiceleak.transforms.base import IDENTITY, TransformRole
from voiceleak.types import TRIAL_FAMILY, SampleRecord, task_family

#: extra analyses plugged in by other modules: name -> function(records, header) -> JSON-able
ANALYSES: dict[str, Callable[[Sequence[SampleRecord], dict[str, Any]], Any]] = {}


def analysis(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        ANALYSES[name] = fn
        return fn

    return decorate


def cells(records: Iterable[SampleRecord]) -> dict[tuple[str, str, str], list[SampleRecord]]:
    out: dict[tuple[str, str, str], list[SampleRecord]] = defaultdict(list)
    for record in records:
        if record.family != TRIAL_FAMILY:  # a trial's score belongs to its study's analysis, not to a cell
            out[(record.model, record.task, record.transform)].append(record)
    return out


#: the identity "kind" the built-in stand-ins recorded before they declared a role
_LEGACY_ROLES = {"baseline": Role.CALIBRATION, "supervised probe": Role.PROBE}
#: transform families that were controls before transforms declared a role (sampled: a control at a temperature)
_LEGACY_CONTROLS = {"blind": TransformRole.CONTROL, "sampled": TransformRole.CONTROL,
                    "text-only": TransformRole.WORDS_ONLY}


def _legacy_model(described: Mapping[str, Any]) -> tuple[Role, Architecture]:
    kind = str(described.get("kind", ""))
    return (_LEGACY_ROLES.get(kind, Role.MODEL),
            Architecture.CASCADE if kind == "cascade" else Architecture.END_TO_END)


def _legacy_transform(name: str) -> TransformRole:
    if name == IDENTITY:
        return TransformRole.IDENTITY
    try:
        family = parse_spec(name).family
    except SpecError:
        return TransformRole.SETTING
    return _LEGACY_CONTROLS.get(family, TransformRole.SETTING)


@dataclass(frozen=True)
class Declared:
    """What the run header says each model and transform is."""

    header: Mapping[str, Any]

    def model(self, name: str) -> tuple[Role, Architecture]:
        described = (self.header.get("models") or {}).get(name) or {}
        legacy_role, legacy_architecture = _legacy_model(described)
        return (Role(described.get("role") or legacy_role),
                Architecture(described.get("architecture") or legacy_architecture))

    def role(self, model: str) -> Role:
        return self.model(model)[0]

    def is_cascade(self, model: str) -> bool:
        return self.model(model)[1] is Architecture.CASCADE

    def calibration(self, models: Iterable[str]) -> frozenset[str]:
        """The calibration runs among `models`: intervals shown, no p-value of theirs a finding."""
        return frozenset(m for m in models if self.role(m) is Role.CALIBRATION)

    def metrics(self, task: str) -> tuple[str, ...]:
        """The figures `task` declared for its cells, headline first (a header written before tasks
        declared them: leakage, else the task's own value, as the report led with then)."""
        described = (self.header.get("tasks") or {}).get(task) or {}
        return tuple(described.get("metrics") or LEGACY_HEADLINES)

    def transform(self, name: str) -> TransformRole:
        described = (self.header.get("transforms") or {}).get(name) or {}
        found = described.get("role")
        return TransformRole(found) if found else _legacy_transform(name)

    def is_blind(self, transform: str) -> bool:
        """A blind control: nothing of the speaker left (silence, noise, another voice, no audio)."""
        return self.transform(transform) is TransformRole.CONTROL

    def is_control(self, transform: str) -> bool:
        """Any control: blind, or the words without the voice."""
        return self.transform(transform) in (TransformRole.CONTROL, TransformRole.WORDS_ONLY)


def role(model: str, header: Mapping[str, Any]) -> str:
    """"calibration" for a stand-in baseline, "probe" for an attacker trained on labels, else "model":
    as the model declared it in the run header."""
    return Declared(header).role(model).value


def cell_family(cell: Mapping[str, Any]) -> str:
    """A results cell's task family (a results file written before cells carried it: from the task)."""
    return str(cell.get("family") or task_family(str(cell.get("task", ""))))


def aggregate(records: Sequence[SampleRecord], header: dict[str, Any], resamples: int = 1000,
              group_labels: Sequence[str] | None = None) -> dict[str, Any]:
    """`resamples` is for the analyses that bootstrap (verification); cell figures are analytic."""
    results_cells = []
    declared = Declared(header)
    for (model, task, transform), members in sorted(cells(records).items()):
        target = members[0].target
        labels = group_labels if group_labels is not None else sorted(
            {name for r in members for name in r.labels if name != target})
        model_role, architecture = declared.model(model)
        metrics = summarize(members)
        results_cells.append({
            "model": model, "task": task, "transform": transform, "target": target, "family": members[0].family,
            "role": model_role.value, "architecture": architecture.value,
            "transform_role": declared.transform(transform).value,
            "headline": headline_of(declared.metrics(task), metrics), "metrics": metrics,
            "by_group": {label: grouped(members, label) for label in labels},
        })
    return {
        "run": {k: header.get(k) for k in ("created", "config", "corpus", "voiceleak_version", "git_commit")},
        "cells": results_cells,
        "analyses": {name: fn(records, header) for name, fn in ANALYSES.items()},
    }


def load_records(run_dir: Path | str) -> tuple[list[SampleRecord], dict[str, Any]]:
    log = RunLog(run_dir)
    header = log.read_header()
    # A judge's verdicts (`voiceleak judge`) replace UNPARSEABLE outcomes only; no judgments, no change.
    return apply_judgments(run_dir, list(log.records()), header)
