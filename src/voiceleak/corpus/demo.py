"""The demo corpus shipped inside the package (built by scripts/build_demo_corpus.py)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_manifest() -> Path:
    path = Path(str(resources.files("voiceleak.corpus").joinpath("demo", "manifest.jsonl")))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the demo corpus is missing from this install "
                                "(rebuild it with: python scripts/build_demo_corpus.py)")
    return path
