"""The typed shape of a run's two JSON files: header.json (what ran) and results.json (what it found).

Both carry `schema_version`. The envelope is typed — the run, its cells, each cell's counts and
figures — and open where the code grows: an analysis writes its own block under `analyses` (typed
where a model exists, a plain dict otherwise), a study adds its block to the header. One rule holds
everywhere, analyses included: a figure (a dict with a `value` and a `status`, as the statistics
core writes them) carries its interval (`low`, `high`), its unit of evidence and how many units
(`n_units`), so no number reaches a reader without its n.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

#: results.json: 1 = unversioned files (before the schema existed), 2 = `schema_version` and this model
RESULTS_SCHEMA_VERSION = 2
#: header.json: 1 = the header as the runner has always written it (with or without `schema_version`)
HEADER_SCHEMA_VERSION = 1

#: what a cell led with before tasks declared their metrics (a header or results file without the
#: declaration): leakage, else the task's own value (a WER), else accuracy over every reply
LEGACY_HEADLINES = ("leakage", "value", "accuracy_all")


def headline_of(declared: Sequence[str], metrics: Mapping[str, Any]) -> str | None:
    """A cell's headline: the first of the `declared` metric names the cell has a figure for."""
    return next((name for name in declared if metrics.get(name) is not None), None)


class Open(BaseModel):
    """Typed fields checked, unknown fields kept: a newer analysis or study block survives a read."""

    model_config = ConfigDict(extra="allow")


class Figure(Open):
    """One estimate with its interval: the statistics core's `Estimate.to_dict()`."""

    value: float | None
    low: float | None
    high: float | None
    status: str  # ok | exact | bound | too_few | no_spread | empty
    unit: str  # the unit of evidence: speaker, voice, ...
    n_units: int = Field(ge=0)
    method: str | None = None
    p_value: float | None = None
    note: str | None = None
    n: int | None = Field(default=None, ge=0)  # samples behind the figure, where the view counts them


def is_figure(value: Any) -> bool:
    return isinstance(value, dict) and "value" in value and "status" in value


FIGURE_FIELDS = ("low", "high", "unit", "n_units")


def check_figure(path: str, figure: dict[str, Any]) -> None:
    """A figure without its interval fields, unit or n is refused, named by its path."""
    missing = [name for name in FIGURE_FIELDS if name not in figure]
    if missing:
        raise ValueError(f"{path}: a figure without {', '.join(missing)} (every figure carries its interval, "
                         "unit and number of units)")
    try:
        Figure.model_validate(figure)
    except ValidationError as exc:
        raise ValueError(f"{path}: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}") from exc


def figures(value: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every figure inside `value` (nested dicts and lists), with its path: analyses.privilege.gap."""
    if is_figure(value):
        yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from figures(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from figures(item, f"{path}[{i}]")


class CellMetrics(Open):
    """The figures of one cell (or one group within it): counts, then estimates with intervals."""

    n: int = Field(ge=0)
    n_valid: int = Field(ge=0)
    n_answered: int = Field(ge=0)
    n_refusal: int = Field(ge=0)
    n_blocked: int = Field(default=0, ge=0)
    n_unparseable: int = Field(ge=0)
    n_error: int = Field(ge=0)
    error_reasons: dict[str, int] = Field(default_factory=dict)
    n_speakers: int = Field(default=0, ge=0)
    unit: str
    n_units: int = Field(ge=0)
    refusal_rate: Figure | None = None
    accuracy_all: Figure | None = None
    accuracy: Figure | None = None
    balanced_accuracy: Figure | None = None
    leakage: Figure | None = None
    value: Figure | None = None  # a task scored by a number per sample (WER)
    value_pooled: Figure | None = None
    null: float | None = None
    chance: float | None = None
    classes: list[str] = Field(default_factory=list)


class Cell(Open):
    """One (model, task, transform) of the run matrix."""

    model: str
    task: str
    transform: str
    target: str | None = None
    role: str = "model"  # model | probe | calibration
    #: the key in `metrics` the cell leads with: the first of its task's declared metrics it has
    #: (absent in files written before tasks declared them)
    headline: str | None = None
    metrics: CellMetrics
    by_group: dict[str, dict[str, CellMetrics]] = Field(default_factory=dict)


class RunInfo(Open):
    created: str | None = None
    config: dict[str, Any] | None = None
    corpus: dict[str, Any] | None = None
    voiceleak_version: str | None = None
    git_commit: str | None = None


class Results(Open):
    """results.json."""

    schema_version: int = RESULTS_SCHEMA_VERSION
    run: RunInfo
    cells: list[Cell]
    #: analysis name -> its block (None when the run holds nothing it reads)
    analyses: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _every_figure_has_its_n(cls, data: Any) -> Any:
        for path, figure in figures(data):
            check_figure(path, figure)
        return data


class RunConfigInfo(Open):
    """The run's RunConfig as the header stores it (RunConfig.to_dict)."""

    corpus: str
    models: list[str]
    tasks: list[str]
    transforms: list[str] = Field(default_factory=lambda: ["none"])
    repeats: int = 1
    decoding: dict[str, Any] = Field(default_factory=dict)
    max_per_class: int | None = None
    seed: int = 0


class CorpusInfo(Open):
    manifest: str
    hash: str
    clips: int = Field(ge=0)
    minutes: float | None = None


class Header(Open):
    """header.json: everything needed to reproduce the run, written before its first sample."""

    schema_version: int = HEADER_SCHEMA_VERSION
    created: str
    voiceleak_version: str | None = None
    python: str | None = None
    platform: str | None = None
    packages: dict[str, str] = Field(default_factory=dict)
    git_commit: str | None = None
    config: RunConfigInfo
    corpus: CorpusInfo
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    transforms: dict[str, dict[str, Any]] = Field(default_factory=dict)
    audio_destinations: list[dict[str, Any]] = Field(default_factory=list)
    served_models: dict[str, Any] = Field(default_factory=dict)
