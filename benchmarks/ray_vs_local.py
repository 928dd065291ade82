"""The voiceprint probe over the demo corpus, local executor vs Ray (local Ray on this machine).

    python benchmarks/ray_vs_local.py

Each executor runs in a fresh process with an empty cache (voiceprints are computed, not read back),
timed wall-clock including start-up; the records of both runs must agree exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from common import write_result

from voiceleak.corpus.demo import demo_manifest

TASKS = ["-t", "attribute:sex", "-t", "attribute:voice_source", "-t", "speaker-id"]


def run(executor: str, folder: Path) -> tuple[float, dict[str, str | None]]:
    out = folder / executor.split()[0]
    env = {**os.environ, "VOICELEAK_CACHE": str(folder / f"cache-{executor.split()[0]}"), "RAY_AUTH_MODE": "disabled"}
    start = time.perf_counter()
    subprocess.run(["voiceleak", "run", "-c", str(demo_manifest()), "-m", "probe", *TASKS, "-o", str(out),
                    "--executor", executor], env=env, check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    return elapsed, {r["key"]: r["predicted"] for r in records}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        local_s, local = run("local", Path(tmp))
        ray_s, distributed = run("ray actors=2 cpus=0.5", Path(tmp))
    assert local == distributed, "the executors disagree"
    rows = [
        ("samples (probe x sex, voice_source, speaker-id x 260 clips)", str(len(local))),
        ("local executor", f"{local_s:.1f} s"),
        ("Ray executor (local Ray, 2 CPUs, one task per supervised group)", f"{ray_s:.1f} s"),
        ("Ray / local", f"{ray_s / local_s:.2f}"),
        ("records identical", "yes"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    write_result("ray_vs_local", "# Ray vs local executor: voiceprint probe on the demo corpus\n\n"
                                 f"| measure | figure |\n|---|---|\n{table}\n")


if __name__ == "__main__":
    main()
