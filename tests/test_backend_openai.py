"""The `openai` backend against a local chat-completions server that decodes the audio it gets."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from conftest import ask, voice_like
from servers.base import BadAudio, hear
from servers.chat_server import ChatServer
from voiceleak.cli import app
from voiceleak.models import http_common
from voiceleak.models.base import build_model
from voiceleak.models.http_common import RateLimiter
from voiceleak.types import Audio, Request

FAKE_KEY = "sk-voiceleak-FAKE-7f3a9c1e5b2d4f60"


@pytest.fixture(autouse=True)
def fake_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    return FAKE_KEY


def clip(f0: float, seconds: float, rate: int = 16_000, seed: int = 0) -> Audio:
    return Audio(voice_like(f0, seconds, seed, rate=rate), rate)


def test_audio_arrives_as_16k_mono_wav_and_the_answer_depends_on_it(server: ChatServer) -> None:
    low, high = clip(110, 1.3, rate=22_050), clip(230, 0.7, seed=1)  # one needs resampling
    out = ask(f"openai:sim base_url={server.url}/v1", [Request("a", "Sex?", low), Request("b", "Sex?", high)])
    assert [r.text.split(".")[0] for r in out if r.text] == ["Male", "Female"]
    heard = [h for received in server.received for h in received.heard]
    assert sorted(round(h.duration, 2) for h in heard) == [0.7, 1.3]
    assert {(h.rate, h.channels, h.subtype) for h in heard} == {(16_000, 1, "PCM_16")}
    assert out[0].meta["served_model"] == "sim-sim-2026-01-01"
    assert out[0].meta["system_fingerprint"] == "fp_sim_42"


def test_audio_url_part_sends_a_data_uri(server: ChatServer) -> None:
    out = ask(f"openai:sim base_url={server.url}/v1 audio_part=audio_url", [Request("a", "Sex?", clip(240, 1.0))])
    assert out[0].text is not None and out[0].text.startswith("Female")
    part = server.received[0].body["messages"][0]["content"][0]  # type: ignore[index]
    assert part["type"] == "audio_url" and part["audio_url"]["url"].startswith("data:audio/wav;base64,")


def test_system_prompt_and_decoding_reach_the_server(server: ChatServer) -> None:
    request = Request("a", "Sex?", clip(120, 1.0), system="Answer with one word.")
    ask(f"openai:sim base_url={server.url}/v1 token_field=max_completion_tokens", [request])
    body = server.received[0].body
    assert body["messages"][0] == {"role": "system", "content": "Answer with one word."}  # type: ignore[index]
    assert body["max_completion_tokens"] == 256 and body["temperature"] == 0.0 and body["seed"] == 0


def test_rate_limits_and_server_errors_are_retried_by_the_client(server: ChatServer) -> None:
    server.faults["flaky"] = ["429", "500", "ok"]
    out = ask(f"openai:flaky base_url={server.url}/v1 max_retries=3", [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].ok and out[0].text is not None and out[0].text.startswith("Male")
    assert server.attempts["flaky"] == 3
    assert server.statuses[429] == 1 and server.statuses[500] == 1


def test_a_request_that_keeps_failing_is_an_error_never_an_answer(server: ChatServer) -> None:
    server.faults["down"] = ["500*"]
    out = ask(f"openai:down base_url={server.url}/v1 max_retries=2", [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].text is None and not out[0].ok
    assert out[0].error is not None and "HTTP 500" in out[0].error
    assert server.attempts["down"] == 3  # the first try and two retries: one layer retries, once each


@pytest.mark.parametrize("fault", ["malformed", "empty"])
def test_malformed_bodies_are_errors(server: ChatServer, fault: str) -> None:
    server.faults["odd"] = [f"{fault}*"]
    out = ask(f"openai:odd base_url={server.url}/v1 max_retries=0", [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].text is None and out[0].error


def test_a_structured_refusal_is_the_models_answer(server: ChatServer) -> None:
    server.faults["careful"] = ["refusal*"]
    out = ask(f"openai:careful base_url={server.url}/v1", [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].text == "I can't help identify people from their voice." and out[0].meta["refusal_field"]


def test_a_slow_server_times_out_into_an_error(server: ChatServer) -> None:
    server.faults["slow"] = ["slow:3*"]  # 10x the client timeout: a stalled test process cannot race it
    spec = f"openai:slow base_url={server.url}/v1 timeout=0.3 max_retries=1"
    out = ask(spec, [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].text is None and out[0].error is not None and "Timeout" in out[0].error
    assert server.attempts["slow"] == 2


def test_audio_only_models_get_one_second_of_silence_instead_of_no_audio(server: ChatServer) -> None:
    blind = Request("a", "Sex?", None)
    out = ask(f"openai:gpt-4o-audio-preview base_url={server.url}/v1", [blind])
    assert out[0].ok and out[0].meta["audio_substituted"] == "silence:1s"
    heard = server.received[0].heard
    assert len(heard) == 1 and heard[0].f0 is None and heard[0].duration == pytest.approx(1.0)
    refused = ask(f"openai:gpt-4o-audio-preview base_url={server.url}/v1 requires_audio=false", [blind])
    assert refused[0].error is not None and "HTTP 400" in refused[0].error  # why the substitution exists


def test_requests_in_flight_never_exceed_max_concurrency(server: ChatServer) -> None:
    server.latency = 0.05
    requests = [Request(str(i), "Sex?", clip(100 + 10 * i, 0.5, seed=i)) for i in range(12)]
    out = ask(f"openai:sim base_url={server.url}/v1 max_concurrency=3", requests)
    assert all(r.ok for r in out) and [r.request_id for r in out] == [str(i) for i in range(12)]
    assert server.max_in_flight <= 3


def test_rate_limiter_spaces_request_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(http_common.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(http_common.asyncio, "sleep", fake_sleep)
    limiter = RateLimiter(per_minute=120)  # one start every 0.5 s

    async def four_starts() -> None:
        for _ in range(4):
            await limiter.wait()

    asyncio.run(four_starts())
    assert sleeps == pytest.approx([0.5, 1.0, 1.5])


def test_extra_headers_are_sent_but_only_their_names_are_recorded(server: ChatServer) -> None:
    spec = f"openai:sim base_url={server.url}/v1 header.X-Tenant=tenant-secret-991"
    model = build_model(spec)
    ask(spec, [Request("a", "Sex?", clip(120, 1.0))])
    assert server.received[0].headers["x-tenant"] == "tenant-secret-991"
    assert "tenant-secret-991" not in json.dumps(model.identity()) + model.name
    assert model.identity()["headers"] == ["X-Tenant"]


def test_remote_host_is_the_base_url_host_and_none_for_loopback() -> None:
    assert build_model("openai:gpt-audio").remote_host == "api.openai.com"
    assert build_model("openai:m base_url=https://dashscope-intl.aliyuncs.com/compatible-mode/v1").remote_host \
        == "dashscope-intl.aliyuncs.com"
    assert build_model("openai:m base_url=http://localhost:8000/v1").remote_host is None
    assert build_model("openai:m base_url=http://127.0.0.1:8000/v1").remote_host is None


def test_a_remote_server_without_a_key_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setattr(http_common, "_dotenv_loaded", True)  # no .env lookup for this test
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        build_model("openai:gpt-audio")
    assert build_model("openai:m base_url=http://127.0.0.1:9/v1").remote_host is None  # local: no key needed


def test_dotenv_supplies_a_key_but_never_overrides_the_environment(
        server: ChatServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("VL_TEST_KEY=key-from-dotenv-file\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VL_TEST_KEY", "placeholder")
    monkeypatch.delenv("VL_TEST_KEY")  # recorded, so teardown removes what load_dotenv sets
    spec = f"openai:sim base_url={server.url}/v1 api_key_env=VL_TEST_KEY"
    monkeypatch.setattr(http_common, "_dotenv_loaded", False)
    ask(spec, [Request("a", "Sex?", clip(120, 1.0))])
    monkeypatch.setenv("VL_TEST_KEY", "key-from-environment")
    monkeypatch.setattr(http_common, "_dotenv_loaded", False)
    ask(spec, [Request("b", "Sex?", clip(120, 1.0))])
    keys = [r.headers["authorization"] for r in server.received]
    assert keys == ["Bearer key-from-dotenv-file", "Bearer key-from-environment"]


def test_full_run_records_answers_and_errors_and_never_the_key(
        server: ChatServer, corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server.faults["down"] = ["500*"]
    server.faults["leaky"] = ["401*"]  # the server echoes the key back in its error message
    base = f"base_url={server.url}/v1 max_retries=1"
    out = tmp_path / "run"
    result = CliRunner().invoke(app, [
        "run", "-c", str(corpus), "-t", "attribute:sex", "--blind", "-o", str(out),
        "-m", f"openai:sim {base}", "-m", f"openai:down {base}", "-m", f"openai:leaky {base}",
    ])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    by = {(r["model"].split()[0], r["transform"]): [x for x in records if x["model"] == r["model"]
                                                    and x["transform"] == r["transform"]] for r in records}
    clips = by[("openai:sim", "none")]
    assert len(clips) == 24 and all(r["outcome"] == "answer" and r["correct"] for r in clips)
    assert all(r["meta"]["served_model"] == "sim-sim-2026-01-01" for r in clips)
    header = json.loads((out / "header.json").read_text())
    served = {model.split()[0]: names for model, names in header["served_models"].items()}
    assert served["openai:sim"]["served_model"] == ["sim-sim-2026-01-01"]  # what the server said it was
    silence = by[("openai:sim", "blind:silence")]
    assert all(r["outcome"] == "refusal" and r["response"] for r in silence)
    for name in ("openai:down", "openai:leaky"):
        failed = by[(name, "none")] + by[(name, "blind:silence")]
        assert len(failed) == 48 and all(r["outcome"] == "error" and r["response"] is None for r in failed)
    assert "HTTP 500" in by[("openai:down", "none")][0]["error"]
    assert "HTTP 401" in by[("openai:leaky", "none")][0]["error"]
    # The key did travel (so the check below means something), and was recorded nowhere.
    assert all(r.headers["authorization"] == f"Bearer {FAKE_KEY}" for r in server.received)
    written = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert "REDACTED" in written
    for text in (written, result.output, caplog.text):
        assert FAKE_KEY not in text
        assert FAKE_KEY[-12:] not in text


def test_the_server_check_would_catch_audio_that_is_not_16k_mono_pcm16() -> None:
    """The answers above mean something only if the server really checks the format."""
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros((8000, 2), dtype=np.float32), 8000, format="WAV", subtype="PCM_16")
    with pytest.raises(BadAudio, match="16000 Hz mono"):
        hear(buffer.getvalue())
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(16000, dtype=np.float32), 16000, format="WAV", subtype="FLOAT")
    with pytest.raises(BadAudio, match="PCM"):
        hear(buffer.getvalue())


def test_every_blind_control_through_the_local_server(server: ChatServer, corpus: Path, tmp_path: Path) -> None:
    """The same four controls as on the tiny checkpoint, over the wire: what the server heard decides."""
    out = tmp_path / "run"
    controls = ["blind:none", "blind:silence", "blind:noise", "blind:other"]
    result = CliRunner().invoke(app, [
        "run", "-c", str(corpus), "-t", "attribute:sex", "-o", str(out), "--no-cache",
        "-m", f"openai:sim base_url={server.url}/v1", "-m", f"openai:gpt-4o-audio-preview base_url={server.url}/v1",
        "--transform", "none", *[x for c in controls for x in ("--transform", c)]])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    cell = {}
    for r in records:
        cell.setdefault((r["model"].split()[0], r["transform"]), []).append(r)
    sim = "openai:sim"
    assert all(r["correct"] for r in cell[(sim, "none")])  # the server hears the pitch
    assert all(r["outcome"] == "refusal" for r in cell[(sim, "blind:silence")])  # nothing to hear
    # another speaker's clip: each answer is the one the donor's own clip got
    heard = {r["clip_id"]: r["predicted"] for r in cell[(sim, "none")]}
    lent = donors(corpus, cell[(sim, "blind:other")])
    assert [r["predicted"] for r in cell[(sim, "blind:other")]] == [heard[donor] for donor in lent]
    assert all(r["outcome"] == "answer" for r in cell[(sim, "blind:noise")])
    # no audio: a server that accepts text answers without hearing; an audio-only API got silence instead
    assert all(r["audio_note"] == "blind:none" and "audio_substituted" not in r["meta"]
               for r in cell[(sim, "blind:none")])
    audio_only = cell[("openai:gpt-4o-audio-preview", "blind:none")]
    assert audio_only and all(r["meta"]["audio_substituted"] == "silence:1s" and r["error"] is None for r in audio_only)


def donors(corpus: Path, records: list[dict[str, object]]) -> list[str]:
    """Which clip the runner lent each record's clip for the blind:other control."""
    from voiceleak.corpus.manifest import load_manifest
    from voiceleak.runner.context import RunContext
    from voiceleak.types import Decoding

    clips = {c.id: c for c in load_manifest(corpus)}
    context = RunContext(clips, {}, {}, {}, Decoding())
    audio = {clip_id: context.load_audio(clip).samples for clip_id, clip in clips.items()}
    out = []
    for record in records:
        lent = context.donor_audio(clips[str(record["clip_id"])])
        assert lent is not None
        out.append(next(i for i, samples in audio.items() if np.array_equal(samples, lent.samples)))
    return out
