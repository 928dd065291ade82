"""`voiceleak run --config audit.yaml`: the full matrix in a file, validated field by field.

    corpus: data/manifest.jsonl
    models: [probe, "openai:gpt-4o-audio-preview rpm=60"]
    tasks: [attribute, "attribute:age prompts=hearsay-main"]
    transforms: [none, "blind:silence"]
    repeats: 1
    decoding: {temperature: 0, max_tokens: 256}
    max_per_class: 100
    out: runs/audit1

Command-line flags fill what the file leaves out.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class AuditFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    corpus: str | None = None
    models: list[str] | None = None
    tasks: list[str] | None = None
    transforms: list[str] | None = None
    repeats: int | None = None
    decoding: dict[str, float | int | None] | None = None
    max_per_class: int | None = None
    seed: int | None = None
    out: str | None = None
    concurrency: int | None = None
    executor: str | None = None


def load_audit_file(path: Path) -> AuditFile:
    """The parsed file, or ValueError naming the file and each bad field."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if path.suffix in {".yaml", ".yml"} else json.loads(text)
    except (OSError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the config ({exc})") from exc
    try:
        return AuditFile.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{path}: {problems}") from exc
