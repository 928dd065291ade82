"""`voiceleak judge`: a chat model rules on the replies the parser could not read, then re-report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voiceleak.cli.app import app, console, err, fail
from voiceleak.cli.options import Config, MaxRequests, NoCache, Resamples, Seed
from voiceleak.cli.study import run_study
from voiceleak.report.console import print_summary
from voiceleak.runner.run import RunOptions
from voiceleak.studies.judge import judge_plan, summarise


@app.command()
def judge(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `voiceleak run`.")],
    judge_model: Annotated[str, typer.Option("--judge", help="Model spec of the judge (any chat backend).")],
    agreement_sample: Annotated[int, typer.Option(
        "--agreement-sample", help="Also judge N parser-decided replies (seeded) to measure agreement.")] = 0,
    seed: Seed = 0,
    resamples: Resamples = 1000,
    no_cache: NoCache = False,
    max_requests: MaxRequests = None,
    config: Config = None,
) -> None:
    """Judge the UNPARSEABLE replies of a run (resumable; verdicts go to judgments.jsonl).

    The judge sees the question, the allowed answers and the reply, never the audio or the truth.
    Its verdict replaces only UNPARSEABLE outcomes; a judge failure stays an error, never an answer.
    Its requests are logged in RUN_DIR/judge/ and cached: Ctrl-C, then the same command, resumes.
    --seed chooses the agreement sample; the same seed and a larger N extend the same sample.

    Example: voiceleak judge runs/a1 --judge 'openai:gpt-4o-mini' --agreement-sample 100
    """
    options = RunOptions(out=run_dir, use_cache=not no_cache, resamples=resamples)
    chosen_seed = seed if seed is not None else 0
    finished = run_study(lambda: judge_plan(run_dir, judge_model, agreement_sample, chosen_seed), options,
                         max_requests)
    summary = summarise(run_dir, judge_model, finished)
    agree = summary["agreement"]
    err.print(f"judge {summary['judge']}: asked {summary['asked_now']} now; "
              f"{summary['n_judged']} of {summary['n_unparseable']} unparseable replies judged, "
              f"{summary['still_unparseable']} still unparseable, {summary['n_judge_errors']} judge errors")
    if agree["n"]:
        kappa = "n/a" if agree["kappa"] is None else f"{agree['kappa']:.2f}"
        err.print(f"agreement with the parser on {agree['n']} decided replies: "
                  f"{agree['raw'] * 100:.1f}% raw, Cohen's kappa {kappa}")
    print_summary(finished.results, console)
    err.print(f"wrote {run_dir}/judgments.jsonl, results.json and report.html")
    if summary["n_judge_errors"] and not summary["n_judged"]:
        raise fail(f"every judgment failed ({summary['n_judge_errors']} judge errors): check the judge model; "
                   "re-running asks the failed ones again")
