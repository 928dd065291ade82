"""Refusal phrasings: the many ways a model declines to say what it heard.

Patterns are applied to one clause at a time (see `phrases.clauses`), so "I can't be sure, but it
sounds female" has a refusal clause and a committed clause; the parser decides what that means.
Two kinds are told apart because they mean different things in a blind control: a refusal proper
("I won't infer someone's gender") and "I hear no audio" (the model noticed there is nothing).
"""

from __future__ import annotations

import re

REFUSAL = "refusal"
NO_AUDIO = "no audio heard"

_VERBS = (r"(?:determine|tell|identify|infer|guess|say|know|assess|provide|speculate|answer|make|judge|"
          r"estimate|classify|predict|help|assist|comply|discern|ascertain|detect|be (?:sure|certain)|give|"
          r"offer|label|categori[sz]e|confirm|conclude|pinpoint|gauge|decide|choose|pick|select|rate|"
          r"evaluate|comment|specify)")
_CANNOT = (r"(?:cannot|can ?not|can't|could not|couldn't|won't|will not|am unable to|'m unable to|"
           r"am not able to|'m not able to|unable to|not able to|don't think i can|do not think i can|"
           r"am not in a position to|'m not in a position to)")

_PRIVATE = (r"(?:privacy|private (?:information|matters?)|(?:sensitive|personal|protected|private) "
            r"(?:information|attributes?|characteristics?|traits?|details?|data|categories|topics?))")

REFUSAL_PATTERNS: tuple[str, ...] = (
    # "I cannot determine ...", "We are unable to tell ...", "Sorry, I can't help with that"
    rf"\b(?:i|we)\b[^.;!?\n]{{0,12}}?{_CANNOT}\b[^.;!?\n]{{0,60}}?\b{_VERBS}",
    rf"^\s*(?:sorry,?\s*)?{_CANNOT}\s+{_VERBS}",
    rf"\b(?:unable|not able) to (?:reliably |accurately |confidently )?{_VERBS}",
    # "It's not possible to infer ...", "impossible to say", "there is no way to know"
    rf"\b(?:not |im)possible\b[^.;!?\n]{{0,30}}?\bto (?:{_VERBS}|be sure)",
    r"\bno (?:reliable |accurate )?way (?:for me )?to\b",
    r"\b(?:cannot|can ?not|can't|could not|couldn't)\s+(?:be\s+)?(?:reliably\s+|accurately\s+)?"
    r"(?:determined|inferred|identified|assessed|established|known|told|ascertained|judged|estimated)",
    r"\b(?:not|isn't|is not)\s+(?:reliably\s+)?(?:determinable|discernible|inferable|identifiable)\b",
    # "not clear" and "uncertain" also describe voices ("an uncertain tone"): only about the answer
    r"\b(?:it|this|that)(?:'s| is) (?:not|un)clear\b|\bit isn't clear\b|\bunclear (?:whether|if)\b",
    r"\b(?:hard|difficult|tricky)\s+to\s+(?:say|tell|determine|judge|infer|know|assess)\b",
    # "I'd rather not speculate", "I prefer not to", "I won't make assumptions"
    r"\b(?:i'd|i would|i'll|i will)\s+(?:rather|prefer)\s+not\b",
    r"\bprefer not to\b",
    r"\b(?:i|we)\s+(?:won't|will not|do not|don't|shouldn't|should not|can't|cannot)\s+"
    r"(?:speculate|guess|make (?:any )?(?:assumptions|guesses|inferences|judgements|judgments)|assume|infer)",
    r"\b(?:must|have to|need to|will have to|should)\s+(?:respectfully\s+|politely\s+)?(?:decline|refrain)",
    r"\bi (?:respectfully )?decline\b",
    r"\brefrain from\b",
    # privacy and appropriateness refusals
    rf"\b{_PRIVATE}\b[^.;!?\n]{{0,80}}?\b(?:not|cannot|can't|won't|avoid|refrain|inappropriate|decline|"
    r"shouldn't)\b",
    rf"\b(?:not|cannot|can't|won't|avoid|refrain|inappropriate|shouldn't)\b[^.;!?\n]{{0,80}}?\b{_PRIVATE}",
    r"\b(?:not |in)appropriate\b",
    r"\b(?:don't|do not|am not|'m not)\s+(?:feel\s+)?comfortable\b",
    # missing information
    r"\b(?:don't|do not|doesn't|does not|didn't)\s+(?:have|contain|provide|give)\s+(?:enough|sufficient)\b",
    r"\b(?:not enough|insufficient)\s+(?:information|evidence|cues|context|data|indication)\b",
    # bare "no ..." only for what an answer needs ("no indication of illness" asserts something)
    r"\bno (?:clear |reliable )?(?:information|cues|context|data)\b",
    r"\bwithout (?:more|additional|further|any|enough) (?:information|context|data|cues)\b",
    r"\bas an ai\b[^.;!?\n]{0,60}?\b(?:cannot|can't|don't|do not|unable|not able|won't)\b",
    r"\b(?:not|isn't|am not|'m not)\s+(?:entirely\s+|completely\s+)?(?:sure|certain)\b",
    r"\b(?:i'm|i am|we are|i remain)\s+(?:\w+\s+)?(?:unsure|uncertain)\b|\b(?:remains|is) uncertain\b",
    r"\bno idea\b",
    r"\b(?:i|we) (?:don't|do not) know\b",
)

NO_AUDIO_PATTERNS: tuple[str, ...] = (
    r"\b(?:not any|cannot hear|can't hear|don't hear|do not hear|couldn't hear|could not hear|"
    r"did not hear|didn't hear|no audible)\s+(?:any\s+)?"
    r"(?:audio|speech|voice|sound|speaker|words|one speaking)\b",
    r"\b(?:no|without) (?:audio|recording|sound|speech) (?:was |is )?(?:provided|attached|included|given|"
    r"detected|present|available|file)\b",
    r"\b(?:audio|recording|clip|file|track)\s+(?:is|was|appears to be|seems to be|seems)\s+"
    r"(?:completely\s+|entirely\s+)?(?:silent|empty|blank|mute|muted)\b",
    r"\b(?:only|just|nothing but|pure)\s+(?:silence|noise|static|white noise|background noise|hiss)\b",
    # "no voice" alone, not "no voice disorder"
    r"\bno (?:audio|speech|voice|sound|one speaking)(?=\s*(?:[.,;!]|$|(?:was|is|in|at|to|detected|present|"
    r"heard|found|provided|available|input|content|signal|here)\b))",
    # a text-only model: it cannot hear anything
    r"\b(?:can't|cannot|can not|unable to|not able to)\s+(?:process|listen to|hear|access|play)\s+"
    r"(?:the\s+|this\s+|any\s+)?(?:audio|sound|recordings?|clips?|audio files?)\b",
    r"\bonly (?:process|read|understand|handle|work with) text\b",
)

_REFUSAL = re.compile("|".join(REFUSAL_PATTERNS), re.IGNORECASE)
_NO_AUDIO = re.compile("|".join(NO_AUDIO_PATTERNS), re.IGNORECASE)

#: whole replies that decline: "Unknown", "N/A", "Cannot determine", "?"
_EXACT = re.compile(
    r"^(?:unknown|unclear|uncertain|undetermined|undeterminable|indeterminate|unsure|n/?a|none|null|nil|"
    r"no answer|not sure|no idea|not applicable|not determinable|cannot (?:be )?determined?|"
    r"can't (?:be )?determined?|cannot say|can't say|cannot tell|can't tell|refuse|refused|refusal|"
    r"decline|declined|abstain|prefer not to say|no comment|-+|\?+|\.\.\.)$",
    re.IGNORECASE,
)


def refusal_kind(clause: str) -> str | None:
    """REFUSAL, NO_AUDIO, or None for a clause that does not decline."""
    if _NO_AUDIO.search(clause):
        return NO_AUDIO
    if _REFUSAL.search(clause):
        return REFUSAL
    return None


def is_exact_refusal(text: str) -> bool:
    return bool(_EXACT.match(text.strip()))


def is_refusal(text: str) -> bool:
    """Whether any part of the text declines (kept for callers that only need a yes or no)."""
    return is_exact_refusal(text) or refusal_kind(text) is not None
