"""One readable string names a model, a task or a transform.

    probe                                   family only
    attribute:sex                           family and its main argument
    openai:gpt-4o-audio-preview temperature=0.2 base_url=http://127.0.0.1:8000/v1
    noise:snr=10                            a key=value directly after the colon

Key=value pairs follow the family, separated by spaces or commas. The canonical form (`str(spec)`)
sorts the keys, so the same spec always names the same run-log entries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_PAIR = re.compile(r"^([A-Za-z_][\w.\-]*)=(.*)$")


class SpecError(ValueError):
    pass


@dataclass(frozen=True)
class Spec:
    family: str
    arg: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        head = self.family + (f":{self.arg}" if self.arg is not None else "")
        tail = " ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{head} {tail}".strip()

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.params.get(key, default)

    def get_float(self, key: str, default: float) -> float:
        return _convert(self, key, default, float)

    def get_int(self, key: str, default: int) -> int:
        return int(_convert(self, key, default, int))

    def get_bool(self, key: str, default: bool) -> bool:
        value = self.params.get(key)
        if value is None:
            return default
        if value.lower() in {"1", "true", "yes", "on"}:
            return True
        if value.lower() in {"0", "false", "no", "off"}:
            return False
        raise SpecError(f"{self}: {key} must be true or false, got {value!r}")

    def check_known(self, known: set[str]) -> None:
        """Reject a misspelt key instead of silently ignoring it."""
        unknown = sorted(set(self.params) - known)
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise SpecError(f"{self.family}: unknown argument(s) {', '.join(unknown)} (allowed: {allowed})")


def _convert(spec: Spec, key: str, default: float, kind: type) -> float:
    value = spec.params.get(key)
    if value is None:
        return default
    try:
        converted: float = kind(value)
        return converted
    except ValueError as exc:
        raise SpecError(f"{spec}: {key} must be a {kind.__name__}, got {value!r}") from exc


def parse_spec(text: str) -> Spec:
    tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    if not tokens:
        raise SpecError("empty name")
    head, rest = tokens[0], tokens[1:]
    family, sep, arg = head.partition(":")
    if not re.fullmatch(r"[A-Za-z][\w\-]*", family):
        raise SpecError(f"{text!r}: {family!r} is not a valid name")
    params: dict[str, str] = {}
    if sep and _PAIR.match(arg):
        rest = [arg, *rest]
        arg = ""
    for token in rest:
        match = _PAIR.match(token)
        if not match:
            raise SpecError(f"{text!r}: expected key=value, got {token!r}")
        params[match.group(1)] = match.group(2)
    return Spec(family, arg if sep and arg else None, params)
