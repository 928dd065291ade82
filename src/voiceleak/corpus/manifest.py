"""The corpus manifest: JSON lines with NeMo-compatible keys plus our own.

    {"id": "c1", "audio_filepath": "audio/c1.flac", "duration": 2.4, "offset": 0.0, "text": "...",
     "speaker_id": "spk1", "labels": {"sex": "Female", "language": "en"},
     "provenance": "...", "license": "CC-BY-SA-3.0"}

Relative paths resolve against the manifest's folder. Reading is streamed (one line at a time),
and every problem names the file, the line and the field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceleak.attributes import Taxonomy, UnknownAttributeError, taxonomy
from voiceleak.types import Clip

REQUIRED = ("id", "audio_filepath")


@dataclass(frozen=True)
class Problem:
    """Something wrong with one manifest line (or one clip's audio)."""

    source: str
    line: int | None
    field: str | None
    message: str
    clip_id: str | None = None

    def __str__(self) -> str:
        where = self.source + (f", line {self.line}" if self.line else "")
        where += f", field {self.field}" if self.field else ""
        return f"{where}: {self.message}"


class ManifestError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in the manifest:\n{shown}{more}")


def iter_manifest(path: Path | str, tax: Taxonomy | None = None) -> Iterator[Clip | Problem]:
    """Yield a Clip per valid line and a Problem per invalid one, streaming."""
    path = Path(path)
    if not path.is_file():
        yield Problem(str(path), None, None, "manifest file not found")
        return
    tax = tax or taxonomy()
    base = path.parent
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            yield parse_line(line, number, str(path), base, tax)


def parse_line(line: str, number: int, source: str, base: Path, tax: Taxonomy) -> Clip | Problem:
    def problem(field: str | None, message: str) -> Problem:
        return Problem(source, number, field, message)

    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return problem(None, f"not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(row, dict):
        return problem(None, "a manifest line must be a JSON object")
    for key in REQUIRED:
        if not isinstance(row.get(key), str) or not row[key].strip():
            return problem(key, "missing or not a non-empty string")
    labels = row.get("labels") or {}
    if not isinstance(labels, dict):
        return problem("labels", "must be an object mapping attribute to class")
    canonical: dict[str, str] = {}
    for attribute, value in labels.items():
        found = _canonical_label(tax, attribute, value)
        if isinstance(found, str):
            return problem(f"labels.{attribute}", found)
        canonical[found[0]] = found[1]
    numbers: dict[str, float | None] = {}
    for key in ("duration", "offset"):
        value = row.get(key)
        if value is not None and (not isinstance(value, int | float) or value < 0):
            return problem(key, f"must be a non-negative number, got {value!r}")
        numbers[key] = float(value) if value is not None else None
    audio = Path(row["audio_filepath"])
    return Clip(
        id=row["id"],
        audio_path=audio if audio.is_absolute() else base / audio,
        speaker_id=_opt_str(row.get("speaker_id")),
        labels=canonical,
        text=_opt_str(row.get("text")),
        provenance=str(row.get("provenance") or ""),
        license=_opt_str(row.get("license")),
        duration=numbers["duration"],
        offset=numbers["offset"] or 0.0,
        raw_labels={str(k): str(v) for k, v in (row.get("raw_labels") or {}).items()},
        split=_opt_str(row.get("split")),
    )


def _canonical_label(tax: Taxonomy, attribute: str, value: Any) -> tuple[str, str] | str:
    """(attribute, class) for a valid label, else the message explaining why not."""
    try:
        spec = tax.get(attribute)
    except UnknownAttributeError as exc:
        return str(exc)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return f"class must be a string, got {value!r}"
    label = spec.canonical(str(value))
    if label is None:
        return f"{value!r} is not a class of {spec.name} (classes: {', '.join(spec.classes)})"
    return spec.name, label


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def load_manifest(path: Path | str, tax: Taxonomy | None = None) -> list[Clip]:
    """All clips, or ManifestError listing every invalid line (duplicate ids included)."""
    clips: list[Clip] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(iter_manifest(path, tax), start=1):
        if isinstance(item, Problem):
            problems.append(item)
        elif item.id in seen:
            problems.append(Problem(str(path), None, "id", f"duplicate id {item.id!r}", item.id))
        else:
            seen[item.id] = number
            clips.append(item)
    if problems:
        raise ManifestError(problems)
    return clips


def clip_to_row(clip: Clip, base: Path | None = None) -> dict[str, Any]:
    audio = clip.audio_path
    if base is not None:
        try:
            audio = audio.resolve().relative_to(base.resolve())
        except ValueError:
            audio = audio.resolve()
    row: dict[str, Any] = {
        "id": clip.id,
        "audio_filepath": str(audio),
        "duration": clip.duration,
        "offset": clip.offset,
        "text": clip.text,
        "speaker_id": clip.speaker_id,
        "labels": dict(clip.labels),
        "provenance": clip.provenance,
        "license": clip.license,
    }
    if clip.raw_labels:
        row["raw_labels"] = dict(clip.raw_labels)
    if clip.split:
        row["split"] = clip.split
    return row


def write_manifest(path: Path | str, clips: Iterable[Clip]) -> int:
    """Write clips as JSON lines, paths relative to the manifest's folder where possible."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for clip in clips:
            handle.write(json.dumps(clip_to_row(clip, path.parent), ensure_ascii=False) + "\n")
            count += 1
    return count


def manifest_hash(path: Path | str) -> str:
    """Fingerprint of the manifest text, recorded in every run header."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()[:24]


def label_counts(clips: Iterable[Clip]) -> Mapping[str, Mapping[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for clip in clips:
        for attribute, label in clip.labels.items():
            counts.setdefault(attribute, {}).setdefault(label, 0)
            counts[attribute][label] += 1
    return counts
