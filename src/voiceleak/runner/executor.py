"""Executors decide where and how many samples run at once; RunContext decides what a sample is.

An executor receives the plan and the keys already done, and yields finished SampleRecords as they
land (the local one yields each record the moment its answer arrives); the runner appends each to
the log. A distributed executor (Ray) implements the same method.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Protocol

from voiceleak.models.base import SupervisedModel
from voiceleak.registry import Registry
from voiceleak.runner.context import Item, RunContext
from voiceleak.runner.plan import WorkGroup
from voiceleak.spec import Spec, parse_spec
from voiceleak.types import SampleRecord


class Executor(Protocol):
    name: str

    def execute(self, groups: Sequence[WorkGroup], done: set[str],
                context: RunContext) -> AsyncIterator[list[SampleRecord]]: ...


executors: Registry[Any] = Registry("executor")
RAY_SUMMARY = "Ray Data: decoding tasks + inference actor pools (args: address, actors=2, cpus=0.5, gpus=0, batch)"
executors.register_lazy("ray", "voiceleak.runner.ray_executor:RayExecutor", RAY_SUMMARY)


def build_executor(text: str | Spec, concurrency: int | None = None) -> Executor:
    """`local`, `local concurrency=32`, `ray actors=4 gpus=1 address=auto` ..."""
    spec = parse_spec(text) if isinstance(text, str) else text
    if concurrency is not None and spec.family == "local":
        spec = Spec(spec.family, spec.arg, {**spec.params, "concurrency": str(concurrency)})
    executor: Executor = executors.get(spec.family)(spec)
    return executor


def pending_batches(groups: Sequence[WorkGroup], done: set[str],
                    context: RunContext) -> Iterator[tuple[WorkGroup, list[Item]]]:
    """Batches of not-yet-done samples, sized for each model; a supervised group is one batch."""
    for group in groups:
        pending = [item for item in group.items() if item[2] not in done]
        if not pending:
            continue
        model = context.models[group.model]
        size = len(pending) if isinstance(model, SupervisedModel) else max(1, model.max_batch)
        for start in range(0, len(pending), size):
            yield group, pending[start:start + size]


def count_pending(groups: Sequence[WorkGroup], done: set[str]) -> int:
    return sum(1 for group in groups for item in group.items() if item[2] not in done)


@executors.register("local", "this process: asyncio with bounded concurrency (args: concurrency)")
class LocalExecutor:
    name = "local"

    def __init__(self, spec: Spec | int = 8) -> None:
        if isinstance(spec, Spec):
            spec.check_known({"concurrency"})
            spec = spec.get_int("concurrency", 8)
        self.concurrency = max(1, spec)

    async def execute(self, groups: Sequence[WorkGroup], done: set[str],
                      context: RunContext) -> AsyncIterator[list[SampleRecord]]:
        batches = pending_batches(groups, done, context)
        queue: asyncio.Queue[list[SampleRecord] | BaseException | None] = asyncio.Queue(self.concurrency * 2)

        async def emit(record: SampleRecord) -> None:
            await queue.put([record])  # each record as it lands: the log holds it before the batch ends

        async def worker() -> None:
            # Workers share one generator; asyncio runs one at a time, so each batch goes to one worker.
            for group, items in batches:
                await context.run_batch(group, items, emit)

        async def supervise() -> None:
            try:
                await asyncio.gather(*(worker() for _ in range(self.concurrency)))
            except asyncio.CancelledError:
                raise  # the consumer stopped (an error, Ctrl-C): nobody reads the queue any more
            except BaseException as exc:  # surface a crash instead of hanging the consumer
                await queue.put(exc)
            await queue.put(None)

        supervisor = asyncio.create_task(supervise())
        try:
            while (records := await queue.get()) is not None:
                if isinstance(records, BaseException):
                    raise records
                yield records
        finally:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor  # its workers are cancelled too, before the models close
