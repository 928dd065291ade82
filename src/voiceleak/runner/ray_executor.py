"""Run the plan on Ray Data: decoding as CPU tasks, inference in actor pools, records back to the driver.

The driver still owns the one run log: each record streams back the moment its answer lands (through a
Ray queue, not with its Ray batch, so a Ctrl-C loses no answered request) and the runner appends it;
resume, the response cache and reports behave exactly as with the local executor.
Workers rebuild the run's components from their canonical names (runner.components).

    voiceleak run ... --executor "ray actors=4 gpus=1"            # a local Ray on this machine
    voiceleak run ... --executor "ray address=auto actors=16"     # an existing cluster
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import numpy as np

from voiceleak.audio import AudioError, load
from voiceleak.models.base import SupervisedModel
from voiceleak.runner.executor import RAY_SUMMARY, executors
from voiceleak.runner.plan import RunConfig, WorkGroup
from voiceleak.spec import Spec, parse_spec
from voiceleak.types import Audio, SampleRecord

Recipe = tuple[RunConfig, str | None]


def _import_ray() -> Any:
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    try:
        import ray
        import ray.util.queue  # not imported by `import ray`; carries answers as they land
    except ImportError as exc:
        raise RuntimeError("the ray executor needs the 'ray' extra: pip install 'voiceleak[ray]'") from exc
    return ray


def _worker_context(recipe: Recipe, model: str) -> Any:
    """A RunContext for one model, built inside a Ray worker."""
    from voiceleak.cache import KeyValueCache
    from voiceleak.corpus.manifest import load_manifest
    from voiceleak.runner.components import build_components
    from voiceleak.runner.context import RunContext

    config, cache_path = recipe
    clips = load_manifest(config.corpus)
    built = build_components(config, clips, only_models={model})
    cache = KeyValueCache(cache_path, "responses") if cache_path else None
    return RunContext({c.id: c for c in clips}, built.models, built.tasks, built.transforms, config.decoding, cache)


def decode_batch(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """CPU stage: read each clip's audio (errors travel as text, so the clip becomes an error record)."""
    samples, rates, errors = [], [], []
    for path, offset, duration in zip(batch["path"], batch["offset"], batch["duration"], strict=True):
        try:
            audio = load(str(path), offset=float(offset), duration=float(duration) if offset else None)
            samples.append(audio.samples)
            rates.append(audio.sample_rate)
            errors.append("")
        except AudioError as exc:
            samples.append(np.zeros(0, dtype=np.float32))
            rates.append(0)
            errors.append(f"{exc.path}\x1f{exc.problem}")
    out = dict(batch)
    out.update(samples=np.array([*samples, None], dtype=object)[:-1], rate=np.array(rates),
               audio_error=np.array(errors, dtype=object))
    return out


class InferenceActor:
    """Holds one model; answers batches of plan rows through the shared RunContext code path.

    Each record also goes to `answers` (a Ray queue the driver drains) the moment it lands, so the
    driver logs it before the rest of its batch is answered; the batch's output repeats the records
    as a safety net, and the driver keeps the first copy of each key."""

    def __init__(self, recipe: Recipe, model: str, groups: Sequence[WorkGroup], answers: Any = None) -> None:
        self.context = _worker_context(recipe, model)
        self.groups = list(groups)
        self.answers = answers
        self.loop = asyncio.new_event_loop()

    async def _emit(self, record: SampleRecord) -> None:
        if self.answers is not None:
            await self.answers.put_async(record.to_json())

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        by_group: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
        for i, clip_id in enumerate(batch["clip_id"]):
            error = str(batch["audio_error"][i])
            if error:
                path, _, problem = error.partition("\x1f")
                self.context.load_audio.put(str(clip_id), AudioError(path, problem))
            else:
                samples = np.asarray(batch["samples"][i], dtype=np.float32)
                self.context.load_audio.put(str(clip_id), Audio(samples, int(batch["rate"][i])))
            by_group[int(batch["group"][i])].append((str(clip_id), int(batch["repeat"][i]), str(batch["key"][i])))
        records: list[str] = []
        for index, items in by_group.items():
            done = self.loop.run_until_complete(self.context.run_batch(self.groups[index], items, self._emit))
            records.extend(r.to_json() for r in done)
        return {"record": np.array(records, dtype=object)}


def _supervised_group(recipe: Recipe, group: WorkGroup, pending: list[tuple[str, int, str]]) -> list[str]:
    context = _worker_context(recipe, group.model)
    records = asyncio.run(context.run_batch(group, pending))
    return [r.to_json() for r in records]


def _as_they_land(dataset: Any, answers: Any) -> Iterator[list[dict[str, Any]]]:
    """Records from the actors' queue as each answer lands; the batches' own copies only fill gaps.

    The dataset is consumed in a thread (it blocks until a whole batch is done); the generator polls
    the queue meanwhile. Once the dataset ends, every actor call has returned, so its puts are in."""
    finished: queue.Queue[list[str] | BaseException | None] = queue.Queue()

    def consume() -> None:
        try:
            for out in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                finished.put([str(line) for line in out["record"]])
        except BaseException as exc:  # raised in the driver, where the runner handles it
            finished.put(exc)
        finished.put(None)

    threading.Thread(target=consume, daemon=True, name="voiceleak-ray-batches").start()
    seen: set[str] = set()
    batches: list[str] = []
    done = False
    while not done:
        while True:
            try:
                item = finished.get_nowait()
            except queue.Empty:
                break
            if item is None:
                done = True
            elif isinstance(item, BaseException):
                raise item
            else:
                batches.extend(item)
        landed = _unseen(_drain(answers), seen)
        if landed:
            yield landed
        elif not done:
            time.sleep(0.05)
    if rest := _unseen(batches, seen):
        yield rest


def _drain(answers: Any) -> list[str]:
    size = answers.qsize()
    return [str(line) for line in answers.get_nowait_batch(size)] if size else []


def _unseen(lines: Sequence[str], seen: set[str]) -> list[dict[str, Any]]:
    """The records (parsed once, here) whose key was not yielded yet: each answer reaches the driver
    twice, from the queue and in its batch."""
    out = []
    for line in lines:
        record = json.loads(line)
        if record["key"] not in seen:
            seen.add(record["key"])
            out.append(record)
    return out


@executors.register("ray", RAY_SUMMARY)
class RayExecutor:
    name = "ray"

    def __init__(self, spec: Spec | str | None = None) -> None:
        spec = parse_spec(spec or "ray") if not isinstance(spec, Spec) else spec
        spec.check_known({"address", "actors", "cpus", "gpus", "batch", "num_cpus"})
        self.address = spec.get("address")
        self.actors = spec.get_int("actors", 2)
        self.cpus = spec.get_float("cpus", 0.5)  # fractional: two 1-CPU actors starve the decode tasks
        self.gpus = spec.get_float("gpus", 0.0)
        self.batch = spec.get_int("batch", 0)
        self.num_cpus = spec.get_int("num_cpus", 0) or None

    def _ensure_ray(self) -> Any:
        ray = _import_ray()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "configure_logging": False, "ignore_reinit_error": True}
            if self.address:
                kwargs["address"] = self.address
            else:
                kwargs["num_cpus"] = self.num_cpus or os.cpu_count() or 2
            ray.init(**kwargs)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        return ray

    async def execute(self, groups: Sequence[WorkGroup], done: set[str],
                      context: Any) -> AsyncIterator[list[SampleRecord]]:
        if context.recipe is None:
            raise RuntimeError("the ray executor needs a context built by the Runner")
        ray = self._ensure_ray()  # in the main thread: Ray installs signal handlers there
        for stream in (self._supervised, self._streamed):
            iterator = stream(ray, groups, done, context)
            while (chunk := await asyncio.to_thread(next, iterator, None)) is not None:
                yield [SampleRecord.from_dict(record) for record in chunk]

    def _supervised(self, ray: Any, groups: Sequence[WorkGroup], done: set[str],
                    context: Any) -> Iterator[list[dict[str, Any]]]:
        """One Ray task per supervised group: cross-validation needs the whole group at once."""
        remote = ray.remote(num_cpus=1)(_supervised_group)
        futures = []
        for group in groups:
            if isinstance(context.models[group.model], SupervisedModel):
                pending = [item for item in group.items() if item[2] not in done]
                if pending:
                    futures.append(remote.remote(context.recipe, group, pending))
        while futures:
            ready, futures = ray.wait(futures, num_returns=1)
            yield [json.loads(line) for line in ray.get(ready[0])]

    def _streamed(self, ray: Any, groups: Sequence[WorkGroup], done: set[str],
                  context: Any) -> Iterator[list[dict[str, Any]]]:
        by_model: dict[str, list[int]] = defaultdict(list)
        for index, group in enumerate(groups):
            if not isinstance(context.models[group.model], SupervisedModel):
                by_model[group.model].append(index)
        for model, indexes in by_model.items():
            rows = [self._row(groups[i], i, item, context) for i in indexes
                    for item in groups[i].items() if item[2] not in done]
            if not rows:
                continue
            batch = self.batch or max(1, context.models[model].max_batch)
            answers = ray.util.queue.Queue(actor_options={"num_cpus": 0})
            dataset = ray.data.from_items(rows).map_batches(decode_batch, batch_size=batch, num_cpus=self.cpus,
                                                            batch_format="numpy")
            dataset = dataset.map_batches(
                InferenceActor, fn_constructor_kwargs={"recipe": context.recipe, "model": model, "groups": groups,
                                                       "answers": answers},
                batch_size=batch, compute=ray.data.ActorPoolStrategy(size=self.actors), num_cpus=self.cpus,
                num_gpus=self.gpus or None, batch_format="numpy")
            try:
                yield from _as_they_land(dataset, answers)
            finally:
                answers.shutdown()

    @staticmethod
    def _row(group: WorkGroup, index: int, item: tuple[str, int, str], context: Any) -> dict[str, Any]:
        clip = context.clips[item[0]]
        return {"group": index, "clip_id": item[0], "repeat": item[1], "key": item[2],
                "path": str(clip.audio_path), "offset": clip.offset, "duration": clip.duration or 0.0}
