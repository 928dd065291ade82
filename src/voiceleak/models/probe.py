"""The voiceprint probe: what the voice itself carries, an upper bound for any model that hears it.

Logistic regression on voiceprint embeddings, evaluated out of fold (speaker-disjoint for
attributes, within-speaker folds for closed-set speaker identification).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from voiceleak.models.base import models
from voiceleak.models.crossval import out_of_fold
from voiceleak.models.voiceprint import VoiceprintEncoder
from voiceleak.spec import Spec
from voiceleak.types import Request, Response


@models.register("probe", "voiceprint attacker: logistic regression on resemblyzer embeddings, out of fold "
                          "(args: C=1.0, channel_rate=8000|none)")
class VoiceprintProbe:
    accepts_audio = True
    remote_host: str | None = None

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"C", "channel_rate"})
        self.name = str(spec)
        self.C = spec.get_float("C", 1.0)
        rate = spec.get("channel_rate", "8000")
        self.channel_rate = None if rate in (None, "none", "0") else int(rate)
        self.encoder = VoiceprintEncoder(channel_rate=self.channel_rate)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "supervised probe", "encoder": self.encoder.name,
                "classifier": f"LogisticRegression(C={self.C}, class_weight=balanced)",
                "channel_rate": self.channel_rate}

    def cross_predict(self, requests: Sequence[Request], labels: Sequence[str],
                      groups: Sequence[str] | None) -> list[Response]:
        start = time.perf_counter()
        usable = [r.audio is not None for r in requests]
        if not all(usable):
            # A probe needs audio; a no-audio control leaves it nothing to classify.
            return [Response(r.id, None, error="the probe needs audio; this request has none") for r in requests]
        features = self.encoder.embed([r.audio for r in requests if r.audio is not None])
        y = np.asarray(labels, dtype=object)

        # imported here: scikit-learn costs seconds at start-up, and most commands never fit a probe
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        def fit_predict(train: np.ndarray, test: np.ndarray) -> list[str]:
            if len(set(y[train].tolist())) == 1:
                return [str(y[train][0])] * len(test)
            classifier = make_pipeline(
                StandardScaler(),
                LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced"),
            )
            classifier.fit(features[train], y[train])
            return [str(p) for p in classifier.predict(features[test])]

        clips = [r.audio.content_hash() for r in requests if r.audio is not None]
        folds = out_of_fold(labels, groups, fit_predict, clips)
        elapsed = (time.perf_counter() - start) / max(len(requests), 1)
        return [
            Response(r.id, predicted, error=folds.excluded.get(i), latency_s=elapsed,
                     meta={"cv": folds.scheme})
            if predicted is not None or i in folds.excluded
            else Response(r.id, None, error="no fold predicted this clip", latency_s=elapsed)
            for i, (r, predicted) in enumerate(zip(requests, folds.predictions, strict=True))
        ]
