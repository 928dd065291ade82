"""The runner: expand the plan, skip what the log holds, execute the rest.

One Runner runs every study: a plain run is the config's whole matrix; a study (studies/) hands it the
cells it needs, the header entries its analysis reads (`RunOptions.header_extra`) and, for a scorer
whose inputs are another run's replies (the judge), its own clips and tasks. It is never subclassed.
Finishing (header update, report) belongs to the study layer: `voiceleak.studies.execute`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, final

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from voiceleak.cache import KeyValueCache, default_cache_dir
from voiceleak.corpus.manifest import manifest_hash
from voiceleak.corpus.validate import checked_clips
from voiceleak.models.base import Model, SupervisedModel
from voiceleak.runner.components import build_components
from voiceleak.runner.context import DEFAULT_DEADLINE_S, DEFAULT_DOWN_AFTER, AudioLoader, RunContext
from voiceleak.runner.executor import Executor, LocalExecutor, count_pending
from voiceleak.runner.header import build_header, describe_components, speech_minutes
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import Cell, RunConfig, WorkGroup, build_plan
from voiceleak.tasks.base import Task
from voiceleak.types import Audio, Clip


@dataclass(frozen=True)
class RunOptions:
    """How to run (not what): these do not change results, so they are not part of the config."""

    out: Path
    executor: Executor | None = None
    use_cache: bool = True
    cache_dir: Path | None = None
    resamples: int = 1000
    quiet: bool = False
    skip_bad: bool = False  # leave out clips that fail validation (listed) instead of refusing
    #: seconds one request may take, retries included, before it is recorded as an error (None: no limit)
    request_deadline: float | None = DEFAULT_DEADLINE_S
    #: failed requests in a row after which the run stops with "backend looks down" (0: never stop)
    down_after: int = DEFAULT_DOWN_AFTER
    #: header entries a study adds (its roles, its grouping): what its analysis reads beside the log
    header_extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TextInputs:
    """Clips and tasks a study brings itself instead of a manifest and registry names: the judge's
    inputs are another run's replies (no audio, no manifest, a scorer no registry builds). Its tasks
    render text-only requests, so no clip is loaded."""

    clips: tuple[Clip, ...]
    tasks: Mapping[str, Task]
    #: the header's `corpus` entry: what these clips are and where they come from
    source: Mapping[str, Any]


class NoAudio(AudioLoader):
    """The audio of a text-only input: nothing (its task never sends audio), and no file is opened."""

    EMPTY = Audio(np.zeros(0, dtype=np.float32), 16000)

    def __call__(self, clip: Clip) -> Audio:
        return self.EMPTY


def progress_bar(console: Console, quiet: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                    console=console, disable=quiet)


def destinations(models: dict[str, Model], clips: Sequence[Clip], groups: Sequence[WorkGroup]) -> list[dict[str, Any]]:
    """Where audio goes: voice is biometric data, so remote hosts are stated before anything is sent."""
    out = []
    for name, model in models.items():
        host = model.remote_host
        if not host:
            continue
        ids = {clip_id for g in groups if g.model == name for clip_id in g.clip_ids}
        sent = [c for c in clips if c.id in ids]
        out.append({"model": name, "host": host, "clips": len(sent), "minutes": speech_minutes(sent)})
    return out


@final  # a study composes the Runner (cells, header entries, inputs); a type checker refuses a subclass
class Runner:
    """Runs the cells of one config: all of them, or the `cells` a study declares (canonical names).
    `inputs`: a study's own text-only clips and tasks (see TextInputs) instead of the manifest's."""

    def __init__(self, config: RunConfig, options: RunOptions, console: Console | None = None,
                 cells: Sequence[Cell] | None = None, inputs: TextInputs | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.options = options
        self.inputs = inputs
        if inputs is None:
            self.clips = checked_clips(config.corpus, skip_bad=options.skip_bad, console=self.console)
            built = build_components(config, self.clips)
            self.config, tasks = built.config, built.tasks
        else:
            self.clips = list(inputs.clips)
            named = replace(config, tasks=tuple(t for t in config.tasks if t not in inputs.tasks))
            built = build_components(named, self.clips)
            tasks = {**built.tasks, **inputs.tasks}
            self.config = replace(built.config, tasks=tuple(tasks))
        self.tasks, self.models, self.transforms = tasks, built.models, built.transforms
        self.groups = build_plan(self.config, self.clips, self.tasks, cells)
        self.log = RunLog(options.out)

    def header(self) -> dict[str, Any]:
        if self.inputs is None:
            corpus = {"manifest": str(Path(self.config.corpus).resolve()),
                      "hash": manifest_hash(self.config.corpus),
                      "clips": len(self.clips), "minutes": speech_minutes(self.clips)}
        else:
            corpus = {**self.inputs.source, "clips": len(self.clips)}
        return {**self._header(corpus), **self.options.header_extra}

    def _header(self, corpus: dict[str, Any]) -> dict[str, Any]:
        models, tasks, transforms = describe_components(self.models, self.tasks, self.transforms)
        return build_header(self.config.to_dict(), corpus, models, tasks, transforms,
                            destinations(self.models, self.clips, self.groups))

    def announce_destinations(self) -> None:
        for d in destinations(self.models, self.clips, self.groups):
            self.console.print(f"[bold yellow]Audio leaves this machine:[/] {d['clips']} clips, {d['minutes']} "
                               f"minutes of speech to {d['host']} (model {d['model']})")

    def execute(self, on_record: Callable[[int], None] | None = None) -> int:
        """Run what the log does not hold yet; returns how many samples were added."""
        done = self.log.start(self.header(), self.config.to_dict())
        try:
            self._report_log_state()
            pending = count_pending(self.groups, done)
            if pending:
                self.announce_destinations()
            cache = None
            if self.options.use_cache:
                cache = KeyValueCache((self.options.cache_dir or default_cache_dir()) / "responses.sqlite",
                                      "responses")
            context = RunContext({c.id: c for c in self.clips}, self.models, self.tasks, self.transforms,
                                 self.config.decoding, cache)
            context.recipe = (self.config, str(cache.path) if cache else None)
            if self.inputs is not None:
                context.load_audio = NoAudio()
            context.deadline = self.options.request_deadline
            context.down_after = self.options.down_after
            concurrency = max([m.max_concurrency for m in self.models.values()
                               if not isinstance(m, SupervisedModel)] or [1])
            executor = self.options.executor or LocalExecutor(concurrency)
            with progress_bar(self.console, self.options.quiet) as progress:
                bar = progress.add_task("samples", total=pending)
                return asyncio.run(self._drain(executor, done, context, progress, bar, on_record))
        finally:
            self.log.close()

    def _report_log_state(self) -> None:
        """Say what the resume found: unreadable lines (skipped, kept) and failed samples to retry."""
        scan = self.log.scan
        if scan.bad_lines:
            shown = "; ".join(f"line {n}: {why}" for n, why in scan.bad_lines[:5])
            more = f" and {len(scan.bad_lines) - 5} more" if len(scan.bad_lines) > 5 else ""
            self.console.print(f"[yellow]{escape(str(self.log.samples_path))}: skipped {len(scan.bad_lines)} "
                               f"unreadable line(s) ({escape(shown)}{more}); every other line is kept[/]")
        if scan.retry:
            self.console.print(f"retrying {len(scan.retry)} sample(s) that ended in an error last time")

    async def _drain(self, executor: Executor, done: set[str], context: RunContext, progress: Progress,
                     bar: Any, on_record: Callable[[int], None] | None) -> int:
        added = 0
        stream = executor.execute(self.groups, done, context)
        try:
            async for batch in stream:
                for record in batch:
                    if record.key in done:
                        continue  # an executor retried a batch: the log keeps the first answer
                    self.log.append(record)
                    done.add(record.key)
                    added += 1
                progress.advance(bar, len(batch))
                if on_record:
                    on_record(added)
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()  # stop the executor's workers now, not when the loop shuts down
            # In the loop the models ran in: an HTTP client's connections cannot close in another.
            await self._close_models()
        return added

    async def _close_models(self) -> None:
        for model in self.models.values():
            await model.aclose()

    def record_served_models(self) -> None:
        """Put in the header what each server said it was (after the run: it is read off the replies)."""
        self.log.update_header(served_models=served_models(self.log))


def served_models(log: RunLog) -> dict[str, dict[str, list[str]]]:
    """What each server or checkpoint said it was (served model name, system fingerprint), as seen
    in the replies: the configured name alone cannot tell which revision actually answered."""
    seen: dict[str, dict[str, set[str]]] = {}
    for record in log.records():
        for name in ("served_model", "system_fingerprint"):
            value = record.meta.get(name)
            if value:
                seen.setdefault(record.model, {}).setdefault(name, set()).add(str(value))
    return {model: {name: sorted(values) for name, values in fields.items()} for model, fields in seen.items()}
