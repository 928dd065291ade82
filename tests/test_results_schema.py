"""header.json and results.json follow versioned pydantic models; older files migrate or are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from voiceleak.analysis.aggregate import ANALYSES
from voiceleak.report.build import write_report
from voiceleak.results import (
    HEADER_SCHEMA_VERSION,
    RESULTS_SCHEMA_VERSION,
    Figure,
    Results,
    SchemaError,
    parse_results,
    read_header,
    read_results,
)
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions


@pytest.fixture
def run(corpus: Path, tmp_path: Path) -> Path:
    out = tmp_path / "run"
    config = RunConfig(corpus=str(corpus), models=("uniform", "majority"), tasks=("attribute:sex",),
                       transforms=("none", "blind:silence"))
    Runner(config, RunOptions(out=out, quiet=True)).execute()
    write_report(out, resamples=50)
    return out


def rewrite(path: Path, change: dict[str, Any], drop: tuple[str, ...] = ()) -> None:
    data = json.loads(path.read_text())
    data.update(change)
    for key in drop:
        data.pop(key)
    path.write_text(json.dumps(data))


def test_write_report_writes_the_current_version_first_and_it_validates(run: Path) -> None:
    text = (run / "results.json").read_text()
    data = json.loads(text)
    assert next(iter(data)) == "schema_version" and data["schema_version"] == RESULTS_SCHEMA_VERSION
    results = read_results(run)
    assert isinstance(results, Results) and len(results.cells) == 4
    cell = next(c for c in results.cells if c.model == "uniform" and c.transform == "none")
    assert cell.metrics.n == 24 and cell.metrics.unit == "speaker" and cell.metrics.n_units == 6
    leakage = cell.metrics.leakage
    assert leakage is not None and leakage.unit == "speaker" and leakage.n_units == 6
    # three speakers a class: the interval is declined, and the figure still says so and why
    assert leakage.status == "too_few" and leakage.low is None and leakage.high is None and leakage.note
    assert set(results.analyses) == set(ANALYSES)  # every registered analysis, null or not
    assert results.model_dump(mode="json", exclude_unset=True)["cells"] == data["cells"]  # nothing lost


def test_an_unversioned_results_file_is_migrated(run: Path) -> None:
    rewrite(run / "results.json", {}, drop=("schema_version",))
    results = read_results(run / "results.json")
    assert results.schema_version == RESULTS_SCHEMA_VERSION and len(results.cells) == 4


def test_a_newer_results_file_is_refused_naming_the_file_and_both_versions(run: Path) -> None:
    rewrite(run / "results.json", {"schema_version": RESULTS_SCHEMA_VERSION + 7})
    with pytest.raises(SchemaError) as caught:
        read_results(run)
    message = str(caught.value)
    assert str(run / "results.json") in message
    assert f"schema version {RESULTS_SCHEMA_VERSION + 7}" in message and f"up to {RESULTS_SCHEMA_VERSION}" in message


def test_an_old_file_of_another_shape_is_refused_with_the_command_that_rebuilds_it(run: Path) -> None:
    rewrite(run / "results.json", {"cells": [{"model": "uniform", "task": "attribute:sex"}]},
            drop=("schema_version",))
    with pytest.raises(SchemaError) as caught:
        read_results(run)
    message = str(caught.value)
    assert str(run / "results.json") in message and "schema version 1" in message
    assert f"read as version {RESULTS_SCHEMA_VERSION}" in message and f"voiceleak report {run}" in message
    assert "cells.0.transform" in message


def test_a_figure_without_its_n_is_refused_wherever_it_is(run: Path) -> None:
    data = json.loads((run / "results.json").read_text())
    figure = {"value": 0.4, "low": 0.1, "high": 0.7, "status": "ok", "unit": "speaker"}  # no n_units
    data["analyses"]["mine"] = {"rows": [{"gap": figure}]}
    with pytest.raises(SchemaError, match=r"analyses\.mine\.rows\[0\]\.gap: a figure without n_units"):
        parse_results(data, run / "results.json")
    data["analyses"]["mine"] = {"rows": [{"gap": {**figure, "n_units": 6}}]}  # an analysis's own block
    assert parse_results(data, run / "results.json").analyses["mine"]["rows"][0]["gap"]["n_units"] == 6


def test_a_report_that_breaks_the_schema_leaves_the_previous_files_whole(run: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    before = {name: (run / name).read_text() for name in ("results.json", "report.html")}
    monkeypatch.setitem(ANALYSES, "broken", lambda records, header: {"rate": {"value": 0.5, "status": "ok"}})
    with pytest.raises(SchemaError, match=r"broken\.rate: a figure without low, high, unit, n_units"):
        write_report(run, resamples=50)
    assert {name: (run / name).read_text() for name in before} == before


class GapBlock(BaseModel):
    """An analysis's own typed block."""

    gap: Figure
    groups: list[str]


def test_an_analysis_may_return_a_typed_block(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    figure = Figure(value=0.25, low=0.05, high=0.45, status="ok", unit="speaker", n_units=6)
    monkeypatch.setitem(ANALYSES, "typed", lambda records, header: GapBlock(gap=figure, groups=["a", "b"]))
    written = write_report(run, resamples=50)
    block = json.loads((run / "results.json").read_text())["analyses"]["typed"]
    assert block == written["analyses"]["typed"] == {
        "gap": {"value": 0.25, "low": 0.05, "high": 0.45, "status": "ok", "unit": "speaker", "n_units": 6},
        "groups": ["a", "b"]}


def test_the_header_is_typed_and_versioned(run: Path) -> None:
    header = read_header(run)
    assert header.schema_version == HEADER_SCHEMA_VERSION
    assert header.config.models == ["uniform", "majority"] and header.corpus.clips == 24
    assert set(header.models) == {"uniform", "majority"} and "attribute:sex" in header.tasks
    rewrite(run / "header.json", {"schema_version": HEADER_SCHEMA_VERSION + 1})
    with pytest.raises(SchemaError, match=rf"header\.json: schema version {HEADER_SCHEMA_VERSION + 1} was written"):
        read_header(run)


def test_a_missing_or_broken_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"results\.json: no such file"):
        read_results(tmp_path)
    (tmp_path / "results.json").write_text("[1, 2]")
    with pytest.raises(SchemaError, match="expected a JSON object"):
        read_results(tmp_path)
    (tmp_path / "results.json").write_text('{"schema_version": "two"}')
    with pytest.raises(SchemaError, match="'two' is not a version number"):
        read_results(tmp_path)
