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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voiceleak.audio import AudioError, load
from voiceleak.cache import KeyValueCache
from voiceleak.models.base import AudioModel, Model, SupervisedModel
from voiceleak.models.http_common import has_secrets, is_unreachable, redact_secrets
from voiceleak.runner.log import FINAL_ERROR
from voiceleak.runner.plan import WorkGroup
from voiceleak.tasks.base import Task, block_reason, score_response
from voiceleak.transforms.base import Transform, TransformContext
from voiceleak.types import SEVERAL_CLIPS, Audio, Clip, Decoding, Outcome, Request, Response, SampleRecord, Score

Item = tuple[str, int, str]  # clip id, repeat, sample key
Emit = Callable[[SampleRecord], Awaitable[None]]
DEFAULT_DEADLINE_S = 300.0  # a client's own timeout (120 s) and one retry fit; 5 x 120 s do not
DEFAULT_DOWN_AFTER = 20

#: the error of a backend asked to hear several clips in one request when it can send only one
SEVERAL_AUDIOS = SEVERAL_CLIPS + " ({}: this task needs several in one request; use openai: or gemini:)"


class BackendDownError(RuntimeError):
    """A backend failed request after request: the run stops instead of grinding through the plan."""

    def __init__(self, model: str, failures: int, last: str) -> None:
        super().__init__(f"{model}: the last {failures} requests could not reach it (last: {last}); the "
                         "backend looks down, so the run stopped. Finished samples are kept; run the same "
                         "command again to retry the failed ones once the backend is back.")
        self.model = model


def redact_response(response: Response) -> Response:
    """The response with every known secret removed from its text, error and meta (a server may echo
    the key back), before it reaches the cache or the log."""
    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return redact_secrets(value)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    if not has_secrets():
        return response
    return Response(response.request_id, clean(response.text), error=clean(response.error),
                    latency_s=response.latency_s, meta=clean(dict(response.meta)))


async def _emit_all(records: list[SampleRecord], emit: Emit | None) -> list[SampleRecord]:
    if emit is not None:
        for record in records:
            await emit(record)
    return records


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
        #: seconds one request (all its retries included) may take before it is recorded as an error
        self.deadline: float | None = DEFAULT_DEADLINE_S
        #: failed requests in a row after which a backend counts as down and the run stops (0: never)
        self.down_after = DEFAULT_DOWN_AFTER
        self._failures: dict[str, list[str]] = {}

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
    async def run_batch(self, group: WorkGroup, items: Sequence[Item],
                        emit: Emit | None = None) -> list[SampleRecord]:
        """Finished records for `items`. With `emit`, each record is handed over as it lands (a
        request that fans out is logged and cached the moment its answer arrives, not with its batch)."""
        model = self.models[group.model]
        prepared = [self.prepare(group, item) for item in items]
        if isinstance(model, SupervisedModel):
            records = await asyncio.to_thread(self._run_supervised, group, prepared)
            return await _emit_all(records, emit)
        failed = [self._record(group, p, None, False) for p in prepared if p.request is None]
        await _emit_all(failed, emit)
        ready = [p for p in prepared if p.request is not None]
        if max(1, model.max_concurrency) > 1:
            # An API backend fans requests out: each one goes on its own, so it lands on its own.
            records = list(await asyncio.gather(*(self._one(group, model, p, emit) for p in ready)))
            return failed + records
        semaphore = self._semaphores.setdefault(group.model, asyncio.Semaphore(max(1, model.max_concurrency)))
        async with semaphore:
            responses = await self._generate(model, ready)
        responses = self._filter(group, ready, responses)
        records = [self._record(group, p, response, cached)
                   for p, (response, cached) in zip(ready, responses, strict=True)]
        await _emit_all(records, emit)  # logged before a down backend stops the run
        self._watch(group.model, [r for r, cached in responses if not cached])
        return failed + records

    async def _one(self, group: WorkGroup, model: AudioModel, p: Prepared, emit: Emit | None) -> SampleRecord:
        [pair] = self._filter(group, [p], await self._generate(model, [p]))
        record = self._record(group, p, *pair)
        if emit is not None:
            await emit(record)
        if not pair[1]:
            self._watch(group.model, [pair[0]])
        return record

    def _watch(self, model: str, fresh: Sequence[Response]) -> None:
        """Stop the run when a backend is clearly down: `down_after` requests in a row could not reach
        it or got no answer (a server that answers with an error status is up: those are recorded)."""
        if not self.down_after:
            return
        for response in fresh:
            if is_unreachable(response.error):
                self._failures.setdefault(model, []).append(response.error or "error")
            elif response.ok or block_reason(response):  # a provider's block is an outcome, not a failure
                self._failures[model] = []
        failures = self._failures.get(model, [])
        if len(failures) >= self.down_after:
            raise BackendDownError(model, len(failures), failures[-1])

    async def _ask(self, model: AudioModel, requests: list[Request]) -> list[Response]:
        """The model's answers, each request within the overall deadline, secrets removed.

        A request carrying several clips goes only to a backend that declares it can send them
        (`accepts_several_audios`); any other answers with an error that says so, never a reply about
        the first clip alone."""
        if not model.accepts_several_audios and any(r.extra_audio for r in requests):
            sendable = [r for r in requests if not r.extra_audio]
            answered = {r.request_id: r for r in (await self._ask(model, sendable) if sendable else [])}
            return [answered.get(r.id) or Response(r.id, None, error=SEVERAL_AUDIOS.format(model.name))
                    for r in requests]

        async def bounded() -> list[Response]:
            responses: list[Response] = list(await model.generate(requests))
            return responses

        try:
            if self.deadline:
                fresh = await asyncio.wait_for(bounded(), self.deadline)
            else:
                fresh = await bounded()
        except TimeoutError:
            fresh = [Response(r.id, None, error=f"no answer within the {self.deadline:g} s deadline per request "
                              "(--request-deadline); the server accepted the request and never answered")
                     for r in requests]
        except Exception as exc:  # a backend bug must not lose the batch: record it per sample
            fresh = [Response(r.id, None, error=f"backend raised {type(exc).__name__}: {exc}") for r in requests]
        return [redact_response(r) for r in fresh]

    async def _generate(self, model: AudioModel, ready: Sequence[Prepared]) -> list[tuple[Response, bool]]:
        identity = json.dumps(model.identity(), sort_keys=True, default=str)
        keys = [p.request.cache_key(identity, p.repeat) for p in ready if p.request is not None]
        cache = self.cache if model.cacheable else None
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
            fresh = await self._ask(model, [r for r in requests if r is not None])
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
        """Output-side defenses (a deployment's reply filter) see each reply after the model; every
        other transform's `filter_response` passes it through."""
        hook = self.transforms[group.transform].filter_response
        return [(hook(p.request, response) if p.request is not None else response, cached)
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
        if any(p.request.extra_audio for p in usable if p.request):
            responses = [Response(p.request.id if p.request else "", None, error=SEVERAL_AUDIOS.format(model.name))
                         for p in usable]
        else:
            responses = model.cross_predict([p.request for p in usable if p.request], labels, groups)
        by_key = {p.key: r for p, r in zip(usable, responses, strict=True)}
        elapsed = time.perf_counter() - start
        return [self._record(group, p, by_key.get(p.key), False, elapsed / max(len(usable), 1), final=True)
                for p in pending]

    # -- scoring ------------------------------------------------------------------------------
    def _record(self, group: WorkGroup, p: Prepared, response: Response | None, cached: bool,
                latency: float | None = None, final: bool = False) -> SampleRecord:
        """`final`: an error that asking again cannot change (cross-validation's "not estimable")."""
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
            meta={**dict(response.meta), **({"detail": score.detail} if score.detail else {}),
                  **({FINAL_ERROR: True} if final and score.outcome is Outcome.ERROR else {})},
            family=task.family,
        )
