"""The avatar gallery at ``/gallery``: every library avatar, rendered on the
fly, wearing a chosen sample garment in a chosen size (with its fit map if
asked). An operator's overview of the library; shoppers see the widget on
the demo storefront at ``/`` (``api.routes.widget``). Its images are the API's
content-addressed renders (``api.routes.renders``): made by the job runner, never
on the request thread, stored, served with strong ETags.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from api.errors import ProblemError
from api.extensions import garment_store
from api.lookups import content_key, render_params
from api.serving import content_addressed
from avatars.library import library
from tryon.render.views import VIEWS

gallery = Blueprint("gallery", __name__)

MAX_SIDE = 2048
GALLERY_BUDGET_S = 120.0


@gallery.get("/gallery")
def index():
    garments = [g for g in garment_store().list() if g.status == "published"]
    chosen = next((g for g in garments if g.id == request.args.get("garment")), None)
    size = request.args.get("size", "")
    if chosen is not None and size not in chosen.sizes:
        size = chosen.sizes[len(chosen.sizes) // 2]
    return render_template("gallery.html", avatars=list(library().values()), garments=garments,
                           chosen=chosen, size=size, fit_map=request.args.get("fit_map") == "1")


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, str(default))
    # isdecimal and ASCII: isdigit() also takes '²', which int() refuses
    if not (raw.isascii() and raw.isdecimal()) or not 1 <= int(raw) <= MAX_SIDE:
        raise ProblemError(400, "Invalid parameter", f"{name} must be an integer 1-{MAX_SIDE}", name)
    return int(raw)


@gallery.get("/avatars/<avatar_id>/render.png")
def render_avatar(avatar_id: str):
    view = request.args.get("view", "front")
    if view not in VIEWS:
        raise ProblemError(400, "Invalid parameter", f"view must be one of {', '.join(VIEWS)}", "view")
    query = {"avatar": avatar_id, "view": view, "width": _int_arg("width", 256),
             "height": _int_arg("height", 384), "format": "png",
             "fit_map": int(request.args.get("fit_map", "0") == "1"),
             "garment": request.args.get("garment"), "size": request.args.get("size")}
    params = render_params({k: v for k, v in query.items() if v is not None})
    # The same content-addressed renders as /v1/render, made by the job
    # runner; a demo page's <img> cannot poll, so it waits longer.
    response = content_addressed("render", params, content_key(params), budget_s=GALLERY_BUDGET_S)
    if isinstance(response, Response):
        # This URL does not name the content (a new renderer makes new
        # bytes for it): cache for an hour and revalidate with the ETag.
        response.cache_control.immutable = False
        response.cache_control.max_age = 3600
    return response
