"""The `vllm` backend cannot run without a GPU; what it sends can be checked anyway."""

from __future__ import annotations

import base64
import importlib.util
import io
from typing import ClassVar

import numpy as np
import pytest
import soundfile as sf

from voiceleak.models.base import build_model
from voiceleak.models.vllm_backend import vllm_conversations
from voiceleak.types import Audio, Request


def tone(seconds: float, rate: int) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)


def test_each_request_becomes_one_conversation_with_the_audio_first() -> None:
    requests = [Request("a", "Who speaks?", tone(0.5, 44_100), system="Be brief."),
                Request("b", "Who speaks?", None)]
    first, second = vllm_conversations(requests)
    assert first[0] == {"role": "system", "content": "Be brief."}
    audio, text = first[1]["content"]
    assert text == {"type": "text", "text": "Who speaks?"}
    wav = base64.b64decode(audio["input_audio"]["data"])
    samples, rate = sf.read(io.BytesIO(wav))
    assert audio["input_audio"]["format"] == "wav" and rate == 16_000 and samples.ndim == 1
    assert len(samples) == 8_000  # 0.5 s, resampled from 44.1 kHz
    assert second == [{"role": "user", "content": [{"type": "text", "text": "Who speaks?"}]}]


def test_audio_url_style_is_a_data_uri() -> None:
    (conversation,) = vllm_conversations([Request("a", "Who?", tone(0.2, 16_000))], style="audio_url")
    url = conversation[0]["content"][0]["audio_url"]["url"]
    assert url.startswith("data:audio/wav;base64,")


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_without_vllm_the_error_says_how_to_install_it() -> None:
    with pytest.raises(ImportError, match=r"pip install 'voiceleak\[vllm\]'"):
        build_model("vllm:Qwen/Qwen2-Audio-7B-Instruct")


# -- issue 15: decoding parity and batch isolation, on a stand-in engine with vLLM's interface ------
class FakeSamplingParams:
    def __init__(self, temperature: float = 1.0, top_p: float = 1.0, max_tokens: int = 16, seed: int | None = None,
                 repetition_penalty: float = 1.0, top_k: int = 0, min_p: float = 0.0) -> None:
        self.temperature, self.top_p, self.max_tokens, self.seed = temperature, top_p, max_tokens, seed
        self.repetition_penalty, self.top_k, self.min_p = repetition_penalty, top_k, min_p


class FakeLLM:
    """vLLM's LLM as the backend uses it: the checkpoint's generation config says repetition_penalty
    1.05, top_k 20, temperature 0.7 (Qwen's usual); chat() fails a batch holding a prompt "bad"."""

    calls: ClassVar[list[tuple[int, FakeSamplingParams]]] = []

    def __init__(self, **engine_args: object) -> None:
        self.engine_args = engine_args

    def get_default_sampling_params(self) -> FakeSamplingParams:
        return FakeSamplingParams(temperature=0.7, top_p=0.8, repetition_penalty=1.05, top_k=20)

    def chat(self, conversations: list[list[dict[str, object]]], params: FakeSamplingParams,
             use_tqdm: bool = False) -> list[object]:
        FakeLLM.calls.append((len(conversations), params))
        texts = [str(c[-1]["content"][-1]["text"]) for c in conversations]  # type: ignore[index]
        if "bad" in texts:
            raise ValueError("prompt is longer than max_model_len")

        class Completion:
            def __init__(self, text: str) -> None:
                self.text, self.finish_reason = f"answer to {text}", "stop"

        class Output:
            def __init__(self, text: str) -> None:
                self.outputs = [Completion(text)]

        return [Output(t) for t in texts]


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch) -> type[FakeLLM]:
    import sys
    import types

    module = types.ModuleType("vllm")
    module.LLM = FakeLLM  # type: ignore[attr-defined]
    module.SamplingParams = FakeSamplingParams  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", module)
    FakeLLM.calls = []
    return FakeLLM


def test_the_checkpoints_decoding_is_kept_explicitly_and_recorded(fake_vllm: type[FakeLLM]) -> None:
    import asyncio

    model = build_model("vllm:Qwen/Qwen2-Audio-7B-Instruct")
    out = asyncio.run(model.generate([Request("a", "Who?", tone(0.2, 16_000))]))  # type: ignore[union-attr]
    assert out[0].text == "answer to Who?"
    (_, params), = fake_vllm.calls
    # the shared settings win (temperature 0, top_p 1); what they leave open comes from the checkpoint,
    # as vllm serve and transformers apply it
    assert (params.temperature, params.top_p, params.max_tokens, params.seed) == (0.0, 1.0, 256, 0)
    assert (params.repetition_penalty, params.top_k) == (1.05, 20)
    assert model.identity()["decoding_from_checkpoint"] == {"repetition_penalty": 1.05, "top_k": 20}  # type: ignore[union-attr]


def test_one_bad_request_does_not_fail_its_batch(fake_vllm: type[FakeLLM]) -> None:
    import asyncio

    model = build_model("vllm:Qwen/Qwen2-Audio-7B-Instruct")
    requests = [Request(str(i), "bad" if i == 2 else f"q{i}", tone(0.2, 16_000)) for i in range(5)]
    out = asyncio.run(model.generate(requests))  # type: ignore[union-attr]
    assert [r.ok for r in out] == [True, True, False, True, True]
    assert out[2].error is not None and "max_model_len" in out[2].error
    assert [r.text for r in out if r.ok] == ["answer to q0", "answer to q1", "answer to q3", "answer to q4"]
    assert [n for n, _ in fake_vllm.calls] == [5, 1, 1, 1, 1, 1]
