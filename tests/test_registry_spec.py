from __future__ import annotations

import pytest

from voiceleak.models import models
from voiceleak.registry import Registry, UnknownNameError
from voiceleak.spec import SpecError, parse_spec


def test_decorator_registers_and_unknown_name_suggests_close_ones() -> None:
    registry: Registry[object] = Registry("widget")

    @registry.register("sprocket", "a part")
    class Sprocket:
        pass

    assert registry.get("sprocket") is Sprocket
    with pytest.raises(UnknownNameError, match="did you mean 'sprocket'"):
        registry.get("sprockt")


def test_lazy_entry_imports_its_module_only_when_used() -> None:
    registry: Registry[object] = Registry("thing")
    registry.register_lazy("decimal", "decimal:Decimal", "stdlib decimal")
    assert "decimal" in registry.names()
    from decimal import Decimal

    assert registry.get("decimal") is Decimal


def test_same_name_twice_is_an_error() -> None:
    registry: Registry[object] = Registry("thing")
    registry.register("a")(int)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("a")(str)


def test_builtin_models_are_registered() -> None:
    assert {"probe", "majority", "uniform"} <= set(models.names())


@pytest.mark.parametrize(
    ("text", "family", "arg", "params"),
    [
        ("probe", "probe", None, {}),
        ("attribute:sex", "attribute", "sex", {}),
        ("openai:gpt-4o-audio-preview base_url=http://127.0.0.1:8000/v1 rpm=60",
         "openai", "gpt-4o-audio-preview", {"base_url": "http://127.0.0.1:8000/v1", "rpm": "60"}),
        ("noise:snr=10", "noise", None, {"snr": "10"}),
        ("attribute:age,prompts=mcq", "attribute", "age", {"prompts": "mcq"}),
    ],
)
def test_parse_spec(text: str, family: str, arg: str | None, params: dict[str, str]) -> None:
    spec = parse_spec(text)
    assert (spec.family, spec.arg, dict(spec.params)) == (family, arg, params)
    assert parse_spec(str(spec)) == spec  # the canonical form parses back to the same spec


def test_spec_rejects_garbage_and_unknown_keys() -> None:
    with pytest.raises(SpecError, match="expected key=value"):
        parse_spec("probe C")
    with pytest.raises(SpecError, match="unknown argument"):
        parse_spec("probe Cee=2").check_known({"C"})
    with pytest.raises(SpecError, match="must be a float"):
        parse_spec("probe C=abc").get_float("C", 1.0)
