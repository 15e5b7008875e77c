"""Digital twins: from a consenting model's scan to a body anyone may render, while consent lasts.

Creation (``start_twin`` then ``fit_twin``, the ``twin`` job):

1. the creation grant must be active (else ``ConsentError``, nothing stored);
2. the scan must load (``avatars.scans.reading.load_scan``; else ``ScanError``,
   nothing stored);
3. the raw scan is sealed in the blob store (``tryon.storage.sealed``) and a
   twin row is written with status ``fitting``;
4. the job fits the body (``avatars.scans.fitting.fit_scan``, up to about a
   minute); where the grant ``captures_appearance``, captures her skin's
   colours and her surface's detail (``avatars.appearance.capture``) and
   seals them (``appearance_blob``); renders a preview with content
   credentials (beside her scan when her appearance was captured), stores
   it, and marks the twin ``ready``; then keeps or deletes the sealed scan
   as the grant says. A fit that is refused (``FitRejected``) marks the twin
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

from avatars.appearance.capture import Capture, capture_appearance
from avatars.appearance.captured import Appearance, appearance_digest
from avatars.avatar import Avatar, avatar_skin
from avatars.body_models.registry import backend_name, get_body_model
from avatars.scans.fitting import FitRejected, fit_scan
from avatars.scans.reading import ScanError, load_scan
from tryon.core.errors import ConsentError, ConsentRequired, Invalid, NotFound
from tryon.core.settings import settings
from tryon.storage.blobs import BlobStore, open_blob_store
from tryon.storage.database import session_scope, write_scope
from tryon.storage.models import ConsentGrant, Twin, utcnow
from tryon.storage.sealed import seal, unseal
from tryon.storage.transient import is_transient
from tryon.twins.access import TWIN_PREFIX, credential_render, preview_key, store_output
from tryon.twins.consent import end_reason, is_active
from tryon.twins.permission import check_creation
from tryon.twins.revocation import delete_sealed, purge_outputs, without_appearance_digest

TWIN_JOB = "twin"
PREVIEW_SIZE = (384, 576)
PREVIEW_MEDIA_TYPE = "image/png"
MAX_LABEL = 200


# --- twins as avatars ----------------------------------------------------------------------

def twin_avatar(twin: Twin, blobs: BlobStore | None = None) -> Avatar | None:
    """The twin as an ``Avatar`` (A-pose body of its fitted shape, with her captured
    appearance, read from ``blobs`` (default: the settings' store) when it is
    drawn); None unless ready on the active body model."""
    if twin.status != "ready" or not twin.shape or not twin.measurements:
        return None
    if (twin.fit or {}).get("backend", backend_name()) != backend_name():
        return None  # fitted on another body model: its shape means nothing here
    appearance = None
    if twin.appearance_blob is not None:
        sealed = twin.appearance_blob
        appearance = Appearance(twin.fit["appearance"]["sha256"],
                                lambda: unseal(sealed, blobs or open_blob_store(settings())))
    return Avatar(id=twin.id, label=twin.label, sex=twin.sex, age_years=None, build="scan",
                  skin_tone=twin.skin_tone, shape=tuple(float(x) for x in twin.shape),
                  measurements=dict(twin.measurements), appearance=appearance)


def load_twin_avatar(twin_id: str, blobs: BlobStore | None = None) -> Avatar | None:
    """The ready twin ``twin_id`` as an Avatar, or None (no consent check: see ``authorize_use``)."""
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        return twin_avatar(twin, blobs) if twin is not None else None


def describe_twin(twin: Twin, with_scan: bool = True) -> dict:
    """A twin as the API shows it to studios, admins and its talent."""
    fit = dict(twin.fit or {})
    return {
        "id": twin.id, "kind": "twin", "label": twin.label, "status": twin.status,
        "talent": twin.talent_id, "creation_consent": twin.creation_grant_id, "sex": twin.sex,
        "skin_tone": twin.skin_tone, "measurements": twin.measurements,
        "height_cm": (twin.measurements or {}).get("stature"),
        "fit": {"percentiles_mm": fit.get("percentiles_mm"), "seconds": fit.get("seconds"),
                "points": fit.get("points"), "backend": fit.get("backend"),
                "appearance": _appearance_figures(fit.get("appearance"))} if fit else None,
        "appearance": "sealed" if twin.appearance_blob else None,
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
        scan_blob, scan_name, sex, tone = twin.scan_blob, twin.scan_name, twin.sex, twin.skin_tone
        captures = bool(session.get(ConsentGrant, twin.creation_grant_id).captures_appearance)
    try:
        _require_creation(twin_id)
        scan = load_scan(unseal(scan_blob, blobs), scan_name)
        fit = fit_scan(scan, sex)
    except (ConsentError, FitRejected, ScanError) as e:
        return _reject(twin_id, str(e), blobs)
    shape = [float(x) for x in fit.shape]
    measurements = {k: (None if v is None else float(v)) for k, v in fit.measurements.items()}
    captured, appearance = None, None
    if captures:  # the grant lets her twin look like her: seal what was captured
        captured = capture_appearance(get_body_model(fit.sex), fit, scan, tone)
        data = captured.appearance.to_bytes()
        appearance = Appearance(appearance_digest(data), lambda: data)
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
        avatar = Avatar(id=twin.id, label=twin.label, sex=fit.sex, age_years=None, build="scan",
                        skin_tone=twin.skin_tone, shape=tuple(shape), measurements=measurements,
                        appearance=appearance)
    _require_creation(twin_id)  # right before rendering
    preview, compared = _render_preview(avatar, captured)
    preview = credential_render(preview, "png", twin_id)
    store_output(preview_key(twin_id), twin_id, "preview", preview, PREVIEW_MEDIA_TYPE, blobs,
                 index=False)
    figures, appearance_blob = None, None
    if captured is not None:
        figures = {**captured.summary(), **compared, "sha256": appearance.digest}
        appearance_blob = seal(data, blobs)
    try:
        ended, grant = _mark_ready(twin_id, fit, shape, measurements, figures, appearance_blob)
    except BaseException:
        if appearance_blob:  # not recorded: it must not stay behind
            blobs.delete(appearance_blob)
        raise
    if ended:  # the consent ended while we fitted: nothing of it may stay
        if appearance_blob:
            blobs.delete(appearance_blob)
        return _reject(twin_id, end_reason(grant), blobs)
    if grant.scan_retention == "delete":  # recorded until deleted, as delete_sealed does
        blobs.delete(scan_blob)
        with write_scope() as session:
            session.get(Twin, twin_id).scan_blob = None
    with session_scope() as session:
        return session.get(Twin, twin_id)


def _mark_ready(twin_id, fit, shape, measurements, figures, appearance_blob):
    """Record the fit (with the sealed appearance and its ``figures``, if captured) and
    mark the twin ready, unless its consent ended meanwhile; (ended, creation grant)."""
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
            if figures is not None:
                twin.fit["appearance"], twin.appearance_blob = figures, appearance_blob
            twin.status, twin.ready_at = "ready", utcnow()
        return ended, grant


def _appearance_figures(figures: dict | None) -> dict | None:
    """A twin's captured appearance as the API shows it (its digest stays inside)."""
    return None if figures is None else {k: v for k, v in figures.items() if k != "sha256"}


def _render_preview(avatar: Avatar, captured: Capture | None) -> tuple[bytes, dict]:
    """(PNG, figures): the twin as renders show her; with a captured appearance, beside
    her scan, front and back, with the colour error (``tryon.render.twin_preview``)."""
    from tryon.render.encoding import encode_image  # pyrender: only processes that fit twins
    from tryon.render.try_on import render_try_on
    from tryon.render.twin_preview import twin_preview

    width, height = PREVIEW_SIZE
    if captured is None:
        return render_try_on(avatar, None, None, fmt="png", view="front", width=width, height=height), {}
    model = get_body_model(avatar.sex)
    rgba, figures = twin_preview(model, captured.body, captured.joints, avatar_skin(model, avatar),
                                 avatar.skin_tone, captured.points, captured.colours,
                                 captured.surface_mm, width=width * 2 // 3, height=height * 2 // 3)
    return encode_image(rgba, "png"), {"colour_delta_e": figures["colour_delta_e"]}


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
        if twin.status != "withdrawn":  # a withdrawal says more than a rejection
            twin.status = "rejected"
        twin.error = reason[:2000]
        twin.fit = without_appearance_digest(twin.fit)
    delete_sealed(twin_id, blobs)  # recorded until deleted: a failed delete can be retried
    purge_outputs(twin_id, blobs)
    with session_scope() as session:
        return session.get(Twin, twin_id)
