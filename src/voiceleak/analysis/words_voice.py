"""Words versus voice in the report: on conflict clips, does the model report the voice or the words?

Per (model, words-voice task, transform), over the conflict clips: the share of valid replies that
follow the voice, that follow the words, that name a third class, and that commit to nothing
(refusals and unparseable replies); over the congruent clips (the control): the share right. The
voiceprint probe follows the voice by construction and a cascade the words, so they anchor the scale.
Intervals: 95% over voices (the record's speaker), never over clips.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voiceleak.analysis.aggregate import analysis
from voiceleak.analysis.bystander import described, no_audio_llm, speaker_share
from voiceleak.analysis.common import by_cell
from voiceleak.corpus.stimuli import CONFLICT, CONGRUENT
from voiceleak.tasks.words_voice import BOTH, FOLLOWS_VOICE, FOLLOWS_WORDS, NEITHER, verdict_fields
from voiceleak.types import Outcome, SampleRecord


def _shares(records: Sequence[SampleRecord], verdicts: Sequence[str]) -> dict[str, Any]:
    speakers = [r.speaker_id for r in records]
    out = {name: speaker_share([v == name for v in verdicts], speakers)
           for name in (FOLLOWS_VOICE, FOLLOWS_WORDS, NEITHER, BOTH)}
    out["no_answer"] = speaker_share([r.outcome != Outcome.ANSWER for r in records], speakers)
    return out


@analysis("words_voice")
def words_voice_statistics(records: Sequence[SampleRecord], header: dict[str, Any]) -> dict[str, Any]:
    rows = []
    in_family = (r for r in records if r.family == "words-voice")
    for (model, task, transform), members in by_cell(in_family).items():
        usable = [r for r in members if r.outcome != Outcome.ERROR]
        fields = [verdict_fields(r.meta.get("detail")) for r in usable]
        row: dict[str, Any] = {"model": model, "task": task, "transform": transform,
                               "attribute": described(header, task).get("attribute") or members[0].target,
                               "n": len(members), "n_error": len(members) - len(usable)}
        for condition in (CONFLICT, CONGRUENT):
            chosen = [(r, f.get("verdict", "")) for r, f in zip(usable, fields, strict=True)
                      if f.get("condition") == condition]
            row[condition] = {"n": len(chosen), **_shares([r for r, _ in chosen], [v for _, v in chosen])}
        rows.append(row)
    models = sorted({r["model"] for r in rows})
    return {"rows": rows, "no_audio_llm": bool(rows) and no_audio_llm(header, models), "models": models}
