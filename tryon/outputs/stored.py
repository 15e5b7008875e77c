"""Storing an output once: blob first, index second, a twin's only under consent.

Shared by every job kind (``tryon.outputs.tasks``, ``tryon.outputs.video``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from tryon.storage.blobs import BlobStore
from tryon.storage.render_index import cached_render, record_render
from tryon.twins import access


def stored_output(key: str, media_type: str, make: Callable[[], bytes], blobs: BlobStore,
                  avatar_id: str | None = None, kind: str = "render",
                  garment_id: str | None = None) -> str:
    """The digest of the output named ``key``: the stored one, else ``make()``'s
    bytes, stored blob first, index second (with the garment it shows, so a
    draft's output is served to merchants only). An output of a digital twin
    is mapped to it and made only while its consent lasts
    (``tryon.twins.access.make_output``)."""
    cached = cached_render(key, blobs)
    if cached is not None:
        return cached
    if access.is_twin_id(avatar_id):
        return access.make_output(key, avatar_id, kind, media_type, make, blobs, garment_id)
    data = make()
    digest = blobs.put(data)
    record_render(key, digest, media_type, len(data), garment_id)
    return digest


def sidecar_key(key: str) -> str:
    """The content address of the sidecar manifest of the output named ``key``."""
    return hashlib.sha256(b"c2pa-sidecar:" + key.encode()).hexdigest()
