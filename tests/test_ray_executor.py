"""The Ray executor on a local Ray (2 cores, fractional actors): same records as local, and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")

from test_runner import SLOW_MODEL
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
    (tmp_path / "slowmodel.py").write_text(SLOW_MODEL)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "VOICELEAK_PLUGINS": "slowmodel", "RAY_AUTH_MODE": "disabled"}
    out = tmp_path / "run"
    command = [sys.executable, "-m", "voiceleak", "run", "-c", str(corpus), "-m", "slow", "-t", "attribute",
               "-o", str(out), "--no-cache", "--executor", "ray actors=1 batch=1"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    samples = out / "samples.jsonl"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and first.poll() is None:
        if samples.is_file() and samples.read_text().count("\n") >= 5:
            break
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)  # the driver and the Ray processes it started
    first.wait(timeout=60)
    partial = samples.read_text().count("\n")
    assert 5 <= partial < 48
    second = subprocess.run(command, env=env, capture_output=True, timeout=300, check=False)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    keys = [json.loads(line)["key"] for line in samples.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 2 * 24  # sex and language x 24 clips
