"""The calibration benchmark's code path stays green: a few simulated corpora per row, in seconds.

The rates themselves (coverage, false positives, power) are measured by `make bench`, not here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).parent.parent / "benchmarks" / "calibration.py"


def load_bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("calibration_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibration_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_every_scenario_reaches_the_report_code_and_the_table() -> None:
    bench = load_bench()
    table = bench.run(sims=2, sizes=[4, 8])
    rows = [line for line in table.splitlines() if line.startswith("| leakage") or line.startswith("| paired")
            or line.startswith("| decision")]
    assert len(rows) == (len(bench.SCENARIOS) + 2 + 2) * 2
    assert all("| 4 |" not in r or "declined" in r for r in rows if r.startswith("| leakage"))


def test_the_tally_counts_declined_covered_and_rejected() -> None:
    bench = load_bench()
    tally = bench.Tally()
    tally.add({"value": 0.1, "low": 0.05, "high": 0.2, "status": "ok"}, 0.1)   # covers, excludes 0
    tally.add({"value": 0.0, "low": -0.1, "high": 0.1, "status": "ok"}, 0.3)   # misses
    tally.add({"value": 0.0, "low": None, "high": None, "status": "too_few"}, 0.0)  # declined
    assert (tally.runs, tally.declined, tally.covered, tally.excludes_zero) == (3, 1, 1, 1)


def test_simulated_speakers_differ_and_the_null_holds_in_expectation() -> None:
    bench = load_bench()
    rng = np.random.default_rng(0)
    records = bench.simulate_cell(rng, bench.SCENARIOS[0], 8)
    by_speaker: dict[str, list[bool]] = {}
    for r in records:
        by_speaker.setdefault(str(r.speaker_id), []).append(r.predicted == "Male")
    rates = [np.mean(v) for v in by_speaker.values()]
    assert np.std(rates) > 0.1 and len(by_speaker) == 16
    assert abs(bench.decision_truth(rng, 0.0)) < 1e-9
