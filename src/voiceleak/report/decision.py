"""Decision bias from the voice: the same sentence in different voices, with the text-only control beside it.

Pairs: clips saying the same words (the manifest `text`, normalised) by speakers of two groups of a
label (sex, regional accent, ...). Within a sentence, group A's and group B's clips that committed to a
decision are matched one to one (each side in speaker order, rotated by a hash of the sentence so the
dropped surplus is spread over speakers); a group with more clips of a sentence leaves its surplus
unpaired. One-to-one pairs keep the paired tests exact: averaging one group's five clips against the
other's one would make the differences skewed and a sign test biased. Refusals, unparseable replies
and errors carry no decision; they are counted per group. For each pair of groups (A, B; alphabetical):

- rate (yes/no: share of "yes"; an option: share choosing it) or mean score per group over the pairs,
  and the paired gap A - B, each with a 95% bootstrap interval resampling SENTENCES (pairs of one
  sentence share its words; the same resample for both groups, so the gap is paired);
- a paired test: the exact McNemar test for a yes/no or an option (scipy's two-sided binomial test on
  the discordant pairs), the Wilcoxon signed-rank test on the pair differences for scores;
- the same on the text-only control (the same model given the transcript, no audio), and the voice
  effect = gap(audio) - gap(text-only), sentence by sentence over the sentences paired in both, with
  its interval and a Wilcoxon test: what the voice changed beyond the words, which a cascade could not.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voiceleak.corpus.manifest import iter_manifest
from voiceleak.models.text.transcript import extract
from voiceleak.report.aggregate import analysis
from voiceleak.report.analyses.common import mcnemar
from voiceleak.scoring.bootstrap import DEFAULT_RESAMPLES, interval, paired_difference, weighted_mean
from voiceleak.types import Clip, Outcome, SampleRecord

TEXT_ONLY = "text-only"
Measure = Callable[[SampleRecord], float | None]


def family(task: str) -> str:
    return task.split(":", 1)[0].split()[0]


def normalise(text: str) -> str:
    """Case, punctuation and spacing ignored: "I have  managed..." pairs with "i have managed"."""
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


# -- tests ----------------------------------------------------------------------------------------


def sign_test(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Exact McNemar: two-sided binomial test on the discordant pairs (a > b against a < b)."""
    a_more, b_more = int((a > b).sum()), int((a < b).sum())
    exact = mcnemar(a_more, b_more)  # the same test as the prompt analyses, one implementation
    return {
        "test": "exact McNemar",
        "a_more": a_more,
        "b_more": b_more,
        "n_discordant": exact["n_discordant"],
        "p_value": exact["p_value"],
    }


def signed_rank_test(differences: np.ndarray) -> dict[str, Any]:
    """Wilcoxon signed-rank on paired differences; zero differences dropped (Wilcoxon's convention)."""
    nonzero = int((differences != 0).sum())
    if nonzero == 0:
        return {"test": "Wilcoxon signed-rank", "statistic": None, "n_nonzero": 0, "p_value": None}
    from scipy.stats import wilcoxon  # scipy.stats costs a second at start-up; only reports need it

    result = wilcoxon(differences, zero_method="wilcox")
    return {
        "test": "Wilcoxon signed-rank",
        "statistic": float(result.statistic),
        "n_nonzero": nonzero,
        "p_value": round(float(result.pvalue), 6),
    }


@dataclass(frozen=True)
class Pairs:
    """Matched decisions of groups A and B: one entry per pair, with the sentence it belongs to."""

    sentences: list[str]
    a: np.ndarray
    b: np.ndarray

    def totals(self) -> dict[str, tuple[float, int]]:
        """Per sentence: the sum of the differences a - b and the number of pairs (one pass)."""
        out: dict[str, tuple[float, int]] = {}
        for sentence, x, y in zip(self.sentences, self.a, self.b, strict=True):
            total, count = out.get(sentence, (0.0, 0))
            out[sentence] = (total + float(x - y), count + 1)
        return out


def compare(pairs: Pairs, paired_test: str, resamples: int = DEFAULT_RESAMPLES) -> dict[str, Any]:
    """Group rates, the paired gap a - b (intervals over the same sentence resamples) and the test."""
    n, clusters = len(pairs.a), pairs.sentences if len(set(pairs.sentences)) > 1 else None
    test = sign_test(pairs.a, pairs.b) if paired_test == "mcnemar" else signed_rank_test(pairs.a - pairs.b)
    return {
        "n_pairs": n,
        "n_sentences": len(set(pairs.sentences)),
        "a": interval(weighted_mean(pairs.a), n, clusters, resamples).to_dict(),
        "b": interval(weighted_mean(pairs.b), n, clusters, resamples).to_dict(),
        "gap": interval(paired_difference(pairs.a, pairs.b), n, clusters, resamples).to_dict(),
        "test": test,
    }


def voice_effect(audio: Pairs, text: Pairs, resamples: int = DEFAULT_RESAMPLES) -> dict[str, Any]:
    """gap(audio) - gap(text-only) over the sentences paired in both conditions.

    The estimate pools pairs as the gaps do, so with every sentence in both it is exactly the difference
    of the two gaps; the bootstrap resamples sentences; the test is Wilcoxon's on per-sentence differences.
    """
    heard, read = audio.totals(), text.totals()
    shared = sorted(set(heard) & set(read))
    sums = np.array([[side[x][0] for x in shared] for side in (heard, read)], dtype=np.float64)
    counts = np.array([[side[x][1] for x in shared] for side in (heard, read)], dtype=np.float64)

    def statistic(w: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            gaps = (w @ sums.T) / (w @ counts.T)  # (resamples x 2): audio gap, text-only gap
        return np.asarray(gaps[:, 0] - gaps[:, 1], dtype=np.float64)

    out = interval(statistic, len(shared), None, resamples).to_dict()
    d = np.array([heard[x][0] / heard[x][1] - read[x][0] / read[x][1] for x in shared], dtype=np.float64)
    return {**out, "n_sentences": len(shared), "test": signed_rank_test(d)}


# -- pairing --------------------------------------------------------------------------------------

Item = tuple[str, str, int, float]  # speaker, clip id, repeat, decision


def decisions_by_sentence(
    records: Sequence[SampleRecord], label: str, texts: Mapping[str, str], measure: Measure
) -> dict[str, dict[str, list[Item]]]:
    """group -> sentence -> the committed decisions of the group's clips saying it."""
    out: dict[str, dict[str, list[Item]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        group, text = record.labels.get(label), texts.get(record.clip_id)
        value = measure(record)
        if group is not None and text and value is not None:
            out[group][normalise(text)].append((str(record.speaker_id), record.clip_id, record.repeat, value))
    return out


def match(by_sentence: Mapping[str, Mapping[str, Sequence[Item]]], a: str, b: str) -> Pairs:
    """One-to-one pairs of A and B decisions within each sentence both groups said."""
    sentences: list[str] = []
    left: list[float] = []
    right: list[float] = []
    for sentence in sorted(set(by_sentence.get(a, {})) & set(by_sentence.get(b, {}))):
        turn = int(hashlib.sha1(sentence.encode()).hexdigest(), 16)
        side_a, side_b = (_rotated(sorted(by_sentence[g][sentence]), turn) for g in (a, b))
        for x, y in zip(side_a, side_b, strict=False):
            sentences.append(sentence)
            left.append(x[3])
            right.append(y[3])
    return Pairs(sentences, np.asarray(left, dtype=np.float64), np.asarray(right, dtype=np.float64))


def _rotated(items: Sequence[Item], turn: int) -> list[Item]:
    k = turn % len(items)
    return [*items[k:], *items[:k]]


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
    resamples: int = DEFAULT_RESAMPLES,
) -> list[dict[str, Any]]:
    """One row per (model, task, audio condition, label, group pair[, option])."""
    cells: dict[tuple[str, str, str], list[SampleRecord]] = defaultdict(list)
    for record in records:
        if family(record.task) == "decision":
            cells[(record.model, record.task, record.transform)].append(record)
    rows: list[dict[str, Any]] = []
    for (model, task, transform), members in sorted(cells.items()):
        if transform == TEXT_ONLY:
            continue
        control = cells.get((model, task, TEXT_ONLY), [])
        kind, options = _kind(kinds.get(task), members)
        measures = (
            [("decision", value_measure)] if kind != "choice" else [(o, option_measure(o)) for o in options]
        )
        test = "wilcoxon" if kind == "score" else "mcnemar"
        for label in labels if labels is not None else _labels(members):
            for name, measure in measures:
                base = {"model": model, "task": task, "transform": transform, "kind": kind, "label": label,
                        "measure": name}
                rows.extend(_pair_rows(members, control, label, texts, measure, test, resamples, base))
    adjust(rows)
    return rows


def _pair_rows(
    members: Sequence[SampleRecord],
    control: Sequence[SampleRecord],
    label: str,
    texts: Mapping[str, str],
    measure: Measure,
    test: str,
    resamples: int,
    base: dict[str, Any],
) -> list[dict[str, Any]]:
    audio = decisions_by_sentence(members, label, texts, measure)
    text = decisions_by_sentence(control, label, texts, measure) if control else {}
    rows = []
    for a, b in itertools.combinations(sorted(audio), 2):
        heard = match(audio, a, b)
        if not len(heard.a):
            continue
        row = {
            **base,
            "groups": [a, b],
            "audio": compare(heard, test, resamples),
            "counts": group_counts(members, label, [a, b]),
            "text_only": None,
            "voice_effect": None,
        }
        read = match(text, a, b)
        if len(read.a):
            row["text_only"] = compare(read, test, resamples)
            row["voice_effect"] = voice_effect(heard, read, resamples)
        rows.append(row)
    return rows


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
    """Clip id -> transcript: from the run's manifest, else from the text-only prompts in the log."""
    texts: dict[str, str] = {}
    manifest = (header.get("corpus") or {}).get("manifest")
    if manifest and Path(manifest).is_file():
        texts = {c.id: c.text for c in iter_manifest(manifest) if isinstance(c, Clip) and c.text}
    for record in records:
        if record.transform == TEXT_ONLY and record.clip_id not in texts:
            found = extract(record.prompt)
            if found:
                texts[record.clip_id] = found
    return texts


def stand_ins(header: Mapping[str, Any], models: Sequence[str]) -> dict[str, str]:
    """Models in the run that are not end-to-end audio language models, with what they are instead."""
    out = {}
    for name in models:
        kind = str(((header.get("models") or {}).get(name) or {}).get("kind", ""))
        if kind == "baseline" or name.split()[0] in {"uniform", "majority"}:
            out[name] = "a chance baseline: its decisions are random, so every gap is noise by construction"
        elif kind == "cascade" or name.startswith("cascade"):
            out[name] = (
                "a cascade (speech recognition, then a text model): it hears words only; a gap can "
                "come only from recognition errors that differ by voice"
            )
    return out


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment (None stays None): many groups x options x tasks are tested at once,
    and a run of a coin-flipping baseline must not read as a finding."""
    order = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p))
        out[i] = round(running, 6)
    return out


def adjust(rows: Sequence[dict[str, Any]]) -> None:
    """Add `p_holm` to every test, one family per condition (audio gaps, text-only gaps, voice effects)."""
    for part in ("audio", "text_only", "voice_effect"):
        tests = [row[part]["test"] for row in rows if row.get(part)]
        for test, adjusted in zip(tests, holm([t.get("p_value") for t in tests]), strict=True):
            test["p_holm"] = adjusted


@analysis("decisions")
def decision_analysis(records: Sequence[SampleRecord], header: dict[str, Any]) -> dict[str, Any] | None:
    chosen = [r for r in records if family(r.task) == "decision"]
    if not chosen:
        return None
    settings = header.get("decisions") or {}
    kinds = {
        task: dict(desc.get("decision") or {})
        for task, desc in (header.get("tasks") or {}).items()
        if family(task) == "decision"
    }
    models = sorted({r.model for r in chosen})
    return {
        "group_by": settings.get("group_by"),
        "stand_ins": stand_ins(header, models),
        "rows": decision_rows(chosen, clip_texts(header, chosen), kinds, settings.get("group_by")),
    }
