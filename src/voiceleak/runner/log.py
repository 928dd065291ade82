"""The run directory: header.json, samples.jsonl (append-only, one line per finished sample).

A line is written and flushed as each sample lands, so a killed run loses at most the line being
written. On resume a torn last line is cut off and the keys already present are skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from voiceleak.types import SampleRecord

HEADER = "header.json"
SAMPLES = "samples.jsonl"
RESULTS = "results.json"


class RunDirError(RuntimeError):
    pass


class RunLog:
    def __init__(self, run_dir: Path | str) -> None:
        self.dir = Path(run_dir)
        self._handle: IO[str] | None = None

    @property
    def header_path(self) -> Path:
        return self.dir / HEADER

    @property
    def samples_path(self) -> Path:
        return self.dir / SAMPLES

    def read_header(self) -> dict[str, Any]:
        if not self.header_path.is_file():
            raise RunDirError(f"{self.dir}: not a run directory (no {HEADER})")
        data: dict[str, Any] = json.loads(self.header_path.read_text(encoding="utf-8"))
        return data

    def start(self, header: Mapping[str, Any], config: Mapping[str, Any]) -> set[str]:
        """Open for appending; returns the keys already done. Refuses a directory of another run."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.header_path.is_file():
            previous = self.read_header().get("config")
            if previous != json.loads(json.dumps(config, default=str)):
                raise RunDirError(
                    f"{self.dir} holds a run with a different configuration; "
                    "choose another --out directory (or delete this one) to start a new run"
                )
        else:
            _atomic_write(self.header_path, json.dumps(header, indent=2, default=str))
        done = self._repair_and_collect()
        self._handle = open(self.samples_path, "a", encoding="utf-8")  # noqa: SIM115  (held until close())
        return done

    def update_header(self, **fields: Any) -> None:
        header = self.read_header()
        header.update(fields)
        _atomic_write(self.header_path, json.dumps(header, indent=2, default=str))

    def _repair_and_collect(self) -> set[str]:
        if not self.samples_path.is_file():
            return set()
        done: set[str] = set()
        good_bytes = 0
        with open(self.samples_path, "rb") as handle:
            for raw in handle:
                try:
                    record = json.loads(raw)
                except json.JSONDecodeError:
                    break  # a line torn by a kill: everything after it is discarded
                if not raw.endswith(b"\n"):
                    break
                done.add(record["key"])
                good_bytes += len(raw)
        if good_bytes != self.samples_path.stat().st_size:
            with open(self.samples_path, "r+b") as handle:
                handle.truncate(good_bytes)
        return done

    def append(self, record: SampleRecord) -> None:
        if self._handle is None:
            raise RunDirError("run log is not open")
        self._handle.write(record.to_json() + "\n")
        self._handle.flush()  # in the OS's hands now: survives kill -9 of this process

    def close(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None

    def records(self) -> Iterator[SampleRecord]:
        """Every record once (the first line of a key wins), skipping a torn last line."""
        if not self.samples_path.is_file():
            return
        seen: set[str] = set()
        with open(self.samples_path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    data = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if data["key"] in seen:
                    continue
                seen.add(data["key"])
                yield SampleRecord.from_dict(data)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
