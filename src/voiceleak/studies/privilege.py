"""The least-privilege study as one ordinary run: same clips, several roles, a plan cut to what each needs.

Roles: the end-to-end model, the cascade, the voiceprint probe (what the voice carries at most), a
words-only control (the end-to-end model itself as the text stage of the cascade: the same model,
the transcript only, never the audio) and a blind control (the end-to-end model on silence). A full
models x tasks x transforms matrix would also ask, say, the probe to transcribe, so the plan keeps
only the cells a role needs (declared here, expanded by the plan); the roles go into the run header
so `voiceleak report` rebuilds the analysis from the log alone. It logs, caches and resumes like any run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceleak.analysis.verdict import Thresholds
from voiceleak.corpus.manifest import write_manifest
from voiceleak.models.base import SupervisedModel, build_model
from voiceleak.models.cascade import split_stages
from voiceleak.runner.plan import Cell, RunConfig
from voiceleak.spec import Spec, parse_spec
from voiceleak.studies.base import StudyPlan, cells_of, per_speaker
from voiceleak.tasks.base import build_task
from voiceleak.tasks.expand import expand_names
from voiceleak.tasks.identity import identity_tasks
from voiceleak.transforms.base import IDENTITY
from voiceleak.types import Clip


@dataclass(frozen=True)
class PrivilegeStudy:
    """What `voiceleak privilege` was asked (texts as the user wrote them)."""

    corpus: str
    e2e: str
    cascade: str
    applications: tuple[str, ...] = ("transcription",)
    attributes: tuple[str, ...] = ()
    probe: str | None = "probe"
    blind: str | None = "blind:silence"
    control: bool = True
    identity: bool = False
    names: str | None = None  # YAML of speaker names and aliases for the identity tasks
    per_speaker: int | None = None
    seed: int = 0
    thresholds: Thresholds = field(default_factory=Thresholds)
    notes: tuple[str, ...] = ()


def cascade_spec(text: str) -> str:
    """`whisper-tiny+minilm` or `cascade:whisper-tiny+minilm` -> the canonical cascade spec."""
    spec = parse_spec(text if text.startswith("cascade") else f"cascade:{text}")
    split_stages(spec)  # fail now, with a clear message, on a malformed ASR+TEXT
    return str(spec)


def _head(spec: Spec) -> str:
    return spec.family + (f":{spec.arg}" if spec.arg else "")


def words_only_control(cascade: str, e2e: str) -> str:
    """The cascade's recogniser feeding the end-to-end model: what that model gets from the words alone."""
    asr, _ = split_stages(parse_spec(cascade))
    model = parse_spec(e2e)
    params = {**{f"asr.{k}": v for k, v in asr.params.items()},
              **{f"text.{k}": v for k, v in model.params.items()}}
    return str(Spec("cascade", f"{_head(asr)}+{_head(model)}", params))


def cap_per_speaker(clips: Sequence[Clip], limit: int, seed: int) -> list[Clip]:
    """At most `limit` clips per speaker, seeded; keeps the corpus order (the study's own seed string)."""
    return per_speaker(clips, limit, f"privilege:{seed}")


def subset_manifest(clips: Sequence[Clip], out: Path, limit: int, seed: int) -> Path:
    """The capped clip list, named by its cap so that a resume with another cap is refused by the log."""
    path = out / f"clips-per-speaker-{limit}-seed-{seed}.jsonl"
    write_manifest(path, cap_per_speaker(clips, limit, seed))
    return path


def privilege_cells(roles: dict[str, Any], supervised: set[str], value_tasks: set[str]) -> tuple[Cell, ...]:
    """The cells each role needs: every attribute for every role on the clips (and the end-to-end model
    blind); applications and identity for the end-to-end model and the cascade only."""
    r = roles
    cells: list[tuple[str, str, str]] = []
    for task in r["attributes"]:
        cells += [(m, task, IDENTITY) for m in (r["e2e"], r["cascade"], r["probe"], r["control"]) if m]
        if r["blind"]:
            cells.append((r["e2e"], task, r["blind"]))
    for task in r["identity"]:
        # the probe's closed-set identification is the speaker-id task, not these open questions
        cells += [(m, task, IDENTITY) for m in (r["e2e"], r["cascade"]) if m not in supervised]
    for task in r["applications"]:
        if task in r["attributes"] or task in r["identity"]:
            continue
        # An attacker trained on labels cannot serve a value-type application (transcription).
        cells += [(m, task, IDENTITY) for m in (r["e2e"], r["cascade"])
                  if not (m in supervised and task in value_tasks)]
    return cells_of(cells)


def plan_study(study: PrivilegeStudy, clips: Sequence[Clip], out: Path) -> StudyPlan:
    """The run, the cells each role needs and the roles (canonical names) the analysis reads."""
    cascade = cascade_spec(study.cascade)
    e2e_model = build_model(study.e2e)
    stand_in = isinstance(e2e_model, SupervisedModel)
    control = words_only_control(cascade, study.e2e) if study.control and not stand_in else None
    notes = list(study.notes)
    if study.control and stand_in:
        notes.append("The words-only control needs an end-to-end model that answers text; a supervised probe "
                     "does not, so it was not run.")
    built = {"e2e": e2e_model, "cascade": build_model(cascade),
             "probe": build_model(study.probe) if study.probe else None,
             "control": build_model(control) if control else None}
    names = {role: model.name if model else None for role, model in built.items()}
    supervised = {m.name for m in built.values() if isinstance(m, SupervisedModel)}
    wanted = [f"attribute:{a}" for a in study.attributes] or expand_names(["attribute:sensitive"], clips)
    attributes = [build_task(name).name for name in wanted]
    application_tasks = [build_task(a) for a in study.applications]
    applications = [t.name for t in application_tasks]
    extra = f"names={Path(study.names).resolve()}" if study.names else ""
    identity = [build_task(t).name for t in identity_tasks(extra)] if study.identity else []
    blind = str(parse_spec(study.blind)) if study.blind else None
    corpus = study.corpus
    if study.per_speaker:
        corpus = str(subset_manifest(clips, out, study.per_speaker, study.seed))
    models = [t for t in (study.e2e, cascade, study.probe, control) if t]
    config = RunConfig(corpus=corpus, models=tuple(dict.fromkeys(models)),
                       tasks=tuple(dict.fromkeys([*attributes, *applications, *identity])),
                       transforms=(IDENTITY, blind) if blind else (IDENTITY,), seed=study.seed)
    roles = {**names, "blind": blind, "attributes": attributes, "applications": applications,
             "identity": identity, "thresholds": study.thresholds.to_dict(), "stand_in": stand_in,
             "notes": notes, "source_corpus": str(Path(study.corpus).resolve()),
             "per_speaker": study.per_speaker}
    value_tasks = {t.name for t in application_tasks if t.target is None}
    return StudyPlan("privilege", config, privilege_cells(roles, supervised, value_tasks), {"privilege": roles})


DEMO_PER_SPEAKER = 6


def demo_study(manifest: Path | str) -> PrivilegeStudy:
    """The demo's least-privilege study: offline cascade vs voiceprint probe vs blind, on transcription.

    Bounded: at most DEMO_PER_SPEAKER clips per speaker (60 clips of the 10 speakers) for every role,
    which keeps the recogniser's part to about a minute on 2 cores.
    """
    return PrivilegeStudy(
        corpus=str(manifest), e2e="probe", cascade="whisper-tiny+minilm",
        applications=("transcription language=en",), per_speaker=DEMO_PER_SPEAKER,
        notes=(f"Demo bound: at most {DEMO_PER_SPEAKER} clips per speaker (seeded), the same clips for "
               "every role.",
               "whisper-tiny.en recognises English only, so the transcription application is measured on "
               "the English clips that have a reference text (the synthetic voices)."),
    )
