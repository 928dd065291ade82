"""Chance on the table: a majority-class baseline (trained out of fold) and a uniform guesser.

Both declare `role = Role.CALIBRATION`: the report shows their intervals and claims no finding of
theirs, whatever name they are registered or run under.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from voiceleak.models.base import LocalModel, Role, SupervisedBase, models
from voiceleak.spec import Spec
from voiceleak.types import Request, Response


@models.register("majority", "always predicts the corpus's most frequent class: balanced accuracy = chance")
class MajorityBaseline(SupervisedBase):
    role = Role.CALIBRATION

    def __init__(self, spec: Spec) -> None:
        spec.check_known(set())
        self.name = str(spec)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "baseline", "role": self.role.value}

    def cross_predict(self, requests: Sequence[Request], labels: Sequence[str],
                      groups: Sequence[str] | None) -> list[Response]:
        # The prior over the whole set, not per fold: holding out one speaker shifts a per-fold
        # majority away from that speaker's class and drives the baseline below chance.
        counts = Counter(labels)
        if not counts:
            return []
        best = max(sorted(counts), key=lambda label: counts[label])  # ties break alphabetically
        return [Response(r.id, best, meta={"prior_share": round(counts[best] / len(labels), 4)})
                for r in requests]


@models.register("uniform", "picks one of the request's choices uniformly at random (seeded per request)")
class UniformBaseline(LocalModel):
    role = Role.CALIBRATION
    max_batch = 256
    # Its answer depends on the request id, which the response cache rightly ignores: caching would
    # hand every identical request (all blind-silence clips, say) the same "random" answer.
    cacheable = False

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"seed"})
        self.name = str(spec)
        self.seed = spec.get_int("seed", 0)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "baseline", "role": self.role.value, "seed": self.seed}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return [self._answer(r) for r in requests]

    def _answer(self, request: Request) -> Response:
        if not request.choices:
            return Response(request.id, None, error="uniform baseline needs a closed set of choices")
        digest = hashlib.sha256(f"{self.seed}:{request.id}".encode()).digest()
        return Response(request.id, request.choices[int.from_bytes(digest[:4], "big") % len(request.choices)])
