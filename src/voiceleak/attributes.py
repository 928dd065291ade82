"""The attribute taxonomy: what can be asked about a speaker, its classes, synonyms and number bins.

Loaded from `data/attributes.yaml`; a user extends it with their own YAML of the same shape.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


class UnknownAttributeError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


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
        lowered = _norm(text)
        for label in self.classes:
            if _norm(label) == lowered:
                return label
        for label, words in self.synonyms.items():
            if lowered in {_norm(w) for w in words}:
                return label
        number = _as_number(text)
        if number is not None:
            return self.bin_number(number)
        return None


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


def _parse(document: Mapping[str, Any]) -> list[Attribute]:
    out = []
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
        ))
    return out


@cache
def taxonomy() -> Taxonomy:
    """The shipped taxonomy."""
    text = resources.files("voiceleak.data").joinpath("attributes.yaml").read_text(encoding="utf-8")
    return Taxonomy(_parse(yaml.safe_load(text)))
