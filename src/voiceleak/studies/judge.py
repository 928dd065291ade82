"""The judge as a study: a chat model rules on another run's replies, through the ordinary Runner.

Each judged sample is one text-only input of a `judge` task (its id the judged sample's key): the
requests are logged in the judged run's `judge/<judge>/` folder (append-only, resumable after Ctrl-C),
cached in the response cache and retried like any request. After the run, the verdicts are appended
to the judged run's judgments.jsonl, which the report reads (`scoring.judgments`), and the judged
run's report is rebuilt.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from voiceleak.models.base import SupervisedModel, build_model
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import RunOptions, TextInputs
from voiceleak.scoring.judge import (
    JUDGE_DECODING,
    JUDGE_SYSTEM,
    JudgeItem,
    judge_prompt,
    judgment,
    score_verdict,
    select,
)
from voiceleak.scoring.judgments import (
    Judgment,
    append_judgments,
    judge_summary,
    parser_reading,
    read_judgments,
    settled,
)
from voiceleak.studies.base import StudyPlan
from voiceleak.studies.execute import Finished, execute
from voiceleak.types import Audio, Clip, Intent, Request, Response, SampleRecord, Score

JUDGE_TASK = "judge"
JUDGE_FOLDER = "judge"
PURPOSE, PARSER = "purpose", "parser"  # what a judge input carries as labels, into the judge's log


class JudgeTask:
    """Render the judge's question about one judged reply; score its verdict. Never sees audio or truth.
    Built by the judge study with its items, never by name: it is not in the task registry."""

    def __init__(self, items: Sequence[JudgeItem]) -> None:
        self.name = self.family = JUDGE_TASK
        self.metrics: tuple[str, ...] = ()  # its log is read by the judge study, not by the report's cells
        self.intent = Intent.ANSWER
        self.target: str | None = None
        self.group_by: str | None = None
        self.items = {item.record.key: item for item in items}

    def prepare(self, clips: Sequence[Clip]) -> None:
        return None  # everything it needs came with its items

    def applies_to(self, clip: Clip) -> bool:
        return clip.id in self.items

    def truth(self, clip: Clip) -> str | None:
        return None  # the judge is never told the truth

    def render(self, clip: Clip, audio: Audio, request_id: str) -> Request:
        item = self.items[clip.id]
        return Request(request_id, judge_prompt(item.record, item.classes), None, system=JUDGE_SYSTEM,
                       decoding=JUDGE_DECODING, audio_note="none:judge")

    def score(self, clip: Clip, request: Request, response: Response) -> Score:
        return score_verdict(response, self.items[clip.id].classes)

    def describe(self) -> Mapping[str, Any]:
        return {"system": JUDGE_SYSTEM, "decoding": asdict(JUDGE_DECODING),
                "judges": "unparseable replies, and a seeded sample of parser-decided ones"}


def judge_input(item: JudgeItem) -> Clip:
    """A judged reply as the judge task's input: its key as id; no audio (the path is never opened)."""
    record = item.record
    return Clip(id=record.key, audio_path=Path(record.clip_id), speaker_id=record.speaker_id,
                labels={PURPOSE: item.purpose, PARSER: parser_reading(record) or ""})


def judge_folder(run_dir: Path | str, judge: str) -> Path:
    """The judge's own log inside the judged run, one per judge (a resume must use the same judge)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", judge).strip("_")[:60]
    return Path(run_dir) / JUDGE_FOLDER / f"{slug}-{hashlib.sha1(judge.encode()).hexdigest()[:8]}"


def chat_judge_name(judge: str) -> str:
    """The judge's canonical name; ValueError unless it answers text prompts."""
    model = build_model(judge)
    if isinstance(model, SupervisedModel) or not hasattr(model, "generate"):
        raise ValueError(f"{judge}: a judge must be a chat backend (it answers text prompts)")
    return model.name


def judge_plan(run_dir: Path | str, judge: str, agreement_sample: int = 0, seed: int = 0) -> StudyPlan:
    """Every UNPARSEABLE reply of the run and `agreement_sample` parser-decided ones (seeded), minus
    those this judge already settled; RunDirError if `run_dir` is not a run."""
    name = chat_judge_name(judge)
    source = RunLog(run_dir)
    header = source.read_header()
    records = list(source.records())
    done = set(settled(read_judgments(run_dir), name))
    items = select(records, header, done, agreement_sample, seed)
    inputs = TextInputs(tuple(judge_input(item) for item in items), {JUDGE_TASK: JudgeTask(items)},
                        {"judged_run": str(Path(run_dir).resolve()), "samples": len(records)})
    config = RunConfig(corpus=str(run_dir), models=(judge,), tasks=(JUDGE_TASK,), decoding=JUDGE_DECODING)
    return StudyPlan("judge", config, inputs=inputs, settle=lambda log: write_verdicts(run_dir, log),
                     report_dir=Path(run_dir), out=judge_folder(run_dir, name))


def verdicts(records: Sequence[SampleRecord]) -> list[Judgment]:
    return [judgment(r, str(r.labels.get(PURPOSE, "")), str(r.labels.get(PARSER, ""))) for r in records]


def write_verdicts(run_dir: Path | str, log: RunLog) -> None:
    """Append to judgments.jsonl the judge's verdicts it does not hold yet (append-only, as the report
    reads it; the judge's own log stays the record of every request)."""
    held = set(read_judgments(run_dir))
    new = [j for j in verdicts(list(log.records())) if j not in held]
    if new:
        append_judgments(run_dir, new)


@dataclass(frozen=True)
class Judged:
    summary: dict[str, Any]  # scoring.judgments.judge_summary, with `asked_now`
    finished: Finished  # the judged run's rebuilt results


def run_judge(run_dir: Path | str, judge: str, agreement_sample: int = 0, seed: int = 0,
              options: RunOptions | None = None, console: Console | None = None,
              max_requests: int | None = None) -> Judged:
    """Judge what this judge has not judged yet (resuming its log), then rebuild the run's report."""
    plan = judge_plan(run_dir, judge, agreement_sample, seed)
    finished = execute(plan, options or RunOptions(out=plan.out or Path(run_dir), quiet=True), console,
                       max_requests)
    return Judged(summarise(run_dir, judge, finished), finished)


def summarise(run_dir: Path | str, judge: str, finished: Finished) -> dict[str, Any]:
    """The judge's figures over the run (scoring.judgments.judge_summary) and `asked_now`."""
    records = list(RunLog(run_dir).records())
    summary = judge_summary(chat_judge_name(judge), read_judgments(run_dir), records)
    return {**summary, "asked_now": finished.added}
