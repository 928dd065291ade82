"""The optional judge: rules only on UNPARSEABLE replies, resumable, measured against the parser.
It runs as a study through the ordinary Runner: its requests are logged, cached and retried."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import signal
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from voiceleak.analysis.aggregate import load_records
from voiceleak.cli import app
from voiceleak.models.base import LocalModel, models
from voiceleak.report.build import write_report
from voiceleak.runner.log import RunLog
from voiceleak.scoring.judge import JudgeError, parse_verdict
from voiceleak.scoring.judgments import JUDGMENTS, cohen_kappa, read_judgments
from voiceleak.spec import Spec
from voiceleak.studies.execute import StudyInterrupted
from voiceleak.studies.judge import judge_folder, run_judge
from voiceleak.types import Outcome, Request, Response, SampleRecord

#: reply -> what the fake judge answers (its raw text)
JUDGE_SAYS = {
    "Male, female... the first one.": '{"verdict": "Male", "reason": "picks the first"}',
    "It could be either.": '{"verdict": "REFUSAL", "reason": "does not commit"}',
    "hmm": "I think it is male",  # not JSON: a judge error, never an answer
    "blah": '{"verdict": "UNPARSEABLE", "reason": "nonsense"}',
    "Male": '{"verdict": "male", "reason": "says male"}',  # case is normalised to the class
    "Female": '{"verdict": "Female", "reason": "says female"}',
    "I cannot tell.": '{"verdict": "REFUSAL", "reason": "declines"}',
    "Female.": '{"verdict": "Male", "reason": "a disagreement on purpose"}',
}
ASKED: Counter[str] = Counter()


@models.register("test-judge", "test fake: a chat judge answering from a fixed table")
class FakeJudge(LocalModel):
    max_batch = 3

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"fail"})
        self.name = str(Spec(spec.family))
        self.fail = spec.get_bool("fail", False)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        if self.fail:
            raise RuntimeError("judge backend down")
        out = []
        for request in requests:
            assert request.audio is None and request.system  # a text-only request with the judge's rules
            reply = request.prompt.split("The model's reply:\n<<<\n")[1].split("\n>>>")[0]
            ASKED[reply] += 1
            out.append(Response(request.id, JUDGE_SAYS[reply]))
        return out


def _record(key: str, reply: str, outcome: Outcome, truth: str, predicted: str | None = None) -> SampleRecord:
    return SampleRecord(
        key=key, model="m", task="attribute:sex", transform="none", clip_id=key, repeat=0,
        speaker_id=f"s{key}", labels={"sex": truth}, target="sex", prompt="What is the gender?",
        system=None, audio_note="clip", response=None if outcome is Outcome.ERROR else reply,
        error="backend raised" if outcome is Outcome.ERROR else None, outcome=outcome.value,
        predicted=predicted, truth=truth, correct=None if predicted is None else predicted == truth,
        value=None, latency_s=0.0, cached=False)


RECORDS = [
    _record("k1", "Male, female... the first one.", Outcome.UNPARSEABLE, "Male"),
    _record("k2", "It could be either.", Outcome.UNPARSEABLE, "Female"),
    _record("k3", "hmm", Outcome.UNPARSEABLE, "Male"),
    _record("k4", "blah", Outcome.UNPARSEABLE, "Male"),
    _record("k5", "Male", Outcome.ANSWER, "Male", "Male"),
    _record("k6", "Female", Outcome.ANSWER, "Female", "Female"),
    _record("k7", "I cannot tell.", Outcome.REFUSAL, "Male"),
    _record("k8", "Female.", Outcome.ANSWER, "Female", "Female"),
    _record("k9", "", Outcome.ERROR, "Male"),
]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    ASKED.clear()
    folder = tmp_path / "run"
    folder.mkdir()
    header = {"config": {"corpus": "fixture"}, "tasks": {"attribute:sex": {"classes": ["Male", "Female"]}}}
    (folder / "header.json").write_text(json.dumps(header))
    (folder / "samples.jsonl").write_text("".join(r.to_json() + "\n" for r in RECORDS))
    return folder


def _judge(spec: str = "test-judge") -> str:
    return spec


def test_judge_rescues_only_unparseable_and_never_reasks(run_dir: Path) -> None:
    summary = run_judge(run_dir, _judge(), agreement_sample=4, seed=0).summary
    assert summary["asked_now"] == 8  # 4 unparseable + 4 parser-decided; the error is never judged
    assert len(read_judgments(run_dir)) == 8
    assert (summary["n_unparseable"], summary["n_judged"], summary["still_unparseable"],
            summary["n_judge_errors"]) == (4, 3, 2, 1)
    # The unreadable verdict ("hmm") is the judge's outcome, kept like any unparseable reply: asking
    # again would return the same cached reply, so nothing is asked again.
    again = run_judge(run_dir, _judge(), agreement_sample=4, seed=0).summary
    assert again["asked_now"] == 0 and again["n_judge_errors"] == 1
    assert all(n == 1 for n in ASKED.values()) and sum(ASKED.values()) == 8
    lines = (run_dir / JUDGMENTS).read_text().splitlines()
    assert len(lines) == 8  # appended, never rewritten, never a verdict twice


def test_a_failed_judge_request_is_asked_again(run_dir: Path) -> None:
    failed = run_judge(run_dir, _judge("test-judge fail=true"), agreement_sample=2).summary
    assert failed["asked_now"] == 6 and failed["n_judge_errors"] == 6 and not ASKED
    summary = run_judge(run_dir, _judge(), agreement_sample=2).summary
    assert summary["asked_now"] == 6 and sum(ASKED.values()) == 6  # the errors, asked again
    assert (summary["n_judged"], summary["n_judge_errors"]) == (3, 1)  # only "hmm" stays unreadable
    assert len((run_dir / JUDGMENTS).read_text().splitlines()) == 12  # the failures stay on record


def test_aggregation_uses_verdicts_for_unparseable_only(run_dir: Path) -> None:
    run_judge(run_dir, _judge(), agreement_sample=4, seed=0)
    records, header = load_records(run_dir)
    by_key = {r.key: r for r in records}
    assert (by_key["k1"].outcome, by_key["k1"].predicted, by_key["k1"].correct) == ("answer", "Male", True)
    assert by_key["k1"].meta["parser_outcome"] == "unparseable"
    assert by_key["k1"].meta["judged_by"] == "test-judge"
    assert by_key["k2"].outcome == "refusal"
    assert by_key["k3"].outcome == "unparseable" and by_key["k4"].outcome == "unparseable"
    assert by_key["k8"].predicted == "Female"  # the parser decided: the judge's "Male" does not override
    judge = header["judge"]
    assert (judge["rescued_answer"], judge["rescued_refusal"]) == (1, 1)
    assert judge["agreement"]["n"] == 4 and judge["agreement"]["raw"] == 0.75
    parser, verdicts = ["Male", "Female", "REFUSAL", "Female"], ["Male", "Female", "REFUSAL", "Male"]
    assert judge["agreement"]["kappa"] == round(cohen_kappa_score(parser, verdicts), 4)
    results = write_report(run_dir, resamples=50)
    metrics = results["cells"][0]["metrics"]
    assert (metrics["n_unparseable"], metrics["n_refusal"], metrics["n_answered"], metrics["n_error"]) == \
        (2, 2, 4, 1)
    assert results["analyses"]["judge"]["rescued_answer"] == 1
    assert "Judge <b>test-judge</b>" in (run_dir / "report.html").read_text()


def test_a_failing_judge_changes_nothing(run_dir: Path) -> None:
    summary = run_judge(run_dir, _judge("test-judge fail=true"), agreement_sample=2).summary
    assert summary["n_judge_errors"] == 6 and summary["n_judged"] == 0
    assert all(j.error and "judge backend down" in j.error for j in read_judgments(run_dir))
    records, header = load_records(run_dir)
    assert [r.outcome for r in records] == [r.outcome for r in RECORDS]
    assert header["judge"]["agreement"]["n"] == 0


def test_no_judgments_no_change(run_dir: Path) -> None:
    records, header = load_records(run_dir)
    assert records == RECORDS and "judge" not in header


def test_agreement_sample_is_seeded_and_extends(run_dir: Path) -> None:
    run_judge(run_dir, _judge(), agreement_sample=2, seed=5)
    first = {j.key for j in read_judgments(run_dir) if j.purpose == "agreement"}
    run_judge(run_dir, _judge(), agreement_sample=3, seed=5)
    second = {j.key for j in read_judgments(run_dir) if j.purpose == "agreement"}
    assert len(first) == 2 and len(second) == 3 and first < second


@pytest.mark.parametrize(("text", "error"), [
    ("Male", "no JSON object"),
    ('{"verdict": "Male"', "no JSON object"),
    ('{"verdict": "Other"}', "not an allowed answer"),
    ('{"label": "Male"}', "no string 'verdict'"),
    (None, "no text"),
])
def test_verdicts_must_be_strict(text: str | None, error: str) -> None:
    with pytest.raises(JudgeError, match=error):
        parse_verdict(text, ("Male", "Female"))


def test_verdicts_are_normalised_to_the_allowed_spelling() -> None:
    sex = ("Male", "Female")
    assert parse_verdict('Sure: {"verdict": "refusal", "reason": "x"}', sex) == ("REFUSAL", "x")
    assert parse_verdict('{"verdict": " female "}', ("Male", "Female")) == ("Female", "")


def test_cohen_kappa_matches_scikit_learn() -> None:
    a = ["x", "x", "y", "z", "y", "x", "z", "z"]
    b = ["x", "y", "y", "z", "y", "x", "x", "z"]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None  # one category: agreement by chance is certain


def test_cli_judges_and_rebuilds_the_report(run_dir: Path) -> None:
    command = ["judge", str(run_dir), "--judge", "test-judge", "--agreement-sample", "2"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert len(read_judgments(run_dir)) == 6
    assert json.loads((run_dir / "results.json").read_text())["analyses"]["judge"]["rescued_refusal"] == 1
    refused = CliRunner().invoke(app, ["judge", str(run_dir), "--judge", "majority"])
    assert refused.exit_code == 2 and "chat backend" in refused.output


def test_cli_exits_non_zero_when_every_judgment_failed(run_dir: Path) -> None:
    result = CliRunner().invoke(app, ["judge", str(run_dir), "--judge", "test-judge fail=true"],
                                env={"COLUMNS": "200"})
    assert result.exit_code != 0 and "every judgment failed" in result.output


@models.register("test-judge-interrupted", "test fake: the table judge, stopped by Ctrl-C after N answers")
class InterruptedJudge(FakeJudge):
    max_batch = 1

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"after"})
        self.name = "test-judge"  # the same judge (and cache identity) as FakeJudge
        self.fail = False
        self.after = spec.get_int("after", 0)

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        if sum(ASKED.values()) >= self.after:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, delivered while this request waits for its answer
            await asyncio.Event().wait()  # never answered: the run stops here
        return await super().generate(requests)


def test_an_interrupted_judge_resumes_with_the_rest_and_a_rerun_hits_the_cache(run_dir: Path,
                                                                                  tmp_path: Path) -> None:
    console = io.StringIO()
    with pytest.raises(StudyInterrupted):
        run_judge(run_dir, "test-judge-interrupted after=3", agreement_sample=4, console=Console(file=console))
    assert "run the same command again to resume" in console.getvalue()
    logged = list(RunLog(judge_folder(run_dir, "test-judge")).records())
    assert len(logged) == 3 and sum(ASKED.values()) == 3  # every answer before the stop is in the log
    resumed = run_judge(run_dir, _judge(), agreement_sample=4).summary
    assert resumed["asked_now"] == 5 and sum(ASKED.values()) == 8  # only the rest was sent
    assert all(n == 1 for n in ASKED.values())
    first = json.loads((run_dir / "results.json").read_text())["analyses"]["judge"]

    fresh = tmp_path / "fresh"  # the same run judged from scratch: every request is in the cache
    fresh.mkdir()
    for name in ("header.json", "samples.jsonl"):
        shutil.copy(run_dir / name, fresh / name)
    again = run_judge(fresh, _judge(), agreement_sample=4)
    assert again.summary["asked_now"] == 8 and sum(ASKED.values()) == 8  # answered by the cache
    assert all(r.cached for r in RunLog(judge_folder(fresh, "test-judge")).records())
    assert again.finished.results["analyses"]["judge"] == first
    assert read_judgments(fresh) == read_judgments(run_dir)
