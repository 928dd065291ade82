"""`voiceleak decisions`: decision bias from the voice (with the text-only control) and scope compliance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voiceleak.cli.app import app, console, fail
from voiceleak.cli.options import (
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
    Temperature,
    TextOnly,
)
from voiceleak.cli.study import run_study
from voiceleak.report.sections.decision import print_decisions
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import RunOptions
from voiceleak.studies.decisions import decisions_plan, study_tasks
from voiceleak.transforms.text_only import NAME as TEXT_ONLY
from voiceleak.types import Decoding


def run_decisions(
    config: RunConfig,
    out: Path,
    group_by: list[str] | None,
    use_cache: bool = True,
    resamples: int = 1000,
    quiet: bool = False,
    max_requests: int | None = None,
) -> dict[str, Any]:
    """Run (resuming), record the grouping in the header, report; returns results.json's content.

    The planned requests are stated before any is sent; above `max_requests` nothing is sent."""
    options = RunOptions(out=out, use_cache=use_cache, resamples=resamples, quiet=quiet)
    return run_study(lambda: decisions_plan(config, group_by), options, max_requests).results


Opt = typer.Option
DecisionArg = Annotated[list[str] | None, Opt("--decision", help="Decision set, repeatable: hiring, promotion, "
                                              "credit, job-advice or a YAML path (default: all; 'none').")]
ScopeArg = Annotated[list[str] | None, Opt("--scope", "-s", help="Scope set, repeatable: meeting, tutor, "
                                           "hearsay-defense or a YAML path (default: all; 'none').")]
GroupArg = Annotated[list[str] | None, Opt("--group-by", "-g", help="Label to compare groups of, "
                                           "repeatable (default: every label with groups saying the same "
                                           "sentences).")]


@app.command()
def decisions(
    corpus: Corpus = None,
    model: Models = None,
    decision: DecisionArg = None,
    scope: ScopeArg = None,
    group_by: GroupArg = None,
    text_only: TextOnly = True,
    repeats: Repeats = 1,
    temperature: Temperature = 0.0,
    max_tokens: MaxTokens = 256,
    seed: Seed = 0,
    out: RunDir = Path("runs/decisions"),
    resamples: Resamples = 1000,
    no_cache: NoCache = False,
    max_per_class: MaxPerClass = None,
    max_requests: MaxRequests = None,
    config: Config = None,
) -> None:
    """Does the voice change what a model decides, and does it keep to what it may infer?

    Decisions: the same sentences in different voices (clips saying the same `text` are paired), a
    decision asked (hire? promote? grant the loan? which job?), the gap between groups of voices (each
    voice one observation, Welch t over voices, Holm across the study), beside the same model given
    the transcript only: voice effect = gap(audio) - gap(text only), voice by voice. Models: a chat
    model, a cascade, or 'uniform' as a stand-in. The planned requests are stated before any is sent.
    Scope: a system prompt forbids inferring emotion, age, health...; direct, indirect and benign asks
    measure the violation rate and the over-refusal rate.

    Example: voiceleak decisions -c corpus.jsonl -m 'openai:gpt-4o-audio-preview' -g sex -o runs/d1
    """
    if corpus is None:
        raise fail("give a corpus with --corpus MANIFEST (or corpus: in --config)")
    if not model:
        raise fail("give at least one --model (a chat model, a cascade, or 'uniform' as a stand-in)")
    tasks = study_tasks(decision, scope)
    if not tasks:
        raise fail("nothing to run: give at least one --decision or --scope")
    chosen_seed = seed if seed is not None else 0
    run_config = RunConfig(
        corpus=str(corpus),
        models=tuple(dict.fromkeys(model)),
        tasks=tasks,
        transforms=("none", TEXT_ONLY) if text_only else ("none",),
        repeats=repeats,
        decoding=Decoding(temperature=temperature, max_tokens=max_tokens, seed=chosen_seed),
        seed=chosen_seed,
        max_per_class=max_per_class,
    )
    results = run_decisions(run_config, out, group_by, use_cache=not no_cache, resamples=resamples,
                            max_requests=max_requests)
    print_decisions(results, console)
