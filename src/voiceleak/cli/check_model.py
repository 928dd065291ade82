"""`voiceleak check-model`: does the model hear the audio? A one-minute check before a long run.

A backend or server that silently drops the audio still answers every question, and an audit of it
measures only priors. This sends a few different clips and 1 s of silence with a question whose
answer depends on the audio, and fails loudly when the answers show the audio was not heard.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from voiceleak.audio import MODEL_RATE, AudioError, load, silence
from voiceleak.cli.app import app, console, err, fail
from voiceleak.corpus.manifest import ManifestError, load_manifest
from voiceleak.models.base import SupervisedModel, build_model
from voiceleak.registry import UnknownNameError
from voiceleak.spec import SpecError
from voiceleak.types import Audio, Decoding, Request, Response

PROMPT = ("Describe this audio in one short sentence: what is said, and what kind of voice says it. "
          "If there is no speech, say so.")
SILENCE_ID = "silence-1s"
FLITE_LINES = (
    ("slt", "The train to the coast leaves at seven in the morning."),
    ("kal16", "Please remember to water the plants on Thursday."),
    ("awb", "Seventeen blue boxes were stacked beside the door."),
    ("rms", "My sister plays the violin in a small orchestra."),
    ("slt", "How much does a ticket to the museum cost?"),
    ("kal", "The weather report promised rain for the whole weekend."),
)


@dataclass(frozen=True)
class Probe:
    id: str
    audio: Audio
    note: str


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def corpus_probes(manifest: Path, n: int) -> list[Probe]:
    """Up to n clips, one per (speaker, language) in turn, so the answers have reason to differ."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for clip in sorted(load_manifest(manifest), key=lambda c: c.id):
        groups.setdefault((clip.speaker_id or clip.id, clip.labels.get("language", "")), []).append(clip)
    chosen = []
    for depth in range(max((len(g) for g in groups.values()), default=0)):
        chosen += [g[depth] for g in groups.values() if depth < len(g)]
    probes: list[Probe] = []
    for clip in chosen:
        if len(probes) == n:
            break
        try:
            audio = load(clip.audio_path, offset=clip.offset, duration=clip.duration if clip.offset else None,
                         sample_rate=MODEL_RATE)
        except AudioError:
            continue
        language = clip.labels.get("language", "?")
        probes.append(Probe(clip.id, audio, f"{clip.speaker_id or '?'}, {language}, {audio.duration:.1f} s"))
    return probes


def flite_probes(folder: Path, n: int) -> list[Probe]:
    """Sentences spoken by flite's voices, when no corpus is at hand."""
    if shutil.which("flite") is None:
        raise FileNotFoundError("no demo corpus and no flite to make clips; give --corpus MANIFEST")
    probes = []
    for index, (voice, text) in enumerate(FLITE_LINES[:n]):
        path = folder / f"flite-{index}-{voice}.wav"
        command = ["flite", "-voice", voice, "-t", text, "-o", str(path)]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        audio = load(path, sample_rate=MODEL_RATE)
        probes.append(Probe(path.stem, audio, f"flite {voice}, {audio.duration:.1f} s: {text}"))
    return probes


def default_probes(folder: Path, n: int) -> list[Probe]:
    try:
        from voiceleak.corpus.demo import demo_manifest

        return corpus_probes(demo_manifest(), n)
    except (ImportError, FileNotFoundError, ManifestError):
        return flite_probes(folder, n)


def normalize(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def judge(responses: dict[str, Response], speech_ids: Sequence[str], silence_id: str) -> Verdict:
    """Fail when the answers do not depend on the audio; warn when they barely do."""
    verdict = Verdict()
    answers = {i: normalize(responses[i].text or "") for i in speech_ids if responses[i].ok}
    failed = len(speech_ids) - len(answers)
    if failed:
        verdict.warnings.append(f"{failed} of {len(speech_ids)} speech clips got an error, not an answer")
    if len(answers) < 2:
        verdict.problems.append("fewer than 2 speech clips were answered: cannot tell if the audio is heard")
        return verdict
    counts = Counter(answers.values())
    top, top_count = counts.most_common(1)[0]
    if len(counts) == 1:
        verdict.problems.append(f"all {len(answers)} different clips got the same answer: the audio is "
                                "ignored or dropped before it reaches the model")
    elif len(counts) <= len(answers) // 2:
        verdict.warnings.append(f"only {len(counts)} distinct answers for {len(answers)} different clips")
    quiet = responses[silence_id]
    if not quiet.ok:
        verdict.warnings.append(f"the silence clip got an error: {quiet.error}")
        return verdict
    same = sum(1 for a in answers.values() if a == normalize(quiet.text or ""))
    if same and (normalize(quiet.text or "") == top and top_count * 2 >= len(answers)):
        verdict.problems.append(f"1 s of silence got the same answer as {same} of {len(answers)} speech "
                                "clips: the model answers without hearing")
    elif same:
        verdict.warnings.append(f"1 s of silence got the same answer as {same} speech clip(s)")
    return verdict


async def ask(model: Any, requests: list[Request]) -> list[Response]:
    """Send the requests in the model's batch size, as many batches at once as it allows."""
    size = max(1, getattr(model, "max_batch", 1))
    batches = [requests[i:i + size] for i in range(0, len(requests), size)]
    slots = asyncio.Semaphore(max(1, getattr(model, "max_concurrency", 1)))

    async def one(batch: list[Request]) -> list[Response]:
        async with slots:
            return list(await model.generate(batch))

    try:
        results = await asyncio.gather(*(one(b) for b in batches))
    finally:
        await model.aclose()
    return [r for batch in results for r in batch]


def show(probes: Sequence[Probe], responses: dict[str, Response]) -> None:
    table = Table(title="answers", header_style="bold", show_lines=False)
    for column in ("clip", "what it is", "answer"):
        table.add_column(column, overflow="fold")
    for probe in probes:
        response = responses[probe.id]
        # model text is data, not markup: "[laughs]" must print as it is
        answer = escape((response.text or "").strip()[:160]) if response.ok \
            else f"[red]error: {escape(response.error or '')}[/]"
        table.add_row(escape(probe.id), escape(probe.note), answer)
    console.print(table)


ModelArg = Annotated[str, typer.Argument(help="Model spec, as for `voiceleak run -m`.")]
CorpusOpt = Annotated[Path | None, typer.Option("--corpus", "-c", help="Manifest to take clips from "
                                                "(default: the shipped demo corpus, else flite speech).")]
ClipsOpt = Annotated[int, typer.Option(min=2, max=20, help="How many speech clips to send.")]
TokensOpt = Annotated[int, typer.Option(help="Token budget per answer.")]


@app.command("check-model")
def check_model(model: ModelArg, corpus: CorpusOpt = None, clips: ClipsOpt = 6,
                max_tokens: TokensOpt = 64) -> None:
    """Check that a model hears the audio: different clips must get different answers, and 1 s of
    silence must not get the answer speech gets. Exit code 1 when the audio is not heard.

    Example: voiceleak check-model 'openai:Qwen/Qwen2-Audio-7B-Instruct base_url=http://127.0.0.1:8000/v1'
    """
    try:
        built = build_model(model)
    except (UnknownNameError, SpecError, ValueError, ImportError) as exc:
        raise fail(escape(str(exc))) from exc  # escape: "voiceleak[vllm]" is not rich markup
    if isinstance(built, SupervisedModel) or not built.accepts_audio:
        raise fail(f"{escape(built.name)} does not take audio (nothing was sent): check-model is for models that "
                   "answer questions about a clip")
    with tempfile.TemporaryDirectory(prefix="voiceleak-check-") as tmp:
        try:
            probes = corpus_probes(corpus, clips) if corpus else default_probes(Path(tmp), clips)
        except (ManifestError, FileNotFoundError, OSError, subprocess.SubprocessError) as exc:
            raise fail(f"no clips to send: {exc}") from exc
    if len(probes) < 2:
        raise fail("need at least 2 readable speech clips to compare answers")
    probes.append(Probe(SILENCE_ID, silence(1.0), "1 s of digital silence"))
    decoding = Decoding(temperature=0.0, max_tokens=max_tokens)
    requests = [Request(p.id, PROMPT, p.audio, decoding=decoding) for p in probes]
    err.print(f"Sending {len(requests)} clips to {escape(built.name)} ...")
    responses = {r.request_id: r for r in asyncio.run(ask(built, requests))}
    show(probes, responses)
    verdict = judge(responses, [p.id for p in probes if p.id != SILENCE_ID], SILENCE_ID)
    for warning in verdict.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    for problem in verdict.problems:
        err.print(f"[bold red]FAIL:[/] {escape(problem)}")
    if not verdict.ok:
        raise typer.Exit(1)
    console.print(f"[bold green]OK:[/] {escape(built.name)} hears the audio ({len(probes) - 1} clips, distinct "
                  "answers; silence answered differently).")
