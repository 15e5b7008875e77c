"""Renders: ``GET /v1/render``, a try-on image by its parameters.

The URL is content-addressed: the parameters, the avatar's body, the
garment size's file and the renderer version hash to one key
(``tryon.render_key``), which is the strong ETag. A render already made is
answered at once (``Cache-Control: immutable``; ``If-None-Match`` -> 304).
Otherwise a render job is queued, deduplicated on the key so that many
identical requests render once, and the request waits for it up to
``RENDER_BUDGET_S`` seconds (config, else ``$TRYON_RENDER_BUDGET_S``,
else 8): done in time -> 200 with the image, else 202 with
``Location: /v1/jobs/{id}`` and ``Retry-After``. The render itself runs on
the job runner, never on the request thread (DESIGN.md decision 2).
"""

from __future__ import annotations

import os
import re

from apiflask import APIBlueprint, Schema
from apiflask.fields import Integer, String
from apiflask.validators import Length, OneOf, Range, Regexp
from flask import current_app, g, request

from api.auth import READ_ROLES, SECURITY, require_key
from api.errors import ProblemError
from api.garments import find_garment, store
from api.jobs import POLL_AFTER_S, job_queue, send_blob
from tryon.image_encoding import MEDIA_TYPES
from tryon.db_models import CHANNELS
from tryon.renderer import MAX_SIZE
from tryon.views import VIEWS

renders = APIBlueprint("renders", __name__, url_prefix="/v1", tag="Renders")

DEFAULT_BUDGET_S = 8.0
_HEX = re.compile(r"#?([0-9a-fA-F]{6})")
_BACKGROUND = r"^(#?[0-9a-fA-F]{6}|\d{1,3},\d{1,3},\d{1,3}|transparent)$"


class RenderQuery(Schema):
    avatar = String(required=True, validate=Length(1, 100))
    garment = String(validate=Length(1, 100))
    size = String(validate=Length(1, 10))
    view = String(load_default="front", validate=OneOf(list(VIEWS)))
    width = Integer(load_default=512, validate=Range(1, MAX_SIZE))
    height = Integer(load_default=768, validate=Range(1, MAX_SIZE))
    format = String(load_default="png", validate=OneOf(list(MEDIA_TYPES)))
    fit_map = Integer(load_default=0, validate=OneOf([0, 1]))
    background = String(validate=Regexp(_BACKGROUND, error="a background is RRGGBB, #RRGGBB, "
                                                           "R,G,B (0-255) or transparent"),
                        metadata={"description": "RRGGBB, R,G,B or transparent (default; "
                                                 "PNG/WebP keep alpha)"})
    key = String(metadata={"description": "a publishable key, for plain <img> URLs"})
    channel = String(validate=OneOf(list(CHANNELS)), metadata={
        "description": "digital twins: the channel of this use (default e-commerce)"})


def render_budget_s() -> float:
    value = current_app.config.get("RENDER_BUDGET_S", os.environ.get("TRYON_RENDER_BUDGET_S"))
    return DEFAULT_BUDGET_S if value is None else max(0.0, float(value))


def parse_background(text: str | None) -> list[int] | None:
    if text is None or text == "transparent":
        return None
    match = _HEX.fullmatch(text)
    if match:
        return [int(match.group(1)[i:i + 2], 16) for i in (0, 2, 4)]
    rgb = [int(c) for c in text.split(",")]
    if not all(0 <= c <= 255 for c in rgb):
        raise ProblemError(422, "Unprocessable Entity", "background values are 0-255", "background")
    return rgb


def render_params(query: dict) -> dict:
    """The job params of a validated query; 404/422 problems for unknown things."""
    from api.twins import require_authorized_twin
    from tryon.avatar_lookup import find_avatar

    require_authorized_twin(query["avatar"])  # twins only through authorize_twin (consent)
    if find_avatar(query["avatar"]) is None:
        raise ProblemError(404, "Not Found", f"no avatar {query['avatar']!r}", "avatar")
    params = {"avatar": query["avatar"], "view": query["view"], "width": query["width"],
              "height": query["height"], "format": query["format"],
              "fit_map": bool(query["fit_map"]), "background": parse_background(query.get("background"))}
    garment_id, size = query.get("garment"), query.get("size")
    if garment_id is None and size is None:
        return params
    if garment_id is None or size is None:
        field = "size" if size is None else "garment"
        raise ProblemError(422, "Unprocessable Entity", "garment and size go together", field)
    garment = find_garment(garment_id, "garment")
    size = size.strip().upper()
    if size not in garment.sizes:
        raise ProblemError(422, "Unprocessable Entity",
                           f"size must be one of {', '.join(garment.sizes)}", "size")
    return {**params, "garment": garment.id, "size": size}


def content_key(params: dict) -> str:
    from tryon.render_key import render_key_for

    try:
        return render_key_for(params, garments=store())
    except KeyError as e:
        raise ProblemError(404, "Not Found", str(e.args[0] if e.args else e), "garment") from None
    except ValueError as e:
        raise ProblemError(422, "Unprocessable Entity", str(e)) from None


def cached(key: str) -> tuple[str, str] | None:
    """(digest, media type) of the render named ``key`` if it is stored whole."""
    from tryon.blob_store import blob_store_from_env
    from tryon.database import session_scope
    from tryon.db_models import RenderRecord

    with session_scope() as session:
        record = session.get(RenderRecord, key)
        found = (record.digest, record.media_type) if record is not None else None
    return found if found is not None and blob_store_from_env().exists(found[0]) else None


@renders.get("/render")
@require_key(*READ_ROLES)
@renders.input(RenderQuery, location="query")
@renders.doc(security=SECURITY, responses={
    200: {"description": "the image", "content": {t: {} for t in MEDIA_TYPES.values()}},
    202: "queued: poll the job at Location", 304: "not modified",
    404: "unknown avatar or garment", 422: "invalid parameters"})
def render(query_data):
    """A try-on image; 202 with the job's URL if it takes longer than the request's budget."""
    from api.twins import authorize_twin, finish_twin_response

    use = authorize_twin(query_data["avatar"], query_data.get("channel"))  # twins: 403/410
    params = render_params(query_data)
    key = content_key(params)
    return finish_twin_response(content_addressed("render", params, key), use, "render", key)


class SceneQuery(Schema):
    avatar = String(required=True, validate=Length(1, 100))
    garment = String(validate=Length(1, 100))
    size = String(validate=Length(1, 10))
    key = String(metadata={"description": "a publishable key, for plain URLs"})
    channel = String(validate=OneOf(list(CHANNELS)), metadata={
        "description": "digital twins: the channel of this use (default e-commerce)"})


@renders.get("/scene.glb")
@require_key(*READ_ROLES)
@renders.input(SceneQuery, location="query")
@renders.doc(security=SECURITY, responses={
    200: {"description": "the draped body and garment as one GLB",
          "content": {"model/gltf-binary": {}}},
    202: "queued: poll the job at Location", 304: "not modified",
    404: "unknown avatar or garment", 422: "invalid parameters"})
def scene(query_data):
    """The draped body and garment as one GLB (live 3D); 202 with the job's URL if it takes longer."""
    from api.twins import authorize_twin, finish_twin_response
    from tryon.tasks import scene_key

    use = authorize_twin(query_data["avatar"], query_data.get("channel"))  # twins: 403/410
    params = render_params({**query_data, "view": "front", "width": 1, "height": 1,
                            "format": "png", "fit_map": 0})
    params = {k: params.get(k) for k in ("avatar", "garment", "size")}
    try:
        key = scene_key(params)
    except KeyError as e:
        raise ProblemError(404, "Not Found", str(e.args[0] if e.args else e), "garment") from None
    return finish_twin_response(content_addressed("scene", params, key), use, "glb", key)


def content_addressed(kind: str, params: dict, key: str, budget_s: float | None = None):
    """The stored output named ``key``, else a ``kind`` job for it (deduplicated on
    the key), waited for up to ``budget_s`` (default: the request budget); 202
    with its URL if not done."""
    if request.if_none_match.contains(key):  # equal keys, equal bytes: the client has them
        return send_blob("", "", etag=key)
    hit = cached(key)
    if hit is None:
        queue = job_queue()
        job_id = queue.submit(kind, params, dedupe_key=key)
        budget = render_budget_s() if budget_s is None else budget_s
        job = queue.wait(job_id, budget) if budget > 0 else queue.get(job_id)
        if job is not None and job.status == "failed":
            # a twin's consent ended (410) or never covered this use (403) as its job ran
            if (job.error or "").startswith("ConsentEnded"):
                raise ProblemError(410, "Gone", job.error.split(": ", 1)[-1], "avatar")
            if (job.error or "").startswith("ConsentRequired"):
                raise ProblemError(403, "Forbidden", job.error.split(": ", 1)[-1], "avatar")
            raise ProblemError(503, "Render failed", f"the {kind} job failed: {job.error}")
        if job is not None and job.status == "done":
            hit = cached(key)
        if hit is None:
            g.retry_after = POLL_AFTER_S
            return {"job": job_id, "status": job.status if job else "queued",
                    "location": f"/v1/jobs/{job_id}"}, 202, {
                "Location": f"/v1/jobs/{job_id}", "Retry-After": str(POLL_AFTER_S),
                "Cache-Control": "no-store"}
    return send_blob(hit[0], hit[1], etag=key)
