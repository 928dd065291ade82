"""`voiceleak run`: models x tasks x transforms over a corpus, resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from voiceleak.attributes import UnknownAttributeError
from voiceleak.cli.app import app, console, err, fail
from voiceleak.corpus.manifest import ManifestError
from voiceleak.models.http_common import redact_secrets, secret_forms
from voiceleak.presets import load_preset
from voiceleak.registry import UnknownNameError
from voiceleak.report.console import print_summary
from voiceleak.runner.audit_file import AuditFile, load_audit_file
from voiceleak.runner.context import DEFAULT_DEADLINE_S, BackendDownError
from voiceleak.runner.executor import build_executor
from voiceleak.runner.log import MAX_ATTEMPTS, RunDirError
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.spec import HIDDEN, SECRET_PREFIX, SpecError, hide_secrets, parse_spec
from voiceleak.types import Decoding

DEFAULT_CASCADE = "cascade:whisper-tiny+minilm"
USER_ERRORS = (ManifestError, UnknownNameError, UnknownAttributeError, SpecError, RunDirError, ValueError, KeyError,
               BackendDownError, OSError)  # OSError: a full disk, a read-only run directory or cache (named)


def hidden_values(config: RunConfig) -> list[str]:
    """The values of every `header.*` argument of the run's models: secrets no message may show."""
    values: list[str] = []
    for text in config.models:
        try:
            spec = parse_spec(text)
        except SpecError:
            continue
        values += [v for k, v in spec.params.items() if k.startswith(SECRET_PREFIX)]
    return secret_forms(values)


def clean(message: str, config: RunConfig) -> str:
    message = hide_secrets(redact_secrets(message))
    for value in hidden_values(config):
        message = message.replace(value, HIDDEN)
    return message


def request_plan(runner: Runner) -> dict[str, int]:
    """Planned requests per model served over HTTP (a remote host or a local server); in-process models
    (the probe, the baselines, transformers) send none."""
    plan: dict[str, int] = {}
    for group in runner.groups:
        model = runner.models.get(group.model)
        if getattr(model, "remote_host", None) or getattr(model, "base_url", None):
            plan[group.model] = plan.get(group.model, 0) + group.size
    return plan


def state_requests(runner: Runner, max_requests: int | None) -> None:
    """Say how many requests the run plans before any is sent; refuse above the cap."""
    plan = request_plan(runner)
    if not plan:
        return
    total = sum(plan.values())
    err.print(f"Plan: {total:,} requests ({'; '.join(f'{n:,} to {m}' for m, n in plan.items())}); finished "
              "samples of a resumed run are not sent again.", markup=False)
    if max_requests is not None and total > max_requests:
        raise fail(f"the run plans {total:,} requests, over --max-requests {max_requests:,}: lower it with "
                   "--max-per-class, fewer tasks or models, or raise the cap")


def execute_run(config: RunConfig, options: RunOptions, max_requests: int | None = None) -> dict[str, object]:
    """Run, report and print the summary; user mistakes become clear messages, not tracebacks."""
    try:
        runner = Runner(config, options, console=err)
        state_requests(runner, max_requests)
        added = runner.execute()
    except USER_ERRORS as exc:
        raise fail(clean(str(exc), config)) from exc
    except KeyboardInterrupt as exc:
        err.print(f"[yellow]Interrupted. Every finished sample is in {escape(str(options.out))}; "
                  "run the same command again to resume.[/]")
        raise typer.Exit(130) from exc
    try:
        results = runner.finish()
    except (OSError, RunDirError) as exc:
        raise fail(f"the samples are safe in {options.out}, but the report could not be written: "
                   f"{clean(str(exc), config)}; free space, then run: voiceleak report {options.out}") from exc
    err.print(f"{added} new samples; results in {options.out}/results.json and {options.out}/report.html",
              markup=False)
    retry, final = runner.log.remaining_errors()
    if retry:
        err.print(f"[yellow]{retry} sample(s) ended in an error; run the same command again to retry them "
                  f"(each is asked at most {MAX_ATTEMPTS} times in all).[/]")
    if final:
        err.print(f"{final} sample(s) are errors a re-run will not change (not estimable, or failed "
                  f"{MAX_ATTEMPTS} times); they are counted as errors, never as answers.")
    print_summary(results, console, options.out)
    return results


@app.command()
def run(
    corpus: Path = typer.Option(None, "--corpus", "-c", help="Manifest (JSON lines) of the corpus."),
    model: list[str] = typer.Option(None, "--model", "-m", help="Model spec, repeatable: probe, majority, "
                                    "'openai:gpt-4o-audio-preview', 'transformers:PATH' ..."),
    task: list[str] = typer.Option(None, "--task", "-t", help="Task spec, repeatable; 'attribute' = every "
                                   "labelled attribute. Example: 'attribute:age prompts=hearsay-main'."),
    transform: list[str] = typer.Option(None, "--transform", help="Transform spec, repeatable (default none)."),
    blind: bool = typer.Option(False, "--blind", help="Also run the blind control (1 s of silence)."),
    baselines: bool = typer.Option(False, "--baselines", help="Also run the majority and uniform baselines."),
    cascade: bool = typer.Option(False, "--cascade", help=f"Also run the offline cascade ({DEFAULT_CASCADE}): "
                                 "what speech recognition + a text model reach from the words alone."),
    repeats: int = typer.Option(1, help="Samples per clip (use with --temperature > 0)."),
    temperature: float = typer.Option(0.0, help="Decoding temperature for every backend."),
    max_tokens: int = typer.Option(256, help="Token budget for every backend."),
    max_per_class: int = typer.Option(None, help="Class-balanced cap per attribute class (seeded)."),
    seed: int = typer.Option(0, help="Seed for sampling and decoding."),
    out: Path = typer.Option(Path("runs/latest"), "--out", "-o", help="Run directory (resumes if it exists)."),
    config: Path = typer.Option(None, "--config", help="audit.yaml with the full matrix (keys of RunConfig)."),
    executor: str = typer.Option("local", help="Executor spec: 'local' (default), 'ray actors=4 gpus=1', "
                                 "'ray address=auto' for a cluster."),
    concurrency: int = typer.Option(None, help="Requests in flight (default: the backends' own limits)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the response cache."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Leave out (and list) clips that fail validation "
                                  "instead of refusing the corpus."),
    request_deadline: float = typer.Option(DEFAULT_DEADLINE_S, help="Seconds one request may take, the client's "
                                           "retries included, before it is recorded as an error (0: no limit)."),
    max_requests: int = typer.Option(None, "--max-requests", help="Refuse to start a run that plans more "
                                     "requests than this to served models (a budget guard for paid APIs)."),
    preset: str = typer.Option(None, "--preset", help="A published protocol in one run: 'hearsay' (eight "
                               "attributes x profiler, privacy-prompt defense and CoT prompts, plus a blind test "
                               "at temperature 0.7, 50 samples per attribute), or a preset .yaml path."),
) -> None:
    """Run an audit: every model x task x transform over the corpus, appended to a resumable log.

    Example: voiceleak run -c corpus.jsonl -m probe -m majority -t attribute --blind -o runs/a1

    HearSay's protocol: voiceleak run --preset hearsay -m MODEL -c corpus.jsonl -o runs/hearsay
    """
    try:
        audit = load_audit_file(config) if config is not None else AuditFile()
    except ValueError as exc:
        raise fail(str(exc)) from exc
    corpus_value = audit.corpus or (str(corpus) if corpus else None)
    if corpus_value is None:
        raise fail("give a corpus with --corpus MANIFEST (or corpus: in --config)")
    models = list(audit.models or model or [])
    if cascade:
        models.append(DEFAULT_CASCADE)
    if baselines:
        models += ["majority", "uniform"]
    if not models:
        raise fail("give at least one --model (see: voiceleak list models)")
    transforms = list(audit.transforms or transform or ["none"])
    tasks = list(audit.tasks or task or ["attribute"])
    caps: tuple[tuple[str, int], ...] = ()
    preset_decoding: dict[str, Any] = {}
    if preset is not None:
        try:
            chosen_preset = load_preset(preset)
        except (KeyError, OSError, ValueError) as exc:
            raise fail(str(exc).strip('"')) from exc
        tasks = list(audit.tasks or task or chosen_preset.tasks())
        transforms = list(dict.fromkeys([*(audit.transforms or transform or []), *chosen_preset.all_transforms()]))
        caps, preset_decoding = chosen_preset.transform_caps(), dict(chosen_preset.decoding)
        err.print(chosen_preset.description, markup=False)
    if blind:
        transforms.append("blind:silence")
    try:
        decoding = Decoding(**{"temperature": temperature, "max_tokens": max_tokens, "seed": seed,
                               **preset_decoding, **(audit.decoding or {})})
    except TypeError as exc:
        raise fail(f"{config}: decoding: {exc}") from exc
    run_config = RunConfig(
        corpus=corpus_value, models=tuple(dict.fromkeys(models)), tasks=tuple(tasks),
        transforms=tuple(dict.fromkeys(transforms)), repeats=audit.repeats or repeats, decoding=decoding,
        max_per_class=audit.max_per_class or max_per_class, seed=audit.seed if audit.seed is not None else seed,
        transform_caps=caps,
    )
    out_dir = Path(audit.out) if audit.out else out
    limit = audit.concurrency or concurrency
    chosen = audit.executor or executor
    try:
        # plain local with no limit: the runner sizes concurrency from the backends' own limits
        built = None if chosen == "local" and not limit else build_executor(chosen, limit)
    except (UnknownNameError, SpecError) as exc:
        raise fail(clean(str(exc), run_config)) from exc
    cap = {} if max_requests is None else {"max_requests": max_requests}  # execute_run(config, options) otherwise
    execute_run(run_config, RunOptions(out=out_dir, executor=built, use_cache=not no_cache, skip_bad=skip_bad,
                                       request_deadline=request_deadline or None), **cap)
