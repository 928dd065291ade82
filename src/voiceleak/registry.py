"""One generic registry for models, tasks, transforms and scorers.

The decorator is the only place a name is declared. Entries can also be lazy ("module:attr")
so that optional backends are listed without importing their heavy dependencies, and third
parties register through the entry-point group "voiceleak.plugins".

A registry is typed (`Registry[ModelFactory]`), so `models.get(name)(spec)` is known to return a
model. Its `declare` hook completes each entry as it is registered: a plugin written against the
minimal protocol still gets every optional member, with the default its base class declares, so the
runner reads them as plain attributes.
"""

from __future__ import annotations

import difflib
import importlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

T = TypeVar("T", covariant=True)  # covariant: the registries of models, tasks and transforms list alike
S = TypeVar("S")

PLUGIN_GROUP = "voiceleak.plugins"


class UnknownNameError(KeyError):
    """Raised for a name nobody registered; the message suggests the closest names."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    summary: str
    target: T | str  # the object, or "module:attr" until first use


def fill_defaults(target: Any, base: type, members: Iterable[str]) -> None:
    """Give the class `target` each of `members` it lacks, with `base`'s default: the optional members
    a protocol declares, for a plugin class that does not inherit the base class. Taken from the
    class dictionaries, so a method stays a method and a classmethod a classmethod."""
    if not isinstance(target, type):
        return
    for member in members:
        if not hasattr(target, member):
            owner = next(k for k in base.__mro__ if member in k.__dict__)
            setattr(target, member, owner.__dict__[member])


class Registry(Generic[T]):
    def __init__(self, kind: str, declare: Callable[[str, Any], Any] | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        self._declare = declare

    def register(self, name: str, summary: str = "") -> Callable[[S], S]:
        """Decorator: `@models.register("probe")`.

        It takes any object, not only a T: the `declare` hook completes a plugin class that lacks some
        optional member at run time, which a static checker cannot see (the contract tests check it)."""

        def decorate(obj: S) -> S:
            declared = self._declare(name, obj) if self._declare is not None else obj
            self._add(name, summary or _first_doc_line(obj), declared)
            return obj

        return decorate

    def register_lazy(self, name: str, target: str, summary: str) -> None:
        """Declare an entry whose module is imported only when it is used."""
        self._add(name, summary, target)

    def _add(self, name: str, summary: str, target: Any) -> None:
        existing = self._entries.get(name)
        if existing is not None and existing.target is not target and not isinstance(existing.target, str):
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = Entry(name, summary, target)

    def get(self, name: str) -> T:
        entry = self._entries.get(name)
        if entry is None:
            load_plugins()
            entry = self._entries.get(name)
        if entry is None:
            close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            known = ", ".join(sorted(self._entries))
            raise UnknownNameError(f"unknown {self.kind} {name!r}{hint} (known: {known})")
        if isinstance(entry.target, str):
            module_name, _, attr = entry.target.partition(":")
            module = importlib.import_module(module_name)
            # Importing the module runs its decorator, which replaces the lazy entry.
            resolved = self._entries[name].target
            if isinstance(resolved, str):
                resolved = getattr(module, attr)
                self._entries[name] = Entry(name, entry.summary, resolved)
            return resolved
        return entry.target

    def names(self) -> list[str]:
        load_plugins()
        return sorted(self._entries)

    def entries(self) -> Iterator[Entry[T]]:
        for name in self.names():
            yield self._entries[name]

    def __contains__(self, name: str) -> bool:
        return name in self._entries


def _first_doc_line(obj: object) -> str:
    doc = getattr(obj, "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


_plugins_loaded = False


def load_plugins() -> None:
    """Import every module advertised under the entry-point group, once.

    VOICELEAK_PLUGINS (comma-separated module names) adds modules that are not packaged, such as a
    lab's own backend in a local file on PYTHONPATH.
    """
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group=PLUGIN_GROUP):
        ep.load()
    for module in filter(None, (m.strip() for m in os.environ.get("VOICELEAK_PLUGINS", "").split(","))):
        importlib.import_module(module)
