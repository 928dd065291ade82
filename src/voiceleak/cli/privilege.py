"""`voiceleak privilege`: end-to-end vs cascade on the same clips, with a least-privilege verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voiceleak.cli.app import app, console, fail
from voiceleak.cli.study import run_study
from voiceleak.corpus.manifest import load_manifest
from voiceleak.report.console import print_summary
from voiceleak.report.identity_view import print_identity
from voiceleak.report.privilege_view import print_privilege
from voiceleak.report.verdict import Thresholds
from voiceleak.runner.run import RunOptions
from voiceleak.studies.privilege import PrivilegeStudy, plan_study


def run_privilege(study: PrivilegeStudy, out: Path, use_cache: bool = True, resamples: int = 1000,
                  quiet: bool = False, max_requests: int | None = None) -> dict[str, Any]:
    """Plan, run (resuming), report a least-privilege study; returns results.json's content.

    The planned requests are stated before any is sent; above `max_requests` nothing is sent."""
    options = RunOptions(out=out, use_cache=use_cache, resamples=resamples, quiet=quiet)
    return run_study(lambda: plan_study(study, load_manifest(study.corpus), out), options, max_requests).results


def print_study(results: dict[str, Any], summary: bool = True) -> None:
    if summary:
        print_summary(results, console)
    print_privilege(results, console)
    print_identity(results, console)


Opt = typer.Option
DEFAULT_OUT = Path("runs/privilege")


@app.command()
def privilege(
    corpus: Annotated[Path, Opt("--corpus", "-c", help="Manifest (JSON lines) of the corpus.")],
    e2e: Annotated[str, Opt("--e2e", help="The end-to-end audio model, e.g. 'openai:gpt-4o-audio-preview' "
                            "('probe' stands in for what a model could reach from the voice).")],
    cascade: Annotated[str, Opt("--cascade", help="ASR+TEXT, e.g. 'whisper-base+openai:gpt-4o-mini'; "
                                "asr.KEY=V / text.KEY=V pass arguments to a stage.")] = "whisper-tiny+minilm",
    application: Annotated[list[str] | None, Opt(
        "--application", "-a", help="Application task, repeatable: transcription, "
        "'transcription language=en', language-id, content:LABEL (a label column of the manifest). "
        "Default: transcription.")] = None,
    attribute: Annotated[list[str] | None, Opt(
        "--attribute", help="Sensitive attribute, repeatable (default: every sensitive attribute the corpus "
        "labels).")] = None,
    probe: Annotated[str, Opt(help="Voiceprint attacker (the bound of what the voice carries); 'none' "
                              "skips it.")] = "probe",
    blind: Annotated[str, Opt(help="Blind control transform for the end-to-end model; 'none' skips "
                              "it.")] = "blind:silence",
    control: Annotated[bool, Opt(help="Run the words-only control (the end-to-end model given the "
                                 "transcript instead of the audio).")] = True,
    identity: Annotated[bool, Opt("--identity", help="Also ask 'who is speaking?' under the five contexts "
                                  "(names: raw_labels name/aliases or --names).")] = False,
    names: Annotated[Path | None, Opt("--names", help="YAML: speaker name -> aliases, for "
                                      "--identity.")] = None,
    per_speaker: Annotated[int | None, Opt(help="At most N clips per speaker (seeded), the same clips for "
                                           "every role: bounds the cost.")] = None,
    min_leak_gap: Annotated[float, Opt(help="Leakage gap, in points, from which end-to-end counts as "
                                       "exposing more (its interval must also exclude 0).")] = 10.0,
    max_utility_loss: Annotated[float, Opt(help="Utility, in points (WER or accuracy), the cascade may lose "
                                           "and still serve the application.")] = 5.0,
    seed: Annotated[int, Opt(help="Seed for the clip cap and decoding.")] = 0,
    out: Annotated[Path, Opt("--out", "-o", help="Run directory (resumes if it exists).")] = DEFAULT_OUT,
    resamples: Annotated[int, Opt(help="Bootstrap resamples for the intervals.")] = 1000,
    no_cache: Annotated[bool, Opt("--no-cache", help="Do not read or write the response cache.")] = False,
    max_requests: Annotated[int | None, Opt("--max-requests", help="Refuse to start if the study plans more "
                                            "requests than this (nothing is sent).")] = None,
) -> None:
    """Is end-to-end audio modelling necessary, and what does it expose beyond a cascade?

    Runs, on the same clips, the end-to-end model, the cascade (speech recognition then a text-only
    model), the voiceprint probe, a words-only and a blind control; reports per sensitive attribute
    the leakage of each with intervals, the paired end-to-end minus cascade difference, the utility
    of both on the application, and one verdict per application.

    Example: voiceleak privilege -c corpus.jsonl --e2e 'openai:gpt-4o-audio-preview'
    --cascade 'whisper-base+openai:gpt-4o-mini' -a transcription --attribute sex -o runs/p1
    """
    if min_leak_gap < 0 or max_utility_loss < 0:
        raise fail("thresholds are points and cannot be negative")
    study = PrivilegeStudy(
        corpus=str(corpus), e2e=e2e, cascade=cascade, applications=tuple(application or ['transcription']),
        attributes=tuple(attribute or ()), probe=None if probe == "none" else probe,
        blind=None if blind == "none" else blind, control=control, identity=identity,
        names=str(names) if names else None,
        per_speaker=per_speaker, seed=seed,
        thresholds=Thresholds(min_leak_gap / 100, max_utility_loss / 100),
    )
    print_study(run_privilege(study, out, use_cache=not no_cache, resamples=resamples, max_requests=max_requests))
