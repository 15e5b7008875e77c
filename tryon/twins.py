"""Digital twins: from a consenting model's scan to a body anyone may render, while consent lasts.

Creation (``start_twin`` then ``fit_twin``, the ``twin`` job):

1. the creation grant must be active (else ``ConsentError``, nothing stored);
2. the scan must load (``avatars.scans.load_scan``; else ``ScanError``,
   nothing stored);
3. the raw scan is sealed in the blob store (``tryon.sealed_blobs``) and a
   twin row is written with status ``fitting``;
4. the job fits the body (``avatars.scan_fitting.fit_scan``, up to about a
   minute), renders a preview with content credentials, stores both, and
   marks the twin ``ready``; then keeps or deletes the sealed scan as the
   grant says. A fit that is refused (``FitRejected``) marks the twin
   ``rejected`` with the reason and deletes the scan.

Serving: ``authorize_use`` picks the use grant that lets a caller see a
twin, or raises (403 / 410). Every twin output is mapped to its twin
(``TwinOutput``) before it is stored (``store_output``), and consent is
checked again right before rendering and right after storing, so an
output never outlives a revocation unnoticed.

Ending a consent (revocation, expiry) is carried out by
``tryon.twin_revocation``. Nothing about consent is cached: every check
reads the database.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from avatars.avatar import Avatar
from avatars.consent import (ConsentEnded, ConsentError, ConsentRequired, check_creation,
                             choose_use_grant, end_reason, is_active, servable)
from tryon.blob_store import BlobStore, blob_store_from_env
from tryon.database import session_scope
from tryon.db_models import ConsentGrant, Twin, TwinOutput, utcnow

TWIN_PREFIX = "t-"
TWIN_JOB = "twin"
PREVIEW_SIZE = (384, 576)
PREVIEW_MEDIA_TYPE = "image/png"
MAX_LABEL = 200


def is_twin_id(avatar_id: Any) -> bool:
    return isinstance(avatar_id, str) and avatar_id.startswith(TWIN_PREFIX)


def preview_key(twin_id: str) -> str:
    """The cache key of a twin's preview image."""
    return hashlib.sha256(f"twin-preview:{twin_id}".encode()).hexdigest()


# --- twins as avatars ----------------------------------------------------------------------

def twin_avatar(twin: Twin) -> Avatar | None:
    """The twin as an ``Avatar`` (A-pose body of its fitted shape); None unless ready
    on the active body model."""
    from avatars.registry import backend_name

    if twin.status != "ready" or not twin.shape or not twin.measurements:
        return None
    if (twin.fit or {}).get("backend", backend_name()) != backend_name():
        return None  # fitted on another body model: its shape means nothing here
    return Avatar(id=twin.id, label=twin.label, sex=twin.sex, age_years=None, build="scan",
                  skin_tone=twin.skin_tone, shape=tuple(float(x) for x in twin.shape),
                  measurements=dict(twin.measurements))


def load_twin_avatar(twin_id: str) -> Avatar | None:
    """The ready twin ``twin_id`` as an Avatar, or None (no consent check: see ``authorize_use``)."""
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        return twin_avatar(twin) if twin is not None else None


def describe_twin(twin: Twin, with_scan: bool = True) -> dict:
    """A twin as the API shows it to studios, admins and its talent."""
    fit = dict(twin.fit or {})
    return {
        "id": twin.id, "kind": "twin", "label": twin.label, "status": twin.status,
        "talent": twin.talent_id, "creation_consent": twin.creation_grant_id, "sex": twin.sex,
        "skin_tone": twin.skin_tone, "measurements": twin.measurements,
        "height_cm": (twin.measurements or {}).get("stature"),
        "fit": {"percentiles_mm": fit.get("percentiles_mm"), "seconds": fit.get("seconds"),
                "points": fit.get("points"), "backend": fit.get("backend")} if fit else None,
        "error": twin.error,
        **({"scan": {"sha256": twin.scan_sha256, "name": twin.scan_name,
                     "kept": "encrypted" if twin.scan_blob else "deleted"}} if with_scan else {}),
        "preview_url": f"/v1/twins/{twin.id}/preview.png" if twin.status == "ready" else None,
        "created_at": twin.created_at.isoformat() if twin.created_at else None,
        "ready_at": twin.ready_at.isoformat() if twin.ready_at else None,
        "withdrawn_at": twin.withdrawn_at.isoformat() if twin.withdrawn_at else None,
    }


# --- creation ------------------------------------------------------------------------------

def start_twin(data: bytes, filename: str, consent_id: str, *, sex: str | None = None,
               skin_tone: int = 5, label: str | None = None, blobs: BlobStore | None = None) -> Twin:
    """Check the consent and the scan, seal the scan, write the twin (status ``fitting``).

    Raises ConsentError (nothing stored) when ``consent_id`` is not an
    active creation consent or already has a twin, ScanError when the scan
    cannot be read (nothing stored), ValueError for bad options.
    """
    from avatars.scans import load_scan
    from tryon.sealed_blobs import seal

    if sex not in (None, "female", "male"):
        raise ValueError("sex is female or male (or leave it out to let the fit decide)")
    if not (isinstance(skin_tone, int) and 1 <= skin_tone <= 10):
        raise ValueError("skin_tone is a Monk skin tone, 1-10")
    with session_scope() as session:
        grant = check_creation(session.get(ConsentGrant, consent_id))
        taken = session.scalar(select(Twin.id).where(Twin.creation_grant_id == grant.id,
                                                     Twin.status.in_(("fitting", "ready"))))
        if taken is not None:
            raise ConsentRequired(f"consent {grant.id} was already used to create twin {taken}; "
                                  "each scan session needs its own creation consent", grant.id)
        talent_id = grant.talent_id
    load_scan(data, filename)  # ScanError before anything is stored
    blobs = blobs or blob_store_from_env()
    twin = Twin(id=TWIN_PREFIX + secrets.token_hex(8), talent_id=talent_id,
                creation_grant_id=consent_id,
                label=(label or "").strip()[:MAX_LABEL] or "Digital twin",
                status="fitting", sex=sex, skin_tone=skin_tone,
                scan_sha256=hashlib.sha256(data).hexdigest(),
                scan_name=str(filename).rsplit("/", 1)[-1][:200], scan_blob=seal(data, blobs),
                created_at=utcnow())
    with session_scope() as session:
        session.add(twin)
    return twin


def run_twin_job(params: Mapping[str, Any], blobs: BlobStore | None = None) -> str:
    """The ``twin`` job: fit the twin ``params["twin"]``; its id is the job's result.

    A refused fit or an ended consent fails the job with the reason; so does any
    other failure, after marking the twin rejected (its scan deleted) so that
    it never stays ``fitting``.
    """
    try:
        twin = fit_twin(params["twin"], blobs)
    except Exception as error:  # e.g. the consent ended while the preview was stored
        _reject(params["twin"], f"fitting failed: {error}", blobs or blob_store_from_env())
        raise
    if twin.status != "ready":
        raise ValueError(twin.error or f"twin {twin.id} is {twin.status}")
    return twin.id


def fit_twin(twin_id: str, blobs: BlobStore | None = None) -> Twin:
    """Fit a ``fitting`` twin (idempotent: a twin past fitting is returned as it is)."""
    from avatars.scan_fitting import FitRejected, fit_scan
    from avatars.scans import ScanError, load_scan
    from tryon.sealed_blobs import unseal

    blobs = blobs or blob_store_from_env()
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        if twin is None:
            raise KeyError(f"no twin {twin_id!r}")
        if twin.status != "fitting":
            return twin
        scan_blob, scan_name, sex = twin.scan_blob, twin.scan_name, twin.sex
    try:
        _require_creation(twin_id)
        fit = fit_scan(load_scan(unseal(scan_blob, blobs), scan_name), sex)
    except (ConsentError, FitRejected, ScanError) as e:
        return _reject(twin_id, str(e), blobs)
    shape = [float(x) for x in fit.shape]
    measurements = {k: (None if v is None else float(v)) for k, v in fit.measurements.items()}
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        avatar = Avatar(id=twin.id, label=twin.label, sex=fit.sex, age_years=None, build="scan",
                        skin_tone=twin.skin_tone, shape=tuple(shape), measurements=measurements)
    _require_creation(twin_id)  # right before rendering
    preview = credential_render(_render_preview(avatar), "png", twin_id)
    store_output(preview_key(twin_id), twin_id, "preview", preview, PREVIEW_MEDIA_TYPE, blobs,
                 index=False)
    with session_scope() as session:
        session.connection(execution_options={"sqlite_begin_immediate": True})
        twin = session.get(Twin, twin_id)
        grant = session.get(ConsentGrant, twin.creation_grant_id)
        if twin.status != "fitting" or not is_active(grant):
            ended = True
        else:
            ended = False
            twin.sex, twin.shape, twin.measurements = fit.sex, shape, measurements
            twin.fit = {"percentiles_mm": {k: round(float(v), 3) for k, v in fit.percentiles_mm.items()},
                        "seconds": round(float(fit.seconds), 2), "points": int(len(fit.error_m)),
                        "backend": fit.backend}
            twin.status, twin.ready_at = "ready", utcnow()
            if grant.scan_retention == "delete":
                twin.scan_blob = None
    if ended:  # the consent ended while we fitted: nothing of it may stay
        return _reject(twin_id, end_reason(grant), blobs)
    if grant.scan_retention == "delete":
        blobs.delete(scan_blob)
    with session_scope() as session:
        return session.get(Twin, twin_id)


def _render_preview(avatar: Avatar) -> bytes:
    from tryon.try_on import render_try_on

    width, height = PREVIEW_SIZE
    return render_try_on(avatar, None, None, fmt="png", view="front", width=width, height=height)


def _require_creation(twin_id: str) -> None:
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        check_creation(session.get(ConsentGrant, twin.creation_grant_id))


def _reject(twin_id: str, reason: str, blobs: BlobStore) -> Twin | None:
    """Mark a twin rejected with ``reason``; delete its sealed scan and any output."""
    with session_scope() as session:
        session.connection(execution_options={"sqlite_begin_immediate": True})  # read, then write
        twin = session.get(Twin, twin_id)
        if twin is None:
            return None
        scan_blob = twin.scan_blob
        if twin.status != "withdrawn":  # a withdrawal says more than a rejection
            twin.status = "rejected"
        twin.error, twin.scan_blob = reason[:2000], None
    if scan_blob:
        blobs.delete(scan_blob)
    from tryon.twin_revocation import purge_outputs

    purge_outputs(twin_id, blobs)
    with session_scope() as session:
        return session.get(Twin, twin_id)


# --- serving -----------------------------------------------------------------------------------

def authorize_use(twin_id: str, key_id: int | None, origin: str | None,
                  channel: str = "e-commerce") -> ConsentGrant:
    """The use grant that lets this caller see twin ``twin_id`` on ``channel`` now.

    KeyError when there is no ready twin of that id; ConsentEnded (410) or
    ConsentRequired (403) when no consent allows it. An ended consent found
    here is carried out at once (outputs purged), in case no one swept it yet.
    """
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        if twin is None or twin.status in ("fitting", "rejected"):
            raise KeyError(f"no avatar {twin_id!r}")
        if twin.status == "withdrawn":
            grant = session.get(ConsentGrant, twin.creation_grant_id)
            raise ConsentEnded(f"twin {twin_id} was withdrawn: {end_reason(grant)}", grant.id)
        try:
            return choose_use_grant(session, twin, key_id, origin, channel)
        except ConsentEnded as ended:
            pending_close = ended
    from tryon.twin_revocation import close_grant, close_twin

    if pending_close.grant_id is not None:
        close_grant(pending_close.grant_id)
    else:
        close_twin(twin_id)
    raise pending_close


def check_servable(twin_id: str, kind: str = "render") -> None:
    """Raise ConsentError unless the twin may be shown to someone: the task's check
    right before rendering and right before storing. A preview needs only the
    creation consent."""
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        if twin is None:
            raise KeyError(f"no avatar {twin_id!r}")
        grant = session.get(ConsentGrant, twin.creation_grant_id)
        check_creation(grant)
        if kind != "preview" and not servable(session, twin):
            raise ConsentEnded(f"no active consent allows showing twin {twin_id}")


def credential_render(data: bytes, fmt: str, avatar_id: str) -> bytes:
    """A rendered image with content credentials when it shows a twin (or, with
    ``$TRYON_C2PA_ALL_AVATARS``, any avatar); unchanged otherwise."""
    from tryon.content_credentials import Subject, credential_image, enabled_for_all

    if is_twin_id(avatar_id):
        with session_scope() as session:
            twin = session.get(Twin, avatar_id)
            grant_id = twin.creation_grant_id if twin is not None else None
        return credential_image(data, fmt, Subject(avatar_id, twin=True, consent_grant=grant_id))
    if enabled_for_all():
        return credential_image(data, fmt, Subject(avatar_id))
    return data


def store_output(cache_key: str, twin_id: str, kind: str, data: bytes, media_type: str,
                 blobs: BlobStore | None = None, index: bool = True) -> str:
    """Store a twin output: mapped first, consent checked, blob written and indexed,
    consent checked again. Returns the digest; ConsentError if consent ended
    meanwhile (and then nothing of it is left).

    ``index``: also write the render index (``RenderRecord``), as renders and
    GLBs are; a preview is reached through its twin only.
    """
    from tryon.tasks import record_render

    blobs = blobs or blob_store_from_env()
    record_output(cache_key, twin_id, kind)
    digest = None
    try:
        check_servable(twin_id, kind)
        digest = blobs.put(data)
        if index:
            record_render(cache_key, digest, media_type, len(data))
        with session_scope() as session:
            session.execute(update(TwinOutput).where(TwinOutput.cache_key == cache_key)
                            .values(digest=digest))
        check_servable(twin_id, kind)
    except ConsentError:
        from tryon.twin_revocation import drop_outputs

        drop_outputs([(cache_key, digest)], blobs)  # whatever part of it was stored
        raise
    return digest


def make_output(cache_key: str, twin_id: str, kind: str, media_type: str, make,
                blobs: BlobStore | None = None) -> str:
    """A render task's output of a twin: consent checked right before ``make()``
    renders, then ``store_output`` (checked again around storing). The digest."""
    check_servable(twin_id, kind)
    return store_output(cache_key, twin_id, kind, make(), media_type, blobs)


def record_output(cache_key: str, twin_id: str, kind: str) -> None:
    """Remember that ``cache_key`` shows ``twin_id`` (before its output is stored)."""
    with session_scope() as session:
        session.connection(execution_options={"sqlite_begin_immediate": True})
        if session.get(TwinOutput, cache_key) is None:
            session.add(TwinOutput(cache_key=cache_key, twin_id=twin_id, kind=kind))


def twin_of_digest(digest: str) -> str | None:
    """The twin a stored output (blob digest) shows, or None (``/v1/blobs`` asks)."""
    with session_scope() as session:
        return session.scalar(select(TwinOutput.twin_id).where(TwinOutput.digest == digest).limit(1))


def output_digest(cache_key: str) -> str | None:
    """The digest stored under a twin output's cache key, if any."""
    with session_scope() as session:
        return session.scalar(select(TwinOutput.digest).where(TwinOutput.cache_key == cache_key))


def preview_digest(twin_id: str) -> str | None:
    return output_digest(preview_key(twin_id))


def log_use(twin_id: str, grant: ConsentGrant, *, kind: str, channel: str,
            api_key_id: int | None, origin: str | None, content_hash: str | None) -> None:
    """One ledger entry for a served output of a twin."""
    from avatars.usage_ledger import append

    append(twin_id=twin_id, grant_id=grant.id, channel=channel, kind=kind, api_key_id=api_key_id,
           origin=origin, content_hash=content_hash)


def log_catalog_use(twin_id: str, ledger: Mapping[str, Any], digest: str) -> None:
    """Ledger one catalog render of a twin for the merchant that asked for it
    (``ledger``: its key id, origin and channel, as ``POST /v1/catalog/prerender``
    put them in the render's params). ConsentError if no consent covers it now."""
    grant = authorize_use(twin_id, ledger.get("key"), ledger.get("origin"),
                          ledger.get("channel") or "e-commerce")
    log_use(twin_id, grant, kind="catalog-render", channel=ledger.get("channel") or "e-commerce",
            api_key_id=ledger.get("key"), origin=ledger.get("origin"), content_hash=digest)
