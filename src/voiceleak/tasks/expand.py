"""Which tasks a list of task names stands for over a corpus: the one expansion every study uses.

A bare family name may stand for several tasks, as the family declares (`TaskFactory.expand`):
`attribute` is every taxonomy attribute the corpus labels with at least two classes, `attribute:sensitive`
the sensitive closed-set ones. `voiceleak run`'s plan, the least-privilege study and the defense study
all call `expand_names`, so "which attributes to audit" means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceleak.spec import parse_spec
from voiceleak.tasks.attribute import SENSITIVE
from voiceleak.tasks.base import tasks
from voiceleak.types import Clip

#: words a user may type for a task list: `sensitive` (the defense study's word) is attribute:sensitive
SHORTHANDS = {SENSITIVE: f"attribute:{SENSITIVE}"}


def expand_names(names: Sequence[str], clips: Sequence[Clip]) -> list[str]:
    """Each name as its family expands it over `clips`, in order, without duplicates. A name whose
    family is not registered is kept as written: building it later gives the did-you-mean message."""
    out: list[str] = []
    for name in names:
        spec = parse_spec(SHORTHANDS.get(name.strip(), name))
        out.extend(tasks.get(spec.family).expand(spec, clips) if spec.family in tasks else [name])
    return list(dict.fromkeys(out))
