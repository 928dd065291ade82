"""Issue 15, items 1 and 5 over the wire: streamed completions (DashScope's Qwen-Omni answers nothing
else), provider safety blocks as their own outcome, and an empty reply cut by the token budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ask, voice_like
from servers.chat_server import ChatServer
from voiceleak.cli import app
from voiceleak.models.base import build_model
from voiceleak.models.openai_compat import requires_stream, transport_for
from voiceleak.tasks.base import block_reason, build_task, score_response
from voiceleak.types import Audio, Clip, Outcome, Request, Response


@pytest.fixture(autouse=True)
def fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-voiceleak-FAKE-0000000000")
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-voiceleak-FAKE-1111111111")


def clip(f0: float, seconds: float = 1.0) -> Audio:
    return Audio(voice_like(f0, seconds, 0), 16_000)


# -- streaming ------------------------------------------------------------------------------------
def test_a_stream_only_model_fails_unstreamed_and_answers_streamed(server: ChatServer) -> None:
    base = f"base_url={server.url}/v1 max_retries=0"
    plain = ask(f"openai:streamonly-omni {base}", [Request("a", "Sex?", clip(230))])
    assert plain[0].error is not None and "HTTP 400" in plain[0].error and "stream" in plain[0].error
    out = ask(f"openai:streamonly-omni {base} stream=true", [Request("a", "Sex?", clip(230)),
                                                             Request("b", "Sex?", clip(110))])
    assert [r.text.split(".")[0] for r in out if r.text] == ["Female", "Male"]
    unstreamed = ask(f"openai:sim {base}", [Request("a", "Sex?", clip(230))])
    assert out[0].text == unstreamed[0].text  # the deltas joined intact
    assert out[0].meta["finish_reason"] == "stop" and out[0].meta["streamed"] is True
    assert out[0].meta["usage"]["prompt_tokens"] == 10  # the usage chunk that include_usage asks for
    assert out[0].meta["served_model"] == "streamonly-omni-sim-2026-01-01"
    streamed = [r for r in server.received if r.body.get("stream")]
    assert len(streamed) == 2 and all(len(r.heard) == 1 for r in streamed)
    assert streamed[0].body["stream_options"] == {"include_usage": True}


def test_streaming_is_the_default_where_the_provider_requires_it() -> None:
    dashscope = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    assert requires_stream(dashscope, "qwen3-omni-flash") and requires_stream(dashscope, "qwen-omni-turbo")
    assert not requires_stream(dashscope, "qwen-plus") and not requires_stream("https://api.openai.com/v1", "omni")
    spec = f"openai:qwen3-omni-flash base_url={dashscope} api_key_env=DASHSCOPE_API_KEY"
    model = build_model(spec)
    assert model.stream and model.identity()["stream"] is True  # type: ignore[union-attr]
    assert build_model(f"{spec} stream=false").name == model.name  # streaming changes no answer


def test_a_streamed_block_and_refusal(server: ChatServer) -> None:
    server.faults["filtered"] = ["content_filter*"]
    out = ask(f"openai:filtered base_url={server.url}/v1 stream=true", [Request("a", "Sex?", clip(230))])
    assert out[0].text is None and out[0].error is None and out[0].meta["blocked"] == "content_filter"


# -- blocks ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fault", "code"), [("content_filter", "content_filter"),
                                             ("filtered_prompt", "content_filter"),
                                             ("inspection", "data_inspection_failed")])
def test_a_provider_block_is_no_error_and_no_answer(server: ChatServer, fault: str, code: str) -> None:
    server.faults["careful"] = [f"{fault}*"]
    out = ask(f"openai:careful base_url={server.url}/v1 max_retries=3", [Request("a", "Sex?", clip(120))])
    assert out[0].text is None and out[0].error is None and not out[0].ok
    assert out[0].meta["blocked"] == code and block_reason(out[0]) == code
    assert server.attempts["careful"] == 1  # a block is not retried


def test_a_block_scores_as_blocked_in_every_task() -> None:
    blocked = Response("a", None, meta={"blocked": "SAFETY"})
    sample = Clip("c", Path("c.wav"), "s1", {"sex": "Female", "language": "en"}, text="hello there")
    request = Request("a", "?", None)
    for name in ("attribute:sex", "transcription", "speaker-id"):
        task = build_task(name)
        score = score_response(task, sample, request, blocked)
        assert score.outcome is Outcome.BLOCKED and "SAFETY" in score.detail
    failed = Response("a", None, error="HTTP 500", meta={"blocked": "SAFETY"})  # an error stays an error
    assert score_response(build_task("attribute:sex"), sample, request, failed).outcome is Outcome.ERROR


def test_an_empty_reply_cut_by_the_token_budget_is_an_error_that_says_so(server: ChatServer) -> None:
    server.faults["thinker"] = ["length_empty*"]
    out = ask(f"openai:thinker base_url={server.url}/v1", [Request("a", "Sex?", clip(120))])
    assert out[0].text is None and out[0].error is not None
    assert "token budget" in out[0].error and "max_tokens=256" in out[0].error


def test_blocks_are_recorded_as_blocked_and_not_asked_again(server: ChatServer, corpus: Path,
                                                             tmp_path: Path) -> None:
    server.faults["careful"] = ["content_filter*"]
    out = tmp_path / "run"
    args = ["run", "-c", str(corpus), "-t", "attribute:sex", "-o", str(out),
            "-m", f"openai:careful base_url={server.url}/v1"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 24 and all(r["outcome"] == "blocked" and r["error"] is None for r in records)
    assert all(r["meta"]["blocked"] == "content_filter" for r in records)
    sent = server.attempts["careful"]
    again = CliRunner().invoke(app, args)  # resume: nothing is re-sent
    assert again.exit_code == 0, again.output
    assert server.attempts["careful"] == sent
    fresh = CliRunner().invoke(app, [*args[:-4], "-o", str(tmp_path / "other"), *args[-2:]])
    assert fresh.exit_code == 0, fresh.output
    assert server.attempts["careful"] == sent  # a new run dir: the block comes from the response cache


def test_credentials_in_the_url_reach_the_server_as_basic_auth(server: ChatServer) -> None:
    """aiohttp refuses a URL with user:password@ next to an Authorization header; httpx sends Basic."""
    assert transport_for("http://127.0.0.1:8000/v1", None) == "aiohttp"
    url = server.url.replace("http://", "http://user:pw@")
    out = ask(f"openai:sim base_url={url}/v1 max_retries=0", [Request("a", "Sex?", clip(230))])
    assert out[0].ok and server.received[0].headers["authorization"] == "Basic dXNlcjpwdw=="
    assert "pw@" not in build_model(f"openai:sim base_url={url}/v1").name
