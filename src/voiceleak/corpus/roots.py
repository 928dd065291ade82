"""Where a manifest may read audio from: its own folder, folders the user allows, and the sources
voiceleak itself wrote it from.

A manifest is input a user may have been handed. Without a rule, `"audio_filepath": "/home/me/.ssh/id_rsa"`
or `"../../etc/passwd"` would be read and sent to a hosted model. So every audio path must lie under
- the manifest's folder, or
- a folder named in VOICELEAK_AUDIO_ROOTS (separated by `os.pathsep`): the user's explicit allowance, or
- a folder voiceleak recorded when it wrote this very manifest (`voiceleak import` records its source
  corpus; the subsets that studies write record where their clips live). The record is kept in the
  user's own configuration folder, keyed by the manifest's absolute path, never inside the manifest, so
  a manifest from elsewhere cannot allow itself anything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

AUDIO_ROOTS_ENV = "VOICELEAK_AUDIO_ROOTS"
CONFIG_ENV = "VOICELEAK_CONFIG"


def record_file() -> Path:
    configured = os.environ.get(CONFIG_ENV)
    if configured:
        return Path(configured) / "audio_roots.json"
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "voiceleak" / "audio_roots.json"


def _read() -> dict[str, list[str]]:
    try:
        data = json.loads(record_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def env_roots() -> list[Path]:
    configured = os.environ.get(AUDIO_ROOTS_ENV, "").strip()
    return [Path(os.path.abspath(p)) for p in configured.split(os.pathsep) if p.strip()]


def allowed_roots(manifest: Path | str) -> list[Path]:
    """The folders besides its own that `manifest` may read audio from."""
    recorded = _read().get(os.path.abspath(manifest), [])
    return env_roots() + [Path(p) for p in recorded if isinstance(p, str)]


def folders_of(paths: Iterable[Path | str], home: Path | str) -> list[Path]:
    """The folders of the paths that lie outside `home`, reduced to their common ancestors."""
    home_abs = os.path.abspath(home) + os.sep
    parents = {os.path.dirname(os.path.abspath(p)) for p in paths if not os.path.abspath(p).startswith(home_abs)}
    if not parents:
        return []
    common = os.path.commonpath(sorted(parents))
    if len(Path(common).parts) > 2:  # one corpus tree (not "/" or "/home"): record its root only
        return [Path(common)]
    kept: list[str] = []
    for folder in sorted(parents):
        if not kept or not folder.startswith(kept[-1] + os.sep):
            kept.append(folder)
    return [Path(f) for f in kept]


def record_roots(manifest: Path | str, folders: Iterable[Path | str]) -> None:
    """Remember that voiceleak wrote `manifest` pointing into `folders` (best effort: a read-only
    configuration only means the user is asked to allow the folders with VOICELEAK_AUDIO_ROOTS)."""
    wanted = sorted({os.path.abspath(f) for f in folders})
    if not wanted:
        return
    from voiceleak.atomic import atomic_write_text

    data = _read()
    key = os.path.abspath(manifest)
    data[key] = sorted(set(data.get(key, [])) | set(wanted))
    try:
        record_file().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(record_file(), json.dumps(data, indent=1, sort_keys=True))
    except OSError:
        return


__all__ = ["AUDIO_ROOTS_ENV", "allowed_roots", "env_roots", "folders_of", "record_file", "record_roots"]
