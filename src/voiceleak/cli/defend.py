"""`voiceleak defend`: each defense scored as privacy (attribute leakage, speaker verification)
against utility (word error rate, an application task)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from voiceleak.analysis.defenses import ATTACKER
from voiceleak.cli.app import app, console, err, fail
from voiceleak.cli.options import (
    Config,
    Corpus,
    Defenses,
    MaxPerClass,
    MaxPerSpeaker,
    MaxRequests,
    Models,
    NoCache,
    Resamples,
    RunDir,
    Seed,
    Tasks,
)
from voiceleak.cli.study import run_study
from voiceleak.corpus.demo import demo_manifest
from voiceleak.report.console import print_summary
from voiceleak.report.sections.defenses import print_defenses
from voiceleak.runner.run import RunOptions
from voiceleak.studies.defend import DefendConfig, study

Opt = typer.Option


@app.command()
def defend(
    defense: Defenses = None,
    corpus: Corpus = None,
    model: Models = None,
    task: Tasks = None,
    utility_task: Annotated[str | None, Opt(help="The application's own task, scored as utility "
                                                 "(e.g. 'attribute:language').")] = None,
    asr: Annotated[str, Opt(help="Recogniser for WER, run as the model asr:NAME ('none' to skip; see: "
                                 "voiceleak list).")] = "whisper-tiny",
    asr_clips: Annotated[int, Opt(help="Clips with reference text for WER, spread evenly over speakers "
                                       "(seeded); about 1 s each per condition with whisper-tiny.")] = 24,
    max_per_speaker: MaxPerSpeaker = None,
    max_per_class: MaxPerClass = None,
    trials_per_speaker: Annotated[int, Opt(help="Target (and as many non-target) verification trials "
                                                "per speaker.")] = 20,
    seed: Seed = 0,
    resamples: Resamples = 1000,
    out: RunDir = Path("runs/defend"),
    max_requests: MaxRequests = None,
    no_cache: NoCache = False,
    config: Config = None,
) -> None:
    """Score defenses as privacy against utility, each with 95% intervals over speakers.

    Privacy: attribute accuracy of --model (default: the voiceprint probe, which always runs beside
    it) on the --task attributes (default 'sensitive': every labelled sensitive one); speaker-
    verification EER of an ignorant attacker (enrolled on clean speech), a lazy-informed one (enrolled
    on speech passed through the same defense) and a semi-informed one. Utility: WER of --asr on the
    defended audio, and the accuracy of --utility-task. Writes a table and trade-off curves into
    OUT/results.json and report.html; a run resumes where it stopped.

    Example: voiceleak defend -d mcadams:0.7,0.8,0.9 -d pitch:+3 -d noise:snr=10 -o runs/def
    """
    if not defense:
        raise fail("name at least one defense: -d mcadams:0.8 (see: voiceleak list transforms)")
    if model and len(model) > 1:
        raise fail("defend measures one model beside the voiceprint probe: give -m once")
    chosen = DefendConfig(
        corpus=str(corpus or demo_manifest()), defenses=tuple(defense), model=model[0] if model else "probe",
        tasks=tuple(task or ["sensitive"]), utility_task=utility_task,
        asr=None if asr.lower() in {"", "none"} else asr, asr_clips=asr_clips,
        clips_per_speaker=max_per_speaker, max_per_class=max_per_class,
        trials_per_speaker=trials_per_speaker, seed=seed or 0,
    )
    start = time.perf_counter()
    options = RunOptions(out=out, use_cache=not no_cache, resamples=resamples)
    results = run_study(lambda: study(chosen, out, err), options, max_requests).results
    # The attackers' trial records are summed up by the defense table (EER, minDCF), not cell by cell.
    print_summary({**results, "cells": [c for c in results["cells"] if c["model"] != ATTACKER]}, console)
    print_defenses(results, console)
    err.print(f"done in {time.perf_counter() - start:.0f} s", markup=False)
