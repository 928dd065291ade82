"""The run header: everything needed to reproduce a run, written before the first sample.

Each component is described with what it declares itself to be (`describe_components`): a model's
role (under audit, calibration stand-in, probe) and architecture (end to end or cascade), a task's
family, metrics and intent, a transform's role (identity, control, defense, setting). The report
reads these declarations from the header, never from the components' names.
"""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from voiceleak.models.base import Model, describe_model
from voiceleak.results.schema import HEADER_SCHEMA_VERSION
from voiceleak.tasks.base import Task, describe_task
from voiceleak.transforms.base import Transform, describe_transform
from voiceleak.types import Clip

TRACKED_PACKAGES = ("voiceleak", "numpy", "scikit-learn", "soundfile", "soxr", "torch", "transformers",
                    "openai", "google-genai", "resemblyzer", "faster-whisper", "vllm", "ray")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_commit() -> str | None:
    """The commit of the voiceleak source in use, when it runs from a checkout."""
    source = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def speech_minutes(clips: Sequence[Clip]) -> float:
    return round(sum(c.duration or 0.0 for c in clips) / 60.0, 2)


def describe_components(models: Mapping[str, Model], tasks: Mapping[str, Task], transforms: Mapping[str, Transform]
                        ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The header's "models", "tasks" and "transforms" blocks, by the names the run uses."""
    return ({name: describe_model(m) for name, m in models.items()},
            {name: describe_task(t) for name, t in tasks.items()},
            {name: describe_transform(t) for name, t in transforms.items()})


def build_header(config: Mapping[str, Any], corpus: Mapping[str, Any], models: Mapping[str, Any],
                 tasks: Mapping[str, Any], transforms: Mapping[str, Any],
                 destinations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "schema_version": HEADER_SCHEMA_VERSION,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "voiceleak_version": package_versions().get("voiceleak"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "git_commit": git_commit(),
        "config": dict(config),
        "corpus": dict(corpus),
        "models": dict(models),
        "tasks": dict(tasks),
        "transforms": dict(transforms),
        "audio_destinations": list(destinations),
    }
