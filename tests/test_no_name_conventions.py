"""No behaviour in report/ or models/ is decided by reading a name or a prompt's words: a request's
intent, a record's family, a model's role and a transform's role are declared (see test_declarations).

An AST walk fails on `<...prompt...>.startswith(...)`, `<...model/task/transform...>.startswith(...)`
and any call of a function named `family` (the old `family(task) == "decision"` parsing), naming
each file:line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import voiceleak

PACKAGE = Path(voiceleak.__file__).parent
#: names whose string value is a component's name or a request's prompt
NAMED = ("prompt", "model", "task", "transform")
FOLDERS = ("report", "models")


def _violations(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        where = f"{path.relative_to(root)}:{node.lineno}"
        if isinstance(func, ast.Attribute) and func.attr == "startswith":
            receiver = ast.unparse(func.value)
            if any(word in receiver.lower() for word in NAMED):
                found.append(f"{where}: {ast.unparse(node)}")
        if isinstance(func, ast.Name) and func.id == "family":
            found.append(f"{where}: {ast.unparse(node)}")
    return found


def test_no_prompt_prefix_or_name_parsing_decides_behaviour() -> None:
    files = sorted(p for folder in FOLDERS for p in (PACKAGE / folder).rglob("*.py"))
    assert len(files) > 20  # the walk sees the package, not an empty folder
    violations = [v for path in files for v in _violations(path)]
    assert not violations, "read the declaration instead:\n" + "\n".join(violations)


def test_the_walk_catches_what_it_forbids(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('def f(request, record, cell):\n'
                      '    a = request.prompt.startswith("Transcribe")\n'
                      '    b = family(record.task) == "decision"\n'
                      '    c = str(cell["model"]).startswith("cascade")\n'
                      '    d = "x".startswith("y")\n', encoding="utf-8")
    assert sorted(_violations(sample, tmp_path)) == [
        "sample.py:2: request.prompt.startswith('Transcribe')", "sample.py:3: family(record.task)",
        "sample.py:4: str(cell['model']).startswith('cascade')"]
