"""Analyses over a run's records, each registered with `report.aggregate.analysis` (results.json
["analyses"]) and rendered by a `report.html.section`. Importing this package registers them."""

from voiceleak.report.analyses import blind, fairness, judging, prompts, repeats

__all__ = ["blind", "fairness", "judging", "prompts", "repeats"]
from voiceleak.report.analyses import bystander, emotion, verify, words_voice  # noqa: F401  (registers them)
