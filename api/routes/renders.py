"""Renders: ``GET /v1/render``, a try-on image by its parameters.

The URL is content-addressed: the parameters, the avatar's body, the
garment size's file and the renderer version hash to one key
(``tryon.outputs.keys``), which is the strong ETag. A render already made is
answered at once (``Cache-Control: immutable``; ``If-None-Match`` -> 304).
Otherwise a render job is queued, deduplicated on the key so that many
identical requests render once, and the request waits for it up to
``RENDER_BUDGET_S`` seconds (config, else ``$TRYON_RENDER_BUDGET_S``,
else 8): done in time -> 200 with the image, else 202 with
``Location: /v1/jobs/{id}`` and ``Retry-After``. The render itself runs on
the job runner, never on the request thread (DESIGN.md decision 2).
"""

from __future__ import annotations


from apiflask import APIBlueprint, Schema
from apiflask.fields import Float, Integer, String
from apiflask.validators import Length, OneOf, Range, Regexp

from api.auth import READ_ROLES, SECURITY, require_key
from api.errors import ProblemError
from api.extensions import blob_store, garment_store
from api.lookups import content_key, hair_colour_field, hair_field, hair_params, render_params
from api.serving import content_addressed, link_credentials
from api.twin_access import (
    authorize_twin,
    finish_twin_response,
)
from tryon.fit.strain import FIT_MAPS
from avatars.motion.names import GAIT_MOTIONS
from tryon.outputs.tasks import scene_key
from tryon.outputs.video import MOTION_PATTERN, MOTION_PREFIX
from tryon.render.video_params import MAX_SECONDS, MIN_SECONDS
from tryon.render.params import MAX_SIZE, MEDIA_TYPES
from tryon.render.views import VIEWS
from tryon.storage.models import CHANNELS

renders = APIBlueprint("renders", __name__, url_prefix="/v1", tag="Renders")

_BACKGROUND = r"^(#?[0-9a-fA-F]{6}|\d{1,3},\d{1,3},\d{1,3}|transparent)$"


class RenderQuery(Schema):
    avatar = String(required=True, validate=Length(1, 100))
    garment = String(validate=Length(1, 100))
    size = String(validate=Length(1, 10))
    colorway = String(validate=Length(1, 80), metadata={
        "description": "a colorway's id (see the garment's colorways); default: as uploaded"})
    view = String(load_default="front", validate=OneOf(list(VIEWS)))
    width = Integer(load_default=512, validate=Range(1, MAX_SIZE))
    height = Integer(load_default=768, validate=Range(1, MAX_SIZE))
    format = String(load_default="png", validate=OneOf(list(MEDIA_TYPES)))
    fit_map = String(load_default="0", validate=OneOf(["0", "1", *FIT_MAPS]), metadata={
        "description": "colour the garment by fit, with a legend: stretch (or 1: loose, fits, "
                       "tight) or ease (cm of room between body and cloth); 0: not"})
    background = String(validate=Regexp(_BACKGROUND, error="a background is RRGGBB, #RRGGBB, "
                                                           "R,G,B (0-255) or transparent"),
                        metadata={"description": "RRGGBB, R,G,B or transparent (default; "
                                                 "PNG/WebP keep alpha)"})
    label = Integer(validate=OneOf([0, 1]), metadata={
        "description": "1: draw the visible label 'Digital replica of a real person · made with "
                       "consent' across the image's bottom; 0: not (a page that shows its own, "
                       "as the widget does). Default: on for digital twins, off otherwise"})
    key = String(metadata={"description": "a publishable key, for plain <img> URLs"})
    channel = String(validate=OneOf(list(CHANNELS)), metadata={
        "description": "digital twins: the channel of this use (default e-commerce)"})
    hair = hair_field()
    hair_colour = hair_colour_field()


@renders.get("/render")
@require_key(*READ_ROLES)
@renders.input(RenderQuery, location="query")
@renders.doc(security=SECURITY, responses={
    200: {"description": "the image", "content": {t: {} for t in MEDIA_TYPES.values()}},
    202: "queued: poll the job at Location", 304: "not modified",
    404: "unknown avatar or garment", 422: "invalid parameters"})
def render(query_data):
    """A try-on image; 202 with the job's URL if it takes longer than the request's budget."""
    use = authorize_twin(query_data["avatar"], query_data.get("channel"))  # twins: 403/410
    params = render_params(query_data)
    key = content_key(params)
    return finish_twin_response(content_addressed("render", params, key), use, "render", key)


class SceneQuery(Schema):
    avatar = String(required=True, validate=Length(1, 100))
    garment = String(validate=Length(1, 100))
    size = String(validate=Length(1, 10))
    motion = String(validate=Regexp(MOTION_PATTERN, error=(
        f"motion is one of {', '.join(GAIT_MOTIONS)} or an uploaded motion's id ({MOTION_PREFIX}...)")),
        metadata={"description": "an animated GLB of the body moving in the garment: walk, catwalk, "
                                 "sway, turn or an uploaded motion (the cloth simulated; about 15 s)"})
    seconds = Float(load_default=4.0, validate=Range(MIN_SECONDS, MAX_SECONDS),
                    metadata={"description": "the animation's length, with motion"})
    key = String(metadata={"description": "a publishable key, for plain URLs"})
    channel = String(validate=OneOf(list(CHANNELS)), metadata={
        "description": "digital twins: the channel of this use (default e-commerce)"})
    hair = hair_field()
    hair_colour = hair_colour_field()


def _scene_params(query_data: dict, **extra) -> dict:
    params = render_params({**query_data, "view": "front", "width": 1, "height": 1,
                            "format": "png", "fit_map": 0})
    params = {**{k: params.get(k) for k in ("avatar", "garment", "size")}, **hair_params(query_data)}
    return {**params, **{k: v for k, v in extra.items() if v is not None}}


@renders.get("/scene.glb")
@require_key(*READ_ROLES)
@renders.input(SceneQuery, location="query")
@renders.doc(security=SECURITY, responses={
    200: {"description": "the draped body and garment as one GLB; with motion, animated",
          "content": {"model/gltf-binary": {}}},
    202: "queued: poll the job at Location", 304: "not modified",
    404: "unknown avatar, garment or motion", 422: "invalid parameters"})
def scene(query_data):
    """The draped body and garment as one GLB (live 3D), or with ``motion`` an animated
    GLB of them moving; 202 with the job's URL if it takes longer."""
    use = authorize_twin(query_data["avatar"], query_data.get("channel"))  # twins: 403/410
    motion = query_data.get("motion")
    if motion is not None and motion.startswith(MOTION_PREFIX) and not blob_store().exists(
            motion[len(MOTION_PREFIX):]):
        raise ProblemError(404, "Not Found", f"no motion {motion!r}; upload its BVH with "
                           "POST /v1/motions", "motion")
    params = _scene_params(query_data, motion=motion,
                           seconds=query_data["seconds"] if motion is not None else None)
    key = scene_key(params, garment_store())
    answer = link_credentials(content_addressed("scene", params, key), key)
    return finish_twin_response(answer, use, "glb", key)


class UsdzQuery(Schema):
    avatar = String(required=True, validate=Length(1, 100))
    garment = String(validate=Length(1, 100))
    size = String(validate=Length(1, 10))
    colorway = String(validate=Length(1, 80), metadata={
        "description": "a colorway's id (AR Quick Look cannot switch colours); default: as uploaded"})
    key = String(metadata={"description": "a publishable key, for plain URLs"})
    channel = String(validate=OneOf(list(CHANNELS)))
    hair = hair_field()
    hair_colour = hair_colour_field()


@renders.get("/scene.usdz")
@require_key(*READ_ROLES)
@renders.input(UsdzQuery, location="query")
@renders.doc(security=SECURITY, responses={
    200: {"description": "the draped body and garment as USDZ, for AR Quick Look",
          "content": {"model/vnd.usdz+zip": {}}},
    202: "queued: poll the job at Location", 304: "not modified",
    404: "unknown avatar, garment or colorway", 422: "invalid parameters"})
def scene_usdz(query_data):
    """The draped body and garment as USDZ (iOS AR Quick Look); 202 with the job's URL if
    it takes longer."""
    use = authorize_twin(query_data["avatar"], query_data.get("channel"))
    params = _scene_params(query_data, format="usdz")
    if query_data.get("colorway") is not None:
        if params["garment"] is None:
            raise ProblemError(422, "Unprocessable Entity", "a colorway is a garment's: name the "
                               "garment and size too", "colorway")
        params["colorway"] = query_data["colorway"]
        garment_store().colorway_entry(params["garment"], params["colorway"])  # 404 names them
    key = scene_key(params, garment_store())
    answer = link_credentials(content_addressed("scene", params, key), key)
    return finish_twin_response(answer, use, "usdz", key)
