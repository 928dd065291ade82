"""Every entry point reports the same set: the report package registers its analyses and sections.

Each check runs in a fresh interpreter, since a test process has long imported the command line
(which is how the sections used to get registered, and why `voiceleak.report(run_dir)` from Python
silently dropped privilege, decisions, identity and defenses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceleak.cli import app
from voiceleak.corpus.demo import demo_manifest

#: what a study's report must hold beside the cells, and what must not be null in results.json
STUDY_ANALYSES = {"privilege", "identity", "decisions", "scope", "defenses", "blind", "verify"}
STUDY_SECTIONS = {"privilege", "identity", "decisions", "scope", "defenses", "hearsay"}


def python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def registered_after(statement: str) -> dict[str, list[str]]:
    return json.loads(python(
        f"{statement}\n"
        "import json\n"
        "from voiceleak.analysis.aggregate import ANALYSES\n"
        "from voiceleak.report.html import SECTIONS\n"
        "print(json.dumps({'analyses': list(ANALYSES), 'sections': list(SECTIONS)}))"))


def test_importing_voiceleak_registers_what_the_command_line_registers() -> None:
    python_api = registered_after("import voiceleak")
    command_line = registered_after("import voiceleak.cli")
    lightest = registered_after("import voiceleak.report.nav")  # any module of the package: the whole set
    assert python_api == command_line == lightest  # the same names, in the same order
    assert set(python_api["analyses"]) >= STUDY_ANALYSES
    assert set(python_api["sections"]) >= STUDY_SECTIONS


def registering_modules() -> set[str]:
    """Every module that declares an analysis or a report section, found in the source."""
    root = Path(__file__).resolve().parents[1] / "src"
    found = set()
    for path in (root / "voiceleak").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "\n@analysis(" in text or "\n@section(" in text:
            parts = path.relative_to(root).with_suffix("").parts
            found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_the_report_package_imports_every_module_that_registers() -> None:
    """A new analysis or section module is registered by `voiceleak.report` itself, not by whoever
    happens to import it (the bug this guards against: the command line did, Python did not)."""
    expected = registering_modules()
    loaded = set(json.loads(python("import json, sys\nimport voiceleak.report\n"
                                   "print(json.dumps(sorted(m for m in sys.modules if m.startswith('voiceleak'))))")))
    assert len(expected) >= 10 and expected <= loaded, sorted(expected - loaded)


def test_no_public_name_hides_a_subpackage() -> None:
    out = python(
        "import types, voiceleak\n"
        "import voiceleak.report.html\n"
        "for name in ('models', 'tasks', 'transforms', 'report'):\n"
        "    assert isinstance(getattr(voiceleak, name), types.ModuleType), name\n"
        "assert voiceleak.report.html.write_html\n"
        "assert voiceleak.model_registry is voiceleak.models.models\n"
        "assert voiceleak.task_registry is voiceleak.tasks.tasks\n"
        "assert voiceleak.transform_registry is voiceleak.transforms.transforms\n"
        "assert callable(voiceleak.report) and voiceleak.write_report is voiceleak.report.write_report\n"
        "print('ok')")
    assert out.strip() == "ok"


def report_both_ways(run: Path) -> tuple[str, str]:
    """results.json from `voiceleak.report(run)` in a fresh interpreter, then from `voiceleak report run`."""
    python(f"import voiceleak\nvoiceleak.report({str(run)!r}, resamples=60)")
    from_python = (run / "results.json").read_text()
    (run / "results.json").unlink()
    done = subprocess.run([sys.executable, "-m", "voiceleak", "report", str(run), "--resamples", "60"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    return from_python, (run / "results.json").read_text()


def invoke(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


def assert_same_report(run: Path, analysis: str | None, heading: str) -> None:
    from_python, from_cli = report_both_ways(run)
    assert from_python == from_cli
    results = json.loads(from_python)
    if analysis is not None:
        assert results["analyses"][analysis], f"{analysis} is missing from the Python report"
    assert heading in (run / "report.html").read_text()


def test_a_plain_run_reports_the_same_from_python_and_the_command_line(tmp_path: Path) -> None:
    run = tmp_path / "plain"
    invoke("run", "-c", str(demo_manifest()), "-m", "uniform", "-t", "attribute:sex", "--blind", "-o", str(run))
    assert_same_report(run, "blind", "Every cell")


def test_a_decisions_run_reports_the_same_from_python_and_the_command_line(tmp_path: Path) -> None:
    run = tmp_path / "decisions"
    invoke("decisions", "-c", str(demo_manifest()), "-m", "uniform", "--decision", "hiring", "-s", "tutor",
           "-g", "sex",
           "-o", str(run), "--resamples", "60")
    assert_same_report(run, "decisions", "Decisions: does the voice change")


@pytest.mark.slow
def test_a_privilege_run_reports_the_same_from_python_and_the_command_line(tmp_path: Path) -> None:
    run = tmp_path / "privilege"
    invoke("privilege", "-c", str(demo_manifest()), "-m", "uniform", "--cascade-model", "whisper-tiny+uniform",
           "--attribute", "sex", "--probe", "none", "--max-per-speaker", "1", "--no-text-only", "-o", str(run),
           "--resamples", "60")
    assert_same_report(run, "privilege", "Least privilege")


@pytest.mark.slow
def test_a_defend_run_reports_the_same_from_python_and_the_command_line(tmp_path: Path) -> None:
    run = tmp_path / "defend"
    invoke("defend", "-m", "uniform", "-d", "output-filter", "--asr", "none", "--max-per-speaker", "1",
           "--trials-per-speaker", "1", "--resamples", "60", "-o", str(run))
    assert_same_report(run, "defenses", "Defenses: privacy against utility")
