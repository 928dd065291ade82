"""The Ray executor logs each answer as it lands, not when its Ray batch ends (#19, item 4).

A gated model answers the first request of a batch at once and holds the rest until the test
releases them: the first answer must reach samples.jsonl while its batch is still open. No timing
race decides the outcome — without streaming, nothing is logged until the release, and the wait
fails however idle or loaded the machine is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")

GATED_MODEL = textwrap.dedent('''
    import asyncio, os
    from pathlib import Path
    from voiceleak.models.base import LocalModel, models
    from voiceleak.types import Response

    GATE = Path(os.environ["VOICELEAK_TEST_GATE"])

    @models.register("gated")
    class Gated(LocalModel):
        max_batch = 8
        max_concurrency = 8  # an API-like backend: each request of a batch lands on its own

        def __init__(self, spec):
            self.name = str(spec)

        def identity(self):
            return {"name": self.name}

        async def generate(self, requests):
            return [await self._one(r) for r in requests]

        async def _one(self, request):
            try:  # the first request anywhere goes through; the others wait for the release file
                os.close(os.open(GATE / "first", os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                for _ in range(6000):
                    if (GATE / "release").exists():
                        break
                    await asyncio.sleep(0.05)
            return Response(request.id, request.choices[0])
''')


def _lines(path: Path) -> int:
    return path.read_text().count("\n") if path.is_file() else 0


def test_ray_logs_each_answer_before_its_batch_ends(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "gatedmodel.py").write_text(GATED_MODEL)
    gate = tmp_path / "gate"
    gate.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "VOICELEAK_PLUGINS": "gatedmodel",
           "VOICELEAK_TEST_GATE": str(gate), "RAY_AUTH_MODE": "disabled"}
    out = tmp_path / "run"
    command = [sys.executable, "-m", "voiceleak", "run", "-c", str(corpus), "-m", "gated", "-t", "attribute:sex",
               "-o", str(out), "--no-cache", "--executor", "ray actors=1 batch=8"]
    run = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           start_new_session=True)
    samples = out / "samples.jsonl"
    try:
        deadline = time.monotonic() + 240  # Ray's start on a loaded 2-core machine; the gate holds meanwhile
        while _lines(samples) < 1 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        logged_while_open = _lines(samples)
        (gate / "release").touch()
        _, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=60)
    assert 1 <= logged_while_open < 8, f"{logged_while_open} answers logged while the batch was open"
    assert run.returncode == 0, stderr.decode()[-2000:]
    keys = [json.loads(line)["key"] for line in samples.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 24
