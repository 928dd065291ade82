"""`voiceleak decisions`: decision bias from the voice (with the text-only control) and scope compliance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voiceleak.cli.app import app, console, err, fail
from voiceleak.cli.run import USER_ERRORS, state_requests
from voiceleak.models.base import SupervisedModel, build_model
from voiceleak.report.decision_view import print_decisions
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.tasks.decision import shipped_names
from voiceleak.transforms.text_only import NAME as TEXT_ONLY
from voiceleak.types import Decoding

DEMO_MODELS = ("uniform",)
#: what exists offline but is too slow for the demo's budget (speech recognition of every clip on CPU)
OFFLINE_CASCADE = "cascade:whisper-tiny+minilm"


def study_tasks(decisions: list[str] | None, scopes: list[str] | None) -> tuple[str, ...]:
    """decision:* and scope:* task names; None means every shipped set, ["none"] none of them."""
    chosen_decisions = (
        shipped_names("decisions") if decisions is None else [d for d in decisions if d != "none"]
    )
    chosen_scopes = shipped_names("scopes") if scopes is None else [s for s in scopes if s != "none"]
    return (*(f"decision:{d}" for d in chosen_decisions), *(f"scope:{s}" for s in chosen_scopes))


def check_models(models: list[str]) -> None:
    for text in models:
        if isinstance(build_model(text), SupervisedModel):
            raise ValueError(
                f"{text!r} is a supervised attacker trained on labels: it cannot make a decision "
                "or answer a probe (use a chat model, a cascade or the uniform baseline)"
            )


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
    try:
        check_models(list(config.models))
        runner = Runner(
            config, RunOptions(out=out, use_cache=use_cache, resamples=resamples, quiet=quiet), console=err
        )
        state_requests(runner, max_requests)
        added = runner.execute()
        # Grouping changes no sample, so it lives in the header, not the config: a resume may regroup.
        runner.log.update_header(decisions={"group_by": group_by or None})
    except USER_ERRORS as exc:
        raise fail(str(exc)) from exc
    except KeyboardInterrupt as exc:
        err.print(f"[yellow]Interrupted. Every finished sample is in {out}; run the same command again "
                  "to resume.[/]")
        raise typer.Exit(130) from exc
    results = runner.finish()
    err.print(f"{added} new samples; results in {out}/results.json and {out}/report.html")
    return results


def demo_decisions(corpus: Path, out: Path) -> dict[str, Any]:
    """The demo's section: every decision and scope set on the demo corpus with the offline stand-in."""
    err.print(
        "[bold]Decisions and scope[/] (issue #9): the same sentences in different voices, with a text-only "
        f"control. Model: {', '.join(DEMO_MODELS)} - a stand-in, since no audio language model runs "
        f"offline. The offline cascade ({OFFLINE_CASCADE}) is not run here: it transcribes every clip on "
        f"the CPU (minutes); try: voiceleak decisions -c {corpus} -m {OFFLINE_CASCADE}"
    )
    config = RunConfig(
        corpus=str(corpus), models=DEMO_MODELS, tasks=study_tasks(None, None), transforms=("none", TEXT_ONLY)
    )
    # No response cache: the uniform baseline draws from the request id, which the cache key (rightly)
    # ignores, so cached text-only answers would be shared by every voice of a sentence on a re-run.
    results = run_decisions(config, out, ["sex"], use_cache=False, resamples=400,
                            quiet=True)
    print_decisions(results, console)
    return results


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
