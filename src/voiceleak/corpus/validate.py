"""Corpus checks before a run: the manifest's lines, the audio behind them, label coverage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import soundfile as sf

from voiceleak.corpus.manifest import Problem, iter_manifest
from voiceleak.models.crossval import MIN_GROUPS_PER_CLASS
from voiceleak.types import Clip

MIN_SECONDS = 0.3
MAX_SECONDS = 600.0


@dataclass
class ValidationReport:
    manifest: str
    n_clips: int = 0
    n_speakers: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: attribute -> class -> (clips, speakers)
    coverage: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    bad_clip_ids: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest": self.manifest, "ok": self.ok, "clips": self.n_clips, "speakers": self.n_speakers,
            "problems": [vars(p) for p in self.problems], "warnings": self.warnings,
            "coverage": {a: {c: {"clips": n, "speakers": s} for c, (n, s) in classes.items()}
                         for a, classes in self.coverage.items()},
        }


def check_audio_file(clip: Clip, source: str) -> Problem | None:
    path = clip.audio_path
    if not path.is_file():
        return Problem(source, None, "audio_filepath", f"{path}: file not found", clip.id)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as exc:
        return Problem(source, None, "audio_filepath", f"{path}: unreadable or corrupt audio ({exc})", clip.id)
    seconds = info.frames / info.samplerate if info.samplerate else 0.0
    if seconds <= 0:
        return Problem(source, None, "audio_filepath", f"{path}: empty audio (0 samples)", clip.id)
    if seconds < MIN_SECONDS or seconds > MAX_SECONDS:
        return Problem(source, None, "duration", f"{path}: {seconds:.2f} s is outside "
                       f"[{MIN_SECONDS}, {MAX_SECONDS}] s", clip.id)
    return None


def validate_manifest(path: Path | str, check_audio: bool = True) -> ValidationReport:
    report = ValidationReport(str(path))
    seen: set[str] = set()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    speakers: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    all_speakers: set[str] = set()
    for item in iter_manifest(path):
        if isinstance(item, Problem):
            report.problems.append(item)
            continue
        report.n_clips += 1
        if item.id in seen:
            report.problems.append(Problem(str(path), None, "id", f"duplicate id {item.id!r}", item.id))
        seen.add(item.id)
        if check_audio and (problem := check_audio_file(item, str(path))):
            report.problems.append(problem)
            report.bad_clip_ids.add(item.id)
        speaker = item.speaker_id or item.id
        all_speakers.add(speaker)
        for attribute, label in item.labels.items():
            counts[attribute][label] += 1
            speakers[attribute][label].add(speaker)
    report.n_speakers = len(all_speakers)
    report.coverage = {a: {c: (n, len(speakers[a][c])) for c, n in classes.items()} for a, classes in counts.items()}
    report.warnings.extend(_thin_classes(report.coverage))
    return report


def _thin_classes(coverage: dict[str, dict[str, tuple[int, int]]]) -> Iterable[str]:
    for attribute, classes in sorted(coverage.items()):
        thin = sorted(c for c, (_, s) in classes.items() if s < MIN_GROUPS_PER_CLASS)
        if thin:
            yield (f"{attribute}: class(es) {', '.join(thin)} have fewer than {MIN_GROUPS_PER_CLASS} speakers; "
                   "speaker-disjoint estimates will exclude them")
