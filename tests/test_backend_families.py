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
