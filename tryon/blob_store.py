"""Content-addressed blob stores: bytes kept under their sha256, hex.

Garment files, renders and GLBs are blobs. A blob's name is its digest, so
equal bytes are stored once, a name never changes meaning, and a reader can
check what it got. Digests are checked against ``DIGEST`` before they
name anything, so a digest taken from a request can never be a path.

Two stores share one interface (``BlobStore``):

- ``LocalBlobStore``: files under ``data_dir() / "blobs"``, as
  ``<root>/<first 2 hex>/<digest>``. Each blob is written to a temporary
  file in its folder, flushed to disk, then renamed onto its name in one
  step, so a crash never leaves half a blob under a blob's name.
- ``S3BlobStore``: objects in an S3-compatible bucket (AWS, MinIO, R2...),
  as ``<prefix>/<digest>``. S3 makes an object visible only once it is
  whole.

``blob_store_from_env()`` picks one from ``$TRYON_BLOB_URL``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from tryon.config import data_dir

DIGEST = re.compile(r"[0-9a-f]{64}")


def check_digest(digest: str) -> str:
    """``digest`` if it is 64 lowercase hex characters; ``ValueError`` otherwise."""
    if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
        raise ValueError("a blob digest is a sha256 in 64 lowercase hex characters")
    return digest


class BlobStore(ABC):
    """Bytes stored under their sha256 digest. A missing blob raises ``KeyError``."""

    @abstractmethod
    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent) and return its digest."""

    @abstractmethod
    def get(self, digest: str) -> bytes:
        """The blob's bytes."""

    @abstractmethod
    def open(self, digest: str) -> BinaryIO:
        """The blob as a binary stream, for sending without reading it whole; close it."""

    @abstractmethod
    def exists(self, digest: str) -> bool:
        """Whether the blob is stored."""

    @abstractmethod
    def delete(self, digest: str) -> None:
        """Remove the blob; removing a missing blob is not an error."""


class LocalBlobStore(BlobStore):
    """Blobs as files under ``root`` (default ``data_dir() / "blobs"``)."""

    TEMP_PREFIX = ".tmp-"

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else data_dir() / "blobs"
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        """The file that holds the blob (it may not exist yet)."""
        check_digest(digest)
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.is_file():
            return digest
        new_folder = not target.parent.is_dir()
        target.parent.mkdir(exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=self.TEMP_PREFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # the bytes are on disk before the name points at them
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_folder(target.parent)  # and the rename itself survives a power cut
        if new_folder:
            _fsync_folder(self.root)
        return digest

    def get(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            raise KeyError(f"no blob {digest}") from None

    def open(self, digest: str) -> BinaryIO:
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError:
            raise KeyError(f"no blob {digest}") from None

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def remove_temp_files(self, older_than_s: float = 3600.0) -> int:
        """Delete temporary files a killed writer left behind; return how many.

        Only files older than ``older_than_s`` seconds go, so a write in
        progress in another process keeps its file.
        """
        cutoff = time.time() - older_than_s
        removed = 0
        for temp in self.root.glob(f"*/{self.TEMP_PREFIX}*"):
            try:
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
            except FileNotFoundError:  # another process cleaned it first
                pass
        return removed


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":  # Windows cannot open a folder; its renames are journaled by NTFS
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3BlobStore(BlobStore):
    """Blobs as objects ``<prefix>/<digest>`` in an S3-compatible bucket.

    Credentials, region and endpoint come from boto3's usual sources
    (``AWS_ACCESS_KEY_ID``, ``AWS_REGION``, ``AWS_ENDPOINT_URL_S3``,
    ``~/.aws``...) unless ``endpoint_url`` or a ready ``client`` is given.
    """

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 client=None):
        if client is None:
            import boto3  # imported here: it takes a while, and only S3 deployments need it

            client = boto3.client("s3", endpoint_url=endpoint_url)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def key(self, digest: str) -> str:
        """The object key of the blob."""
        check_digest(digest)
        return f"{self.prefix}/{digest}" if self.prefix else digest

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.client.put_object(Bucket=self.bucket, Key=self.key(digest), Body=bytes(data))
        return digest

    def get(self, digest: str) -> bytes:
        with self.open(digest) as body:
            return body.read()

    def open(self, digest: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(digest))["Body"]
        except self.client.exceptions.NoSuchKey:
            raise KeyError(f"no blob {digest}") from None

    def exists(self, digest: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(digest))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, digest: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(digest))


def blob_store_from_env() -> BlobStore:
    """The store ``$TRYON_BLOB_URL`` names, else the local store in the data directory.

    ``s3://bucket/prefix`` selects ``S3BlobStore``; ``file:///absolute/path``
    a ``LocalBlobStore`` at that path.
    """
    url = os.environ.get("TRYON_BLOB_URL")
    if not url:
        return LocalBlobStore()
    parts = urlsplit(url)
    if parts.scheme == "s3" and parts.netloc:
        return S3BlobStore(parts.netloc, parts.path)
    if parts.scheme == "file" and parts.path:
        return LocalBlobStore(parts.path)
    raise ValueError(f"TRYON_BLOB_URL must be s3://bucket/prefix or file:///path, not {url!r}")
