"""Every study states its planned requests and can be capped before anything is sent to a paid API."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from servers.chat_server import ChatServer
from voiceleak.cli import app


@pytest.fixture(autouse=True)
def fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-voiceleak-FAKE-0000000000")


def test_decisions_over_the_cap_send_nothing(server: ChatServer, corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["decisions", "-c", str(corpus), "-m", f"openai:sim base_url={server.url}/v1",
                                      "--decision", "hiring", "-s", "none", "--max-requests", "5",
                                      "-o", str(tmp_path / "d")],
                                env={"COLUMNS": "200"})
    assert result.exit_code != 0
    assert "Plan: " in result.output and "over --max-requests 5" in result.output
    assert server.received == []


def test_decisions_cap_clips_and_state_the_plan(server: ChatServer, corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["decisions", "-c", str(corpus), "-m", f"openai:sim base_url={server.url}/v1",
                                      "--decision", "hiring", "-s", "none", "--no-text-only", "--max-per-class", "2",
                                      "--max-requests", "4", "-o", str(tmp_path / "d")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Plan: 2 requests" in result.output and len(server.received) == 2  # decisions have no class: 2 a task


def test_privilege_over_the_cap_sends_nothing(server: ChatServer, corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["privilege", "-c", str(corpus), "-m", f"openai:sim base_url={server.url}/v1",
                                      "--cascade-model", "whisper-tiny+minilm", "--max-requests", "3",
                                      "-o", str(tmp_path / "p")], env={"COLUMNS": "200"})
    assert result.exit_code != 0 and "over --max-requests 3" in result.output
    assert server.received == []


def test_defend_over_the_cap_sends_nothing(server: ChatServer, corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["defend", "-c", str(corpus), "-m", f"openai:sim base_url={server.url}/v1",
                                      "-d", "pitch:+3", "--asr", "none", "--max-requests", "3",
                                      "-o", str(tmp_path / "f")], env={"COLUMNS": "200"})
    assert result.exit_code != 0 and "over --max-requests 3" in result.output
    assert server.received == []
