"""Access to digital twins: the one seam every route and task goes through.

- ``authorize_use`` picks the use grant that lets a caller see a twin, or
  raises ConsentEnded (410) / ConsentRequired (403); an ended consent met
  here is carried out at once (``tryon.twins.revocation``).
- Every twin output is mapped to its twin (``TwinOutput``) before it is
  stored (``store_output``), and consent is checked again right before
  rendering and right after storing, so an output never outlives a
  revocation unnoticed.
- ``credential_render`` puts content credentials (C2PA, XMP) on every image
  of a twin; ``log_use`` writes every served use to the usage ledger, for pay.

Nothing about consent is cached: every check reads the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from tryon.core.errors import ConsentEnded, ConsentError, NotFound
from tryon.storage.blobs import BlobStore
from tryon.storage.database import session_scope, write_scope
from tryon.storage.models import ConsentGrant, Twin, TwinOutput
from tryon.storage.render_index import record_render
from tryon.twins.consent import end_reason
from tryon.twins.permission import check_creation, choose_use_grant, servable
from tryon.twins.credentials import Subject, credential_image, enabled_for_all
from tryon.twins.ledger import append
from tryon.twins.revocation import close_grant, close_twin, drop_outputs

TWIN_PREFIX = "t-"


def is_twin_id(avatar_id: Any) -> bool:
    return isinstance(avatar_id, str) and avatar_id.startswith(TWIN_PREFIX)


def preview_key(twin_id: str) -> str:
    """The cache key of a twin's preview image."""
    return hashlib.sha256(f"twin-preview:{twin_id}".encode()).hexdigest()


def authorize_use(twin_id: str, key_id: int | None, origin: str | None,
                  channel: str = "e-commerce", *, blobs: BlobStore) -> ConsentGrant:
    """The use grant that lets this caller see twin ``twin_id`` on ``channel`` now.

    NotFound when there is no ready twin of that id; ConsentEnded (410) or
    ConsentRequired (403) when no consent allows it. An ended consent found
    here is carried out at once (outputs purged from ``blobs``), in case no
    one swept it yet.
    """
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        if twin is None or twin.status in ("fitting", "rejected"):
            raise NotFound(f"no avatar {twin_id!r}", "avatar")
        if twin.status == "withdrawn":
            grant = session.get(ConsentGrant, twin.creation_grant_id)
            raise ConsentEnded(f"twin {twin_id} was withdrawn: {end_reason(grant)}", grant.id)
        try:
            return choose_use_grant(session, twin, key_id, origin, channel)
        except ConsentEnded as ended:
            pending_close = ended
    if pending_close.grant_id is not None:
        close_grant(pending_close.grant_id, blobs)
    else:
        close_twin(twin_id, blobs)
    raise pending_close


def check_servable(twin_id: str, kind: str = "render") -> None:
    """Raise ConsentError unless the twin may be shown to someone: the task's check
    right before rendering and right before storing. A preview needs only the
    creation consent."""
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        if twin is None:
            raise NotFound(f"no avatar {twin_id!r}", "avatar")
        grant = session.get(ConsentGrant, twin.creation_grant_id)
        check_creation(grant)
        if kind != "preview" and not servable(session, twin):
            raise ConsentEnded(f"no active consent allows showing twin {twin_id}")


def credential_subject(avatar_id: str) -> Subject | None:
    """Whom an output's content credentials name: a twin (with its creation consent),
    or with ``$TRYON_C2PA_ALL_AVATARS`` any avatar; None when it gets none."""
    if is_twin_id(avatar_id):
        with session_scope() as session:
            twin = session.get(Twin, avatar_id)
            grant_id = twin.creation_grant_id if twin is not None else None
        return Subject(avatar_id, twin=True, consent_grant=grant_id)
    return Subject(avatar_id) if enabled_for_all() else None


def credential_render(data: bytes, fmt: str, avatar_id: str) -> bytes:
    """A rendered image with content credentials when it shows a twin (or, with
    ``$TRYON_C2PA_ALL_AVATARS``, any avatar); unchanged otherwise."""
    subject = credential_subject(avatar_id)
    return data if subject is None else credential_image(data, fmt, subject)


def store_output(cache_key: str, twin_id: str, kind: str, data: bytes, media_type: str,
                 blobs: BlobStore, index: bool = True, garment_id: str | None = None) -> str:
    """Store a twin output: mapped first, consent checked, blob written and indexed,
    consent checked again. Returns the digest; ConsentError if consent ended
    meanwhile (and then nothing of it is left).

    ``index``: also write the render index (``RenderRecord``, with the
    ``garment_id`` it shows), as renders and GLBs are; a preview is reached
    through its twin only.
    """
    record_output(cache_key, twin_id, kind)
    digest = None
    try:
        check_servable(twin_id, kind)
        digest = blobs.put(data)
        if index:
            record_render(cache_key, digest, media_type, len(data), garment_id)
        with session_scope() as session:
            session.execute(update(TwinOutput).where(TwinOutput.cache_key == cache_key)
                            .values(digest=digest))
        check_servable(twin_id, kind)
    except ConsentError:
        drop_outputs([(cache_key, digest)], blobs)  # whatever part of it was stored
        raise
    return digest


def make_output(cache_key: str, twin_id: str, kind: str, media_type: str, make,
                blobs: BlobStore, garment_id: str | None = None) -> str:
    """A render task's output of a twin: consent checked right before ``make()``
    renders, then ``store_output`` (checked again around storing). The digest."""
    check_servable(twin_id, kind)
    return store_output(cache_key, twin_id, kind, make(), media_type, blobs,
                        garment_id=garment_id)


def record_output(cache_key: str, twin_id: str, kind: str) -> None:
    """Remember that ``cache_key`` shows ``twin_id`` (before its output is stored)."""
    with write_scope() as session:
        if session.get(TwinOutput, cache_key) is None:
            session.add(TwinOutput(cache_key=cache_key, twin_id=twin_id, kind=kind))


def output_digest(cache_key: str) -> str | None:
    """The digest stored under a twin output's cache key, if any."""
    with session_scope() as session:
        return session.scalar(select(TwinOutput.digest).where(TwinOutput.cache_key == cache_key))


def preview_digest(twin_id: str) -> str | None:
    return output_digest(preview_key(twin_id))


def log_use(twin_id: str, grant: ConsentGrant, *, kind: str, channel: str,
            api_key_id: int | None, origin: str | None, content_hash: str | None) -> None:
    """One ledger entry for a served output of a twin."""
    append(twin_id=twin_id, grant_id=grant.id, channel=channel, kind=kind, api_key_id=api_key_id,
           origin=origin, content_hash=content_hash)


def authorize_preview(twin_id: str, blobs: BlobStore) -> ConsentGrant:
    """The creation consent that lets a twin's studio and talent see its preview now.

    ConsentEnded (410) or ConsentRequired (403) otherwise; an ended consent
    found here is carried out at once, as ``authorize_use`` does.
    """
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        if twin is None:
            raise NotFound(f"no twin {twin_id!r}", "twin_id")
        grant = session.get(ConsentGrant, twin.creation_grant_id)
    try:
        return check_creation(grant)
    except ConsentEnded as ended:
        close_grant(ended.grant_id, blobs)
        raise


def authorize_catalog_use(twin_id: str, ledger: Mapping[str, Any], blobs: BlobStore) -> ConsentGrant:
    """The use grant that covers a catalog render of a twin for the merchant that
    asked for it (``ledger``: its key id, origin and channel, as ``POST
    /v1/catalog/prerender`` put them in the render's params); ConsentError if none."""
    return authorize_use(twin_id, ledger.get("key"), ledger.get("origin"),
                         ledger.get("channel") or "e-commerce", blobs=blobs)


def log_catalog_use(twin_id: str, ledger: Mapping[str, Any], digest: str, blobs: BlobStore) -> None:
    """Ledger one catalog render of a twin for the merchant that asked for it
    (``ledger``: its key id, origin and channel, as ``POST /v1/catalog/prerender``
    put them in the render's params). ConsentError if no consent covers it now."""
    grant = authorize_catalog_use(twin_id, ledger, blobs)
    log_use(twin_id, grant, kind="catalog-render", channel=ledger.get("channel") or "e-commerce",
            api_key_id=ledger.get("key"), origin=ledger.get("origin"), content_hash=digest)
