"""Numbers written in words or Chinese numerals, turned into digits before `scoring.numbers` reads them.

"treinta y cinco años" -> "35 años", "trente-cinq ans" -> "35 ans", "fünfunddreißig Jahre" ->
"35 Jahre", "三十五岁" -> "35岁", "三十多岁" -> "30多岁". Only numbers from ten up are rewritten (the
bins start at 10), and Chinese numerals only before an age word or a range sign, so "十分" (very)
stays as it is. The age units and cues of each language are in `scoring.numbers`.
"""

from __future__ import annotations

import re

_ES_TENS = {"veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70,
            "ochenta": 80, "noventa": 90}
_ES_ONES = {"uno": 1, "una": 1, "un": 1, "dos": 2, "dós": 2, "tres": 3, "trés": 3, "cuatro": 4, "cinco": 5,
            "seis": 6, "séis": 6, "siete": 7, "ocho": 8, "nueve": 9}
_ES_TEENS = {"diez": 10, "doce": 12, "trece": 13, "catorce": 14, "quince": 15, "dieciséis": 16,
             "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19}  # "once": English too
_FR_TENS = {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
            "quatre-vingts": 80, "quatre-vingt": 80}
_FR_UNITS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
             "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
             "seize": 16, "dix-sept": 17, "dix-huit": 18, "dix-neuf": 19}
_DE_TENS = {"zwanzig": 20, "dreißig": 30, "dreissig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60,
            "siebzig": 70, "achtzig": 80, "neunzig": 90}
_DE_ONES = {"ein": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9}
_DE_TEENS = {"zehn": 10, "zwölf": 12, "dreizehn": 13, "vierzehn": 14, "fünfzehn": 15, "sechzehn": 16,
             "siebzehn": 17, "achtzehn": 18, "neunzehn": 19}  # "elf": English too


def _alt(words: dict[str, int]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_TEENS_FR = {k: v for k, v in _FR_UNITS.items() if v >= 10}
_WORDS = re.compile(
    rf"(?<![\w-])(?:(?P<es_t>{_alt(_ES_TENS)})(?:\s+y\s+(?P<es_o>{_alt(_ES_ONES)}))?"
    rf"|veinti(?P<es_v>{_alt(_ES_ONES)})|(?P<es_teen>{_alt(_ES_TEENS)})"
    rf"|(?P<fr_t>{_alt(_FR_TENS)})(?:(?:-|\s+)et(?:-|\s+)(?P<fr_et>un|une|onze)|-(?P<fr_o>{_alt(_FR_UNITS)}))?"
    rf"|(?P<fr_teen>{_alt(_TEENS_FR)})"
    rf"|(?:(?P<de_o>{_alt(_DE_ONES)})und)?(?P<de_t>{_alt(_DE_TENS)})|(?P<de_teen>{_alt(_DE_TEENS)}))(?![\w-])",
    re.IGNORECASE)

_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_ZH = re.compile(r"(?<![一二两兩三四五六七八九十])"  # "三四十岁" (thirty or forty) is no one number
                 r"([一二两兩三四五六七八九]?十[一二三四五六七八九]?|[一二两兩三四五六七八九])"
                 r"(?=\s*(?:周?岁|週?歲|多|几|幾|来|來|出头|出頭|到|至|-|~|左右|上下))")


def _word_value(match: re.Match[str]) -> int:
    g = {k: (v.lower() if v else v) for k, v in match.groupdict().items()}
    if g["es_t"]:
        return _ES_TENS[g["es_t"]] + (_ES_ONES[g["es_o"]] if g["es_o"] else 0)
    if g["es_v"]:
        return 20 + _ES_ONES[g["es_v"]]
    if g["es_teen"]:
        return _ES_TEENS[g["es_teen"]]
    if g["fr_t"]:
        base = _FR_TENS[g["fr_t"]]
        extra = g["fr_et"] or g["fr_o"]
        return base + ((11 if extra == "onze" else 1) if g["fr_et"] else _FR_UNITS[extra] if extra else 0)
    if g["fr_teen"]:
        return _FR_UNITS[g["fr_teen"]]
    if g["de_t"]:
        return _DE_TENS[g["de_t"]] + (_DE_ONES[g["de_o"]] if g["de_o"] else 0)
    return _DE_TEENS[g["de_teen"]]


def _zh_value(numeral: str) -> int:
    if "十" not in numeral:
        return _ZH_DIGITS[numeral]
    tens, _, ones = numeral.partition("十")
    return (_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0)


#: "二十五六岁" (25 or 26), "三十七八岁": two neighbouring ages, read as a range
_ZH_PAIR = re.compile(r"([一二三四五六七八九]?十)([一二三四五六七八])([二三四五六七八九])(?=\s*(?:岁|歲))")


def _zh_pair(match: re.Match[str]) -> str:
    tens = _zh_value(match.group(1))
    first, second = _ZH_DIGITS[match.group(2)], _ZH_DIGITS[match.group(3)]
    return f"{tens + first}-{tens + second}" if second == first + 1 else match.group(0)


def digits(text: str) -> str:
    """`text` with Spanish, French, German and Chinese number words written as digits."""
    text = _WORDS.sub(lambda m: str(_word_value(m)), text)
    if not text.isascii():
        text = _ZH.sub(lambda m: str(_zh_value(m.group(1))), _ZH_PAIR.sub(_zh_pair, text))
    return text
