"""One command path for every study (and a plain run): state the plan, run, finish, or fail clearly.

Errors a user can act on become a StudyError with a message (no traceback); Ctrl-C stops the run with
every answered sample in the log and says how to resume; finishing records what the servers said
they were, the study's header entries, then builds the report (the report layer's job, called from
here and never from inside the Runner).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from voiceleak.attributes import UnknownAttributeError
from voiceleak.corpus.manifest import ManifestError
from voiceleak.models.http_common import redact_secrets, secret_forms
from voiceleak.registry import UnknownNameError
from voiceleak.report.build import write_report
from voiceleak.runner.context import BackendDownError
from voiceleak.runner.log import MAX_ATTEMPTS, RunDirError
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.spec import HIDDEN, SECRET_PREFIX, SpecError, hide_secrets, parse_spec
from voiceleak.studies.base import StudyPlan

#: mistakes and conditions a user can act on: a message, never a traceback. OSError: a full disk, a
#: read-only run directory or cache (named in the message).
USER_ERRORS = (ManifestError, UnknownNameError, UnknownAttributeError, SpecError, RunDirError, ValueError,
               KeyError, BackendDownError, OSError)


class StudyError(Exception):
    """A study that cannot start or go on, with a message for the user and the exit status to use."""

    exit_code = 2


class StudyInterrupted(StudyError):
    """Ctrl-C: the log keeps every answered sample; running the same command again resumes."""

    exit_code = 130


@dataclass(frozen=True)
class Finished:
    results: dict[str, Any]
    added: int  # samples this run added to the log (a resume adds only what was missing)
    retry: int  # samples whose latest record is an error a re-run will ask again
    final: int  # errors a re-run will not change


def hidden_values(config: RunConfig) -> list[str]:
    """The values of every `header.*` argument of the run's models: secrets no message may show."""
    values: list[str] = []
    for text in config.models:
        try:
            spec = parse_spec(text)
        except SpecError:
            continue
        values += [v for k, v in spec.params.items() if k.startswith(SECRET_PREFIX)]
    return secret_forms(values)


def clean(message: str, config: RunConfig | None = None) -> str:
    message = hide_secrets(redact_secrets(message))
    for value in hidden_values(config) if config is not None else []:
        message = message.replace(value, HIDDEN)
    return message


@contextmanager
def user_errors(config: RunConfig | None = None) -> Iterator[None]:
    """Turn a user's mistake (while planning or running) into a StudyError with a clean message."""
    try:
        yield
    except USER_ERRORS as exc:
        raise StudyError(clean(str(exc), config)) from exc


def request_plan(runner: Runner) -> dict[str, int]:
    """Planned requests per model served over HTTP (a remote host or a local server); in-process models
    (the probe, the baselines, transformers) send none."""
    plan: dict[str, int] = {}
    for group in runner.groups:
        model = runner.models[group.model]
        if model.remote_host or getattr(model, "base_url", None):  # base_url: a local server, not a member
            plan[group.model] = plan.get(group.model, 0) + group.size
    return plan


def state_requests(runner: Runner, max_requests: int | None, console: Console) -> None:
    """Say how many requests the run plans before any is sent; refuse above the cap."""
    plan = request_plan(runner)
    if not plan:
        return
    total = sum(plan.values())
    console.print(f"Plan: {total:,} requests ({'; '.join(f'{n:,} to {m}' for m, n in plan.items())}); finished "
                  "samples of a resumed run are not sent again.", markup=False)
    if max_requests is not None and total > max_requests:
        raise StudyError(f"the run plans {total:,} requests, over --max-requests {max_requests:,}: lower it with "
                         "--max-per-class, fewer tasks or models, or raise the cap")


def build_runner(plan: StudyPlan, options: RunOptions, console: Console) -> Runner:
    """The one Runner, given the study's cells, inputs and header entries."""
    extra = {**options.header_extra, **plan.header}
    return Runner(plan.config, replace(options, header_extra=extra), console, cells=plan.cells,
                  inputs=plan.inputs)


def execute(plan: StudyPlan, options: RunOptions, console: Console | None = None,
            max_requests: int | None = None) -> Finished:
    """Run a study (resuming its log), finish it and build its report; StudyError on what a user can fix."""
    console = console or Console(stderr=True)
    if plan.out is not None:
        options = replace(options, out=plan.out)
    try:
        with user_errors(plan.config):
            runner = build_runner(plan, options, console)
            state_requests(runner, max_requests, console)
            added = runner.execute()
        results = finish(plan, runner, options)  # a study's settling (defend's attackers) can take minutes
    except KeyboardInterrupt as exc:
        console.print(f"[yellow]Interrupted. Every finished sample is in {escape(str(options.out))}; "
                      "run the same command again to resume.[/]")
        raise StudyInterrupted("interrupted") from exc
    report_dir = plan.report_dir or options.out
    console.print(f"{added} new samples; results in {report_dir}/results.json and {report_dir}/report.html",
                  markup=False)
    retry, final = runner.log.remaining_errors()
    if options.quiet:  # a study run inside another command (the demo) says only what it added
        return Finished(results, added, retry, final)
    if retry:
        console.print(f"[yellow]{retry} sample(s) ended in an error; run the same command again to retry them "
                      f"(each is asked at most {MAX_ATTEMPTS} times in all).[/]")
    if final:
        console.print(f"{final} sample(s) are errors a re-run will not change (not estimable, or failed "
                      f"{MAX_ATTEMPTS} times); they are counted as errors, never as answers.")
    return Finished(results, added, retry, final)


def report_run(runner: Runner) -> dict[str, Any]:
    """A plain run's finish: what the servers said they were, then the report (replaces the runner's
    deprecated `finish()`: the report layer is called from here, never from inside the runner)."""
    runner.record_served_models()
    return write_report(runner.options.out, resamples=runner.options.resamples)


def finish(plan: StudyPlan, runner: Runner, options: RunOptions) -> dict[str, Any]:
    """Header (served models, the study's entries: they may have changed since the run began), the
    study's own settling, then the report."""
    report_dir = Path(plan.report_dir or options.out)
    try:
        runner.record_served_models()
        if plan.header:
            runner.log.update_header(**plan.header)
        if plan.settle is not None:
            plan.settle(runner.log)
        return write_report(report_dir, resamples=options.resamples)
    except (OSError, RunDirError) as exc:
        raise StudyError(f"the samples are safe in {options.out}, but the report could not be written: "
                         f"{clean(str(exc), plan.config)}; free space, then run: voiceleak report "
                         f"{report_dir}") from exc
