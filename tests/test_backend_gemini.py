"""The `gemini` backend (google-genai) pointed at a local generateContent server that hears the audio."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import ask, voice_like
from servers.gemini_server import GeminiServer, field
from voiceleak.models import http_common
from voiceleak.models.base import build_model
from voiceleak.types import Audio, Request

FAKE_KEY = "AIza-voiceleak-FAKE-5c8e2a7d91b3"


@pytest.fixture
def server() -> Iterator[GeminiServer]:
    gemini = GeminiServer(lifetime_s=120).start()
    yield gemini
    gemini.stop()


@pytest.fixture(autouse=True)
def fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)


def spec_for(server: GeminiServer, model: str = "sim", extra: str = "") -> str:
    return f"gemini:{model} base_url={server.url} max_retries=2 retry_delay=0.01 {extra}".strip()


def clip(f0: float, seconds: float, seed: int = 0) -> Audio:
    return Audio(voice_like(f0, seconds, seed), 16_000)


def test_inline_audio_arrives_and_the_answer_depends_on_it(server: GeminiServer) -> None:
    requests = [Request("a", "Sex?", clip(105, 1.2), system="One word."), Request("b", "Sex?", clip(250, 0.8))]
    out = ask(spec_for(server), requests)
    assert [r.text.split(".")[0] for r in out if r.text] == ["Male", "Female"]
    assert sorted(round(h.duration, 2) for r in server.received for h in r.heard) == [0.8, 1.2]
    assert all(h.rate == 16_000 and h.channels == 1 for r in server.received for h in r.heard)
    first = next(r for r in server.received if r.heard[0].duration > 1.0)
    assert first.body["systemInstruction"]["parts"][0]["text"] == "One word."  # type: ignore[index]
    assert first.body["generationConfig"]["maxOutputTokens"] == 256  # type: ignore[index]
    assert first.headers["x-goog-api-key"] == FAKE_KEY
    assert out[0].meta["served_model"] == "sim-sim-001" and out[0].meta["finish_reason"] == "STOP"


def test_large_clips_go_through_the_files_api_and_are_deleted_after(server: GeminiServer) -> None:
    out = ask(spec_for(server, extra="inline_limit_mb=0.01"), [Request("a", "Sex?", clip(240, 1.0))])
    assert out[0].text is not None and out[0].text.startswith("Female")
    assert out[0].meta["uploaded"] == "files-api" and out[0].meta["deleted"] is True
    assert server.uploaded and server.deleted == server.uploaded and not server.files
    audio_part = server.received[0].body["contents"][0]["parts"][1]  # type: ignore[index]
    assert field(audio_part, "fileData") is not None


def test_a_request_without_audio_is_text_only(server: GeminiServer) -> None:
    out = ask(spec_for(server), [Request("a", "Sex?", None)])
    assert out[0].ok and server.received[0].heard == []


def test_rate_limits_and_server_errors_are_retried(server: GeminiServer) -> None:
    server.faults["flaky"] = ["429", "500", "ok"]
    out = ask(spec_for(server, "flaky"), [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].ok and server.attempts["flaky"] == 3


def test_a_request_that_keeps_failing_is_an_error_never_an_answer(server: GeminiServer) -> None:
    server.faults["down"] = ["500*"]
    out = ask(spec_for(server, "down"), [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].text is None and out[0].error is not None and "HTTP 500" in out[0].error
    assert server.attempts["down"] == 3


@pytest.mark.parametrize("fault", ["malformed", "empty"])
def test_malformed_or_empty_replies_are_errors(server: GeminiServer, fault: str) -> None:
    server.faults["odd"] = [f"{fault}*"]
    out = ask(spec_for(server, "odd"), [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].text is None and out[0].error


def test_the_key_is_redacted_from_errors(server: GeminiServer) -> None:
    server.faults["leaky"] = ["401*"]
    out = ask(spec_for(server, "leaky"), [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].error is not None and "REDACTED" in out[0].error
    assert FAKE_KEY not in out[0].error and FAKE_KEY not in str(out[0].meta)


def test_thinking_budget_reaches_the_request(server: GeminiServer) -> None:
    ask(spec_for(server, extra="thinking_budget=0"), [Request("a", "Sex?", clip(120, 1.0))])
    config = server.received[0].body["generationConfig"]
    assert field(field(config, "thinkingConfig"), "thinkingBudget") == 0  # type: ignore[arg-type]


def test_hosts_and_missing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_model("gemini:gemini-2.5-flash").remote_host == "generativelanguage.googleapis.com"
    assert build_model("gemini:m base_url=http://127.0.0.1:9").remote_host is None
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setattr(http_common, "_dotenv_loaded", True)
    with pytest.raises(ValueError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        build_model("gemini:gemini-2.5-flash")


# -- issue 15: blocks, the token budget, the inline limit on the request, server retry delays ------
@pytest.mark.parametrize(("fault", "blocked"), [("safety", "SAFETY"), ("prompt_blocked", "prompt:PROHIBITED_CONTENT")])
def test_a_safety_block_is_a_block_not_an_error(server: GeminiServer, fault: str, blocked: str) -> None:
    server.faults["careful"] = [f"{fault}*"]
    out = ask(spec_for(server, "careful"), [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].text is None and out[0].error is None and out[0].meta["blocked"] == blocked
    assert server.attempts["careful"] == 1  # never retried


def test_an_empty_reply_cut_by_the_token_budget_is_an_error_that_says_so(server: GeminiServer) -> None:
    server.faults["thinker"] = ["max_tokens_empty*"]
    out = ask(spec_for(server, "thinker"), [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].error is not None and "token budget" in out[0].error and "thinking_budget=0" in out[0].error


def test_the_inline_limit_counts_the_base64_request_not_the_wav(server: GeminiServer) -> None:
    """A clip whose WAV fits under the limit but whose base64 request does not goes through the Files API."""
    from voiceleak.audio import to_wav_bytes

    model = build_model(spec_for(server, extra="inline_limit_mb=0.2"))  # 200,000 bytes
    short, long = clip(240, 2.0), clip(240, 4.0)  # 64,044 and 128,044 bytes of WAV: both under the limit
    assert model.fits_inline(Request("a", "Sex?", short), to_wav_bytes(short))  # type: ignore[union-attr]
    assert not model.fits_inline(Request("a", "Sex?", long), to_wav_bytes(long))  # type: ignore[union-attr]
    # 9 minutes at 16 kHz: 17.3 MB of WAV (under 20 MB) is 23 MB of base64 (over): not inline
    nine = 9 * 60 * 16_000 * 2 + 44
    gemini = build_model("gemini:gemini-2.5-flash")
    assert nine < 20_000_000 and not gemini.fits_inline(Request("a", "Sex?", None), b"\0" * nine)  # type: ignore[union-attr]
    out = ask(spec_for(server, extra="inline_limit_mb=0.2"), [Request("b", "Sex?", long)])
    assert out[0].ok and out[0].meta["uploaded"] == "files-api" and server.received[0].heard[0].duration == 4.0


def test_the_servers_retry_delay_is_honoured(server: GeminiServer) -> None:
    """A per-minute quota 429 says how long to wait (RetryInfo); retrying sooner wastes the retries."""
    server.faults["quota"] = ["quota:0.6", "quota:0.6", "ok"]
    out = ask(spec_for(server, "quota"), [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].ok and server.attempts["quota"] == 3
    assert out[0].meta["retry_waits_s"] == [0.6, 0.6]  # not the 0.01 s backoff the spec asks for
    assert out[0].latency_s >= 1.2


def test_a_retry_after_header_is_honoured_and_a_long_delay_is_not_waited_for(server: GeminiServer) -> None:
    server.faults["busy"] = ["429", "ok"]  # the shared fault: 429 with retry-after 0.05
    out = ask(spec_for(server, "busy"), [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].ok and out[0].meta["retry_waits_s"][0] >= 0.05
    server.faults["daily"] = ["quota:3600*"]
    out = ask(spec_for(server, "daily"), [Request("a", "Sex?", clip(120, 1.0))])
    assert out[0].error is not None and "3600" in out[0].error and server.attempts["daily"] == 1
