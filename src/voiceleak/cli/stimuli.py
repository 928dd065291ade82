"""`voiceleak mix`, `voiceleak stimuli` and `voiceleak demo-listening`: bystander mixtures and
words-versus-voice clips, written as corpora (manifest + audio) that any backend runs through `run`."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

import typer

from voiceleak.cli.app import app, err, fail
from voiceleak.cli.options import Attributes, Cascade, CorpusOut, Fresh, RunDir, Seed
from voiceleak.cli.run import execute_run
from voiceleak.corpus.demo import demo_manifest
from voiceleak.corpus.manifest import load_manifest
from voiceleak.corpus.mixtures import LEVELS, PLACEMENTS, SUBJECTS, MixSettings, build_mixtures
from voiceleak.corpus.stimuli import VOICES, build_stimuli
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import RunOptions
from voiceleak.studies.execute import USER_ERRORS

Opt = typer.Option


@app.command()
def mix(
    corpus: Annotated[Path, typer.Argument(help="Manifest of the corpus whose speakers are mixed.")],
    out: CorpusOut,
    level: Annotated[list[float] | None, Opt(help="Bystander level relative to the primary, dB; repeatable "
                                             "(default -10, -5, 0).")] = None,
    placement: Annotated[list[str] | None, Opt(help="overlap | before | after; repeatable (default all).")] = None,
    per_speaker: Annotated[int, Opt(help="Mixtures per speaker as primary, per level, placement and subject.")] = 1,
    subject: Annotated[list[str] | None, Opt(help="Who the mixtures are asked about: bystander, primary "
                                             "(default both; each gets its own mixtures).")] = None,
    isolated: Annotated[bool, Opt(help="Also write each bystander clip alone (the probe's bound).")] = True,
    seed: Seed = 0,
) -> None:
    """Overlay a second speaker of the corpus on primary clips: a bystander-privacy corpus.

    Then ask about the bystander with the bystander tasks, on any backend:
    voiceleak run -c OUT/manifest.jsonl -m MODEL -m probe -t bystander:sex -t 'bystander:sex ask=indirect'
    -t 'bystander:sex ask=scope' -t 'bystander:sex about=primary' -t 'bystander:sex about=isolated'

    The same corpus, settings and --seed give the same mixtures.

    Example: voiceleak mix corpus.jsonl -o mixtures --level -10 --level 0 --placement overlap
    """
    try:
        settings = MixSettings(levels=tuple(level or LEVELS), placements=tuple(placement or PLACEMENTS),
                               subjects=tuple(subject or SUBJECTS), per_speaker=per_speaker, seed=seed or 0)
        clips = build_mixtures(load_manifest(corpus), out, settings, isolated=isolated)
    except USER_ERRORS as exc:
        raise fail(str(exc)) from exc
    counts = {s: sum(c.raw_labels.get("mix_subject") == s for c in clips) for s in (*SUBJECTS, "isolated")}
    err.print(f"{len(clips)} clips ({', '.join(f'{n} {s}' for s, n in counts.items())}) in {out}/manifest.jsonl")


@app.command()
def stimuli(
    out: CorpusOut,
    voice: Annotated[list[str] | None, Opt(help=f"Voice id, repeatable (default: every available one of "
                                           f"{', '.join(v.id for v in VOICES)}).")] = None,
    attribute: Attributes = None,
) -> None:
    """Write words-versus-voice clips with offline synthetic voices (flite, espeak-ng).

    Each voice says every claim sentence ("As a mother of three...", "I grew up in Glasgow..."): the
    clips where the claim differs from the voice are conflict clips, the others congruent controls.
    --attribute chooses the claims: sex, regional_accent (default both).
    Then: voiceleak run -c OUT/manifest.jsonl -m MODEL -m probe --cascade -t words-voice:sex
    -t words-voice:regional_accent

    Example: voiceleak stimuli -o stimuli --voice flite-slt --voice flite-awb
    """
    known = {v.id: v for v in VOICES}
    unknown = [v for v in voice or [] if v not in known]
    if unknown:
        raise fail(f"unknown voice(s) {', '.join(unknown)} (known: {', '.join(known)})")
    try:
        clips, missing = build_stimuli(out, [known[v] for v in voice] if voice else None,
                                       tuple(attribute or ("sex", "regional_accent")))
    except (RuntimeError, ValueError) as exc:
        raise fail(str(exc)) from exc
    if missing:
        err.print(f"[yellow]left out (not installed here):[/] {', '.join(missing)}")
    conflict = sum(c.raw_labels.get("condition") == "conflict" for c in clips)
    err.print(f"{len(clips)} clips ({conflict} conflict, {len(clips) - conflict} congruent) of "
              f"{len({c.speaker_id for c in clips})} voices in {out}/manifest.jsonl")


DEMO_STAND_INS = ("probe", "majority", "uniform")
DEMO_CASCADE = "cascade:whisper-tiny+minilm"
#: the cascade transcribes every clip on the CPU: it gets a class-balanced, seeded subset
DEMO_CASCADE_PER_CLASS = 12
BYSTANDER_TASKS = ("bystander:sex", "bystander:sex ask=indirect", "bystander:sex ask=scope",
                   "bystander:sex about=primary", "bystander:sex about=isolated")
WORDS_VOICE_TASKS = ("words-voice:sex", "words-voice:regional_accent")


def demo_listening(out: Path, cascade: bool = True) -> dict[str, Any]:
    """Both families on the demo corpus offline: mixtures of its speakers, synthetic conflict clips;
    the probe and the chance stand-ins on every clip, the offline cascade on a bounded subset."""
    err.print("[bold]Bystanders, and words versus voice[/]: the voiceprint probe (what the voice carries), "
              "the chance stand-ins and the offline cascade (the words only). No audio language model runs "
              "offline: these figures show what the machinery measures.")
    mixtures = out / "corpora" / "mixtures"
    if not (mixtures / "manifest.jsonl").is_file():
        build_mixtures(load_manifest(demo_manifest()), mixtures, MixSettings())
    runs: list[tuple[Path, tuple[str, ...], str]] = [(mixtures, BYSTANDER_TASKS, "bystander")]
    stimuli_dir = out / "corpora" / "stimuli"
    try:
        if not (stimuli_dir / "manifest.jsonl").is_file():
            build_stimuli(stimuli_dir)
        runs.append((stimuli_dir, WORDS_VOICE_TASKS, "words-voice"))
    except RuntimeError as exc:
        err.print(f"[yellow]words versus voice skipped:[/] {exc}")
    results: dict[str, Any] = {}
    for corpus, tasks, name in runs:
        manifest = str(corpus / "manifest.jsonl")
        config = RunConfig(corpus=manifest, models=DEMO_STAND_INS, tasks=tasks)
        results[name] = execute_run(config, RunOptions(out=out / name))
        if cascade:
            config = RunConfig(corpus=manifest, models=(DEMO_CASCADE, "uniform"), tasks=tasks,
                               max_per_class=DEMO_CASCADE_PER_CLASS)
            results[f"{name}-cascade"] = execute_run(config, RunOptions(out=out / f"{name}-cascade"))
    return results


LISTENING_HELP = f"""Bystander privacy and words versus voice on the demo corpus, offline.

The cascade control ({DEMO_CASCADE}) runs on at most {DEMO_CASCADE_PER_CLASS} clips per class and
task (minutes on a CPU); --no-cascade leaves it out.

Example: voiceleak demo-listening -o runs/demo/listening
"""


@app.command("demo-listening", help=LISTENING_HELP)
def demo_listening_command(
    out: RunDir = Path("runs/demo/listening"),
    cascade: Cascade = True,
    fresh: Fresh = False,
) -> None:
    if fresh and out.exists():
        shutil.rmtree(out)
    demo_listening(out, cascade=cascade)
