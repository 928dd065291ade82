"""Nothing lost, nothing leaked, nothing crashes (issue 19).

The first tests pin one behaviour each (retrying errors, redaction, resume, logging as answers land,
the run-directory lock); `SWEEP` is the table of bad inputs and faults a new user meets, each of
which must end in a message that names the file, the line or the backend and the problem, never a
traceback. No test sleeps to race anything: servers hold requests on events, waits are bounded polls.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from servers.fault_server import FaultServer
from voiceleak.cli import app
from voiceleak.models.http_common import MAX_REASON, Redactor, describe_failure
from voiceleak.runner import log as runlog
from voiceleak.runner.log import MAX_ATTEMPTS, RunDirError, RunLog
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.spec import SpecError, parse_spec

KEY = "sk-test-" + "k3Y9" * 10  # 48 characters: long enough that a cut can split it
HEADER_SECRET = "hdr-secret-0123456789abcdef"


def pieces(secret: str, size: int = 10) -> list[str]:
    """Every `size`-character piece of a secret: none may survive anywhere."""
    return [secret[i:i + size] for i in range(len(secret) - size + 1)]


def leaked(secret: str, text: str) -> list[str]:
    return [p for p in pieces(secret) if p in text]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages hold long temporary paths: keep rich from folding them mid-word."""
    from voiceleak.cli.app import console, err

    monkeypatch.setattr(err, "_width", 400)
    monkeypatch.setattr(console, "_width", 400)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    chat = FaultServer(lifetime_s=120)
    chat.start()
    yield chat
    chat.stop()


def cli(args: list[str]) -> Any:
    return CliRunner().invoke(app, args, env={"COLUMNS": "250"})


def openai_spec(server: FaultServer | None, model: str, extra: str = "", url: str | None = None) -> str:
    base = url or f"{server.url if server else ''}/v1"
    return f"openai:{model} base_url={base} max_retries=0 {extra}".strip()


def lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]


# -- 1. a failed request is asked again by the next run, with its history ---------------------------
def test_errors_are_retried_by_the_next_run_bounded_and_with_their_history(
        server: FaultServer, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    server.faults["flaky"] = ["500*"]
    command = ["run", "-c", str(corpus), "-t", "attribute:sex", "-m", openai_spec(server, "flaky"), "-o", str(out)]
    first = cli(command)
    assert first.exit_code == 0, first.output
    assert "24 sample(s) ended in an error; run the same command again to retry them" in first.output
    server.faults["flaky"] = []  # the outage is over
    second = cli(command)
    assert second.exit_code == 0, second.output
    assert "retrying 24 sample(s) that ended in an error last time" in second.output
    assert "24 new samples" in second.output and "run the same command again" not in second.output
    records = list(RunLog(out).records())
    assert len(records) == 24 and all(r.outcome == "answer" for r in records)
    assert all(r.meta["attempt"] == 2 and "HTTP 500" in r.meta["history"][0] for r in records)
    assert len(lines(out)) == 48  # the error lines stay: the log is append-only


def test_retries_stop_after_max_attempts(server: FaultServer, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    server.faults["down"] = ["500*"]
    command = ["run", "-c", str(corpus), "-t", "attribute:sex", "-m", openai_spec(server, "down"), "-o", str(out)]
    for _ in range(MAX_ATTEMPTS):
        assert cli(command).exit_code == 0
    asked = server.attempts["down"]
    assert asked == 24 * MAX_ATTEMPTS
    last = cli(command)
    assert server.attempts["down"] == asked and "0 new samples" in last.output
    assert f"failed {MAX_ATTEMPTS} times" in last.output


# -- 2. secrets: redact before cutting, header values, echoed keys ----------------------------------
def test_a_key_split_by_the_length_cut_never_survives() -> None:
    for offset in range(MAX_REASON - 60, MAX_REASON + 5):
        error = RuntimeError("x" * offset + KEY + " tail")
        reason = describe_failure(error, Redactor([KEY]))
        assert not leaked(KEY, reason), offset


def test_long_401_and_echoed_key_reach_neither_log_nor_cache(
        server: FaultServer, corpus: Path, tmp_path: Path, isolated_cache: Path) -> None:
    out = tmp_path / "run"
    server.faults["leaky"] = ["401long*"]
    server.faults["echoer"] = ["echo*"]
    result = cli(["run", "-c", str(corpus), "-t", "attribute:sex", "-o", str(out),
                  "-m", openai_spec(server, "leaky"), "-m", openai_spec(server, "echoer")])
    assert result.exit_code == 0, result.output
    records = lines(out)
    assert any("HTTP 401" in (r["error"] or "") for r in records)
    assert any("REDACTED" in (r["response"] or "") for r in records)  # the echo was answered, key removed
    written = "".join(p.read_bytes().decode("latin-1") for p in out.rglob("*") if p.is_file())
    cached = "".join(p.read_bytes().decode("latin-1") for p in isolated_cache.rglob("*") if p.is_file())
    for text in (written, cached, result.output):
        assert not leaked(KEY, text)


def test_bearer_headers_have_a_quoted_form_that_reaches_the_server(server: FaultServer, corpus: Path,
                                                                   tmp_path: Path) -> None:
    spec = parse_spec(f'openai:sim header.Authorization="Bearer {HEADER_SECRET}" rpm=0')
    assert spec.params["header.Authorization"] == f"Bearer {HEADER_SECRET}"
    assert parse_spec(str(spec)) == spec  # the canonical form quotes it again
    out = tmp_path / "run"
    model = openai_spec(server, "sim", f'header.Authorization="Bearer {HEADER_SECRET}" header.X-Team="a b"')
    result = cli(["run", "-c", str(corpus), "-t", "attribute:sex", "-o", str(out), "-m", model])
    assert result.exit_code == 0, result.output
    assert server.received and all(r.headers["authorization"] == f"Bearer {HEADER_SECRET}"
                                   and r.headers["x-team"] == "a b" for r in server.received)
    assert not leaked(HEADER_SECRET, "".join(p.read_text() for p in out.glob("*.json*")))


@pytest.mark.parametrize("spec", [
    f"openai:sim header.Authorization=Bearer {HEADER_SECRET}",  # unquoted: the space splits it
    f"openai:sim header.X-Api-Key={HEADER_SECRET} max_concurrency=many",
    f"openai:sim header.X-Api-Key={HEADER_SECRET} audio_part=nonsense",
])
def test_spec_errors_never_show_header_values(spec: str, corpus: Path, tmp_path: Path) -> None:
    result = cli(["run", "-c", str(corpus), "-t", "attribute:sex", "-o", str(tmp_path / "r"), "-m", spec])
    assert result.exit_code == 2 and "error:" in result.output
    assert not leaked(HEADER_SECRET, result.output), result.output
    if "audio_part" not in spec:
        with pytest.raises(SpecError) as caught:
            parse_spec(spec).get_int("max_concurrency", 1)
        assert not leaked(HEADER_SECRET, str(caught.value))


# -- 3. resume never drops good lines; a crash can only tear the last one ----------------------------
def _uniform_run(corpus: Path, out: Path, console_file: Any = None) -> int:
    from rich.console import Console

    config = RunConfig(corpus=str(corpus), models=("uniform",), tasks=("attribute:sex", "speaker-id"))
    console = Console(file=console_file, width=250) if console_file is not None else None
    return Runner(config, RunOptions(out=out, quiet=True), console=console).execute()


def test_a_corrupt_line_mid_log_is_skipped_and_reported_never_a_reason_to_drop_the_rest(
        corpus: Path, tmp_path: Path) -> None:
    from io import StringIO

    out = tmp_path / "run"
    assert _uniform_run(corpus, out) == 48
    text = (out / "samples.jsonl").read_text().splitlines(keepends=True)
    text[4] = '{"key": "half a record\n'
    text[9] = "[" * 100_000 + "\n"  # nested past the JSON parser's recursion limit
    (out / "samples.jsonl").write_text("".join(text))
    said = StringIO()
    assert _uniform_run(corpus, out, said) == 2  # only the two unreadable samples are asked again
    after = (out / "samples.jsonl").read_text().splitlines(keepends=True)
    assert after[:48] == text  # every line kept, in place
    assert "skipped 2 unreadable line(s)" in said.getvalue() and "line 5" in said.getvalue()
    assert len(list(RunLog(out).records())) == 48


def test_a_torn_last_line_alone_is_cut(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _uniform_run(corpus, out)
    data = (out / "samples.jsonl").read_bytes()
    (out / "samples.jsonl").write_bytes(data[:-40])
    assert _uniform_run(corpus, out) == 1
    assert len(lines(out)) == 48


def test_a_failed_write_leaves_no_torn_line(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    _uniform_run(corpus, out)
    log = RunLog(out)
    log.start({}, json.loads(json.dumps(json.loads((out / "header.json").read_text())["config"])))
    size = (out / "samples.jsonl").stat().st_size
    record = next(iter(log.records()))
    real_write = os.write

    def half_then_full(fd: int, data: bytes) -> int:
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runlog, "_write_chunk", half_then_full)
    with pytest.raises(OSError, match=r"samples\.jsonl: no space left on device"):
        log.append(record)
    monkeypatch.undo()
    log.close()
    assert (out / "samples.jsonl").stat().st_size == size


# -- 4. each answer is logged and cached as it lands, not with its batch ------------------------------
def test_answers_are_logged_and_cached_as_they_land(server: FaultServer, corpus: Path, tmp_path: Path,
                                                    isolated_cache: Path) -> None:
    out = tmp_path / "run"
    server.hold_first = 1  # one request of the first batch of 8 waits until released
    config = RunConfig(corpus=str(corpus), models=(openai_spec(server, "sim", "max_concurrency=4"),),
                       tasks=("attribute:sex",))
    runner = Runner(config, RunOptions(out=out, quiet=True))
    worker = threading.Thread(target=runner.execute)
    worker.start()
    try:
        assert server.held.wait(60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (out / "samples.jsonl").is_file() and len(lines(out)) >= 23:
                break
            time.sleep(0.02)
        assert len(lines(out)) == 23  # all but the held one, its batch-mates included
        with sqlite3.connect(isolated_cache / "responses.sqlite") as db:
            assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 23
    finally:
        server.release()
        worker.join(60)
    assert len(lines(out)) == 24


# -- 7. no NaN reaches a JSON file ---------------------------------------------------------------------
def test_the_header_never_holds_nan(tmp_path: Path) -> None:
    log = RunLog(tmp_path / "run")
    log.start({"corpus": {"minutes": float("nan"), "clips": [float("inf"), 1.0]}}, {})
    log.close()
    def refuse(token: str) -> None:
        raise ValueError(token)
    header = json.loads((tmp_path / "run" / "header.json").read_text(), parse_constant=refuse)
    assert header["corpus"] == {"minutes": None, "clips": [None, 1.0]}


# -- 8. one run at a time per directory ---------------------------------------------------------------
def test_a_second_run_into_a_locked_directory_is_refused_naming_the_holder(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _uniform_run(corpus, out)
    holder = RunLog(out)
    holder.start({}, json.loads((out / "header.json").read_text())["config"])
    try:
        with pytest.raises(RunDirError, match=rf"in use by another run \(pid {os.getpid()} on"):
            _uniform_run(corpus, out)
    finally:
        holder.close()
    assert _uniform_run(corpus, out) == 0  # released: the next run proceeds


# -- the sweep: every bad input and fault ends in a named, clear message --------------------------------
@dataclass
class Case:
    """argv for `voiceleak`, the exit code, and what the message must say."""

    argv: list[str]
    says: list[str]
    code: int = 1
    never: list[str] = field(default_factory=list)


Setup = Callable[[Path, Path, FaultServer, pytest.MonkeyPatch], Case]


def _manifest(corpus: Path, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
              raw: bytes | None = None, name: str = "bad.jsonl") -> Path:
    path = corpus.parent / name
    if raw is not None:
        path.write_bytes(raw)
        return path
    rows = [json.loads(line) for line in corpus.read_text().splitlines()]
    path.write_text("".join(json.dumps(r) + "\n" for r in (edit or (lambda x: x))(rows)))
    return path


def _bad_audio(corpus: Path, write: Callable[[Path], None], suffix: str = ".wav") -> tuple[Path, Path]:
    """The corpus with clip m1-1's audio replaced by what `write` makes; returns (manifest, audio)."""
    target = corpus.parent / "audio" / f"bad{suffix}"
    write(target)

    def edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[1]["audio_filepath"] = f"audio/bad{suffix}"
        return rows

    return _manifest(corpus, edit), target


def _validate(manifest: Path, *says: str) -> Case:
    return Case(["validate", str(manifest)], [*says, "line 2"] if "line" not in " ".join(says) else list(says))


def _tone(seconds: float = 1.0) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * 150 * np.arange(int(16000 * seconds)) / 16000)).astype(np.float32)


def _truncated_flac(corpus: Path, *_: Any) -> Case:
    def write(p: Path) -> None:
        sf.write(p, _tone(), 16000, format="FLAC")
        p.write_bytes(p.read_bytes()[:100])
    return _validate(_bad_audio(corpus, write, ".flac")[0], "bad.flac", "corrupt")


def _half_wav(corpus: Path, *_: Any) -> Case:
    def write(p: Path) -> None:
        sf.write(p, _tone(), 16000, subtype="PCM_16")
        data = p.read_bytes()
        p.write_bytes(data[: 44 + (len(data) - 44) // 2])
    return _validate(_bad_audio(corpus, write)[0], "bad.wav", "truncated")


def _nan_audio(corpus: Path, *_: Any) -> Case:
    def write(p: Path) -> None:
        samples = _tone()
        samples[100] = np.nan
        samples[200] = np.inf
        sf.write(p, samples, 16000, subtype="FLOAT")
    return _validate(_bad_audio(corpus, write)[0], "bad.wav", "NaN or infinite")


def _silent_audio(corpus: Path, *_: Any) -> Case:
    return _validate(_bad_audio(corpus, lambda p: sf.write(p, np.zeros(16000, np.float32), 16000))[0],
                     "bad.wav", "silent")


def _directory_audio(corpus: Path, *_: Any) -> Case:
    return _validate(_bad_audio(corpus, lambda p: p.mkdir())[0], "bad.wav", "is a directory")


def _symlink_loop(corpus: Path, *_: Any) -> Case:
    return _validate(_bad_audio(corpus, lambda p: os.symlink(p.name, p))[0], "bad.wav", "symlink loop")


def _escaping_path(corpus: Path, *_: Any) -> Case:
    def edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[1]["audio_filepath"] = "../../../../../../etc/passwd"
        return rows
    return _validate(_manifest(corpus, edit), "etc/passwd", "outside the manifest's folder")


def _absolute_outside_path(corpus: Path, *_: Any) -> Case:
    def edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[1]["audio_filepath"] = "/etc/passwd"
        return rows
    return _validate(_manifest(corpus, edit), "/etc/passwd", "outside the manifest's folder",
                     "VOICELEAK_AUDIO_ROOTS")


def _encoded(encoding: str) -> Callable[..., Case]:
    def setup(corpus: Path, *_: Any) -> Case:
        rows = corpus.read_text().splitlines(keepends=True)
        rows[2] = rows[2].replace("hello there", "café olé")
        path = _manifest(corpus, raw="".join(rows).encode(encoding))
        says = ["bad.jsonl", "UTF-16"] if encoding.startswith("utf-16") else ["bad.jsonl", "line 3", "not UTF-8"]
        return Case(["validate", str(path)], says)
    return setup


def _deep_json(corpus: Path, *_: Any) -> Case:
    path = _manifest(corpus, raw=corpus.read_bytes() + b'{"id": ' + b"[" * 100_000 + b"\n")
    return Case(["validate", str(path)], ["bad.jsonl", "line 25", "nested too deeply"])


def _markup_path(corpus: Path, *_: Any) -> Case:
    def edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[1]["audio_filepath"] = "audio/[/red]gone[bold].wav"
        return rows
    return Case(["validate", str(_manifest(corpus, edit))], ["[/red]gone[bold].wav", "file not found", "line 2"])


def _markup_skip_bad(corpus: Path, tmp_path: Path, *_: Any) -> Case:
    def edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[1]["audio_filepath"] = "audio/[/red]gone.wav"
        return rows
    return Case(["run", "-c", str(_manifest(corpus, edit)), "-m", "uniform", "-t", "attribute:sex", "--skip-bad",
                 "-o", str(tmp_path / "r")], ["skipped", "[/red]gone.wav", "23 new samples"], code=0)


def _latin1_skip_bad(corpus: Path, tmp_path: Path, *_: Any) -> Case:
    rows = corpus.read_text().splitlines(keepends=True)
    rows[2] = rows[2].replace("hello there", "café")
    path = _manifest(corpus, raw="".join(rows).encode("latin-1"))
    return Case(["run", "-c", str(path), "-m", "uniform", "-t", "attribute:sex", "--skip-bad", "-o",
                 str(tmp_path / "r")], ["skipped", "line 3", "not UTF-8", "23 new samples"], code=0)


def _latin1_run(corpus: Path, tmp_path: Path, *_: Any) -> Case:
    rows = corpus.read_text().splitlines(keepends=True)
    rows[2] = rows[2].replace("hello there", "café")
    path = _manifest(corpus, raw="".join(rows).encode("latin-1"))
    return Case(["run", "-c", str(path), "-m", "uniform", "-o", str(tmp_path / "r")],
                ["bad.jsonl", "line 3", "not UTF-8", "--skip-bad"], code=2)


def _nan_duration(corpus: Path, *_: Any) -> Case:
    path = _manifest(corpus, raw=corpus.read_bytes().replace(b'"duration": 1.6', b'"duration": NaN', 1))
    return Case(["validate", str(path)], ["line 1", "duration", "finite"])


def _empty(corpus: Path, tmp_path: Path, *_: Any) -> Case:
    return Case(["validate", str(_manifest(corpus, raw=b"\n\n"))], ["bad.jsonl", "no clips"])


def _empty_run(corpus: Path, tmp_path: Path, *_: Any) -> Case:
    path = _manifest(corpus, raw=b"")
    return Case(["run", "-c", str(path), "-m", "uniform", "-o", str(tmp_path / "r")], ["bad.jsonl", "no clips"],
                code=2)


def _hostile(field_name: str, value: Any, says: str) -> Callable[..., Case]:
    def setup(corpus: Path, *_: Any) -> Case:
        def edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            rows[1][field_name] = value
            return rows
        return Case(["validate", str(_manifest(corpus, edit))], ["line 2", says])
    return setup


def _hearsay_no_speakers(corpus: Path, tmp_path: Path, *_: Any) -> Case:
    root = tmp_path / "HearSay"
    audio = root / "dataset" / "audio" / "gender" / "Male" / "m_001.wav"
    audio.parent.mkdir(parents=True)
    sf.write(audio, _tone(), 16000)
    label = root / "dataset" / "label" / "gender" / "Male.csv"
    label.parent.mkdir(parents=True)
    label.write_text("name,value,file_path\nm_001.wav,Male,./dataset/audio/gender/Male/m_001.wav\n")
    return Case(["import", "hearsay", str(root), "-o", str(tmp_path / "hs" / "manifest.jsonl")],
                ["WARNING", "no speaker_id", "resamples clips"], code=0)


def _validate_no_speakers(corpus: Path, *_: Any) -> Case:
    def edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "speaker_id"} for r in rows]
    return Case(["validate", str(_manifest(corpus, edit))], ["NO SPEAKER IDS", "speaker_id"], code=0)


def _read_only_run_dir(corpus: Path, tmp_path: Path, server: FaultServer, mp: pytest.MonkeyPatch) -> Case:
    out = tmp_path / "ro"
    real_open = os.open

    def refuse(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).startswith(str(out)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)

    mp.setattr(runlog, "_open_file", refuse)
    return Case(["run", "-c", str(corpus), "-m", "uniform", "-o", str(out)], ["ro", "read-only file system"], code=2)


def _run_dir_is_a_file(corpus: Path, tmp_path: Path, *_: Any) -> Case:
    (tmp_path / "afile").write_text("x")
    return Case(["run", "-c", str(corpus), "-m", "uniform", "-o", str(tmp_path / "afile" / "run")],
                ["cannot create the run directory", "afile"], code=2)


def _disk_full_logging(corpus: Path, tmp_path: Path, server: FaultServer, mp: pytest.MonkeyPatch) -> Case:
    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")
    mp.setattr(runlog, "_write_chunk", full)
    return Case(["run", "-c", str(corpus), "-m", "uniform", "-o", str(tmp_path / "r")],
                ["samples.jsonl", "no space left on device"], code=2)


def _disk_full_report(corpus: Path, tmp_path: Path, server: FaultServer, mp: pytest.MonkeyPatch) -> Case:
    from voiceleak.report import build

    def full(*_: Any, **__: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "r" / "results.json"))
    mp.setattr(build, "atomic_write_text", full)
    return Case(["run", "-c", str(corpus), "-m", "uniform", "-o", str(tmp_path / "r")],
                ["samples are safe", "results.json", "No space left", "voiceleak report"], code=2)


def _read_only_cache(corpus: Path, tmp_path: Path, server: FaultServer, mp: pytest.MonkeyPatch) -> Case:
    import voiceleak.cache as cache_module

    real = sqlite3.connect

    def read_only(path: str, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if path.endswith("responses.sqlite"):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real(path, *args, **kwargs)
    mp.setattr(cache_module.sqlite3, "connect", read_only)
    return Case(["run", "-c", str(corpus), "-m", "probe", "-t", "attribute:sex", "-o", str(tmp_path / "r")],
                ["responses.sqlite", "readonly", "VOICELEAK_CACHE", "--no-cache"], code=2)


def _cache_under_a_file(corpus: Path, tmp_path: Path, server: FaultServer, mp: pytest.MonkeyPatch) -> Case:
    (tmp_path / "afile").write_text("x")
    mp.setenv("VOICELEAK_CACHE", str(tmp_path / "afile" / "cache"))
    return Case(["run", "-c", str(corpus), "-m", "probe", "-t", "attribute:sex", "-o", str(tmp_path / "r")],
                ["afile", "VOICELEAK_CACHE"], code=2)


def _locked(corpus: Path, tmp_path: Path, server: FaultServer, mp: pytest.MonkeyPatch) -> Case:
    out = tmp_path / "r"
    assert cli(["run", "-c", str(corpus), "-m", "uniform", "-t", "attribute:sex", "-o", str(out)]).exit_code == 0
    holder = RunLog(out)
    holder.start({}, json.loads((out / "header.json").read_text())["config"])
    mp.setattr(RunLog, "_sweep_holder", holder, raising=False)  # closed when the test ends
    return Case(["run", "-c", str(corpus), "-m", "uniform", "-t", "attribute:sex", "-o", str(out)],
                ["in use by another run", f"pid {os.getpid()}"], code=2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _refused(corpus: Path, tmp_path: Path, *_: Any) -> Case:
    spec = openai_spec(None, "sim", url=f"http://127.0.0.1:{_free_port()}/v1")
    return Case(["run", "-c", str(corpus), "-t", "attribute:sex", "-m", spec, "-o", str(tmp_path / "r")],
                ["connection refused", "looks down", "run the same command again"], code=2,
                never=["error: Request timed out"])


def _reset(corpus: Path, tmp_path: Path, server: FaultServer, *_: Any) -> Case:
    server.connection_faults["sim"] = "reset"
    return Case(["run", "-c", str(corpus), "-t", "attribute:sex", "-m", openai_spec(server, "sim"), "-o",
                 str(tmp_path / "r")], ["connection reset", "looks down"], code=2)


def _stall(corpus: Path, tmp_path: Path, server: FaultServer, *_: Any) -> Case:
    server.connection_faults["sim"] = "stall"
    return Case(["run", "-c", str(corpus), "-t", "attribute:sex", "-m", openai_spec(server, "sim", "timeout=600"),
                 "--request-deadline", "1", "-o", str(tmp_path / "r")], ["1 s deadline", "looks down"], code=2)


def _outage(corpus: Path, tmp_path: Path, server: FaultServer, *_: Any) -> Case:
    server.faults["sim"] = ["503*"]
    return Case(["run", "-c", str(corpus), "-t", "attribute:sex", "-m", openai_spec(server, "sim"), "-o",
                 str(tmp_path / "r")], ["24 sample(s) ended in an error", "run the same command again"], code=0)


def _long_401(corpus: Path, tmp_path: Path, server: FaultServer, *_: Any) -> Case:
    server.faults["sim"] = ["401long*"]
    return Case(["run", "-c", str(corpus), "-t", "attribute:sex", "-m", openai_spec(server, "sim"), "-o",
                 str(tmp_path / "r")], ["ended in an error"], code=0, never=pieces(KEY))


def _check_model_long_401(corpus: Path, tmp_path: Path, server: FaultServer, *_: Any) -> Case:
    server.faults["sim"] = ["401long*"]
    return Case(["check-model", openai_spec(server, "sim")], ["HTTP 401", "REDACTED"],
                code=1, never=pieces(KEY))


def _header_secret_in_spec_error(corpus: Path, tmp_path: Path, server: FaultServer, *_: Any) -> Case:
    spec = openai_spec(server, "sim", f"header.X-Api-Key={HEADER_SECRET} rpm=fast")
    return Case(["run", "-c", str(corpus), "-m", spec, "-o", str(tmp_path / "r")], ["rpm must be a float"],
                code=2, never=pieces(HEADER_SECRET))


def _silent_clip_is_never_scored(corpus: Path, tmp_path: Path, *_: Any) -> Case:
    # validation skipped by --skip-bad still cannot let silence through: the loader refuses it too
    manifest = _bad_audio(corpus, lambda p: sf.write(p, np.zeros(16000, np.float32), 16000))[0]
    return Case(["run", "-c", str(manifest), "-m", "probe", "-t", "attribute:sex", "--skip-bad", "-o",
                 str(tmp_path / "r")], ["skipped", "silent", "23 new samples"], code=0)


SWEEP: dict[str, Setup] = {
    # bad audio
    "flac truncated to 100 bytes": _truncated_flac,
    "wav truncated to half its data": _half_wav,
    "NaN and inf samples": _nan_audio,
    "all-zero audio": _silent_audio,
    "silent clip never scored (run)": _silent_clip_is_never_scored,
    "a directory as audio": _directory_audio,
    "a symlink loop as audio": _symlink_loop,
    "an absolute path outside the manifest's folder": _absolute_outside_path,
    # bad manifests
    "path escaping the manifest folder": _escaping_path,
    "manifest in Latin-1": _encoded("latin-1"),
    "manifest in UTF-16": _encoded("utf-16"),
    "Latin-1 line, run refuses naming it": _latin1_run,
    "Latin-1 line, run --skip-bad skips it": _latin1_skip_bad,
    "deeply nested JSON line": _deep_json,
    "rich markup in a path (validate)": _markup_path,
    "rich markup in a path (run --skip-bad)": _markup_skip_bad,
    "NaN duration": _nan_duration,
    "empty manifest (validate)": _empty,
    "empty manifest (run)": _empty_run,
    "no speaker ids (validate)": _validate_no_speakers,
    "HearSay import without speakers": _hearsay_no_speakers,
    # hostile labels
    "labels as a list": _hostile("labels", ["Male"], "must be an object"),
    "a label class as an object": _hostile("labels", {"sex": {"$gt": 1}}, "class must be a string"),
    "raw_labels as a string": _hostile("raw_labels", "x", "must be an object"),
    "an unknown attribute": _hostile("labels", {"[red]x[/red]": "y"}, "[red]x[/red]"),
    # the run directory, the cache, the disk
    "read-only run directory": _read_only_run_dir,
    "run directory under a file": _run_dir_is_a_file,
    "disk full while logging": _disk_full_logging,
    "disk full while writing the report": _disk_full_report,
    "read-only response cache": _read_only_cache,
    "cache folder under a file": _cache_under_a_file,
    "a run already holds the directory": _locked,
    # faults
    "connection refused": _refused,
    "connection reset": _reset,
    "server that never answers": _stall,
    "provider outage (503)": _outage,
    # secrets
    "long 401 echoing the key": _long_401,
    "long 401 echoing the key (check-model)": _check_model_long_401,
    "header value in a spec error": _header_secret_in_spec_error,
}


@pytest.mark.parametrize("name", list(SWEEP))
def test_sweep_every_case_ends_in_a_clear_named_message(name: str, corpus: Path, tmp_path: Path,
                                                        server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    case = SWEEP[name](corpus, tmp_path, server, monkeypatch)
    try:
        result = cli(case.argv)
    finally:
        holder = getattr(RunLog, "_sweep_holder", None)
        if holder is not None:
            holder.close()
    output = " ".join(result.output.split())  # rich wraps long messages at the terminal's width
    assert result.exit_code == case.code, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    for words in case.says:
        assert words in output, f"{name}: {words!r} not in\n{output}"
    for words in case.never:
        assert words not in output, f"{name}: {words!r} shown"


def test_sweep_size() -> None:
    """The figure reported for issue 19: every case of the table gets a clear, named message."""
    assert len(SWEEP) >= 38
