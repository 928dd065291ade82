"""`vllm`: the vLLM offline engine in this process, for batch audits on a GPU.

    vllm:Qwen/Qwen2-Audio-7B-Instruct batch=64
    vllm:Qwen/Qwen2.5-Omni-7B max_model_len=8192 gpu_memory_utilization=0.85

Requests go through `LLM.chat` with OpenAI-style content parts (the same `input_audio` part the
`openai` backend sends to `vllm serve`), so vLLM applies each model's own chat template and audio
placeholder; no per-model prompt strings live here. One clip per prompt
(`limit_mm_per_prompt={"audio": 1}`).

Decoding parity: `LLM.chat` with explicit SamplingParams ignores the checkpoint's generation_config,
while `vllm serve` and transformers apply it, so one checkpoint could decode three ways at temperature 0.
Here the shared settings (temperature, top_p, max_tokens, seed) always win, and of the checkpoint's
generation config the fields the shared settings do not cover (repetition_penalty, top_k, min_p) are
kept and passed explicitly, as the other two paths apply them; both are recorded in the identity (the
run header) under `decoding_from_checkpoint`.

A batch that fails as a whole (one request vLLM cannot take) is retried one request at a time, so only
the bad request becomes an error.

vLLM is an optional, Linux + CUDA dependency: the module imports without it (so `voiceleak list
models` and the message tests work) and building the model says how to install it.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import time
from collections.abc import Mapping, Sequence
from typing import Any

from voiceleak.models.base import group_by_decoding, models
from voiceleak.models.http_common import AUDIO_PART_STYLES, chat_messages, unusable_audio
from voiceleak.spec import Spec, SpecError
from voiceleak.types import Decoding, Request, Response

INSTALL_HINT = ("the vllm backend needs vLLM (Linux with a CUDA GPU): pip install 'voiceleak[vllm]' (vLLM "
                "0.30-0.32, built on the project's torch 2.13.0; a newer vLLM pins another torch and needs its "
                "own environment)")
#: generation-config fields the shared Decoding does not set: kept from the checkpoint, passed explicitly
KEPT_FROM_CHECKPOINT = ("repetition_penalty", "top_k", "min_p")
#: their values when they change nothing
NEUTRAL = {"repetition_penalty": (None, 1.0), "top_k": (None, 0, -1), "min_p": (None, 0.0)}


def checkpoint_decoding(llm: Any) -> dict[str, Any]:
    """What of the checkpoint's generation_config is kept: the fields the shared settings leave open,
    where they differ from neutral (vLLM's own reading of generation_config.json)."""
    try:
        defaults = llm.get_default_sampling_params()
    except Exception:  # an engine without a generation config reader: nothing to keep
        return {}
    kept: dict[str, Any] = {}
    for name in KEPT_FROM_CHECKPOINT:
        value = getattr(defaults, name, None)
        if value not in NEUTRAL[name]:
            kept[name] = value
    return kept


def import_vllm() -> Any:
    try:
        return importlib.import_module("vllm")
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from exc


def vllm_conversations(requests: Sequence[Request], style: str = "input_audio") -> list[list[dict[str, Any]]]:
    """One OpenAI-style conversation per request, audio part first (see http_common.chat_messages)."""
    return [chat_messages(r, r.audio, style) for r in requests]


@models.register("vllm", "vLLM offline engine in-process (GPU; needs the vllm extra); args: batch, "
                         "max_model_len, gpu_memory_utilization, tensor_parallel_size, audio_part, dtype")
class VLLMModel:
    accepts_audio = True
    remote_host: str | None = None
    max_concurrency = 1  # the engine batches internally; one chat() call at a time

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"batch", "max_model_len", "gpu_memory_utilization", "tensor_parallel_size",
                          "audio_part", "dtype"})
        if not spec.arg:
            raise SpecError("vllm needs a model: vllm:Qwen/Qwen2-Audio-7B-Instruct")
        self.name = str(Spec("vllm", spec.arg, {k: v for k, v in spec.params.items() if k in {"dtype"}}))
        self.model_id = spec.arg
        self.max_batch = max(1, spec.get_int("batch", 64))
        self.audio_style = spec.get("audio_part", "input_audio") or "input_audio"
        if self.audio_style not in AUDIO_PART_STYLES:
            raise SpecError(f"{spec}: audio_part must be one of {', '.join(AUDIO_PART_STYLES)}")
        vllm = import_vllm()
        engine_args: dict[str, Any] = {
            "model": self.model_id, "limit_mm_per_prompt": {"audio": 1}, "seed": 0,
            "gpu_memory_utilization": spec.get_float("gpu_memory_utilization", 0.9),
            "tensor_parallel_size": spec.get_int("tensor_parallel_size", 1),
        }
        if spec.get("max_model_len"):
            engine_args["max_model_len"] = spec.get_int("max_model_len", 8192)
        if spec.get("dtype"):
            engine_args["dtype"] = spec.get("dtype")
        self._vllm = vllm
        self.llm = vllm.LLM(**engine_args)
        self.from_checkpoint = checkpoint_decoding(self.llm)
        self._lock = asyncio.Lock()

    def identity(self) -> Mapping[str, Any]:
        config = getattr(getattr(self.llm, "llm_engine", None), "model_config", None)
        return {"name": self.name, "family": "vllm", "model": self.model_id,
                "revision": getattr(config, "revision", None), "dtype": str(getattr(config, "dtype", "")),
                "max_model_len": getattr(config, "max_model_len", None),
                "decoding_from_checkpoint": dict(self.from_checkpoint), "vllm": vllm_version()}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        async with self._lock:
            return await asyncio.to_thread(self._generate_all, list(requests))

    async def aclose(self) -> None:
        return None

    def _generate_all(self, requests: list[Request]) -> list[Response]:
        out: dict[int, Response] = {}
        for i, request in enumerate(requests):
            if (problem := unusable_audio(request)) is not None:
                out[i] = Response(request.id, None, error=problem)
        pending = [i for i in range(len(requests)) if i not in out]
        for decoding, positions in group_by_decoding([requests[i] for i in pending]).items():
            out.update(self._chat(requests, [pending[k] for k in positions], decoding))
        return [out[i] for i in range(len(requests))]

    def _chat(self, requests: list[Request], indices: list[int], decoding: Decoding) -> dict[int, Response]:
        """One chat() call for the batch; if it fails as a whole, each request alone, so one bad
        request (an unreadable clip, a prompt over max_model_len) does not fail the other 63."""
        batch = [requests[i] for i in indices]
        start = time.perf_counter()
        try:
            outputs = self.llm.chat(vllm_conversations(batch, self.audio_style), self._sampling(decoding),
                                    use_tqdm=False)
        except Exception as exc:
            if len(indices) > 1:
                out: dict[int, Response] = {}
                for i in indices:
                    out.update(self._chat(requests, [i], decoding))
                return out
            return {indices[0]: Response(requests[indices[0]].id, None, error=f"{type(exc).__name__}: {exc}",
                                         latency_s=time.perf_counter() - start)}
        latency = (time.perf_counter() - start) / len(batch)
        out = {}
        for i, output in zip(indices, outputs, strict=True):
            completion = output.outputs[0] if output.outputs else None
            if completion is None:
                out[i] = Response(requests[i].id, None, error="vLLM returned no completion")
                continue
            text = completion.text.strip()
            meta = {"finish_reason": completion.finish_reason}
            if completion.finish_reason == "length" and not text:
                out[i] = Response(requests[i].id, None, latency_s=latency, meta=meta, error=(
                    "empty reply: the token budget ran out before any answer text (finish_reason=length, "
                    f"max_tokens={decoding.max_tokens})"))
                continue
            out[i] = Response(requests[i].id, text, latency_s=latency, meta=meta)
        return out

    def _sampling(self, decoding: Decoding) -> Any:
        return self._vllm.SamplingParams(temperature=decoding.temperature, top_p=decoding.top_p,
                                         max_tokens=decoding.max_tokens, seed=decoding.seed,
                                         **self.from_checkpoint)


def vllm_version() -> str | None:
    try:
        return importlib.metadata.version("vllm")
    except importlib.metadata.PackageNotFoundError:
        return None
