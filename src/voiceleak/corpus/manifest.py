"""The corpus manifest: JSON lines with NeMo-compatible keys plus our own.

    {"id": "c1", "audio_filepath": "audio/c1.flac", "duration": 2.4, "offset": 0.0, "text": "...",
     "speaker_id": "spk1", "labels": {"sex": "Female", "language": "en"},
     "provenance": "...", "license": "CC-BY-SA-3.0"}

Relative paths resolve against the manifest's folder. Every audio path must lie under the manifest's
folder, a folder the user allows (VOICELEAK_AUDIO_ROOTS) or a source folder voiceleak recorded when it
wrote the manifest (`corpus/roots.py`): `../../etc/passwd` and `/etc/passwd` are both refused.
Reading is streamed (one line at a time), and every problem names the file, the line and the field,
a line that is not UTF-8 or nests too deeply included.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceleak.attributes import Taxonomy, UnknownAttributeError, taxonomy
from voiceleak.corpus.roots import AUDIO_ROOTS_ENV, allowed_roots, folders_of, record_roots
from voiceleak.types import Clip

REQUIRED = ("id", "audio_filepath")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


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
    for _, item in numbered_lines(path, tax):
        yield item


def manifest_file_problem(path: Path) -> Problem | None:
    """Why `path` cannot be read as a manifest at all (missing, a directory, UTF-16...), or None."""
    if path.is_dir():
        return Problem(str(path), None, None, "is a directory, not a manifest file")
    if not path.is_file():
        return Problem(str(path), None, None, "manifest file not found")
    try:
        with open(path, "rb") as handle:
            start = handle.read(4)
    except OSError as exc:
        return Problem(str(path), None, None, f"cannot read the manifest ({exc.strerror or exc})")
    if start.startswith(_UTF16_BOMS) or (len(start) >= 2 and b"\x00" in start[:2]):
        return Problem(str(path), None, None, "the manifest is UTF-16 text; save it as UTF-8 (JSON lines)")
    return None


def numbered_lines(path: Path | str, tax: Taxonomy | None = None) -> Iterator[tuple[int, Clip | Problem]]:
    """(line, clip or problem) per non-blank line, streamed; a line that is not UTF-8 is a problem
    naming its line, never an exception that ends the pass. A file that cannot be read at all is one
    problem at line 0."""
    path = Path(path)
    trouble = manifest_file_problem(path)
    if trouble is not None:
        yield 0, trouble
        return
    tax = tax or taxonomy()
    roots = allowed_roots(path)
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, Problem(str(path), number, None, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                                      f"column {exc.start + 1}; Latin-1?); save the manifest as UTF-8")
                continue
            if line.strip():
                yield number, parse_line(line, number, str(path), path.parent, tax, roots)


def path_problem(audio: Path, base: Path, roots: list[Path] | None) -> str | None:
    """Why the manifest may not point at `audio`: a path outside the manifest's folder and every allowed
    root. Checked on the written path (symlinks inside the folder are the user's own choice)."""
    resolved = Path(os.path.abspath(audio if audio.is_absolute() else base / audio))
    home = Path(os.path.abspath(base))
    if resolved.is_relative_to(home) or any(resolved.is_relative_to(r) for r in roots or ()):
        return None
    return (f"{audio} is outside the manifest's folder ({home}); to read audio there, allow its folder: "
            f"{AUDIO_ROOTS_ENV}={resolved.parent} (manifests that voiceleak wrote, `voiceleak import` "
            "included, are allowed their source folders)")


def parse_line(line: str, number: int, source: str, base: Path, tax: Taxonomy,
               roots: list[Path] | None = None) -> Clip | Problem:
    def problem(field: str | None, message: str) -> Problem:
        return Problem(source, number, field, message)

    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return problem(None, f"not valid JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return problem(None, "JSON nested too deeply (a manifest line is one flat object)")
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
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)
                                  or not math.isfinite(value) or value < 0):
            return problem(key, f"must be a non-negative finite number, got {value!r}")
        numbers[key] = float(value) if value is not None else None
    raw_labels = row.get("raw_labels") or {}
    if not isinstance(raw_labels, dict):
        return problem("raw_labels", "must be an object mapping a label name to its value")
    audio = Path(row["audio_filepath"])
    outside = path_problem(audio, base, roots)
    if outside is not None:
        return problem("audio_filepath", outside)
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
        raw_labels={str(k): str(v) for k, v in raw_labels.items()},
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
    if not problems and not clips:
        problems.append(Problem(str(path), None, None, "the manifest holds no clips (empty file)"))
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
    """Write clips as JSON lines, paths relative to the manifest's folder where possible; the folders
    outside it are recorded as this manifest's sources (`corpus.roots`), so it may read them back."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    audio: list[Path] = []
    with open(path, "w", encoding="utf-8") as handle:
        for clip in clips:
            handle.write(json.dumps(clip_to_row(clip, path.parent), ensure_ascii=False) + "\n")
            audio.append(clip.audio_path)
            count += 1
    record_roots(path, folders_of(audio, path.parent))
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
