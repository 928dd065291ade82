"""The run header: everything needed to reproduce a run, written before the first sample."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

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


def build_header(config: Mapping[str, Any], corpus: Mapping[str, Any], models: Mapping[str, Any],
                 tasks: Mapping[str, Any], transforms: Mapping[str, Any],
                 destinations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
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
