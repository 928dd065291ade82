from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from voiceleak.models.base import LocalModel, models
from voiceleak.runner.log import RunDirError, RunLog
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.spec import Spec
from voiceleak.studies.execute import report_run
from voiceleak.types import Request, Response

# A stand-in that answers one request at a time. With VOICELEAK_TEST_HOLD_AFTER=k in its environment it
# answers k requests, then creates the file VOICELEAK_TEST_HELD names and holds the next request until its
# process is stopped: a test that signals the run knows it is mid-way, however loaded the machine is (no
# wall-clock race between the run and the signal).
HOLD_AFTER_ENV, HELD_ENV = "VOICELEAK_TEST_HOLD_AFTER", "VOICELEAK_TEST_HELD"
GATED_MODEL = textwrap.dedent('''
    import asyncio
    import os

    from voiceleak.models.base import LocalModel, models

    @models.register("gated")
    class Gated(LocalModel):
        max_batch = 1
        answered = 0
        def __init__(self, spec):
            self.name = str(spec)
        def identity(self):
            return {"name": self.name}
        async def generate(self, requests):
            from voiceleak.types import Response
            hold_after = int(os.environ.get("VOICELEAK_TEST_HOLD_AFTER") or 0)
            if hold_after and Gated.answered >= hold_after:
                with open(os.environ["VOICELEAK_TEST_HELD"], "w"):
                    pass
                await asyncio.Event().wait()  # never set: held until the test stops the process
            Gated.answered += len(requests)
            return [Response(r.id, r.choices[len(r.audio.samples) % len(r.choices)]) for r in requests]
''')


def _run(corpus: Path, out: Path, models: tuple[str, ...] = ("probe", "majority", "uniform"),
         transforms: tuple[str, ...] = ("none",)) -> Runner:
    config = RunConfig(corpus=str(corpus), models=models, tasks=("attribute", "speaker-id"), transforms=transforms)
    runner = Runner(config, RunOptions(out=out, quiet=True))
    runner.execute()
    report_run(runner)
    return runner


def test_full_run_writes_header_log_results_and_report(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _run(corpus, out, transforms=("none", "blind:silence"))
    header = json.loads((out / "header.json").read_text())
    assert header["corpus"]["clips"] == 24 and len(header["corpus"]["hash"]) == 24
    assert "attribute:sex" in header["tasks"] and "prompts" in header["tasks"]["attribute:sex"]
    assert header["packages"]["numpy"]
    records = list(RunLog(out).records())
    # 3 models x 2 tasks (sex, speaker-id; language has one class here, so a bare `attribute` leaves it out)
    # x 2 transforms x 24 clips
    assert "attribute:language" not in header["tasks"]
    assert len(records) == 3 * 2 * 2 * 24
    results = json.loads((out / "results.json").read_text())
    cells = {(c["model"], c["task"], c["transform"]): c["metrics"] for c in results["cells"]}
    probe_sex = cells[("probe", "attribute:sex", "none")]
    assert probe_sex["n"] == 24 and probe_sex["n_speakers"] == 6
    # every one of the six speakers recognised: an exact one-sided bound over speakers, no [100, 100]
    accuracy = probe_sex["accuracy"]
    assert accuracy["value"] == 1.0 and accuracy["status"] == "bound" and accuracy["high"] is None
    assert accuracy["low"] == pytest.approx(0.05 ** (1 / 6), abs=1e-4)
    assert probe_sex["unit"] == "speaker" and probe_sex["n_units"] == 6
    assert "<table>" in (out / "report.html").read_text()


def test_resume_skips_done_samples_and_refuses_another_config(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _run(corpus, out, models=("uniform",))
    before = (out / "samples.jsonl").read_text()
    config = RunConfig(corpus=str(corpus), models=("uniform",), tasks=("attribute", "speaker-id"))
    assert Runner(config, RunOptions(out=out, quiet=True)).execute() == 0
    assert (out / "samples.jsonl").read_text() == before
    other = RunConfig(corpus=str(corpus), models=("majority",), tasks=("attribute",))
    with pytest.raises(RunDirError, match="different configuration"):
        Runner(other, RunOptions(out=out, quiet=True)).execute()


def test_clip_broken_after_validation_is_an_error_record_and_the_run_goes_on(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    config = RunConfig(corpus=str(corpus), models=("uniform",), tasks=("attribute", "speaker-id"))
    runner = Runner(config, RunOptions(out=out, quiet=True))  # validates the corpus: all clips are fine
    (corpus.parent / "audio" / "f2-1.wav").write_bytes(b"corrupt")  # then a file breaks mid-run
    runner.execute()
    report_run(runner)
    records = list(RunLog(out).records())
    broken = [r for r in records if r.clip_id == "f2-1"]
    assert broken and all(r.outcome == "error" and "f2-1.wav" in (r.error or "") for r in broken)
    assert all(r.correct is None for r in broken)
    assert sum(r.outcome == "answer" for r in records) == len(records) - len(broken)


@models.register("test-loudness", "answers from the clip's loudness (a deterministic stand-in)")
class Loudness(LocalModel):
    calls = 0

    def __init__(self, spec: Spec) -> None:
        self.name = str(spec)

    def identity(self) -> dict[str, str]:
        return {"name": self.name}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        Loudness.calls += len(requests)
        return [Response(r.id, r.choices[int(np.abs(r.audio.samples).mean() * 1000) % len(r.choices)])
                for r in requests if r.audio is not None]


def test_response_cache_serves_a_second_run(corpus: Path, tmp_path: Path) -> None:
    _run(corpus, tmp_path / "a", models=("test-loudness",))
    asked = Loudness.calls
    _run(corpus, tmp_path / "b", models=("test-loudness",))
    assert Loudness.calls == asked  # nothing was asked again
    first = {r.key: r for r in RunLog(tmp_path / "a").records()}
    second = list(RunLog(tmp_path / "b").records())
    assert second and all(r.cached for r in second)
    assert all(first[r.key].response == r.response for r in second)


def test_a_model_that_must_not_be_cached_is_asked_again(corpus: Path, tmp_path: Path) -> None:
    _run(corpus, tmp_path / "a", models=("uniform",))
    _run(corpus, tmp_path / "b", models=("uniform",))
    assert not any(r.cached for r in RunLog(tmp_path / "b").records())


def gated_env(tmp_path: Path, hold_after: int | None) -> dict[str, str]:
    """The environment of a `voiceleak` subprocess that can load the gated model (and holds after k answers)."""
    (tmp_path / "gatedmodel.py").write_text(GATED_MODEL)
    path = os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "VOICELEAK_PLUGINS": "gatedmodel"}
    env.pop(HOLD_AFTER_ENV, None)
    if hold_after:
        env[HOLD_AFTER_ENV], env[HELD_ENV] = str(hold_after), str(tmp_path / "held")
    return env


def wait_for_lines(path: Path, count: int, process: subprocess.Popen[bytes], stderr: Path) -> None:
    """A bounded poll, not a race: the gated model holds the run at `count` samples until it is stopped."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if path.is_file() and path.read_text().count("\n") >= count:
            return
        time.sleep(0.02)
    said = stderr.read_text(errors="replace")[-2000:] if stderr.is_file() else ""
    raise AssertionError(f"run did not reach {count} samples (exit {process.poll()}): {said}")


def wait_for_hold(tmp_path: Path, process: subprocess.Popen[bytes], stderr: Path) -> None:
    """A bounded poll until the gated model (gated_env(tmp_path, k)) has answered k requests and holds."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if (tmp_path / "held").is_file():
            return
        time.sleep(0.02)
    said = stderr.read_text(errors="replace")[-2000:] if stderr.is_file() else ""
    raise AssertionError(f"the gated model never held (exit {process.poll()}): {said}")


HELD_AT = 20  # samples answered before the gated model holds the first run


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_killed_run_resumes_with_nothing_lost_or_duplicated(corpus: Path, tmp_path: Path, how: int) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "voiceleak", "run", "-c", str(corpus), "-m", "gated",
               "-t", "attribute", "-t", "speaker-id", "-o", str(out), "--no-cache"]
    stderr = tmp_path / "stderr.txt"  # a file, not a pipe: a held process must never block on a full pipe
    with stderr.open("wb") as sink:
        process = subprocess.Popen(command, env=gated_env(tmp_path, HELD_AT), stdout=subprocess.DEVNULL, stderr=sink)
    try:
        wait_for_lines(out / "samples.jsonl", HELD_AT, process, stderr)
        process.send_signal(how)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    said = stderr.read_text(errors="replace")
    if how == signal.SIGINT:  # Ctrl-C: the command says how to resume and exits 130
        assert process.returncode == 130 and "Interrupted" in said, said[-2000:]
    else:
        assert process.returncode == -signal.SIGKILL
    assert (out / "samples.jsonl").read_text().count("\n") == HELD_AT  # stopped mid-way, every answer kept
    resumed = subprocess.run(command, env=gated_env(tmp_path, None), capture_output=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    lines = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    keys = [line["key"] for line in lines]
    assert len(keys) == len(set(keys)) == 2 * 24  # sex and speaker-id x 24 clips (language has one class)


@models.register("test-remote", "answers locally but declares a remote host, as an API backend does")
class RemoteStandIn(Loudness):
    remote_host = "api.example.com"


def test_a_run_states_where_the_audio_goes_before_sending_it(corpus: Path, tmp_path: Path) -> None:
    from io import StringIO

    from rich.console import Console

    out = tmp_path / "run"
    said = StringIO()
    config = RunConfig(corpus=str(corpus), models=("test-remote", "uniform"), tasks=("attribute:sex",))
    runner = Runner(config, RunOptions(out=out, quiet=True), console=Console(file=said, width=200))
    runner.execute()
    header = json.loads((out / "header.json").read_text())
    assert header["audio_destinations"] == [
        {"model": "test-remote", "host": "api.example.com", "clips": 24, "minutes": round(24 * 1.6 / 60, 2)}]
    assert "Audio leaves this machine: 24 clips, 0.64 minutes of speech to api.example.com" in said.getvalue()
