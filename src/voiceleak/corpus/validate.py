"""Corpus checks before a run: the manifest's lines, the audio behind them, label coverage.

One streamed pass over the manifest. Errors (`problems`) make a manifest fail: unparseable lines,
duplicate ids, missing or unreadable audio, empty or extreme durations, the same audio under two
clips. Warnings do not: classes with too few speakers for speaker-disjoint estimates, speakers
found in two splits, speakers whose labels disagree between clips. Memory grows with the number
of distinct ids, speakers and audio files (a few hundred bytes each), never with the audio itself.
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from voiceleak.attributes import Taxonomy
from voiceleak.audio import SILENCE_PEAK, AudioError, file_hash, scan_audio
from voiceleak.cache import CacheError, KeyValueCache, default_cache_dir
from voiceleak.corpus.manifest import ManifestError, Problem, manifest_file_problem, numbered_lines
from voiceleak.models.crossval import MIN_GROUPS_PER_CLASS
from voiceleak.types import Clip

MIN_SECONDS = 0.3
MAX_SECONDS = 600.0
MISMATCH_SECONDS = 0.5  # a stated duration further than this from the file's is reported
SHOWN = 20  # speakers named in one warning
CLIPPED_SHARE = 0.01  # clips with at least this share of samples at full scale are reported
NO_SPEAKERS = ("NO SPEAKER IDS: no clip has a speaker_id, so every clip counts as its own speaker. Every "
               "interval then resamples clips, not people, and is too narrow; the voiceprint probe cannot "
               "hold speakers out. Add \"speaker_id\" to each manifest line (importers: map the column "
               "that names the speaker, e.g. voiceleak import csv --map speaker_id=COLUMN).")
#: attributes that belong to the person and do not change between their clips; a speaker labelled
#: with two classes of one of them is a labelling error or two people sharing an id. (Language and
#: regional accent vary with what a bilingual speaker speaks; age and weight with when.)
SPEAKER_TRAITS = ("sex", "accent", "education", "social_stratum", "income")


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
    bad_lines: set[int] = field(default_factory=set)  # what `run --skip-bad` leaves out
    splits: dict[str, int] = field(default_factory=dict)  # split -> clips
    split_overlaps: dict[str, list[str]] = field(default_factory=dict)  # speaker -> splits
    raw_labels: dict[str, int] = field(default_factory=dict)  # raw label key -> clips
    labelled_speakers: dict[str, int] = field(default_factory=dict)  # attribute -> distinct speakers

    @property
    def ok(self) -> bool:
        return not self.problems

    def label_coverage(self) -> dict[str, dict[str, float | int]]:
        """Per attribute: clips labelled, their share of all clips, speakers labelled."""
        out: dict[str, dict[str, float | int]] = {}
        for attribute, classes in sorted(self.coverage.items()):
            clips = sum(n for n, _ in classes.values())
            share = round(clips / self.n_clips, 4) if self.n_clips else 0.0
            speakers = self.labelled_speakers.get(attribute, sum(s for _, s in classes.values()))
            out[attribute] = {"clips": clips, "share": share, "speakers": speakers, "classes": len(classes)}
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest": self.manifest, "ok": self.ok, "clips": self.n_clips, "speakers": self.n_speakers,
            "problems": [{**vars(p), "text": str(p)} for p in self.problems], "warnings": self.warnings,
            "bad_clips": sorted(self.bad_clip_ids), "bad_lines": sorted(self.bad_lines),
            "coverage": {a: {c: {"clips": n, "speakers": s} for c, (n, s) in classes.items()}
                         for a, classes in self.coverage.items()},
            "label_coverage": self.label_coverage(), "splits": self.splits,
            "split_overlaps": self.split_overlaps, "raw_labels": self.raw_labels,
        }


@dataclass(frozen=True)
class AudioCheck:
    problem: Problem | None
    file_seconds: float | None = None
    clipped_share: float = 0.0


def check_audio_file(clip: Clip, source: str, line: int | None = None) -> Problem | None:
    """Why the clip's audio cannot be used, or None."""
    return inspect_audio(clip, source, line).problem


def inspect_audio(clip: Clip, source: str, line: int | None = None) -> AudioCheck:
    """Decode the whole file (the hash pass reads every byte anyway): what it is (a directory, a
    symlink loop...), whether it decodes to the end, is truncated, holds NaN or infinite samples, is
    silent or clipped, and whether its length and the clip's segment fit."""
    path = clip.audio_path

    def bad(field_name: str, message: str) -> AudioCheck:
        return AudioCheck(Problem(source, line, field_name, f"{path}: {message}", clip.id))

    try:
        scan = scan_audio(path)
    except AudioError as exc:
        return bad("audio_filepath", exc.problem)
    seconds = scan.seconds
    if seconds <= 0:
        return bad("audio_filepath", "empty audio (0 samples)")
    if scan.declared_bytes is not None:
        return bad("audio_filepath", f"truncated: its header promises {scan.declared_bytes} bytes of audio, "
                   f"the file holds {scan.found_bytes}")
    if scan.nonfinite:
        return bad("audio_filepath", f"{scan.nonfinite} NaN or infinite sample(s)")
    if clip.offset and clip.offset >= seconds:
        return bad("offset", f"offset {clip.offset:g} s is past the end of the file ({seconds:.2f} s)")
    if clip.offset and clip.duration is not None and clip.offset + clip.duration > seconds + 0.05:
        return bad("duration", f"segment {clip.offset:g}-{clip.offset + clip.duration:g} s runs past the end "
                   f"of the file ({seconds:.2f} s)")
    # The runner reads a segment only when there is an offset; otherwise the whole file.
    used = (clip.duration if clip.duration is not None else seconds - clip.offset) if clip.offset else seconds
    if used < MIN_SECONDS or used > MAX_SECONDS:
        return bad("duration", f"{used:.2f} s is outside [{MIN_SECONDS}, {MAX_SECONDS}] s")
    if scan.peak < SILENCE_PEAK:
        return bad("audio_filepath", "silent (no sample above -80 dBFS): a model would be scored on no voice")
    channels_frames = max(scan.frames, 1)
    return AudioCheck(None, seconds, scan.clipped / channels_frames)


def stated_duration_problem(clip: Clip, source: str, line: int | None) -> Problem | None:
    """The duration the manifest states, checked without opening the audio."""
    if clip.duration is None:
        return None
    if clip.duration == 0:
        return Problem(source, line, "duration", "duration is 0 s", clip.id)
    if clip.duration < MIN_SECONDS or clip.duration > MAX_SECONDS:
        return Problem(source, line, "duration", f"{clip.duration:.2f} s is outside "
                       f"[{MIN_SECONDS}, {MAX_SECONDS}] s", clip.id)
    return None


@lru_cache(maxsize=4)
def _hash_store(folder: str) -> KeyValueCache:
    return KeyValueCache(Path(folder) / "file_hashes.sqlite", "file_hashes")


@lru_cache(maxsize=256)
def _cached_hash(path: str, size: int, mtime_ns: int) -> str:
    """Segments of one long recording share a file: hash it once, not once per segment. Hashes also
    persist by (path, size, mtime), so a resumed run does not read every file of the corpus again."""
    key = f"{path}\x1f{size}\x1f{mtime_ns}"
    try:
        store = _hash_store(str(default_cache_dir()))
        stored = store.get(key)
    except CacheError:
        return file_hash(path)  # a read-only cache only costs speed here
    if stored is not None:
        return stored.decode()
    digest = file_hash(path)
    with contextlib.suppress(CacheError):
        store.put(key, digest.encode())
    return digest


def content_key(clip: Clip) -> str:
    stat = clip.audio_path.stat()
    digest = _cached_hash(str(clip.audio_path), stat.st_size, stat.st_mtime_ns)
    return f"{digest}:{clip.offset:g}:{clip.duration if clip.offset else ''}"


class _Scan:
    """The state of one validation pass."""

    def __init__(self, report: ValidationReport, check_audio: bool) -> None:
        self.report = report
        self.check_audio = check_audio
        self.ids: dict[str, int] = {}  # id -> first line
        self.contents: dict[str, tuple[str, str, int]] = {}  # content key -> (clip id, speaker, line)
        self.first_split: dict[str, str] = {}  # speaker -> first split seen
        self.overlaps: dict[str, set[str]] = {}
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.speakers: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.all_speakers: set[str] = set()
        self.splits: Counter[str] = Counter()
        self.raw: Counter[str] = Counter()
        self.mismatched: list[str] = []  # the first few, for the warning
        self.n_mismatched = 0
        self.clipped: list[str] = []
        self.with_speaker = 0

    def bad(self, problem: Problem, line: int) -> None:
        self.report.problems.append(problem)
        self.report.bad_lines.add(line)
        if problem.clip_id:
            self.report.bad_clip_ids.add(problem.clip_id)

    def add(self, clip: Clip, line: int) -> None:
        source = self.report.manifest
        self.report.n_clips += 1
        speaker = sys.intern(clip.speaker_id or clip.id)  # interned: shared by every set that holds it
        self.with_speaker += clip.speaker_id is not None
        self._count(clip, speaker)
        if clip.id in self.ids:
            self.bad(Problem(source, line, "id", f"duplicate id {clip.id!r} (first on line "
                             f"{self.ids[clip.id]})", clip.id), line)
            return
        self.ids[clip.id] = line
        problem = self._audio(clip, line) if self.check_audio else stated_duration_problem(clip, source, line)
        if problem is None and self.check_audio:
            problem = self._duplicate(clip, speaker, line)
        if problem is not None:
            self.bad(problem, line)

    def _count(self, clip: Clip, speaker: str) -> None:
        self.all_speakers.add(speaker)
        for attribute, label in clip.labels.items():
            self.counts[attribute][label] += 1
            self.speakers[attribute][label].add(speaker)
        self.raw.update(clip.raw_labels.keys())
        if clip.split:
            self.splits[clip.split] += 1
            first = self.first_split.setdefault(speaker, clip.split)
            if first != clip.split:
                self.overlaps.setdefault(speaker, {first}).add(clip.split)

    def _audio(self, clip: Clip, line: int) -> Problem | None:
        checked = inspect_audio(clip, self.report.manifest, line)
        seconds = checked.file_seconds
        if checked.clipped_share >= CLIPPED_SHARE:
            self.clipped.append(f"{clip.id} ({checked.clipped_share:.1%})")
        if seconds is not None and not clip.offset and clip.duration is not None \
                and abs(clip.duration - seconds) > MISMATCH_SECONDS:
            self.n_mismatched += 1
            if len(self.mismatched) < 5:
                self.mismatched.append(f"{clip.id} (states {clip.duration:g} s, file has {seconds:.2f} s)")
        return checked.problem

    def _duplicate(self, clip: Clip, speaker: str, line: int) -> Problem | None:
        key = content_key(clip)
        first = self.contents.setdefault(key, (clip.id, speaker, line))
        if first[0] == clip.id:
            return None
        across = f"; across speakers {first[1]!r} and {speaker!r}" if first[1] != speaker else ""
        return Problem(self.report.manifest, line, "audio_filepath",
                       f"same audio as clip {first[0]!r} (line {first[2]}){across}", clip.id)

    def finish(self) -> None:
        report = self.report
        report.n_speakers = len(self.all_speakers)
        report.coverage = {a: {c: (n, len(self.speakers[a][c])) for c, n in classes.items()}
                           for a, classes in self.counts.items()}
        report.splits = dict(self.splits)
        report.raw_labels = dict(self.raw)
        report.labelled_speakers = {a: len(set().union(*by_class.values()))
                                    for a, by_class in self.speakers.items()}
        report.split_overlaps = {s: sorted(v) for s, v in sorted(self.overlaps.items())}
        report.warnings.extend(_thin_classes(report.coverage))
        report.warnings.extend(_split_warning(report.split_overlaps))
        report.warnings.extend(_conflicts(self.speakers))
        if self.clipped:
            more = f" and {len(self.clipped) - SHOWN} more" if len(self.clipped) > SHOWN else ""
            report.warnings.append(f"{len(self.clipped)} clip(s) are clipped (at least {CLIPPED_SHARE:.0%} of "
                                   f"samples at full scale): {', '.join(self.clipped[:SHOWN])}{more}")
        if report.n_clips and not self.with_speaker:
            report.warnings.append(NO_SPEAKERS)
        elif report.n_clips and self.with_speaker < report.n_clips:
            report.warnings.append(f"{report.n_clips - self.with_speaker} clip(s) have no speaker_id and each "
                                   "counts as its own speaker")
        if self.n_mismatched:
            report.warnings.append(f"{self.n_mismatched} clip(s) state a duration more than "
                                   f"{MISMATCH_SECONDS} s from their file's: {', '.join(self.mismatched)}")


def validate_manifest(path: Path | str, check_audio: bool = True,
                      tax: Taxonomy | None = None) -> ValidationReport:
    report = ValidationReport(str(path))
    scan = _Scan(report, check_audio)
    for line, item in numbered_items(path, tax):
        if isinstance(item, Problem):
            scan.bad(item, line)
        else:
            scan.add(item, line)
    scan.finish()
    if report.n_clips == 0 and not report.problems:
        scan.bad(Problem(str(path), None, None, "the manifest holds no clips (empty file)"), 0)
    return report


def numbered_items(path: Path | str,
                   tax: Taxonomy | None = None) -> Iterator[tuple[int, Clip | Problem]]:
    """(line, clip or problem) per non-blank line, streamed (the line is what --skip-bad acts on)."""
    yield from numbered_lines(path, tax)


def _thin_classes(coverage: dict[str, dict[str, tuple[int, int]]]) -> Iterable[str]:
    for attribute, classes in sorted(coverage.items()):
        thin = sorted(c for c, (_, s) in classes.items() if s < MIN_GROUPS_PER_CLASS)
        if thin:
            yield (f"{attribute}: class(es) {', '.join(thin)} have fewer than {MIN_GROUPS_PER_CLASS} "
                   "speakers; speaker-disjoint estimates will exclude them")


def _split_warning(overlaps: dict[str, list[str]]) -> Iterable[str]:
    if overlaps:
        named = ", ".join(f"{s} ({' and '.join(v)})" for s, v in list(overlaps.items())[:SHOWN])
        more = f" and {len(overlaps) - SHOWN} more" if len(overlaps) > SHOWN else ""
        yield (f"{len(overlaps)} speaker(s) appear in more than one split: {named}{more}; a model tuned on "
               "one split has heard them in the other, or two speakers share an id")


def _conflicts(speakers: dict[str, dict[str, set[str]]]) -> Iterable[str]:
    """Speakers labelled with two classes of one of the SPEAKER_TRAITS."""
    for attribute, classes in sorted(speakers.items()):
        if attribute not in SPEAKER_TRAITS:
            continue
        seen: Counter[str] = Counter(s for members in classes.values() for s in members)
        twice = sorted(s for s, n in seen.items() if n > 1)
        if twice:
            more = f" and {len(twice) - SHOWN} more" if len(twice) > SHOWN else ""
            yield (f"{attribute}: {len(twice)} speaker(s) have clips with different classes: "
                   f"{', '.join(twice[:SHOWN])}{more}")


class CorpusInvalidError(ManifestError):
    """The manifest failed validation and the run was not told to skip the bad clips."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.problems)
        self.report = report

    def __str__(self) -> str:
        return (f"{super().__str__()}\nFix them (voiceleak validate {self.report.manifest} lists them all), "
                f"or run with --skip-bad to leave these {len(self.report.bad_lines)} line(s) out.")


def checked_clips(path: Path | str, skip_bad: bool = False, console: Console | None = None,
                  check_audio: bool = True) -> list[Clip]:
    """The clips a run may use: every clip of a valid manifest; of an invalid one, the good clips
    when `skip_bad` (listing what was left out), else CorpusInvalidError."""
    unreadable = manifest_file_problem(Path(path))
    if unreadable is not None:  # nothing to skip: the plain error, without the --skip-bad hint
        raise ManifestError([unreadable])
    report = validate_manifest(path, check_audio=check_audio)
    if not report.ok and not skip_bad:
        raise CorpusInvalidError(report)
    clips = [c for line, c in numbered_items(path) if isinstance(c, Clip) and line not in report.bad_lines]
    if report.ok:
        return clips
    if not clips:
        raise CorpusInvalidError(report)
    out = console or Console(stderr=True)
    out.print(f"[bold yellow]--skip-bad: leaving out {len(report.bad_lines)} manifest line(s) "
              f"that failed validation[/]")
    for problem in report.problems[:50]:
        out.print(f"  [yellow]skipped[/] {escape(str(problem))}", highlight=False)
    if len(report.problems) > 50:
        out.print(f"  ... and {len(report.problems) - 50} more "
                  f"(voiceleak validate {path} --json lists them all)")
    return clips
