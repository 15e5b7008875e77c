"""The avatar gallery: every library avatar, rendered on the fly.

The first page ``tryon serve`` shows until the storefront widget lands.
Renders run on the process's render thread (never on the request thread)
and are kept in a bounded in-memory cache with strong ETags.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import Blueprint, Response, render_template, request

from api.errors import ProblemError

gallery = Blueprint("gallery", __name__)

MAX_SIDE = 2048
_CACHE_ENTRIES = 256
_cache: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
_cache_lock = threading.Lock()


@gallery.get("/")
def index():
    from avatars.library import library

    return render_template("gallery.html", avatars=list(library().values()))


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SIDE:
        raise ProblemError(400, "Invalid parameter", f"{name} must be an integer 1-{MAX_SIDE}", name)
    return int(raw)


@gallery.get("/avatars/<avatar_id>/render.png")
def render_avatar(avatar_id: str):
    from avatars.avatar import pose_avatar
    from avatars.library import get_avatar
    from tryon.body_render import render_body
    from tryon.views import VIEWS

    view = request.args.get("view", "front")
    if view not in VIEWS:
        raise ProblemError(400, "Invalid parameter", f"view must be one of {', '.join(VIEWS)}", "view")
    width, height = _int_arg("width", 256), _int_arg("height", 384)
    try:
        avatar = get_avatar(avatar_id)
    except KeyError:
        raise ProblemError(404, "Not found", f"no avatar {avatar_id!r}", "avatar") from None
    key = (avatar_id, view, width, height)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is None:
        model, body = pose_avatar(avatar)
        image = render_body(
            body.vertices[0].numpy(), model.faces, body.joints[0].numpy(), model.landmarks,
            model.arm_vertex_mask(), avatar.skin_tone, view=view, width=width, height=height,
        )
        hit = (image, hashlib.sha256(image).hexdigest()[:32])
        with _cache_lock:
            _cache[key] = hit
            while len(_cache) > _CACHE_ENTRIES:
                _cache.popitem(last=False)
    image, etag = hit
    response = Response(image, mimetype="image/png")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response.make_conditional(request)
