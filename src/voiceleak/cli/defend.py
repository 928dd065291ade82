"""`voiceleak defend`: each defense scored as privacy (attribute leakage, speaker verification)
against utility (word error rate, an application task)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from voiceleak.cli.app import app, console, err, fail
from voiceleak.cli.run import USER_ERRORS, state_requests
from voiceleak.corpus.demo import demo_manifest
from voiceleak.report.console import print_summary
from voiceleak.report.defenses import print_defenses
from voiceleak.runner.defend import DefendConfig, run_defend

Opt = typer.Option


@app.command()
def defend(
    defense: Annotated[list[str], Opt(
        "--defense", "-d", help="Defense spec, repeatable. A comma list of strengths draws a curve: "
        "'mcadams:0.7,0.8,0.9', 'pitch:+2,+4', 'noise:snr=20,10,5', 'bandlimit:3400', 'telephone', "
        "'prompt-guard:2', 'output-filter'.")],
    corpus: Annotated[Path | None, Opt("--corpus", "-c", help="Manifest; default: demo.")] = None,
    model: Annotated[str, Opt("--model", "-m", help="The model whose attribute leakage is measured (the "
                                                    "voiceprint probe always runs beside it).")] = "probe",
    task: Annotated[list[str] | None, Opt("--task", "-t", help="Privacy task, repeatable (default "
                                          "'sensitive': every labelled sensitive attribute; 'attribute': "
                                          "all).")] = None,
    utility_task: Annotated[str | None, Opt(help="The application's own task, scored as utility "
                                                 "(e.g. 'attribute:language').")] = None,
    asr: Annotated[str, Opt(help="Recogniser for WER ('none' to skip).")] = "whisper-tiny",
    asr_clips: Annotated[int, Opt(help="Clips with reference text for WER, spread evenly over speakers "
                                       "(seeded); about 1 s each per condition with whisper-tiny.")] = 24,
    clips_per_speaker: Annotated[int | None, Opt(help="Seeded subset of this many clips per speaker for "
                                                      "everything (written to OUT/clips.jsonl).")] = None,
    max_per_class: Annotated[int | None, Opt(help="Class-balanced cap per attribute class (seeded).")] = None,
    trials_per_speaker: Annotated[int, Opt(help="Target (and as many non-target) verification trials "
                                                "per speaker.")] = 20,
    seed: Annotated[int, Opt(help="Seed for subsets, trials and noise.")] = 0,
    resamples: Annotated[int, Opt(help="Bootstrap resamples for the intervals.")] = 1000,
    out: Annotated[Path, Opt("--out", "-o", help="Run directory (resumes).")] = Path("runs/defend"),
    max_requests: Annotated[int | None, Opt("--max-requests", help="Refuse to start if the study plans more "
                                            "requests than this (nothing is sent).")] = None,
) -> None:
    """Score defenses as privacy against utility, each with 95% intervals over speakers.

    Privacy: attribute accuracy of --model and of the voiceprint probe; speaker-verification EER of
    an ignorant attacker (enrolled on clean speech) and a lazy-informed one (enrolled on speech
    passed through the same defense). Utility: WER of --asr on the defended audio, and the accuracy
    of --utility-task. Writes a table and trade-off curves into OUT/results.json and report.html.

    Example: voiceleak defend -d mcadams:0.7,0.8,0.9 -d pitch:+3 -d noise:snr=10 -o runs/def
    """
    config = DefendConfig(
        corpus=str(corpus or demo_manifest()), defenses=tuple(defense), model=model,
        tasks=tuple(task or ["sensitive"]), utility_task=utility_task,
        asr=None if asr.lower() in {"", "none"} else asr, asr_clips=asr_clips,
        clips_per_speaker=clips_per_speaker, max_per_class=max_per_class,
        trials_per_speaker=trials_per_speaker, seed=seed,
    )
    start = time.perf_counter()
    try:
        results = run_defend(config, out, console=err, resamples=resamples,
                             before_sending=lambda runner: state_requests(runner, max_requests))
    except USER_ERRORS as exc:
        raise fail(str(exc)) from exc
    except KeyboardInterrupt as exc:
        err.print(f"[yellow]Interrupted. Finished samples are in {out}; run the same command to resume.[/]")
        raise typer.Exit(130) from exc
    print_summary(results, console)
    print_defenses(results, console)
    err.print(f"done in {time.perf_counter() - start:.0f} s; results in {out}/results.json and "
              f"{out}/report.html")
