"""`voiceleak check-model`: does the model hear the audio? A one-minute check before a long run.

A backend or server that silently drops the audio still answers every question, and an audit of it
measures only priors. Comparing answers cannot tell: a deaf model may word one guess differently each
time, and an honest one may answer two clips alike. So the check asks for what only a hearing model can
give: the words. It sends n clips with known transcripts (8 by default: synthetic and real voices
from the shipped corpus, or flite speech) in a random order, plus 1 s of silence, and asks for a
transcript.

A clip counts as heard when the reply holds at least half of that clip's content words and matches
its own transcript better than any other probe's. The model passes when at least m = 5 clips are heard.

Error rate. A model that does not receive the audio sees the same prompt for every clip, so its
replies cannot depend on which clip went where; each reply names at most one clip (its best match).
With the order a uniform random permutation, the chance that some m requests all name their own
clip is at most C(n, m) (n - m)! / n! = 1/m! (a union bound over the m-sets; it holds for any deaf
strategy, even one that knows the probe sentences and words every reply differently): 1/5! = 0.83%.
A hearing model fails only if it cannot get half the words of 4 of 8 clear, mostly English sentences.
Silence is a second, softer signal: a reply to silence that "transcribes" a probe sentence means
audio reached the model from somewhere else (another request, a cache), and fails the check.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from voiceleak.audio import MODEL_RATE, AudioError, load, silence
from voiceleak.cli.app import app, console, err, fail
from voiceleak.cli.options import Corpus, MaxTokens, Seed
from voiceleak.corpus.manifest import ManifestError, load_manifest
from voiceleak.models.base import SupervisedModel, build_model
from voiceleak.registry import UnknownNameError
from voiceleak.spec import SpecError
from voiceleak.types import Audio, Decoding, Request, Response

PROMPT = ("Transcribe the speech in this audio word for word, in the language spoken. Reply with the "
          "transcript only. If there is no speech, reply: no speech.")
SILENCE_ID = "silence-1s"
#: clips a model must get the words of; a deaf model passes with probability at most 1/REQUIRED!
REQUIRED = 5
#: share of a clip's content words a reply must hold for the clip to count as heard
RECALL = 0.5
FLITE_LINES = (
    ("slt", "The train to the coast leaves at seven in the morning."),
    ("kal16", "Please remember to water the plants on Thursday."),
    ("awb", "Seventeen blue boxes were stacked beside the door."),
    ("rms", "My sister plays the violin in a small orchestra."),
    ("slt", "How much does a ticket to the museum cost?"),
    ("kal", "The weather report promised rain for the whole weekend."),
    ("awb", "Farmers harvested pumpkins under a bright autumn moon."),
    ("rms", "Our neighbour repaired his bicycle with copper wire."),
)
_STOPWORD_TEXT = (
    "the and for are but not you your yours with this that these those from into onto was were been being "
    "have has had his her hers its our ours their theirs they them what which who whom whose how why when "
    "where there here all any each few more most other some such only own same than too very can will just "
    "should would could does did doing done mine myself about above after again before below between "
    "during over under until while because also per una uno gli del della dei delle che per con non "
    "mia mio suo sua nostro nostra nostri")
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Probe:
    id: str
    audio: Audio
    note: str
    text: str = ""  # what is said; "" for silence


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)  # ids of clips whose words came back
    needed: int = REQUIRED
    false_pass: float = 1 / math.factorial(REQUIRED)

    @property
    def ok(self) -> bool:
        return not self.problems


def content_words(text: str) -> set[str]:
    """The words that identify a sentence: lower-cased, three letters or more, no stopwords."""
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= 3 and w not in STOPWORDS}


def recall(reference: str, reply: str) -> float:
    wanted = content_words(reference)
    return len(wanted & content_words(reply)) / len(wanted) if wanted else 0.0


def best_match(reply: str, probes: Sequence[Probe]) -> tuple[str | None, float]:
    """The probe whose transcript the reply holds best (None on a tie or below RECALL), and its recall."""
    scored = sorted(((recall(p.text, reply), p.id) for p in probes), reverse=True)
    if not scored or scored[0][0] < RECALL or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None, scored[0][0] if scored else 0.0
    return scored[0][1], scored[0][0]


def distinct_enough(text: str, chosen: Sequence[Probe]) -> bool:
    """A probe whose words overlap another's could be matched to the wrong clip: keep them apart."""
    words = content_words(text)
    if len(words) < 3:
        return False
    return all(len(words & content_words(p.text)) <= len(words) // 4 for p in chosen)


def corpus_probes(manifest: Path, n: int) -> list[Probe]:
    """Up to n clips with distinct transcripts, English first, each from the least used speaker so far
    (a shared sentence set spoken by several voices gives one clip per sentence, in different voices)."""
    candidates = sorted((c for c in load_manifest(manifest) if c.text),
                        key=lambda c: (c.labels.get("language", "en") != "en", c.id))
    uses: dict[str, int] = {}
    probes: list[Probe] = []
    while len(probes) < n:
        fitting = [c for c in candidates if distinct_enough(c.text or "", probes)]
        if not fitting:
            break
        clip = min(fitting, key=lambda c: (c.labels.get("language", "en") != "en",
                                           uses.get(c.speaker_id or c.id, 0)))
        candidates.remove(clip)
        try:
            audio = load(clip.audio_path, offset=clip.offset, duration=clip.duration if clip.offset else None,
                         sample_rate=MODEL_RATE)
        except AudioError:
            continue
        speaker = clip.speaker_id or clip.id
        uses[speaker] = uses.get(speaker, 0) + 1
        language = clip.labels.get("language", "?")
        probes.append(Probe(clip.id, audio, f"{speaker}, {language}, {audio.duration:.1f} s", clip.text or ""))
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
        probes.append(Probe(path.stem, audio, f"flite {voice}, {audio.duration:.1f} s", text))
    return probes


def default_probes(folder: Path, n: int) -> list[Probe]:
    try:
        from voiceleak.corpus.demo import demo_manifest

        probes = corpus_probes(demo_manifest(), n)
    except (ImportError, FileNotFoundError, ManifestError):
        probes = []
    return probes if len(probes) >= min(n, REQUIRED) else flite_probes(folder, n)


def judge(responses: dict[str, Response], probes: Sequence[Probe], silence_id: str | None = SILENCE_ID,
          required: int = REQUIRED) -> Verdict:
    """Pass when at least `required` clips' words came back, each matched to its own clip."""
    verdict = Verdict(needed=required, false_pass=1 / math.factorial(required))
    failed = [p.id for p in probes if not responses[p.id].ok]
    if failed:
        blocked = sum(1 for i in failed if responses[i].meta.get("blocked"))
        verdict.warnings.append(f"{len(failed)} of {len(probes)} speech clips got no answer "
                                f"({len(failed) - blocked} errors, {blocked} blocked by the provider)")
    for probe in probes:
        reply = responses[probe.id]
        if reply.ok and best_match(reply.text or "", probes)[0] == probe.id:
            verdict.heard.append(probe.id)
    if len(verdict.heard) < required:
        verdict.problems.append(
            f"the words of only {len(verdict.heard)} of {len(probes)} clips came back (needed {required}): the "
            "audio is ignored, dropped or mixed up before it reaches the model (or the model cannot transcribe)")
    quiet = responses.get(silence_id) if silence_id else None
    if quiet is not None and quiet.ok:
        match, share = best_match(quiet.text or "", probes)
        if match is not None:
            verdict.problems.append(f"1 s of silence was answered with the words of clip {match} ({share:.0%}): "
                                    "audio reaches the model from somewhere other than this request")
    elif quiet is not None:
        verdict.warnings.append(f"the silence clip got an error: {quiet.error}")
    return verdict


async def ask(model: Any, requests: list[Request]) -> list[Response]:
    """Send the requests in the model's batch size, as many batches at once as it allows."""
    size = max(1, model.max_batch)
    batches = [requests[i:i + size] for i in range(0, len(requests), size)]
    slots = asyncio.Semaphore(max(1, model.max_concurrency))

    async def one(batch: list[Request]) -> list[Response]:
        async with slots:
            return list(await model.generate(batch))

    try:
        results = await asyncio.gather(*(one(b) for b in batches))
    finally:
        await model.aclose()
    return [r for batch in results for r in batch]


def show(probes: Sequence[Probe], responses: dict[str, Response], verdict: Verdict) -> None:
    table = Table(title="answers", header_style="bold", show_lines=False)
    for column in ("clip", "what it is", "says", "answer", "heard"):
        table.add_column(column, overflow="fold")
    for probe in probes:
        response = responses[probe.id]
        # model text is data, not markup: "[laughs]" must print as it is
        answer = escape((response.text or "").strip()[:160]) if response.ok \
            else f"[red]error: {escape(response.error or '')}[/]"
        share = f"{recall(probe.text, response.text or ''):.0%}" if probe.text and response.ok else ""
        mark = "yes" if probe.id in verdict.heard else ("" if not probe.text else "no")
        table.add_row(escape(probe.id), escape(probe.note), escape(probe.text), answer,
                      f"{mark} {share}".strip())
    console.print(table)


ModelArg = Annotated[str, typer.Argument(help="Model spec, as for `voiceleak run -m`.")]
ClipsOpt = Annotated[int, typer.Option(min=REQUIRED, max=20, help="How many speech clips to send.")]


@app.command("check-model")
def check_model(model: ModelArg, corpus: Corpus = None, clips: ClipsOpt = 8,
                max_tokens: MaxTokens = 96, seed: Seed = None) -> None:
    """Check that a model hears the audio: it must transcribe at least 5 clips with known words, each
    matched to its own clip, and must not answer silence with a clip's words. A model that receives no
    audio passes with probability at most 1/5! = 0.83%. Exit code 1 when the audio is not heard.

    The clips come from --corpus (clips with a transcript), else the shipped demo corpus, else flite
    speech; they are sent in an order drawn from --seed (default: a fresh random order).

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
    if len(probes) < REQUIRED:
        raise fail(f"need at least {REQUIRED} readable clips with distinct transcripts (the manifest's text); "
                   f"found {len(probes)}. Omit --corpus to use the shipped clips.")
    # A random order: a model that does not hear cannot know which clip a request holds.
    random.Random(seed).shuffle(probes)
    quiet = Probe(SILENCE_ID, silence(1.0), "1 s of digital silence")
    decoding = Decoding(temperature=0.0, max_tokens=max_tokens)
    requests = [Request(p.id, PROMPT, p.audio, decoding=decoding) for p in [*probes, quiet]]
    err.print(f"Sending {len(requests)} clips to {escape(built.name)} ...")
    responses = {r.request_id: r for r in asyncio.run(ask(built, requests))}
    verdict = judge(responses, probes, SILENCE_ID)
    show([*probes, quiet], responses, verdict)
    for warning in verdict.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    for problem in verdict.problems:
        err.print(f"[bold red]FAIL:[/] {escape(problem)}")
    if not verdict.ok:
        raise typer.Exit(1)
    console.print(f"[bold green]OK:[/] {escape(built.name)} hears the audio: the words of {len(verdict.heard)} of "
                  f"{len(probes)} clips came back (needed {verdict.needed}; a model that does not hear passes "
                  f"with probability at most {verdict.false_pass:.2%}).")
