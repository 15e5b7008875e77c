"""Which consent permits a use of a twin: the rules, read from the grants on every call.

A twin lives while its creation grant is active (``check_creation``); it may
be shown to a caller while some active use grant of its talent applies to
it and covers the caller's key (or storefront origin) and channel
(``choose_use_grant``). ``pick_use_grant`` applies the same rule to grants
already read, so that a list of twins costs one query
(``grants_for_twins``), not two per twin and channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tryon.core.errors import ConsentEnded, ConsentRequired
from tryon.storage.models import ConsentGrant, Twin, utcnow
from tryon.twins.consent import end_reason, grant_status, is_active


def covers(grant: ConsentGrant, key_id: int | None, origin: str | None, channel: str) -> bool:
    """Whether a use grant's scope includes this caller (key id or origin) and channel."""
    if channel not in (grant.channels or ()):
        return False
    return (key_id is not None and key_id in (grant.scope_key_ids or ())) or (
        origin is not None and origin in (grant.scope_origins or ()))


def check_creation(grant: ConsentGrant | None, now: datetime | None = None) -> ConsentGrant:
    """The grant if it is an active creation consent; ConsentRequired/ConsentEnded otherwise."""
    if grant is None or grant.kind != "creation":
        raise ConsentRequired("a twin needs the model's active creation consent (a consent of "
                              "kind 'creation')")
    status = grant_status(grant, now)
    if status == "pending":
        raise ConsentRequired(end_reason(grant, now), grant.id)
    if status != "active":
        raise ConsentEnded(end_reason(grant, now), grant.id)
    return grant


def use_grants(session: Session, twin: Twin) -> list[ConsentGrant]:
    """Every use grant of the twin's talent that applies to this twin, oldest first."""
    return list(session.scalars(
        select(ConsentGrant).where(ConsentGrant.talent_id == twin.talent_id,
                                   ConsentGrant.kind == "use")
        .order_by(ConsentGrant.created_at, ConsentGrant.id)))


def applies_to(grant: ConsentGrant, twin_id: str) -> bool:
    return grant.twin_id is None or grant.twin_id == twin_id


def choose_use_grant(session: Session, twin: Twin, key_id: int | None, origin: str | None,
                     channel: str, now: datetime | None = None) -> ConsentGrant:
    """The active use grant that allows this caller to be shown the twin on this channel.

    Raises ConsentEnded (410) when the twin's creation consent has ended, or
    when the grants that covered this caller have all ended (or every use
    grant of the twin has); ConsentRequired (403) when none ever covered it.
    """
    return pick_use_grant(twin, session.get(ConsentGrant, twin.creation_grant_id),
                          use_grants(session, twin), key_id, origin, channel, now)


def pick_use_grant(twin: Twin, creation: ConsentGrant | None, grants: Iterable[ConsentGrant],
                   key_id: int | None, origin: str | None, channel: str,
                   now: datetime | None = None) -> ConsentGrant:
    """``choose_use_grant`` over grants already read: ``creation``, the twin's creation
    grant, and ``grants``, use grants of its talent (others are ignored)."""
    now = now or utcnow()
    check_creation(creation, now)
    grants = [g for g in grants if g.kind == "use" and g.talent_id == twin.talent_id
              and applies_to(g, twin.id)]
    mine = [g for g in grants if covers(g, key_id, origin, channel)]
    for grant in mine:
        if is_active(grant, now):
            return grant
    ended = [g for g in mine if grant_status(g, now) in ("revoked", "expired")]
    if ended:
        latest = max(ended, key=lambda g: g.revoked_at or g.ends_at)
        raise ConsentEnded(end_reason(latest, now), latest.id)
    if grants and not any(is_active(g, now) for g in grants):
        if any(grant_status(g, now) in ("revoked", "expired") for g in grants):
            raise ConsentEnded(f"every consent to use twin {twin.id} has ended")
    raise ConsentRequired(f"no active consent of this model covers this key or storefront on "
                          f"the {channel} channel")


def grants_for_twins(session: Session, twins: Iterable[Twin]) -> list[ConsentGrant]:
    """In one query: the creation grants of ``twins`` and every use grant of their
    talents, oldest first (what ``pick_use_grant`` needs for each)."""
    twins = list(twins)
    if not twins:
        return []
    return list(session.scalars(
        select(ConsentGrant).where(
            ConsentGrant.id.in_({t.creation_grant_id for t in twins})
            | ((ConsentGrant.kind == "use") & ConsentGrant.talent_id.in_({t.talent_id for t in twins})))
        .order_by(ConsentGrant.created_at, ConsentGrant.id)))


def servable(session: Session, twin: Twin, now: datetime | None = None) -> bool:
    """Whether the twin may be shown to anyone at all: creation consent active and
    some active use grant for it."""
    now = now or utcnow()
    creation = session.get(ConsentGrant, twin.creation_grant_id)
    if creation is None or not is_active(creation, now):
        return False
    return any(is_active(g, now) and applies_to(g, twin.id) for g in use_grants(session, twin))
