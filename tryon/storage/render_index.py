"""The render index: which stored blob holds the output named by a content key.

Renders, GLB scenes and fit reports are named by their content key
(``tryon.outputs.keys``); the index maps a key to its blob's digest. Outputs
are written blob first, index second, so the index never names a blob that
is not whole.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from tryon.storage.blobs import BlobStore
from tryon.storage.database import session_scope, write_scope
from tryon.storage.models import RenderRecord


def cached_render(key: str, blobs: BlobStore) -> str | None:
    """The digest of the render named ``key`` if it is indexed and its blob is stored."""
    with session_scope() as session:
        record = session.get(RenderRecord, key)
        digest = record.digest if record is not None else None
    return digest if digest is not None and blobs.exists(digest) else None


def record_render(key: str, digest: str, media_type: str, size_bytes: int,
                  garment_id: str | None = None, private: bool = False,
                  tenant_id: str | None = None) -> None:
    """Index a stored render under its key (replacing an entry whose blob was lost).
    garment_id: the garment it shows; private: for the merchant keys of
    ``tenant_id`` and admins only."""
    try:
        with write_scope() as session:
            session.merge(RenderRecord(cache_key=key, digest=digest, media_type=media_type,
                                       size_bytes=size_bytes, garment_id=garment_id,
                                       private=private, tenant_id=tenant_id))
    except IntegrityError:
        # Another worker indexed the same key between our read and write; equal
        # keys mean equal bytes, so its entry is as good as ours.
        pass
