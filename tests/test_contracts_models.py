"""Contracts over every registered model (see tests/test_contracts.py for the five contracts).

Nothing downloads and nothing leaves the machine: API backends talk to the local servers of
tests/servers, `transformers` loads a tiny random-weight checkpoint, `vllm` an engine with vLLM's
interface, and the text-only scorers get stand-in weights in place of the packaged ones (loading
those takes 20-60 s; tests/test_text_models.py loads them for real, marked slow).
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from test_contracts import (
    DECODING,
    ERROR,
    SECRET,
    Snapshot,
    assert_round_trips,
    audio_of,
    bad_audios,
    build_tiny_ctc,
    check_description,
    contract_for,
    plugin_names,
    run_cell,
    write_clips,
)
from voiceleak.models.base import AudioModel, SupervisedModel, build_model, describe_model
from voiceleak.spec import parse_spec
from voiceleak.tasks.base import build_task
from voiceleak.transforms.base import build_transform
from voiceleak.types import Audio, Clip, Request, Response


@dataclass(frozen=True)
class Env:
    """Where the contract models point: local servers and tiny checkpoints."""

    chat: str  # base URL of the chat-completions server
    gemini: str
    qwen2_audio: Path
    gguf: Path  # a placeholder file the stand-in Gemma weights are registered under
    ctc: Path  # a tiny speech recogniser checkpoint (transformers-asr)


@dataclass(frozen=True)
class ModelCase:
    spec: Callable[[Env], str]
    #: how to make it fail: "server" (then `down` is a spec whose server fails every request), or the
    #: kind of request it cannot answer (a key of FAILING); None: it cannot fail
    fail: str | None
    down: Callable[[Env], str] | None = None
    #: stand-in weights for a model whose packaged ones take long to load
    setup: Callable[[Any], None] | None = None
    #: the task whose samples it answers (a recogniser transcribes; it answers no question)
    task: str = "attribute:sex"
    #: built once per module (local weights); False for a model holding a client bound to one event loop
    reuse: bool = True


class HashEncoder:
    """MiniLM's interface with hashed bag-of-words vectors: the same words, the same vector."""

    def encode(self, texts: list[str], normalize_embeddings: bool = True, convert_to_numpy: bool = True) -> Any:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.sha1(word.encode()).hexdigest(), 16) % 384] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def use_hash_encoder(model: Any) -> None:
    model._model = HashEncoder()


#: request changes that leave a model nothing it can answer, by the name a case's `fail` gives
FAILING: dict[str, dict[str, Any]] = {
    "no choices": {"choices": ()}, "no audio": {"audio": None}, "bad prompt": {"prompt": "bad"},
    "a question": {},  # the requests are questions about the speaker
    "non-finite audio": {"audio": Audio(np.full(4_000, np.nan, np.float32), 16_000)},
}

MODEL_SPECS: dict[str, ModelCase] = {
    "openai": ModelCase(lambda e: f"openai:sim base_url={e.chat} max_retries=0 header.X-Contract-Key={SECRET}",
                        "server", lambda e: f"openai:down base_url={e.chat} max_retries=0", reuse=False),
    "gemini": ModelCase(lambda e: f"gemini:sim base_url={e.gemini} max_retries=0 retry_delay=0.01",
                        "server", lambda e: f"gemini:down base_url={e.gemini} max_retries=0 retry_delay=0.01",
                        reuse=False),
    "cascade": ModelCase(
        lambda e: f"cascade:transformers-asr:{e.ctc}+openai:terse text.base_url={e.chat} text.max_retries=0 "
                  f"text.header.X-Contract-Key={SECRET}",
        "server", lambda e: f"cascade:transformers-asr:{e.ctc}+openai:down text.base_url={e.chat} text.max_retries=0",
        reuse=False),
    "asr": ModelCase(lambda e: f"asr:transformers-asr:{e.ctc}", "a question", task="transcription"),
    "transformers": ModelCase(lambda e: f"transformers:{e.qwen2_audio} offline=true batch=4", "non-finite audio"),
    "vllm": ModelCase(lambda e: "vllm:contract/tiny-audio", "bad prompt"),
    "probe": ModelCase(lambda e: "probe", "no audio"),
    "majority": ModelCase(lambda e: "majority", None),  # answers from the labels alone: nothing to fail
    "uniform": ModelCase(lambda e: "uniform", "no choices"),
    "minilm": ModelCase(lambda e: "minilm", "no choices", setup=use_hash_encoder),
    "gemma-loglik": ModelCase(lambda e: f"gemma-loglik path={e.gguf}", "no choices"),
}
WHERE = "MODEL_SPECS in tests/test_contracts_models.py"
NAMES = plugin_names("model")


# -- the environment ------------------------------------------------------------------------------
class FakeLLM:
    """vLLM's LLM as the backend uses it; a batch holding the prompt "bad" fails as a long prompt does."""

    def __init__(self, **engine_args: object) -> None:
        self.engine_args = engine_args

    def get_default_sampling_params(self) -> Any:
        return FakeSamplingParams()

    def chat(self, conversations: list[list[dict[str, Any]]], params: Any, use_tqdm: bool = False) -> list[Any]:
        texts = [str(c[-1]["content"][-1]["text"]) for c in conversations]
        if "bad" in texts:
            raise ValueError("prompt is longer than max_model_len")
        return [types.SimpleNamespace(outputs=[types.SimpleNamespace(text="Female", finish_reason="stop")])
                for _ in texts]


class FakeSamplingParams:
    def __init__(self, temperature: float = 1.0, top_p: float = 1.0, max_tokens: int = 16,
                 seed: int | None = None, **rest: Any) -> None:
        self.temperature, self.top_p, self.max_tokens, self.seed = temperature, top_p, max_tokens, seed
        self.repetition_penalty, self.top_k, self.min_p = 1.0, 0, 0.0


@pytest.fixture(scope="module")
def fake_vllm() -> Iterator[None]:
    """vLLM stands in for itself only in this module (the real one needs a GPU and a checkpoint)."""
    before = sys.modules.get("vllm")
    module = types.ModuleType("vllm")
    module.LLM = FakeLLM  # type: ignore[attr-defined]
    module.SamplingParams = FakeSamplingParams  # type: ignore[attr-defined]
    sys.modules["vllm"] = module
    yield
    if before is None:
        sys.modules.pop("vllm", None)
    else:
        sys.modules["vllm"] = before


def tiny_gemma(folder: Path) -> Path:
    """Random-weight Gemma 3 weights and a word tokenizer, registered under a placeholder .gguf path."""
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    from tiny_audio_llms import QWEN_SPECIALS, word_tokenizer
    from voiceleak.models.text import gemma

    tokenizer = word_tokenizer(QWEN_SPECIALS)
    config = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, max_position_embeddings=512)
    torch.manual_seed(0)
    path = folder / "tiny.gguf"
    path.write_bytes(b"GGUF stand-in: the weights are registered in memory")
    gemma._LOADED[str(path)] = (tokenizer, Gemma3ForCausalLM(config).eval())
    return path


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, fake_vllm: None) -> Iterator[Env]:
    from servers.chat_server import ChatServer
    from servers.gemini_server import GeminiServer
    from tiny_audio_llms import build_qwen2_audio

    chat, gemini = ChatServer(lifetime_s=3600).start(), GeminiServer(lifetime_s=3600).start()
    chat.faults["down"] = ["500*"]
    gemini.faults["down"] = ["500*"]
    qwen = build_qwen2_audio(tmp_path_factory.mktemp("qwen2-audio"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_API_KEY", SECRET)
        patch.setenv("GEMINI_API_KEY", SECRET)
        yield Env(f"{chat.url}/v1", gemini.url, qwen, tiny_gemma(tmp_path_factory.mktemp("gemma")),
                  build_tiny_ctc(tmp_path_factory.mktemp("ctc")))
    chat.stop()
    gemini.stop()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Clip]:
    return write_clips(tmp_path_factory.mktemp("model-clips"))


_BUILT: dict[str, Any] = {}


def built(name: str, env: Env, down: bool = False) -> Any:
    """The model of a case, built once per session (loading weights is the slow part)."""
    case = contract_for(MODEL_SPECS, "model", name, WHERE)
    make = case.down if down else case.spec
    assert make is not None, f"{name}: a 'server' failure needs a `down` spec"
    spec = make(env)
    if spec in _BUILT:
        return _BUILT[spec]
    model = build_model(spec)
    if case.setup is not None:
        case.setup(model)
    if case.reuse:
        _BUILT[spec] = model
    return model


def answer(model: Any, requests: Sequence[Request], labels: Sequence[str] | None = None) -> list[Response]:
    """What the runner would get: generate() for an AudioModel, cross_predict() for a supervised one."""
    if isinstance(model, SupervisedModel) and not isinstance(model, AudioModel):
        truth = list(labels or ["Female" if i % 2 else "Male" for i in range(len(requests))])
        return list(model.cross_predict(requests, truth, [f"s{i}" for i in range(len(requests))]))
    return list(asyncio.run(model.generate(requests)))


def sex_request(clip: Clip, request_id: str, **changes: Any) -> Request:
    request = Request(request_id, "What is the sex of the speaker? Answer Male or Female.", audio_of(clip),
                      system="One word.", choices=("Female", "Male"), decoding=DECODING)
    return request.with_changes(**changes)


def sex_labels(clips: Sequence[Clip]) -> list[str]:
    return [c.labels["sex"] for c in clips]


# -- the contracts --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_builds_from_its_spec_and_describes_itself(name: str, env: Env) -> None:
    model = built(name, env)
    assert isinstance(model, AudioModel | SupervisedModel), f"{name}: neither an AudioModel nor a SupervisedModel"
    check_description(model.identity(), model.name, name)
    check_description(describe_model(model), model.name, name)  # as the run header records it
    assert parse_spec(model.name).family == name
    with pytest.raises(ValueError):  # SpecError is one: a misspelt argument is refused, never ignored
        build_model(f"{contract_for(MODEL_SPECS, 'model', name, WHERE).spec(env)} misspelt_contract_argument=1")


@pytest.mark.parametrize("name", NAMES)
def test_never_mutates_its_input(name: str, env: Env, clips: list[Clip]) -> None:
    model = built(name, env)
    requests = [sex_request(c, f"k{i}") for i, c in enumerate(clips)]
    before = [Snapshot.of(r) for r in requests]
    answers = answer(model, requests, sex_labels(clips))
    assert [r.request_id for r in answers] == [r.id for r in requests], f"{name}: answers out of order"
    for request, snapshot in zip(requests, before, strict=True):
        snapshot.assert_same(request, name)


@pytest.mark.parametrize("name", NAMES)
def test_odd_requests_get_a_response_each_never_an_exception(name: str, env: Env, clips: list[Clip]) -> None:
    model = built(name, env)
    odd = [sex_request(clips[0], f"bad-{label}", audio=audio) for label, audio in bad_audios().items()]
    odd += [sex_request(clips[1], "no-choices", choices=()), sex_request(clips[2], "no-audio", audio=None),
            sex_request(clips[3], "empty-prompt", prompt="")]
    answers = answer(model, odd)
    assert [r.request_id for r in answers] == [r.id for r in odd], f"{name}: not one response per request"
    for response in answers:
        assert response.ok or (response.text is None and response.error), f"{name}: {response}"


@pytest.mark.parametrize("name", NAMES)
def test_a_failure_is_an_error_outcome(name: str, env: Env, clips: list[Clip], tmp_path: Path) -> None:
    case = contract_for(MODEL_SPECS, "model", name, WHERE)
    if case.fail is None:
        pytest.skip(f"{name} answers without asking anything that can fail")
    if case.fail == "server":
        model = built(name, env, down=True)
        records = run_cell(model, model.name, build_task("attribute:sex"), "attribute:sex", build_transform("none"),
                           "none", clips)
        assert {r.outcome for r in records} == {ERROR}, f"{name}: {[r.outcome for r in records]}"
        assert all(SECRET not in r.to_json() for r in records), f"{name}: a secret reached the log"
        assert_round_trips(records, tmp_path / "run")
        return
    requests = [sex_request(c, f"k{i}", **FAILING[case.fail]) for i, c in enumerate(clips)]
    answers = answer(built(name, env), requests, sex_labels(clips))
    assert all(r.text is None and r.error for r in answers), f"{name} answered a request it cannot: {answers[0]}"


@pytest.mark.parametrize("name", NAMES)
def test_its_samples_round_trip_through_the_log(name: str, env: Env, clips: list[Clip], tmp_path: Path) -> None:
    model, task = built(name, env), contract_for(MODEL_SPECS, "model", name, WHERE).task
    records = run_cell(model, model.name, build_task(task), task, build_transform("none"), "none", clips)
    assert ERROR not in {r.outcome for r in records}, [r.error for r in records if r.error][:3]
    assert all(SECRET not in r.to_json() for r in records), f"{name}: a secret reached the log"
    assert_round_trips(records, tmp_path / "run")
