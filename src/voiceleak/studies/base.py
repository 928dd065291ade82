"""What a study asks of the one Runner: a config, the cells it needs, the header entries its analysis
reads, and where its report is built. A plain `voiceleak run` is the study of the whole matrix."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import Cell, RunConfig
from voiceleak.runner.run import TextInputs
from voiceleak.types import Clip


@dataclass(frozen=True)
class StudyPlan:
    """A study as one ordinary run.

    `cells`: the (model, task, transform) cells it needs, in canonical names (None: the whole matrix).
    `header`: entries its analysis reads beside the log (privilege roles, decision grouping); written
    when the run starts and again when it finishes, since they may change without changing a sample.
    `inputs`: clips and tasks it brings itself (the judge's are another run's replies).
    `settle`: what it does with its log before the report (the judge writes its verdicts).
    `report_dir`: the run whose report it rebuilds (None: its own run directory).
    `out`: where its log goes when the study decides (the judge's sits inside the judged run)."""

    analysis: str
    config: RunConfig
    cells: tuple[Cell, ...] | None = None
    header: Mapping[str, Any] = field(default_factory=dict)
    inputs: TextInputs | None = None
    settle: Callable[[RunLog], None] | None = None
    report_dir: Path | None = None
    out: Path | None = None


def plain_run(config: RunConfig) -> StudyPlan:
    """`voiceleak run`: every model x task x transform of the config."""
    return StudyPlan("run", config)


def cells_of(triples: Sequence[tuple[str, str, str]]) -> tuple[Cell, ...]:
    """Cells from (model, task, transform) triples, each over every clip its task selects; repeats dropped."""
    return tuple(Cell(m, t, x) for m, t, x in dict.fromkeys(triples))


def per_speaker(clips: Sequence[Clip], limit: int, seed: str) -> list[Clip]:
    """At most `limit` clips of each speaker (a clip without a speaker id is its own), drawn with `seed`
    from each speaker's clips in id order; the corpus order is kept. Balances the units of resampling."""
    by_speaker: dict[str, list[Clip]] = defaultdict(list)
    for clip in clips:
        by_speaker[clip.speaker_id or clip.id].append(clip)
    rng = random.Random(seed)
    keep: set[str] = set()
    for speaker in sorted(by_speaker):
        members = sorted(by_speaker[speaker], key=lambda c: c.id)
        keep.update(c.id for c in rng.sample(members, min(limit, len(members))))
    return [c for c in clips if c.id in keep]
