"""One vocabulary on the command line: a flag means one thing, with one short alias and one type, in
every command that has it; every study takes --config; `voiceleak --version`.

Parametrised over every command registered on the Typer app, so a new command is checked as soon as
it exists. The shared options are the Annotated types of voiceleak.cli.options.
"""

from __future__ import annotations

import json
import types
import typing
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from voiceleak.cli import app
from voiceleak.cli import options as vocabulary

runner = CliRunner()
WIDE = {"COLUMNS": "300"}
#: commands that run a study (models over clips, into a run directory): each takes --config
STUDY_COMMANDS = ("run", "privilege", "decisions", "defend", "judge")

Shape = tuple[str, tuple[str, ...], tuple[str, ...], str, bool, bool]


def commands() -> dict[str, Any]:
    group = typer.main.get_command(app)
    return dict(sorted(group.commands.items()))  # type: ignore[attr-defined]


def options_of(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "option"]


def long_flag(param: Any) -> str:
    return max(param.opts, key=len)


def base_type(annotation: Any) -> str:
    """The value type behind Optional and list: `list[str] | None` and `list[str]` are both str."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in {typing.Union, types.UnionType} and len(args) == 1:
        return base_type(args[0])
    if typing.get_origin(annotation) is list:
        return base_type(args[0])
    return getattr(annotation, "__name__", str(annotation))


def shape(param: Any) -> Shape:
    """Everything a user sees of an option but its default: flag, short aliases, negation, type, arity."""
    shorts = tuple(sorted(o for o in param.opts if not o.startswith("--")))
    return (long_flag(param), shorts, tuple(param.secondary_opts), base_type(param.type_descriptor.annotation),
            bool(param.multiple), bool(param.is_flag))


def vocabulary_options() -> dict[str, list[Any]]:
    """Each Annotated option type of voiceleak.cli.options, built into a parameter as a command would,
    by long flag (--out has two: a run directory, a corpus written)."""
    found: dict[str, list[Any]] = defaultdict(list)
    for value in vars(vocabulary).values():
        metadata = getattr(value, "__metadata__", ())
        if not any(isinstance(m, typer.models.OptionInfo) for m in metadata):
            continue
        probe = typer.Typer()
        probe.command()(make_command(value))
        probe.command("other")(lambda: None)  # two commands: a group, so the first keeps its name
        param = options_of(typer.main.get_command(probe).commands["main"])[0]  # type: ignore[attr-defined]
        found[long_flag(param)].append(param)
    return dict(found)


def make_command(annotation: Any) -> Any:
    def main(value: Any = None) -> None:
        pass

    main.__annotations__ = {"value": annotation, "return": None}
    return main


VOCABULARY = vocabulary_options()
COMMANDS = commands()
USES = [(name, p) for name, command in COMMANDS.items() for p in options_of(command)]
BY_FLAG: dict[str, list[tuple[str, Any]]] = defaultdict(list)
for _name, _param in USES:
    BY_FLAG[long_flag(_param)].append((_name, _param))
SHARED = sorted(flag for flag, uses in BY_FLAG.items() if len(uses) > 1 and flag != "--help")
VOCABULARY_USES = [(name, p) for name, p in USES if long_flag(p) in VOCABULARY]
RUN_DIR_HELP = {p.help for p in VOCABULARY["--out"] if "Run directory" in (p.help or "")}


def runs_a_study(command: Any) -> bool:
    """Models over a corpus into a run directory: --corpus and the run-directory --out."""
    flags = {long_flag(p): p for p in options_of(command)}
    return "--corpus" in flags and "--out" in flags and flags["--out"].help in RUN_DIR_HELP


STUDIES = sorted({*STUDY_COMMANDS, *(name for name, command in COMMANDS.items() if runs_a_study(command))})


def test_the_vocabulary_is_what_the_module_documents() -> None:
    """Every shared option is in the table of options.py's docstring, so adopters can follow it."""
    doc = vocabulary.__doc__ or ""
    missing = [flag for flag in VOCABULARY if f"``{flag}" not in doc]
    assert not missing, f"options.py defines {missing} but its table does not list them"
    assert {"--corpus", "--out", "--model", "--max-per-class", "--blind", "--cascade", "--config", "--seed",
            "--resamples", "--no-cache", "--json", "--fresh", "--max-requests"} <= set(VOCABULARY)


@pytest.mark.parametrize("flag", SHARED)
def test_a_flag_in_two_commands_comes_from_the_vocabulary(flag: str) -> None:
    """A long flag two commands share is defined once, in options.py, or it can drift apart."""
    users = sorted({name for name, _ in BY_FLAG[flag]})
    assert flag in VOCABULARY, f"{flag} is declared separately in {users}: define it once in cli/options.py"


@pytest.mark.parametrize(("command", "param"), VOCABULARY_USES,
                         ids=[f"{c}:{long_flag(p)}" for c, p in VOCABULARY_USES])
def test_a_shared_flag_has_one_alias_type_and_meaning(command: str, param: Any) -> None:
    """The flag's short alias, negation, type, arity and help are the vocabulary's, in every command."""
    flag = long_flag(param)
    allowed = {(shape(v), v.help) for v in VOCABULARY[flag]}
    assert (shape(param), param.help) in allowed, (
        f"`voiceleak {command} {flag}` differs from cli/options.py:\n  here: {shape(param)} {param.help!r}\n"
        f"  vocabulary: {sorted(allowed)}")


@pytest.mark.parametrize("flag", sorted(BY_FLAG))
def test_a_long_flag_has_one_shape_in_every_command(flag: str) -> None:
    shapes = {shape(p): name for name, p in BY_FLAG[flag]}
    assert len(shapes) == 1, f"{flag} differs between commands: {shapes}"


def test_no_short_alias_has_two_meanings() -> None:
    meanings: dict[str, set[str]] = defaultdict(set)
    for _, param in USES:
        for short in shape(param)[1]:
            meanings[short].add(long_flag(param))
    for flags in VOCABULARY.values():  # the vocabulary reserves its aliases, used yet or not
        for short in shape(flags[0])[1]:
            meanings[short].add(long_flag(flags[0]))
    doubled = {short: sorted(flags) for short, flags in meanings.items() if len(flags) > 1}
    assert not doubled, f"short aliases with two meanings: {doubled}"


@pytest.mark.parametrize("command", STUDIES)
def test_every_study_command_takes_a_config_file(command: str) -> None:
    assert command in COMMANDS
    configs = [p for p in options_of(COMMANDS[command]) if long_flag(p) == "--config"]
    assert configs and configs[0].callback is not None and configs[0].is_eager, (
        f"`voiceleak {command}` has no --config of cli/options.py")


@pytest.mark.parametrize("command", STUDIES)
def test_an_unknown_key_is_named_with_its_file(command: str, tmp_path: Path) -> None:
    config = tmp_path / "study.yaml"
    config.write_text("colour: red\nseed: 3\n")
    result = runner.invoke(app, [command, "--config", str(config)], env=WIDE)
    assert result.exit_code == 2, result.output
    assert "study.yaml" in result.output and "colour" in result.output and "unknown key" in result.output


@pytest.mark.parametrize("command", STUDIES)
def test_a_bad_value_is_named_with_its_key(command: str, tmp_path: Path) -> None:
    config = tmp_path / "study.yaml"
    config.write_text("resamples: many\n")
    result = runner.invoke(app, [command, "--config", str(config)], env=WIDE)
    assert result.exit_code == 2, result.output
    assert "study.yaml" in result.output and "resamples" in result.output


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What `voiceleak run` would run, without running it."""
    from voiceleak.cli import run as run_module

    seen: dict[str, Any] = {}
    monkeypatch.setattr(run_module, "execute_run",
                        lambda config, options, *_, **__: seen.update(config=config, options=options))
    return seen


def test_a_config_file_sets_options_and_a_flag_overrides_it(corpus: Path, tmp_path: Path,
                                                             captured: dict[str, Any]) -> None:
    config = tmp_path / "study.yaml"
    config.write_text(f"corpus: {corpus}\nmodel: probe\nmax-per-class: 3\nblind: true\nresamples: 50\n"
                      f"seed: 7\ndecoding: {{temperature: 0.5}}\nout: {tmp_path / 'from-file'}\n")
    result = runner.invoke(app, ["run", "--config", str(config)], env=WIDE)
    assert result.exit_code == 0, result.output
    chosen, options = captured["config"], captured["options"]
    assert chosen.models == ("probe",) and chosen.max_per_class == 3 and chosen.seed == 7
    assert chosen.transforms == ("none", "blind:silence") and chosen.decoding.temperature == 0.5
    assert options.resamples == 50 and options.out == tmp_path / "from-file"

    result = runner.invoke(app, ["run", "--max-per-class", "5", "--no-blind", "-m", "majority", "--config",
                                 str(config), "--temperature", "0"], env=WIDE)
    assert result.exit_code == 0, result.output
    chosen = captured["config"]
    assert chosen.models == ("majority",) and chosen.max_per_class == 5 and chosen.seed == 7
    assert chosen.transforms == ("none",) and chosen.decoding.temperature == 0.0


def test_two_keys_for_one_option_are_refused(corpus: Path, tmp_path: Path) -> None:
    config = tmp_path / "study.yaml"
    config.write_text(f"corpus: {corpus}\nmodel: [probe]\nmodels: [uniform]\n")
    result = runner.invoke(app, ["run", "--config", str(config)], env=WIDE)
    assert result.exit_code == 2 and "models" in result.output and "second time" in result.output


def test_a_json_config_works_too(corpus: Path, tmp_path: Path, captured: dict[str, Any]) -> None:
    config = tmp_path / "study.json"
    config.write_text(json.dumps({"corpus": str(corpus), "models": ["uniform"], "max_per_class": 2}))
    result = runner.invoke(app, ["run", "--config", str(config)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert captured["config"].models == ("uniform",) and captured["config"].max_per_class == 2


def test_naming_a_cascade_adds_it(corpus: Path, tmp_path: Path, captured: dict[str, Any]) -> None:
    args = ["run", "-c", str(corpus), "-m", "probe", "-o", str(tmp_path / "r")]
    assert runner.invoke(app, [*args, "--cascade"]).exit_code == 0
    assert captured["config"].models == ("probe", "cascade:whisper-tiny+minilm")
    result = runner.invoke(app, [*args, "--cascade-model", "whisper-base+minilm"])
    assert result.exit_code == 0, result.output
    assert captured["config"].models == ("probe", "cascade:whisper-base+minilm")


def test_a_flag_given_wins_over_the_presets_decoding(corpus: Path, tmp_path: Path,
                                                      captured: dict[str, Any]) -> None:
    args = ["run", "--preset", "hearsay", "-c", str(corpus), "-m", "uniform", "-o", str(tmp_path / "r")]
    assert runner.invoke(app, args).exit_code == 0
    assert captured["config"].decoding.max_tokens == 512  # the preset's, over the option's default
    assert runner.invoke(app, [*args, "--max-tokens", "100"]).exit_code == 0
    assert captured["config"].decoding.max_tokens == 100


def test_version_prints_the_installed_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"voiceleak {version('voiceleak')}"
