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
from voiceleak.types import Request, Response

SLOW_MODEL = textwrap.dedent('''
    import asyncio
    from voiceleak.models.base import LocalModel, models

    @models.register("slow")
    class Slow(LocalModel):
        max_batch = 1
        def __init__(self, spec):
            self.name = str(spec)
        def identity(self):
            return {"name": self.name}
        async def generate(self, requests):
            from voiceleak.types import Response
            await asyncio.sleep(0.05)
            return [Response(r.id, r.choices[len(r.audio.samples) % len(r.choices)]) for r in requests]
''')


def _run(corpus: Path, out: Path, models: tuple[str, ...] = ("probe", "majority", "uniform"),
         transforms: tuple[str, ...] = ("none",)) -> Runner:
    config = RunConfig(corpus=str(corpus), models=models, tasks=("attribute", "speaker-id"), transforms=transforms)
    runner = Runner(config, RunOptions(out=out, quiet=True))
    runner.execute()
    runner.finish()
    return runner


def test_full_run_writes_header_log_results_and_report(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _run(corpus, out, transforms=("none", "blind:silence"))
    header = json.loads((out / "header.json").read_text())
    assert header["corpus"]["clips"] == 24 and len(header["corpus"]["hash"]) == 24
    assert "attribute:sex" in header["tasks"] and "prompts" in header["tasks"]["attribute:sex"]
    assert header["packages"]["numpy"]
    records = list(RunLog(out).records())
    # 3 models x 3 tasks (sex, language, speaker-id) x 2 transforms x 24 clips
    assert len(records) == 3 * 3 * 2 * 24
    results = json.loads((out / "results.json").read_text())
    cells = {(c["model"], c["task"], c["transform"]): c["metrics"] for c in results["cells"]}
    probe_sex = cells[("probe", "attribute:sex", "none")]
    assert probe_sex["n"] == 24 and probe_sex["n_speakers"] == 6
    # every one of the six speakers recognised: an exact one-sided bound over speakers, no [100, 100]
    accuracy = probe_sex["accuracy"]
    assert accuracy["value"] == 1.0 and accuracy["status"] == "bound" and accuracy["high"] is None
    assert accuracy["low"] == pytest.approx(0.05 ** (1 / 6), abs=1e-4)
    assert probe_sex["unit"] == "speaker" and probe_sex["n_units"] == 6
    # language has one class: nothing to estimate, and the run says so instead of inventing a number
    probe_language = cells[("probe", "attribute:language", "none")]
    assert probe_language["n_error"] == 24 and probe_language["n_answered"] == 0
    assert any("not estimable" in reason for reason in probe_language["error_reasons"])
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
    runner.finish()
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


def _start_slow_run(corpus: Path, out: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    (tmp_path / "slowmodel.py").write_text(SLOW_MODEL)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "VOICELEAK_PLUGINS": "slowmodel"}
    command = [sys.executable, "-m", "voiceleak", "run", "-c", str(corpus), "-m", "slow",
               "-t", "attribute", "-t", "speaker-id", "-o", str(out), "--no-cache"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if path.is_file() and path.read_text().count("\n") >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"run did not reach {count} samples (exit {process.poll()})")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_killed_run_resumes_with_nothing_lost_or_duplicated(corpus: Path, tmp_path: Path, how: int) -> None:
    out = tmp_path / "run"
    process = _start_slow_run(corpus, out, tmp_path)
    _wait_for_lines(out / "samples.jsonl", 10, process)
    process.send_signal(how)
    process.wait(timeout=60)
    partial = (out / "samples.jsonl").read_text().count("\n")
    assert 10 <= partial < 72, "the kill must land mid-way"
    resumed = _start_slow_run(corpus, out, tmp_path)
    assert resumed.wait(timeout=180) == 0, resumed.stderr.read().decode() if resumed.stderr else ""
    lines = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    keys = [line["key"] for line in lines]
    assert len(keys) == len(set(keys)) == 3 * 24  # sex, language, speaker-id x 24 clips


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
