"""One way to find an avatar by id: the library, a body made from measurements
(``POST /v1/avatars``, ids ``m-...``), or a digital twin (``POST /v1/twins``,
ids ``t-...``), the last two stored in the database.

Every process (API workers, job runners, Celery workers) resolves ids the
same way, so a measured avatar or a twin can be fitted and rendered
anywhere. Resolving a twin checks no consent: the serving paths and the
render tasks do that on every use (``tryon.twins.access``).
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.exc import IntegrityError

from avatars.avatar import Avatar
from avatars.library import library
from tryon.core.errors import NotFound
from tryon.storage.database import session_scope, write_scope
from tryon.storage.models import MeasuredAvatar
from tryon.twins.access import TWIN_PREFIX
from tryon.twins.lifecycle import load_twin_avatar

MEASURED_PREFIX = "m-"
KINDS = ("library", "measured", "twin")


def avatar_kind(avatar_id: str) -> str:
    """``library``, ``measured`` or ``twin``, by the id's form."""
    if isinstance(avatar_id, str) and avatar_id.startswith(TWIN_PREFIX):
        return "twin"
    if isinstance(avatar_id, str) and avatar_id.startswith(MEASURED_PREFIX):
        return "measured"
    return "library"


def resolve_avatar(avatar_id: str) -> Avatar:
    """The library, measured or twin avatar ``avatar_id``; NotFound if there is none
    (a twin that is not ready, or was withdrawn, is none)."""
    avatar = library().get(avatar_id)
    if avatar is None and avatar_kind(avatar_id) == "measured":
        avatar = load_measured(avatar_id)
    elif avatar is None and avatar_kind(avatar_id) == "twin":
        avatar = load_twin_avatar(avatar_id)
    if avatar is None:
        raise NotFound(f"no avatar {avatar_id!r}", "avatar")
    return avatar


def find_avatar(avatar_id: str) -> Avatar | None:
    """``resolve_avatar``, or None when there is no such avatar."""
    try:
        return resolve_avatar(avatar_id)
    except NotFound:
        return None


def load_measured(avatar_id: str) -> Avatar | None:
    with session_scope() as session:
        row = session.get(MeasuredAvatar, avatar_id)
        data = dict(row.data) if row is not None else None
    if data is None:
        return None
    return Avatar(**{**data, "shape": tuple(data["shape"]), "measurements": dict(data["measurements"])})


def store_measured(avatar: Avatar, origin: str | None = None, tenant: str | None = None) -> None:
    """Keep a measured avatar, made from ``origin`` (a shop's site) by a key of
    ``tenant``; the same body made again from elsewhere is seen there too."""
    data = {**asdict(avatar), "shape": [float(x) for x in avatar.shape]}
    for _ in range(2):  # a second try when another request stored it meanwhile
        try:
            with write_scope() as session:
                row = session.get(MeasuredAvatar, avatar.id)
                if row is None:
                    row = MeasuredAvatar(id=avatar.id, data=data, origins=[], tenants=[])
                    session.add(row)
                row.origins = _with(row.origins, origin)
                row.tenants = _with(row.tenants, tenant)
            return
        except IntegrityError:
            continue


def measured_owners(avatar_id: str) -> tuple[list[str], list[str]] | None:
    """(origins, tenants) that made a measured avatar, or None if there is none such."""
    with session_scope() as session:
        row = session.get(MeasuredAvatar, avatar_id)
        return None if row is None else (list(row.origins or []), list(row.tenants or []))


def _with(values, value: str | None) -> list[str]:
    values = list(values or [])
    return values if value is None or value in values else [*values, value]
