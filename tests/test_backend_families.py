"""Families that must not run degraded (issue 15, items 2 and 3): Granite Speech only with its LoRA
adapter loaded, Phi-4-multimodal refused with the reason, a family whose packages do not load here
refused by name. Tiny checkpoints built offline."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import transformers
from transformers import AutoConfig

from tiny_audio_llms import build_granite_speech, build_phi4_config_only
from voiceleak.models import hf_families
from voiceleak.models.base import build_model
from voiceleak.models.hf_families import (
    AdapterMissingError,
    Family,
    UnsupportedFamilyError,
    check_adapter,
    check_supported,
    choose_family,
)
from voiceleak.models.hf_transformers import load_model


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def load(folder: Path) -> tuple[Family, object, object]:
    config = AutoConfig.from_pretrained(folder)
    family = choose_family(config.model_type)
    model = load_model(family, config, str(folder), torch.float32, {"local_files_only": True})
    return family, config, model


def test_granite_speech_runs_only_with_its_lora_adapter_loaded(tmp_path: Path) -> None:
    family, config, model = load(build_granite_speech(tmp_path / "with"))
    assert family.name == "granite-speech" and config.has_lora_adapter  # type: ignore[attr-defined]
    assert model._hf_peft_config_loaded and list(model.peft_config)  # type: ignore[attr-defined]
    check_adapter(family, config, model)  # loaded: accepted

    family, config, model = load(build_granite_speech(tmp_path / "without", adapter=False))
    with pytest.raises(AdapterMissingError, match="did not load"):
        check_adapter(family, config, model)


def test_granite_speech_without_peft_is_refused_not_run_with_a_warning(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """transformers only logs a warning when peft is missing; the backend refuses instead."""
    folder = build_granite_speech(tmp_path / "granite")
    monkeypatch.setattr(transformers.integrations.peft, "is_peft_available", lambda: False)
    family, config, model = load(folder)
    assert not getattr(model, "_hf_peft_config_loaded", False)  # what transformers would run
    with pytest.raises(AdapterMissingError, match="mishear"):
        check_adapter(family, config, model)


def test_granite_speech_is_refused_by_name_where_its_feature_extractor_cannot_load(tmp_path: Path) -> None:
    folder = build_granite_speech(tmp_path / "granite")
    try:
        import torchaudio  # noqa: F401
    except Exception:
        with pytest.raises(UnsupportedFamilyError, match="needs torchaudio"):
            build_model(f"transformers:{folder} offline=true")
    else:  # pragma: no cover - a torchaudio that loads: the family is built (adapter checked)
        pytest.skip("torchaudio loads here; the refusal is for installs where it does not")


def test_phi4_multimodal_is_refused_with_the_reason_and_the_way_that_works(tmp_path: Path) -> None:
    folder = build_phi4_config_only(tmp_path / "phi4")
    with pytest.raises(UnsupportedFamilyError) as refused:
        build_model(f"transformers:{folder} offline=true")
    message = str(refused.value)
    assert "chat template" in message and "speech-lora" in message and "vllm serve" in message


def test_a_missing_package_is_named_with_the_extra_that_installs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    family = Family("needy", ("needy",), requires=(("voiceleak_no_such_module", "its processor", "needy"),))
    wanted = r"needs voiceleak_no_such_module .* pip install 'voiceleak\[needy\]'"
    with pytest.raises(UnsupportedFamilyError, match=wanted):
        check_supported(family)

    def broken(name: str) -> object:
        raise RuntimeError("operator torchvision::nms does not exist")

    monkeypatch.setattr(hf_families.importlib, "import_module", broken)
    with pytest.raises(UnsupportedFamilyError, match=r"does not load here.*nms"):
        check_supported(Family("vision", ("vision",), requires=(("torchvision", "images", "phi4"),)))


def test_the_checkpoints_generation_config_is_kept_explicitly_and_recorded(tmp_path: Path) -> None:
    """Item 7: transformers applies generation_config.json implicitly; the backend passes what it keeps
    explicitly (the same fields the vllm backend keeps) and pins the rest, and the header records it."""
    from transformers import GenerationConfig

    from tiny_audio_llms import build_qwen2_audio
    from voiceleak.models import vllm_backend
    from voiceleak.models.hf_families import KEPT_FROM_CHECKPOINT, generation_kwargs
    from voiceleak.types import Decoding

    folder = build_qwen2_audio(tmp_path / "qwen")
    GenerationConfig(repetition_penalty=1.3, top_k=20, temperature=0.7, top_p=0.8, num_beams=3,
                     do_sample=True).save_pretrained(folder)
    model = build_model(f"transformers:{folder} offline=true")
    assert model.identity()["decoding_from_checkpoint"] == {"repetition_penalty": 1.3, "top_k": 20}
    greedy = generation_kwargs(model.model, Decoding())  # type: ignore[attr-defined]
    assert greedy == {"num_beams": 1, "repetition_penalty": 1.3, "no_repeat_ngram_size": 0}  # no beams of 3
    sampled = generation_kwargs(model.model, Decoding(temperature=0.5))  # type: ignore[attr-defined]
    assert (sampled["temperature"], sampled["top_p"], sampled["top_k"]) == (0.5, 1.0, 20)  # shared settings win
    assert tuple(KEPT_FROM_CHECKPOINT) == vllm_backend.KEPT_FROM_CHECKPOINT  # one rule on both paths
    import asyncio

    import numpy as np

    from voiceleak.types import Audio, Request

    audio = Audio(np.sin(np.arange(8000) * 0.1).astype(np.float32), 16_000)
    out = asyncio.run(model.generate([Request("a", "What is the sex of the speaker?", audio,  # type: ignore[union-attr]
                                              decoding=Decoding(max_tokens=4))]))
    assert out[0].ok, out[0].error


#: the chat template circulating with Qwen/Qwen2-Audio-7B-Instruct: it places the audio token only for
#: a part that has an "audio" or "audio_url" key
QWEN2_AUDIO_HUB_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and "
    "message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}{% if 'audio' in content or 'audio_url' in content %}"
    "{% set audio_count.value = audio_count.value + 1 %}Audio {{ audio_count.value }}: "
    "<|audio_bos|><|AUDIO|><|audio_eos|>\n{% elif 'text' in content %}{{ content['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_qwen2_audio_parts_satisfy_the_hub_template(tmp_path: Path) -> None:
    """Item 9: with the hub's template, a bare {"type": "audio"} part places no audio token."""
    import asyncio

    import numpy as np

    from tiny_audio_llms import build_qwen2_audio
    from voiceleak.types import Audio, Decoding, Request

    model = build_model(f"transformers:{build_qwen2_audio(tmp_path / 'qwen')} offline=true")
    model.processor.chat_template = QWEN2_AUDIO_HUB_TEMPLATE  # type: ignore[attr-defined]
    audio = Audio(np.sin(np.arange(8000) * 0.1).astype(np.float32), 16_000)
    request = Request("a", "What is the sex of the speaker?", audio, decoding=Decoding(max_tokens=3))
    [part, _] = model.family.messages(request, audio, None)[0]["content"]  # type: ignore[attr-defined]
    assert part["type"] == "audio" and "audio_url" in part
    out = asyncio.run(model.generate([request]))  # type: ignore[union-attr]
    assert out[0].ok, out[0].error  # the backend checks the audio token was placed and features exist


def test_gemma3n_cuts_long_clips_itself_and_says_so() -> None:
    """Item 9: Gemma 3n's extractor truncates at 30 s silently; the backend cuts and records it."""
    from types import SimpleNamespace

    import numpy as np

    from voiceleak.models.hf_transformers import TransformersModel
    from voiceleak.types import Audio, Request

    family = choose_family("gemma3n")
    assert family.cut_to_window and family.window(None) == 30.0
    owner = SimpleNamespace(family=family, processor=None)
    long, short = (Audio(np.zeros(n * 16_000, dtype=np.float32), 16_000) for n in (45, 10))
    audios, metas = TransformersModel._audio_inputs(owner, [Request("a", "?", long),  # type: ignore[arg-type]
                                                            Request("b", "?", short)])
    assert audios[0] is not None and audios[0].duration == 30.0 and metas[0] == {"audio_cut_to_s": 30.0}
    assert audios[1] is not None and audios[1].duration == 10.0 and metas[1] == {}


def test_omni_families_pass_no_deprecated_processor_arguments() -> None:
    for name in ("qwen2_5_omni", "qwen3_omni_moe"):
        assert "use_audio_in_video" not in choose_family(name).processor_kwargs


def test_omni_families_are_refused_by_name_where_torchvision_cannot_load() -> None:
    """Their processors cannot be built without torchvision; say so instead of an AttributeError."""
    for name in ("qwen2_5_omni", "qwen3_omni_moe"):
        family = choose_family(name)
        try:
            import torchvision  # noqa: F401
        except Exception:
            with pytest.raises(UnsupportedFamilyError, match=r"needs torchvision .*(voiceleak\[omni\]|CPU-only)"):
                check_supported(family)
        else:  # pragma: no cover - a working torchvision: nothing to refuse
            check_supported(family)
