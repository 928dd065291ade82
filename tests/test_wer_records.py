"""WER from a run log's transcription records: errors over reference words, failed samples counted and
left out (never scored as an empty transcript)."""

from __future__ import annotations

from voiceleak.scoring.wer import wer_of_records
from voiceleak.types import SampleRecord


def record(clip: str, speaker: str, reference: str, hypothesis: str | None) -> SampleRecord:
    failed = hypothesis is None
    return SampleRecord(key=clip, model="asr:x", task="transcription", transform="none", clip_id=clip, repeat=0,
                        speaker_id=speaker, labels={}, target=None, prompt="", system=None, audio_note="clip",
                        response=hypothesis, error="asr failed" if failed else None,
                        outcome="error" if failed else "answer", predicted=hypothesis, truth=reference,
                        correct=None, value=None, latency_s=0.0, cached=False)


def test_pooled_over_words_with_errors_counted_apart() -> None:
    records = [record("a1", "a", "hello there friend", "hello there friend"),  # 0 errors of 3 words
               record("b1", "b", "good morning", "good evening"),  # 1 substitution of 2
               record("c1", "c", "one two three four five", "one two"),  # 3 deletions of 5
               record("d1", "d", "never heard", None)]  # failed: not a transcript of nothing
    found = wer_of_records(records)
    assert (found["errors"], found["words"], found["n_clips"], found["n_error"]) == (4, 10, 3, 1)
    assert found["n_speakers"] == 3 and found["wer"]["value"] == 0.4
    assert found["wer"]["unit"] == "speaker" and found["wer"]["n_units"] == 3


def test_no_answered_sample_gives_no_figure() -> None:
    found = wer_of_records([record("d1", "d", "never heard", None)])
    assert found["wer"] is None and found["n_error"] == 1 and found["n_clips"] == 0
