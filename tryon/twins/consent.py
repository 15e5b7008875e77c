"""Consent of models (talent) to digital twins of themselves: records and rules.

A ``ConsentGrant`` (``tryon.storage.models``) is one consent a talent gave, with
the fields New York's Fashion Workers Act asks of a digital-replica
consent: the model and who obtained the consent, the kind (``creation`` of
a twin from a scan, or ``use`` of their twins), the scope (API key ids and
storefront origins; channels ``e-commerce``, ``ads``, ``social``), the
purpose, the rate of pay (per render, per day of use, or flat; currency and
amount in minor units), start and end, and the signed document (its sha256
recorded; the bytes sealed in the blob store, ``tryon.storage.sealed``, and
never served publicly). A creation grant also says what becomes of the raw
scan (kept encrypted, or deleted after fitting) and whether the twin
captures the model's appearance (her skin's colours and her surface's
detail) or only her shape.

Status is computed on every read, never cached: ``revoked`` once
``revoked_at`` is set, ``pending`` before the start, ``expired`` from the
end on, ``active`` otherwise. A twin lives while its creation grant is
active; it may be shown to a caller while some active use grant covers the
caller's key (or storefront origin) and channel. Which grant permits a
use is ``tryon.twins.permission``'s to decide; enforcing an end (purging
outputs, failing jobs) is ``tryon.twins.revocation``'s work.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from tryon.core.errors import Invalid, NotFound
from tryon.storage.api_keys import normalize_origin
from tryon.storage.blobs import BlobStore
from tryon.storage.database import lock_for_write
from tryon.storage.models import (
    CHANNELS,
    CONSENT_KINDS,
    PAY_BASES,
    SCAN_RETENTIONS,
    ApiKey,
    ConsentGrant,
    Talent,
    TalentKey,
    Twin,
    utcnow,
)
from tryon.storage.sealed import SealError, seal, unseal

GRANT_PREFIX = "cg-"
TALENT_PREFIX = "tl-"
STATUSES = ("pending", "active", "expired", "revoked")
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
_CURRENCY = re.compile(r"[A-Z]{3}")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


class InvalidGrant(Invalid):
    """A grant that cannot be recorded; ``field`` names the input at fault."""


# --- status ---------------------------------------------------------------------------------

def grant_status(grant: ConsentGrant, now: datetime | None = None) -> str:
    """``revoked``, ``pending`` (before its start), ``expired`` (from its end on) or ``active``."""
    now = now or utcnow()
    if grant.revoked_at is not None:
        return "revoked"
    if now < grant.starts_at:
        return "pending"
    if now >= grant.ends_at:
        return "expired"
    return "active"


def is_active(grant: ConsentGrant, now: datetime | None = None) -> bool:
    return grant_status(grant, now) == "active"


def end_reason(grant: ConsentGrant, now: datetime | None = None) -> str:
    """Why a grant no longer allows anything, in words (for 410 answers and failed jobs)."""
    status = grant_status(grant, now)
    if status == "revoked":
        by = f" by {grant.revoked_by}" if grant.revoked_by else ""
        reason = f": {grant.revoked_reason}" if grant.revoked_reason else ""
        return f"consent {grant.id} was revoked{by} on {grant.revoked_at:%Y-%m-%d %H:%M}Z{reason}"
    if status == "expired":
        return f"consent {grant.id} expired on {grant.ends_at:%Y-%m-%d %H:%M}Z"
    if status == "pending":
        return f"consent {grant.id} starts on {grant.starts_at:%Y-%m-%d %H:%M}Z"
    return f"consent {grant.id} is active"


def describe_grant(grant: ConsentGrant, now: datetime | None = None) -> dict:
    """A grant as JSON: every recorded field and its status; never the document's bytes."""
    def when(value):
        return value.isoformat() if value is not None else None

    return {
        "id": grant.id, "talent": grant.talent_id, "kind": grant.kind, "twin": grant.twin_id,
        "status": grant_status(grant, now), "obtained_by": grant.obtained_by,
        "recorded_by_key": grant.recorded_by_key_id, "purpose": grant.purpose,
        "scope": {"key_ids": list(grant.scope_key_ids or []),
                  "origins": list(grant.scope_origins or []),
                  "channels": list(grant.channels or [])},
        "pay": {"basis": grant.pay_basis, "currency": grant.pay_currency,
                "amount_minor": grant.pay_amount_minor},
        "starts_at": when(grant.starts_at), "ends_at": when(grant.ends_at),
        "document": {"sha256": grant.document_sha256, "name": grant.document_name,
                     "media_type": grant.document_media_type},
        "scan_retention": grant.scan_retention,
        "captures_appearance": bool(grant.captures_appearance) if grant.kind == "creation" else None,
        "created_at": when(grant.created_at),
        "revoked_at": when(grant.revoked_at), "revoked_reason": grant.revoked_reason,
        "revoked_by": grant.revoked_by,
    }


# --- talents and their keys -----------------------------------------------------------------

def create_talent(session: Session, name: str) -> Talent:
    """Record a model; returns the row (its id is ``tl-`` and 12 hex)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 200 or "\x00" in name:
        raise InvalidGrant("a talent's name is 1-200 characters", "name")
    talent = Talent(id=TALENT_PREFIX + secrets.token_hex(6), name=name, created_at=utcnow())
    session.add(talent)
    session.flush()
    return talent


def bind_talent_key(session: Session, api_key: ApiKey, talent_id: str) -> None:
    """Let a talent-role key speak for ``talent_id`` (and nobody else)."""
    if api_key.role != "talent":
        raise InvalidGrant(f"only talent keys are bound to a talent, not {api_key.role} keys", "role")
    if session.get(Talent, talent_id) is None:
        raise InvalidGrant(f"no talent {talent_id!r}", "talent")
    session.merge(TalentKey(api_key_id=api_key.id, talent_id=talent_id))


def talent_of_key(session: Session, api_key_id: int) -> str | None:
    """The talent a talent-role key speaks for, or None."""
    return session.scalar(select(TalentKey.talent_id).where(TalentKey.api_key_id == api_key_id))


# --- recording grants -----------------------------------------------------------------------

def parse_when(text: str | datetime | date, end: bool = False) -> datetime:
    """An aware UTC datetime from ISO 8601 text; naive times are UTC.

    A date alone means the start of that day, or for an end (``end=True``)
    the end of it: a grant "until 2026-12-31" runs through that day.
    """
    if isinstance(text, datetime):
        value = text
    elif isinstance(text, date):
        try:
            return datetime.combine(text, time(), timezone.utc) + (timedelta(days=1) if end else timedelta())
        except OverflowError:
            raise InvalidGrant("that date is out of range", "ends_at" if end else "starts_at") from None
    else:
        text = str(text).strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return parse_when(date.fromisoformat(text), end)
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except InvalidGrant:
            raise
        except (ValueError, OverflowError):
            raise InvalidGrant(f"{text[:100]!r} is not an ISO 8601 date or time",
                               "ends_at" if end else "starts_at") from None
    try:
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except OverflowError:  # the first or last representable instant, moved across zones
        raise InvalidGrant("that date is out of range", "ends_at" if end else "starts_at") from None


def _names(values: Iterable[str] | str | None) -> list[str]:
    """A list from repeated fields or one comma-separated field."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [v.strip() for value in values for v in str(value).split(",") if v.strip()]


def create_grant(
    session: Session, *, talent_id: str, kind: str, obtained_by: str, purpose: str,
    pay_basis: str, pay_currency: str, pay_amount_minor: int, starts_at, ends_at,
    document: bytes, document_name: str = "consent.pdf",
    document_media_type: str = "application/octet-stream",
    channels: Sequence[str] | str | None = None, scope_key_ids: Sequence[int] | str | None = None,
    scope_origins: Sequence[str] | str | None = None, scan_retention: str | None = None,
    captures_appearance: bool = False,
    scope_key_prefixes: Sequence[str] | str | None = None, twin_id: str | None = None,
    recorded_by_key_id: int | None = None, blobs: BlobStore,
) -> ConsentGrant:
    """Check and record a grant; the signed document is sealed in the blob store.

    Raises ``InvalidGrant`` (with the field at fault) for anything missing
    or inconsistent: use grants need channels and a scope (key ids or
    origins); creation grants need a scan retention, and say whether the
    twin carries the model's appearance (``captures_appearance``: her skin's
    colours and her surface's detail, baked from the scan; else her shape
    only); the end follows the start.
    """

    # reads (talent, keys, twin), then writes: SQLite's write lock first (see tryon.storage.database)
    lock_for_write(session)
    if kind not in CONSENT_KINDS:
        raise InvalidGrant(f"kind is one of {', '.join(CONSENT_KINDS)}", "kind")
    if session.get(Talent, talent_id) is None:
        raise InvalidGrant(f"no talent {talent_id!r}; record them first", "talent")
    obtained_by, purpose = (obtained_by or "").strip(), (purpose or "").strip()
    if not 1 <= len(obtained_by) <= 200:
        raise InvalidGrant("say who obtained the consent (1-200 characters)", "obtained_by")
    if not purpose:
        raise InvalidGrant("say what the consent is for", "purpose")
    channels = list(dict.fromkeys(_names(channels)))
    if any(c not in CHANNELS for c in channels):
        raise InvalidGrant(f"channels are among {', '.join(CHANNELS)}", "channels")
    try:
        key_ids = sorted({int(k) for k in _names(scope_key_ids)})
    except (TypeError, ValueError):
        raise InvalidGrant("scope key ids are integers (the id of each API key)",
                           "scope_key_ids") from None
    if any(not 0 < k < 2**31 for k in key_ids):
        raise InvalidGrant("an API key id is a positive integer", "scope_key_ids")
    missing = [k for k in key_ids if session.get(ApiKey, k) is None]
    if missing:
        raise InvalidGrant(f"no API key with id {missing[0]}", "scope_key_ids")
    for prefix in _names(scope_key_prefixes):  # keys as `tryon keys list` names them
        key_id = session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix))
        if key_id is None:
            raise InvalidGrant(f"no API key with prefix {prefix!r}", "scope_keys")
        key_ids = sorted({*key_ids, key_id})
    try:
        origins = list(dict.fromkeys(normalize_origin(o) for o in _names(scope_origins)))
    except ValueError as e:
        raise InvalidGrant(str(e), "scope_origins") from None
    if pay_basis not in PAY_BASES:
        raise InvalidGrant(f"pay basis is one of {', '.join(PAY_BASES)}", "pay_basis")
    currency = (pay_currency or "").strip().upper()
    if not _CURRENCY.fullmatch(currency):
        raise InvalidGrant("the currency is an ISO 4217 code such as USD or EUR", "pay_currency")
    try:
        amount = int(pay_amount_minor)
    except (TypeError, ValueError):
        raise InvalidGrant("the amount is an integer in minor units (cents)",
                           "pay_amount_minor") from None
    if not 0 <= amount < 2**62:
        raise InvalidGrant("the amount is 0 or more, in minor units", "pay_amount_minor")
    for name, value in (("obtained_by", obtained_by), ("purpose", purpose),
                        ("document", document_name or "")):
        if "\x00" in value:
            raise InvalidGrant("text may not contain NUL characters", name)
    start, end = parse_when(starts_at), parse_when(ends_at, end=True)
    if end <= start:
        raise InvalidGrant("a consent ends after it starts", "ends_at")
    if not document:
        raise InvalidGrant("attach the signed consent document", "document")
    if len(document) > MAX_DOCUMENT_BYTES:
        raise InvalidGrant(f"the document is over {MAX_DOCUMENT_BYTES // 2**20} MB", "document")
    if kind == "creation":
        if scan_retention not in SCAN_RETENTIONS:
            raise InvalidGrant(f"a creation consent says what happens to the raw scan: "
                               f"{' or '.join(SCAN_RETENTIONS)}", "scan_retention")
        if twin_id is not None:
            raise InvalidGrant("a creation consent names no twin (the twin is made under it)",
                               "twin")
    else:
        if scan_retention is not None:
            raise InvalidGrant("scan retention belongs to creation consents", "scan_retention")
        if captures_appearance:
            raise InvalidGrant("capturing appearance belongs to creation consents",
                               "captures_appearance")
        if not channels:
            raise InvalidGrant(f"a use consent names its channels ({', '.join(CHANNELS)})",
                               "channels")
        if not key_ids and not origins:
            raise InvalidGrant("a use consent names the brands it covers: API key ids or "
                               "storefront origins", "scope_key_ids")
        if twin_id is not None:
            twin = session.get(Twin, twin_id)
            if twin is None or twin.talent_id != talent_id:
                raise InvalidGrant(f"no twin {twin_id!r} of this talent", "twin")
    name = _SAFE_NAME.sub("_", (document_name or "consent").rsplit("/", 1)[-1])[:200] or "consent"
    grant = ConsentGrant(
        id=GRANT_PREFIX + secrets.token_hex(8), talent_id=talent_id, kind=kind, twin_id=twin_id,
        obtained_by=obtained_by, recorded_by_key_id=recorded_by_key_id, purpose=purpose,
        channels=channels, scope_key_ids=key_ids, scope_origins=origins, pay_basis=pay_basis,
        pay_currency=currency, pay_amount_minor=amount, starts_at=start, ends_at=end,
        document_sha256=hashlib.sha256(document).hexdigest(), document_blob=seal(document, blobs),
        document_name=name, document_media_type=(document_media_type or "application/octet-stream")[:100],
        scan_retention=scan_retention, captures_appearance=bool(captures_appearance),
        created_at=utcnow())
    session.add(grant)
    session.flush()
    return grant


def revoke_grant(session: Session, grant_id: str, reason: str, by: str) -> ConsentGrant:
    """Mark a grant revoked (revoking again keeps the first revocation). KeyError if unknown.

    The caller enforces the end at once (``tryon.twins.revocation.revoke`` does both).
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidGrant("give a reason for the revocation", "reason")
    # read then write: SQLite's write lock first (see tryon.storage.database)
    lock_for_write(session)
    grant = session.get(ConsentGrant, grant_id)
    if grant is None:
        raise NotFound(f"no consent {grant_id!r}", "grant_id")
    if grant.revoked_at is None:
        grant.revoked_at, grant.revoked_reason, grant.revoked_by = utcnow(), reason[:2000], by[:100]
    return grant


def grants_of(session: Session, talent_id: str | None = None) -> list[ConsentGrant]:
    """Grants, newest first; only ``talent_id``'s when given."""
    query = select(ConsentGrant).order_by(ConsentGrant.created_at.desc(), ConsentGrant.id)
    if talent_id is not None:
        query = query.where(ConsentGrant.talent_id == talent_id)
    return list(session.scalars(query))


def document_bytes(grant: ConsentGrant, blobs: BlobStore) -> bytes:
    """The signed document (unsealed); checked against its recorded sha256."""
    data = unseal(grant.document_blob, blobs)
    if hashlib.sha256(data).hexdigest() != grant.document_sha256:
        raise SealError(f"the document of consent {grant.id} does not match its recorded hash")
    return data
