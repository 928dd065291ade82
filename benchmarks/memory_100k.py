"""Peak memory to plan and run a 100,000-clip manifest with a null model (target < 500 MB).

    python benchmarks/memory_100k.py [--clips 100000]

Runs in a fresh process so the peak is this job's alone. Every clip has its own short audio file
(the run validates the corpus first, and duplicate audio would be refused).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import make_corpus, write_result

CHILD = """
import json, sys, time
sys.path.insert(0, {bench!r})
from common import peak_rss_mb
from voiceleak.runner.plan import RunConfig
from voiceleak.report.build import write_report
from voiceleak.runner.run import RunOptions, Runner
start = time.perf_counter()
runner = Runner(RunConfig(corpus={manifest!r}, models=("uniform",), tasks=("attribute:sex",)),
                RunOptions(out={out!r}, quiet=True, use_cache=False, resamples=200))
planned = time.perf_counter()
plan_rss = peak_rss_mb()
added = runner.execute()
ran = time.perf_counter()
run_rss = peak_rss_mb()
write_report({out!r}, resamples=200)
print(json.dumps({{"added": added, "plan_s": planned - start, "run_s": ran - planned,
                  "report_s": time.perf_counter() - ran, "plan_rss": plan_rss, "run_rss": run_rss,
                  "peak_rss": peak_rss_mb()}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        manifest = make_corpus(Path(tmp) / "corpus", args.clips, seconds=0.4, rate=8000, n_speakers=200)
        code = CHILD.format(bench=str(Path(__file__).parent), manifest=str(manifest), out=str(Path(tmp) / "run"))
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [
        ("clips (samples)", f"{args.clips:,} ({figures['added']:,} run)"),
        ("peak RSS after planning", f"{figures['plan_rss']:.0f} MB"),
        ("peak RSS after running", f"{figures['run_rss']:.0f} MB"),
        ("peak RSS after reporting (target < 500 MB)", f"{figures['peak_rss']:.0f} MB"),
        ("time: plan / run / report", f"{figures['plan_s']:.1f} s / {figures['run_s']:.1f} s / "
                                      f"{figures['report_s']:.1f} s (wall {wall:.1f} s)"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    write_result("memory_100k", f"# Memory for a 100,000-clip run (null model)\n\n| measure | figure |\n"
                                f"|---|---|\n{table}\n")


if __name__ == "__main__":
    main()
