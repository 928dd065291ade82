"""Analyses: from a run's records and header to the figures of results.json — computation only.

Each module registers its analysis with `aggregate.analysis`; importing this package registers them
all, so every entry point computes the same set. The order of the imports is the order of the
analyses in results.json. What a figure looks like on a page or a terminal is `voiceleak.report`'s
business (one section per analysis in `report.sections`); nothing here imports it (tests/test_layering.py).
"""
# The order of the registering imports below is the order of the output: not sorted.
# isort: skip_file

from voiceleak.analysis import (  # noqa: F401  (the imports register, in this order)
    blind,
    fairness,
    judging,
    prompts,
    repeats,
    bystander,
    emotion,
    verify,
    words_voice,
    decision,
    scope,
    defenses,
    identity,
    privilege,
)
from voiceleak.analysis.aggregate import ANALYSES, aggregate, load_records

__all__ = ["ANALYSES", "aggregate", "load_records"]
