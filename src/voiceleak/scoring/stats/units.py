"""The resampling unit: what counts as one independent piece of evidence.

Clips of one speaker are not independent, so every interval and test here treats the *speaker* as
the unit (for decisions: the voice; for sentence-level designs: the sentence). A cell whose records
do not all carry the unit falls back to clips, and says so in its `note`: never silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voiceleak.types import SampleRecord

#: Fewest units per class (or per group) for which an interval is printed. Below it the tool says
#: "too few speakers for an interval": benchmarks/calibration.py shows the t intervals used here
#: under-cover below this count when speakers differ from each other.
MIN_UNITS = 5


@dataclass(frozen=True)
class Units:
    """One unit id per record, and the name of the unit ("speaker", "voice", "sentence", "clip")."""

    kind: str
    ids: tuple[str, ...]
    note: str = ""

    @property
    def count(self) -> int:
        return len(set(self.ids))

    def describe(self) -> dict[str, object]:
        return {"unit": self.kind, "n_units": self.count, **({"unit_note": self.note} if self.note else {})}


def speaker_units(records: Sequence[SampleRecord],
                  unit_of: Callable[[SampleRecord], str | None] | None = None,
                  kind: str = "speaker") -> Units:
    """Speakers as units; clips (with a note saying why) when any record lacks a speaker id."""
    get = unit_of or (lambda r: r.speaker_id)
    ids = [get(r) for r in records]
    missing = sum(i is None or i == "" for i in ids)
    if missing:
        note = (f"{missing} of {len(records)} records carry no {kind} id, so clips are resampled instead: "
                f"the interval is too narrow if one {kind} has several clips")
        return Units("clip", tuple(r.clip_id for r in records), note)
    return Units(kind, tuple(str(i) for i in ids))


__all__ = ["MIN_UNITS", "Units", "speaker_units"]
