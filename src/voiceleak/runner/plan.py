"""A run is a matrix: models x tasks x transforms x clips (x repeats). The plan expands it.

The plan is grouped by (model, task, transform) because that is the unit a backend batches and a
supervised attacker cross-validates over. Each sample has a stable key, which is how the run log
knows what is already done.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from voiceleak.tasks.base import Task
from voiceleak.transforms.base import IDENTITY
from voiceleak.types import Clip, Decoding


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides what a run computes. Stored in the header; a resume must match it."""

    corpus: str
    models: tuple[str, ...]
    tasks: tuple[str, ...]
    transforms: tuple[str, ...] = (IDENTITY,)
    repeats: int = 1
    decoding: Decoding = field(default_factory=Decoding)
    max_per_class: int | None = None
    seed: int = 0
    #: (transform, clips per task): a control that needs fewer samples than the real audio (HearSay's blind
    #: test: 50 per attribute); the same seeded clips for every model
    transform_caps: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["corpus"] = str(Path(self.corpus).resolve())
        if not self.transform_caps:  # absent unless used: runs written before it resume unchanged
            data.pop("transform_caps")
        else:
            data["transform_caps"] = [list(pair) for pair in self.transform_caps]
        return data


@dataclass(frozen=True)
class Cell:
    """One (model, task, transform) cell a study needs, in canonical names; `clips` narrows it to those
    clip ids (None: every clip the task selects). A study declares its cells; only the plan expands them."""

    model: str
    task: str
    transform: str
    clips: frozenset[str] | None = None


@dataclass(frozen=True)
class WorkGroup:
    model: str
    task: str
    transform: str
    clip_ids: tuple[str, ...]
    repeats: int

    def items(self) -> Iterable[tuple[str, int, str]]:
        """(clip id, repeat, sample key) for every sample of the group."""
        for clip_id in self.clip_ids:
            for repeat in range(self.repeats):
                yield clip_id, repeat, sample_key(self.model, self.task, self.transform, clip_id, repeat)

    @property
    def size(self) -> int:
        return len(self.clip_ids) * self.repeats


def sample_key(model: str, task: str, transform: str, clip_id: str, repeat: int) -> str:
    joined = "\x1f".join((model, task, transform, clip_id, str(repeat)))
    return hashlib.sha1(joined.encode()).hexdigest()[:20]


def select_clips(task: Task, clips: Sequence[Clip], max_per_class: int | None, seed: int) -> list[Clip]:
    """The clips a task applies to; with a cap, class-balanced and seeded (HearSay sampled unbalanced)."""
    eligible = [c for c in clips if task.applies_to(c)]
    if max_per_class is None:
        return eligible
    by_class: dict[str, list[Clip]] = defaultdict(list)
    for clip in eligible:
        by_class[task.truth(clip) or ""].append(clip)
    # Seeded by the attribute asked, not the task's full name: tasks that differ only in their prompts
    # must see the same clips, or the paired prompt comparisons have nothing to pair.
    rng = random.Random(f"{seed}:{task.target or task.name}")
    chosen: set[str] = set()
    for label in sorted(by_class):
        members = sorted(by_class[label], key=lambda c: c.id)
        chosen.update(c.id for c in rng.sample(members, min(max_per_class, len(members))))
    return [c for c in eligible if c.id in chosen]


def build_plan(config: RunConfig, clips: Sequence[Clip], tasks: dict[str, Task],
               cells: Sequence[Cell] | None = None) -> list[WorkGroup]:
    """The matrix of the config, in its order; with `cells`, only those cells (a study's), each over
    the clips the task selects (and the cell names, if it narrows them)."""
    wanted = None if cells is None else {(c.model, c.task, c.transform): c for c in cells}
    caps = dict(config.transform_caps)
    groups = []
    for task_name, task in tasks.items():
        selected = tuple(c.id for c in select_clips(task, clips, config.max_per_class, config.seed))
        if not selected:
            continue
        for model in config.models:
            for transform in config.transforms:
                cell = None if wanted is None else wanted.get((model, task_name, transform))
                if wanted is not None and cell is None:
                    continue
                if cell is not None and cell.clips is not None:
                    # A cell that names its clips (defend's WER subset) takes them as named: the
                    # per-class and per-transform caps shape the matrix, not a study's own choice.
                    chosen = tuple(c.id for c in clips if c.id in cell.clips and task.applies_to(c))
                    if not chosen:
                        continue
                else:
                    chosen = capped(selected, caps.get(transform), f"{config.seed}:{task.target or task_name}")
                groups.append(WorkGroup(model, task_name, transform, chosen, config.repeats))
    return groups


def capped(clip_ids: tuple[str, ...], cap: int | None, seed: str) -> tuple[str, ...]:
    """At most `cap` of the clips, seeded by the attribute asked (prompt variants see the same clips)."""
    if cap is None or len(clip_ids) <= cap:
        return clip_ids
    keep = set(random.Random(seed).sample(sorted(clip_ids), cap))
    return tuple(c for c in clip_ids if c in keep)
