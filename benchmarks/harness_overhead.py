"""Harness overhead per clip with a null model, and audio decoding against a bare soundfile read.

    python benchmarks/harness_overhead.py [--clips 2000]

Null model = `uniform` (answers instantly), so everything measured is the harness: plan, decode,
render, cache key, score, log append. Targets: overhead < 1 ms per clip; decoding >= 80% of the
bare read's throughput.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import soundfile as sf
from common import make_corpus, write_result

from voiceleak.audio import load
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions


def decode_rates(paths: list[Path], rounds: int = 3) -> tuple[float, float]:
    """Clips per second: bare sf.read, and voiceleak.audio.load (best of `rounds`)."""
    bare, ours = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for path in paths:
            sf.read(str(path), dtype="float32")
        bare.append(len(paths) / (time.perf_counter() - start))
        start = time.perf_counter()
        for path in paths:
            load(path)
        ours.append(len(paths) / (time.perf_counter() - start))
    return max(bare), max(ours)


def run_null(manifest: Path, out: Path, use_cache: bool) -> float:
    config = RunConfig(corpus=str(manifest), models=("uniform",), tasks=("attribute:sex",))
    start = time.perf_counter()
    runner = Runner(config, RunOptions(out=out, quiet=True, use_cache=use_cache, cache_dir=out / "cache"))
    added = runner.execute()
    elapsed = time.perf_counter() - start
    assert added > 0
    return elapsed / added


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        manifest = make_corpus(folder / "corpus", args.clips, seconds=1.0)
        paths = sorted((folder / "corpus" / "audio").glob("*.wav"))
        bare, ours = decode_rates(paths)
        per_clip_nocache = run_null(manifest, folder / "run-nocache", use_cache=False)
        per_clip_cache = run_null(manifest, folder / "run-cache", use_cache=True)
    decode_ms = 1000 / ours
    rows = [
        ("clips", f"{args.clips} (1 s, 16 kHz WAV)"),
        ("bare soundfile read", f"{bare:,.0f} clips/s"),
        ("voiceleak.audio.load", f"{ours:,.0f} clips/s = {ours / bare:.0%} of the bare read (target >= 80%)"),
        ("null-model run, no cache, per clip", f"{per_clip_nocache * 1000:.3f} ms (decode {decode_ms:.3f} ms)"),
        ("harness overhead per clip (no cache)", f"{per_clip_nocache * 1000 - decode_ms:.3f} ms (target < 1 ms)"),
        ("null-model run, with response cache, per clip", f"{per_clip_cache * 1000:.3f} ms"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    write_result("harness_overhead", f"# Harness overhead\n\n| measure | figure |\n|---|---|\n{table}\n")


if __name__ == "__main__":
    main()
