"""Presets: a published protocol as one run (`voiceleak run --preset hearsay`).

A preset names attributes, settings (prompt sets), transforms and controls with their own decoding
and sample count. It expands into the ordinary matrix: tasks `attribute:A prompts=P` for every
attribute the corpus labels, and each control wrapped in `sampled:T control=C` (transforms/controls.py),
which sets the control's temperature on each request (the run's decoding stays for everything else). Both are
recorded in the run header like any task or transform.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from voiceleak.transforms.base import IDENTITY


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    attributes: tuple[str, ...]
    settings: Mapping[str, str]
    transforms: tuple[str, ...] = (IDENTITY,)
    controls: tuple[Mapping[str, Any], ...] = ()
    decoding: Mapping[str, Any] = field(default_factory=dict)

    def tasks(self) -> tuple[str, ...]:
        """Every attribute × setting; the plan drops attributes the corpus does not label."""
        return tuple(f"attribute:{a} prompts={p}" for p in self.settings.values() for a in self.attributes)

    def all_transforms(self) -> tuple[str, ...]:
        return (*self.transforms, *(control_spec(c) for c in self.controls))

    def transform_caps(self) -> tuple[tuple[str, int], ...]:
        return tuple((control_spec(c), int(c["samples_per_attribute"])) for c in self.controls
                     if c.get("samples_per_attribute"))


def control_spec(control: Mapping[str, Any]) -> str:
    if control.get("temperature") is None:
        return str(control["control"])
    return f"sampled:{control['temperature']} control={control['control']}"


def shipped_presets() -> list[str]:
    folder = resources.files("voiceleak") / "data"
    return sorted(p.name[len("preset-"):-len(".yaml")] for p in folder.iterdir()
                  if p.name.startswith("preset-") and p.name.endswith(".yaml"))


def load_preset(name: str) -> Preset:
    """A shipped preset by name, or a preset file by path."""
    path = Path(name)
    if path.suffix in {".yaml", ".yml"} and path.is_file():
        text = path.read_text(encoding="utf-8")
    else:
        shipped = resources.files("voiceleak") / "data" / f"preset-{name}.yaml"
        if not shipped.is_file():
            raise KeyError(f"unknown preset {name!r} (shipped: {', '.join(shipped_presets())}; or a .yaml path)")
        text = shipped.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    settings = data.get("settings") or {}
    base = path.parent if path.is_file() else None
    if base is not None:  # prompt-set paths in a user's preset are relative to the preset file
        settings = {k: str(base / v) if str(v).endswith((".yaml", ".yml")) and not Path(v).is_absolute() else v
                    for k, v in settings.items()}
    return Preset(name=data["name"], description=data.get("description", ""),
                  attributes=tuple(data["attributes"]), settings=settings,
                  transforms=tuple(data.get("transforms") or [IDENTITY]),
                  controls=tuple(data.get("controls") or ()), decoding=data.get("decoding") or {})


def preset_summary(preset: Preset, labelled: Sequence[str]) -> str:
    asked = [a for a in preset.attributes if a in labelled]
    skipped = [a for a in preset.attributes if a not in labelled]
    return (f"Preset {preset.name}: {len(asked)} attribute(s) × {len(preset.settings)} setting(s) "
            f"({', '.join(preset.settings)}), controls: {', '.join(control_spec(c) for c in preset.controls)}"
            + (f"; not labelled in the corpus, skipped: {', '.join(skipped)}" if skipped else ""))
