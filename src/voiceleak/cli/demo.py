"""`voiceleak demo`: the main job on the shipped corpus of real and synthetic voices, offline."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from voiceleak.cli.app import app, err
from voiceleak.cli.decisions import demo_decisions
from voiceleak.cli.privilege import demo_privilege
from voiceleak.cli.run import execute_run
from voiceleak.corpus.demo import demo_manifest
from voiceleak.report.html import refresh_audit
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import RunOptions

DEMO_MODELS = ("probe", "majority", "uniform")
DEMO_TASKS = ("attribute", "speaker-id")


@app.command()
def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="Run directory."),
    fresh: bool = typer.Option(False, help="Delete the run directory first instead of resuming it."),
) -> None:
    """Audit the shipped demo corpus with the voiceprint probe and the chance baselines.

    The probe is what the voice itself carries about sex, language, accent, synthetic-or-not and
    identity: an upper bound for any model that hears the audio. Runs offline in a few minutes.

    Example: voiceleak demo -o runs/demo
    """
    if fresh and out.exists():
        shutil.rmtree(out)
    manifest = demo_manifest()
    err.print(f"Demo corpus: {manifest}")
    config = RunConfig(corpus=str(manifest), models=DEMO_MODELS, tasks=DEMO_TASKS)
    execute_run(config, RunOptions(out=out))
    demo_decisions(manifest, out / "decisions")  # decision bias and scope (issue #9), stand-in model
    demo_privilege(manifest, out / "privilege")  # end-to-end vs cascade, least-privilege verdict (issue #4)
    refresh_audit(out)  # one audit: every page's navigation now lists the sub-runs written after it
    err.print(f"Report: open {out / 'index.html'} (findings first; every reply in samples.html). "
              "Next: audit a real model with HearSay's protocol: voiceleak run --preset hearsay -m MODEL -c CORPUS",
              markup=False)
