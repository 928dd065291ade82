"""Tiny random-weight audio LLMs built offline, saved like a real checkpoint (nothing is downloaded).

They load through the real AutoConfig / AutoProcessor / from_pretrained path and generate through
the real processor and chat template, in about a second on a CPU. Weights are re-drawn with a large
spread so that different audio leads to different tokens (default init barely lets audio matter).
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast, WhisperFeatureExtractor

QWEN_SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>"]
WORDS = ["system", "user", "assistant", "You", "are", "a", "helpful", "assistant.", "Audio", "1:", "2:",
         "Female", "Male", "What", "is", "the", "sex", "of", "speaker?", "[UNK]",
         *(f"w{i}" for i in range(40))]


def word_tokenizer(specials: list[str]) -> PreTrainedTokenizerFast:
    """A whitespace WordLevel vocabulary with the given special tokens."""
    vocab = {token: i for i, token in enumerate([*specials, *WORDS])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]", pad_token="<|endoftext|>",
                                   eos_token="<|im_end|>", additional_special_tokens=specials)


def spread_weights(model: torch.nn.Module, seed: int = 1, std: float = 0.5) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * std)


def whisper_features() -> WhisperFeatureExtractor:
    # chunk_length=1: 1 s windows, 100 frames; the encoder below is sized for it
    return WhisperFeatureExtractor(feature_size=80, sampling_rate=16_000, hop_length=160, chunk_length=1)


def build_qwen2_audio(folder: Path) -> Path:
    from transformers import Qwen2AudioConfig, Qwen2AudioForConditionalGeneration, Qwen2AudioProcessor

    tokenizer = word_tokenizer(QWEN_SPECIALS)
    config = Qwen2AudioConfig(
        audio_config={"d_model": 16, "encoder_layers": 2, "encoder_attention_heads": 4, "encoder_ffn_dim": 16,
                      "num_mel_bins": 80, "max_source_positions": 50},
        text_config={"model_type": "qwen2", "vocab_size": len(tokenizer), "hidden_size": 32,
                     "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                     "num_key_value_heads": 2, "max_position_embeddings": 256},
        audio_token_index=tokenizer.convert_tokens_to_ids("<|AUDIO|>"),
    )
    torch.manual_seed(0)
    model = Qwen2AudioForConditionalGeneration(config)
    spread_weights(model)
    model.save_pretrained(folder)
    Qwen2AudioProcessor(feature_extractor=whisper_features(), tokenizer=tokenizer).save_pretrained(folder)
    return folder


#: Qwen-style chat template for checkpoints that ship none (real checkpoints carry their own)
QWEN_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'audio' %}AUDIO_PLACEHOLDER{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_audioflamingo3(folder: Path) -> Path:
    """NVIDIA Audio Flamingo 3's layout (Whisper-style encoder, Qwen2 decoder, <sound> token), tiny."""
    from transformers import AudioFlamingo3Config, AudioFlamingo3ForConditionalGeneration, AudioFlamingo3Processor

    tokenizer = word_tokenizer([*QWEN_SPECIALS, "<sound>"])
    config = AudioFlamingo3Config(
        audio_config={"num_mel_bins": 80, "num_hidden_layers": 2, "num_attention_heads": 4,
                      "intermediate_size": 16, "hidden_size": 16, "max_source_positions": 50},
        text_config={"model_type": "qwen2", "vocab_size": len(tokenizer), "hidden_size": 32,
                     "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                     "num_key_value_heads": 2, "max_position_embeddings": 256},
        audio_token_id=tokenizer.convert_tokens_to_ids("<sound>"),
    )
    torch.manual_seed(0)
    model = AudioFlamingo3ForConditionalGeneration(config)
    spread_weights(model)
    model.save_pretrained(folder)
    template = QWEN_TEMPLATE.replace("AUDIO_PLACEHOLDER", "<sound>")
    AudioFlamingo3Processor(feature_extractor=whisper_features(), tokenizer=tokenizer,
                            chat_template=template).save_pretrained(folder)
    return folder


def build_granite_speech(folder: Path, adapter: bool = True) -> Path:
    """IBM Granite Speech's layout (conformer encoder, Q-Former projector, Granite decoder), tiny, with
    the LoRA adapter its config declares saved beside the weights (adapter=False leaves it out)."""
    from peft import LoraConfig, get_peft_model
    from transformers import GraniteSpeechConfig, GraniteSpeechForConditionalGeneration

    tokenizer = word_tokenizer([*QWEN_SPECIALS, "<|audio|>"])
    config = GraniteSpeechConfig(
        encoder_config={"input_dim": 160, "num_layers": 1, "hidden_dim": 16, "num_heads": 2, "output_dim": 8,
                        "context_size": 20, "max_pos_emb": 32, "conv_kernel_size": 3},
        projector_config={"model_type": "blip_2_qformer", "hidden_size": 16, "num_hidden_layers": 1,
                          "num_attention_heads": 2, "intermediate_size": 16, "encoder_hidden_size": 16,
                          "cross_attention_frequency": 1},
        text_config={"model_type": "granite", "vocab_size": len(tokenizer), "hidden_size": 32,
                     "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                     "num_key_value_heads": 2, "max_position_embeddings": 256},
        audio_token_index=tokenizer.convert_tokens_to_ids("<|audio|>"), has_lora_adapter=True,
    )
    torch.manual_seed(0)
    model = GraniteSpeechForConditionalGeneration(config)
    spread_weights(model)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if adapter:
        lora = LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"])
        get_peft_model(GraniteSpeechForConditionalGeneration(config), lora).save_pretrained(folder)
    return folder


def build_phi4_config_only(folder: Path) -> Path:
    """Just the config of a Phi-4-multimodal checkpoint: the backend must refuse it before loading more."""
    from transformers import Phi4MultimodalConfig

    Phi4MultimodalConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=64).save_pretrained(folder)
    return folder
