"""Digital twins in the API: every route that may serve a twin goes through here.

``authorize_twin`` answers 404 (no such twin), 410 Gone (consent revoked
or expired, with the reason) or 403 (no consent covers this key,
storefront or channel) through the typed errors of ``tryon.twins.access``;
``finish_twin_response`` ledgers a served output and makes it uncacheable
by shared caches; ``require_authorized_twin`` keeps a route that checks no
consent from ever reaching a twin. ``caller_talent`` is the talent a key
speaks for. Reads the database every time: a revocation counts from the
next request on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import Response, g
from sqlalchemy import select

from api.auth import request_origin
from api.errors import ProblemError
from api.extensions import blob_store
from api.serving import served_digest
from tryon.core.errors import ConsentError, NotFound
from tryon.storage.database import session_scope
from tryon.storage.models import CHANNELS, RenderRecord, Twin
from tryon.twins.access import authorize_use, is_twin_id, log_use, output_digest
from tryon.twins.consent import talent_of_key
from tryon.twins.permission import grants_for_twins, pick_use_grant
from tryon.twins.lifecycle import twin_avatar

#: Twins are never cached by shared caches (a CDN would keep serving them after a
#: revocation, and every view must reach us to be counted); clients revalidate (304).
TWIN_CACHE_CONTROL = "private, no-cache"
DEFAULT_CHANNEL = "e-commerce"

#: Roles that may read grants (a talent only its own); admin has every role.
GRANT_READERS = ("talent", "studio")


def caller_talent() -> str | None:
    """The talent the calling key speaks for, None for studio and admin keys;
    403 for a talent key bound to no one."""
    key = g.api_key
    if key.role != "talent":
        return None
    with session_scope() as session:
        talent = talent_of_key(session, key.id)
    if talent is None:
        raise ProblemError(403, "Forbidden", "this talent key is bound to no talent; bind it with "
                           "`tryon keys create --role talent --talent ID`", "Authorization")
    return talent




@dataclass(frozen=True)
class TwinUse:
    """A caller allowed to see a twin now, and the grant that allows it."""

    twin_id: str
    grant: object
    key_id: int | None
    origin: str | None
    channel: str


def check_channel(channel: str | None) -> str:
    channel = channel or DEFAULT_CHANNEL
    if channel not in CHANNELS:
        raise ProblemError(422, "Unprocessable Entity",
                           f"channel is one of {', '.join(CHANNELS)}", "channel")
    return channel


def authorize_twin(avatar_id: str | None, channel: str | None = None,
                   field: str = "avatar") -> TwinUse | None:
    """None for avatars that are not twins; for a twin, the caller's ``TwinUse`` or
    a problem: 404 (no such twin), 410 Gone (consent revoked or expired, with
    the reason), 403 (no consent covers this key, storefront or channel).

    Reads the database every time: a revocation counts from the next request on.
    """
    if not is_twin_id(avatar_id):
        return None
    channel = check_channel(channel)
    key = g.get("api_key")
    origin = bound_origin(key)
    try:
        grant = authorize_use(avatar_id, key.id if key is not None else None, origin, channel,
                              blobs=blob_store())
    except NotFound:
        raise ProblemError(404, "Not Found", f"no avatar {avatar_id!r}", field) from None
    except ConsentError as e:
        title = "Gone" if e.status == 410 else "Forbidden"
        raise ProblemError(e.status, title, e.detail, field, consent=e.grant_id) from None
    use = TwinUse(avatar_id, grant, key.id if key is not None else None, origin, channel)
    g.twin_use = use  # what render_params asks: a twin is rendered only once authorized
    return use


def bound_origin(key) -> str | None:
    """The storefront a use grant may cover this caller for: the request's origin,
    but only for a key bound to origins (a publishable key, which answers only
    there). A server-side key may send any Origin header; trusting it would let
    one brand claim another's grant."""
    return request_origin() if key is not None and key.origins else None


def require_authorized_twin(avatar_id: str | None, field: str = "avatar") -> None:
    """404 for a twin this request did not authorize (``authorize_twin``): a route that
    renders avatars without checking consent (say, an unauthenticated gallery) must
    never reach a twin."""
    use = g.get("twin_use")
    if is_twin_id(avatar_id) and (use is None or use.twin_id != avatar_id):
        raise ProblemError(404, "Not Found", f"no avatar {avatar_id!r}", field)


def finish_twin_response(response, use: TwinUse | None, kind: str | None,
                         content_key: str | None = None):
    """For a twin: ledger a served output of ``kind`` (render, glb, video; None for
    a fit report, which is no use to pay for) on 200 and 304 (the client shows
    it again) and on a 206 that starts at byte 0 (a player starting a video;
    its later Range requests, seeking, are the same view), and make the
    response uncacheable by shared caches. Anything else (a 202, a non-twin)
    passes unchanged."""
    if use is None or not isinstance(response, Response) or response.status_code not in (200, 206, 304):
        return response
    first = response.status_code != 206 or (response.content_range is not None
                                            and response.content_range.start == 0)
    if kind is not None and first:

        digest = _served_digest(response, content_key)
        log_use(use.twin_id, use.grant, kind=kind, channel=use.channel, api_key_id=use.key_id,
                origin=use.origin,
                content_hash=digest or (output_digest(content_key) if content_key else None))
    response.headers["Cache-Control"] = TWIN_CACHE_CONTROL
    return response


def usage_kind(media_type: str | None) -> str | None:
    """The ledger's kind for a served output's media type (None: not a paid use)."""
    if media_type and media_type.startswith("image/"):
        return "render"
    if media_type and media_type.startswith("video/"):
        return "video"
    return {"model/gltf-binary": "glb", "model/vnd.usdz+zip": "usdz"}.get(media_type)


def _served_digest(response: Response, content_key: str | None) -> str | None:
    known = served_digest(response)  # a stored blob says its digest: no need to hash it again
    if known is not None:
        return known
    if response.status_code == 200 and not response.is_streamed:
        return hashlib.sha256(response.get_data()).hexdigest()
    if content_key is None:
        return None

    with session_scope() as session:
        record = session.get(RenderRecord, content_key)
        return record.digest if record is not None else None


def twin_avatar_entries(query: dict) -> list[dict]:
    """Ready twins the calling key may use now (on any channel), as avatar list entries.

    Two queries whatever the number of twins: the ready twins, then every grant
    that decides about them (``grants_for_twins``); the rule runs on those.
    """
    key = g.get("api_key")
    key_id, origin = (key.id if key is not None else None), bound_origin(key)
    with session_scope() as session:
        twins = list(session.scalars(select(Twin).where(Twin.status == "ready")
                                     .order_by(Twin.created_at)))
        grants = grants_for_twins(session, twins)
    by_id = {grant.id: grant for grant in grants}
    found = []
    for twin in twins:
        avatar = twin_avatar(twin)
        if avatar is not None and any(
                _allowed(twin, by_id.get(twin.creation_grant_id), grants, key_id, origin, channel)
                for channel in CHANNELS):
            found.append(avatar)
    return found


def _allowed(twin, creation, grants, key_id, origin, channel) -> bool:
    try:
        pick_use_grant(twin, creation, grants, key_id, origin, channel)
        return True
    except ConsentError:
        return False
