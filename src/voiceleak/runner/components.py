"""Build a run's tasks, models and transforms from their names, the same way on every worker.

The driver builds them once to plan and to write the header; a distributed executor rebuilds them
inside each worker from the same canonical names, so both sides run identical components.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from voiceleak.models.base import Model, build_model
from voiceleak.runner.plan import RunConfig
from voiceleak.tasks.base import Task, build_task
from voiceleak.tasks.expand import expand_names
from voiceleak.transforms.base import Transform, build_transform
from voiceleak.types import Clip


@dataclass(frozen=True)
class Components:
    config: RunConfig  # with canonical names
    tasks: dict[str, Task]
    models: dict[str, Model]
    transforms: dict[str, Transform]


def build_components(config: RunConfig, clips: Sequence[Clip],
                     only_models: Collection[str] | None = None) -> Components:
    tasks: dict[str, Task] = {}
    for name in expand_names(config.tasks, clips):
        task = build_task(name)
        task.prepare(clips)
        tasks[task.name] = task
    models: dict[str, Model] = {}
    for text in config.models:
        if only_models is None or text in only_models:
            model = build_model(text)
            models[model.name] = model
    transforms: dict[str, Transform] = {}
    for text in config.transforms:
        transform = build_transform(text)
        transforms[transform.name] = transform
    canonical = replace(config, tasks=tuple(tasks), transforms=tuple(transforms),
                        models=tuple(models) if only_models is None else config.models)
    return Components(canonical, tasks, models, transforms)
