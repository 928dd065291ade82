"""`voiceleak run`: models x tasks x transforms over a corpus, resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voiceleak.cli.app import app, console, err, fail
from voiceleak.cli.options import (
    DEFAULT_CASCADE_MODEL,
    Blind,
    Cascade,
    CascadeModel,
    Config,
    Corpus,
    MaxPerClass,
    MaxRequests,
    MaxTokens,
    Models,
    NoCache,
    Repeats,
    Resamples,
    RunDir,
    Seed,
    Tasks,
    Temperature,
    Transforms,
)
from voiceleak.cli.study import run_study
from voiceleak.registry import UnknownNameError
from voiceleak.report.console import print_summary
from voiceleak.runner.context import DEFAULT_DEADLINE_S
from voiceleak.runner.executor import build_executor
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import RunOptions
from voiceleak.spec import SpecError
from voiceleak.studies.base import plain_run
from voiceleak.studies.execute import clean
from voiceleak.studies.presets import load_preset
from voiceleak.types import Decoding


def execute_run(config: RunConfig, options: RunOptions, max_requests: int | None = None) -> dict[str, Any]:
    """A plain run through the one study path (errors as messages, Ctrl-C resumable), then the summary."""
    results = run_study(plain_run(config), options, max_requests).results
    print_summary(results, console, options.out)
    return results


def given(ctx: typer.Context, name: str) -> bool:
    """Whether the user chose this value (a flag or the config file), not the option's default."""
    source = ctx.get_parameter_source(name)  # by name: typer keeps click's enum in a private module
    return source is not None and source.name in {"COMMANDLINE", "DEFAULT_MAP"}


def preset_matrix(name: str, tasks: list[str] | None, transforms: list[str] | None
                  ) -> tuple[list[str], list[str], tuple[tuple[str, int], ...], dict[str, Any]]:
    """Tasks, transforms, per-transform caps and decoding of a preset; given tasks replace the preset's,
    given transforms join its own."""
    try:
        chosen = load_preset(name)
    except (KeyError, OSError, ValueError) as exc:
        raise fail(str(exc).strip('"')) from exc
    err.print(chosen.description, markup=False)
    return (list(tasks or chosen.tasks()), list(dict.fromkeys([*(transforms or []), *chosen.all_transforms()])),
            chosen.transform_caps(), dict(chosen.decoding))


def run_decoding(ctx: typer.Context, preset_decoding: dict[str, Any]) -> Decoding:
    """The run's decoding: a value the user gave wins over the preset's, which wins over the default."""
    values = {name: ctx.params[name] for name in ("temperature", "max_tokens", "top_p", "seed")}
    chosen = {**values, **preset_decoding, **{k: v for k, v in values.items() if given(ctx, k)}}
    try:
        return Decoding(**chosen)
    except TypeError as exc:  # a preset file's decoding may name a setting no backend has
        raise fail(f"decoding: {exc}") from exc


@app.command()
def run(
    ctx: typer.Context,
    corpus: Corpus = None,
    model: Models = None,
    task: Tasks = None,
    transform: Transforms = None,
    blind: Blind = False,
    baselines: Annotated[bool, typer.Option("--baselines", help="Also run the majority and uniform "
                                            "baselines.")] = False,
    cascade: Cascade = False,
    cascade_model: CascadeModel = DEFAULT_CASCADE_MODEL,
    repeats: Repeats = 1,
    temperature: Temperature = 0.0,
    max_tokens: MaxTokens = 256,
    top_p: Annotated[float, typer.Option("--top-p", help="Nucleus sampling threshold for every "
                                         "backend.")] = 1.0,
    max_per_class: MaxPerClass = None,
    seed: Seed = 0,
    out: RunDir = Path("runs/latest"),
    config: Config = None,
    executor: Annotated[str, typer.Option(help="Executor spec: 'local' (default), 'ray actors=4 gpus=1', "
                                          "'ray address=auto' for a cluster.")] = "local",
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight (default: the backends' own "
                                                    "limits).")] = None,
    no_cache: NoCache = False,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Leave out (and list) clips that fail "
                                           "validation instead of refusing the corpus.")] = False,
    request_deadline: Annotated[float, typer.Option(help="Seconds one request may take, the client's retries "
                                                    "included, before it is recorded as an error (0: no "
                                                    "limit).")] = DEFAULT_DEADLINE_S,
    max_requests: MaxRequests = None,
    resamples: Resamples = 1000,
    preset: Annotated[str | None, typer.Option("--preset", help="A published protocol in one run: 'hearsay' "
                                               "(eight attributes x profiler, privacy-prompt defense and CoT "
                                               "prompts, plus a blind test at temperature 0.7, 50 samples per "
                                               "attribute), or a preset .yaml path.")] = None,
) -> None:
    """Run an audit: every model x task x transform over the corpus, appended to a resumable log.

    Example: voiceleak run -c corpus.jsonl -m probe -m majority -t attribute --blind -o runs/a1

    HearSay's protocol: voiceleak run --preset hearsay -m MODEL -c corpus.jsonl -o runs/hearsay

    The whole matrix in a file: voiceleak run --config audit.yaml (keys: the options' names; models:,
    tasks:, transforms: as lists; decoding: {temperature: 0}). Flags override the file.
    """
    if corpus is None:
        raise fail("give a corpus with --corpus MANIFEST (or corpus: in --config)")
    models = list(model or [])
    if cascade or given(ctx, "cascade_model"):  # naming a cascade asks for it
        models.append(f"cascade:{cascade_model}")
    if baselines:
        models += ["majority", "uniform"]
    if not models:
        raise fail("give at least one --model (see: voiceleak list models)")
    tasks, transforms = list(task or ["attribute"]), list(transform or ["none"])
    caps: tuple[tuple[str, int], ...] = ()
    preset_decoding: dict[str, Any] = {}
    if preset is not None:
        tasks, transforms, caps, preset_decoding = preset_matrix(preset, task, transform)
    if blind:
        transforms.append("blind:silence")
    run_config = RunConfig(
        corpus=str(corpus), models=tuple(dict.fromkeys(models)), tasks=tuple(tasks),
        transforms=tuple(dict.fromkeys(transforms)), repeats=repeats, decoding=run_decoding(ctx, preset_decoding),
        max_per_class=max_per_class, seed=seed if seed is not None else 0, transform_caps=caps,
    )
    try:
        # plain local with no limit: the runner sizes concurrency from the backends' own limits
        built = None if executor == "local" and not concurrency else build_executor(executor, concurrency)
    except (UnknownNameError, SpecError) as exc:
        raise fail(clean(str(exc), run_config)) from exc
    cap = {} if max_requests is None else {"max_requests": max_requests}  # execute_run(config, options) otherwise
    execute_run(run_config, RunOptions(out=out, executor=built, use_cache=not no_cache, skip_bad=skip_bad,
                                       request_deadline=request_deadline or None, resamples=resamples), **cap)
