"""Least privilege, from a run's log: per sensitive attribute the leakage of the end-to-end model, the
cascade, the voiceprint probe and the controls; per application the utility of both; then a verdict.

The roles (which model is which) and the thresholds live in the run header under "privilege", written
by `voiceleak privilege`; a run without them gets no such analysis. Comparisons are PAIRED: both
models are scored on the same clips (those each answered without error), and each speaker's paired
difference is one observation.

Leakage is the one definition of `scoring.stats.leakage`: balanced accuracy above the null of the
model's own replies, so a cascade that answers outside the classes present, refuses, or guesses at
random sits at 0, never below. The verdict reads the attributes' gaps as a family: their intervals
are simultaneous (Bonferroni over the attributes considered), so "some attribute leaks" is claimed
at the stated confidence, not at 95% for each of many attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from voiceleak.analysis.aggregate import analysis
from voiceleak.analysis.verdict import Gap, Thresholds, Utility, decide
from voiceleak.scoring.stats import (
    LEVEL,
    Estimate,
    class_cell,
    leakage,
    null_level,
    paired_leakage_difference,
    pooled_ratio,
    speaker_units,
)
from voiceleak.scoring.stats.leakage import balanced_accuracy
from voiceleak.transforms.base import IDENTITY as NONE
from voiceleak.types import Outcome, SampleRecord

Cell = dict[tuple[str, int], SampleRecord]  # (clip id, repeat) -> record


def index_cells(records: Sequence[SampleRecord]) -> dict[tuple[str, str, str], Cell]:
    cells: dict[tuple[str, str, str], Cell] = {}
    for r in records:
        cells.setdefault((r.model, r.task, r.transform), {})[(r.clip_id, r.repeat)] = r
    return cells


def valid_keys(cell: Cell | None) -> set[tuple[str, int]]:
    return {k for k, r in (cell or {}).items() if r.outcome != Outcome.ERROR}


def _figure(found: Estimate, n: int, **extra: Any) -> dict[str, Any]:
    return {"n": n, **extra, **found.to_dict()}


def leakage_of(cell: Cell | None, keys: set[tuple[str, int]], level: float = LEVEL) -> dict[str, Any] | None:
    """The leakage of one model on the given clips (its valid ones among them), at `level`."""
    chosen = sorted(keys & valid_keys(cell))
    if cell is None or not chosen:
        return None
    classes = class_cell([cell[k] for k in chosen])
    if classes is None:
        return None
    return _figure(leakage(classes).at_level(level), len(chosen), chance=round(1 / classes.k, 4),
                   null=round(null_level(classes), 4))


def paired_gap(a: Cell | None, b: Cell | None, level: float = LEVEL, measure: str = "leakage") -> dict[str, Any] | None:
    """a minus b over the clips both answered validly, each speaker's paired difference one observation."""
    keys = sorted(valid_keys(a) & valid_keys(b))
    if a is None or b is None or not keys:
        return None
    found = paired_leakage_difference([(a[k], b[k]) for k in keys], measure=measure)
    return _figure(found.at_level(level), len(keys))


def attribute_row(cells: Mapping[tuple[str, str, str], Cell], task: str, roles: Mapping[str, Any],
                  level: float) -> dict[str, Any]:
    def cell(role: str, transform: str = NONE) -> Cell | None:
        model = roles.get(role)
        return cells.get((model, task, transform)) if model else None

    e2e, cascade = cell("e2e"), cell("cascade")
    common = valid_keys(e2e) & valid_keys(cascade)
    rows = [e2e[k] for k in common] if e2e else []
    target = next((r.target for c in (e2e, cascade) if c for r in c.values()), None)
    return {
        "task": task, "attribute": target or task, "n": len(common),
        "n_speakers": len({r.speaker_id for r in rows if r.speaker_id}),
        "classes": sorted({str(r.truth) for r in rows}), "level": round(level, 6),
        "e2e": leakage_of(e2e, common, level), "cascade": leakage_of(cascade, common, level),
        "probe": leakage_of(cell("probe"), common, level),
        "control": leakage_of(cell("control"), common, level),
        "blind": leakage_of(cell("e2e", roles.get("blind") or ""), common, level),
        "gap": paired_gap(e2e, cascade, level),
        "voice_adds": paired_gap(e2e, cell("control"), level),
    }


def _wer_units(rows: Sequence[SampleRecord], errors: Sequence[float]) -> Estimate:
    """Pooled (errors / reference words) over the given records, with its interval over speakers."""
    words = [float(len((r.truth or "").split())) for r in rows]
    return pooled_ratio(speaker_units(rows), list(errors), words, (-1.0, 1.0))


def _errors(rows: Sequence[SampleRecord]) -> list[float]:
    return [(r.value or 0.0) * len((r.truth or "").split()) for r in rows]


def application_row(cells: Mapping[tuple[str, str, str], Cell], task: str, roles: Mapping[str, Any]) -> dict[str, Any]:
    e2e = cells.get((roles.get("e2e") or "", task, NONE))
    cascade = cells.get((roles.get("cascade") or "", task, NONE))
    every = [r for c in (e2e, cascade) if c for r in c.values()]
    is_wer = any(r.value is not None for r in every)

    def own(cell: Cell | None) -> dict[str, Any] | None:
        rows = [cell[k] for k in sorted(valid_keys(cell))] if cell else []
        if not rows:
            return None
        found = _wer_units(rows, _errors(rows)) if is_wer else _accuracy(rows)
        return _figure(found, len(rows))

    # Loss = how much worse the cascade does: WER_c - WER_e, or accuracy_e - accuracy_c.
    keys = sorted(valid_keys(e2e) & valid_keys(cascade))
    loss: dict[str, Any] | None = None
    if e2e is not None and cascade is not None and keys:
        left, right = [e2e[k] for k in keys], [cascade[k] for k in keys]
        found = _wer_units(left, [c - e for c, e in zip(_errors(right), _errors(left), strict=True)]) if is_wer \
            else paired_leakage_difference(list(zip(left, right, strict=True)), measure="balanced_accuracy")
        loss = _figure(found, len(keys))
    cascade_own = own(cascade)
    bounded = loss is None and cascade_own is not None
    if bounded and cascade_own is not None:  # no end-to-end utility: compare with a perfect model
        loss = cascade_own if is_wer else _complement(cascade_own)
    return {"task": task, "metric": "WER" if is_wer else "balanced accuracy", "e2e": own(e2e),
            "cascade": cascade_own, "loss": loss, "bounded": bounded}


def _accuracy(rows: Sequence[SampleRecord]) -> Estimate:
    cell = class_cell(rows)
    return balanced_accuracy(cell) if cell else Estimate(None, status="empty")


def _complement(figure: dict[str, Any]) -> dict[str, Any]:
    """1 − an accuracy: the loss against a perfect model, with the interval's ends swapped."""
    flip = {k: None if figure.get(k) is None else round(1 - figure[k], 4) for k in ("value", "low", "high")}
    return {**figure, "value": flip["value"], "low": flip["high"], "high": flip["low"]}


def display(task: str) -> str:
    """"transcription language=en" -> "transcription (language=en)", for sentences."""
    head, _, rest = task.partition(" ")
    return f"{head} ({rest})" if rest else head


def _low_or_unexposed(figure: Mapping[str, Any] | None) -> float:
    """The end-to-end leakage's lower bound; an unknown one does not count as exposure."""
    low = (figure or {}).get("low")
    return -1.0 if low is None else float(low)


def verdicts(attributes: Sequence[Mapping[str, Any]], applications: Sequence[Mapping[str, Any]],
             thresholds: Thresholds) -> list[dict[str, Any]]:
    gaps = [Gap(a["attribute"], (a["gap"] or {}).get("value"), (a["gap"] or {}).get("low"),
                (a["gap"] or {}).get("high"), e2e_low=_low_or_unexposed(a["e2e"])) for a in attributes]
    out = []
    for app in applications:
        loss = app["loss"] or {}
        utility = Utility(display(app["task"]), "WER" if app["metric"] == "WER" else "accuracy", loss.get("value"),
                          loss.get("low"), loss.get("high"), bounded=bool(app["bounded"]))
        out.append(decide(utility, gaps, thresholds).to_dict())
    return out


def build_privilege(records: Sequence[SampleRecord], roles: Mapping[str, Any]) -> dict[str, Any]:
    cells = index_cells(records)
    thresholds = Thresholds(**(roles.get("thresholds") or {}))
    tasks = list(roles.get("attributes", []))
    level = 1 - (1 - LEVEL) / max(len(tasks), 1)  # simultaneous over the attributes (Bonferroni)
    attributes = [attribute_row(cells, t, roles, level) for t in tasks]
    applications = [application_row(cells, t, roles) for t in roles.get("applications", [])]
    return {"roles": {k: roles.get(k) for k in ("e2e", "cascade", "probe", "control", "blind")},
            "stand_in": bool(roles.get("stand_in")), "notes": list(roles.get("notes", [])),
            "thresholds": thresholds.to_dict(), "simultaneous_level": round(level, 6),
            "attributes": attributes, "applications": applications,
            "verdicts": verdicts(attributes, applications, thresholds)}


@analysis("privilege")
def privilege_analysis(records: Sequence[SampleRecord], header: Mapping[str, Any]) -> dict[str, Any] | None:
    roles = header.get("privilege")
    return build_privilege(records, roles) if roles else None
