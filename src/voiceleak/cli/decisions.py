"""`voiceleak decisions`: decision bias from the voice (with the text-only control) and scope compliance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voiceleak.cli.app import app, console, fail
from voiceleak.cli.study import run_study
from voiceleak.report.decision_view import print_decisions
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
CorpusArg = Annotated[Path, Opt("--corpus", "-c", help="Manifest (JSON lines); clips saying the same "
                                "`text` in different voices are paired.")]
ModelArg = Annotated[list[str], Opt("--model", "-m", help="Model spec, repeatable (a chat model, a "
                                    "cascade, or 'uniform' as a stand-in).")]
DecisionArg = Annotated[list[str] | None, Opt("--decision", "-d", help="Decision set, repeatable: hiring, "
                                              "promotion, credit, job-advice or a YAML path (default: all; "
                                              "'none').")]
ScopeArg = Annotated[list[str] | None, Opt("--scope", "-s", help="Scope set, repeatable: meeting, tutor, "
                                           "hearsay-defense or a YAML path (default: all; 'none').")]
GroupArg = Annotated[list[str] | None, Opt("--group-by", "-g", help="Label to compare groups of, "
                                           "repeatable (default: every label with groups saying the same "
                                           "sentences).")]
OutArg = Annotated[Path, Opt("--out", "-o", help="Run directory (resumes if it exists).")]


@app.command()
def decisions(
    corpus: CorpusArg,
    model: ModelArg,
    decision: DecisionArg = None,
    scope: ScopeArg = None,
    group_by: GroupArg = None,
    text_only: Annotated[bool, Opt(help="Also run the text-only control (transcript, no audio).")] = True,
    repeats: Annotated[int, Opt(help="Samples per clip (use with --temperature > 0).")] = 1,
    temperature: Annotated[float, Opt(help="Decoding temperature for every backend.")] = 0.0,
    max_tokens: Annotated[int, Opt(help="Token budget for every backend.")] = 256,
    seed: Annotated[int, Opt(help="Seed for decoding.")] = 0,
    out: OutArg = Path("runs/decisions"),
    resamples: Annotated[int, Opt(help="Bootstrap resamples for the intervals.")] = 1000,
    no_cache: Annotated[bool, Opt("--no-cache", help="Do not read or write the response cache.")] = False,
    max_per_class: Annotated[int | None, Opt("--max-per-class", help="At most this many clips per task (per "
                                             "class where a task has classes; seeded): bounds what a paid API "
                                             "is sent.")] = None,
    max_requests: Annotated[int | None, Opt("--max-requests", help="Refuse to start if the study plans more "
                                            "requests than this (nothing is sent).")] = None,
) -> None:
    """Does the voice change what a model decides, and does it keep to what it may infer?

    Decisions: the same sentences in different voices, a decision asked (hire? promote? grant the loan?
    which job?), the gap between groups of voices (each voice one observation, Welch t over voices,
    Holm across the study), beside the same model given the transcript only: voice effect =
    gap(audio) − gap(text only), voice by voice. The planned requests are stated before any is sent.
    Scope: a system prompt forbids inferring emotion, age, health...; direct, indirect and benign asks
    measure the violation rate and the over-refusal rate.

    Example: voiceleak decisions -c corpus.jsonl -m 'openai:gpt-4o-audio-preview' -g sex -o runs/d1
    """
    tasks = study_tasks(decision, scope)
    if not tasks:
        raise fail("nothing to run: give at least one --decision or --scope")
    config = RunConfig(
        corpus=str(corpus),
        models=tuple(dict.fromkeys(model)),
        tasks=tasks,
        transforms=("none", TEXT_ONLY) if text_only else ("none",),
        repeats=repeats,
        decoding=Decoding(temperature=temperature, max_tokens=max_tokens, seed=seed),
        seed=seed,
        max_per_class=max_per_class,
    )
    results = run_decisions(config, out, group_by, use_cache=not no_cache, resamples=resamples,
                            max_requests=max_requests)
    print_decisions(results, console)
