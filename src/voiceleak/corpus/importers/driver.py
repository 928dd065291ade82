"""Run an importer: stream its clips into a manifest, fill durations, and summarise.

The manifest is written to a temporary name and renamed at the end, so an interrupted import
never leaves a half manifest that looks complete.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import soundfile as sf

from voiceleak.attributes import Taxonomy, taxonomy
from voiceleak.corpus.importers.base import Found, ImportContext, ImportSourceError, importers
from voiceleak.corpus.importers.summary import ImportSummary
from voiceleak.corpus.manifest import Problem, clip_to_row
from voiceleak.corpus.roots import record_roots
from voiceleak.types import Clip


def import_corpus(
    kind: str,
    source: Path | str,
    manifest: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    limit: int | None = None,
    probe: bool = True,
    tax: Taxonomy | None = None,
) -> ImportSummary:
    """Import the corpus at `source` into `manifest`; raises ImportSourceError if it is not one."""
    importer = importers.get(kind)
    if mapping and not getattr(importer, "takes_map", False):
        raise ImportSourceError(
            f"the {kind} importer reads its corpus's own columns and takes no --map (the csv, hf and nemo importers do)"
        )
    source, manifest = Path(source), Path(manifest)
    if not source.exists():
        raise ImportSourceError(f"{source}: not found")
    tax = tax or taxonomy()
    ctx = ImportContext(source=source, out_dir=manifest.parent.resolve(), tax=tax, mapping=dict(mapping or {}))
    summary = ImportSummary(kind, str(source), str(manifest))
    started = time.perf_counter()
    partial = manifest.with_name(manifest.name + ".partial")
    try:
        _write(partial, _accepted(importer(ctx), summary, limit, probe))
        os.replace(partial, manifest)
        record_roots(manifest, [source if source.is_dir() else source.parent])  # it may read its source
    finally:
        partial.unlink(missing_ok=True)
    summary.missing.update(ctx.labels.missing)
    summary.notes.update(ctx.notes)
    summary.seconds = time.perf_counter() - started
    return summary


def _accepted(
    items: Iterator[Found | Problem], summary: ImportSummary, limit: int | None, probe: bool
) -> Iterator[Clip]:
    # id -> (table index, line) where it was first imported, or None for a clip that is its own
    # file (VoxCeleb, TIMIT ...): table names are few, so 100k ids cost ~15 MB, not a path each.
    seen: dict[str, tuple[int, int] | None] = {}
    tables: list[str] = []
    for item in items:
        if isinstance(item, Problem):
            summary.add_problem(item)
            continue
        clip = item.clip
        if clip.id in seen:
            summary.add_problem(_duplicate(item, seen[clip.id], tables))
            continue
        if item.line is None:
            seen[clip.id] = None
        else:
            if not tables or tables[-1] != item.file:
                tables.append(item.file)
            seen[clip.id] = (len(tables) - 1, item.line)
        if probe:
            clip = _with_duration(clip, summary)
        summary.add_clip(clip)
        yield clip
        if limit is not None and summary.clips >= limit:
            break


def _duplicate(item: Found, first: tuple[int, int] | None, tables: list[str]) -> Problem:
    where = f"first imported from {tables[first[0]]}, line {first[1]}" if first else "an earlier file has it"
    return Problem(item.file, item.line, "id", f"duplicate id {item.clip.id!r} ({where})", item.clip.id)


def _with_duration(clip: Clip, summary: ImportSummary) -> Clip:
    """Fill the duration from the file header when the corpus does not state it (cheap: no decoding)."""
    if not clip.audio_path.is_file():
        summary.add_missing_audio(str(clip.audio_path))
        return clip
    if clip.duration is not None:
        return clip
    try:
        info = sf.info(str(clip.audio_path))
    except (sf.LibsndfileError, RuntimeError):
        summary.notes["audio files soundfile cannot read (left without duration; see voiceleak validate)"] += 1
        return clip
    seconds = info.frames / info.samplerate if info.samplerate else 0.0
    return replace(clip, duration=round(max(seconds - clip.offset, 0.0), 3))


def _write(path: Path, clips: Iterator[Clip]) -> None:
    """manifest.write_manifest without its per-clip `resolve()` (a dozen syscalls a path, most of an
    import's time at 100k clips): paths under the manifest's folder are written relative to it, as
    given (symlinks kept), the others absolute."""
    path.parent.mkdir(parents=True, exist_ok=True)
    base = os.path.abspath(path.parent) + os.sep
    with open(path, "w", encoding="utf-8") as handle:
        for clip in clips:
            row = clip_to_row(clip)
            audio = os.path.abspath(clip.audio_path)
            row["audio_filepath"] = audio[len(base) :] if audio.startswith(base) else audio
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
