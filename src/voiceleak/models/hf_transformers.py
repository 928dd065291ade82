"""`transformers`: an audio LLM checkpoint run in this process with Hugging Face transformers.

    transformers:Qwen/Qwen2-Audio-7B-Instruct
    transformers:/models/qwen2.5-omni-3b batch=4 dtype=bfloat16
    transformers:./my-finetune family=qwen2-audio offline=true

One generic path: AutoProcessor + AutoModelForMultimodalLM (or the family's text "thinker" class),
with the small per-family differences in `hf_families`. Requests are batched with left padding
(so every row's new tokens start at the same column) and only the new tokens are decoded.

Throughput, measured on an H200 with full-size random-weight checkpoints (benchmarks/gpu_throughput.py):
Hugging Face generation is bound by the per-step Python overhead, so the batch size is what buys
throughput (Qwen2-Audio-7B: 2.8 clips/s at batch 8, 12.3 at 64, 14.8 at 128, against 0.56 one clip per
call); on CUDA the default batch is 64, and a batch that runs out of GPU memory is split in halves and
the smaller size kept, so the default also runs on smaller cards. Whisper-style log-mel features are
computed on the model's device, and for Qwen2.5-Omni padded only to the longest clip instead of its
extractor's 300 s window (+41% clips/s on Qwen2.5-Omni-7B). Preparing the next batch in a helper
thread and sorting requests by length over several batches were measured and bought nothing.

The audio goes to the processor as `audio=` (the old `audios=` keyword is silently ignored by some
versions, which leaves every sample with the same answer); after processing, the backend checks that
audio features and audio tokens are really there and fails the batch loudly if not.

Runs on CUDA when available (bf16), else CPU (float32); the attention implementation is
transformers' default for the checkpoint (sdpa where supported) unless `attn=` names one.
Generation runs in a worker thread so the event loop (and the run log) keeps moving.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import AutoConfig, AutoProcessor, WhisperFeatureExtractor

from voiceleak.audio import MODEL_RATE, resample
from voiceleak.models.base import group_by_decoding, models
from voiceleak.models.hf_families import (
    GENERIC,
    Family,
    check_adapter,
    check_supported,
    checkpoint_decoding,
    choose_family,
    generation_kwargs,
)
from voiceleak.models.http_common import unusable_audio
from voiceleak.spec import Spec, SpecError
from voiceleak.types import SEVERAL_CLIPS, Audio, Decoding, Request, Response

DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
#: requests per generate() (benchmarks/gpu_throughput.py); on CUDA a batch out of memory is halved
DEFAULT_BATCH = {"cuda": 64, "cpu": 8}
#: audio encoders that read only the feature frames the attention mask marks (chunked by n_window),
#: so the processor's padding to the extractor's whole window (300 s for Qwen2.5-Omni) is wasted work;
#: Qwen2-Audio's encoder needs its full 30 s window and is not here
MASKED_AUDIO_ENCODERS = {"qwen2_5_omni", "qwen2_5_omni_thinker"}


class AudioDroppedError(RuntimeError):
    """The processor returned no audio features for a request that has audio."""


@models.register("transformers", "a local or hub checkpoint in-process (qwen2-audio, qwen2.5-omni, "
                                 "qwen3-omni, phi4-multimodal, voxtral, granite-speech, gemma3n, "
                                 "audioflamingo3); args: family, device, dtype, batch, attn, offline, revision")
class TransformersModel:
    accepts_audio = True
    remote_host: str | None = None
    max_concurrency = 1  # one generate() at a time: the batch is the unit of parallelism

    def __init__(self, spec: Spec) -> None:
        spec.check_known({"family", "device", "dtype", "batch", "attn", "offline", "revision"})
        if not spec.arg:
            raise SpecError("transformers needs a checkpoint: transformers:PATH or transformers:ORG/NAME")
        self.name = str(Spec("transformers", spec.arg, {k: v for k, v in spec.params.items()
                                                         if k in {"family", "dtype", "attn", "revision"}}))
        self.checkpoint = spec.arg
        self.device = spec.get("device") or ("cuda" if torch.cuda.is_available() else "cpu")
        default_batch = DEFAULT_BATCH["cuda" if self.device.startswith("cuda") else "cpu"]
        self.batch = self.max_batch = max(1, spec.get_int("batch", default_batch))
        default_dtype = "bfloat16" if self.device.startswith("cuda") else "float32"
        dtype_name = spec.get("dtype", default_dtype) or default_dtype
        if dtype_name not in DTYPES:
            raise SpecError(f"{spec}: dtype must be one of {', '.join(DTYPES)}")
        self.dtype = DTYPES[dtype_name]
        load_args: dict[str, Any] = {"local_files_only": spec.get_bool("offline", False)}
        if spec.get("revision"):
            load_args["revision"] = spec.get("revision")
        model_args = {"attn_implementation": spec.get("attn")} if spec.get("attn") else {}
        self.config = AutoConfig.from_pretrained(self.checkpoint, **load_args)
        self.family: Family = choose_family(self.config.model_type, spec.get("family"))
        check_supported(self.family)  # refused before anything loads, never run degraded
        self.processor = AutoProcessor.from_pretrained(self.checkpoint, **load_args)
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        tokenizer.padding_side = "left"  # batched generation: prompts end at the same column
        model = load_model(self.family, self.config, self.checkpoint, self.dtype, {**load_args, **model_args})
        check_adapter(self.family, self.config, model)  # a declared LoRA that did not load: refuse
        self.model = model.to(self.device).eval()
        #: where Whisper-style features are computed (None: the processor's own default, the CPU), and
        #: whether padding stops at the longest clip where the encoder allows (off: to measure them)
        self.features_device: str | None = self.device
        self.trim_padding = True
        self._lock = asyncio.Lock()

    def identity(self) -> Mapping[str, Any]:
        return {
            "name": self.name, "family": "transformers", "adapter": self.family.name,
            "checkpoint": self.checkpoint, "name_or_path": getattr(self.config, "_name_or_path", None),
            "commit": getattr(self.config, "_commit_hash", None),
            "weights": weights_fingerprint(self.checkpoint),
            "model_type": self.config.model_type, "class": type(self.model).__name__,
            "dtype": str(self.dtype).removeprefix("torch."), "device": self.device,
            "attention": getattr(self.model.config, "_attn_implementation", None),
            "transformers": importlib.metadata.version("transformers"),
            "decoding_from_checkpoint": checkpoint_decoding(self.model),
        }

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        async with self._lock:
            return await asyncio.to_thread(self._generate_all, list(requests))

    async def aclose(self) -> None:
        return None

    # -- in the worker thread ----------------------------------------------------------------------
    def _generate_all(self, requests: list[Request]) -> list[Response]:
        """Batches share decoding settings; a failure fails its batch, recorded per request."""
        out: list[Response | None] = [None] * len(requests)
        for i, request in enumerate(requests):
            if request.extra_audio:  # the families here place one clip's audio tokens per conversation
                out[i] = Response(request.id, None, error=f"{SEVERAL_CLIPS}: transformers ({self.family.name}) "
                                  "places one clip per conversation")
            elif (problem := unusable_audio(request)) is not None:
                out[i] = Response(request.id, None, error=problem)
        pending = [i for i, done in enumerate(out) if done is None]
        for decoding, positions in group_by_decoding([requests[i] for i in pending]).items():
            indices = [pending[k] for k in positions]
            first = 0
            while first < len(indices):  # self.batch may shrink on the way (out of GPU memory)
                chunk = indices[first:first + self.batch]
                first += len(chunk)
                batch = [requests[i] for i in chunk]
                start = time.perf_counter()
                try:
                    texts, metas = self.generate_batch(batch, decoding)
                except Exception as exc:
                    reason, spent = f"{type(exc).__name__}: {exc}", time.perf_counter() - start
                    for i in chunk:
                        out[i] = Response(requests[i].id, None, error=reason, latency_s=spent)
                    continue
                latency = (time.perf_counter() - start) / len(batch)
                for i, text, meta in zip(chunk, texts, metas, strict=True):
                    out[i] = Response(requests[i].id, text, latency_s=latency, meta=meta)
        return [r for r in out if r is not None]

    def generate_batch(self, batch: Sequence[Request],
                       decoding: Decoding) -> tuple[list[str], list[dict[str, Any]]]:
        """Prepare (audio, chat template, processor) and generate; out of GPU memory, halve the batch
        size (kept for the rest of the run) and answer the halves."""
        audios, metas = self._audio_inputs(batch)
        inputs = self.encode(batch, audios)
        try:
            return self.generate_inputs(inputs, decoding), metas
        except torch.OutOfMemoryError:
            if len(batch) == 1:
                raise
        del inputs
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()
        half = len(batch) // 2
        self.batch = self.max_batch = min(self.batch, half)
        texts: list[str] = []
        for part in (batch[:half], batch[half:]):
            texts.extend(self.generate_batch(part, decoding)[0])
        return texts, metas

    def generate_inputs(self, inputs: Any, decoding: Decoding) -> list[str]:
        inputs = inputs.to(self.device, dtype=self.dtype)  # casts only the floating-point features
        if decoding.seed is not None:
            torch.manual_seed(decoding.seed)
        sampling = decoding.temperature > 0
        extra = generation_kwargs(self.model, decoding)  # shared settings + kept checkpoint fields, explicit
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        with torch.inference_mode():
            output = self.model.generate(**inputs, max_new_tokens=decoding.max_tokens, do_sample=sampling,
                                         pad_token_id=tokenizer.pad_token_id, **extra)
        sequences = output if isinstance(output, torch.Tensor) else output.sequences
        new_tokens = sequences[:, inputs["input_ids"].shape[1]:]
        texts = self.processor.batch_decode(new_tokens, skip_special_tokens=True)
        return [t.strip() for t in texts]

    def _audio_inputs(self, batch: Sequence[Request]) -> tuple[list[Audio | None], list[dict[str, Any]]]:
        """Each request's audio at 16 kHz, cut to the extractor's window where the family needs it."""
        window = self.family.window(self.processor)
        audios: list[Audio | None] = []
        metas: list[dict[str, Any]] = []
        for request in batch:
            meta: dict[str, Any] = {}
            audio = resample(request.audio, MODEL_RATE) if request.audio is not None else None
            if audio is not None and self.family.cut_to_window and window and audio.duration > window:
                audio = Audio(audio.samples[: int(window * MODEL_RATE)], MODEL_RATE)
                meta["audio_cut_to_s"] = float(window)
            audios.append(audio)
            metas.append(meta)
        return audios, metas

    def encode(self, batch: Sequence[Request], audios: Sequence[Audio | None]) -> Any:
        """Chat template + processor, then the check that audio really became features."""
        token = getattr(self.processor, "audio_token", None)
        conversations = [self.family.messages(r, a, token) for r, a in zip(batch, audios, strict=True)]
        if self.family.tokenize_in_template:
            inputs = self.processor.apply_chat_template(
                conversations, add_generation_prompt=True, tokenize=True, return_dict=True,
                return_tensors="pt", padding=True)
        else:
            texts = [self.processor.apply_chat_template(c, add_generation_prompt=True, tokenize=False)
                     for c in conversations]
            arrays = [a.samples for a in audios if a is not None]
            # Padding is for the text only: a bare padding=True would also pad the audio features to
            # the longest clip instead of the encoder's fixed window (Whisper-style encoders need it).
            kwargs: dict[str, Any] = {"text": texts, "return_tensors": "pt", "text_kwargs": {"padding": True},
                                      **self.family.processor_kwargs}
            if arrays:
                kwargs.update(audio=arrays, sampling_rate=MODEL_RATE)
                audio_kwargs = self.feature_kwargs(arrays)
                if audio_kwargs:
                    kwargs["audio_kwargs"] = audio_kwargs
            inputs = self.processor(**kwargs)
        if any(a is not None for a in audios):
            self._check_audio_arrived(inputs, sum(a is not None for a in audios))
        return inputs

    def feature_kwargs(self, arrays: Sequence[Any]) -> dict[str, Any]:
        """Whisper-style log-mel features on the model's device (on a GPU the CPU's STFT costs more
        than the model's encoder), padded only as far as the encoder needs."""
        extractor = getattr(self.processor, "feature_extractor", None)
        if not isinstance(extractor, WhisperFeatureExtractor):
            return {}
        out: dict[str, Any] = {"device": self.features_device} if self.features_device else {}
        if self.trim_padding and self.config.model_type in MASKED_AUDIO_ENCODERS:
            # Pad to the longest clip plus a second of zeros, not to the extractor's 300 s window:
            # the encoder reads only the frames the mask marks, and every marked frame still sees the
            # zeros after its clip that the full padding gives it, so the features are the same.
            longest = max(len(a) for a in arrays)
            seconds = -(-longest // MODEL_RATE) + 1
            out["max_length"] = min(int(seconds * MODEL_RATE), int(extractor.n_samples))
        return out

    def _check_audio_arrived(self, inputs: Mapping[str, Any], expected: int) -> None:
        present = [k for k in self.family.feature_keys if k in inputs and inputs[k] is not None
                   and getattr(inputs[k], "numel", lambda: 1)() > 0]
        if not present:
            wanted = ", ".join(self.family.feature_keys)
            raise AudioDroppedError(f"the processor returned no audio features ({wanted} missing from "
                                    f"{sorted(inputs)}): the audio would be silently dropped")
        token_id = audio_token_id(self.processor)
        if token_id is not None and int((inputs["input_ids"] == token_id).sum()) < expected:
            raise AudioDroppedError("the prompt holds fewer audio tokens than there are clips: the chat "
                                    "template did not place the audio")


def audio_token_id(processor: Any) -> int | None:
    token_id = getattr(processor, "audio_token_id", None)
    if isinstance(token_id, int):
        return token_id
    token = getattr(processor, "audio_token", None)
    tokenizer = getattr(processor, "tokenizer", None)
    if isinstance(token, str) and tokenizer is not None:
        found = tokenizer.convert_tokens_to_ids(token)
        return found if isinstance(found, int) and found != tokenizer.unk_token_id else None
    return None


def load_model(family: Family, config: Any, checkpoint: str, dtype: torch.dtype,
               load_args: Mapping[str, Any]) -> Any:
    """The family's class (a thinker for omni models), else the generic multimodal auto class, else
    the class the checkpoint's config names (audio LLMs the auto class does not map yet)."""
    model_class = getattr(transformers, family.model_class)
    try:
        return model_class.from_pretrained(checkpoint, dtype=dtype, **load_args)
    except ValueError as exc:
        named = [getattr(transformers, a) for a in (getattr(config, "architectures", None) or [])
                 if hasattr(transformers, a)]
        unmapped = "Unrecognized configuration" in str(exc)
        if family.model_class != GENERIC.model_class or not named or not unmapped:
            raise
        return named[0].from_pretrained(checkpoint, dtype=dtype, **load_args)


def weights_fingerprint(checkpoint: str) -> str | None:
    """For a local folder, a hash of its weight files' names, sizes and times: a retrained checkpoint
    at the same path must not hit cached answers of the old one. Hub ids are pinned by commit."""
    folder = Path(checkpoint)
    if not folder.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]

