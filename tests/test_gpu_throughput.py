"""benchmarks/gpu_throughput.py on tiny shapes on the CPU, so its code path stays green without a GPU,
and the transformers backend's throughput tunings (batches cut to `batch`, halving a batch that runs
out of memory, trimmed feature padding) keep its answers."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch

from conftest import voice_like
from tiny_audio_llms import build_qwen2_audio
from voiceleak.models.base import build_model
from voiceleak.models.hf_transformers import DEFAULT_BATCH, TransformersModel
from voiceleak.types import Audio, Decoding, Request

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_throughput.py"
SHORT = Decoding(max_tokens=4)


def load_benchmark() -> ModuleType:
    """benchmarks/ is no package: import the script as its own module (it imports its sibling)."""
    if str(BENCH.parent) not in sys.path:
        sys.path.insert(0, str(BENCH.parent))
    return importlib.import_module("gpu_throughput")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("gpu-throughput")
    summary = load_benchmark().main(["--tiny", "--out", str(out), "--models", "qwen2-audio-7b"])
    return summary, out


def test_the_table_has_the_loop_the_backend_and_the_ceiling_with_positive_figures(
        tiny_run: tuple[dict[str, Any], Path]) -> None:
    summary, out = tiny_run
    rows = summary["rows"]
    modes = {r["mode"] for r in rows}
    assert modes == {"a", "b", "c"}
    assert any(r["note"] == "default" for r in rows if r["mode"] == "b")
    assert all(r["clips_per_s"] > 0 and r["tokens_per_s"] > 0 and r["n"] > 0 for r in rows)
    assert all(r["errors"] == 0 for r in rows)
    table = (out / "gpu_throughput.md").read_text()
    assert table.count("| qwen2-audio-7b |") == len(rows)
    ratios = summary["ratios"]["qwen2-audio-7b"]
    assert ratios["b_best_over_a"] > 0 and ratios["b_best_over_c_best"] > 0
    assert "(b) best" in table and "(c) best" in table


def test_every_request_gets_the_same_number_of_new_tokens(tiny_run: tuple[dict[str, Any], Path]) -> None:
    """End-of-sequence is suppressed by the checkpoint itself, so the three modes do equal work, and
    the backend's decoded answers (one word per token) show it did too."""
    summary, _ = tiny_run
    new_tokens = summary["plan"]["new_tokens"]
    assert all(r["tokens"] == r["n"] * new_tokens for r in summary["rows"]), summary["rows"]
    b_rows = [r for r in summary["rows"] if r["mode"] == "b"]
    assert {r["n"] for r in b_rows} == {summary["plan"]["n"]}  # every clip answered through the runner


def test_the_ablations_name_what_each_tuning_buys(tiny_run: tuple[dict[str, Any], Path]) -> None:
    notes = {r["note"] for r in tiny_run[0]["rows"]}
    for word in ("features on the GPU", "before this tuning"):
        assert any(word in note for note in notes), notes


def test_clip_lengths_spread_evenly_in_both_halves() -> None:
    lengths = load_benchmark().clip_lengths(64, 2.0, 30.0)
    first, whole = lengths[:32], lengths
    assert min(whole) == 2.0 and max(whole) == 30.0
    assert abs(np.mean(first) - np.mean(whole)) < 1.0  # the loop's clips are like the others


# -- the backend's tunings -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> TransformersModel:
    folder = build_qwen2_audio(tmp_path_factory.mktemp("qwen2-audio"))
    model = build_model(f"transformers:{folder} offline=true batch=2")
    assert isinstance(model, TransformersModel)
    return model


def requests(lengths: list[float]) -> list[Request]:
    return [Request(str(i), "What is the sex of the speaker?", Audio(voice_like(90 + 40 * i, s, seed=i), 16_000),
                    decoding=SHORT) for i, s in enumerate(lengths)]


def ask(model: TransformersModel, batch: list[Request]) -> list[str | None]:
    return [r.text for r in asyncio.run(model.generate(batch))]


def test_the_default_batch_is_larger_on_a_gpu(backend: TransformersModel) -> None:
    assert backend.batch == backend.max_batch == 2  # as asked
    assert DEFAULT_BATCH["cuda"] > DEFAULT_BATCH["cpu"]


def test_a_call_larger_than_the_batch_gives_each_request_its_own_answer(backend: TransformersModel) -> None:
    batch = requests([0.3, 0.9, 0.5, 0.8, 0.4])
    together = ask(backend, batch)
    alone = [ask(backend, [r])[0] for r in batch]
    assert together == alone and all(together)


def test_a_batch_out_of_memory_is_halved_and_answered(backend: TransformersModel,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    batch = requests([0.5, 0.7, 0.6, 0.4])
    expected = ask(backend, batch)
    real = backend.model.generate
    sizes: list[int] = []

    def small_batches_only(**kwargs: Any) -> Any:
        sizes.append(int(kwargs["input_ids"].shape[0]))
        if sizes[-1] > 1:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(**kwargs)

    monkeypatch.setattr(backend.model, "generate", small_batches_only)
    try:
        assert ask(backend, batch) == expected
        assert backend.batch == backend.max_batch == 1  # kept for the rest of the run
        assert sizes[0] == 2 and set(sizes[1:]) == {1}
    finally:
        backend.batch = backend.max_batch = 2


def test_an_out_of_memory_on_one_row_is_an_error_not_a_loop(backend: TransformersModel,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def always(**kwargs: Any) -> Any:
        raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

    monkeypatch.setattr(backend.model, "generate", always)
    try:
        out = asyncio.run(backend.generate(requests([0.5, 0.6])))
        assert all(r.text is None and (r.error or "").startswith("OutOfMemoryError") for r in out)
    finally:
        backend.batch = backend.max_batch = 2


def test_trimmed_feature_padding_computes_the_same_frames() -> None:
    """Qwen2.5-Omni's encoder reads only the frames the mask marks: padding to the longest clip plus a
    second gives those frames the values that padding to the 300 s window gives them."""
    from transformers import WhisperFeatureExtractor

    extractor = WhisperFeatureExtractor(feature_size=128, sampling_rate=16_000, hop_length=160, chunk_length=30)
    clips = [voice_like(120, 2.3, seed=1), voice_like(200, 4.7, seed=2)]
    full = extractor(clips, sampling_rate=16_000, padding="max_length", return_attention_mask=True,
                     return_tensors="np")
    trimmed = extractor(clips, sampling_rate=16_000, padding="max_length", max_length=6 * 16_000,
                        return_attention_mask=True, return_tensors="np")
    for row in range(len(clips)):
        frames = int(trimmed["attention_mask"][row].sum())
        assert frames == int(full["attention_mask"][row].sum())
        np.testing.assert_allclose(trimmed["input_features"][row][:, :frames], full["input_features"][row][:, :frames],
                                   atol=1e-5)
