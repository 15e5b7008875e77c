"""The work a job does, shared by every runner (in-process threads, Celery workers).

Each task takes a job's JSON ``params``, writes its output to the blob store
and the database, and returns the job's result (a blob digest). Tasks are
idempotent: running one twice, say after a worker died between writing the
blob and reporting done, finds the first run's output and returns it.
Outputs are written blob first, index second, so the index never names a
blob that is not whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from tryon.blob_store import BlobStore, blob_store_from_env
from tryon.database import session_scope
from tryon.db_models import RenderRecord


def run_render(params: Mapping[str, Any], blobs: BlobStore | None = None) -> str:
    """Render the try-on image ``params`` describe (see ``tryon.render_key``);
    return the digest of the image's blob.

    ValueError for invalid parameters, KeyError for an unknown avatar,
    garment or size.
    """
    from avatars.library import get_avatar
    from garments.store import GarmentStore
    from tryon.image_encoding import MEDIA_TYPES
    from tryon.render_key import normalize_render_params, render_key
    from tryon.try_on import render_try_on

    p = normalize_render_params(params)
    blobs = blobs or blob_store_from_env()
    avatar = get_avatar(p["avatar"])
    size_digest = GarmentStore().size_digest(p["garment"], p["size"]) if p["garment"] else None
    key = render_key(p, avatar.shape, size_digest)

    cached = cached_render(key, blobs)
    if cached is not None:
        return cached
    data = render_try_on(avatar, p["garment"], p["size"], fmt=p["format"], view=p["view"],
                         pose=p["pose"], width=p["width"], height=p["height"],
                         fit_map=p["fit_map"],
                         background=None if p["background"] is None else tuple(p["background"]))
    digest = blobs.put(data)
    record_render(key, digest, MEDIA_TYPES[p["format"]], len(data))
    return digest


def cached_render(key: str, blobs: BlobStore) -> str | None:
    """The digest of the render named ``key`` if it is indexed and its blob is stored."""
    with session_scope() as session:
        record = session.get(RenderRecord, key)
        digest = record.digest if record is not None else None
    return digest if digest is not None and blobs.exists(digest) else None


def record_render(key: str, digest: str, media_type: str, size_bytes: int) -> None:
    """Index a stored render under its key (replacing an entry whose blob was lost)."""
    try:
        with session_scope() as session:
            # Write lock first on SQLite: this reads, then writes.
            session.connection(execution_options={"sqlite_begin_immediate": True})
            session.merge(RenderRecord(cache_key=key, digest=digest, media_type=media_type,
                                       size_bytes=size_bytes))
    except IntegrityError:
        # Another worker indexed the same key between our read and write; equal
        # keys mean equal bytes, so its entry is as good as ours.
        pass


TASKS: dict[str, Callable[[Mapping[str, Any]], str]] = {"render": run_render}
