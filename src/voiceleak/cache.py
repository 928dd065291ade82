"""A small persistent key-value store (SQLite) for responses and voiceprint embeddings.

SQLite gives atomic writes, so a run killed mid-write never leaves a half entry behind, and
several processes (local workers, Ray actors on one host) can share one cache file.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from voiceleak.atomic import describe_os_error


def default_cache_dir() -> Path:
    configured = os.environ.get("VOICELEAK_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "voiceleak"


class CacheError(OSError):
    """The cache cannot be opened or written (read-only folder, full disk): the message names the
    file and says how to go on without it."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"cache {path}: {problem}; set VOICELEAK_CACHE to a writable folder "
                         "(or run with --no-cache)")
        self.path = path


def _problem(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    text = str(exc)
    if "readonly" in text or "unable to open" in text:
        return f"{text} (is the folder read-only?)"
    if "disk is full" in text or "full" in text:
        return "no space left on device (disk full)"
    return text


class KeyValueCache:
    """Bytes by string key, in one table per namespace."""

    def __init__(self, path: Path | str, namespace: str) -> None:
        if not namespace.isidentifier():
            raise ValueError(f"bad cache namespace {namespace!r}")
        self.path = Path(path)
        self.namespace = namespace
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # No fsync per commit: a killed process loses nothing (WAL), only a power cut could, and a
            # lost cache entry costs one repeated request, never a wrong result.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {namespace} (key TEXT PRIMARY KEY, value BLOB)")
            self._db.commit()
            # a read-only file opens and reads: prove a write works before the run relies on it
            self._db.execute(f"DELETE FROM {namespace} WHERE key = ?", ("\x00probe",))
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(self.path, _problem(exc)) from exc

    def get(self, key: str) -> bytes | None:
        with self._lock:
            row = self._db.execute(f"SELECT value FROM {self.namespace} WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def put(self, key: str, value: bytes) -> None:
        self.put_many([(key, value)])

    def put_many(self, items: list[tuple[str, bytes]]) -> None:
        """One transaction for a batch: a commit per entry would dominate a fast model's run."""
        with self._lock:
            try:
                self._db.executemany(f"INSERT OR REPLACE INTO {self.namespace} VALUES (?, ?)", items)
                self._db.commit()
            except sqlite3.Error as exc:
                self._db.rollback()
                raise CacheError(self.path, _problem(exc)) from exc

    def get_many(self, keys: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), 500):  # SQLite caps the number of bound parameters
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, value FROM {self.namespace} WHERE key IN ({marks})", chunk)
                found.update((k, bytes(v)) for k, v in rows)
        return found

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute(f"SELECT COUNT(*) FROM {self.namespace}").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
