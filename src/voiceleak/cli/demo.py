"""`voiceleak demo`: the main job on the shipped corpus of real and synthetic voices, offline.

Three studies, each through the one study path: the audit itself, decisions and scope (stand-in
model), and least privilege (offline cascade vs the voiceprint probe)."""

from __future__ import annotations

import shutil
from pathlib import Path

from voiceleak.cli.app import app, console, err
from voiceleak.cli.options import Fresh, RunDir
from voiceleak.cli.privilege import print_study
from voiceleak.cli.study import run_study
from voiceleak.corpus.demo import demo_manifest
from voiceleak.corpus.manifest import load_manifest
from voiceleak.report.console import print_summary
from voiceleak.report.html import refresh_audit
from voiceleak.report.sections.decision import print_decisions
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import RunOptions
from voiceleak.studies.base import plain_run
from voiceleak.studies.decisions import DEMO_MODELS as DECISION_MODELS
from voiceleak.studies.decisions import OFFLINE_CASCADE, demo_plan
from voiceleak.studies.privilege import demo_study, plan_study

DEMO_MODELS = ("probe", "majority", "uniform")
DEMO_TASKS = ("attribute", "speaker-id")


def demo_audit(manifest: Path, out: Path) -> None:
    config = RunConfig(corpus=str(manifest), models=DEMO_MODELS, tasks=DEMO_TASKS)
    print_summary(run_study(plain_run(config), RunOptions(out=out)).results, console, out)


def demo_decisions(manifest: Path, out: Path) -> None:
    """Every decision and scope set on the demo corpus with the offline stand-in."""
    err.print(
        "[bold]Decisions and scope[/] (issue #9): the same sentences in different voices, with a text-only "
        f"control. Model: {', '.join(DECISION_MODELS)} - a stand-in, since no audio language model runs "
        f"offline. The offline cascade ({OFFLINE_CASCADE}) is not run here: it transcribes every clip on "
        f"the CPU (minutes); try: voiceleak decisions -c {manifest} -m {OFFLINE_CASCADE}"
    )
    # No response cache: the uniform baseline draws from the request id, which the cache key (rightly)
    # ignores, so cached text-only answers would be shared by every voice of a sentence on a re-run.
    options = RunOptions(out=out, use_cache=False, resamples=400, quiet=True)
    print_decisions(run_study(demo_plan(manifest), options).results, console)


def demo_privilege(manifest: Path, out: Path) -> None:
    err.print("[bold]Least privilege[/]: the offline cascade (whisper-tiny + MiniLM) against the voiceprint "
              "probe standing in for an end-to-end model")
    study = demo_study(manifest)
    results = run_study(lambda: plan_study(study, load_manifest(study.corpus), out), RunOptions(out=out)).results
    print_study(results, summary=False)


@app.command()
def demo(out: RunDir = Path("runs/demo"), fresh: Fresh = False) -> None:
    """Audit the shipped demo corpus with the voiceprint probe and the chance baselines.

    The probe is what the voice itself carries about sex, language, accent, synthetic-or-not and
    identity: an upper bound for any model that hears the audio. Runs offline in a few minutes.

    Example: voiceleak demo -o runs/demo
    """
    if fresh and out.exists():
        shutil.rmtree(out)
    manifest = demo_manifest()
    err.print(f"Demo corpus: {manifest}")
    demo_audit(manifest, out)
    demo_decisions(manifest, out / "decisions")  # decision bias and scope (issue #9), stand-in model
    demo_privilege(manifest, out / "privilege")  # end-to-end vs cascade, least-privilege verdict (issue #4)
    refresh_audit(out)  # one audit: every page's navigation now lists the sub-runs written after it
    err.print(f"Report: open {out / 'index.html'} (findings first; every reply in samples.html). "
              "Next: audit a real model with HearSay's protocol: voiceleak run --preset hearsay -m MODEL -c CORPUS",
              markup=False)
