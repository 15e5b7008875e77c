"""Avatars: the library of bodies, and bodies made from a shopper's measurements.

Bodies made by ``POST /v1/avatars`` are stored in the database
(``tryon.storage.models.MeasuredAvatar``) under an id derived from the
measurements (``m-<hash>``), so the same measurements give the same id, and
``GET /v1/avatars/{id}``, ``/v1/fit``, ``/v1/render``, ``/v1/scene.glb`` and
the job workers find them in any process (``tryon.outputs.avatar_lookup``).

Every entry says its ``kind``: ``library``, ``measured`` or ``twin``. Digital
twins (``api.routes.twins``) are listed only to keys that an active consent of
their model covers, and only while it does; asking for one otherwise
answers 403, or 410 Gone once its consent was revoked or has expired.
"""

from __future__ import annotations

import re

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, Float, Integer, List, Nested, String
from apiflask.validators import OneOf, Range
from flask import g, request

from api.auth import READ_ROLES, SECURITY, caller_tenant, request_origin, require_key
from api.errors import ProblemError
from api.lookups import require_visible_avatar
from api.twin_access import authorize_twin, twin_avatar_entries
from avatars.avatar import avatar_from_measurements
from avatars.body_models.base import BUILDS
from avatars.from_measurements import LIMITS_CM
from avatars.library import library
from tryon.outputs.avatar_lookup import avatar_kind, store_measured
from tryon.outputs.avatar_lookup import find_avatar as lookup

avatars = APIBlueprint("avatars", __name__, url_prefix="/v1/avatars", tag="Avatars")

SEXES = ("female", "male", "neutral")
_EU_SIZE = re.compile(r"-eu(\d+)$")  # library ids name the EU size, e.g. f165-eu40


class AvatarQuery(Schema):
    sex = String(validate=OneOf(SEXES))
    skin_tone = Integer(validate=Range(1, 10), metadata={"description": "Monk skin tone 1-10"})
    height_min = Float(validate=Range(0, 300), metadata={"description": "cm"})
    height_max = Float(validate=Range(0, 300), metadata={"description": "cm"})
    size = Integer(validate=Range(20, 80), metadata={"description": "EU size (library bodies)"})


class AvatarOut(Schema):
    id = String()
    kind = String(metadata={"description": "library, measured or twin"})
    label = String()
    sex = String()
    age_years = Float(allow_none=True)
    build = String()
    skin_tone = Integer()
    hair = String(allow_none=True, metadata={
        "description": "the hairstyle the body wears (a render's hair= can change it); none for a twin"})
    hair_colour = String(allow_none=True)
    height_cm = Float()
    eu_size = Integer(allow_none=True)
    measurements = Dict(keys=String(), values=Float(allow_none=True),
                        metadata={"description": "cm, ISO 8559-1 names"})
    errors_cm = Dict(keys=String(), values=Float(),
                     metadata={"description": "solved minus given (created bodies only)"})


class AvatarList(Schema):
    avatars = List(Nested(AvatarOut))


def _range(name: str) -> Range:
    return Range(*LIMITS_CM[name])


class MeasurementsIn(Schema):
    height = Float(required=True, validate=_range("height"), metadata={"description": "cm"})
    chest = Float(validate=_range("chest"), metadata={"description": "bust/chest girth, cm"})
    waist = Float(validate=_range("waist"), metadata={"description": "cm"})
    hips = Float(validate=_range("hips"), metadata={"description": "cm"})
    inseam = Float(validate=_range("inseam"), metadata={"description": "cm"})
    sex = String(load_default="neutral", validate=OneOf(SEXES))
    build = String(load_default="average", validate=OneOf(BUILDS))
    age_years = Float(validate=Range(18, 90))
    skin_tone = Integer(load_default=5, validate=Range(1, 10))


def describe(avatar, errors_cm: dict | None = None) -> dict:
    """An avatar as the API shows it."""
    size = _EU_SIZE.search(avatar.id)
    return {**avatar.summary(), "kind": avatar_kind(avatar.id),
            "eu_size": int(size.group(1)) if size else None,
            **({"errors_cm": errors_cm} if errors_cm is not None else {})}


def find_avatar(avatar_id: str, field: str = "avatar"):
    """A library, created or twin avatar by id; 404 ProblemError if there is none,
    and for a twin 403/410 unless a consent lets the caller see it now."""
    authorize_twin(avatar_id, request.args.get("channel"), field)
    require_visible_avatar(avatar_id, field)
    avatar = lookup(avatar_id)
    if avatar is None:
        raise ProblemError(404, "Not Found", f"no avatar {avatar_id!r}", field)
    return avatar


@avatars.get("")
@require_key(*READ_ROLES)
@avatars.input(AvatarQuery, location="query")
@avatars.output(AvatarList)
@avatars.doc(security=SECURITY)
def list_avatars(query_data):
    """The library's bodies, and the digital twins this key may show, filtered by
    sex, skin tone, height (cm) and EU size."""
    q = query_data
    found = [describe(a) for a in [*library().values(), *twin_avatar_entries(q)]
             if q.get("sex", a.sex) == a.sex
             and q.get("skin_tone", a.skin_tone) == a.skin_tone
             and q.get("height_min", 0) <= a.height_cm <= q.get("height_max", 1000)]
    if "size" in q:
        found = [a for a in found if a["eu_size"] == q["size"]]
    return {"avatars": found}


@avatars.get("/<avatar_id>")
@require_key(*READ_ROLES)
@avatars.output(AvatarOut)
@avatars.doc(security=SECURITY, responses={
    403: "a twin no consent lets this key see",
    404: "no such avatar", 410: "a twin whose consent was revoked or expired"})
def get_avatar(avatar_id: str):
    """One avatar: a library body or one made from measurements."""
    return describe(find_avatar(avatar_id, "avatar_id"))


@avatars.post("")
@require_key(*READ_ROLES)
@avatars.input(MeasurementsIn)
@avatars.output(AvatarOut, status_code=201)
@avatars.doc(security=SECURITY, responses=[422])
def create_avatar(json_data):
    """A body from measurements (cm): height plus any of chest, waist, hips and inseam.

    Answers the solved body's measurements and how far each given one is
    from it; 422 names the field when no body matches.
    """
    skin_tone = json_data.pop("skin_tone")
    avatar, errors_cm = avatar_from_measurements(json_data, skin_tone)
    store_measured(avatar, request_origin() if g.api_key.role == "publishable" else None,
                   caller_tenant())
    return describe(avatar, errors_cm), 201, {"Location": f"/v1/avatars/{avatar.id}"}

