"""The run directory: header.json, samples.jsonl (append-only, one line per finished sample).

Each line reaches the file in one write() as its sample lands, and a failed write is rolled back,
so a killed run or a full disk can only tear the last line. On resume a torn last line is cut off;
a corrupt line anywhere else is skipped and reported, never a reason to drop the lines after it.

A sample whose last record is an error is asked again by the next run (up to MAX_ATTEMPTS records
in all), its earlier reasons kept in the new record's `meta.history`; an error marked final (a class
with too few speakers to estimate) is not retried. Where one key has several lines, a later line
replaces an earlier error, and an answer is never replaced.

One run at a time writes a directory: `start()` takes an exclusive lock on `.lock`, released when
the run closes the log or its process dies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from voiceleak.atomic import WriteError, atomic_write_text, describe_os_error
from voiceleak.types import SampleRecord

HEADER = "header.json"
SAMPLES = "samples.jsonl"
RESULTS = "results.json"
LOCK = ".lock"
#: records one sample may collect: the first attempt and two retries on later runs
MAX_ATTEMPTS = 3
#: meta flag of an error that asking again cannot change (e.g. "not estimable")
FINAL_ERROR = "final_error"


class RunDirError(RuntimeError):
    pass


# The system calls the log writes through (tests put a full disk or a read-only folder behind them).
_open_file = os.open
_write_chunk = os.write


@dataclass
class LogScan:
    """What a pass over samples.jsonl found."""

    done: set[str] = field(default_factory=set)
    #: key -> reasons of its earlier error records, for samples that will be asked again
    retry: dict[str, list[str]] = field(default_factory=dict)
    #: (line number, problem) of lines that could not be read; skipped, never deleted
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    torn_tail: bool = False


def read_line(raw: bytes) -> dict[str, Any] | str:
    """A record's fields, or why the line is not one."""
    try:
        data = json.loads(raw)
    except RecursionError:
        return "nested too deeply to be a sample record"
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return f"not valid JSON ({exc})"
    if not isinstance(data, dict) or not isinstance(data.get("key"), str):
        return "not a sample record (no key)"
    return data


def finite(value: Any) -> Any:
    """`value` with NaN and infinities as None: JSON has no NaN, and a reader would reject the file."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def is_error(data: Mapping[str, Any]) -> bool:
    return data.get("outcome") == "error"


class RunLog:
    def __init__(self, run_dir: Path | str) -> None:
        self.dir = Path(run_dir)
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self.scan = LogScan()

    @property
    def header_path(self) -> Path:
        return self.dir / HEADER

    @property
    def samples_path(self) -> Path:
        return self.dir / SAMPLES

    def read_header(self) -> dict[str, Any]:
        if not self.header_path.is_file():
            raise RunDirError(f"{self.dir}: not a run directory (no {HEADER})")
        try:
            data: dict[str, Any] = json.loads(self.header_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RunDirError(f"{self.header_path}: cannot read the run header ({exc})") from exc
        return data

    def start(self, header: Mapping[str, Any], config: Mapping[str, Any]) -> set[str]:
        """Lock the directory and open for appending; returns the keys done (answered, or failed for
        good). Refuses a directory of another run, or one that another process is writing."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunDirError(f"cannot create the run directory {self.dir}: {describe_os_error(exc)}") from exc
        self._lock()
        try:
            if self.header_path.is_file():
                previous = self.read_header().get("config")
                if previous != json.loads(json.dumps(config, default=str)):
                    raise RunDirError(
                        f"{self.dir} holds a run with a different configuration; "
                        "choose another --out directory (or delete this one) to start a new run"
                    )
            else:
                self._write_header(header)
            self.scan = self._collect(repair=True)
            try:
                self._fd = _open_file(self.samples_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            except OSError as exc:
                raise RunDirError(f"cannot write {self.samples_path}: {describe_os_error(exc)}") from exc
        except BaseException:
            self._unlock()
            raise
        return set(self.scan.done)

    def _lock(self) -> None:
        import fcntl

        path = self.dir / LOCK
        try:
            fd = _open_file(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunDirError(f"cannot write in the run directory {self.dir}: {describe_os_error(exc)}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise RunDirError(f"{self.dir} is in use by another run ({holder}); wait for it to finish, "
                              "or choose another --out directory") from exc
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        note = f"pid {os.getpid()} on {socket.gethostname()}, since {stamp}".encode()
        with contextlib.suppress(OSError):  # the lock holds without the note
            os.ftruncate(fd, 0)
            os.pwrite(fd, note, 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def _write_header(self, header: Mapping[str, Any]) -> None:
        try:
            atomic_write_text(self.header_path, json.dumps(finite(header), indent=2, default=str, allow_nan=False))
        except WriteError as exc:
            raise RunDirError(str(exc)) from exc

    def update_header(self, **fields: Any) -> None:
        header = self.read_header()
        header.update(fields)
        self._write_header(header)

    def _collect(self, repair: bool) -> LogScan:
        """Which keys are done and which will be retried; with `repair`, cut a torn last line."""
        scan = LogScan()
        if not self.samples_path.is_file():
            return scan
        state: dict[str, dict[str, Any]] = {}  # key -> the record that stands
        errors: dict[str, list[str]] = {}  # key -> reasons of its error records, in order
        size = self.samples_path.stat().st_size
        offset = 0
        with open(self.samples_path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                offset += len(raw)
                data = read_line(raw)
                if not raw.endswith(b"\n") and offset == size:
                    # the last line, torn by a kill: cut off (or, if whole but unterminated, terminated)
                    scan.torn_tail = isinstance(data, str)
                    if isinstance(data, str):
                        break
                    if repair:
                        self._terminate_last_line()
                if isinstance(data, str):
                    scan.bad_lines.append((number, data))
                    continue
                key = data["key"]
                if is_error(data):
                    errors.setdefault(key, []).append(str(data.get("error") or "error"))
                if key not in state or is_error(state[key]):
                    state[key] = data
        if scan.torn_tail and repair:
            try:
                with open(self.samples_path, "r+b") as handle:
                    handle.truncate(offset - len(raw))
            except OSError as exc:
                raise RunDirError(f"cannot repair {self.samples_path}: {describe_os_error(exc)}") from exc
        for key, data in state.items():
            if not is_error(data) or data.get("meta", {}).get(FINAL_ERROR) \
                    or len(errors.get(key, ())) >= MAX_ATTEMPTS:
                scan.done.add(key)
            else:
                scan.retry[key] = errors.get(key, [])
        return scan

    def _terminate_last_line(self) -> None:
        try:
            with open(self.samples_path, "ab") as handle:
                handle.write(b"\n")
        except OSError as exc:
            raise RunDirError(f"cannot repair {self.samples_path}: {describe_os_error(exc)}") from exc

    def append(self, record: SampleRecord) -> None:
        """One write() per line; a failed or short write is rolled back so no torn line stays behind."""
        if self._fd is None:
            raise RunDirError("run log is not open")
        history = self.scan.retry.get(record.key)
        if history:
            meta = {**dict(record.meta), "history": list(history), "attempt": len(history) + 1}
            record = replace(record, meta=meta)
        data = (record.to_json() + "\n").encode("utf-8")
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            written = 0
            while written < len(data):
                written += _write_chunk(self._fd, data[written:])
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            raise WriteError(self.samples_path, exc) from exc
        # in the OS's hands now: survives kill -9 of this process

    def close(self) -> None:
        try:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None
        finally:
            self._unlock()

    def records(self) -> Iterator[SampleRecord]:
        """Every sample once: a key's answer (or its latest error), skipping lines that cannot be read."""
        for data in self.record_dicts():
            try:
                yield SampleRecord.from_dict(data)
            except TypeError:
                continue  # a line missing fields: skipped like any unreadable line

    def record_dicts(self) -> Iterator[dict[str, Any]]:
        """The chosen line of every key, parsed, in the order keys first appear.

        Two passes: the first keeps one offset per key (its answer, else its latest error), the second
        parses those lines only, so reading a 100,000-sample log never holds every line's dict at once."""
        if not self.samples_path.is_file():
            return
        chosen: dict[str, tuple[int, bool]] = {}
        with open(self.samples_path, "rb") as handle:
            offset = 0
            for raw in handle:
                data = read_line(raw)
                if not isinstance(data, str):
                    previous = chosen.get(data["key"])
                    if previous is None or previous[1]:
                        chosen[data["key"]] = (offset, is_error(data))
                offset += len(raw)
            for start, _ in chosen.values():
                handle.seek(start)
                data = read_line(handle.readline())
                if not isinstance(data, str):
                    yield data

    def remaining_errors(self) -> tuple[int, int]:
        """(samples whose latest record is an error a re-run will retry, errors it will not retry)."""
        scan = self._collect(repair=False)
        final = sum(1 for r in self._latest_errors() if r not in scan.retry)
        return len(scan.retry), final

    def _latest_errors(self) -> list[str]:
        return [r.key for r in self.records() if r.outcome == "error"]
