"""Writing a file so that a reader (or a crash) sees the old content or the new, never half of it.

A full disk or a kill in the middle of writing results.json once left a file cut at 8192 bytes;
writing to a temporary file in the same folder, fsyncing it and renaming it over the target makes
the replacement all-or-nothing. Every failure is an OSError naming the path.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


class WriteError(OSError):
    """A file could not be written; the message names the file and why (disk full, read-only...)."""

    def __init__(self, path: Path | str, exc: OSError) -> None:
        super().__init__(f"cannot write {path}: {describe_os_error(exc)}")
        self.errno = exc.errno
        self.path = str(path)


def describe_os_error(exc: OSError) -> str:
    """'No space left on device', 'permission denied (read-only?)'... without the errno noise."""
    import errno

    if exc.errno == errno.ENOSPC:
        return "no space left on device (disk full)"
    if exc.errno in (errno.EROFS,):
        return "read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (is the folder read-only?)"
    return exc.strerror or str(exc)


def atomic_write_bytes(path: Path | str, data: bytes) -> Path:
    path = Path(path)
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise WriteError(path, exc) from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return path


def atomic_write_text(path: Path | str, text: str, encoding: str = "utf-8") -> Path:
    """Replace `path` with `text` all at once; WriteError (an OSError) names the file on failure."""
    return atomic_write_bytes(path, text.encode(encoding))
