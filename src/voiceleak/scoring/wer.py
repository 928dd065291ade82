"""Word error rate: the utility side of a defense (can a recogniser still understand the speech?).

WER is pooled over clips (total errors / total reference words), with a 95% interval that
resamples speakers. Texts are compared after the transcription task's normalisation (case,
punctuation, numbers spelt out), since a recogniser's casing and punctuation are not errors of
understanding, and so that every WER in a report means the same thing.

`wer_of_records` reads it from a run log: each `transcription` record holds the normalised reference
(`truth`) and hypothesis (`predicted`), so the figure is rebuilt from the log alone; failed samples
are counted (`n_error`) and left out, never scored as empty transcripts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jiwer
import numpy as np

from voiceleak.scoring.stats import Units, pooled_ratio
from voiceleak.tasks.utility import normalize_text
from voiceleak.types import Outcome, SampleRecord


@dataclass(frozen=True)
class WordErrors:
    errors: int  # substitutions + deletions + insertions
    words: int  # reference words

    @property
    def rate(self) -> float:
        return self.errors / self.words if self.words else float("nan")


def word_errors(reference: str, hypothesis: str) -> WordErrors:
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    words = len(ref.split())
    if not words:
        return WordErrors(len(hyp.split()), 0)
    if not hyp:
        return WordErrors(words, words)  # nothing recognised: every reference word deleted
    out = jiwer.process_words(ref, hyp)
    return WordErrors(out.substitutions + out.deletions + out.insertions, words)


def wer_metrics(counts: Sequence[WordErrors], speakers: Sequence[str]) -> dict[str, Any]:
    """Pooled WER (errors over reference words) with its interval over speakers, and the counts behind it."""
    errors = np.array([c.errors for c in counts], dtype=np.float64)
    words = np.array([c.words for c in counts], dtype=np.float64)
    wer = None
    if words.sum() > 0:
        top = max(1.0, float(errors.sum() / words.sum()) * 2)
        wer = pooled_ratio(Units("speaker", tuple(speakers)), errors, words, (0.0, top)).to_dict()
    return {"n_clips": len(counts), "n_speakers": len(set(speakers)), "words": int(words.sum()),
            "errors": int(errors.sum()), "wer": wer}


def wer_of_records(records: Sequence[SampleRecord]) -> dict[str, Any]:
    """Pooled WER of one transcription cell of a run log: errors over words, interval over speakers."""
    answered = [r for r in records if r.outcome != Outcome.ERROR]
    counts = [word_errors(r.truth or "", r.predicted or "") for r in answered]
    return {**wer_metrics(counts, [r.speaker_id or r.clip_id for r in answered]),
            "n_error": len(records) - len(answered)}
