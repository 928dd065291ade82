"""The command line as a user meets it: listing, config files, reports, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceleak.cli import app

runner = CliRunner()


@pytest.mark.parametrize(("kind", "expected"), [
    ("models", "probe"), ("tasks", "speaker-id"), ("transforms", "blind"), ("attributes", "social_stratum"),
    ("prompts", "hearsay-defense"),
])
def test_list_shows_what_can_be_named(kind: str, expected: str) -> None:
    result = runner.invoke(app, ["list", kind], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and expected in result.output


def test_every_command_explains_itself_with_an_example() -> None:
    for command in ("run", "demo", "report", "validate", "list", "privilege", "defend", "decisions", "judge",
                    "check-model", "import"):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, command
        assert "Example" in result.output or "voiceleak " in result.output, command


def test_run_from_a_config_file_then_report_again(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    config = tmp_path / "audit.yaml"
    config.write_text(f"corpus: {corpus}\nmodels: [uniform]\ntasks: ['attribute:sex']\n"
                      f"transforms: [none, 'blind:noise']\nout: {out}\n")
    result = runner.invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 0, result.output
    header = json.loads((out / "header.json").read_text())
    assert header["config"]["transforms"] == ["none", "blind:noise"]
    (out / "results.json").unlink()
    again = runner.invoke(app, ["report", str(out)])
    assert again.exit_code == 0 and (out / "results.json").is_file()


def test_a_bad_config_names_the_file_and_each_field(corpus: Path, tmp_path: Path) -> None:
    config = tmp_path / "audit.yaml"
    config.write_text(f"corpus: {corpus}\nmodels: [uniform]\nrepeats: two\ncolour: red\n")
    result = runner.invoke(app, ["run", "--config", str(config)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "audit.yaml" in result.output and "repeats" in result.output and "colour" in result.output


def test_an_unknown_model_gets_a_suggestion_not_a_traceback(corpus: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "-c", str(corpus), "-m", "prob", "-o", str(tmp_path / "r")],
                           env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "did you mean 'probe'" in result.output and "Traceback" not in result.output


def test_validate_exit_codes(corpus: Path) -> None:
    assert runner.invoke(app, ["validate", str(corpus)]).exit_code == 0
    with open(corpus, "a") as handle:
        handle.write("{not json\n")
    result = runner.invoke(app, ["validate", str(corpus)], env={"COLUMNS": "300"})
    assert result.exit_code == 1 and "not valid JSON" in result.output


def test_report_on_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2 and "not a run directory" in result.output


def test_every_control_is_one_flag_away(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--blind, --baselines and --cascade each add their control to the matrix."""
    from voiceleak.cli import run as run_module

    captured = {}
    monkeypatch.setattr(run_module, "execute_run", lambda config, options, *_, **__: captured.update(config=config))
    result = runner.invoke(app, ["run", "-c", str(corpus), "-m", "probe", "--blind", "--baselines", "--cascade",
                                 "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    config = captured["config"]
    assert config.models == ("probe", "cascade:whisper-tiny+minilm", "majority", "uniform")
    assert config.transforms == ("none", "blind:silence")
