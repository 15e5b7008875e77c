"""From a request's parameters to tryon's things: a garment the caller may see,
and the job params and content key of a render.

404 and 422 problems name the parameter at fault. Twins are reached only
through ``api.twin_access.authorize_twin`` (consent), never from here.
"""

from __future__ import annotations

import re

from apiflask.fields import String
from apiflask.validators import OneOf
from flask import g

from api.auth import caller_sees, is_secret_caller, request_origin
from api.errors import ProblemError
from api.extensions import garment_store
from api.twin_access import require_authorized_twin
from avatars.hair.styles import HAIR_COLOURS, HAIRSTYLES, NO_HAIR
from garments.sizes import normalize_size
from tryon.core.errors import NotFound
from tryon.outputs.avatar_lookup import avatar_kind, find_avatar, measured_owners
from tryon.outputs.keys import fit_map_mode, render_key_for

_HEX = re.compile(r"#?([0-9a-fA-F]{6})")


def find_garment(garment_id: str, field: str = "garment_id"):
    """A garment the caller may see; 404 ProblemError otherwise (another tenant's
    garments, and drafts for publishable keys, do not exist to the caller)."""
    try:
        garment = garment_store().get(garment_id)
    except NotFound:
        garment = None
    if garment is None or not caller_sees(garment.tenant) \
            or (garment.status != "published" and not is_secret_caller()):
        raise ProblemError(404, "Not Found", f"no garment {garment_id!r}", field)
    return garment


def require_visible_avatar(avatar_id: str, field: str = "avatar") -> None:
    """404 for a shopper's measured body (``m-`` ids) the caller did not make: a
    publishable key sees the bodies made from its own site, a merchant key those
    of its tenant, an admin all; bodies made before tenants are anyone's."""
    owners = measured_owners(avatar_id) if avatar_kind(avatar_id) == "measured" else None
    if owners is None or owners == ([], []):
        return
    key = g.get("api_key")
    origins, tenants = owners
    if key is None:
        visible = False
    elif key.role == "admin":
        visible = True
    elif key.role == "publishable":
        visible = request_origin() in origins
    else:
        visible = key.tenant_id in tenants
    if not visible:
        raise ProblemError(404, "Not Found", f"no avatar {avatar_id!r}", field)


def parse_background(text: str | None) -> list[int] | None:
    """[r, g, b] 0-255 of RRGGBB, #RRGGBB or R,G,B; None for transparent (or none)."""
    if text is None or text == "transparent":
        return None
    match = _HEX.fullmatch(text)
    if match:
        return [int(match.group(1)[i:i + 2], 16) for i in (0, 2, 4)]
    rgb = [int(c) for c in text.split(",")]
    if not all(0 <= c <= 255 for c in rgb):
        raise ProblemError(422, "Unprocessable Entity", "background values are 0-255", "background")
    return rgb


def hair_field() -> String:
    """The query field that dresses an avatar in another hairstyle than its own (renders, scenes, videos)."""
    return String(validate=OneOf([*HAIRSTYLES, NO_HAIR]), metadata={
        "description": f"a hairstyle instead of the body's own; {NO_HAIR}: without hair"})


def hair_colour_field() -> String:
    """The query field of a hair colour other than the avatar's own."""
    return String(validate=OneOf(list(HAIR_COLOURS)), metadata={
        "description": "a hair colour instead of the body's own"})


def hair_params(query: dict) -> dict:
    """The hair a validated query asks for, only the fields it gives; 422 on a digital
    twin, who is shown as she was captured, not restyled."""
    asked = {k: query[k] for k in ("hair", "hair_colour") if query.get(k) is not None}
    if asked and avatar_kind(query["avatar"]) == "twin":
        raise ProblemError(422, "Unprocessable Entity", "a digital twin is shown as she was captured: "
                           "hair and hair_colour are for library bodies and bodies from measurements",
                           next(iter(asked)))
    return asked


def render_params(query: dict) -> dict:
    """The job params of a validated query; 404/422 problems for unknown things."""
    require_authorized_twin(query["avatar"])  # twins only through authorize_twin (consent)
    require_visible_avatar(query["avatar"])  # a shopper's body only where it was made
    if find_avatar(query["avatar"]) is None:
        raise ProblemError(404, "Not Found", f"no avatar {query['avatar']!r}", "avatar")
    params = {"avatar": query["avatar"], "view": query["view"], "width": query["width"],
              "height": query["height"], "format": query["format"],
              "fit_map": fit_map_mode(query["fit_map"]),
              "background": parse_background(query.get("background")),
              "label": None if query.get("label") is None else bool(query["label"]),
              **hair_params(query)}
    garment_id, size = query.get("garment"), query.get("size")
    if garment_id is None and size is None:
        if query.get("colorway") is not None:
            raise ProblemError(422, "Unprocessable Entity",
                               "a colorway is a garment's: name the garment and size too",
                               "colorway")
        return params
    if garment_id is None or size is None:
        field = "size" if size is None else "garment"
        raise ProblemError(422, "Unprocessable Entity", "garment and size go together", field)
    garment = find_garment(garment_id, "garment")
    size = normalize_size(size)
    if size not in garment.sizes:
        raise ProblemError(422, "Unprocessable Entity",
                           f"size must be one of {', '.join(garment.sizes)}", "size")
    params = {**params, "garment": garment.id, "size": size}
    colorway = query.get("colorway")
    if colorway is not None:
        garment_store().colorway_entry(garment.id, colorway)  # NotFound naming them: 404
        params["colorway"] = colorway
    return params


def content_key(params: dict) -> str:
    """The render key of ``params`` (NotFound: 404, Invalid: 422, via ``api.errors``)."""
    return render_key_for(params, garment_store())
