"""The `vllm` backend cannot run without a GPU; what it sends can be checked anyway."""

from __future__ import annotations

import base64
import importlib.util
import io

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
