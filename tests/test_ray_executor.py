"""The Ray executor on a local Ray (2 cores, fractional actors): same records as local, and resume."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray")

from test_runner import HELD_AT, gated_env, wait_for_hold, wait_for_lines
from voiceleak.runner.executor import build_executor
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions


def _stop_ray() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()


def test_ray_and_local_produce_the_same_records(corpus: Path, tmp_path: Path) -> None:
    config = RunConfig(corpus=str(corpus), models=("probe", "uniform"), tasks=("attribute:sex", "speaker-id"))
    local = Runner(config, RunOptions(out=tmp_path / "local", quiet=True, use_cache=False))
    distributed = Runner(config, RunOptions(out=tmp_path / "ray", quiet=True, use_cache=False,
                                            executor=build_executor("ray actors=2 cpus=0.5")))
    # A clip that breaks after validation: its error must travel through Ray as it does locally.
    (corpus.parent / "audio" / "m2-3.wav").write_bytes(b"corrupt")
    local.execute()
    try:
        assert distributed.execute() == 4 * 24
    finally:
        _stop_ray()
    ours = {r.key: (r.outcome, r.predicted, r.error) for r in RunLog(tmp_path / "local").records()}
    theirs = {r.key: (r.outcome, r.predicted, r.error) for r in RunLog(tmp_path / "ray").records()}
    assert ours == theirs
    assert sum(1 for outcome, _, error in theirs.values() if outcome == "error" and "m2-3.wav" in (error or "")) == 4


def test_interrupted_ray_run_resumes_without_loss_or_duplicates(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "voiceleak", "run", "-c", str(corpus), "-m", "gated", "-t", "attribute",
               "-o", str(out), "--no-cache", "--executor", "ray actors=1 batch=1"]
    # The gated model (one actor) answers HELD_AT requests, then holds the run until it is killed: the
    # kill lands mid-way however loaded the machine is. How many of the answers the driver has logged by
    # then is the executor's business (records stream as they land, or with their Ray block), so the test
    # waits for the hold and for a first logged answer, not for a count.
    env = {"RAY_AUTH_MODE": "disabled"}
    stderr = tmp_path / "stderr.txt"  # a file, not a pipe: Ray's log lines must never fill a pipe and block
    with stderr.open("wb") as sink:
        first = subprocess.Popen(command, env={**gated_env(tmp_path, HELD_AT), **env}, stdout=subprocess.DEVNULL,
                                 stderr=sink, start_new_session=True)
    samples = out / "samples.jsonl"
    try:
        wait_for_hold(tmp_path, first, stderr)
        wait_for_lines(samples, 1, first, stderr)
    finally:
        with contextlib.suppress(ProcessLookupError):  # (gone already if it failed to start)
            os.killpg(first.pid, signal.SIGKILL)  # the driver and the Ray processes it started
        first.wait(timeout=60)
    assert 1 <= samples.read_text().count("\n") <= HELD_AT
    second = subprocess.run(command, env={**gated_env(tmp_path, None), **env}, capture_output=True, timeout=300,
                            check=False)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    keys = [json.loads(line)["key"] for line in samples.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 24  # sex x 24 clips (language has one class here: not planned)
