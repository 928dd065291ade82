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
- a bound ("over 40", "younger than 30", "not 40", "40岁以上") is not a point and is ignored;
- a point with an error margin ("35, give or take 10 years", "35±5", "35 (+/- 5)", "35 años, más o
  menos 5") counts only when the whole interval [centre - margin, centre + margin] lies in one bin
  (35±5 is 30-40; 35, give or take 10, straddles and is UNPARSEABLE, as is a margin whose centre is
  in another sentence). The margin itself is never read as an age.

Spanish, French, German and Chinese read the same way: number words and numerals become digits first
(`numbers_i18n`), and "años", "ans", "Jahre", "岁", "unos", "environ", "etwa", "大约", "entre 30 y
40", "30到40岁", "三十多岁", "Mitte dreißig" are units, cues, ranges and decades like their English
counterparts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from voiceleak.attributes import Attribute
from voiceleak.scoring.numbers_i18n import digits

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
                   r"out of|/\s*\d|x\b|times|semitones?|st\b|points?|cents?|khz|samples?|"
                   r"赫兹|赫茲|分贝|分貝|公斤|千克|斤|厘米|米|次|个|個|分钟|分鐘|秒)", re.IGNORECASE)
_YEARS = (r"years?(?:\s+old)?|yrs?|y\.?o\b\.?|year-old|-year-old|años?(?:\s+de\s+edad)?|ans?\b|jahren?(?:\s+alt)?|"
          r"-?jährige[rn]?|周岁|週歲|岁|歲")
_YEARS_AFTER = re.compile(rf"^\s*(?:-\s*)?(?:{_YEARS}|ish\b|-ish\b|左右|上下|前后|前後)", re.IGNORECASE)
_CUE_BEFORE = re.compile(r"\b(?:age[sd]?|around|about|approximately|approx|roughly|circa|ca|estimated?|"
                         r"estimating|guess|likely|probably|perhaps|maybe|possibly|nearly|almost|"
                         r"in (?:his|her|their) (?:early |mid |late )?|(?:speaker|he|she|they|person|"
                         r"individual|man|woman)(?:'s| is| are| seems| appears)(?: to be)?|"
                         r"unos|unas|alrededor de|aproximadamente|cerca de|edad|environ|vers|autour de|"
                         r"âgée? de|âge|etwa|ungefähr|zirka|rund|alter)"
                         r"\s*[:=]?\s*(?:of\s+|de\s+)?(?:~\s*)?$|(?:约|約|大约|大約|大概|估计|估計|年龄|年齡)\s*(?:是|为|為)?\s*$|"
                         r"~\s*$", re.IGNORECASE)
_BOUND_BEFORE = re.compile(r"(?:\b(?:than|over|under|above|below|least|most|beyond|past|not|exceeding|"
                           r"older|younger|más de|menos de|mayor que|menor que|plus de|moins de|über|unter|"
                           r"mindestens|höchstens|als)\s+(?:the\s+)?(?:age\s+of\s+)?|"
                           r"(?:超过|超過|不到|大于|大於|小于|小於|高于|高於|低于|低於|不是)\s*)$", re.IGNORECASE)
_BOUND_AFTER = re.compile(rf"\s*(?:{_YEARS})?\s*(?:\+|or (?:older|more|above|younger|less)|and (?:up|above|over|older)|"
                          r"o más|ou plus|oder (?:älter|mehr)|以上|以下|之上|往上|开外|開外)", re.IGNORECASE)
_RANGE = re.compile(rf"(?P<between>(?:between|entre|zwischen)\s+|介于|介於)?{_NUM}\s*(?:{_YEARS})?\s*"
                    rf"(?P<link>-|to|and|until|y|a|et|à|und|bis|到|至|~)\s*{_NUM}(?!\s*'?s\b)"
                    r"(?P<more>\s*(?:多|几|幾|来|來|y tantos|y pico|y algo))?", re.IGNORECASE)
_DECADE = re.compile(r"(?<![\d.])(?:'|’)?([1-9])0\s*'?s\b|"
                     r"(?<![\d.])([1-9])0\s*(?:多|几|幾|来|來|y tantos|y pico|y algo|(?:岁|歲)出头|(?:岁|歲)出頭)|"
                     r"\b(?:anfang|mitte|ende|en sus|en los|in den|mediados de los|principios de los|"
                     r"finales de los)\s+([1-9])0(?:er|ern)?\b", re.IGNORECASE)
_MARGIN_WORDS = {"a year": 1, "one year": 1, "a couple": 2, "a couple of": 2, "a few": 5, "a decade": 10,
                 "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                 "cinco": 5, "diez": 10, "cinq": 5, "dix": 10, "fünf": 5, "zehn": 10, "五": 5, "十": 10}
_SIGN = r"±|\+/-|\+-|\+\s*/\s*-|plus or minus|plus/minus|plus minus|give or take|上下|正负|正負"
_MARGIN_SIZE = rf"(?P<margin>\d{{1,2}}|{'|'.join(sorted(_MARGIN_WORDS, key=len, reverse=True))})(?:\s*(?:{_YEARS}))?"
#: "35, give or take 10 years", "35±5", "35 (+/- 5)", "35 años, más o menos 5", "35岁上下5岁"
_MARGIN = re.compile(rf"{_NUM}\s*(?:{_YEARS})?\s*,?\s*\(?\s*(?:{_SIGN}|more or less|más o menos|plus ou moins|"
                     rf"à peu près)\s*{_MARGIN_SIZE}\s*\)?", re.IGNORECASE)
_LONE_MARGIN = re.compile(rf"(?:{_SIGN})\s*{_MARGIN_SIZE}", re.IGNORECASE)
_POINT = re.compile(_NUM)
_DIGIT = re.compile(r"\d")
_WORD_POINT = re.compile(_WORD_NUM, re.IGNORECASE)


@dataclass(frozen=True)
class NumberMention:
    start: int
    end: int
    label: str | None  # the bin, or None when the number says nothing usable
    note: str  # "point", "decade", "range", "margin", "straddle", "outside bins", "bound"
    text: str = ""  # what was read (the text after number words became digits)


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
    text = digits(text)
    taken: list[tuple[int, int]] = []
    out: list[NumberMention] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    digit = bool(_DIGIT.search(text))
    for match in _MARGIN.finditer(text) if digit else ():
        centre, margin = float(match.group(1)), _margin(match.group("margin"))
        taken.append(match.span())
        out.append(_interval(text, match, attribute, centre - margin, centre + margin, "margin"))
    if digit or any(sign in text.lower() for sign in ("±", "+/-", "give or take", "plus or minus", "上下", "正负")):
        for match in _LONE_MARGIN.finditer(text):  # a margin whose centre is elsewhere: not an age
            if free(*match.span()):
                taken.append(match.span())
                out.append(NumberMention(*match.span(), None, "margin", match.group(0)))
    if not digit:  # only English number words can be ages
        return sorted((m for m in [*out, *_word_points(text, attribute, whole, free)] if m.note != "no cue"),
                      key=lambda m: m.start)
    for match in _RANGE.finditer(text):
        if not free(*match.span()) or _unit_after(text, match.end()):
            continue
        if match.group("link").lower() in {"and", "y", "et", "und"} and not match.group("between"):
            continue  # "20 and 30" without "between" is a list, not a range
        taken.append(match.span())
        low, high = (float(g) for g in match.groups()[1:4:2])  # groups: between, low, link, high
        high += 9.5 if match.group("more") else 0  # "20到30多岁": to thirty-something
        out.append(_interval(text, match, attribute, low, high, "range"))
    for match in _DECADE.finditer(text):
        if free(*match.span()):
            taken.append(match.span())
            decade = float(next(g for g in match.groups() if g)) * 10
            out.append(_point(text, match.start(), match.end(), attribute, decade, "decade", cue=True))
    for match in _POINT.finditer(text):
        if free(*match.span()):
            out.append(_point(text, match.start(), match.end(), attribute, float(match.group(1)), "point",
                              cue=whole or _has_cue(text, match.start(), match.end())))
    out += _word_points(text, attribute, whole, free)
    return sorted((m for m in out if m.note != "no cue"), key=lambda m: m.start)


def _word_points(text: str, attribute: Attribute, whole: bool,
                 free: Callable[[int, int], bool]) -> list[NumberMention]:
    out = []
    for match in _WORD_POINT.finditer(text):
        value = _word_value(match)
        if free(*match.span()) and value is not None:
            out.append(_point(text, match.start(), match.end(), attribute, value, "point",
                              cue=whole or _has_cue(text, match.start(), match.end())))
    return out


def _interval(text: str, match: re.Match[str], attribute: Attribute, low: float, high: float,
              note: str) -> NumberMention:
    if _bounded(text, match.start()):
        return NumberMention(*match.span(), None, "bound", match.group(0))
    label = bin_range(attribute, low, high)
    if note == "margin":  # the centre's bin must hold the whole interval (30 ± 0 is 30-40, not 20-30)
        label = attribute.bin_number((low + high) / 2)
        if label is not None:
            index = attribute.classes.index(label)
            label = label if attribute.bins[index] <= low and high <= attribute.bins[index + 1] else None
    if label:
        return NumberMention(*match.span(), label, note, match.group(0))
    return NumberMention(*match.span(), None, "straddle" if _any_bin(attribute, low, high) else "outside bins",
                         match.group(0))


def _margin(size: str) -> float:
    size = size.lower()
    return float(size) if size.isdigit() else float(_MARGIN_WORDS[size])


def _point(text: str, start: int, end: int, attribute: Attribute, value: float, note: str,
           cue: bool) -> NumberMention:
    if _unit_after(text, end) or not cue:
        return NumberMention(start, end, None, "no cue")
    if _bounded(text, start) or _BOUND_AFTER.match(text, end):
        return NumberMention(start, end, None, "bound", text[start:end])
    label = attribute.bin_number(value)
    return NumberMention(start, end, label, note if label else "outside bins", text[start:end])


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
