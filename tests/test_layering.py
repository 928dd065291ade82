"""Imports go one way: a lower layer never imports a higher one.

    base (types, spec, registry, attributes, audio and the other top modules; data/ and results/)
      < corpus, tasks, models, transforms, scoring
      < runner < analysis < report < studies < cli < the public surface (voiceleak/__init__.py, __main__.py, api.py)

Every import counts, including one inside a function or under TYPE_CHECKING: a lazy import still ties
the lower module to the higher one (it hides a cycle, it does not remove it). Peers of one layer may
import each other. The walk reads the source with `ast`, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "voiceleak"
ROOT = Path(__file__).resolve().parents[1] / "src" / PACKAGE

BASE, PLUGINS, RUNNER, ANALYSIS, REPORT, STUDIES, CLI, SURFACE = range(8)
LAYER_NAMES = ["base", "plugins (corpus/tasks/models/transforms/scoring)", "runner", "analysis", "report", "studies",
               "cli", "public surface"]

#: subpackages by layer; a new subpackage must be placed here (test_every_subpackage_has_a_layer)
SUBPACKAGES = {
    # results: the typed run files (pydantic models of header.json and results.json), data like types.py
    # that the runner writes and the report and the API read
    "data": BASE, "results": BASE,
    "corpus": PLUGINS, "tasks": PLUGINS, "models": PLUGINS, "transforms": PLUGINS, "scoring": PLUGINS,
    "runner": RUNNER,
    # analysis computes results.json from the log; report presents it (pages, terminal tables)
    "analysis": ANALYSIS,
    "report": REPORT,
    "studies": STUDIES,
    "cli": CLI,
}
#: top-level modules above everything (what a user imports); every other top-level module is base
SURFACE_MODULES = {"__init__", "__main__", "api"}


@dataclass(frozen=True)
class Violation:
    file: str
    line: int
    importer: str
    imported: str

    def __str__(self) -> str:
        return (f"{self.file}:{self.line}: {self.importer} [{LAYER_NAMES[layer_of(self.importer)]}] imports "
                f"{self.imported} [{LAYER_NAMES[layer_of(self.imported)]}]")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The layer of a module named `voiceleak.x.y...` (`voiceleak` itself is the public surface)."""
    parts = module.split(".")[1:]
    if not parts:
        return SURFACE
    head = parts[0]
    if head in SUBPACKAGES:
        return SUBPACKAGES[head]
    return SURFACE if head in SURFACE_MODULES else BASE


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imported_modules(node: ast.Import | ast.ImportFrom, module: str, package: bool) -> list[str]:
    """The voiceleak modules one import statement reaches, resolved (relative imports included).

    `from voiceleak.x import y` names y as a module when voiceleak/x/y is one, else it imports x."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE]
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, *([base] if base else [])])
    if base.split(".")[0] != PACKAGE:
        return []
    out = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        out.append(candidate if _exists(candidate) else base)
    return out


def _exists(module: str) -> bool:
    path = ROOT.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations() -> list[Violation]:
    found: list[Violation] = []
    for path in sorted(ROOT.rglob("*.py")):
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in imported_modules(node, module, is_package(path)):
                violation = Violation(str(path.relative_to(ROOT.parents[1])), node.lineno, module, target)
                if layer_of(target) > layer_of(module) and violation not in found:
                    found.append(violation)
    return found


def test_every_subpackage_has_a_layer() -> None:
    unplaced = sorted(p.name for p in ROOT.iterdir()
                      if (p / "__init__.py").is_file() and p.name not in SUBPACKAGES)
    assert not unplaced, (f"subpackage(s) {', '.join(unplaced)} of {PACKAGE} have no layer: "
                          "add them to SUBPACKAGES in tests/test_layering.py")


def test_no_lower_layer_imports_a_higher_one() -> None:
    found = violations()
    if found:
        pytest.fail(f"{len(found)} import(s) go up the layers (base < corpus/tasks/models/transforms/scoring "
                    "< runner < analysis < report < studies < cli < public surface):\n" + "\n".join(map(str, found)),
                    pytrace=False)


@pytest.mark.parametrize(("importer", "source", "expected"), [
    ("voiceleak.runner.run", "from voiceleak.report import html", "voiceleak.report.html"),
    ("voiceleak.runner.run", "from voiceleak.report.html import write", "voiceleak.report.html"),
    ("voiceleak.runner.run", "from voiceleak import Runner", "voiceleak"),
    ("voiceleak.runner.run", "from ..report import html", "voiceleak.report.html"),
    ("voiceleak.runner", "from .run import Runner", "voiceleak.runner.run"),
    ("voiceleak.models.base", "import voiceleak.cli.app", "voiceleak.cli.app"),
])
def test_imports_are_resolved_to_the_module_they_reach(importer: str, source: str, expected: str) -> None:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.Import | ast.ImportFrom)
    package = importer == "voiceleak.runner"
    assert imported_modules(node, importer, package) == [expected]


def test_the_layers_order_as_designed() -> None:
    order = ["voiceleak.types", "voiceleak.models.base", "voiceleak.runner.run", "voiceleak.report.html",
             "voiceleak.studies", "voiceleak.cli.app", "voiceleak"]
    assert [layer_of(m) for m in order] == sorted(layer_of(m) for m in order)
    assert layer_of("voiceleak.api") == SURFACE
    assert layer_of("voiceleak.studies.presets") == layer_of("voiceleak.studies")
