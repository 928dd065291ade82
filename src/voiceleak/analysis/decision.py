"""Decision bias from the voice: the same sentences in different voices, with the text-only control beside it.

The design is voices crossed with sentences, and the unit of evidence for a contrast between groups
of voices (sex, regional accent, ...) is the VOICE: six voices against six are six observations a
side, however many sentences each says. For each pair of groups (A, B; alphabetical), over the
sentences voices of both groups said (so sentence effects cancel in the gap):

- each voice's mean decision (yes/no: its share of "yes"; an option: its share choosing it; a score:
  its mean score) is one observation; per group the mean over its voices, and the gap A − B with a
  Welch t interval and test over voices. A group with fewer than MIN_UNITS voices gets no interval
  and no test ("too few voices"), never a p-value from clips;
- the same on the text-only control (the same model given the transcript, no audio), and the voice
  effect = gap(audio) − gap(text-only), voice by voice (each voice's audio mean minus its text-only
  mean): what the voice changed beyond the words, which a cascade could not;
- Holm across each family (audio gaps, text-only gaps, voice effects), every interval at the level
  that agrees with its adjusted test.

Refusals, unparseable replies and errors carry no decision; they are counted per group.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voiceleak.analysis.aggregate import Declared, analysis
from voiceleak.corpus.manifest import iter_manifest
from voiceleak.models.base import Role
from voiceleak.models.text.transcript import extract
from voiceleak.scoring.stats import adjust_family, group_gap, stratified
from voiceleak.transforms.base import TransformRole
from voiceleak.types import Clip, Outcome, SampleRecord

#: the words-only control of a run that predates transforms declaring their role
TEXT_ONLY = "text-only"
FAMILY = "decision"
Measure = Callable[[SampleRecord], float | None]


def normalise(text: str) -> str:
    """Case, punctuation and spacing ignored: "I have  managed..." pairs with "i have managed"."""
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


# -- voices as units -------------------------------------------------------------------------------

VoiceDecisions = dict[str, dict[str, list[float]]]  # group -> voice -> committed decisions


def decisions_by_voice(records: Sequence[SampleRecord], label: str, texts: Mapping[str, str], measure: Measure,
                       sentences: set[str] | None = None) -> VoiceDecisions:
    """group -> voice -> the committed decisions of that voice (on `sentences`, when given)."""
    out: VoiceDecisions = defaultdict(lambda: defaultdict(list))
    for record in records:
        group, text = record.labels.get(label), texts.get(record.clip_id)
        value = measure(record)
        if group is None or not text or value is None:
            continue
        if sentences is None or normalise(text) in sentences:
            out[str(group)][str(record.speaker_id or record.clip_id)].append(value)
    return out


def shared_sentences(records: Sequence[SampleRecord], label: str, texts: Mapping[str, str], a: str,
                     b: str) -> set[str]:
    """Sentences said by voices of both groups: the crossed part of the design, where sentence effects
    cancel in the gap."""
    said: dict[str, set[str]] = defaultdict(set)
    for record in records:
        group, text = record.labels.get(label), texts.get(record.clip_id)
        if group is not None and text:
            said[str(group)].add(normalise(text))
    return said.get(a, set()) & said.get(b, set())


def voice_means(by_voice: Mapping[str, Sequence[float]]) -> dict[str, float]:
    return {voice: float(np.mean(values)) for voice, values in sorted(by_voice.items()) if values}


def compare(a: Mapping[str, float], b: Mapping[str, float], groups: tuple[str, str],
            value_range: tuple[float, float], n_decisions: int) -> dict[str, Any]:
    """Each voice's mean decision is one observation: group means over voices and the Welch gap A − B.

    "gap" holds an `Estimate` until `adjust` applies Holm across the family."""
    left, right = np.array(list(a.values())), np.array(list(b.values()))
    return {
        "n_voices": {groups[0]: len(left), groups[1]: len(right)},
        "n_decisions": n_decisions,
        "a": stratified([left], [1.0], unit="voice", unit_range=value_range).to_dict(),
        "b": stratified([right], [1.0], unit="voice", unit_range=value_range).to_dict(),
        "gap": group_gap(left, right, groups, unit="voice", unit_range=value_range),
    }


def voice_effect(audio: Mapping[str, float], text: Mapping[str, float], a: set[str], b: set[str],
                 groups: tuple[str, str], value_range: tuple[float, float]) -> dict[str, Any] | None:
    """gap(audio) − gap(text-only), voice by voice: each voice's audio mean minus its text-only mean,
    compared between the groups (what the voice changed beyond the words a cascade would read)."""
    shared = sorted(set(audio) & set(text))
    left = {v: audio[v] - text[v] for v in shared if v in a}
    right = {v: audio[v] - text[v] for v in shared if v in b}
    if not left or not right:
        return None
    span = value_range[1] - value_range[0]
    return compare(left, right, groups, (-span, span), len(shared))


def value_measure(record: SampleRecord) -> float | None:
    return record.value if record.outcome == Outcome.ANSWER else None


def option_measure(option: str) -> Measure:
    def measure(record: SampleRecord) -> float | None:
        return float(record.predicted == option) if record.outcome == Outcome.ANSWER else None

    return measure


def group_counts(records: Sequence[SampleRecord], label: str, groups: Sequence[str]) -> dict[str, Any]:
    """Per group: clips, speakers and what became of the replies (refusals can differ by voice too)."""
    out = {}
    for group in groups:
        members = [r for r in records if r.labels.get(label) == group]
        out[group] = {
            "n": len(members),
            "speakers": sorted({str(r.speaker_id) for r in members}),
            **{f"n_{o.value}": sum(r.outcome == o for r in members) for o in Outcome},
        }
    return out


# -- the analysis ---------------------------------------------------------------------------------


def decision_rows(
    records: Sequence[SampleRecord],
    texts: Mapping[str, str],
    kinds: Mapping[str, dict[str, Any]],
    labels: Sequence[str] | None = None,
    calibration: Collection[str] = (),
    words_only: Collection[str] = (TEXT_ONLY,),
) -> list[dict[str, Any]]:
    """One row per (model, task, audio condition, label, group pair[, option]). `calibration`: the
    models that are calibration runs (see `adjust`); `words_only`: the transforms that declared
    themselves the words-only control (the transcript, no voice), read beside each audio condition."""
    cells: dict[tuple[str, str, str], list[SampleRecord]] = defaultdict(list)
    for record in records:
        if record.family == FAMILY:
            cells[(record.model, record.task, record.transform)].append(record)
    rows: list[dict[str, Any]] = []
    for (model, task, transform), members in sorted(cells.items()):
        if transform in words_only:
            continue
        control = next((cells[(model, task, w)] for w in sorted(words_only) if (model, task, w) in cells), [])
        kind, options = _kind(kinds.get(task), members)
        measures = (
            [("decision", value_measure)] if kind != "choice" else [(o, option_measure(o)) for o in options]
        )
        for label in labels if labels is not None else _labels(members):
            for name, measure in measures:
                base = {"model": model, "task": task, "transform": transform, "kind": kind, "label": label,
                        "measure": name}
                rows.extend(_pair_rows(members, control, label, texts, measure, base))
    return adjust(rows, calibration)


def _pair_rows(
    members: Sequence[SampleRecord],
    control: Sequence[SampleRecord],
    label: str,
    texts: Mapping[str, str],
    measure: Measure,
    base: dict[str, Any],
) -> list[dict[str, Any]]:
    groups = sorted({str(r.labels[label]) for r in members if r.labels.get(label) is not None})
    values = [v for r in [*members, *control] if (v := measure(r)) is not None]
    if not values:
        return []
    value_range = (min(0.0, min(values)), max(1.0, max(values)))
    rows = []
    for a, b in itertools.combinations(groups, 2):
        sentences = shared_sentences(members, label, texts, a, b)
        audio = decisions_by_voice(members, label, texts, measure, sentences)
        heard = {g: voice_means(audio.get(g, {})) for g in (a, b)}
        if not heard[a] or not heard[b]:
            continue
        n_decisions = sum(len(v) for g in (a, b) for v in audio.get(g, {}).values())
        row = {**base, "groups": [a, b], "n_sentences": len(sentences),
               "audio": compare(heard[a], heard[b], (a, b), value_range, n_decisions),
               "counts": group_counts(members, label, [a, b]), "text_only": None, "voice_effect": None}
        text = decisions_by_voice(control, label, texts, measure, sentences) if control else {}
        read = {g: voice_means(text.get(g, {})) for g in (a, b)}
        if read[a] and read[b]:
            n_read = sum(len(v) for g in (a, b) for v in text.get(g, {}).values())
            row["text_only"] = compare(read[a], read[b], (a, b), value_range, n_read)
            row["voice_effect"] = voice_effect({**heard[a], **heard[b]}, {**read[a], **read[b]}, set(heard[a]),
                                               set(heard[b]), (a, b), value_range)
        rows.append(row)
    return rows


def adjust(rows: Sequence[dict[str, Any]], calibration: Collection[str] = ()) -> list[dict[str, Any]]:
    """Holm across each family (audio gaps, text-only gaps, voice effects): many groups × options ×
    tasks are tested at once, and a coin-flipping baseline must not read as a finding. Each interval
    is widened to the level at which it agrees with its adjusted test. Rows of the `calibration` models
    keep their intervals and get no test."""
    for part in ("audio", "text_only", "voice_effect"):
        for row in rows:  # calibration runs keep their intervals; no p-value of theirs is a finding
            if row.get(part) and row["model"] in calibration:
                gap = {k: v for k, v in row[part]["gap"].to_dict().items() if k != "p_value"}
                row[part]["gap"] = {**gap, "calibration": True}
                row[part]["test"] = {"test": "none: calibration run", "p_value": None, "p_holm": None}
        slots = [row[part] for row in rows if row.get(part) and row["model"] not in calibration]
        for slot, (estimate, p_adjusted) in zip(slots, adjust_family([s["gap"] for s in slots]), strict=True):
            slot["gap"] = estimate.to_dict()
            slot["test"] = {"test": "Welch t over voices", "p_value": slot["gap"].get("p_value"),
                            "p_holm": None if p_adjusted is None else round(p_adjusted, 6),
                            "status": estimate.status, "note": estimate.note}
    return list(rows)


def _kind(described: Mapping[str, Any] | None, members: Sequence[SampleRecord]) -> tuple[str, list[str]]:
    """The decision kind and options from the run header; inferred from the replies when it is gone."""
    if described:
        return str(described.get("kind", "yesno")), [str(o) for o in described.get("options") or []]
    answered = [r for r in members if r.outcome == Outcome.ANSWER]
    if answered and all(r.value is None for r in answered):
        return "choice", sorted({str(r.predicted) for r in answered})
    if answered and all(r.predicted in {"yes", "no"} for r in answered):
        return "yesno", []
    return "score", []


def _labels(records: Sequence[SampleRecord]) -> list[str]:
    return sorted({name for r in records for name in r.labels})


def clip_texts(header: Mapping[str, Any], records: Sequence[SampleRecord]) -> dict[str, str]:
    """Clip id -> transcript: from the run's manifest, else from the words-only control's prompts in the log."""
    texts: dict[str, str] = {}
    manifest = (header.get("corpus") or {}).get("manifest")
    if manifest and Path(manifest).is_file():
        texts = {c.id: c.text for c in iter_manifest(manifest) if isinstance(c, Clip) and c.text}
    words_only = words_only_controls(header, records)
    for record in records:
        if record.transform in words_only and record.clip_id not in texts:
            found = extract(record.prompt)
            if found:
                texts[record.clip_id] = found
    return texts


def stand_ins(header: Mapping[str, Any], models: Sequence[str]) -> dict[str, str]:
    """Models in the run that are not end-to-end audio language models, with what they are instead,
    as each declared itself in the run header."""
    declared = Declared(header)
    out = {}
    for name in models:
        if declared.role(name) is Role.CALIBRATION:
            out[name] = "a chance baseline: its decisions are random, so every gap is noise by construction"
        elif declared.is_cascade(name):
            out[name] = (
                "a cascade (speech recognition, then a text model): it hears words only; a gap can "
                "come only from recognition errors that differ by voice"
            )
    return out


def words_only_controls(header: Mapping[str, Any], records: Sequence[SampleRecord]) -> frozenset[str]:
    """The run's transforms that declared themselves the words-only control."""
    declared = Declared(header)
    return frozenset(t for t in {r.transform for r in records} if declared.transform(t) is TransformRole.WORDS_ONLY)


@analysis("decisions")
def decision_analysis(records: Sequence[SampleRecord], header: dict[str, Any]) -> dict[str, Any] | None:
    chosen = [r for r in records if r.family == FAMILY]
    if not chosen:
        return None
    settings = header.get("decisions") or {}
    described = header.get("tasks") or {}
    kinds = {task: dict((described.get(task) or {}).get("decision") or {}) for task in {r.task for r in chosen}}
    models = sorted({r.model for r in chosen})
    return {
        "group_by": settings.get("group_by"),
        "stand_ins": stand_ins(header, models),
        "rows": decision_rows(chosen, clip_texts(header, chosen), kinds, settings.get("group_by"),
                              Declared(header).calibration(models), words_only_controls(header, chosen)),
    }
