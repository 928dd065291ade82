"""Output-side defenses through the runner, and the whole `voiceleak defend` command on the demo corpus."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from voiceleak.cli import app
from voiceleak.models.base import LocalModel, models
from voiceleak.report.build import write_report as rebuild_report
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.spec import Spec
from voiceleak.types import Request, Response


@models.register("test-candid", "test double: names the speaker's sex unless told not to")
class Candid(LocalModel):
    """Says "Female." to every question; obeys a privacy instruction in the system prompt."""

    def __init__(self, spec: Spec) -> None:
        self.name = str(spec)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return [Response(r.id, "I cannot determine that from the audio." if "Privacy" in (r.system or "")
                         else "Female.") for r in requests]


def test_the_output_filter_turns_leaks_into_refusals_in_the_log(corpus: Path, tmp_path: Path) -> None:
    config = RunConfig(corpus=str(corpus), models=("test-candid",), tasks=("attribute:sex",),
                       transforms=("none", "output-filter"))
    runner = Runner(config, RunOptions(out=tmp_path / "run", quiet=True))
    runner.execute()
    records = list(RunLog(tmp_path / "run").records())
    plain = [r for r in records if r.transform == "none"]
    filtered = [r for r in records if r.transform == "output-filter"]
    assert len(plain) == len(filtered) == 24
    assert {r.outcome for r in plain} == {"answer"} and {r.predicted for r in plain} == {"Female"}
    assert {r.outcome for r in filtered} == {"refusal"}
    assert all(r.meta["filtered"] and r.meta["unfiltered"] == "Female." for r in filtered)


@pytest.fixture
def torch_threads_restored() -> Iterator[None]:
    """`voiceleak defend` sets torch to one thread for its process; give the other tests theirs back."""
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    yield
    torch.set_num_threads(previous)


@pytest.mark.slow
@pytest.mark.usefixtures("torch_threads_restored")
def test_defend_on_a_demo_subset_scores_privacy_against_utility(tmp_path: Path) -> None:
    out = tmp_path / "defend"
    args = ["defend", "-m", "test-candid", "-d", "mcadams:0.8", "-d", "prompt-guard:2", "-d", "output-filter",
            "--utility-task", "attribute:language", "--max-per-speaker", "2", "--asr-clips", "2",
            "--trials-per-speaker", "1", "--resamples", "200", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "privacy vs utility per defense" in result.output

    data = json.loads((out / "results.json").read_text())["analyses"]["defenses"]
    rows = {row["name"]: row for row in data["rows"]}
    assert list(rows) == ["none", "mcadams:0.8", "prompt-guard:2", "output-filter"]
    assert data["tasks"] == ["attribute:sex", "attribute:regional_accent"]
    sex = {name: row["attributes"]["attribute:sex"] for name, row in rows.items()}
    assert sex["none"]["test-candid"]["n"] == 20 and sex["none"]["probe"]["n"] == 20
    # The candid model's answer is always Female: half the classes right, until a defense stops it.
    assert sex["none"]["test-candid"]["balanced_accuracy"]["value"] == 0.5
    for guarded in ("prompt-guard:2", "output-filter"):
        assert sex[guarded]["test-candid"]["refusal_rate"] == 1.0
        assert sex[guarded]["test-candid"]["balanced_accuracy"]["value"] == 0.0
        # Text-side defenses do not touch the audio: the voiceprint attackers are unaffected.
        assert sex[guarded]["probe"] == sex["none"]["probe"]
        assert rows[guarded]["verification"]["same_as"] == "none"
    # The output filter also withholds the application's answers that name a sensitive class.
    assert rows["output-filter"]["utility_task"]["n"] == 20

    for name in ("none", "mcadams:0.8"):
        for attacker in ("ignorant", "lazy_informed"):
            eer = rows[name]["verification"][attacker]["eer"]
            assert eer["low"] <= eer["value"] <= eer["high"]
        assert rows[name]["verification"]["lazy_informed"]["n_trials"] == 20
        assert rows[name]["wer"]["n_clips"] == 2 and rows[name]["wer"]["wer"]["value"] is not None
    assert rows["none"]["verification"]["ignorant"] == rows["none"]["verification"]["lazy_informed"]

    html = (out / "report.html").read_text()
    assert "Defenses: privacy against utility" in html and html.count("data:image/png") >= 2
    # Every figure comes from the log: transcripts and attacker scores are records, nothing beside it.
    records = list(RunLog(out).records())
    transcribed = [r for r in records if r.model == "asr:whisper-tiny"]
    assert {r.transform for r in transcribed} == {"none", "mcadams:0.8"} and len(transcribed) == 4
    attacks = [r for r in records if r.model == "voiceprint-attacker" and r.task == "verification:ignorant"]
    assert len(attacks) == 2 * 20 and not (out / "defense_measurements.json").exists()

    # Resuming adds nothing, and re-reporting from the log keeps the defense table.
    samples = (out / "samples.jsonl").read_text()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert (out / "samples.jsonl").read_text() == samples
    assert rebuild_report(out, resamples=100)["analyses"]["defenses"]["rows"][1]["name"] == "mcadams:0.8"
