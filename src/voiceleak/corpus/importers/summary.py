"""What an import did: clips written, labels mapped, values kept raw, rows refused and why.

Everything here is bounded, so a summary of millions of rows stays small: at most MAX_PROBLEMS
problems are kept (all are counted) and at most MAX_VALUES distinct raw values per key.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from voiceleak.attributes import Taxonomy
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip

MAX_PROBLEMS = 1000
MAX_VALUES = 50
OTHER = "(other values)"


@dataclass
class ImportSummary:
    kind: str
    source: str
    manifest: str
    clips: int = 0
    rows_failed: int = 0
    problems: list[Problem] = field(default_factory=list)
    labels: dict[str, Counter[str]] = field(default_factory=dict)  # attribute -> class -> clips
    raw: dict[str, Counter[str]] = field(default_factory=dict)  # corpus key -> value -> clips
    missing: Counter[str] = field(default_factory=Counter)  # corpus key -> blank/unknown values
    notes: Counter[str] = field(default_factory=Counter)
    splits: Counter[str] = field(default_factory=Counter)
    audio_missing: int = 0
    audio_missing_examples: list[str] = field(default_factory=list)
    seconds: float = 0.0
    _speakers: set[str] = field(default_factory=set, repr=False)

    @property
    def speakers(self) -> int:
        return len(self._speakers)

    @property
    def ok(self) -> bool:
        return self.rows_failed == 0

    def add_clip(self, clip: Clip) -> None:
        self.clips += 1
        if clip.speaker_id:
            self._speakers.add(clip.speaker_id)
        if clip.split:
            self.splits[clip.split] += 1
        for attribute, label in clip.labels.items():
            self.labels.setdefault(attribute, Counter())[label] += 1
        for key, value in clip.raw_labels.items():
            counts = self.raw.setdefault(key, Counter())
            # Bounded: past MAX_VALUES distinct values (speaker names ...) new ones are pooled.
            counts[value if value in counts or len(counts) < MAX_VALUES else OTHER] += 1

    def add_problem(self, problem: Problem) -> None:
        self.rows_failed += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def add_missing_audio(self, path: str) -> None:
        self.audio_missing += 1
        if len(self.audio_missing_examples) < 5:
            self.audio_missing_examples.append(path)

    def split_raw(self, tax: Taxonomy) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]]]:
        """(unmapped, extra): raw values of keys that name a taxonomy attribute but did not map onto
        a class, and raw values of keys the taxonomy does not have (race, emotion, names)."""
        unmapped: dict[str, Counter[str]] = {}
        extra: dict[str, Counter[str]] = {}
        for key, counts in self.raw.items():
            name = tax.resolve(key)
            is_closed = name is not None and not tax.get(name).open_set
            (unmapped if is_closed else extra)[key] = counts
        return unmapped, extra

    def to_dict(self, tax: Taxonomy) -> dict[str, Any]:
        unmapped, extra = self.split_raw(tax)
        return {
            "kind": self.kind,
            "source": self.source,
            "manifest": self.manifest,
            "ok": self.ok,
            "clips": self.clips,
            "speakers": self.speakers,
            "splits": dict(self.splits),
            "rows_failed": self.rows_failed,
            "seconds": round(self.seconds, 2),
            "problems": [{**vars(p), "text": str(p)} for p in self.problems],
            "labels": {a: dict(c.most_common()) for a, c in sorted(self.labels.items())},
            "unmapped": {k: dict(c.most_common()) for k, c in sorted(unmapped.items())},
            "kept_raw": {k: dict(c.most_common()) for k, c in sorted(extra.items())},
            "missing": dict(self.missing.most_common()),
            "notes": dict(self.notes.most_common()),
            "audio_missing": self.audio_missing,
            "audio_missing_examples": self.audio_missing_examples,
        }
