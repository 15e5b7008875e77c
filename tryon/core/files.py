"""Atomic files: a reader sees the old file or the whole new one, never a part.

Every file tryon writes that another process may read while it is being
written (blobs, caches, keys, garment metadata) goes through here: the
bytes go to a temporary file in the same folder, are flushed to disk, and
the temporary is renamed over the target in one step (``os.replace``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike, mode: int = 0o644, durable: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` to write, renamed onto ``path`` when the
    block ends without error (removed otherwise).

    For writers that want a file name (``np.savez``, safetensors). ``mode``:
    the file's permission bits, whatever the umask. ``durable``: also fsync
    the file and its folder, so the rename survives a power cut.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    temporary = Path(temporary)
    try:
        os.chmod(temporary, mode)
        yield temporary
        if durable:
            with open(temporary, "rb") as f:
                os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(path.parent)


def atomic_write(path: str | os.PathLike, data: bytes | str, mode: int = 0o644,
                 durable: bool = False) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically (see ``atomic_path``)."""
    with atomic_path(path, mode, durable) as temporary:
        temporary.write_bytes(data.encode() if isinstance(data, str) else data)


def fsync_folder(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (a rename into it) to disk; a no-op where folders
    cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
