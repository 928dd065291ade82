"""One readable string names a model, a task or a transform.

    probe                                   family only
    attribute:sex                           family and its main argument
    openai:gpt-4o-audio-preview temperature=0.2 base_url=http://127.0.0.1:8000/v1
    noise:snr=10                            a key=value directly after the colon

Key=value pairs follow the family, separated by spaces or commas. A value holding a space or a
comma is quoted: `header.Authorization="Bearer sk-..."` (single quotes work too). The canonical form
(`str(spec)`) sorts the keys, so the same spec always names the same run-log entries.

`header.*` values are secrets (API keys, bearer tokens): no error message shows them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_PAIR = re.compile(r"^([A-Za-z_][\w.\-]*)=(.*)$", re.DOTALL)
_TOKEN = re.compile(r"""(?:"[^"]*"|'[^']*'|[^\s,"'])+""")
_HEADER_VALUE = re.compile(r"""(header\.[\w.\-]+=)("[^"]*"|'[^']*'|[^\s,]*)""")
SECRET_PREFIX = "header."
HIDDEN = "[REDACTED]"


def hide_secrets(text: str) -> str:
    """`text` with the value of every `header.NAME=` argument replaced, for error messages."""
    return _HEADER_VALUE.sub(lambda m: m.group(1) + HIDDEN, text)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _quote(value: str) -> str:
    if value and not re.search(r"[\s,\"']", value):
        return value
    return f"'{value}'" if '"' in value else f'"{value}"'


class SpecError(ValueError):
    pass


@dataclass(frozen=True)
class Spec:
    family: str
    arg: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        head = self.family + (f":{self.arg}" if self.arg is not None else "")
        tail = " ".join(f"{k}={_quote(v)}" for k, v in sorted(self.params.items()))
        return f"{head} {tail}".strip()

    def shown(self) -> str:
        """The spec for messages: `header.*` values hidden."""
        return hide_secrets(str(self))

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
        raise SpecError(f"{self.shown()}: {key} must be true or false, got {_value_shown(key, value)}")

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
        raise SpecError(f"{spec.shown()}: {key} must be a {kind.__name__}, "
                        f"got {_value_shown(key, value)}") from exc


def _value_shown(key: str, value: str) -> str:
    return HIDDEN if key.startswith(SECRET_PREFIX) else repr(value)


def parse_spec(text: str) -> Spec:
    if text.count('"') % 2 or text.count("'") % 2:
        raise SpecError(f"{hide_secrets(text)!r}: a quote is not closed")
    tokens = _TOKEN.findall(text.strip())
    if not tokens:
        raise SpecError("empty name")
    head, rest = tokens[0], tokens[1:]
    family, sep, arg = head.partition(":")
    if not re.fullmatch(r"[A-Za-z][\w\-]*", family):
        raise SpecError(f"{hide_secrets(text)!r}: {family!r} is not a valid name")
    params: dict[str, str] = {}
    if sep and _PAIR.match(arg):
        rest = [arg, *rest]
        arg = ""
    previous = ""
    for token in rest:
        match = _PAIR.match(token)
        if not match:
            if previous.startswith(SECRET_PREFIX):
                raise SpecError(f"{head}: a value with a space must be quoted, as in "
                                f"{previous}=\"Bearer ...\" (the rest of that value is not shown)")
            raise SpecError(f"{hide_secrets(text)!r}: expected key=value, got {token!r}")
        previous = match.group(1)
        params[match.group(1)] = _unquote(match.group(2))
    return Spec(family, arg if sep and arg else None, params)
