"""Reading header.json and results.json: migrate an older version, refuse what cannot be read.

A results.json is derived data: the run log holds everything it says, so a file this version cannot
migrate is refused with the command that rebuilds it (`voiceleak report RUN_DIR`), never half-read.
A file from a newer voiceleak is refused too: its fields may mean what this version cannot know.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from voiceleak.results.schema import HEADER_SCHEMA_VERSION, RESULTS_SCHEMA_VERSION, Header, Results

HEADER_FILE = "header.json"
RESULTS_FILE = "results.json"

Migration = Callable[[dict[str, Any]], dict[str, Any]]
Model = TypeVar("Model", bound=BaseModel)


class SchemaError(ValueError):
    """A run file this version of voiceleak cannot read; the message names the file and the versions."""


def _results_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 is the same shape, unversioned: stamping the version is the whole migration."""
    return {**data, "schema_version": 2}


#: version -> the step that turns a file of that version into one of the next
RESULTS_MIGRATIONS: dict[int, Migration] = {1: _results_1_to_2}
HEADER_MIGRATIONS: dict[int, Migration] = {}


def file_version(data: Mapping[str, Any], path: Path) -> int:
    """The file's schema version; a file without one predates versioning: version 1."""
    version = data.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SchemaError(f"{path}: schema_version {version!r} is not a version number")
    return version


def migrate(data: dict[str, Any], path: Path, current: int, steps: Mapping[int, Migration],
            rebuild: str) -> dict[str, Any]:
    version = file_version(data, path)
    if version > current:
        raise SchemaError(f"{path}: schema version {version} was written by a newer voiceleak; this one reads "
                          f"versions up to {current}. Upgrade voiceleak to read it.")
    while version < current:
        step = steps.get(version)
        if step is None:
            raise SchemaError(f"{path}: schema version {version} cannot be migrated to version {current}. {rebuild}")
        data = step(data)
        version += 1
    return data


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemaError(f"{path}: no such file") from exc
    except (OSError, ValueError) as exc:
        raise SchemaError(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise SchemaError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def _validate(model: type[Model], data: dict[str, Any], path: Path, version: int, current: int,
              rebuild: str) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise SchemaError(f"{path}: schema version {version} (read as version {current}) does not match the "
                          f"schema: {where}: {first['msg']} ({exc.error_count()} problem(s)). {rebuild}") from exc


def _file(path: Path | str, name: str) -> Path:
    path = Path(path)
    return path / name if path.is_dir() else path


def parse_results(data: dict[str, Any], path: Path | str = RESULTS_FILE, *, written: bool = True) -> Results:
    """Typed results from a results.json's content, migrated to the current version. `written=False`:
    results about to be written (a failure there is a bug in an analysis, not an old file)."""
    path = Path(path)
    rebuild = (f"Rebuild it from the run's log: voiceleak report {path.parent}" if written else
               "Nothing was written; an analysis or the aggregation produced this shape, which is a bug to report.")
    version = file_version(data, path)
    upgraded = migrate(data, path, RESULTS_SCHEMA_VERSION, RESULTS_MIGRATIONS, rebuild)
    return _validate(Results, upgraded, path, version, RESULTS_SCHEMA_VERSION, rebuild)


def read_results(run_dir_or_file: Path | str) -> Results:
    """A run's results.json (a run directory or the file itself), typed and at the current version."""
    path = _file(run_dir_or_file, RESULTS_FILE)
    return parse_results(_load(path), path)


def read_header(run_dir_or_file: Path | str) -> Header:
    """A run's header.json, typed and at the current version."""
    path = _file(run_dir_or_file, HEADER_FILE)
    data = _load(path)
    rebuild = "The header is the run's record of what ran; it cannot be rebuilt: rerun the audit."
    version = file_version(data, path)
    upgraded = migrate(data, path, HEADER_SCHEMA_VERSION, HEADER_MIGRATIONS, rebuild)
    return _validate(Header, upgraded, path, version, HEADER_SCHEMA_VERSION, rebuild)
