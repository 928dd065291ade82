"""One vocabulary for every command: each shared option is defined here once, with its help.

A command declares a parameter with one of these types and its own default, e.g.
``seed: Seed = 0`` or ``blind: Blind = True``; the flag, its short alias, its type and its help
are the same wherever it appears (tests/test_cli_vocabulary.py checks every registered command).

=========================  =============================================================================
flag                       meaning
=========================  =============================================================================
``--corpus/-c``            the manifest (JSON lines) of the corpus
``--out/-o``               where the command writes: a run directory (resumed if it exists) for the
                           commands that run models; the corpus written for import, mix, stimuli
``--model/-m``             model spec, repeatable
``--task/-t``              task spec, repeatable
``--transform``            transform spec, repeatable
``--attribute``            attribute name, repeatable
``--defense/-d``           defense spec, repeatable (``-d`` means nothing else)
``--max-per-class``        clip cap: at most N clips per class of each task (class-balanced, seeded)
``--max-per-speaker``      clip cap: at most N clips per speaker (seeded), the same clips for every cell
``--max-requests``         refuse to start a run that plans more requests than N (nothing is sent)
``--blind/--no-blind``     add (or leave out) the blind control: 1 s of silence instead of the clip
``--cascade/--no-cascade`` add (or leave out) the cascade control: speech recognition + a text model
``--cascade-model``        which cascade, ASR+TEXT (default whisper-tiny+minilm); implies ``--cascade``
``--text-only/--no-...``   add (or leave out) the text-only control: the transcript instead of the audio
``--repeats``              samples per clip
``--temperature``          decoding temperature for every backend
``--max-tokens``           token budget for every backend
``--seed``                 seed of every random choice the command makes
``--resamples``            bootstrap resamples for the intervals
``--no-cache``             neither read nor write the response cache
``--fresh``                delete the run directory first instead of resuming it
``--json``                 print the result as JSON instead of tables
``--config``               a YAML file of the command's options; flags on the command line win
=========================  =============================================================================

Why ``--cascade`` is a flag plus ``--cascade-model`` and not one option with an optional value: the
installed Typer (0.29) parses with its own copy of click's parser, which has no option with an
optional value (its ``is_flag``/``flag_value`` are documented as "not fully functional"), so
``--cascade [ASR+TEXT]`` cannot be declared. A flag that always means "add the control" and a
second option that always names the cascade keep each flag to one meaning.

Flags this vocabulary retires (each had a second meaning or a second name): ``privilege --e2e``
(now ``-m``), ``privilege --cascade ASR+TEXT`` (``--cascade-model``), ``privilege --blind SPEC``
(``--blind/--no-blind``), ``privilege --control`` (``--text-only``), ``privilege --per-speaker`` and
``defend --clips-per-speaker`` (``--max-per-speaker``; ``mix --per-speaker`` counts mixtures),
``decisions -d`` (``-d`` is ``--defense``), ``import --probe`` (``--read-audio``; ``--probe`` names the
voiceprint model).

``--config FILE.yaml``: keys are the command's option names, with dashes or underscores
(``max-per-class: 100``); a repeatable option takes a list and may be written in the plural
(``models: [probe]``); a mapping groups options (``decoding: {temperature: 0.7}``). Every key is
checked before the command runs: an unknown key or a bad value is an error naming the file and
the key. The file only sets defaults: a flag given on the command line overrides it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

#: the cascade the cascade control adds unless --cascade-model names another
DEFAULT_CASCADE_MODEL = "whisper-tiny+minilm"

# --- what is audited -------------------------------------------------------------------------------
Corpus = Annotated[Path | None, typer.Option("--corpus", "-c", help="Manifest (JSON lines) of the corpus.")]
Models = Annotated[list[str] | None, typer.Option(
    "--model", "-m", help="Model spec, repeatable: probe, majority, uniform, 'openai:gpt-4o-audio-preview', "
    "'transformers:PATH' ... (see: voiceleak list models).")]
Tasks = Annotated[list[str] | None, typer.Option(
    "--task", "-t", help="Task spec, repeatable: 'attribute' = every labelled attribute, 'sensitive' = every "
    "labelled sensitive one, 'attribute:age prompts=hearsay-main' ... (see: voiceleak list tasks).")]
Transforms = Annotated[list[str] | None, typer.Option(
    "--transform", help="Transform spec, repeatable (see: voiceleak list transforms).")]
Attributes = Annotated[list[str] | None, typer.Option(
    "--attribute", help="Attribute, repeatable (see: voiceleak list attributes); the default is the "
    "command's own, given in its description.")]
Defenses = Annotated[list[str] | None, typer.Option(
    "--defense", "-d", help="Defense spec, repeatable. A comma list of strengths draws a curve: "
    "'mcadams:0.7,0.8,0.9', 'pitch:+2,+4', 'noise:snr=20,10,5', 'bandlimit:3400', 'telephone', "
    "'prompt-guard:2', 'output-filter'.")]

# --- where results go ------------------------------------------------------------------------------
RunDir = Annotated[Path, typer.Option("--out", "-o", help="Run directory (resumes if it exists).")]
CorpusOut = Annotated[Path, typer.Option(
    "--out", "-o", help="Where the corpus is written: the manifest file (import) or a folder for "
    "manifest.jsonl and audio/ (mix, stimuli).")]
Fresh = Annotated[bool, typer.Option("--fresh", help="Delete the run directory first instead of resuming it.")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON (for scripts) instead of tables.")]

# --- how much is sent ------------------------------------------------------------------------------
MaxPerClass = Annotated[int | None, typer.Option(
    "--max-per-class", min=1, help="Clip cap: at most this many clips per class of each task (class-balanced, "
    "seeded; a task without classes: per task). Bounds what a paid API is sent.")]
MaxPerSpeaker = Annotated[int | None, typer.Option(
    "--max-per-speaker", min=1, help="Clip cap: at most this many clips per speaker (seeded), the same clips "
    "for every model, task and transform.")]
MaxRequests = Annotated[int | None, typer.Option(
    "--max-requests", help="Refuse to start if the run plans more requests than this to served models "
    "(nothing is sent): a budget guard for paid APIs.")]

# --- controls: each adds one condition beside the model's, with the same meaning everywhere ----------
Blind = Annotated[bool, typer.Option(
    "--blind/--no-blind", help="Add the blind control: the model hears 1 s of silence instead of the clip "
    "(what it answers without any voice).")]
Cascade = Annotated[bool, typer.Option(
    "--cascade/--no-cascade", help="Add the cascade control: speech recognition, then a text-only model "
    "(what the words alone reveal); --cascade-model chooses which.")]
CascadeModel = Annotated[str, typer.Option(
    "--cascade-model", metavar="ASR+TEXT", help="The cascade, ASR+TEXT: e.g. 'whisper-base+openai:gpt-4o-mini'; "
    "asr.KEY=V / text.KEY=V pass arguments to a stage. Giving it implies --cascade.")]
TextOnly = Annotated[bool, typer.Option(
    "--text-only/--no-text-only", help="Add the text-only control: the model is given the clip's transcript "
    "instead of its audio.")]

# --- decoding and statistics -----------------------------------------------------------------------
Repeats = Annotated[int, typer.Option("--repeats", min=1, help="Samples per clip (use with --temperature > 0).")]
Temperature = Annotated[float, typer.Option("--temperature", help="Decoding temperature for every backend.")]
MaxTokens = Annotated[int, typer.Option("--max-tokens", help="Token budget per answer, for every backend.")]
Seed = Annotated[int | None, typer.Option(
    "--seed", help="Seed of every random choice the command makes (clip caps and subsets, trials, decoding, "
    "order): the same seed repeats the same choices.")]
Resamples = Annotated[int, typer.Option("--resamples", min=1, help="Bootstrap resamples for the intervals.")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the response cache.")]


# --- --config: a YAML file of the command's options -----------------------------------------------
def read_config_file(path: Path) -> dict[str, Any]:
    """The file's mapping, or BadParameter naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise typer.BadParameter(f"{path}: cannot read the config ({exc})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{path}: a config is a mapping of option: value, not {type(data).__name__}")
    return data


def flat_entries(data: Mapping[str, Any], options: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(label, key, value) for every entry; a mapping whose name is no option groups options
    (``decoding: {temperature: 0}`` as in audit.yaml), its entries labelled ``decoding.temperature``."""
    for key, value in data.items():
        name = str(key).replace("-", "_")
        if isinstance(value, dict) and name not in options:
            for sub, inner in value.items():
                yield f"{key}.{sub}", str(sub).replace("-", "_"), inner
        else:
            yield str(key), name, value


def option_for(name: str, options: Mapping[str, Any]) -> Any | None:
    """The parameter a key sets: its own name, or the plural of a repeatable option (models: -> --model)."""
    if name in options:
        return options[name]
    singular = options.get(name[:-1]) if name.endswith("s") else None
    return singular if singular is not None and singular.multiple else None


def config_defaults(ctx: typer.Context, path: Path) -> dict[str, Any]:
    """The file's values by parameter name, each checked against its option; every problem is named."""
    options = {p.name: p for p in ctx.command.params if p.name and p.name != "config"}
    defaults: dict[str, Any] = {}
    problems: list[str] = []
    for label, name, value in flat_entries(read_config_file(path), options):
        param = option_for(name, options)
        if param is None:
            problems.append(f"{label}: unknown key (this command's keys: {', '.join(sorted(options))})")
            continue
        if param.multiple and not isinstance(value, list):
            value = [value]  # a single value where a list is expected: `model: probe`
        if param.name in defaults and defaults[param.name] != value:
            problems.append(f"{label}: sets {param.name} a second time")
            continue
        try:
            param.process_value(ctx, value)  # the option's own type check, before anything runs
        except typer.BadParameter as exc:
            problems.append(f"{label}: {exc.message}")
            continue
        defaults[param.name] = value
    if problems:
        raise typer.BadParameter(f"{path}: {'; '.join(problems)}")
    return defaults


def load_config(ctx: typer.Context, value: Path | None) -> Path | None:
    """Eager: runs before every other option, so the file's values become the command's defaults
    (click's default_map) and a flag on the command line still overrides them."""
    if value is not None and not ctx.resilient_parsing:
        ctx.default_map = {**(ctx.default_map or {}), **config_defaults(ctx, value)}
    return value


Config = Annotated[Path | None, typer.Option(
    "--config", is_eager=True, callback=load_config, metavar="FILE.yaml",
    help="YAML file of this command's options (keys: the option names, e.g. max-per-class: 100; lists for "
    "repeatable ones). Flags on the command line override the file.")]
