"""The transformers backend at GPU speed, on full-size checkpoints with random weights.

A checkpoint's compute does not depend on its weights: Qwen2-Audio-7B-Instruct built from its
configuration with random weights costs per token what the real one costs. This builds such
checkpoints (bf16, a WordLevel tokenizer padded to the real vocabulary size, saved to disk so the
backend loads them through its own AutoConfig / AutoProcessor / from_pretrained path), synthesises
clips of 2-30 s, and measures on the same clips:

  (a) a HearSay-style loop: one clip per `generate` call (CPU features, as its scripts do);
  (b) the `transformers` backend as `voiceleak run` runs it (Runner, run log, response cache), at
      its default batch size and over a sweep, plus ablations that turn each tuning off;
  (c) a bare batched `generate` loop written as tightly as we can: the ceiling.

Every request gets the same number of new tokens: the checkpoint's generation config suppresses
end-of-sequence and every special token, so no row stops early and (b)'s decoded words count tokens.

    python benchmarks/gpu_throughput.py                  # on a GPU: full size, about 10 minutes on an H200
    python benchmarks/gpu_throughput.py --tiny --out DIR  # on a CPU: tiny shapes, seconds (the test runs this)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu_checkpoints import Shape, build_checkpoint

from voiceleak.audio import load
from voiceleak.models.hf_families import choose_family
from voiceleak.models.hf_transformers import MASKED_AUDIO_ENCODERS, TransformersModel
from voiceleak.tasks.base import build_task
from voiceleak.types import Clip, Decoding

RATE = 16_000
RESULTS = Path(__file__).parent / "results"
TASK = "attribute:sex"


ABLATIONS = ("features", "before", "eager")


@dataclass(frozen=True)
class Plan:
    tiny: bool
    n: int  # clips for (b) and (c)
    n_loop: int  # the first n_loop of them for (a), which is slow; 0: no loop
    new_tokens: int
    batches: tuple[int, ...]  # (b) sweep, beside the backend's default
    c_batches: tuple[int, ...]  # (c) sweep; empty: those of (b) from 16 up
    ablate: tuple[int, ...]  # batch sizes the ablations run at; empty: the backend's default
    ablations: tuple[str, ...]
    seconds: tuple[float, float]  # clip lengths
    budget_s: float  # measurements stop (marked skipped) past this

    @property
    def device(self) -> str:
        return "cuda" if torch.cuda.is_available() and not self.tiny else "cpu"


def sizes(text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    return default if text is None else tuple(int(x) for x in text.split(",") if x.strip())


def make_plan(args: argparse.Namespace) -> Plan:
    tiny = bool(args.tiny)
    batches = sizes(args.batches, (2, 4, 8) if tiny else (8, 16, 32, 64, 128))
    ablations = tuple(a for a in (args.ablations or ",".join(ABLATIONS)).split(",") if a)
    unknown = set(ablations) - set(ABLATIONS)
    if unknown:
        raise SystemExit(f"unknown ablations {sorted(unknown)} (known: {', '.join(ABLATIONS)})")
    n_loop = args.n_loop if args.n_loop is not None else (4 if tiny else 32)
    return Plan(tiny, args.n or (12 if tiny else 128), n_loop, args.new_tokens or (4 if tiny else 32), batches,
                sizes(args.c_batches, ()), sizes(args.ablate, ()), ablations,
                (0.4, 3.0) if tiny else (2.0, 30.0), args.budget_s)


# -- clips -----------------------------------------------------------------------------------------
def voice(f0: float, seconds: float, seed: int) -> np.ndarray:
    """A harmonic series with vibrato and a syllable envelope: crude but speech-shaped."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t + rng.uniform(0, 6)))) / RATE
    signal = sum(np.sin(k * phase) / k for k in range(1, 10))
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 3.5 * t + rng.uniform(0, 6)) ** 2
    out = 0.3 * signal * envelope / np.max(np.abs(signal)) + rng.normal(0, 0.01, len(t))
    return out.astype(np.float32)


def clip_lengths(n: int, lo: float, hi: float, seed: int = 0) -> list[float]:
    """Spread evenly over [lo, hi] and shuffled, in two halves so the first half (the loop's clips)
    has the same spread as the whole."""
    rng = np.random.default_rng(seed)
    halves = [np.linspace(lo, hi, size) for size in (n - n // 2, n // 2)]
    return [round(float(s), 2) for half in halves for s in rng.permutation(half)]


def write_corpus(folder: Path, plan: Plan) -> Path:
    audio = folder / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, seconds in enumerate(clip_lengths(plan.n, *plan.seconds)):
        sex, f0 = ("Female", 210.0 + 7 * (i % 9)) if i % 2 else ("Male", 105.0 + 5 * (i % 9))
        sf.write(audio / f"c{i:04d}.wav", voice(f0, seconds, seed=i), RATE)
        lines.append({"id": f"c{i:04d}", "audio_filepath": f"audio/c{i:04d}.wav", "duration": seconds,
                      "speaker_id": f"s{i % 16}", "labels": {"sex": sex}, "provenance": "synthetic (benchmark)"})
    manifest = folder / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return manifest


def corpus_clips(manifest: Path) -> list[Clip]:
    from voiceleak.corpus.manifest import iter_manifest

    return [c for c in iter_manifest(manifest) if isinstance(c, Clip)]


# -- measuring -------------------------------------------------------------------------------------
@dataclass
class Row:
    model: str
    mode: str
    batch: int | str
    n: int
    tokens: int
    seconds: float
    gpu_gib: float | None
    note: str = ""
    errors: int = 0

    @property
    def clips_per_s(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


@contextlib.contextmanager
def measured(device: str) -> Iterator[dict[str, float]]:
    """Wall time (the device synchronised at both ends) and peak device memory of the block."""
    out: dict[str, float] = {}
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    yield out
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        out["gpu_gib"] = torch.cuda.max_memory_allocated() / 2**30
    out["seconds"] = time.perf_counter() - start


def prompts(clips: list[Clip]) -> dict[str, Any]:
    """The rendered request of each clip (prompt, system): all three modes ask the same thing."""
    task = build_task(TASK)
    task.prepare(clips)
    return {c.id: task.render(c, load(c.audio_path), c.id) for c in clips}



def generate_and_decode(model: Any, processor: Any, inputs: Any, new_tokens: int) -> int:
    """One `generate` with the fixed output length, decoded as a user would; returns the new tokens."""
    pad = processor.tokenizer.pad_token_id
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=new_tokens, do_sample=False, pad_token_id=pad)
    new = out[:, inputs["input_ids"].shape[1]:]
    processor.batch_decode(new, skip_special_tokens=True)
    return int((new != pad).sum())


def loop_one_by_one(backend: TransformersModel, clips: list[Clip], requests: dict[str, Any],
                    new_tokens: int) -> tuple[int, int]:
    """(a) HearSay's shape: read a clip, build its prompt, process it, generate, decode; next clip."""
    processor, model = backend.processor, backend.model
    family = choose_family(backend.config.model_type)
    tokens = 0
    for clip in clips:
        samples, _ = sf.read(clip.audio_path, dtype="float32")
        request = requests[clip.id]
        conversation = family.messages(request, request.audio, processor.audio_token)
        text = processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
        inputs = processor(text=text, audio=[samples], sampling_rate=RATE, return_tensors="pt",
                           **family.processor_kwargs)
        inputs = inputs.to(backend.device, dtype=backend.dtype)
        tokens += generate_and_decode(model, processor, inputs, new_tokens)
    return len(clips), tokens


def bare_batched(backend: TransformersModel, clips: list[Clip], requests: dict[str, Any], new_tokens: int,
                 batch: int) -> tuple[int, int]:
    """(c) The ceiling: every clip sorted by length up front, the next batch read and processed (GPU
    features, padding trimmed where the encoder allows) in a helper thread, pinned, copied without
    blocking, generated; nothing else."""
    processor, model = backend.processor, backend.model
    family = choose_family(backend.config.model_type)
    ordered = sorted(clips, key=lambda c: -(c.duration or 0.0))
    groups = [ordered[i:i + batch] for i in range(0, len(ordered), batch)]

    def prepare(group: list[Clip]) -> Any:
        arrays = [sf.read(c.audio_path, dtype="float32")[0] for c in group]
        texts = [processor.apply_chat_template(family.messages(requests[c.id], requests[c.id].audio,
                                                               processor.audio_token),
                                               add_generation_prompt=True, tokenize=False) for c in group]
        inputs = processor(text=texts, audio=arrays, sampling_rate=RATE, return_tensors="pt",
                           text_kwargs={"padding": True}, audio_kwargs=backend.feature_kwargs(arrays),
                           **family.processor_kwargs)
        if backend.device.startswith("cuda"):
            for key, value in inputs.items():
                if isinstance(value, torch.Tensor):
                    inputs[key] = value.pin_memory()
        return inputs

    tokens = 0
    with ThreadPoolExecutor(1) as pool:
        ahead = pool.submit(prepare, groups[0])
        for number in range(len(groups)):
            inputs = ahead.result()
            if number + 1 < len(groups):
                ahead = pool.submit(prepare, groups[number + 1])
            inputs = inputs.to(backend.device, dtype=backend.dtype, non_blocking=True)
            tokens += generate_and_decode(model, processor, inputs, new_tokens)
    return len(clips), tokens


def through_runner(backend: TransformersModel, manifest: Path, work: Path, new_tokens: int,
                   label: str) -> tuple[int, int, int, float]:
    """(b) What `voiceleak run -c M -m "transformers:PATH batch=B" -t attribute:sex --max-tokens T` does
    between planning and reporting: the Runner, its local executor, audio loading, the response cache
    (empty), the run log. The checkpoint is loaded once (by the backend, through its own spec) and
    reused across batch sizes, so no 16 GB reload separates two rows. Returns (clips, tokens,
    errors, seconds) of `execute`, the part a user waits for."""
    import voiceleak.runner.components as components
    from voiceleak.runner.plan import RunConfig
    from voiceleak.runner.run import Runner, RunOptions

    config = RunConfig(corpus=str(manifest), models=(f"transformers:{backend.checkpoint}",), tasks=(TASK,),
                       decoding=Decoding(max_tokens=new_tokens))
    options = RunOptions(out=work / f"run-{label}", cache_dir=work / f"cache-{label}", quiet=True)
    real = components.build_model
    components.build_model = lambda text: backend
    try:
        runner = Runner(config, options)
    finally:
        components.build_model = real
    start = time.perf_counter()
    runner.execute()
    seconds = time.perf_counter() - start
    records = [json.loads(line) for line in (options.out / "samples.jsonl").read_text().splitlines()]
    tokens = sum(len((r["response"] or "").split()) for r in records)
    errors = sum(1 for r in records if r["error"])
    if errors:
        print(f"  (b) {label}: {errors} errors, first: {next(r['error'] for r in records if r['error'])}")
    return len(records), tokens, errors, seconds


# -- one checkpoint --------------------------------------------------------------------------------
class Bench:
    def __init__(self, plan: Plan, work: Path, out: Path) -> None:
        self.plan, self.work, self.out = plan, work, out
        self.rows: list[Row] = []
        self.start = time.perf_counter()
        self.manifest = write_corpus(work / "corpus", plan)
        self.warm_manifest = work / "corpus" / "warm.jsonl"
        self.warm_manifest.write_text("".join(self.manifest.read_text().splitlines(keepends=True)[:8]))
        self.clips = corpus_clips(self.manifest)
        self.requests = prompts(self.clips)

    def over_budget(self) -> bool:
        return time.perf_counter() - self.start > self.plan.budget_s

    def record(self, model: str, mode: str, batch: int | str, run: Callable[[], tuple[int, int]],
               note: str = "") -> Row | None:
        if self.over_budget():
            print(f"  skipped {model} {mode} {batch}: past the time budget")
            return None
        with measured(self.plan.device) as m:
            n, tokens = run()
        row = Row(model, mode, batch, n, tokens, m["seconds"], m.get("gpu_gib"), note)
        return self.add(row)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(f"  {row.model} {row.mode} batch={row.batch} n={row.n}: {row.clips_per_s:.2f} clips/s, "
              f"{row.tokens_per_s:.1f} tok/s, {row.seconds:.2f} s {row.note}", flush=True)
        self.save()
        return row

    def runner_row(self, backend: TransformersModel, name: str, mode: str, batch: int, note: str = "") -> Row | None:
        if self.over_budget():
            print(f"  skipped {name} {mode} {batch}: past the time budget")
            return None
        backend.batch = backend.max_batch = batch  # what `batch=` sets, without reloading the weights
        if self.plan.device.startswith("cuda"):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        label = f"{name}-{mode}-{batch}-{len(self.rows)}".replace(" ", "_").replace("/", "_")
        n, tokens, errors, seconds = through_runner(backend, self.manifest, self.work, self.plan.new_tokens, label)
        gib = torch.cuda.max_memory_allocated() / 2**30 if self.plan.device.startswith("cuda") else None
        return self.add(Row(name, mode, batch, n, tokens, seconds, gib, note, errors))

    def checkpoint(self, kind: str, full: bool) -> None:
        folder = self.work / kind
        started = time.perf_counter()
        build_checkpoint(kind, folder, Shape(tiny=not full), self.plan.device,
                         self.plan.new_tokens)
        built = time.perf_counter() - started
        backend = TransformersModel(parse(f"transformers:{folder} offline=true"))
        loaded = time.perf_counter() - started - built
        weights = torch.cuda.memory_allocated() / 2**30 if self.plan.device.startswith("cuda") else None
        print(f"{kind}: built and saved in {built:.0f} s, loaded by the backend in {loaded:.0f} s"
              + (f", {weights:.1f} GiB of weights" if weights else ""), flush=True)
        try:
            self.measure(kind, backend)
        finally:
            del backend
            gc.collect()
            if self.plan.device.startswith("cuda"):
                torch.cuda.empty_cache()
            shutil.rmtree(folder, ignore_errors=True)

    def measure(self, name: str, backend: TransformersModel) -> None:
        plan, clips, T = self.plan, self.clips, self.plan.new_tokens
        default_batch = backend.batch
        # warm-up: kernels, cuBLAS heuristics, the first allocations, the runner's first run
        bare_batched(backend, clips[:4], self.requests, 2, 4)
        loop_one_by_one(backend, clips[:1], self.requests, 2)
        through_runner(backend, self.warm_manifest, self.work, 2, f"warm-{name}")
        if plan.n_loop:
            self.record(name, "a", 1, partial(loop_one_by_one, backend, clips[:plan.n_loop], self.requests, T),
                        "one clip per generate")
        self.runner_row(backend, name, "b", default_batch, "default")
        for batch in plan.batches:
            if batch != default_batch:
                self.runner_row(backend, name, "b", batch)
        best = self.best(name, "b")
        for batch in plan.c_batches or [b for b in plan.batches if b >= min(16, best)]:
            self.record(name, "c", batch, partial(bare_batched, backend, clips, self.requests, T, batch))
        for batch in plan.ablate or (default_batch,):
            self.ablations(name, backend, batch)

    def ablations(self, name: str, backend: TransformersModel, batch: int) -> None:
        """Each tuning off in turn: what it buys at this batch size."""
        todo = self.plan.ablations
        if "features" in todo:
            backend.features_device, backend.trim_padding = None, False
            trimmed = backend.config.model_type in MASKED_AUDIO_ENCODERS
            self.runner_row(backend, name, "b", batch, "without: features on the GPU"
                            + (", padding trimmed" if trimmed else ""))
            backend.features_device, backend.trim_padding = backend.device, True
        if "before" in todo:
            backend.features_device, backend.trim_padding = None, False
            self.runner_row(backend, name, "b", 8, "before this tuning: batch 8, CPU features")
            backend.features_device, backend.trim_padding = backend.device, True
        if "eager" in todo and hasattr(backend.model, "set_attn_implementation"):
            current = backend.model.config._attn_implementation
            try:
                backend.model.set_attn_implementation("eager")
                self.runner_row(backend, name, "b", batch, f"without: {current} attention (eager)")
            except (ValueError, NotImplementedError) as exc:
                print(f"  eager attention not measured: {exc}")
            finally:
                backend.model.set_attn_implementation(current)

    def best(self, name: str, mode: str) -> int:
        rows = [r for r in self.rows if r.model == name and r.mode == mode and isinstance(r.batch, int)
                and not r.errors]
        return int(max(rows, key=lambda r: r.clips_per_s).batch) if rows else 8

    # -- output --------------------------------------------------------------------------------
    def save(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / RESULT_JSON).write_text(json.dumps(self.summary(), indent=1))
        (self.out / RESULT_MD).write_text(self.markdown())

    def summary(self) -> dict[str, Any]:
        return {"plan": {**self.plan.__dict__, "device": self.plan.device, "torch": torch.__version__,
                         "gpu": torch.cuda.get_device_name() if self.plan.device.startswith("cuda") else None},
                "rows": [{**r.__dict__, "clips_per_s": r.clips_per_s, "tokens_per_s": r.tokens_per_s}
                         for r in self.rows],
                "ratios": self.ratios()}

    def ratios(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for name in dict.fromkeys(r.model for r in self.rows):
            mine = [r for r in self.rows if r.model == name and not r.errors]
            a = [r for r in mine if r.mode == "a"]
            b = [r for r in mine if r.mode == "b" and not r.note.startswith(("without", "before"))]
            c = [r for r in mine if r.mode == "c"]
            default = [r for r in b if r.note == "default"]
            if not (a and b and c):
                continue
            b_best, c_best = max(b, key=lambda r: r.clips_per_s), max(c, key=lambda r: r.clips_per_s)
            out[name] = {"b_best_over_a": b_best.clips_per_s / a[0].clips_per_s,
                         "b_best_over_c_best": b_best.clips_per_s / c_best.clips_per_s,
                         "b_default_over_a": default[0].clips_per_s / a[0].clips_per_s if default else 0.0,
                         "b_best_batch": float(b_best.batch), "c_best_batch": float(c_best.batch)}
        return out

    def markdown(self) -> str:
        plan = self.plan
        where = torch.cuda.get_device_name() if plan.device.startswith("cuda") else "CPU"
        lines = [f"### {'tiny shapes' if plan.tiny else 'full size'} on {where}: {plan.new_tokens} new tokens "
                 f"per clip, clips {plan.seconds[0]:g}-{plan.seconds[1]:g} s", "",
                 "| model | mode | batch | n | new tokens | clips/s | tokens/s | GPU peak GiB | note |",
                 "|---|---|---|---|---|---|---|---|---|"]
        for r in self.rows:
            gib = f"{r.gpu_gib:.1f}" if r.gpu_gib is not None else "—"
            note = r.note + (f" ({r.errors} errors)" if r.errors else "")
            lines.append(f"| {r.model} | {r.mode} | {r.batch} | {r.n} | {r.tokens} | {r.clips_per_s:.2f} | "
                         f"{r.tokens_per_s:.1f} | {gib} | {note} |")
        lines.append("")
        for name, q in self.ratios().items():
            lines.append(f"- {name}: (b) best (batch {q['b_best_batch']:.0f}) / (a) = {q['b_best_over_a']:.1f}×; "
                         f"(b) default / (a) = {q['b_default_over_a']:.1f}×; (b) best / (c) best "
                         f"(batch {q['c_best_batch']:.0f}) = {100 * q['b_best_over_c_best']:.0f}%")
        return "\n".join(lines) + "\n"


RESULT_MD = "gpu_throughput.md"
RESULT_JSON = "gpu_throughput.json"


def parse(text: str) -> Any:
    from voiceleak.spec import parse_spec

    return parse_spec(text)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny shapes on the CPU (what the test runs)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for gpu_throughput.md/.json")
    parser.add_argument("--models", default="qwen2-audio-7b,qwen2.5-omni-7b-thinker")
    parser.add_argument("--n", type=int, default=0)
    parser.add_argument("--n-loop", type=int, default=None, help="clips for (a); 0: no loop")
    parser.add_argument("--batches", default=None, help="(b) batch sizes beside the default, e.g. 8,16,32,64,128")
    parser.add_argument("--c-batches", default=None, help="(c) batch sizes (default: those of (b) from 16 up)")
    parser.add_argument("--ablate", default=None, help="batch sizes for the ablations (default: the backend's)")
    parser.add_argument("--ablations", default=None, help=f"which, of {','.join(ABLATIONS)} (default: all)")
    parser.add_argument("--new-tokens", type=int, default=0)
    parser.add_argument("--budget-s", type=float, default=1e9, help="skip measurements after this many seconds")
    parser.add_argument("--work", type=Path, default=None, help="where checkpoints and runs go (default: a temp dir)")
    args = parser.parse_args(argv)
    plan = make_plan(args)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        bench = Bench(plan, Path(tmp), args.out)
        for kind in [k.strip() for k in args.models.split(",") if k.strip()]:
            try:
                bench.checkpoint(kind, full=not plan.tiny)
            except Exception as exc:  # one checkpoint failing must not lose the other's figures
                if plan.tiny:
                    raise
                print(f"{kind} failed: {type(exc).__name__}: {exc}", flush=True)
                import traceback

                traceback.print_exc()
        bench.save()
        print(bench.markdown())
        return bench.summary()


if __name__ == "__main__":
    main()
