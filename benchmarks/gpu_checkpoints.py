"""Full-size (or tiny) audio LLM checkpoints with random weights, built offline from their configurations.

Compute does not depend on the weights, so a random Qwen2-Audio-7B-Instruct costs per token what the
real one costs. The layer sizes are those of the published configs (Qwen/Qwen2-Audio-7B-Instruct;
the thinker of Qwen/Qwen2.5-Omni-7B), written here because nothing can be downloaded. The tokenizer is
a WordLevel vocabulary padded to the real vocabulary size, with the special tokens the processors
need; the feature extractors are the published ones (128 mel bins; a 30 s window for Qwen2-Audio,
300 s for Qwen2.5-Omni). The generation config suppresses every special token, end-of-sequence
included, so every request gets exactly the requested number of new tokens and each decodes to one
word. Saved with save_pretrained: the backend loads them like any local checkpoint.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import GenerationConfig, PreTrainedTokenizerFast, WhisperFeatureExtractor

QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>",
                 "<|IMAGE|>", "<|VIDEO|>", "<|vision_bos|>", "<|vision_eos|>"]
NAMED = {"audio_token": "<|AUDIO|>", "audio_bos_token": "<|audio_bos|>", "audio_eos_token": "<|audio_eos|>",
         "image_token": "<|IMAGE|>", "video_token": "<|VIDEO|>", "vision_bos_token": "<|vision_bos|>",
         "vision_eos_token": "<|vision_eos|>"}
WORDS = ["system", "user", "assistant", "You", "are", "a", "helpful", "assistant.", "Audio", "1:", "What", "is",
         "the", "sex", "of", "speaker?", "Answer", "with", "one", "word:", "Male", "Female", "or", "speaker"]

#: the thinker's default system prompt, as the published chat template writes it
OMNI_SYSTEM = ("You are Qwen, a virtual human developed by the Qwen Team, Alibaba Group, capable of perceiving "
               "auditory and visual inputs, as well as generating text and speech.")
OMNI_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
    + OMNI_SYSTEM + "<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'audio' %}<|audio_bos|><|AUDIO|><|audio_eos|>{% elif part['type'] == 'text' %}"
    "{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass(frozen=True)
class Shape:
    tiny: bool  # tiny shapes for the CPU; else the published sizes


def padded_tokenizer(vocab_size: int) -> PreTrainedTokenizerFast:
    """Specials first, a few words, then filler tokens up to the model's vocabulary size."""
    head = [*QWEN_SPECIALS, "[UNK]", *WORDS]
    vocab = {token: i for i, token in enumerate(head)}
    vocab.update({f"t{i}": i for i in range(len(head), vocab_size)})
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]", pad_token="<|endoftext|>",
                                   eos_token="<|im_end|>", additional_special_tokens=QWEN_SPECIALS,
                                   extra_special_tokens=NAMED)


def token_id(tokenizer: PreTrainedTokenizerFast, token: str) -> int:
    found = tokenizer.convert_tokens_to_ids(token)
    assert isinstance(found, int), token
    return found


def fixed_length(tokenizer: PreTrainedTokenizerFast) -> GenerationConfig:
    ids = sorted({token_id(tokenizer, t) for t in [*QWEN_SPECIALS, "[UNK]"]})
    return GenerationConfig(eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                            suppress_tokens=ids, do_sample=False)


def features(mel_bins: int, window_s: int) -> WhisperFeatureExtractor:
    return WhisperFeatureExtractor(feature_size=mel_bins, sampling_rate=16_000, hop_length=160, chunk_length=window_s,
                                   n_fft=400, return_attention_mask=True)


def build_checkpoint(kind: str, folder: Path, shape: Shape, device: str, new_tokens: int) -> Path:
    builders = {"qwen2-audio-7b": qwen2_audio, "qwen2.5-omni-7b-thinker": omni_thinker}
    if kind not in builders:
        raise ValueError(f"unknown checkpoint {kind!r} (known: {', '.join(builders)})")
    return builders[kind](folder, shape, device)


def instantiate(model_class: Any, config: Any, device: str) -> Any:
    """Random weights straight on the device in the checkpoint dtype (bf16 on a GPU)."""
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    start = time.perf_counter()
    with torch.device(device):
        try:
            model = model_class._from_config(config, dtype=dtype)
        except TypeError:  # transformers before 5 named it torch_dtype
            model = model_class._from_config(config, torch_dtype=dtype)
    print(f"  {type(model).__name__}: {sum(p.numel() for p in model.parameters()) / 1e9:.2f} B parameters, "
          f"initialised in {time.perf_counter() - start:.0f} s", flush=True)
    return model


def save(model: Any, tokenizer: PreTrainedTokenizerFast, folder: Path) -> None:
    model.generation_config = fixed_length(tokenizer)
    model.save_pretrained(folder)


def qwen2_audio(folder: Path, shape: Shape, device: str) -> Path:
    from transformers import Qwen2AudioConfig, Qwen2AudioForConditionalGeneration, Qwen2AudioProcessor

    tokenizer = padded_tokenizer(256 if shape.tiny else 156_032)
    audio: dict[str, Any]
    text: dict[str, Any]
    if shape.tiny:
        audio = {"d_model": 16, "encoder_layers": 2, "encoder_attention_heads": 4, "encoder_ffn_dim": 16,
                 "num_mel_bins": 80, "max_source_positions": 150}
        text = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                "num_key_value_heads": 2, "max_position_embeddings": 1024}
    else:  # Qwen2-Audio-7B-Instruct: a Whisper-large-v3 encoder and a Qwen-7B decoder
        audio = {"d_model": 1280, "encoder_layers": 32, "encoder_attention_heads": 20, "encoder_ffn_dim": 5120,
                 "num_mel_bins": 128, "max_source_positions": 1500}
        text = {"hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
                "num_key_value_heads": 32, "max_position_embeddings": 8192, "rms_norm_eps": 1e-5,
                "rope_theta": 10000.0}
    config = Qwen2AudioConfig(audio_config=audio, text_config={"model_type": "qwen2", "vocab_size": len(tokenizer),
                                                               **text},
                              audio_token_index=token_id(tokenizer, "<|AUDIO|>"))
    save(instantiate(Qwen2AudioForConditionalGeneration, config, device), tokenizer, folder)
    extractor = features(80 if shape.tiny else 128, 3 if shape.tiny else 30)
    Qwen2AudioProcessor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def omni_thinker(folder: Path, shape: Shape, device: str) -> Path:
    from transformers import Qwen2_5OmniThinkerConfig, Qwen2_5OmniThinkerForConditionalGeneration

    tokenizer = padded_tokenizer(256 if shape.tiny else 152_064)
    audio: dict[str, Any]
    vision: dict[str, Any]
    text: dict[str, Any]
    if shape.tiny:
        audio = {"d_model": 16, "encoder_layers": 2, "encoder_attention_heads": 4, "encoder_ffn_dim": 16,
                 "num_mel_bins": 80, "output_dim": 32, "n_window": 50}
        vision = {"depth": 1, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2, "out_hidden_size": 32,
                  "fullatt_block_indexes": [0]}
        text = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                "num_key_value_heads": 2, "max_position_embeddings": 4096,
                "rope_parameters": {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [2, 1, 1]}}
    else:  # the thinker of Qwen2.5-Omni-7B: audio encoder, vision encoder (unused here), Qwen2.5-7B decoder
        audio = {"d_model": 1280, "encoder_layers": 32, "encoder_attention_heads": 20, "encoder_ffn_dim": 5120,
                 "num_mel_bins": 128, "max_source_positions": 1500, "output_dim": 3584, "n_window": 100}
        vision = {"depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16,
                  "out_hidden_size": 3584, "fullatt_block_indexes": [7, 15, 23, 31]}
        text = {"hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
                "num_key_value_heads": 4, "max_position_embeddings": 32768, "rms_norm_eps": 1e-6,
                "rope_parameters": {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [16, 24, 24]}}
    ids = {t: token_id(tokenizer, t) for t in QWEN_SPECIALS}
    config = Qwen2_5OmniThinkerConfig(
        audio_config=audio, vision_config=vision, text_config={"vocab_size": len(tokenizer), **text},
        audio_token_index=ids["<|AUDIO|>"], image_token_index=ids["<|IMAGE|>"], video_token_index=ids["<|VIDEO|>"],
        audio_start_token_id=ids["<|audio_bos|>"], audio_end_token_id=ids["<|audio_eos|>"],
        user_token_id=token_id(tokenizer, "user"))
    config.vision_start_token_id = ids["<|vision_bos|>"]
    save(instantiate(Qwen2_5OmniThinkerForConditionalGeneration, config, device), tokenizer, folder)
    omni_processor(tokenizer, features(80 if shape.tiny else 128, 30 if shape.tiny else 300)).save_pretrained(folder)
    return folder


def omni_processor(tokenizer: PreTrainedTokenizerFast, extractor: WhisperFeatureExtractor) -> Any:
    """Its image and video processors are never used here, but the processor needs them (and
    the video processor needs torchvision)."""
    from transformers import Qwen2_5OmniProcessor, Qwen2VLImageProcessor
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    return Qwen2_5OmniProcessor(image_processor=Qwen2VLImageProcessor(), video_processor=Qwen2VLVideoProcessor(),
                                feature_extractor=extractor, tokenizer=tokenizer, chat_template=OMNI_TEMPLATE)
