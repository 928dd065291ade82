"""Lhotse cuts: JSON lines (`cuts.jsonl` or `.jsonl.gz`), one MonoCut each.

A cut points into a recording (`recording.sources[].source`, from `start` for `duration` seconds)
and carries supervisions with `speaker`, `gender`, `language`, `text` and a free `custom` dict.
A clip must have one speaker, so a cut whose supervisions name several is refused (split it with
`cut.trim_to_supervisions()` first). Only `file` sources can be read; URLs and commands are refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from voiceleak.corpus.importers.base import (
    Found,
    ImportContext,
    ImportSourceError,
    importers,
    is_scalar,
    read_json_lines,
)
from voiceleak.corpus.importers.labels import RowLabels
from voiceleak.corpus.manifest import Problem
from voiceleak.types import Clip


@importers.register("lhotse", "Lhotse cuts (cuts.jsonl or .jsonl.gz): MonoCuts with supervisions")
def import_lhotse(ctx: ImportContext) -> Iterator[Found | Problem]:
    if not ctx.source.is_file():
        raise ImportSourceError(f"{ctx.source}: give the cuts file (cuts.jsonl or cuts.jsonl.gz), not a folder")
    for item in read_json_lines(ctx.source):
        if isinstance(item, Problem):
            yield item
        else:
            yield _clip(ctx, *item)


def _clip(ctx: ImportContext, number: int, cut: Mapping[str, Any]) -> Found | Problem:
    def problem(message: str, field: str | None = None) -> Problem:
        return Problem(str(ctx.source), number, field, message, cut.get("id"))

    if cut.get("type", "MonoCut") != "MonoCut":
        return problem(f"{cut.get('type')} is not supported (only MonoCut: one recording, one channel)", "type")
    recording = cut.get("recording")
    if not isinstance(recording, dict):
        return problem("cut has no recording (a cut of features only cannot be listened to)", "recording")
    audio = _audio_path(ctx, recording)
    if isinstance(audio, str):
        return problem(audio, "recording")
    supervisions = [s for s in cut.get("supervisions") or [] if isinstance(s, dict)]
    speakers = sorted({str(s["speaker"]) for s in supervisions if s.get("speaker") is not None})
    if len(speakers) > 1:
        return problem(
            f"cut has supervisions from {len(speakers)} speakers ({', '.join(speakers)}); "
            "split it into single-speaker cuts first",
            "supervisions",
        )
    if not isinstance(cut.get("id"), str) or not isinstance(cut.get("duration"), int | float):
        return problem("a cut needs a string id and a numeric duration")
    labels = ctx.labels.row()
    for supervision in supervisions:
        _supervision_labels(ctx, labels, supervision)
    _custom_labels(ctx, labels, cut.get("custom"))
    texts = [str(s["text"]) for s in supervisions if s.get("text")]
    clip = Clip(
        id=cut["id"],
        audio_path=audio,
        speaker_id=speakers[0] if speakers else None,
        labels=labels.labels,
        raw_labels=labels.raw,
        text=" ".join(texts) or None,
        duration=float(cut["duration"]),
        offset=float(cut.get("start") or 0.0),
        provenance=f"Lhotse cuts {ctx.source.name}, recording {recording.get('id')}",
    )
    return Found(clip, str(ctx.source), number)


def _audio_path(ctx: ImportContext, recording: Mapping[str, Any]) -> Path | str:
    """The recording's file, or the reason it cannot be used."""
    sources = recording.get("sources") or []
    if not sources:
        return "cut has no recording sources"
    kinds = [s.get("type") for s in sources if isinstance(s, dict)]
    found = next((s for s in sources if isinstance(s, dict) and s.get("type") == "file"), None)
    if found is None:
        return f"audio source of type {kinds[0]!r} is not supported (only 'file')"
    if len(recording.get("channel_ids") or [0]) > 1:
        ctx.note("multi-channel recordings (imported as their mixdown)")
    path = Path(str(found.get("source")))
    return path if path.is_absolute() else ctx.source.parent / path


def _supervision_labels(ctx: ImportContext, labels: RowLabels, supervision: Mapping[str, Any]) -> None:
    for key in ("gender", "language"):
        if key in supervision:
            labels.stated(key, supervision[key])
    _custom_labels(ctx, labels, supervision.get("custom"))


def _custom_labels(ctx: ImportContext, labels: RowLabels, custom: Any) -> None:
    if not isinstance(custom, dict):
        return
    for key, value in custom.items():
        if is_scalar(value):
            labels.stated(key, value)
        else:
            ctx.note(f"custom key {key!r} holds a list or object: not a label, left out")
