"""Per-family prompt adapters for the transformers backend: the few ways audio LLMs differ.

One generic path loads and generates (AutoProcessor, AutoModelForMultimodalLM). The families differ
only in how the chat turn carries the audio, which class holds the text decoder, and which processor
outputs prove the audio was turned into features. That is data, kept here in one table, so a new
family is one entry rather than a new backend.
"""

from __future__ import annotations

import base64
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voiceleak.audio import to_wav_bytes
from voiceleak.types import Audio, Decoding, Request

#: generation-config fields the shared Decoding does not set: kept from the checkpoint and passed
#: explicitly, the same three the vllm backend keeps (vllm serve applies them too), so one checkpoint
#: decodes alike on every path; "neutral" values change nothing and are dropped
KEPT_FROM_CHECKPOINT = {"repetition_penalty": (None, 1.0), "top_k": (None, 0), "min_p": (None, 0.0)}


def checkpoint_decoding(model: Any) -> dict[str, Any]:
    """What of the checkpoint's generation_config.json is kept (read as vLLM reads it: the fields that
    differ from GenerationConfig's defaults)."""
    config = getattr(model, "generation_config", None)
    diff = config.to_diff_dict() if config is not None and hasattr(config, "to_diff_dict") else {}
    return {name: diff[name] for name, neutral in KEPT_FROM_CHECKPOINT.items()
            if name in diff and diff[name] not in neutral}


def generation_kwargs(model: Any, decoding: Decoding) -> dict[str, Any]:
    """generate() arguments beyond max_new_tokens: the shared settings, the kept checkpoint fields, and
    everything else of generation_config that would change the output pinned to neutral (one beam, no
    top-k of 50 by default), so nothing is applied implicitly."""
    kept = checkpoint_decoding(model)
    out: dict[str, Any] = {"num_beams": 1, "repetition_penalty": kept.get("repetition_penalty", 1.0),
                           "no_repeat_ngram_size": 0}
    if decoding.temperature > 0:
        out.update(temperature=decoding.temperature, top_p=decoding.top_p, top_k=kept.get("top_k", 0),
                   min_p=kept.get("min_p"))
    return out


@dataclass(frozen=True)
class Family:
    name: str
    model_types: tuple[str, ...]
    #: transformers class that generates text; omni models use their "thinker" (no speech output).
    #: The generic auto class falls back to the class the checkpoint's config names.
    model_class: str = "AutoModelForMultimodalLM"
    #: processor outputs, one of which must be present when a request has audio
    feature_keys: tuple[str, ...] = ("input_features",)
    #: the chat template has no audio part: the processor's audio token goes inline in the text
    audio_in_text: bool = False
    #: the chat template itself tokenizes and extracts features (mistral-common, Voxtral), from a
    #: base64 WAV in the message; otherwise the template renders text and the processor gets audio=
    tokenize_in_template: bool = False
    #: audio longer than the feature extractor's window is cut by the extractor; cut it here instead
    #: so the record says so
    cut_to_window: bool = False
    #: the extractor's window in seconds where it is not `chunk_length` (Gemma 3n: 480,000 samples)
    window_s: float | None = None
    #: extra keys of the audio part, for chat templates that test for them (Qwen2-Audio's hub template
    #: places its audio token only where a part has an "audio_url" or "audio" key)
    audio_part_keys: Mapping[str, str] = field(default_factory=dict)
    processor_kwargs: Mapping[str, Any] = field(default_factory=dict)
    #: (module, what it is for, extra that installs it): checked before anything loads, so a family
    #: whose processor or adapter cannot work here is refused with the reason, never run degraded
    requires: tuple[tuple[str, str, str], ...] = ()
    #: the checkpoint's config says it carries a LoRA adapter (config.has_lora_adapter) that must load
    needs_lora: bool = False
    #: why the family is refused outright, if it is
    unsupported: str | None = None

    def messages(self, request: Request, audio: Audio | None,
                 audio_token: str | None) -> list[dict[str, Any]]:
        """One conversation: optional system turn, then the user turn with the audio first."""
        turns: list[dict[str, Any]] = []
        if request.system:
            turns.append({"role": "system", "content": request.system})
        if self.audio_in_text:
            prefix = (audio_token or "") if audio is not None else ""
            turns.append({"role": "user", "content": f"{prefix}{request.prompt}"})
            return turns
        content: list[dict[str, Any]] = []
        if audio is not None:
            content.append(self.audio_part(audio))
        content.append({"type": "text", "text": request.prompt})
        turns.append({"role": "user", "content": content})
        return turns

    def audio_part(self, audio: Audio) -> dict[str, Any]:
        if self.tokenize_in_template:
            return {"type": "audio", "base64": base64.b64encode(to_wav_bytes(audio)).decode("ascii")}
        # The samples reach the processor through audio=; the part only places the audio token.
        return {"type": "audio", **self.audio_part_keys}

    def window(self, processor: Any) -> float | None:
        """Seconds of audio the feature extractor keeps (None: it keeps everything or does not say)."""
        if self.window_s:
            return self.window_s
        found = getattr(getattr(processor, "feature_extractor", None), "chunk_length", None)
        return float(found) if found else None


PHI4_UNSUPPORTED = (
    "Phi-4-multimodal does not run correctly on transformers 5.x: AutoProcessor drops its chat template "
    "(\"processor does not have a chat template\"), its speech LoRA lives in a subfolder (speech-lora) that "
    "from_pretrained never loads, and batched answers change with the mix of clip lengths. Run it through "
    "vLLM instead (vllm serve microsoft/Phi-4-multimodal-instruct --enable-lora --lora-modules "
    "speech=<path>/speech-lora, then openai:speech base_url=...)")


OMNI_VIDEO = ("torchvision", "the video processor inside its processor", "omni")


class UnsupportedFamilyError(RuntimeError):
    """A family that cannot run correctly here: refused before anything is loaded."""


class AdapterMissingError(RuntimeError):
    """The checkpoint needs a LoRA adapter that did not load: the model would mishear."""


def check_supported(family: Family) -> None:
    """Refuse a family that cannot run correctly on this install, naming what is missing."""
    if family.unsupported:
        raise UnsupportedFamilyError(f"transformers family {family.name} is not supported: {family.unsupported}")
    for module, purpose, extra in family.requires:
        try:
            importlib.import_module(module)
        except ImportError:
            raise UnsupportedFamilyError(
                f"transformers family {family.name} needs {module} for {purpose}, and it is not installed: "
                f"pip install 'voiceleak[{extra}]'") from None
        except Exception as exc:  # installed, but built for another torch (PyPI's CUDA builds on a CPU torch)
            raise UnsupportedFamilyError(
                f"transformers family {family.name} needs {module} for {purpose}, and it does not load here "
                f"({type(exc).__name__}: {str(exc)[:160]}): PyPI's {module} wheels match PyPI's CUDA torch, "
                "not a CPU-only torch build, so this family is unsupported on this install") from None


def check_adapter(family: Family, config: Any, model: Any) -> None:
    """A checkpoint that declares a LoRA adapter runs only with it loaded: transformers merely logs a
    warning when peft is missing (Granite Speech), and the model then mishears every clip."""
    if not getattr(config, "has_lora_adapter", family.needs_lora):
        return
    loaded = bool(getattr(model, "_hf_peft_config_loaded", False)) and bool(getattr(model, "peft_config", None))
    if not loaded:
        raise AdapterMissingError(
            f"{family.name}: the checkpoint declares a LoRA adapter (has_lora_adapter) and it did not load "
            "(is peft installed, and does the checkpoint hold adapter_config.json and adapter_model.safetensors?); "
            "refusing to run a model that would mishear: pip install 'voiceleak[transformers]'")


GENERIC = Family("generic", (), feature_keys=("input_features", "audio_input_features", "input_audio_embeds",
                                                "audio_values"))

FAMILIES: tuple[Family, ...] = (
    Family("qwen2-audio", ("qwen2_audio",), cut_to_window=True,
           audio_part_keys={"audio_url": "request-audio"}),
    # no use_audio_in_video: deprecated in transformers 5.x (removed in 5.25), and False is the default
    # their processors hold a video processor that cannot be built without torchvision
    Family("qwen2.5-omni", ("qwen2_5_omni", "qwen2_5_omni_thinker"),
           model_class="Qwen2_5OmniThinkerForConditionalGeneration", requires=(OMNI_VIDEO,)),
    Family("qwen3-omni", ("qwen3_omni_moe", "qwen3_omni_moe_thinker"),
           model_class="Qwen3OmniMoeThinkerForConditionalGeneration", requires=(OMNI_VIDEO,)),
    Family("phi4-multimodal", ("phi4_multimodal",), feature_keys=("audio_input_features",),
           unsupported=PHI4_UNSUPPORTED),
    Family("voxtral", ("voxtral",), tokenize_in_template=True),
    Family("granite-speech", ("granite_speech",), audio_in_text=True, needs_lora=True,
           requires=(("torchaudio", "its feature extractor (log-mel spectrogram)", "granite"),
                     ("peft", "its LoRA adapter", "transformers"))),
    # the extractor truncates at 480,000 samples (30 s) without a word: cut here, recorded in the sample
    Family("gemma3n", ("gemma3n",), cut_to_window=True, window_s=30.0),
    Family("audioflamingo3", ("audioflamingo3",), model_class="AudioFlamingo3ForConditionalGeneration"),
)


def family_names() -> list[str]:
    return [f.name for f in FAMILIES]


def choose_family(model_type: str, override: str | None = None) -> Family:
    """The adapter for a checkpoint's config.model_type, or the one named by `family=`."""
    if override:
        for family in FAMILIES:
            if override in (family.name, *family.model_types):
                return family
        if override == GENERIC.name:
            return GENERIC
        raise ValueError(f"unknown family {override!r} (known: {', '.join([*family_names(), 'generic'])})")
    for family in FAMILIES:
        if model_type in family.model_types:
            return family
    return GENERIC
