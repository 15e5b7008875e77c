"""Videos: ``GET /v1/video`` (a try-on clip), its poster, and studios' BVH motions.

A video is content-addressed like a render (``tryon.outputs.video``): its
key is the strong ETag; one made already is answered at once, otherwise a
video job is queued (deduplicated on the key) and waited for up to the
request's budget, then 202 with ``Location: /v1/jobs/{id}``, whose
``progress`` counts the clip's frames. Videos answer Range requests (206,
``Accept-Ranges: bytes``) so that browsers can seek. A twin's video is
served ``private, no-cache`` under its consent, and one view is one ledger
entry: the answer that starts at byte 0 is counted, the Range requests of a
player seeking are not.

``POST /v1/motions`` takes a studio's BVH file (``avatars.motion.bvh``), checks
that it can drive our bodies, and stores it by content: its id
(``bvh-`` and the file's sha256) is the ``motion`` of a video.
"""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, File, Float, Integer, String
from apiflask.validators import Length, OneOf, Range, Regexp

from api.auth import READ_ROLES, SECURITY, require_key
from api.errors import ProblemError
from api.extensions import blob_store, garment_store
from api.lookups import hair_colour_field, hair_field, hair_params, parse_background, render_params
from api.serving import content_addressed, link_credentials
from api.twin_access import authorize_twin, finish_twin_response
from avatars.motion.names import MOTIONS
from tryon.outputs.video import MOTION_PATTERN, MOTION_PREFIX, VIDEO, motion_id, poster_key, video_key
from tryon.render.video_params import (
    FPS_RANGE,
    MAX_HEIGHT,
    MAX_SECONDS,
    MAX_WIDTH,
    MIN_SECONDS,
    MIN_SIDE,
    VIDEO_MEDIA_TYPES,
)
from tryon.render.views import VIEWS
from tryon.storage.models import CHANNELS

videos = APIBlueprint("videos", __name__, url_prefix="/v1", tag="Videos")

_BACKGROUND = r"^(#?[0-9a-fA-F]{6}|\d{1,3},\d{1,3},\d{1,3})$"
MAX_MOTION_BYTES = 20 * 1024 * 1024  # avatars.motion.bvh.MAX_BYTES, said where the request is read


class VideoQuery(Schema):
    avatar = String(required=True, validate=Length(1, 100))
    garment = String(validate=Length(1, 100))
    size = String(validate=Length(1, 10))
    colorway = String(validate=Length(1, 80))
    motion = String(load_default="turntable", validate=Regexp(MOTION_PATTERN, error=(
        f"motion is one of {', '.join(MOTIONS)} or an uploaded motion's id ({MOTION_PREFIX}...)")),
        metadata={"description": "turntable (the camera goes round), walk, catwalk, sway, turn, "
                                 "or a motion uploaded with POST /v1/motions"})
    seconds = Float(load_default=4.0, validate=Range(MIN_SECONDS, MAX_SECONDS))
    fps = Integer(load_default=24, validate=Range(*FPS_RANGE))
    width = Integer(load_default=512, validate=Range(MIN_SIDE, MAX_WIDTH),
                    metadata={"description": "even"})
    height = Integer(load_default=768, validate=Range(MIN_SIDE, MAX_HEIGHT),
                     metadata={"description": "even"})
    format = String(load_default="mp4", validate=OneOf(list(VIDEO_MEDIA_TYPES)))
    view = String(validate=OneOf(list(VIEWS)), metadata={
        "description": "where the camera stands (a turntable starts there); default: "
                       "three-quarter for walks, front otherwise"})
    background = String(validate=Regexp(_BACKGROUND, error="a background is RRGGBB, #RRGGBB or "
                                                           "R,G,B (0-255)"),
                        metadata={"description": "default white; video has no transparency"})
    label = Integer(validate=OneOf([0, 1]), metadata={
        "description": "the visible digital-replica label on every frame; default: on for twins"})
    root_motion = Boolean(load_default=False, metadata={
        "description": "an uploaded motion: keep its travel across the floor (default: in place)"})
    key = String(metadata={"description": "a publishable key, for plain <video> URLs"})
    channel = String(validate=OneOf(list(CHANNELS)))
    hair = hair_field()
    hair_colour = hair_colour_field()


def _video_request(query: dict) -> tuple[dict, str]:
    """(job params, video key) of a validated query; 404/422 problems."""
    params = render_params({**query, "view": "front", "width": 1, "height": 1, "format": "png",
                            "fit_map": "0", "background": None})
    params = {**{k: params.get(k) for k in ("avatar", "garment", "size", "colorway")}, **hair_params(query)}
    params.update({k: query.get(k) for k in ("motion", "seconds", "fps", "width", "height", "format",
                                             "view", "root_motion")})
    params["background"] = parse_background(query.get("background"))
    params["label"] = None if query.get("label") is None else bool(query["label"])
    motion = params["motion"]
    if motion.startswith(MOTION_PREFIX) and not blob_store().exists(motion[len(MOTION_PREFIX):]):
        raise ProblemError(404, "Not Found", f"no motion {motion!r}; upload its BVH with "
                           "POST /v1/motions", "motion")
    return params, video_key(params, garment_store())


_ANSWERS = {
    202: "queued: poll the job at Location (its progress counts frames)", 206: "part of the video",
    304: "not modified", 404: "unknown avatar, garment or motion", 416: "range not satisfiable",
    422: "invalid parameters"}


@videos.get("/video")
@require_key(*READ_ROLES)
@videos.input(VideoQuery, location="query")
@videos.doc(security=SECURITY, responses={
    200: {"description": "the video", "content": {t: {} for t in VIDEO_MEDIA_TYPES.values()}},
    **_ANSWERS})
def video(query_data):
    """A try-on video (MP4 or WebM); 202 with the job's URL while it is made."""
    use = authorize_twin(query_data["avatar"], query_data.get("channel"))  # twins: 403/410
    params, key = _video_request(query_data)
    answer = link_credentials(content_addressed(VIDEO, params, key), key)  # a twin's WebM: sidecar
    return finish_twin_response(answer, use, "video", key)


@videos.get("/video/poster")
@require_key(*READ_ROLES)
@videos.input(VideoQuery, location="query")
@videos.doc(security=SECURITY, responses={
    200: {"description": "the video's first frame", "content": {"image/jpeg": {}}}, **_ANSWERS})
def poster(query_data):
    """The poster of a video (its first frame, JPEG): the same query as ``GET /v1/video``."""
    use = authorize_twin(query_data["avatar"], query_data.get("channel"))
    params, key = _video_request(query_data)
    answer = content_addressed(VIDEO, params, poster_key(key), job_key=key)
    return finish_twin_response(answer, use, None)  # the video's view is the use, not its poster


MotionUpload = Schema.from_dict({
    "file": File(required=True, metadata={"description": "a BVH file (up to 20 MB, 3600 frames)"}),
}, name="MotionUpload")


@videos.post("/motions")
@require_key("merchant", "studio")
@videos.input(MotionUpload, location="files")
@videos.doc(security=SECURITY, responses={201: "stored (200: stored before)",
                                          413: "over 20 MB", 422: "not a BVH our bodies can follow"})
def upload_motion(files_data):
    """Store a studio's BVH motion; its ``id`` is a video's ``motion``."""
    from avatars.motion.retarget import BvhMotion  # scipy, torch: parsed where it is uploaded

    data = files_data["file"].read(MAX_MOTION_BYTES + 1)
    if len(data) > MAX_MOTION_BYTES:
        raise ProblemError(413, "Content Too Large", "a BVH file is 20 MB at most", "file")
    motion = BvhMotion.from_bvh(data)  # Invalid (422) says what is wrong, and on which line
    identity = motion_id(data)
    existed = blob_store().exists(identity[len(MOTION_PREFIX):])
    blob_store().put(data)
    return describe_motion(identity, motion), 200 if existed else 201


@videos.get("/motions/<motion>")
@require_key(*READ_ROLES)
@videos.doc(security=SECURITY, responses=[404])
def get_motion(motion: str):
    """An uploaded motion: its length, frame rate and skeleton."""
    from avatars.motion.retarget import BvhMotion

    digest = motion[len(MOTION_PREFIX):] if motion.startswith(MOTION_PREFIX) else ""
    if len(digest) != 64 or not blob_store().exists(digest):
        raise ProblemError(404, "Not Found", f"no motion {motion!r}", "motion")
    return describe_motion(motion, BvhMotion.from_bvh(blob_store().get(digest)))


def describe_motion(identity: str, motion) -> dict:
    clip = motion.clip
    return {"id": identity, "frames": clip.frame_count, "seconds": round(motion.duration, 3),
            "fps": round(1.0 / clip.frame_time, 3), "joints": len(clip.skeleton.names),
            "unit": clip.unit, "loops": motion.period is not None}
