"""Numbers in replies about a binned attribute (age): points, decades, ranges, number words.

Rules, chosen to never guess:
- a point ("34", "around 45", "45 years old", "forty-five") goes to its bin, bins being [low, high);
  a bare number counts only with an age cue (years, aged, around, about, estimate, ...) or when it
  is the whole answer, so "a pitch around 180 Hz" or "confidence: 80" never becomes an age;
- a decade ("30s", "mid-30s", "late twenties") is the bin of that decade;
- a range ("25-35", "between 30 and 40", "25 to 35 years") counts only when it lies inside one bin
  (its upper end may touch the bin's upper edge: "30-40" and "35-40" are 30-40). A range that
  straddles two bins is ambiguous: we report it as such (UNPARSEABLE) rather than take its midpoint,
  because "25-35" commits to neither 20-30 nor 30-40 and a midpoint on a bin edge is a coin toss;
- a bound ("over 40", "younger than 30", "not 40") is not a point and is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voiceleak.attributes import Attribute

_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_ONES = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}

_NUM = r"(?<![\d.,])(\d{1,3})(?!\d|\.\d|,\d)"
_WORD_NUM = (rf"\b(?:({'|'.join(_TENS)})(?:[\s-]({'|'.join(_ONES)}))?|({'|'.join(_TEENS)}))\b"
             r"(?!ies|ieth)")
_UNIT = re.compile(r"^\s*(?:-\s*)?(?:hz|khz|db|%|percent|per ?cent|ms|milliseconds?|sec|secs|seconds?|"
                   r"minutes?|min|kg|kilos?|lbs?|pounds?|cm|centimet|meters?|metres?|m\b|bpm|wpm|words|syllables|"
                   r"out of|/\s*\d|x\b|times|semitones?|st\b|points?|cents?|khz|samples?)", re.IGNORECASE)
_YEARS_AFTER = re.compile(r"^\s*(?:-\s*)?(?:years?|yrs?|y\.?o\b\.?|year-old|-year-old|ish\b|-ish\b)",
                          re.IGNORECASE)
_CUE_BEFORE = re.compile(r"\b(?:age[sd]?|around|about|approximately|approx|roughly|circa|ca|estimated?|"
                         r"estimating|guess|likely|probably|perhaps|maybe|possibly|nearly|almost|"
                         r"in (?:his|her|their) (?:early |mid |late )?|(?:speaker|he|she|they|person|"
                         r"individual|man|woman)(?:'s| is| are| seems| appears)(?: to be)?)"
                         r"\s*[:=]?\s*(?:of\s+)?(?:~\s*)?$|~\s*$",
                         re.IGNORECASE)
_BOUND_BEFORE = re.compile(r"\b(?:than|over|under|above|below|least|most|beyond|past|not|exceeding|"
                           r"older|younger)\s+(?:the\s+)?(?:age\s+of\s+)?$", re.IGNORECASE)
_RANGE = re.compile(rf"(?:between\s+)?{_NUM}\s*(?:-|to|and|until)\s*{_NUM}(?!\s*'?s\b)", re.IGNORECASE)
_DECADE = re.compile(r"(?<![\d.])(?:'|’)?([1-9])0\s*'?s\b", re.IGNORECASE)
_POINT = re.compile(_NUM)
_WORD_POINT = re.compile(_WORD_NUM, re.IGNORECASE)


@dataclass(frozen=True)
class NumberMention:
    start: int
    end: int
    label: str | None  # the bin, or None when the number says nothing usable
    note: str  # "point", "decade", "range", "straddle", "outside bins", "bound"


def bin_range(attribute: Attribute, low: float, high: float) -> str | None:
    """The one bin holding [low, high]; the upper end may touch the bin's upper edge."""
    low, high = min(low, high), max(low, high)
    for lo, hi, label in zip(attribute.bins, attribute.bins[1:], attribute.classes, strict=False):
        if lo <= low and high <= hi:
            return label
    return None


def number_mentions(text: str, attribute: Attribute, whole: bool = False) -> list[NumberMention]:
    """Every age-like number in `text` (one clause). `whole`: the text is the entire answer."""
    if not attribute.bins:
        return []
    taken: list[tuple[int, int]] = []
    out: list[NumberMention] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for match in _RANGE.finditer(text):
        if not free(*match.span()) or _unit_after(text, match.end()):
            continue
        if "and" in match.group(0).lower() and "between" not in match.group(0).lower():
            continue  # "20 and 30" without "between" is a list, not a range
        low, high = float(match.group(1)), float(match.group(2))
        taken.append(match.span())
        if _bounded(text, match.start()):
            out.append(NumberMention(*match.span(), None, "bound"))
            continue
        label = bin_range(attribute, low, high)
        note = "range" if label else ("straddle" if _any_bin(attribute, low, high) else "outside bins")
        out.append(NumberMention(*match.span(), label, note))
    for match in _DECADE.finditer(text):
        if free(*match.span()):
            taken.append(match.span())
            decade = float(match.group(1)) * 10
            out.append(_point(text, match.start(), match.end(), attribute, decade, "decade", cue=True))
    for match in _POINT.finditer(text):
        if free(*match.span()):
            out.append(_point(text, match.start(), match.end(), attribute, float(match.group(1)), "point",
                              cue=whole or _has_cue(text, match.start(), match.end())))
    for match in _WORD_POINT.finditer(text):
        value = _word_value(match)
        if free(*match.span()) and value is not None:
            out.append(_point(text, match.start(), match.end(), attribute, value, "point",
                              cue=whole or _has_cue(text, match.start(), match.end())))
    return sorted((m for m in out if m.note != "no cue"), key=lambda m: m.start)


def _point(text: str, start: int, end: int, attribute: Attribute, value: float, note: str,
           cue: bool) -> NumberMention:
    if _unit_after(text, end) or not cue:
        return NumberMention(start, end, None, "no cue")
    if _bounded(text, start):
        return NumberMention(start, end, None, "bound")
    label = attribute.bin_number(value)
    return NumberMention(start, end, label, note if label else "outside bins")


def _word_value(match: re.Match[str]) -> float | None:
    tens, ones, teen = match.group(1), match.group(2), match.group(3)
    if teen:
        return float(_TEENS[teen.lower()])
    if tens:
        return float(_TENS[tens.lower()] + (_ONES[ones.lower()] if ones else 0))
    return None


def _unit_after(text: str, end: int) -> bool:
    return bool(_UNIT.match(text[end:end + 14]))


def _has_cue(text: str, start: int, end: int) -> bool:
    return bool(_YEARS_AFTER.match(text[end:end + 12]) or _CUE_BEFORE.search(text[max(0, start - 40):start]))


def _bounded(text: str, start: int) -> bool:
    return bool(_BOUND_BEFORE.search(text[max(0, start - 30):start]))


def _any_bin(attribute: Attribute, low: float, high: float) -> bool:
    return attribute.bin_number(low) is not None or attribute.bin_number(high) is not None
