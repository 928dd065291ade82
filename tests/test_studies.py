"""Studies are compositions of ordinary runs: no study subclasses the Runner, only runner/ builds a
plan, a study's cells cut the matrix, and one path runs any study (a plain run included)."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

from rich.console import Console

from voiceleak.runner.plan import Cell, RunConfig, build_plan
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.studies.base import StudyPlan, plain_run
from voiceleak.studies.execute import execute, report_run
from voiceleak.studies.privilege import privilege_cells
from voiceleak.tasks.base import build_task
from voiceleak.types import Clip

SRC = Path(__file__).resolve().parents[1] / "src" / "voiceleak"
RUNNER = SRC / "runner"


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(SRC.rglob("*.py"))]


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def test_no_class_subclasses_the_runner() -> None:
    subclasses = [f"{path.relative_to(SRC)}:{node.name}" for path, tree in _modules()
                  for node in ast.walk(tree)
                  if isinstance(node, ast.ClassDef) and any(_name(b) == "Runner" for b in node.bases)]
    assert subclasses == []


def test_only_the_runner_builds_a_plan() -> None:
    """No module outside runner/ calls (or imports) build_plan: a study declares cells instead."""
    outside = []
    for path, tree in _modules():
        if RUNNER in path.parents:
            continue
        for node in ast.walk(tree):
            called = isinstance(node, ast.Call) and _name(node.func) == "build_plan"
            imported = isinstance(node, ast.ImportFrom) and any(a.name == "build_plan" for a in node.names)
            if called or imported:
                outside.append(f"{path.relative_to(SRC)}:{node.lineno}")  # type: ignore[attr-defined]
    assert outside == []
    assert any("build_plan" in path.read_text() for path in RUNNER.glob("*.py"))  # the scan sees runner/


def test_the_runner_knows_no_study() -> None:
    """runner/ imports nothing from studies/ or cli/ (studies compose the runner, not the reverse)."""
    assert not (RUNNER / "privilege.py").exists()
    upward = [f"{path.relative_to(SRC)}:{node.lineno}" for path, tree in _modules() if RUNNER in path.parents
              for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
              and node.module.startswith(("voiceleak.studies", "voiceleak.cli"))]
    assert upward == []


def _clips(n: int = 6) -> list[Clip]:
    return [Clip(f"c{i}", Path(f"c{i}.wav"), f"s{i % 3}", {"sex": "Male" if i % 2 else "Female"})
            for i in range(n)]


def test_cells_cut_the_matrix_in_its_order_and_narrow_clips() -> None:
    task = build_task("attribute:sex")
    config = RunConfig(corpus="x.jsonl", models=("a", "b"), tasks=(task.name,), transforms=("none", "blind"))
    everything = build_plan(config, _clips(), {task.name: task})
    assert [(g.model, g.transform) for g in everything] == [("a", "none"), ("a", "blind"), ("b", "none"),
                                                            ("b", "blind")]
    cells = (Cell("b", task.name, "none"), Cell("a", task.name, "blind", frozenset({"c1", "c2"})),
             Cell("a", task.name, "none", frozenset({"nope"})))
    cut = build_plan(config, _clips(), {task.name: task}, cells)
    assert [(g.model, g.transform, g.clip_ids) for g in cut] == [
        ("a", "blind", ("c1", "c2")), ("b", "none", tuple(c.id for c in _clips()))]  # an empty cell: no group


def test_privilege_cells_give_each_role_what_it_needs() -> None:
    roles = {"e2e": "e2e", "cascade": "casc", "probe": "probe", "control": "words", "blind": "blind:silence",
             "attributes": ["attribute:sex"], "applications": ["transcription", "content:topic"],
             "identity": ["identity:open"]}
    cells = {(c.model, c.task, c.transform) for c in privilege_cells(roles, {"probe", "e2e"}, {"transcription"})}
    assert cells == {
        *((m, "attribute:sex", "none") for m in ("e2e", "casc", "probe", "words")),
        ("e2e", "attribute:sex", "blind:silence"),
        ("casc", "identity:open", "none"),  # a supervised stand-in does not answer open questions
        ("casc", "transcription", "none"),  # nor serve a value-type application
        ("e2e", "content:topic", "none"), ("casc", "content:topic", "none"),
    }


def test_one_path_runs_a_plain_run_and_a_study_with_cells(corpus: Path, tmp_path: Path) -> None:
    config = RunConfig(corpus=str(corpus), models=("majority", "uniform"), tasks=("attribute:sex",))
    quiet = Console(file=io.StringIO())
    plain = execute(plain_run(config), RunOptions(out=tmp_path / "plain", quiet=True, resamples=50), quiet)
    assert plain.added > 0 and {c["model"] for c in plain.results["cells"]} == {"majority", "uniform"}
    runner = Runner(config, RunOptions(out=tmp_path / "plain", quiet=True, resamples=50), quiet)
    assert runner.execute() == 0 and report_run(runner) == plain.results  # the same report, from the same log
    task = build_task("attribute:sex").name
    study = StudyPlan("custom", config, cells=(Cell("uniform", task, "none"),), header={"custom": {"k": 1}})
    done = execute(study, RunOptions(out=tmp_path / "study", quiet=True, resamples=50), quiet)
    assert {c["model"] for c in done.results["cells"]} == {"uniform"}
    assert done.added * 2 == plain.added
    assert json.loads((tmp_path / "study" / "header.json").read_text())["custom"] == {"k": 1}
    again = execute(study, RunOptions(out=tmp_path / "study", quiet=True, resamples=50), quiet)
    assert again.added == 0  # resumed: the log held everything
