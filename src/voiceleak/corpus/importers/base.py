"""What an importer is, and the reading helpers every importer shares.

An importer is a function `(ImportContext) -> Iterator[Found | Problem]`: it streams one `Found` per
clip it could build and one `Problem` (file, line, reason) per row it could not. It never holds the
corpus in memory; the driver writes each clip as it arrives.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import gzip
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from voiceleak.attributes import Taxonomy
from voiceleak.corpus.importers.labels import LabelMapper
from voiceleak.corpus.manifest import Problem
from voiceleak.registry import Registry
from voiceleak.types import Clip

AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".sph"})


class ImportSourceError(ValueError):
    """The source is not a corpus of this kind (wrong folder, missing metadata file, bad --map)."""


@dataclass(frozen=True)
class Found:
    """A clip and the row it came from (so that a duplicate can be reported where it is)."""

    clip: Clip
    file: str
    line: int | None = None


@dataclass
class ImportContext:
    source: Path
    out_dir: Path  # the manifest's folder: importers that extract audio write it under here
    tax: Taxonomy
    mapping: Mapping[str, str] = field(default_factory=dict)  # --map target=column
    labels: LabelMapper = field(init=False)
    notes: Counter[str] = field(default_factory=Counter)  # what was skipped or assumed, counted

    def __post_init__(self) -> None:
        self.labels = LabelMapper(self.tax)

    def note(self, message: str, count: int = 1) -> None:
        self.notes[message] += count


Importer = Callable[[ImportContext], Iterator[Found | Problem]]
importers: Registry[Importer] = Registry("importer")

F = TypeVar("F", bound=Callable[..., object])


def takes_map(function: F) -> F:
    """Marks an importer that reads `--map target=column` (the others refuse it)."""
    function.takes_map = True  # type: ignore[attr-defined]
    return function


def detect_encoding(path: Path) -> str:
    """The encoding to read a metadata file with: BOMs first, then UTF-8 if every byte decodes.

    Spreadsheet exports arrive as UTF-16 ("Unicode text") or Windows-1252; both are read rather
    than refused. The check streams the file in blocks, so a large table costs no memory.
    """
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while block := handle.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def open_text(path: Path, ctx: ImportContext | None = None) -> IO[str]:
    encoding = detect_encoding(path)
    if encoding == "cp1252" and ctx is not None:
        ctx.note(f"{path.name}: not valid UTF-8, read as Windows-1252")
    return open(path, encoding=encoding, errors="replace", newline="")


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    values: dict[str, str]


def read_table(
    path: Path,
    ctx: ImportContext,
    delimiter: str | None = None,
    *,
    quote_none: bool = False,
    strict_width: bool = True,
) -> Iterator[Row | Problem]:
    """Rows of a delimited table as {header: value}, with the physical line each row ends on.

    Headers and values are stripped (VoxCeleb2's meta pads every field with spaces). A row whose
    width differs from the header's is a Problem unless `strict_width` is off (then short rows are
    padded with blanks).
    """
    with open_text(path, ctx) as handle:
        first = handle.readline()
        if delimiter is None:
            delimiter = sniff_delimiter(first)
        header = [h.strip().lstrip("\ufeff") for h in next(csv.reader([first], delimiter=delimiter))]
        # Common Voice writes sentences with bare quotes: reading them as quoting would merge rows.
        reader = csv.reader(
            handle, delimiter=delimiter, quoting=csv.QUOTE_NONE if quote_none else csv.QUOTE_MINIMAL
        )
        for cells in reader:
            line = reader.line_num + 1  # +1: the header was read before the reader started
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header) and (strict_width or len(cells) > len(header)):
                yield Problem(
                    str(path),
                    line,
                    None,
                    f"expected {len(header)} fields as in the header ({', '.join(header)}), got {len(cells)}",
                )
                continue
            cells = cells + [""] * (len(header) - len(cells))
            yield Row(str(path), line, {h: c.strip() for h, c in zip(header, cells, strict=True)})


def sniff_delimiter(header_line: str) -> str:
    """The delimiter a header line uses: the most frequent of tab, comma, semicolon and pipe."""
    counts = {d: header_line.count(d) for d in ("\t", ",", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def column(values: Mapping[str, str], *names: str) -> str | None:
    """The value of the first column present among `names`, matched case- and space-insensitively."""
    wanted = [n.lower().replace(" ", "") for n in names]
    lowered = {k.lower().replace(" ", ""): v for k, v in values.items()}
    for name in wanted:
        if name in lowered:
            return lowered[name]
    return None


def walk_files(root: Path, suffixes: frozenset[str] = AUDIO_SUFFIXES) -> Iterator[Path]:
    """Audio files under `root`, depth first in sorted order (deterministic manifests), streamed."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=True):
            yield from walk_files(Path(entry.path), suffixes)
        elif Path(entry.name).suffix.lower() in suffixes:
            yield Path(entry.path)


def find_child(folder: Path, name: str) -> Path | None:
    """A child of `folder` by name, ignoring case (TIMIT ships both TRAIN/ and train/)."""
    if not folder.is_dir():
        return None
    exact = folder / name
    if exact.exists():
        return exact
    for child in folder.iterdir():
        if child.name.lower() == name.lower():
            return child
    return None


#: speaker id -> (labels, raw labels), read from a corpus's speaker table
Speakers = dict[str, tuple[dict[str, str], dict[str, str]]]


def require_file(root: Path, name: str, max_depth: int, where: str = "") -> Path:
    """A corpus's metadata file, or ImportSourceError naming what was looked for and where."""
    found = find_file(root, name, max_depth)
    if found is None:
        raise ImportSourceError(f"{root}: {name} not found{where}")
    return found


def find_file(root: Path, name: str, max_depth: int = 3) -> Path | None:
    """The first file called `name` (any case) at most `max_depth` folders below `root`."""
    if root.is_file():
        return root if root.name.lower() == name.lower() else None
    frontier = [root]
    for _ in range(max_depth + 1):
        found = [c for folder in frontier for c in (find_child(folder, name),) if c and c.is_file()]
        if found:
            return found[0]
        frontier = sorted(c for folder in frontier if folder.is_dir() for c in folder.iterdir() if c.is_dir())
    return None


def relative_id(path: Path, base: Path) -> str:
    """A clip id from an audio path: relative to `base`, without the suffix, with forward slashes."""
    try:
        rel = path.relative_to(base)
    except ValueError:
        rel = Path(path.name)
    return rel.with_suffix("").as_posix()


def read_json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]] | Problem]:
    """(line, object) per JSON line of a plain or gzipped file; a Problem for each broken line."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Problem(str(path), number, None, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(row, dict):
                yield Problem(str(path), number, None, "a line must be a JSON object")
                continue
            yield number, row


def is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def check_map(ctx: ImportContext, fields: tuple[str, ...]) -> dict[str, str]:
    """--map targets checked: each must be one of the importer's clip `fields` or a taxonomy attribute.

    Returns column -> attribute for the attribute targets (the label columns the user named)."""
    attributes: dict[str, str] = {}
    for target, name in ctx.mapping.items():
        if target in fields:
            continue
        attribute = ctx.tax.resolve(target)
        if attribute is None:
            close = difflib.get_close_matches(target, [*fields, *ctx.tax.names()], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ImportSourceError(
                f"--map {target}={name}: {target!r} is neither a clip field "
                f"({', '.join(fields)}) nor an attribute{hint}"
            )
        attributes[name] = attribute
    return attributes
