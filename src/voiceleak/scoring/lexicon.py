"""An attribute's compiled vocabulary for reading replies: class phrases in every language, the
attribute's own nouns, and the "stems" that let a span across classes be recognised.

Built once per attribute (and per set of reply languages), cached on the attribute's fingerprint, so
the parser compiles no pattern per reply.

- English phrases keep whole-word boundaries (and an optional plural "s"); Spanish, French and German
  phrases also match with their usual endings ("männlich" in "männlicher", "femme" in "femmes");
  Chinese phrases match inside running text (no spaces), except one-character ones (男, 女), which
  count only standing alone.
- Pronouns (he, she, his, her, ...) are not class phrases in running text: a pronoun refers to
  whoever the sentence is about (someone quoted, a person mentioned), never decides sex by itself.
- A stem is the part of a class phrase that tells it from another class's phrase with the same
  noun: "low" and "middle" of "low income" / "middle income", "media" and "alta" of "clase media" /
  "clase alta". It is never an answer; it only shows that "middle or upper class" names two classes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from voiceleak.attributes import Attribute
from voiceleak.scoring import phrases_i18n as i18n

PRONOUNS = frozenset({"he", "him", "his", "himself", "she", "her", "hers", "herself"})
SPAN = "~"  # the label of a phrase that names several classes at once
BLOCK = ""  # the label of a head word: it hides the phrases inside it and names nothing
_SUFFIX = {"en": "s?", "es": "(?:s|es)?", "fr": "(?:s|e|es|x)?", "de": "(?:e|en|er|em|es|s|n)?"}
_STOP = frozenset({"de", "del", "d'", "of", "the", "a", "an", "la", "le", "en", "du", "des", "der", "die",
                   "das", "von", "mit", "con", "avec", "with", "in", "y", "et", "und", "and"})


@dataclass(frozen=True)
class Row:
    label: str  # a class, SPAN or BLOCK
    phrase: str
    pattern: re.Pattern[str]
    probe: str  # a lower-case literal the text must hold for the pattern to match at all
    common: bool  # a word too common to count in running text (see phrases.COMMON_WORDS)
    stem: bool = False


@dataclass(frozen=True)
class Lexicon:
    rows: tuple[Row, ...]
    heads: tuple[str, ...]  # the attribute's own nouns, every language, longest first
    head_after: re.Pattern[str]  # "French accent", "法国口音": a head right after a mention
    head_before: re.Pattern[str]  # "acento francés", "accent français": a head right before
    marker: re.Pattern[str]  # "Gender:", "Geschlecht:", "性别："
    accent_like: bool  # language names are not answers about it ("speaks French")


def is_cjk(text: str) -> bool:
    return bool(i18n.CJK.search(text))


def languages(text: str, attribute: Attribute) -> frozenset[str] | None:
    """The languages a reply may be written in besides English, from a few of their words and the
    attribute's own nouns ("ingresos", "Einkommen"); None: every language (see `phrases_i18n.written_in`)."""
    extra = _CUES.get(attribute.fingerprint)
    if extra is None:
        if len(_CUES) > 1024:
            _CUES.clear()
        extra = {lang: frozenset(h.lower() for h in heads if " " not in h)
                 for lang, heads in attribute.translations.heads.items()}
        _CUES[attribute.fingerprint] = extra
    return i18n.written_in(text, extra)


_CUES: dict[tuple[Any, ...], dict[str, frozenset[str]]] = {}


def _pattern(phrase: str, lang: str, stem: bool = False) -> tuple[str, str]:
    """(regex, probe) for one phrase in one language."""
    if is_cjk(phrase):
        if len(phrase) == 1 and not stem:
            return rf"(?<![\u3400-\u9fff]){re.escape(phrase)}(?![\u3400-\u9fff])", phrase
        return re.escape(phrase), phrase.lower()
    words = [w for w in re.split(r"[\s_\-]+", phrase.strip()) if w]
    escaped = [re.escape(w) for w in words]
    suffix = _SUFFIX.get(lang, "") if words[-1].isalpha() and len(words[-1]) > 3 else ""
    before = r"(?<![\w'\-])" if lang == "en" else r"(?<![\w\-])"  # French elision: "l'homme"
    return before + r"[\s_\-]+".join(escaped) + suffix + r"(?!\w)", words[0].lower()


def _row(label: str, phrase: str, lang: str, common_words: frozenset[str], stem: bool = False) -> Row:
    regex, probe = _pattern(phrase, lang, stem)
    key = phrase.lower().strip()
    return Row(label, phrase, re.compile(regex, re.IGNORECASE), probe, key in common_words, stem)


def _keep(phrase: str, attribute: Attribute) -> bool:
    """Letters, ISO codes, numeric bins and pronouns are exact answers only (or the number rules')."""
    text = phrase.strip().lower()
    if is_cjk(text):
        return True
    if len(re.sub(r"[\s_\-.!?,;:\"'()]+", " ", text).strip()) <= 2 or text in PRONOUNS:
        return False
    return not (attribute.bins and re.fullmatch(r"[\d\s\-.]+", text))


def _stems(phrases: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """(label, stem, lang): what is left of a phrase once the noun it shares with another class's
    phrase is taken away ("low" of "low income" beside "high income")."""
    by_tail: dict[tuple[str, str, str], dict[str, set[str]]] = {}
    for label, phrase, lang in phrases:
        if is_cjk(phrase):
            if len(phrase) >= 3:
                by_tail.setdefault((lang, "end", phrase[-2:]), {}).setdefault(label, set()).add(phrase[:-2])
            continue
        words = phrase.lower().split()
        if len(words) == 2:
            by_tail.setdefault((lang, "end", words[1]), {}).setdefault(label, set()).add(words[0])
            by_tail.setdefault((lang, "start", words[0]), {}).setdefault(label, set()).add(words[1])
    owners: dict[tuple[str, str], set[str]] = {}
    for (lang, _, _), labels in by_tail.items():
        if len(labels) < 2:
            continue
        for label, stems in labels.items():
            for stem in stems:
                if stem not in _STOP and (is_cjk(stem) or len(stem) > 2):
                    owners.setdefault((stem, lang), set()).add(label)
    return [(next(iter(labels)), stem, lang) for (stem, lang), labels in owners.items() if len(labels) == 1]


_CACHE: dict[tuple[Any, ...], Lexicon] = {}


def lexicon(attribute: Attribute, choices: Sequence[str] = (),
            langs: frozenset[str] | None = None) -> Lexicon:
    """The compiled vocabulary of `attribute` (or of an open set's `choices`) for replies in `langs`."""
    cache_key = (attribute.fingerprint, tuple(choices), langs)
    found = _CACHE.get(cache_key)
    if found is not None:
        return found
    if len(_CACHE) > 1024:  # ad-hoc attributes (decision options) must not grow it forever
        _CACHE.clear()
    from voiceleak.scoring.phrases import COMMON_WORDS

    common = COMMON_WORDS | i18n.COMMON_WORDS
    wanted = lambda lang: langs is None or lang in langs  # noqa: E731
    phrases: list[tuple[str, str, str]] = []
    for label in tuple(choices) or attribute.classes:
        phrases += [(label, p, "en") for p in {label, *(attribute.synonyms.get(label, ()) if not choices else ())}]
        if not choices:
            phrases += [(label, p, lang) for lang, by_label in attribute.translations.classes.items()
                        if wanted(lang) for p in by_label.get(label, ())]
    rows = [_row(label, p, lang, common) for label, p, lang in dict.fromkeys(phrases) if _keep(p, attribute)]
    rows += [_row(SPAN, p, lang, common) for lang, spans in attribute.translations.spans.items()
             if wanted(lang) for p in spans]
    heads = head_words(attribute)
    if not choices:
        rows += [_row(label, stem, lang, common, stem=True) for label, stem, lang in _stems(phrases)]
        # the attribute's own Chinese nouns hide the class inside them ("健康" of "健康状况")
        rows += [_row(BLOCK, h, "zh", common) for h in heads if is_cjk(h)]
    latin = "|".join(re.escape(h).replace(r"\ ", r"[\s_]") for h in heads if not is_cjk(h))
    cjk = "|".join(re.escape(h) for h in heads if is_cjk(h)) or "(?!)"
    made = Lexicon(
        rows=tuple(rows),
        heads=heads,
        head_after=re.compile(rf"\s*-?\s*(?:sounding\s+)?(?:(?:{latin})\b|{cjk})", re.IGNORECASE),
        head_before=re.compile(rf"(?:(?<![\w'])(?:{latin})|{cjk})\s*(?:de\s+|del\s+|d'|:\s*)?$",
                               re.IGNORECASE),
        marker=re.compile(
            r"(?:(?<![\w])(?:estimated\s+|predicted\s+|likely\s+|probable\s+|apparent\s+|perceived\s+|"
            rf"speaker'?s?\s+)?(?:{latin})(?:\s+(?:range|group|category|level|class|bracket|band|estimate))?"
            rf"|{cjk})\s*[\"']?\s*[:=][ \t]*", re.IGNORECASE),
        accent_like=any("accent" in h or "dialect" in h for h in heads),
    )
    _CACHE[cache_key] = made
    return made


def head_words(attribute: Attribute) -> tuple[str, ...]:
    words = {attribute.name, *attribute.aliases, *(["gender"] if attribute.name == "sex" else [])}
    words |= {w for heads in attribute.translations.heads.values() for w in heads}
    return tuple(sorted({w.lower().replace("_", " ") for w in words}, key=len, reverse=True))
