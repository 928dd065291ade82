"""The section of report.html for the audio model as speaker verifier (the figures: `analysis.verify`)."""

from __future__ import annotations

from typing import Any

from voiceleak.report.console import short
from voiceleak.report.html import section
from voiceleak.report.sections.common import section_html

COLUMNS = ["model", "task", "condition", "EER % (confidence)", "minDCF (confidence)", "EER % (yes/no)",
           "miss % (yes/no)", "false alarm % (yes/no)", "voiceprint EER % (same trials)", "trials (speakers)",
           "declined / unclear"]


def _number(value: dict[str, Any] | None) -> str:
    if not value or value.get("value") is None:
        return "—"
    text = f"{value['value']:.2f}"
    return text + (f" [{value['low']:.2f}–{value['high']:.2f}]" if value.get("low") is not None else "")


def _cells(row: dict[str, Any]) -> list[object]:
    voiceprint = row.get("voiceprint") or {}
    return [row["model"], row["task"], row["transform"], short(row["from_confidence"]["eer"]),
            _number(row["from_confidence"]["min_dcf"]), short(row["from_yes_no"]["eer"]),
            short(row["miss_rate"]), short(row["false_alarm_rate"]), short(voiceprint.get("eer")),
            f"{row['n_trials']} ({row['n_speakers']})", f"{row['n_declined']} / {row['n_unclear']}"]


@section("verify")
def verify_html(results: dict[str, Any]) -> str:
    data = (results.get("analyses") or {}).get("verify")
    if not data:
        return ""
    note = ("Each request carries two clips and asks whether one person speaks in both (half the trials "
            "target, balanced within every speaker, seeded). EER and minDCF (p_target 0.05) from the score "
            "that signs the model's 1-10 confidence with its yes or no (no decision ranks in the middle); "
            "the yes/no columns read the decision alone. The voiceprint EER is the resemblyzer cosine on "
            "the same trials and the same audio. 95% intervals from a bootstrap over enrolment speakers "
            "(shares: over speakers); higher EER = a worse verifier, 50 = chance.")
    return section_html("The audio model as speaker verifier", note, COLUMNS, [_cells(r) for r in data["rows"]], left=3,
                        notes=data.get("stand_ins"))
