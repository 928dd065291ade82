"""Turning plan items into finished samples: load audio, render, transform, ask (or hit the cache), score.

This is the one code path every executor runs, local or distributed; executors only decide where
and how many at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voiceleak.audio import AudioError, load
from voiceleak.cache import KeyValueCache
from voiceleak.models.base import Model, SupervisedModel
from voiceleak.runner.plan import WorkGroup
from voiceleak.tasks.base import Task, block_reason, score_response
from voiceleak.transforms.base import Transform, TransformContext
from voiceleak.types import Audio, Clip, Decoding, Outcome, Request, Response, SampleRecord, Score

Item = tuple[str, int, str]  # clip id, repeat, sample key


class AudioLoader:
    """Loads clips once and keeps the most recent few in memory (tasks and transforms reuse them)."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._cache: OrderedDict[str, Audio | AudioError] = OrderedDict()

    def put(self, clip_id: str, audio: Audio | AudioError) -> None:
        """Hand over audio decoded elsewhere (a distributed executor's decoding stage)."""
        self._cache[clip_id] = audio
        if len(self._cache) > self.capacity:
            self._cache.popitem(last=False)

    def __call__(self, clip: Clip) -> Audio:
        found = self._cache.get(clip.id)
        if found is None:
            try:
                found = load(clip.audio_path, offset=clip.offset,
                             duration=clip.duration if clip.offset else None)
            except AudioError as exc:
                found = exc
            self._cache[clip.id] = found
            if len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(clip.id)
        if isinstance(found, AudioError):
            raise found
        return found


@dataclass
class Prepared:
    clip: Clip
    repeat: int
    key: str
    request: Request | None
    failure: str | None = None


class RunContext:
    def __init__(self, clips: Mapping[str, Clip], models: Mapping[str, Model], tasks: Mapping[str, Task],
                 transforms: Mapping[str, Transform], decoding: Decoding,
                 cache: KeyValueCache | None = None) -> None:
        self.clips = clips
        self.models = models
        self.tasks = tasks
        self.transforms = transforms
        self.decoding = decoding
        self.cache = cache
        self.load_audio = AudioLoader()
        #: (config, cache path): how a worker elsewhere rebuilds this context (see runner.components)
        self.recipe: tuple[Any, str | None] | None = None
        self._donor_order = sorted(clips)
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    # -- preparing requests -------------------------------------------------------------------
    def donor_audio(self, clip: Clip) -> Audio | None:
        """A clip by another speaker, the same one every time for a given clip."""
        if not self._donor_order:
            return None
        start = int(hashlib.sha1(clip.id.encode()).hexdigest(), 16) % len(self._donor_order)
        for offset in range(len(self._donor_order)):
            other = self.clips[self._donor_order[(start + offset) % len(self._donor_order)]]
            if other.speaker_id != clip.speaker_id or (clip.speaker_id is None and other.id != clip.id):
                try:
                    return self.load_audio(other)
                except AudioError:
                    continue
        return None

    def prepare(self, group: WorkGroup, item: Item) -> Prepared:
        clip_id, repeat, key = item
        clip = self.clips[clip_id]
        try:
            audio = self.load_audio(clip)
            request = self.tasks[group.task].render(clip, audio, key).with_changes(decoding=self.decoding)
            request = self.transforms[group.transform](request, TransformContext(clip, self.donor_audio))
        except (AudioError, ValueError) as exc:
            return Prepared(clip, repeat, key, None, f"{type(exc).__name__}: {exc}")
        return Prepared(clip, repeat, key, request)

    # -- asking -------------------------------------------------------------------------------
    async def run_batch(self, group: WorkGroup, items: Sequence[Item]) -> list[SampleRecord]:
        model = self.models[group.model]
        prepared = [self.prepare(group, item) for item in items]
        if isinstance(model, SupervisedModel):
            return await asyncio.to_thread(self._run_supervised, group, prepared)
        semaphore = self._semaphores.setdefault(group.model, asyncio.Semaphore(max(1, model.max_concurrency)))
        ready = [p for p in prepared if p.request is not None]
        async with semaphore:
            responses = await self._generate(model, ready)
        responses = self._filter(group, ready, responses)
        answered = dict(zip((p.key for p in ready), responses, strict=True))
        return [self._record(group, p, *answered.get(p.key, (None, False))) for p in prepared]

    async def _generate(self, model: Any, ready: Sequence[Prepared]) -> list[tuple[Response, bool]]:
        identity = json.dumps(model.identity(), sort_keys=True, default=str)
        keys = [p.request.cache_key(identity, p.repeat) for p in ready if p.request is not None]
        cache = self.cache if getattr(model, "cacheable", True) else None
        stored = cache.get_many(keys) if cache else {}
        out: list[tuple[Response, bool] | None] = [None] * len(ready)
        misses: list[int] = []
        for i, (p, key) in enumerate(zip(ready, keys, strict=True)):
            if key in stored:
                data = json.loads(stored[key])
                out[i] = (Response(p.key, data["text"], meta=data.get("meta", {})), True)
            else:
                misses.append(i)
        if misses:
            requests = [ready[i].request for i in misses]
            try:
                fresh = await model.generate(requests)
            except Exception as exc:  # a backend bug must not lose the batch: record it per sample
                fresh = [Response(r.id, None, error=f"backend raised {type(exc).__name__}: {exc}")
                         for r in requests if r is not None]
            to_store = []
            for i, response in zip(misses, fresh, strict=True):
                out[i] = (response, False)
                if response.ok or block_reason(response):  # a block is an outcome: not asked again
                    payload = json.dumps({"text": response.text, "meta": dict(response.meta)}, default=str)
                    to_store.append((keys[i], payload.encode()))
            if cache is not None and to_store:
                cache.put_many(to_store)  # only answers are cached: an error is asked again next time
        return [r for r in out if r is not None]

    def _filter(self, group: WorkGroup, ready: Sequence[Prepared],
                responses: list[tuple[Response, bool]]) -> list[tuple[Response, bool]]:
        """Output-side defenses (a deployment's reply filter) see each reply after the model."""
        hook = getattr(self.transforms[group.transform], "filter_response", None)
        if hook is None:
            return responses
        return [(hook(p.request, response), cached)
                for p, (response, cached) in zip(ready, responses, strict=True)]

    def _run_supervised(self, group: WorkGroup, pending: Sequence[Prepared]) -> list[SampleRecord]:
        """Cross-validate over the whole group (every clip of the task), keep the pending answers."""
        model = self.models[group.model]
        assert isinstance(model, SupervisedModel)
        task = self.tasks[group.task]
        everything = {p.key: p for p in pending}
        for item in group.items():
            if item[2] not in everything:
                everything[item[2]] = self.prepare(group, item)
        usable = [p for p in everything.values() if p.request is not None and task.truth(p.clip) is not None]
        labels = [task.truth(p.clip) or "" for p in usable]
        groups = [p.clip.speaker_id or p.clip.id for p in usable] if task.group_by == "speaker" else None
        start = time.perf_counter()
        responses = model.cross_predict([p.request for p in usable if p.request], labels, groups)
        by_key = {p.key: r for p, r in zip(usable, responses, strict=True)}
        elapsed = time.perf_counter() - start
        return [self._record(group, p, by_key.get(p.key), False, elapsed / max(len(usable), 1))
                for p in pending]

    # -- scoring ------------------------------------------------------------------------------
    def _record(self, group: WorkGroup, p: Prepared, response: Response | None, cached: bool,
                latency: float | None = None) -> SampleRecord:
        task = self.tasks[group.task]
        truth = task.truth(p.clip)
        if response is None or p.request is None:
            reason = p.failure or "no response"
            score = Score(Outcome.ERROR, truth=truth, detail=reason)
            response = Response(p.key, None, error=reason)
        else:
            score = score_response(task, p.clip, p.request, response)
        request = p.request
        return SampleRecord(
            key=p.key, model=group.model, task=group.task, transform=group.transform, clip_id=p.clip.id,
            repeat=p.repeat, speaker_id=p.clip.speaker_id, labels=dict(p.clip.labels), target=task.target,
            prompt=request.prompt if request else "", system=request.system if request else None,
            audio_note=request.audio_note if request else "unavailable", response=response.text,
            error=response.error, outcome=score.outcome.value, predicted=score.predicted, truth=score.truth,
            correct=score.correct, value=score.value,
            latency_s=latency if latency is not None else response.latency_s, cached=cached,
            meta={**dict(response.meta), **({"detail": score.detail} if score.detail else {})},
        )
