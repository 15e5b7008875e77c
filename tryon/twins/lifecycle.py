"""Digital twins: from a consenting model's scan to a body anyone may render, while consent lasts.

Creation (``start_twin`` then ``fit_twin``, the ``twin`` job):

1. the creation grant must be active (else ``ConsentError``, nothing stored);
2. the scan must load (``avatars.scans.reading.load_scan``; else ``ScanError``,
   nothing stored);
3. the raw scan is sealed in the blob store (``tryon.storage.sealed``) and a
   twin row is written with status ``fitting``;
4. the job fits the body (``avatars.scans.fitting.fit_scan``, up to about a
   minute), renders a preview with content credentials, stores both, and
   marks the twin ``ready``; then keeps or deletes the sealed scan as the
   grant says. A fit that is refused (``FitRejected``) marks the twin
   ``rejected`` with the reason and deletes the scan. A failure of the
   infrastructure (``tryon.storage.transient``: the database restarting, a
   full disk) leaves the twin ``fitting`` with its sealed scan: the job is
   tried again, and ``POST /v1/twins/{id}/fit`` starts it again once it gave up.

Serving: ``authorize_use`` picks the use grant that lets a caller see a
twin, or raises (403 / 410). Every twin output is mapped to its twin
(``TwinOutput``) before it is stored (``store_output``), and consent is
checked again right before rendering and right after storing, so an
output never outlives a revocation unnoticed.

Ending a consent (revocation, expiry) is carried out by
``tryon.twins.revocation``. Nothing about consent is cached: every check
reads the database.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from avatars.avatar import Avatar
from avatars.body_models.registry import backend_name
from avatars.scans.fitting import FitRejected, fit_scan
from avatars.scans.reading import ScanError, load_scan
from tryon.core.errors import ConsentError, ConsentRequired, Invalid, NotFound
from tryon.storage.blobs import BlobStore
from tryon.storage.database import session_scope, write_scope
from tryon.storage.models import ConsentGrant, Twin, utcnow
from tryon.storage.sealed import seal, unseal
from tryon.storage.transient import is_transient
from tryon.twins.access import TWIN_PREFIX, credential_render, preview_key, store_output
from tryon.twins.consent import end_reason, is_active
from tryon.twins.permission import check_creation
from tryon.twins.revocation import purge_outputs

TWIN_JOB = "twin"
PREVIEW_SIZE = (384, 576)
PREVIEW_MEDIA_TYPE = "image/png"
MAX_LABEL = 200


# --- twins as avatars ----------------------------------------------------------------------

def twin_avatar(twin: Twin) -> Avatar | None:
    """The twin as an ``Avatar`` (A-pose body of its fitted shape); None unless ready
    on the active body model."""
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
               skin_tone: int = 5, label: str | None = None, blobs: BlobStore) -> Twin:
    """Check the consent and the scan, seal the scan, write the twin (status ``fitting``).

    Raises ConsentError (nothing stored) when ``consent_id`` is not an
    active creation consent or already has a twin, ScanError when the scan
    cannot be read (nothing stored), Invalid (with the field) for bad options.
    """
    if sex not in (None, "female", "male"):
        raise Invalid("sex is female or male (or leave it out to let the fit decide)", "sex")
    if not (isinstance(skin_tone, int) and 1 <= skin_tone <= 10):
        raise Invalid("skin_tone is a Monk skin tone, 1-10", "skin_tone")
    with session_scope() as session:
        grant = check_creation(session.get(ConsentGrant, consent_id))
        taken = session.scalar(select(Twin.id).where(Twin.creation_grant_id == grant.id,
                                                     Twin.status.in_(("fitting", "ready"))))
        if taken is not None:
            raise ConsentRequired(f"consent {grant.id} was already used to create twin {taken}; "
                                  "each scan session needs its own creation consent", grant.id)
        talent_id = grant.talent_id
    load_scan(data, filename)  # ScanError before anything is stored
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


def run_twin_job(params: Mapping[str, Any], blobs: BlobStore) -> str:
    """The ``twin`` job: fit the twin ``params["twin"]``; its id is the job's result.

    A refused fit or an ended consent fails the job with the reason; so does any
    other failure of the twin's own, after marking the twin rejected (its scan
    deleted) so that it never stays ``fitting``. A transient failure is
    raised with the twin left ``fitting`` and its scan kept, to be retried.
    """
    try:
        twin = fit_twin(params["twin"], blobs)
    except Exception as error:  # e.g. the consent ended while the preview was stored
        if not is_transient(error):
            _reject(params["twin"], f"fitting failed: {error}", blobs)
        raise
    if twin.status != "ready":
        raise ValueError(twin.error or f"twin {twin.id} is {twin.status}")
    return twin.id


def fit_twin(twin_id: str, blobs: BlobStore) -> Twin:
    """Fit a ``fitting`` twin (idempotent: a twin past fitting is returned as it is)."""
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        if twin is None:
            raise NotFound(f"no twin {twin_id!r}", "twin_id")
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
    with write_scope() as session:
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
    from tryon.render.try_on import render_try_on  # pyrender: only processes that fit twins

    width, height = PREVIEW_SIZE
    return render_try_on(avatar, None, None, fmt="png", view="front", width=width, height=height)


def _require_creation(twin_id: str) -> None:
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        check_creation(session.get(ConsentGrant, twin.creation_grant_id))


def _reject(twin_id: str, reason: str, blobs: BlobStore) -> Twin | None:
    """Mark a twin rejected with ``reason``; delete its sealed scan and any output."""
    with write_scope() as session:
        twin = session.get(Twin, twin_id)
        if twin is None:
            return None
        scan_blob = twin.scan_blob
        if twin.status != "withdrawn":  # a withdrawal says more than a rejection
            twin.status = "rejected"
        twin.error, twin.scan_blob = reason[:2000], None
    if scan_blob:
        blobs.delete(scan_blob)
    purge_outputs(twin_id, blobs)
    with session_scope() as session:
        return session.get(Twin, twin_id)
