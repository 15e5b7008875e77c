"""The avatar gallery: every library avatar, rendered on the fly, wearing a
chosen sample garment in a chosen size (with its fit map if asked).

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
    from garments.store import GarmentStore

    garments = [g for g in GarmentStore().list() if g.status == "published"]
    chosen = next((g for g in garments if g.id == request.args.get("garment")), None)
    size = request.args.get("size", "")
    if chosen is not None and size not in chosen.sizes:
        size = chosen.sizes[len(chosen.sizes) // 2]
    return render_template("gallery.html", avatars=list(library().values()), garments=garments,
                           chosen=chosen, size=size, fit_map=request.args.get("fit_map") == "1")


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SIDE:
        raise ProblemError(400, "Invalid parameter", f"{name} must be an integer 1-{MAX_SIDE}", name)
    return int(raw)


@gallery.get("/avatars/<avatar_id>/render.png")
def render_avatar(avatar_id: str):
    from avatars.library import get_avatar
    from garments.store import GarmentStore
    from tryon.try_on import render_try_on
    from tryon.views import VIEWS

    view = request.args.get("view", "front")
    if view not in VIEWS:
        raise ProblemError(400, "Invalid parameter", f"view must be one of {', '.join(VIEWS)}", "view")
    width, height = _int_arg("width", 256), _int_arg("height", 384)
    garment_id, size = request.args.get("garment"), request.args.get("size")
    fit_map = request.args.get("fit_map", "0") == "1"
    try:
        avatar = get_avatar(avatar_id)
    except KeyError:
        raise ProblemError(404, "Not found", f"no avatar {avatar_id!r}", "avatar") from None
    if garment_id is not None:
        try:
            sizes = GarmentStore().get(garment_id).sizes
        except KeyError:
            raise ProblemError(404, "Not found", f"no garment {garment_id!r}", "garment") from None
        if size not in sizes:
            raise ProblemError(400, "Invalid parameter", f"size must be one of {', '.join(sizes)}", "size")
    key = (avatar_id, view, width, height, garment_id, size, fit_map)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is None:
        image = render_try_on(avatar, garment_id, size, view=view, width=width, height=height,
                              fit_map=fit_map)
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
