"""Memory and time of importing and validating a 100,000-clip corpus (issue #7: < 300 MB resident).

Builds a fixture in a temporary folder: N tiny distinct WAV files (0.35 s, 8 kHz, 8-bit: ~2.8 KB each),
a Common Voice `train.tsv` and a generic CSV over them, and a manifest of N clips that all point at
a handful of shared files. Then runs the real commands, each in its own process, and reads that
process's peak resident memory from the kernel (os.wait4 rusage):

    voiceleak import commonvoice   N rows, every file's header read for its duration
    voiceleak import csv           N rows, --no-read-audio
    voiceleak validate             N clips, every file opened and hashed
    voiceleak validate             N clips on shared files, --no-check-audio

Usage: python benchmarks/manifest_memory.py [--n 100000] [--keep DIR]
Writes benchmarks/results/manifest_memory.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

RESULTS = Path(__file__).parent / "results" / "manifest_memory.md"
LIMIT_MB = 300
AGES = ["teens", "twenties", "thirties", "forties", "fifties", "sixties", ""]
GENDERS = ["male_masculine", "female_feminine", "", "other"]
ACCENTS = ["United States English", "England English", "", "India and South Asia (India, Pakistan, Sri Lanka)"]


@dataclass(frozen=True)
class Step:
    name: str
    n: int
    seconds: float
    peak_mb: float
    exit_code: int


def wav_template(seconds: float = 0.35, rate: int = 8000) -> tuple[bytes, int]:
    """A WAV header for `seconds` of 8-bit mono audio, and the data length that follows it."""
    buffer = io.BytesIO()
    frames = int(seconds * rate)
    sf.write(buffer, np.zeros(frames, dtype=np.float32), rate, format="WAV", subtype="PCM_U8")
    data = buffer.getvalue()
    return data[: len(data) - frames], frames


def build_fixture(root: Path, n: int) -> None:
    """Distinct tiny clips (random bytes: every content hash differs) and the tables over them."""
    clips = root / "cv" / "clips"
    clips.mkdir(parents=True)
    header, frames = wav_template()
    rng = np.random.default_rng(0)
    for i in range(n):
        (clips / f"common_voice_en_{i}.wav").write_bytes(header + rng.integers(64, 192, frames, np.uint8).tobytes())
    columns = (
        "client_id\tpath\tsentence_id\tsentence\tsentence_domain\tup_votes\tdown_votes\tage\tgender\t"
        "accents\tvariant\tlocale\tsegment\n"
    )
    with (
        open(root / "cv" / "train.tsv", "w", encoding="utf-8") as tsv,
        open(root / "cv" / "table.csv", "w", encoding="utf-8") as table,
    ):
        tsv.write(columns)
        table.write("file,speaker,Gender,Age,text\n")
        for i in range(n):
            speaker = f"{i % (n // 5):040x}"  # five clips per speaker, ids as long as Common Voice's
            age, gender, accent = AGES[i % 7], GENDERS[i % 4], ACCENTS[i % 4]
            tsv.write(
                f"{speaker}\tcommon_voice_en_{i}.wav\ts{i}\tSentence number {i}.\t\t2\t0\t{age}\t{gender}\t"
                f"{accent}\t\ten\t\n"
            )
            table.write(f"clips/common_voice_en_{i}.wav,{speaker},{gender},{age},Sentence number {i}.\n")
    shared = root / "shared"
    shared.mkdir()
    for k in range(4):
        (shared / f"s{k}.wav").write_bytes(header + rng.integers(64, 192, frames, np.uint8).tobytes())
    with open(shared / "manifest.jsonl", "w", encoding="utf-8") as manifest:
        for i in range(n):
            manifest.write(
                json.dumps(
                    {
                        "id": f"c{i}",
                        "audio_filepath": f"s{i % 4}.wav",
                        "duration": 0.35,
                        "speaker_id": f"spk{i // 5}",
                        "split": "train" if i % 10 else "test",
                        "labels": {"sex": "Male" if i % 2 else "Female", "age": "20-30"},
                        "raw_labels": {"note": "x"},
                    }
                )
                + "\n"
            )


def measure(name: str, n: int, args: list[str]) -> Step:
    """Run a command, return its wall time and its own peak RSS (not the parent's)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceleak", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    return Step(name, n, round(seconds, 1), round(usage.ru_maxrss / 1024, 1), process.returncode)


def baseline() -> Step:
    """The interpreter plus voiceleak's imports: the floor under every command."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", "import voiceleak.cli"])
    _, status, usage = os.wait4(process.pid, 0)
    return Step(
        "python + import voiceleak.cli",
        0,
        round(time.perf_counter() - started, 1),
        round(usage.ru_maxrss / 1024, 1),
        os.waitstatus_to_exitcode(status),
    )


def run(root: Path, n: int) -> tuple[list[Step], float]:
    started = time.perf_counter()
    build_fixture(root, n)
    built = time.perf_counter() - started
    cv, shared = root / "cv", root / "shared"
    steps = [
        baseline(),
        measure(
            "import commonvoice (headers read)",
            n,
            ["import", "commonvoice", str(cv / "train.tsv"), "-o", str(cv / "cv.jsonl")],
        ),
        measure(
            "import csv --no-read-audio",
            n,
            [
                "import",
                "csv",
                str(cv / "table.csv"),
                "-o",
                str(cv / "csv.jsonl"),
                "--map",
                "speaker_id=speaker",
                "--no-read-audio",
            ],
        ),
        measure("validate (open + hash every file)", n, ["validate", str(cv / "cv.jsonl"), "--json"]),
        measure(
            "validate --no-check-audio (shared files)",
            n,
            ["validate", str(shared / "manifest.jsonl"), "--no-check-audio", "--json"],
        ),
    ]
    return steps, built


def write_results(steps: list[Step], n: int, built: float) -> str:
    lines = [
        "# Manifest memory and time at scale",
        "",
        f"Measured by `python benchmarks/manifest_memory.py --n {n}` on {platform.platform()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPU(s) shared with other work.",
        f"Fixture: {n} distinct 0.35 s WAV files (8 kHz, 8-bit), a Common Voice train.tsv and a generic CSV "
        f"over them, and a {n}-line manifest on 4 shared files; built in {built:.0f} s.",
        "Peak RSS is each command's own `ru_maxrss` (os.wait4), in its own process.",
        "",
        f"| step | clips | wall s | peak RSS MB | above the import floor MB | exit | under {LIMIT_MB} MB |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    floor = steps[0].peak_mb
    for s in steps:
        above = "-" if s is steps[0] else f"{s.peak_mb - floor:.1f}"
        lines.append(
            f"| {s.name} | {s.n or '-'} | {s.seconds} | {s.peak_mb} | {above} | {s.exit_code} | "
            f"{'yes' if s.peak_mb < LIMIT_MB else 'NO'} |"
        )
    lines += [
        "",
        "The floor is the interpreter after `import voiceleak.cli` (numpy, scipy, soundfile, soxr, rich, typer "
        "and voiceleak's own modules), before any clip is read. The column after it is what a command holds "
        "for its clips: ids, speakers and content hashes, never the clips themselves.",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="clips in the fixture")
    parser.add_argument("--keep", type=Path, help="build the fixture here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="voiceleak-bench-"))
    try:
        steps, built = run(root, args.n)
        print(write_results(steps, args.n, built))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
