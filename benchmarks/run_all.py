"""`make bench`: run every benchmark and collect the figures into benchmarks/results.md.

Never part of `make test`: these measure speed and memory, and take minutes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHMARKS = [
    ("harness_overhead.py", ["--clips", "2000"]),
    ("api_throughput.py", []),
    ("peers.py", ["--requests", "1000", "--latency", "0.2", "--concurrency", "32"]),
    ("memory_100k.py", ["--clips", "100000"]),
    ("manifest_memory.py", []),
    ("ray_vs_local.py", []),
    ("calibration.py", ["--sims", "400"]),
]


def main() -> None:
    failed = []
    # --collect: only gather the figures already in results/ (each benchmark also runs on its own)
    for script, args in [] if "--collect" in sys.argv else BENCHMARKS:
        print(f"== {script} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, script, *args], cwd=HERE, check=False).returncode != 0:
            failed.append(script)
    # gpu_throughput.py needs a GPU (`make bench` runs on CPUs): its last GPU figures are collected as they are
    names = [Path(s).stem for s, _ in BENCHMARKS] + ["gpu_throughput"]
    parts = [(HERE / "results" / f"{n}.md").read_text() for n in names if (HERE / "results" / f"{n}.md").is_file()]
    (HERE / "results.md").write_text("# voiceleak benchmarks\n\nMachine: 2 CPU cores, no GPU.\n\n"
                                     + "\n".join(p.replace("\n# ", "\n## ").replace("# ", "## ", 1) for p in parts))
    print(f"wrote {HERE / 'results.md'}")
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
