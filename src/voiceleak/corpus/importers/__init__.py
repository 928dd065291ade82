"""Corpus importers: one module per corpus, registered by name in `importers`.

`voiceleak import KIND SOURCE -o MANIFEST` runs `import_corpus(KIND, ...)`; each importer maps its
corpus's labels onto the taxonomy through `labels.LabelMapper` and keeps the rest raw.
"""

from voiceleak.corpus.importers import (  # noqa: F401  (each module registers its importer)
    commonvoice,
    cremad,
    csv_table,
    hearsay,
    hf,
    lhotse,
    librispeech,
    nemo,
    timit,
    vctk,
    voxceleb,
)
from voiceleak.corpus.importers.base import Found, ImportContext, Importer, ImportSourceError, importers
from voiceleak.corpus.importers.driver import import_corpus
from voiceleak.corpus.importers.summary import ImportSummary

__all__ = [
    "Found",
    "ImportContext",
    "ImportSourceError",
    "ImportSummary",
    "Importer",
    "import_corpus",
    "importers",
]
