"""Sealed blobs: private bytes (signed consent documents, raw scans) encrypted at rest.

The bytes are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from
``cryptography``) before they reach the blob store, so the store, its
backups and an S3 bucket only ever hold ciphertext. The blob's digest is
the ciphertext's; callers keep the plaintext's sha256 themselves when they
need to prove what was sealed.

The key comes from ``$TRYON_SEAL_KEY`` (a Fernet key: 32 bytes, url-safe
base64), else the file ``$TRYON_SEAL_KEY_FILE``, else
``data_dir()/keys/seal.key``, made on first use with mode 0600. Processes on
other machines (Celery workers) must be given the same key. Losing the key
loses every sealed blob.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from tryon.core.settings import data_dir, settings
from tryon.storage.blobs import BlobStore


class SealError(RuntimeError):
    """A sealed blob that cannot be opened (wrong key, or tampered with)."""


def key_path() -> Path:
    """The file that holds the sealing key when ``$TRYON_SEAL_KEY`` is not set."""
    return settings().seal_key_file or data_dir() / "keys" / "seal.key"


def _load_or_create(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Fernet.generate_key()
    try:
        # O_EXCL: when two processes start at once, one writes and both read its key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
        f.flush()
        os.fsync(f.fileno())
    return key


@lru_cache(maxsize=4)
def _fernet(key: bytes) -> Fernet:
    return Fernet(key)


def fernet() -> Fernet:
    """The sealing key's Fernet (``TRYON_SEAL_KEY``, else the key file)."""
    key = settings().seal_key
    return _fernet(key.encode() if key else _load_or_create(key_path()))


def seal(data: bytes, blobs: BlobStore) -> str:
    """Encrypt ``data`` into the blob store; return the sealed blob's digest."""
    return blobs.put(fernet().encrypt(bytes(data)))


def unseal(digest: str, blobs: BlobStore) -> bytes:
    """The plaintext of a sealed blob. KeyError if it is gone, SealError if it cannot be opened."""
    token = blobs.get(digest)
    try:
        return fernet().decrypt(token)
    except InvalidToken:
        raise SealError("the sealed blob does not open with this key (another key, or "
                        "tampered with)") from None
