"""Reports: from a run's log to results.json, report.html, samples.html and the audit's index.html.

The figures come from `voiceleak.analysis` (computation, which registers every analysis itself);
this package is their presentation. Importing it registers every HTML section (`html.section`), so
every entry point — the command line, `voiceleak.report(run_dir)`, a notebook — reports the same set
(`report.sections` lists them, in their order on the page).

`voiceleak.report` is this package (so `voiceleak.report.html` is the HTML module) and is also
callable: `voiceleak.report(run_dir)` rebuilds a run's results and pages, as documented. A module
cannot define `__call__` itself, so the package's module object takes a ModuleType subclass that
does; it forwards to `report.build.write_report`, the typed entry point (use that one where a type
checker reads the call). The alternative, a function named `report` in `voiceleak`, hides the
subpackage: `import voiceleak.report.html` then `voiceleak.report.html` fails.
"""
from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

from voiceleak.report import sections  # noqa: F401  (the import registers every section)
from voiceleak.report.build import write_report

__all__ = ["write_report"]


class _CallablePackage(types.ModuleType):
    """The `voiceleak.report` package, callable as `voiceleak.report(run_dir, resamples=1000)`."""

    def __call__(self, run_dir: Path | str, resamples: int = 1000) -> dict[str, Any]:
        return write_report(run_dir, resamples=resamples)


sys.modules[__name__].__class__ = _CallablePackage
