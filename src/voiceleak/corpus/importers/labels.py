"""The one place corpus labels meet the taxonomy, shared by every importer.

A stated value either maps onto a class of a taxonomy attribute (through the attribute's names,
aliases, synonyms and age bins) or is kept, as stated, in `raw_labels` under the corpus's own key.
Blank and "unknown" markers are not labels: they are counted, never written.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from voiceleak.attributes import Taxonomy

#: what corpora write when they do not know (TIMIT "??", CSV "NA" ...): counted as missing
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "none", "null", "unknown", "?", "??", "???", "-", "--"})


MEMO_LIMIT = 50_000


def is_missing(value: Any) -> bool:
    return value is None or (
        isinstance(value, str | int | float) and str(value).strip().lower() in MISSING_MARKERS
    )


def as_text(value: Any) -> str:
    """A scalar as stated text: 23.0 -> "23" so that ages and ids read as written."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def norm_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


class LabelMapper:
    """Maps one corpus's stated labels; remembers how many values were missing per key."""

    def __init__(self, tax: Taxonomy) -> None:
        self.tax = tax
        self.missing: Counter[str] = Counter()
        # Corpora repeat a few values millions of times and Attribute.canonical normalises every
        # synonym per call, so results are memoised; bounded, since free-text values never repeat.
        self._known: dict[tuple[str, str], str | None] = {}

    def row(self) -> RowLabels:
        return RowLabels(self)

    def attribute(self, key: str, allow_open: bool = False) -> str | None:
        """The taxonomy attribute a corpus key names; open-set ones (identity) only when asked for."""
        name = self.tax.resolve(key)
        if name is None or (self.tax.get(name).open_set and not allow_open):
            return None
        return name

    def canonical(self, attribute: str, value: str) -> str | None:
        key = (attribute, value)
        if key in self._known:
            return self._known[key]
        label = self.tax.get(attribute).canonical(value)
        if len(self._known) < MEMO_LIMIT:
            self._known[key] = label
        return label


class RowLabels:
    """The labels of one row as they are stated, split into taxonomy labels and raw labels."""

    def __init__(self, mapper: LabelMapper) -> None:
        self.mapper = mapper
        self.labels: dict[str, str] = {}
        self.raw: dict[str, str] = {}

    def stated(
        self,
        key: str,
        value: Any,
        attribute: str | None = None,
        mapped: str | None = None,
        allow_open: bool = False,
    ) -> None:
        """A value the corpus states under `key`.

        `attribute` forces the taxonomy attribute (default: the one `key` names, if any); `mapped` is
        a corpus-specific translation tried first ("MS" -> "Masters_Degree"). Whatever does not map
        is kept raw under `key`, exactly as stated.
        """
        if is_missing(value):
            self.mapper.missing[key] += 1
            return
        text = as_text(value)
        target = attribute or self.mapper.attribute(key, allow_open)
        label = None
        if target is not None:
            label = self.mapper.canonical(target, mapped if mapped is not None else text)
        if label is not None and target is not None:
            self.labels[target] = label
        else:
            self.raw[key] = text

    def keep(self, key: str, value: Any) -> None:
        """A value that is not a taxonomy label (a name, an emotion, a race): kept raw."""
        if is_missing(value):
            self.mapper.missing[key] += 1
            return
        self.raw[key] = as_text(value)

    def label(self, attribute: str, value: str) -> None:
        """A class the importer knows for certain (TIMIT speakers speak American English)."""
        self.labels[attribute] = value
