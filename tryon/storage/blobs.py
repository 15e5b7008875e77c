"""Content-addressed blob stores: bytes kept under their sha256, hex.

Garment files, renders and GLBs are blobs. A blob's name is its digest, so
equal bytes are stored once, a name never changes meaning, and a reader can
check what it got. Digests are checked against ``DIGEST`` before they
name anything, so a digest taken from a request can never be a path.

Two stores share one interface (``BlobStore``):

- ``LocalBlobStore``: files under ``<data dir>/blobs``, as
  ``<root>/<first 2 hex>/<digest>``. Each blob is written to a temporary
  file in its folder, flushed to disk, then renamed onto its name in one
  step, so a crash never leaves half a blob under a blob's name.
- ``S3BlobStore``: objects in an S3-compatible bucket (AWS, MinIO, R2...),
  as ``<prefix>/<digest>``. S3 makes an object visible only once it is
  whole.

``open_blob_store(settings)`` picks one from ``$TRYON_BLOB_URL``.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from tryon.core.errors import NotFound
from tryon.core.files import atomic_write, fsync_folder
from tryon.core.settings import Settings

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
    """Blobs as files under ``root`` (a deployment's: ``<data dir>/blobs``)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
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
        atomic_write(target, data, durable=True)  # on disk, and the rename too, before we answer
        if new_folder:
            fsync_folder(self.root)
        return digest

    def get(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no blob {digest}", "digest") from None

    def open(self, digest: str) -> BinaryIO:
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError:
            raise NotFound(f"no blob {digest}", "digest") from None

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
        for temp in self.root.glob("*/.*.partial"):
            try:
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
            except FileNotFoundError:  # another process cleaned it first
                pass
        return removed


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
            raise NotFound(f"no blob {digest}", "digest") from None

    def exists(self, digest: str) -> bool:
        from botocore.exceptions import ClientError  # boto3's: only S3 deployments load it

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(digest))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, digest: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(digest))


def open_blob_store(config: Settings) -> BlobStore:
    """The store ``config.blob_url`` (``$TRYON_BLOB_URL``) names, else the local
    store in the data directory.

    ``s3://bucket/prefix`` selects ``S3BlobStore``; ``file:///absolute/path``
    a ``LocalBlobStore`` at that path.
    """
    url = config.blob_url
    if not url:
        return LocalBlobStore(config.data_dir / "blobs")
    parts = urlsplit(url)
    if parts.scheme == "s3" and parts.netloc:
        return S3BlobStore(parts.netloc, parts.path)
    if parts.scheme == "file" and parts.path:
        return LocalBlobStore(parts.path)
    raise ValueError(f"TRYON_BLOB_URL must be s3://bucket/prefix or file:///path, not {url!r}")
