"""The Python API: `voiceleak.audit` runs like `voiceleak run`; `voiceleak.load_run` gives typed results
and DataFrames of samples and cells in the report's units."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import voiceleak
from voiceleak.results.frames import CELL_COLUMNS


@pytest.fixture
def audited(corpus: Path, tmp_path: Path) -> voiceleak.Run:
    return voiceleak.audit(corpus, models=["uniform", "majority"], tasks=["attribute:sex"],
                           transforms=["none", "blind:silence"], out=tmp_path / "run", resamples=50)


def test_audit_writes_a_run_directory_like_the_command_line(audited: voiceleak.Run) -> None:
    assert isinstance(audited, voiceleak.Run)
    assert {p.name for p in audited.path.iterdir()} >= {"header.json", "samples.jsonl", "results.json", "report.html",
                                                         "samples.html", "index.html"}
    assert audited.header.config.models == ["uniform", "majority"]
    assert audited.results.schema_version == voiceleak.results.RESULTS_SCHEMA_VERSION
    assert len(audited.results.cells) == 4


def test_an_audit_called_again_resumes_and_adds_nothing(audited: voiceleak.Run, corpus: Path) -> None:
    log = (audited.path / "samples.jsonl").read_text()
    again = voiceleak.audit(corpus, models=["uniform", "majority"], tasks=["attribute:sex"],
                            transforms=["none", "blind:silence"], out=audited.path, resamples=50)
    assert (audited.path / "samples.jsonl").read_text() == log
    assert again.results == audited.results


def test_samples_has_one_row_per_sample_record(audited: voiceleak.Run) -> None:
    samples = audited.samples
    lines = (audited.path / "samples.jsonl").read_text().splitlines()
    assert isinstance(samples, pd.DataFrame) and len(samples) == len(lines) == 4 * 24
    assert set(samples.key) == {json.loads(line)["key"] for line in lines}
    assert {"model", "task", "transform", "clip_id", "speaker_id", "outcome", "predicted", "truth", "correct",
            "label_sex"} <= set(samples.columns)
    majority = samples[(samples.model == "majority") & (samples["transform"] == "none")]  # .transform: a method
    assert len(majority) == 24
    assert (majority.outcome == "answer").all()
    assert (majority.correct == (majority.label_sex == majority.predicted)).all()


def test_cells_has_one_row_per_cell_in_the_reports_units(audited: voiceleak.Run) -> None:
    cells = audited.cells
    assert list(cells.columns) == list(CELL_COLUMNS) and len(cells) == 4
    stored = {(c["model"], c["transform"]): c["metrics"]
              for c in json.loads((audited.path / "results.json").read_text())["cells"]}
    for row in cells.itertuples():
        metrics = stored[(row.model, row.transform)]
        leakage = metrics["leakage"]
        assert row.metric == "leakage"
        assert row.estimate == pytest.approx(leakage["value"] * 100)  # points, as the report prints it
        assert row.n == leakage["n_units"] == 6 and row.unit == "speaker" and row.status == leakage["status"]
        assert pd.isna(row.low) == (leakage["low"] is None)
        assert row.n_samples == metrics["n"] == 24
        assert row.balanced_accuracy == pytest.approx(metrics["balanced_accuracy"]["value"] * 100)
        assert row.chance == pytest.approx(50.0)
    majority = cells[(cells.model == "majority") & (cells["transform"] == "none")].iloc[0]
    assert majority.estimate == 0.0 and majority.status == "exact" and majority.role == "calibration"


def test_load_run_reads_what_any_command_wrote(audited: voiceleak.Run) -> None:
    loaded = voiceleak.load_run(audited.path)
    assert loaded.results == audited.results and loaded.header == audited.header
    pd.testing.assert_frame_equal(loaded.cells, audited.cells)


def test_load_run_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(voiceleak.SchemaError, match=r"header\.json: no such file"):
        voiceleak.load_run(tmp_path)
