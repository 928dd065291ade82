"""The grammar words of replies in Chinese, Spanish, French and German, beside the English ones.

The class synonyms themselves are data (`data/attributes_i18n.yaml`); here are the closed-class
words the reading rules of `scoring.phrases` need in every language: negators, contrastive
conjunctions, hedges that commit to an answer, answer markers, the nouns of voice description,
speech verbs and the cues of a language being spoken. Everything is compiled once, at import.
Chinese is written without spaces, so its words are matched without word boundaries.
"""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

#: full-width and CJK punctuation -> ASCII (with the space a sentence split needs)
PUNCTUATION = str.maketrans({
    "。": ". ", "．": ". ", "！": "! ", "？": "? ", "；": "; ", "，": ", ", "、": ", ", "：": ": ",
    "（": " (", "）": ") ", "「": '"', "」": '"', "『": '"', "』": '"', "《": '"', "》": '"', "«": '"',
    "»": '"', "„": '"', "～": "~", "\u3000": " ", "\u00a0": " ", "\u202f": " ",
})

#: a few words that mark a reply as written in one language (with the attributes' own nouns in that
#: language, added by `lexicon.languages`)
_CUE_WORDS = {
    "es": "el los las la de y es está una del con pero muy más que su parece hablante voz años tiene "
          "probablemente creo persona hombre mujer nivel",
    "fr": "le les la de et est une des du avec mais très sa semble locuteur locutrice voix ans il elle "
          "c'est probablement je personne homme femme niveau à au aux plutôt pas n'est",
    "de": "der die das den dem ist eine ein einen mit und aber sehr bis oder als eher klingt sprecher sprecherin "
          "stimme jahre wahrscheinlich nicht ich person mann frau kein keine",
}
CUES = {lang: frozenset(words.split()) for lang, words in _CUE_WORDS.items()}
_TOKENS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def written_in(text: str, extra: dict[str, frozenset[str]] | None = None) -> frozenset[str] | None:
    """The languages a reply may be written in besides English, from a few of their words (and `extra`
    ones per language); None: read it in every language (a reply of three words or fewer: "Mujer",
    "männlich", "30 ans"). English replies are then read in English only."""
    if len(text.split()) <= 3:
        return None
    tokens = set(_TOKENS.findall(text.lower()))
    found = {lang for lang, cues in CUES.items() if not tokens.isdisjoint(cues)
             or (extra and not tokens.isdisjoint(extra.get(lang, ())))}
    if not text.isascii() and CJK.search(text):
        found.add("zh")
    return frozenset(found)


NEGATORS = frozenset({
    "ni", "nunca", "jamás", "tampoco", "sin", "ningún", "ninguna", "ninguno",  # es ("no" is English too)
    "pas", "ne", "n'est", "n'a", "jamais", "sans", "aucun", "aucune", "non",  # fr
    "nicht", "kein", "keine", "keiner", "keinen", "keinem", "keines", "nie", "niemals", "weder", "ohne",  # de
})
NEAR_NEGATORS = frozenset({"statt", "anstatt", "anstelle", "contrairement"})
#: two words that negate what follows them: "en lugar de", "au lieu de"
NEAR_PAIRS = frozenset({("lugar", "de"), ("vez", "de"), ("lieu", "de")})
#: "than" after a comparative: "plutôt féminine que masculine", "más femenina que masculina"
THAN = frozenset({"que", "qu'une", "qu'un", "als"})
COMPARATIVES = frozenset({"plutôt", "plus", "moins", "más", "menos", "eher", "mehr", "weniger"})
#: a Chinese negator just before a mention ("不是男性", "并非女性", "而不是一位男性")
CJK_NEGATED = re.compile(r"(?:不是|并非|並非|并不是|並不是|不像|不太像|而非|没有|沒有|不)\s*"
                         r"(?:一个|一個|一位|个|個|位|的|很)?\s*$")

CONJUNCTIONS = (r"\b(?:pero|sin embargo|aunque|no obstante|mais|cependant|toutefois|pourtant|néanmoins|"
                r"aber|jedoch|allerdings|dennoch|trotzdem)\b|(?:但是|但|不过|不過|然而|可是|虽然|雖然|尽管|儘管)")
SUBORDINATE = r"aunque|si bien|bien que|quoique|même si|obwohl|obgleich|wenn auch|虽然|雖然|尽管|儘管|即使"

COMMIT = (r"\b(?:parece|suena|probablemente|posiblemente|quizás?|tal vez|creo que|diría|el hablante es|"
          r"la hablante es|la persona es|se trata de|semble|sonne|probablement|peut-être|je pense|je dirais|"
          r"on dirait|il s'agit d'|le locuteur est|la locutrice est|la personne est|c'est une?|"
          r"klingt|scheint|wahrscheinlich|vermutlich|vielleicht|ich denke|ich glaube|ich würde sagen|"
          r"der sprecher ist|die sprecherin ist|die person ist|es handelt sich um)\b")
COMMIT_CJK = (r"听起来|聽起來|似乎|可能|应该是|應該是|大概|也许|也許|估计|估計|我认为|我認為|我觉得|我覺得|"
              r"像是|说话人是|說話人是|说话者是|說話者是|判断为|判斷為|推测|推測")

#: "Final answer:" in other languages; the Chinese ones need no word boundary
EXPLICIT = (r"respuesta(?:\s+final)?|mi\s+respuesta|conclusión|veredicto|réponse(?:\s+finale)?|"
            r"ma\s+réponse|verdict|(?:endgültige\s+)?antwort|meine\s+antwort|fazit|ergebnis")
EXPLICIT_CJK = r"最终答案|最終答案|答案|回答|结论|結論|我的答案|判断结果|判斷結果"
#: "The answer is ...": the copula after a marker
COPULA = r"\b(?:is|es|est|ist|lautet|sería|serait|wäre)\b:?|是|为|為"

#: an attribute complement at the end of a clause: "... es probablemente pobre."
ENDS_CLAUSE = r"es|está|parece|probablemente|sería|est|semble|probablement|serait|ist|wirkt|scheint|" \
              r"wahrscheinlich|vermutlich|eher|wäre"

#: nouns of voice description: a descriptive word about them is not an answer ("the pitch is low")
ACOUSTIC = (r"\b(?:voice|voices|pitch|pitched|tone|tones|timbre|breathing|breath|breaths|breathy|cough|"
            r"coughs|coughing|resonance|register|intonation|delivery|tempo|volume|vocal|"
            r"prosody|articulation|speech rate|speaking rate|rasp|hoarseness|"
            r"voz|tono|timbre|respiración|tos|entonación|volumen|"
            r"voix|ton|respiration|toux|intonation|débit|"
            r"stimme|stimmlage|tonlage|ton|klang|atmung|atem|husten|tonhöhe|sprechweise)\b|"
            r"(?:声音|聲音|嗓音|音调|音調|音色|音高|呼吸|咳嗽|语调|語調|语速|語速|声线|聲線)")
#: descriptive words that are class synonyms in other languages (see phrases.COMMON_WORDS)
COMMON_WORDS = frozenset({"delgado", "delgada", "flaco", "flaca", "pobre", "rico", "rica", "medio",
                          "mince", "maigre", "pauvre", "riche", "moyen", "dünn", "mager", "reich",
                          "real", "natural", "naturel", "echt", "natürlich", "sano", "sain", "chica",
                          "chico", "fille", "dame", "herr", "mensch"})

#: the language of the utterance named right before a mention: "speaks French", "habla francés"
LANGUAGE_SPOKEN = re.compile(
    r"(?:\b(?:speaks?|speaking|spoken|talks?|talking|language(?:\s+is)?|habla|hablando|hablado|"
    r"idioma|parle|parlant|parlé|langue|spricht|sprechend|gesprochen|sprache)"
    r"(?:\s+(?:fluent|fluently|native|natively|perfect|only|mainly|mostly|couramment|fluidamente|"
    r"fließend|nur|solo|seulement|en|in|auf))?\s*:?\s*$)|(?:说|說|讲|講|用|使用|说的是|說的是|讲的是|講的是)\s*$",
    re.IGNORECASE)

#: reported speech: what follows a speech verb (to the end of its part) or a quotation after one
SPEECH_VERB = (r"\b(?<!as )(?<!as i )(?:says|said|saying|tells|told|asks|asked|states|stated|utters|uttered|"
               r"mentions|mentioned|exclaims|exclaimed|replies|replied|quotes|talks about|talking about|"
               r"dice|dijo|decía|diciendo|menciona|mencionó|dit|disait|déclare|mentionne|sagt|sagte|"
               r"erwähnt|meint)\b")
SPEECH_VERB_CJK = r"(?:说道|說道)(?=\s*[:\",])|(?:说|說|提到|表示)(?=\s*[:\"])"  # not "不好说，..."
