"""`vllm`: the vLLM offline engine in this process, for batch audits on a GPU.

    vllm:Qwen/Qwen2-Audio-7B-Instruct batch=64
    vllm:Qwen/Qwen2.5-Omni-7B max_model_len=8192 gpu_memory_utilization=0.85

Requests go through `LLM.chat` with OpenAI-style content parts (the same `input_audio` part the
`openai` backend sends to `vllm serve`), so vLLM applies each model's own chat template and audio
placeholder; no per-model prompt strings live here. One clip per prompt
(`limit_mm_per_prompt={"audio": 1}`).

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
from voiceleak.models.http_common import AUDIO_PART_STYLES, chat_messages
from voiceleak.spec import Spec, SpecError
from voiceleak.types import Decoding, Request, Response

INSTALL_HINT = "the vllm backend needs vLLM (Linux with a CUDA GPU): pip install 'voiceleak[vllm]'"


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
        self._lock = asyncio.Lock()

    def identity(self) -> Mapping[str, Any]:
        config = getattr(getattr(self.llm, "llm_engine", None), "model_config", None)
        return {"name": self.name, "family": "vllm", "model": self.model_id,
                "revision": getattr(config, "revision", None), "dtype": str(getattr(config, "dtype", "")),
                "max_model_len": getattr(config, "max_model_len", None),
                "vllm": importlib.metadata.version("vllm")}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        async with self._lock:
            return await asyncio.to_thread(self._generate_all, list(requests))

    async def aclose(self) -> None:
        return None

    def _generate_all(self, requests: list[Request]) -> list[Response]:
        by_decoding = group_by_decoding(requests)
        out: dict[int, Response] = {}
        for decoding, indices in by_decoding.items():
            batch = [requests[i] for i in indices]
            start = time.perf_counter()
            try:
                outputs = self.llm.chat(vllm_conversations(batch, self.audio_style), self._sampling(decoding),
                                        use_tqdm=False)
            except Exception as exc:  # one bad batch is recorded per request, not raised
                for i in indices:
                    out[i] = Response(requests[i].id, None, error=f"{type(exc).__name__}: {exc}")
                continue
            latency = (time.perf_counter() - start) / len(batch)
            for i, output in zip(indices, outputs, strict=True):
                completion = output.outputs[0] if output.outputs else None
                if completion is None:
                    out[i] = Response(requests[i].id, None, error="vLLM returned no completion")
                    continue
                out[i] = Response(requests[i].id, completion.text.strip(), latency_s=latency,
                                  meta={"finish_reason": completion.finish_reason})
        return [out[i] for i in range(len(requests))]

    def _sampling(self, decoding: Decoding) -> Any:
        return self._vllm.SamplingParams(temperature=decoding.temperature, top_p=decoding.top_p,
                                         max_tokens=decoding.max_tokens, seed=decoding.seed)
