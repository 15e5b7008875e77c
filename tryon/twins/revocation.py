"""Ending a consent, carried out: a revoked or expired grant leaves nothing of what it allowed.

``revoke`` records a revocation and carries it out at once; ``sweep`` (cron,
``tryon consent sweep``) carries out grants that expired; serving carries
out any ended grant it meets (``tryon.twins.access.authorize_use``). For each twin
a grant touched (``close_twin``):

- its creation grant ended: the twin is withdrawn: every stored output
  deleted (blobs, render index, mapping), its queued jobs failed, its
  sealed scan, its sealed appearance (texture, displacement) and cached
  drapes deleted and its body (shape, measurements) wiped; the row stays,
  as the usage ledger names it;
- no active use grant is left: its outputs but the preview (which only the
  creation grant governs) are deleted and its queued jobs failed; a new
  grant lets it be shown again;
- otherwise nothing: each request is still checked against its own grant.

Running jobs fail on their own: render tasks check consent right before
rendering and right after storing (``tryon.twins.access.store_output``).
"""

from __future__ import annotations

import shutil

from sqlalchemy import delete, or_, select, update

from tryon.core.errors import NotFound
from tryon.drape.cache import drape_cache_dir
from tryon.storage.blobs import BlobStore
from tryon.storage.database import session_scope, write_scope
from tryon.storage.models import (
    ConsentGrant,
    Job,
    RenderRecord,
    Twin,
    TwinOutput,
    utcnow,
)
from tryon.twins.consent import end_reason, grant_status, revoke_grant
from tryon.twins.permission import servable


def purge_outputs(twin_id: str, blobs: BlobStore, keep_preview: bool = False) -> int:
    """Delete the stored outputs of the twin (blobs, render index, mapping); how many.

    ``keep_preview``: all but its preview, which only its creation consent governs.
    """
    with session_scope() as session:
        query = select(TwinOutput.cache_key, TwinOutput.digest).where(TwinOutput.twin_id == twin_id)
        if keep_preview:
            query = query.where(TwinOutput.kind != "preview")
        outputs = session.execute(query).all()
    return drop_outputs(outputs, blobs)


def drop_outputs(outputs, blobs: BlobStore) -> int:
    """Delete outputs given as (cache key, digest or None): index, blobs, mapping."""
    keys = [key for key, _ in outputs]
    with session_scope() as session:
        indexed = dict(session.execute(select(RenderRecord.cache_key, RenderRecord.digest)
                                       .where(RenderRecord.cache_key.in_(keys))).all()) if keys else {}
    digests = {d for _, d in outputs if d} | set(indexed.values())
    if keys:
        with session_scope() as session:
            # the index first: from then on nothing is served from the blobs about to go
            session.execute(delete(RenderRecord).where(RenderRecord.cache_key.in_(keys)))
    for digest in digests:
        with session_scope() as session:
            shared = session.scalar(select(RenderRecord.cache_key)
                                    .where(RenderRecord.digest == digest).limit(1))
        if shared is None:  # equal bytes of someone else's render stay
            blobs.delete(digest)
    if keys:
        with session_scope() as session:
            session.execute(delete(TwinOutput).where(TwinOutput.cache_key.in_(keys)))
    return len(keys)


def fail_jobs(twin_id: str, reason: str) -> int:
    """Fail the twin's queued jobs (renders, GLBs, its fit) with ``reason``; how many.

    Running ones fail on their own: their task checks consent before
    rendering and before storing.
    """
    with session_scope() as session:
        return session.execute(
            update(Job).where(Job.status == "queued", or_(
                Job.params["avatar"].as_string() == twin_id,
                Job.params["twin"].as_string() == twin_id))
            .values(status="failed", error=f"ConsentEnded: {reason}", finished_at=utcnow())
        ).rowcount


def close_twin(twin_id: str, blobs: BlobStore) -> str:
    """Carry out whatever has ended for one twin; returns what it did:
    ``withdrawn``, ``purged`` (no use allowed now) or ``kept``."""
    with write_scope() as session:
        twin = session.get(Twin, twin_id)
        if twin is None:
            return "kept"
        creation = session.get(ConsentGrant, twin.creation_grant_id)
        if grant_status(creation) in ("revoked", "expired"):
            reason = end_reason(creation)
            if twin.status != "withdrawn":
                twin.status, twin.withdrawn_at = "withdrawn", utcnow()
            twin.shape, twin.measurements = None, None
            twin.fit = without_appearance_digest(twin.fit)
            action = "withdrawn"
        elif not servable(session, twin):
            reason, action = f"no active consent allows showing twin {twin_id}", "purged"
        else:
            return "kept"
    if action == "withdrawn":  # her scan and her appearance first: biometric data
        delete_sealed(twin_id, blobs)
    fail_jobs(twin_id, reason)
    purge_outputs(twin_id, blobs, keep_preview=action == "purged")
    if action == "withdrawn":  # garments draped on the person's body go with it
        shutil.rmtree(drape_cache_dir(twin_id), ignore_errors=True)
    return action


def delete_sealed(twin_id: str, blobs: BlobStore) -> None:
    """Delete a twin's sealed scan and appearance, then forget them. A failed delete
    raises with the digests still recorded, so the grant stays unclosed and
    ``sweep`` (or the next request that meets it) deletes them again: nothing of
    her is left behind unrecorded."""
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        sealed = [d for d in (twin.scan_blob, twin.appearance_blob) if d] if twin is not None else []
    for digest in sealed:
        blobs.delete(digest)
    if sealed:
        with write_scope() as session:
            twin = session.get(Twin, twin_id)
            twin.scan_blob = None if twin.scan_blob in sealed else twin.scan_blob
            twin.appearance_blob = None if twin.appearance_blob in sealed else twin.appearance_blob


def without_appearance_digest(fit: dict | None) -> dict | None:
    """A twin's ``fit`` figures without the digest of her sealed appearance (once it is deleted)."""
    if not fit or "appearance" not in fit:
        return fit
    return {**fit, "appearance": {k: v for k, v in fit["appearance"].items() if k != "sha256"}}


def close_grant(grant_id: str, blobs: BlobStore) -> dict[str, str]:
    """Carry out a grant's end (revoked or expired) for every twin it touched; mark it closed.

    Returns {twin id: what was done}. Idempotent.
    """
    with session_scope() as session:
        grant = session.get(ConsentGrant, grant_id)
        if grant is None:
            raise NotFound(f"no consent {grant_id!r}", "grant_id")
        if grant.closed_at is not None:
            return {}  # carried out already; nothing can have been stored since (every store checks)
        if grant.kind == "creation":
            twins = list(session.scalars(select(Twin.id).where(Twin.creation_grant_id == grant_id)))
        else:
            query = select(Twin.id).where(Twin.talent_id == grant.talent_id)
            if grant.twin_id is not None:
                query = query.where(Twin.id == grant.twin_id)
            twins = list(session.scalars(query))
        ended = grant_status(grant) in ("revoked", "expired")
    done = {twin_id: close_twin(twin_id, blobs) for twin_id in twins}
    if ended:
        with session_scope() as session:
            session.execute(update(ConsentGrant).where(ConsentGrant.id == grant_id,
                                                       ConsentGrant.closed_at.is_(None))
                            .values(closed_at=utcnow()))
    return done


def revoke(grant_id: str, reason: str, by: str,
           blobs: BlobStore) -> tuple[ConsentGrant, dict[str, str]]:
    """Revoke a grant and carry it out at once, in every process's eyes: the
    revocation is committed before anything is purged, and every serving
    path reads it from the database. Returns the grant and, per twin it
    touched, what was done (``close_grant``)."""
    with session_scope() as session:
        grant = revoke_grant(session, grant_id, reason, by)
    done = close_grant(grant_id, blobs)
    with session_scope() as session:
        return session.get(ConsentGrant, grant.id), done


def sweep(blobs: BlobStore) -> list[str]:
    """Carry out every grant that has ended (expired, or revoked) but was not yet closed;
    returns their ids. Run it from cron (``tryon consent sweep``); serving
    also closes ended grants as it meets them."""
    now = utcnow()
    with session_scope() as session:
        candidates = list(session.scalars(select(ConsentGrant).where(
            ConsentGrant.closed_at.is_(None),
            or_(ConsentGrant.revoked_at.is_not(None), ConsentGrant.ends_at <= now))))
        ids = [g.id for g in candidates if grant_status(g, now) in ("revoked", "expired")]
    for grant_id in ids:
        close_grant(grant_id, blobs)
    return ids
