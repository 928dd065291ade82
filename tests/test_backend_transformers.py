"""The `transformers` backend on tiny random-weight audio LLMs built here, offline.

The checkpoints are real in every way but size: saved to disk, loaded through the backend's own
AutoConfig / AutoProcessor / from_pretrained path, prompted through the real processor and chat
template. The network is closed for the whole module: nothing may be downloaded.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import voice_like, write_corpus
from tiny_audio_llms import build_audioflamingo3, build_qwen2_audio
from voiceleak.cli import app
from voiceleak.models.base import build_model
from voiceleak.models.hf_transformers import TransformersModel
from voiceleak.types import Audio, Decoding, Request, Response

SHORT = Decoding(max_tokens=5)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond this machine fails the test (a hub download would)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"test tried to reach {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def qwen2_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_qwen2_audio(tmp_path_factory.mktemp("qwen2-audio"))


@pytest.fixture(scope="module")
def loaded(qwen2_audio: Path) -> Iterator[TransformersModel]:
    model = build_model(f"transformers:{qwen2_audio} offline=true batch=4")
    assert isinstance(model, TransformersModel)
    yield model


def generate(model: Any, requests: list[Request]) -> list[Response]:
    return list(asyncio.run(model.generate(requests)))


def clip(f0: float, seconds: float, seed: int = 0) -> Audio:
    return Audio(voice_like(f0, seconds, seed), 16_000)


def test_the_checkpoint_loads_through_the_backend_and_says_what_it_is(loaded: TransformersModel,
                                                                      qwen2_audio: Path) -> None:
    identity = loaded.identity()
    assert identity["adapter"] == "qwen2-audio" and identity["class"] == "Qwen2AudioForConditionalGeneration"
    assert identity["checkpoint"] == str(qwen2_audio) and identity["name_or_path"] == str(qwen2_audio)
    assert identity["dtype"] == "float32" and identity["device"] == "cpu"
    assert identity["weights"]  # a local folder is fingerprinted: retrained weights miss the cache
    assert loaded.processor.tokenizer.padding_side == "left"


def test_answers_depend_on_the_audio_and_hold_only_new_tokens(loaded: TransformersModel) -> None:
    requests = [Request(str(i), "What is the sex of the speaker?", clip(f0, 0.9, seed=i), decoding=SHORT)
                for i, f0 in enumerate((95, 140, 210, 290))]
    out = generate(loaded, requests)
    assert all(r.ok for r in out)
    texts = [r.text or "" for r in out]
    assert len(set(texts)) >= 2, texts  # random weights, but the audio changes the tokens
    assert all(1 <= len(t.split()) <= SHORT.max_tokens for t in texts)  # the prompt is not decoded


def test_a_padded_batch_gives_the_answers_each_clip_gets_alone(loaded: TransformersModel) -> None:
    # different lengths -> different numbers of audio tokens -> prompts of different lengths
    requests = [Request(str(i), "What is the sex of the speaker?", clip(f0, seconds, seed=i), decoding=SHORT)
                for i, (f0, seconds) in enumerate(((100, 0.3), (220, 1.0), (160, 0.6)))]
    batched = [r.text for r in generate(loaded, requests)]
    alone = [generate(loaded, [r])[0].text for r in requests]
    assert batched == alone


def test_audio_dropped_by_the_processor_fails_loudly(loaded: TransformersModel,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Audio that never becomes features (another harness passed it under a keyword the processor
    ignored, and every clip got the same answer) must fail the batch, not produce answers."""
    real = loaded.processor

    class LosesAudio:
        def __call__(self, **kwargs: Any) -> Any:
            inputs = real(**kwargs)
            del inputs["input_features"]
            return inputs

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    monkeypatch.setattr(loaded, "processor", LosesAudio())
    out = generate(loaded, [Request("a", "What is the sex of the speaker?", clip(200, 0.8), decoding=SHORT)])
    assert out[0].text is None and out[0].error is not None
    assert out[0].error.startswith("AudioDroppedError: the processor returned no audio features")


def test_long_audio_is_cut_to_the_window_and_the_record_says_so(loaded: TransformersModel) -> None:
    out = generate(loaded, [Request("a", "What is the sex of the speaker?", clip(150, 2.5), decoding=SHORT)])
    assert out[0].ok and out[0].meta["audio_cut_to_s"] == 1.0


def test_a_request_without_audio_is_answered_from_text(loaded: TransformersModel) -> None:
    out = generate(loaded, [Request("a", "What is the sex of the speaker?", None, decoding=SHORT),
                            Request("b", "What is the sex of the speaker?", clip(150, 0.5), decoding=SHORT)])
    assert all(r.ok for r in out)


def test_an_unknown_family_is_refused(qwen2_audio: Path) -> None:
    with pytest.raises(ValueError, match="qwen2-audio"):
        build_model(f"transformers:{qwen2_audio} offline=true family=parrot")


def test_audio_flamingo_3_loads_through_its_config_class(tmp_path: Path) -> None:
    folder = build_audioflamingo3(tmp_path / "af3")
    model = build_model(f"transformers:{folder} offline=true")
    assert model.identity()["adapter"] == "audioflamingo3"
    requests = [Request(str(i), "What is the sex of the speaker?", clip(f0, 0.9, seed=i), decoding=SHORT)
                for i, f0 in enumerate((95, 180, 290))]
    out = generate(model, requests)
    assert all(r.ok for r in out) and len({r.text for r in out}) >= 2


def test_a_full_run_through_the_cli(qwen2_audio: Path, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", [("m1", "Male", 110.0), ("f1", "Female", 230.0)], clips_each=2,
                          seconds=0.8)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", "-c", str(corpus), "-t", "attribute:sex", "--max-tokens", "5",
                                      "-m", f"transformers:{qwen2_audio} offline=true", "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 4 and all(r["response"] and r["error"] is None for r in records)
    header = json.loads((out / "header.json").read_text())
    identity = next(iter(header["models"].values()))
    assert identity["checkpoint"] == str(qwen2_audio) and not header["audio_destinations"]


def test_every_blind_control_through_the_tiny_model(qwen2_audio: Path, tmp_path: Path) -> None:
    """The controls are the same for every backend: here on a real checkpoint code path."""
    corpus = write_corpus(tmp_path / "corpus", [("m1", "Male", 110.0), ("f1", "Female", 230.0)], clips_each=2,
                          seconds=0.8)
    out = tmp_path / "run"
    controls = ["blind:none", "blind:silence", "blind:noise", "blind:other"]
    args = ["run", "-c", str(corpus), "-t", "attribute:sex", "--max-tokens", "4", "-o", str(out), "--no-cache",
            "-m", f"transformers:{qwen2_audio} offline=true"]
    result = CliRunner().invoke(app, [*args, *[x for c in controls for x in ("--transform", c)], "--transform", "none"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    by: dict[str, dict[str, str]] = {}
    for r in records:
        assert r["error"] is None and r["response"] is not None, r
        assert r["audio_note"] == ("clip" if r["transform"] == "none" else r["transform"])
        by.setdefault(r["transform"], {})[r["clip_id"]] = r["response"]
    # identical input, identical answer: silence is the same evidence-free request for every clip
    assert len(set(by["blind:silence"].values())) == 1
    # another speaker's clip is answered as that speaker's own clip was
    female_answers = {by["none"][c] for c in by["none"] if c.startswith("f1")}
    assert all(by["blind:other"][c] in female_answers for c in by["blind:other"] if c.startswith("m1"))
