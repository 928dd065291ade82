"""The section of report.html for words versus voice (the figures: `analysis.words_voice`)."""

from __future__ import annotations

from typing import Any

from voiceleak.analysis.bystander import stand_in_note
from voiceleak.corpus.stimuli import CONFLICT, CONGRUENT
from voiceleak.report.console import interval_text
from voiceleak.report.html import section
from voiceleak.report.sections.common import section_html
from voiceleak.tasks.words_voice import BOTH, FOLLOWS_VOICE, FOLLOWS_WORDS, NEITHER


@section("words_voice")
def words_voice_section(results: dict[str, Any]) -> str:
    found = (results.get("analyses") or {}).get("words_voice") or {}
    rows = found.get("rows") or []
    if not rows:
        return ""
    table = []
    for r in rows:
        conflict, congruent = r[CONFLICT], r[CONGRUENT]
        table.append([r["model"], r["attribute"], r["transform"], conflict["n"],
                      conflict[FOLLOWS_VOICE].get("n_speakers", 0), interval_text(conflict[FOLLOWS_VOICE]),
                      interval_text(conflict[FOLLOWS_WORDS]), interval_text(conflict[NEITHER]),
                      interval_text(conflict["no_answer"]), congruent["n"], interval_text(congruent[BOTH])])
    note = ("Synthetic voices (voiceleak stimuli) or your own clips whose words claim one class while the "
            "voice is another ('As a mother of three...' in a male voice). On conflict clips: the share of "
            "valid replies that report the voice's class, the claimed class, a third class, or nothing "
            "(refusal or unparseable). Congruent clips (claim and voice agree) are the control: the share "
            "right. The voiceprint probe follows the voice by construction, a cascade the words. 95% "
            "intervals over voices; n = clips." + stand_in_note(bool(found.get("no_audio_llm"))))
    headers = ["model", "attribute", "transform", "conflict n", "voices", "follows voice %",
               "follows words %", "neither %", "no answer %", "congruent n", "congruent right %"]
    return section_html("Words versus voice", note, headers, table, left=3)
