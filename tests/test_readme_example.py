"""The README's notebook example runs as written: its Python block, in a fresh interpreter, in an empty
folder, on the shipped demo corpus with the offline voiceprint probe."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def section(text: str, heading: str) -> str:
    """The text under `## heading` up to the next `## ` heading."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_python_api_section_has_one_example() -> None:
    blocks = python_blocks(section(README.read_text(encoding="utf-8"), "Python API"))
    assert len(blocks) == 1 and "voiceleak.audit(" in blocks[0] and "voiceleak.load_run(" in blocks[0]


@pytest.mark.slow
def test_the_notebook_example_runs_as_written(tmp_path: Path) -> None:
    example = python_blocks(section(README.read_text(encoding="utf-8"), "Python API"))[0]
    done = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "probe" in done.stdout and "label_sex" in done.stdout
    run = tmp_path / "runs" / "notebook"
    assert {"header.json", "samples.jsonl", "results.json", "report.html"} <= {p.name for p in run.iterdir()}
