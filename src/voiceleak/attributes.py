"""The attribute taxonomy: what can be asked about a speaker, its classes, synonyms and number bins.

Loaded from `data/attributes.yaml`, with the synonyms in other languages from `data/attributes_i18n.yaml`
(see `Translations`); a user extends it with their own YAML of the same shape (an attribute there may
carry its own `translations:` block, shaped like one attribute of the i18n file).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


class UnknownAttributeError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Translations:
    """An attribute's words in other languages (zh, es, fr, de, ...), each mapping keyed by language."""

    classes: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)  # lang -> class -> words
    heads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> the attribute's own nouns
    spans: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> words naming several classes

    def words(self, label: str) -> tuple[str, ...]:
        """Every word for `label`, all languages together."""
        return tuple(w for by_label in self.classes.values() for w in by_label.get(label, ()))


@dataclass(frozen=True)
class Attribute:
    name: str
    description: str
    question: str
    classes: tuple[str, ...]
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bins: tuple[float, ...] = ()
    aliases: tuple[str, ...] = ()
    sensitive: bool = True
    open_set: bool = False
    translations: Translations = field(default_factory=Translations)

    @property
    def chance(self) -> float | None:
        """Chance accuracy of a uniform guess over the closed class set."""
        return 1.0 / len(self.classes) if self.classes and not self.open_set else None

    def bin_number(self, value: float) -> str | None:
        """Map a number (an age) to its class: 34 -> "30-40". Bin edges are [low, high)."""
        if not self.bins:
            return None
        for low, high, label in zip(self.bins, self.bins[1:], self.classes, strict=False):
            if low <= value < high:
                return label
        return None

    def canonical(self, raw: str) -> str | None:
        """Map a corpus label onto a class: exact, case-insensitive, synonym, or a number in a bin.

        Used for labels stated by a corpus, not for model replies (see scoring.parse).
        """
        text = raw.strip()
        if self.open_set:
            return text or None
        label = self._lookup.get(_norm(text))
        if label is not None:
            return label
        number = _as_number(text)
        if number is not None:
            return self.bin_number(number)
        return None


    @cached_property
    def fingerprint(self) -> tuple[Any, ...]:
        """Everything the answer parser reads, hashable: its compiled tables are cached on it."""
        t = self.translations
        return (self.name, self.classes, self.bins, self.aliases,
                tuple(sorted((k, tuple(v)) for k, v in self.synonyms.items())),
                tuple(sorted((lang, tuple(sorted((k, tuple(v)) for k, v in by.items())))
                             for lang, by in t.classes.items())),
                tuple(sorted((k, tuple(v)) for k, v in t.heads.items())),
                tuple(sorted((k, tuple(v)) for k, v in t.spans.items())))

    @cached_property
    def _lookup(self) -> dict[str, str]:
        """Normalised class name, synonym or translation -> class (class names first, then synonyms)."""
        out: dict[str, str] = {}
        for label in self.classes:
            out.setdefault(_norm(label), label)
        for label, words in self.synonyms.items():
            for word in words:
                out.setdefault(_norm(word), label)
        for label in self.classes:
            for word in self.translations.words(label):
                out.setdefault(_norm(word), label)
        return out


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class Taxonomy:
    def __init__(self, attributes: Iterable[Attribute]) -> None:
        self._by_name = {a.name: a for a in attributes}
        self._alias = {alias.lower(): a.name for a in self._by_name.values() for alias in a.aliases}
        self._alias.update({name.lower(): name for name in self._by_name})

    def __iter__(self) -> Any:
        return iter(self._by_name.values())

    def names(self) -> list[str]:
        return list(self._by_name)

    def resolve(self, name: str) -> str | None:
        """The attribute a name or alias refers to, or None."""
        return self._alias.get(name.strip().lower())

    def get(self, name: str) -> Attribute:
        resolved = self.resolve(name)
        if resolved is None:
            close = difflib.get_close_matches(name.lower(), list(self._alias), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownAttributeError(
                f"unknown attribute {name!r}{hint} (known: {', '.join(self._by_name)})"
            )
        return self._by_name[resolved]

    def extended(self, path: Path) -> Taxonomy:
        """This taxonomy plus the attributes of a user's YAML file (same shape as the shipped one)."""
        return Taxonomy([*self._by_name.values(), *_parse(yaml.safe_load(path.read_text()))])


def _translations(spec: Mapping[str, Any] | None) -> Translations:
    spec = spec or {}

    def words(value: Any) -> tuple[str, ...]:
        return tuple(str(w) for w in (value or ()))

    classes: dict[str, dict[str, tuple[str, ...]]] = {}
    for label, by_language in (spec.get("classes") or {}).items():
        for language, phrases in (by_language or {}).items():
            classes.setdefault(str(language), {})[str(label)] = words(phrases)
    return Translations(classes=classes,
                        heads={str(k): words(v) for k, v in (spec.get("heads") or {}).items()},
                        spans={str(k): words(v) for k, v in (spec.get("spans") or {}).items()})


def _parse(document: Mapping[str, Any], i18n: Mapping[str, Any] | None = None) -> list[Attribute]:
    out = []
    shipped = (i18n or {}).get("attributes") or {}
    for name, spec in (document.get("attributes") or {}).items():
        out.append(Attribute(
            name=name,
            description=spec.get("description", ""),
            question=spec.get("question", f"What is the {name.replace('_', ' ')} of the speaker?"),
            classes=tuple(str(c) for c in spec.get("classes", [])),
            synonyms={str(k): tuple(str(w) for w in v) for k, v in (spec.get("synonyms") or {}).items()},
            bins=tuple(float(b) for b in spec.get("bins", [])),
            aliases=tuple(spec.get("aliases", [])),
            sensitive=bool(spec.get("sensitive", True)),
            open_set=bool(spec.get("open_set", False)),
            translations=_translations(spec.get("translations") or shipped.get(name)),
        ))
    return out


@cache
def taxonomy() -> Taxonomy:
    """The shipped taxonomy."""
    data = resources.files("voiceleak.data")
    text = data.joinpath("attributes.yaml").read_text(encoding="utf-8")
    i18n = data.joinpath("attributes_i18n.yaml").read_text(encoding="utf-8")
    return Taxonomy(_parse(yaml.safe_load(text), yaml.safe_load(i18n)))
