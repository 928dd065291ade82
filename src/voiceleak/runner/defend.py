"""`voiceleak defend`: each defense scored as privacy against utility.

Privacy: attribute leakage of the chosen model and of the voiceprint probe (through the normal
Runner and RunLog, so it resumes and caches), and speaker-verification EER for the ignorant, the
lazy-informed and the semi-informed attacker (the last trains on anonymized speech of its own
speakers, split off the corpus: all three are also scored side by side on the remaining speakers).
Utility: word error rate of a recogniser on the defended audio, and the
accuracy of an application task when one is named.

The verification and WER measurements are not model answers, so they are not samples of the log:
their summaries go into the run header under "defend" (where `voiceleak report` finds them again),
the per-trial scores and per-clip transcripts into defense_measurements.json beside it.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

import voiceleak.report.defenses  # noqa: F401  (registers the analysis and the report section)
from voiceleak.attributes import taxonomy
from voiceleak.audio import AudioError
from voiceleak.cache import KeyValueCache, default_cache_dir
from voiceleak.corpus.manifest import load_manifest, write_manifest
from voiceleak.models.asr.base import Transcriber, build_transcriber
from voiceleak.models.voiceprint import VoiceprintEncoder
from voiceleak.runner.context import AudioLoader
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import RunConfig, expand_task_names
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.scoring.verification import (
    SpeakerSplit,
    TooFewSpeakers,
    Trial,
    attack_scores,
    build_trials,
    semi_informed_scores,
    split_speakers,
    verification_metrics,
)
from voiceleak.scoring.wer import WordErrors, wer_metrics, word_errors
from voiceleak.spec import parse_spec
from voiceleak.tasks.base import build_task
from voiceleak.transforms.base import IDENTITY, Transform, TransformContext
from voiceleak.types import Audio, Clip, Request

MEASUREMENTS = "defense_measurements.json"
SUBSET = "clips.jsonl"
_LIST = re.compile(r"^(?P<head>[A-Za-z][\w\-]*:(?:[A-Za-z_][\w.\-]*=)?)"
                   r"(?P<values>[^\s,=]+(?:,[^\s,=]+)+)(?P<rest>\s.*)?$")


def expand_defenses(texts: Sequence[str]) -> list[str]:
    """`mcadams:0.6,0.7,0.8` or `noise:snr=20,10,5 colour=pink`: one spec per value (a curve)."""
    out: list[str] = []
    for text in texts:
        match = _LIST.match(text.strip())
        if match is None:
            out.append(text.strip())
            continue
        rest = match.group("rest") or ""
        out.extend(f"{match.group('head')}{value}{rest}" for value in match.group("values").split(","))
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class DefendConfig:
    corpus: str
    defenses: tuple[str, ...]
    model: str = "probe"
    tasks: tuple[str, ...] = ("sensitive",)  # every labelled sensitive closed-set attribute
    utility_task: str | None = None
    asr: str | None = "whisper-tiny"
    asr_clips: int = 24  # WER subset: Whisper costs about a second per clip and condition on CPU
    clips_per_speaker: int | None = None
    max_per_class: int | None = None
    trials_per_speaker: int = 20
    voiceprint_rate: int = 8000  # the probe's channel band-limit, so both attackers share voiceprints
    semi_informed: bool = True
    train_fraction: float = 0.5  # of the speakers, for the semi-informed attacker's training
    train_clips_per_speaker: int = 20  # its training clips per training speaker (seeded)
    # its back-end (scoring.verification.train_backend): "centred" (cosine after centring on its
    # anonymized training speakers), "wccn", "lda" or "logistic". On the demo's 5 training speakers
    # the learned ones (lda, logistic) overfit and did worse than centring; see the issue-18 note.
    backend: str = "centred"
    seed: int = 0


def select_per_speaker(clips: Sequence[Clip], per_speaker: int, seed: int) -> list[Clip]:
    """Up to `per_speaker` clips of each speaker (seeded), in corpus order."""
    by_speaker: dict[str, list[Clip]] = defaultdict(list)
    for clip in clips:
        by_speaker[clip.speaker_id or clip.id].append(clip)
    rng = random.Random(f"subset:{seed}")
    chosen = {c.id for speaker in sorted(by_speaker)
              for c in rng.sample(by_speaker[speaker], min(per_speaker, len(by_speaker[speaker])))}
    return [c for c in clips if c.id in chosen]


def select_wer_clips(clips: Sequence[Clip], total: int, language: str | None, seed: int) -> list[Clip]:
    """Clips with a reference text (in the recogniser's language, when it has one), spread evenly
    over speakers: round robin over seeded per-speaker orders until `total` are chosen."""
    usable = [c for c in clips
              if c.text and (language is None or c.labels.get("language", language) == language)]
    by_speaker: dict[str, list[Clip]] = defaultdict(list)
    for clip in usable:
        by_speaker[clip.speaker_id or clip.id].append(clip)
    rng = random.Random(f"wer:{seed}")
    queues = [rng.sample(members, len(members)) for _, members in sorted(by_speaker.items())]
    chosen: list[Clip] = []
    while len(chosen) < total and any(queues):
        for queue in queues:
            if queue and len(chosen) < total:
                chosen.append(queue.pop())
    return sorted(chosen, key=lambda c: c.id)


class Conditions:
    """Clean or defended audio of any clip, for any condition of the run (transforms are memoised)."""

    def __init__(self, clips: Sequence[Clip], transforms: Mapping[str, Transform]) -> None:
        self.clips = {c.id: c for c in clips}
        self.transforms = transforms
        self.load = AudioLoader(capacity=1024)

    def audio(self, clip_id: str, condition: str) -> Audio:
        clip = self.clips[clip_id]
        audio = self.load(clip)
        if condition == IDENTITY:
            return audio
        request = Request(f"defend:{clip_id}", "", audio)
        defended = self.transforms[condition](request, TransformContext(clip, lambda _: None)).audio
        if defended is None:
            raise ValueError(f"{condition} removed the audio of {clip_id}")
        return defended


def changes_audio(transform: Transform) -> bool:
    return bool(getattr(transform, "changes_audio", True))


@dataclass(frozen=True)
class SemiInformed:
    """What the semi-informed attacker is given: its training clips (by speaker), the evaluation
    trials (speakers disjoint from its training speakers) and its back-end."""

    split: SpeakerSplit
    train_clips: Mapping[str, str]  # clip id -> speaker
    trials: Sequence[Trial]
    backend: str
    seed: int


def plan_semi_informed(clips: Sequence[Clip], config: DefendConfig) -> SemiInformed | str:
    """The split, training clips and evaluation trials; or, when the corpus is too small, the reason."""
    try:
        split = split_speakers(clips, config.train_fraction, config.seed)
    except TooFewSpeakers as exc:
        return str(exc)
    training = select_per_speaker([c for c in clips if c.speaker_id in split.train],
                                  config.train_clips_per_speaker, config.seed)
    trials = build_trials([c for c in clips if c.speaker_id in split.evaluation],
                          config.trials_per_speaker, config.seed)
    if not trials:
        return "no evaluation trials: the evaluation speakers have too few clips"
    return SemiInformed(split, {c.id: str(c.speaker_id) for c in training}, trials, config.backend, config.seed)


def measure_verification(conditions: Conditions, names: Sequence[str], trials: Sequence[Trial],
                         encoder: VoiceprintEncoder, resamples: int,
                         semi: SemiInformed | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """EER/minDCF per condition and attacker, and the raw scores.

    Ignorant and lazy-informed: on `trials` (every speaker). With `semi`, all three attackers again
    on its evaluation trials ("evaluation_split"), the semi-informed one trained on its own speakers;
    "semi_informed" at the top level is that same figure."""
    summary: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for name in names:
        memo: dict[tuple[str, bool], np.ndarray] = {}

        def embed(ids: Sequence[str], defended: bool, name: str = name,
                  memo: dict[tuple[str, bool], np.ndarray] = memo) -> dict[str, np.ndarray]:
            missing = [i for i in ids if (i, defended) not in memo]
            audios = [conditions.audio(i, name if defended else IDENTITY) for i in missing]
            for i, vector in zip(missing, encoder.embed(audios) if audios else [], strict=True):
                memo[(i, defended)] = vector
            return {i: memo[(i, defended)] for i in ids}

        scores: dict[str, Any] = {"ignorant": attack_scores(trials, embed, informed=False),
                                  "lazy_informed": attack_scores(trials, embed, informed=True)}
        summary[name] = {k: verification_metrics(v, trials, resamples) for k, v in scores.items()}
        if semi is not None:
            split_scores = {"ignorant": attack_scores(semi.trials, embed, informed=False),
                            "lazy_informed": attack_scores(semi.trials, embed, informed=True),
                            "semi_informed": semi_informed_scores(semi.trials, semi.train_clips, embed,
                                                                  semi.backend, semi.seed)}
            split_summary = {k: verification_metrics(v, semi.trials, resamples) for k, v in split_scores.items()}
            summary[name]["semi_informed"] = split_summary["semi_informed"]
            summary[name]["evaluation_split"] = split_summary
            scores["evaluation_split"] = split_scores
        raw[name] = {k: ({a: [round(x, 5) for x in v2] for a, v2 in v.items()} if isinstance(v, dict)
                         else [round(x, 5) for x in v]) for k, v in scores.items()}
    return summary, raw


def transcribe_cached(transcriber: Transcriber, audios: Sequence[Audio]) -> list[str]:
    """Transcripts keyed on the recogniser's identity and the audio content: reruns cost nothing."""
    cache = KeyValueCache(default_cache_dir() / "transcripts.sqlite", "transcripts")
    identity = hashlib.sha256(json.dumps(dict(transcriber.identity()), sort_keys=True, default=str).encode())
    keys = [f"{identity.hexdigest()[:16]}:{a.content_hash()}" for a in audios]
    found = {k: cache.get(k) for k in keys}
    missing = [i for i, k in enumerate(keys) if found[k] is None]
    if missing:
        for i, text in zip(missing, transcriber.transcribe([audios[i] for i in missing]), strict=True):
            cache.put(keys[i], text.encode("utf-8"))
            found[keys[i]] = text.encode("utf-8")
    cache.close()
    return [(found[k] or b"").decode("utf-8") for k in keys]


def measure_wer(conditions: Conditions, names: Sequence[str], clips: Sequence[Clip], transcriber: Transcriber,
                resamples: int, console: Console | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """WER per condition; a progress bar per condition, since recognition takes seconds per clip."""
    from rich.progress import Progress

    summary: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    with Progress(console=console or Console(stderr=True), transient=True) as progress:
        bar = progress.add_task("utility (transcription)", total=len(names) * len(clips))
        for name in names:
            hypotheses = []
            for clip in clips:  # one clip at a time, so the bar moves as recognition does
                hypotheses.extend(transcribe_cached(transcriber, [conditions.audio(clip.id, name)]))
                progress.advance(bar)
            summary[name], raw[name] = _wer_of(clips, hypotheses)
    return summary, raw


def _wer_of(clips: Sequence[Clip], hypotheses: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    counts: list[WordErrors] = [word_errors(c.text or "", h) for c, h in zip(clips, hypotheses, strict=True)]
    return (wer_metrics(counts, [c.speaker_id or c.id for c in clips]),
            {c.id: {"hypothesis": h, **asdict(e)} for c, h, e in zip(clips, hypotheses, counts, strict=True)})


def privacy_tasks(names: Sequence[str], clips: Sequence[Clip]) -> list[str]:
    """Task names, with `sensitive` standing for every labelled sensitive closed-set attribute."""
    labelled = {attribute for clip in clips for attribute in clip.labels}
    out: list[str] = []
    for name in names:
        if name.strip() == "sensitive":
            out.extend(f"attribute:{a.name}" for a in taxonomy() if a.sensitive and not a.open_set
                       and a.name in labelled)
        else:
            out.extend(expand_task_names([name], clips))
    return [build_task(n).name for n in dict.fromkeys(out)]


def _describe(name: str, transform: Transform) -> dict[str, Any]:
    return {"name": name, "family": parse_spec(name).family, "strength": getattr(transform, "strength", None),
            "severity": getattr(transform, "severity", None), "changes_audio": changes_audio(transform)}


def plan_run(config: DefendConfig, out: Path) -> tuple[RunConfig, str | None]:
    """The runner's matrix (model and probe x privacy and utility tasks x clean and defenses)."""
    corpus = config.corpus
    if config.clips_per_speaker:
        subset = select_per_speaker(load_manifest(corpus), config.clips_per_speaker, config.seed)
        out.mkdir(parents=True, exist_ok=True)
        write_manifest(out / SUBSET, subset)  # the run's corpus: hashed in its header like any other
        corpus = str(out / SUBSET)
    utility_task = build_task(config.utility_task).name if config.utility_task else None
    privacy = [t for t in privacy_tasks(config.tasks, load_manifest(corpus)) if t != utility_task]
    run_config = RunConfig(corpus=corpus, models=tuple(dict.fromkeys([config.model, "probe"])),
                           tasks=(*privacy, *([utility_task] if utility_task else [])),
                           transforms=(IDENTITY, *expand_defenses(config.defenses)),
                           max_per_class=config.max_per_class, seed=config.seed)
    return run_config, utility_task


def readable(conditions: Conditions, clips: Sequence[Clip]) -> list[Clip]:
    """Clips whose audio loads: a corrupt file is an error of the runner's log, not a crash here."""
    out = []
    for clip in clips:
        try:
            conditions.audio(clip.id, IDENTITY)
        except AudioError:
            continue
        out.append(clip)
    return out


def measure(config: DefendConfig, runner: Runner, resamples: int,
            console: Console) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verification and WER per condition: the summaries, and the raw scores and transcripts."""
    names = list(runner.transforms)
    conditions = Conditions(runner.clips, runner.transforms)
    clips = readable(conditions, runner.clips)
    audible = [n for n in names if n == IDENTITY or changes_audio(runner.transforms[n])]
    trials = build_trials(clips, config.trials_per_speaker, config.seed)
    console.print(f"speaker verification: {len(trials)} trials x {len(audible)} condition(s) x 2 attackers")
    semi = plan_semi_informed(clips, config) if config.semi_informed else "not asked for"
    if isinstance(semi, str):
        console.print(f"[yellow]semi-informed attacker: not run: {semi}[/]")
    else:
        console.print(f"semi-informed attacker ({semi.backend} back-end): trains on anonymized speech of "
                      f"{len(semi.split.train)} speakers ({len(semi.train_clips)} clips), all three attackers "
                      f"scored on {len(semi.trials)} trials of the other {len(semi.split.evaluation)}")
    encoder = VoiceprintEncoder(channel_rate=config.voiceprint_rate)
    verification, scores = measure_verification(conditions, audible, trials, encoder, resamples,
                                                None if isinstance(semi, str) else semi) \
        if trials else ({}, {})
    utility: dict[str, Any] = {}
    transcripts: dict[str, Any] = {}
    asr_identity: dict[str, Any] | None = None
    wer_clips: list[Clip] = []
    if config.asr:
        transcriber = build_transcriber(config.asr)
        asr_identity = dict(transcriber.identity())
        wer_clips = select_wer_clips(clips, config.asr_clips, getattr(transcriber, "language", None), config.seed)
        if wer_clips:
            console.print(f"utility: {config.asr} on {len(wer_clips)} clips x {len(audible)} condition(s)")
            utility, transcripts = measure_wer(conditions, audible, wer_clips, transcriber, resamples, console)
    for name in names:  # prompt and reply defenses hear the clean audio: same measurements as clean
        if name not in audible:
            verification[name] = {**verification.get(IDENTITY, {}), "same_as": IDENTITY}
            utility[name] = {**utility.get(IDENTITY, {}), "same_as": IDENTITY} if utility else {}
    block = {
        "conditions": [_describe(n, runner.transforms[n]) for n in names],
        "verification": verification, "utility": utility, "asr": asr_identity,
        "settings": {"source_corpus": str(Path(config.corpus).resolve()),
                     "clips_per_speaker": config.clips_per_speaker, "asr_clips": [c.id for c in wer_clips],
                     "trials_per_speaker": config.trials_per_speaker, "n_trials": len(trials),
                     "voiceprint_rate": config.voiceprint_rate, "seed": config.seed,
                     "semi_informed": _describe_semi(semi, config)},
    }
    evaluation_trials = [] if isinstance(semi, str) else [asdict(t) for t in semi.trials]
    return block, {"trials": [asdict(t) for t in trials], "evaluation_trials": evaluation_trials,
                   "scores": scores, "transcripts": transcripts}


def _describe_semi(semi: SemiInformed | str, config: DefendConfig) -> dict[str, Any]:
    if isinstance(semi, str):
        return {"status": "not_run", "reason": semi}
    return {"status": "ok", "backend": semi.backend, "train_fraction": config.train_fraction,
            **semi.split.to_dict(), "n_train_clips": len(semi.train_clips), "n_trials": len(semi.trials),
            "train_clips_per_speaker": config.train_clips_per_speaker}


def run_defend(config: DefendConfig, out: Path, console: Console | None = None, resamples: int = 1000,
               quiet: bool = False, before_sending: Callable[[Runner], None] | None = None) -> dict[str, Any]:
    """Run (or resume) the matrix, measure verification and WER, and report; returns results.json.

    `before_sending` sees the planned runner before any request goes out (the CLI states and caps it)."""
    console = console or Console(stderr=True)
    run_config, utility_task = plan_run(config, out)
    runner = Runner(run_config, RunOptions(out=out, resamples=resamples, quiet=quiet), console=console)
    if before_sending is not None:
        before_sending(runner)
    runner.execute()
    block, raw = measure(config, runner, resamples, console)
    RunLog(out).update_header(defend={
        "model": next(iter(runner.models)), "probe": "probe", "utility_task": utility_task,
        "tasks": [t for t in runner.tasks if t != utility_task], **block})
    (out / MEASUREMENTS).write_text(json.dumps(raw, indent=1), encoding="utf-8")
    return runner.finish()
