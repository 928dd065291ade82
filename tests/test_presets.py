"""`voiceleak run --preset hearsay` against the local chat server: HearSay's protocol in one run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from servers.chat_server import ChatServer
from test_report_browser import CHROMIUM, browse
from voiceleak.cli import app
from voiceleak.studies.presets import load_preset
from voiceleak.tasks.expand import expand_names
from voiceleak.types import Clip


@pytest.fixture(autouse=True)
def fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-voiceleak-FAKE-0000000000")


def test_attribute_with_prompts_means_every_labelled_attribute_with_those_prompts() -> None:
    # Two classes each: an attribute the corpus labels with one class only cannot be measured.
    clips = [Clip("a", Path("a.wav"), "s", {"sex": "Male", "age": "20s"}, None, "test"),
             Clip("b", Path("b.wav"), "t", {"sex": "Female", "age": "40s"}, None, "test")]
    names = expand_names(["attribute prompts=hearsay-main", "attribute:* prompts=hearsay-cot"], clips)
    assert "attribute:sex prompts=hearsay-main" in names and "attribute:age prompts=hearsay-cot" in names
    assert all("prompts=" in n for n in names) and len(names) == 4


def test_the_hearsay_preset_names_eight_attributes_three_settings_and_a_sampled_blind_test() -> None:
    preset = load_preset("hearsay")
    assert len(preset.attributes) == 8 and set(preset.settings.values()) == {"hearsay-main", "hearsay-defense",
                                                                             "hearsay-cot"}
    assert preset.all_transforms() == ("none", "sampled:0.7 control=blind:silence")
    assert preset.transform_caps() == (("sampled:0.7 control=blind:silence", 50),)


def test_preset_hearsay_runs_end_to_end_with_its_tables(server: ChatServer, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", "--preset", "hearsay", "-m", f"openai:sim base_url={server.url}/v1",
                                      "-c", str(corpus), "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    cells = Counter((r["task"], r["transform"]) for r in records)
    # the corpus labels sex only (of HearSay's eight): 3 settings x (24 real clips + 24 blind, under the cap of 50)
    assert set(cells) == {(f"attribute:sex prompts={p}", t) for p in ("hearsay-main", "hearsay-defense", "hearsay-cot")
                          for t in ("none", "sampled:0.7 control=blind:silence")}
    assert all(n == 24 for n in cells.values())
    # the blind control (silence: no pitch) is decoded at 0.7; the real audio at the run's temperature 0
    temperatures = Counter((r.body.get("temperature"), bool(r.heard) and r.heard[0].f0 is not None)
                           for r in server.received)
    assert temperatures[(0.7, False)] == 72 and temperatures[(0.0, True)] == 72, temperatures
    header = json.loads((out / "header.json").read_text())
    assert header["transforms"]["sampled:0.7 control=blind:silence"]["temperature"] == 0.7
    assert "hearsay-cot" in json.dumps(header["tasks"])  # the prompt texts that ran are in the header
    page = (out / "report.html").read_text()
    assert "HearSay&#x27;s comparisons" in page or "HearSay's comparisons" in page
    for words in ("profiler + CoT", "privacy-prompt defense", "leakage over blind", "Blind test"):
        assert words in page
    results = json.loads((out / "results.json").read_text())
    blind = [r for r in results["analyses"]["blind"] if r["model"].startswith("openai")]
    # the simulated model declines to guess from silence: HearSay's blind refusal, with its interval
    assert len(blind) == 3 and all(r["refusal_rate"]["value"] == 1.0 for r in blind)
    assert all(r["leakage_over_blind"]["difference"]["value"] is not None for r in blind)
    if CHROMIUM:  # HearSay's tables fit 1280 px too
        for name in ("index.html", "report.html", "samples.html"):
            checks, _ = browse(out / name, tmp_path)
            assert checks["errors"] == [] and checks["scrollWidth"] <= 1280, (name, checks)


def test_the_request_count_is_stated_before_sending_and_can_be_capped(server: ChatServer, corpus: Path,
                                                                      tmp_path: Path) -> None:
    args = ["run", "--preset", "hearsay", "-m", f"openai:sim base_url={server.url}/v1", "-c", str(corpus),
            "-o", str(tmp_path / "r"), "--max-requests", "100"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0 and "plans 144 requests, over --max-requests 100" in " ".join(result.output.split())
    assert not server.received  # nothing was sent
    result = CliRunner().invoke(app, [*args[:-1], "144"])
    assert result.exit_code == 0 and "Plan: 144 requests (144 to openai:sim" in " ".join(result.output.split())


def test_an_unknown_preset_is_named_with_the_shipped_ones(corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--preset", "hearsy", "-m", "uniform", "-c", str(corpus),
                                      "-o", str(tmp_path / "r")])
    assert result.exit_code != 0 and "hearsay" in result.output
