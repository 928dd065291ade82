"""Decision bias from the voice (with the text-only control) and scope compliance, as one ordinary run.

Every cell of the matrix is needed (each model decides on the audio and on the transcript alone), so
the study is the config plus how to group the voices, which changes no sample and so lives in the
header (`decisions`), where the decision analysis reads it: a resume may regroup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from voiceleak.models.base import SupervisedModel, build_model
from voiceleak.runner.plan import RunConfig
from voiceleak.studies.base import StudyPlan
from voiceleak.tasks.decision import shipped_names
from voiceleak.transforms.text_only import NAME as TEXT_ONLY

#: the demo's stand-in: no audio language model runs offline
DEMO_MODELS = ("uniform",)
#: what exists offline but is too slow for the demo's budget (speech recognition of every clip on CPU)
OFFLINE_CASCADE = "cascade:whisper-tiny+minilm"
DEMO_GROUP_BY = ("sex",)


def study_tasks(decisions: Sequence[str] | None, scopes: Sequence[str] | None) -> tuple[str, ...]:
    """decision:* and scope:* task names; None means every shipped set, ["none"] none of them."""
    chosen_decisions = (
        shipped_names("decisions") if decisions is None else [d for d in decisions if d != "none"]
    )
    chosen_scopes = shipped_names("scopes") if scopes is None else [s for s in scopes if s != "none"]
    return (*(f"decision:{d}" for d in chosen_decisions), *(f"scope:{s}" for s in chosen_scopes))


def check_models(models: Sequence[str]) -> None:
    for text in models:
        if isinstance(build_model(text), SupervisedModel):
            raise ValueError(
                f"{text!r} is a supervised attacker trained on labels: it cannot make a decision "
                "or answer a probe (use a chat model, a cascade or the uniform baseline)"
            )


def decisions_plan(config: RunConfig, group_by: Sequence[str] | None) -> StudyPlan:
    """The study: every cell of `config`; ValueError for a model that cannot decide."""
    check_models(config.models)
    return StudyPlan("decisions", config, header={"decisions": {"group_by": list(group_by or []) or None}})


def demo_plan(corpus: Path) -> StudyPlan:
    """Every decision and scope set on the demo corpus with the offline stand-in, grouped by sex."""
    config = RunConfig(corpus=str(corpus), models=DEMO_MODELS, tasks=study_tasks(None, None),
                       transforms=("none", TEXT_ONLY))
    return decisions_plan(config, DEMO_GROUP_BY)
