"""Video jobs: a try-on clip by its parameters, content-addressed like a render.

A video is named by ``video_key``: sha256 over its normalised parameters
(avatar and body shape, garment size's file, colorway's look, motion, its
BVH's digest for a studio's motion, length, frame rate, pixel size, format,
view, background, label) and ``VIDEO_VERSION``. The job stores the file and
its poster (the first frame as JPEG, ``poster_key``). A twin's MP4 carries
its C2PA manifest inside; a twin's WebM, which C2PA cannot hold, gets a
sidecar manifest (``tryon.outputs.stored.sidecar_key``), as a GLB does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from avatars.hair.styles import check_hair
from avatars.motion.names import MOTIONS
from garments.sizes import normalize_size
from garments.store import GarmentStore
from tryon.core.errors import Invalid, NotFound
from tryon.core.settings import Settings
from tryon.jobs.queue import report_progress
from tryon.outputs.keys import appearance_part, avatar_appearance, avatar_hair, garment_digests, requested_avatar
from tryon.outputs.stored import sidecar_key, stored_output
from tryon.render.video_params import (
    VIDEO_MEDIA_TYPES,
    check_fps,
    check_seconds,
    check_video_format,
    check_video_size,
)
from tryon.render.views import VIEWS
from tryon.storage.blobs import BlobStore, open_blob_store
from tryon.twins import access
from tryon.twins.credentials import credential_video
from tryon.twins.sidecar import SIDECAR_MEDIA_TYPE, sidecar_manifest

VIDEO = "video"
# Bump whenever a change to motion, cloth dynamics, rendering or encoding changes a video's bytes.
VIDEO_VERSION = "4"  # 2: the face and hair; 3: drapes of DRAPE_VERSION 2; 4: of 3 (a floor)
POSTER_MEDIA_TYPE = "image/jpeg"
MOTION_PREFIX = "bvh-"  # a studio's motion: "bvh-" and the sha256 of its file
MOTION_PATTERN = rf"^({'|'.join(MOTIONS)}|{MOTION_PREFIX}[0-9a-f]{{64}})$"  # what a request may name
# Where the camera stands by default: a walk reads best from the front-left.
DEFAULT_VIEWS = {"walk": "three-quarter", "catwalk": "three-quarter"}
DEFAULTS = {"garment": None, "size": None, "colorway": None, "motion": "turntable", "seconds": 4.0,
            "fps": 24, "width": 512, "height": 768, "format": "mp4", "view": None,
            "background": None, "label": None, "root_motion": False, "hair": None, "hair_colour": None}


def motion_id(data: bytes) -> str:
    """The id of a studio's BVH motion: its content's sha256, prefixed."""
    return MOTION_PREFIX + hashlib.sha256(data).hexdigest()


def normalize_video_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical, JSON-ready form of a video request; Invalid if invalid."""
    if not isinstance(params.get("avatar"), str) or not params["avatar"]:
        raise Invalid("a video needs an avatar id", "avatar")
    p = {"avatar": params["avatar"], **{k: params.get(k, v) for k, v in DEFAULTS.items()}}
    if (p["garment"] is None) != (p["size"] is None):
        raise Invalid("garment and size go together", "size" if p["size"] is None else "garment")
    if p["size"] is not None:
        p["size"] = normalize_size(p["size"])
    motion = p["motion"]
    if not isinstance(motion, str) or not (motion in MOTIONS or _is_motion_id(motion)):
        raise Invalid(f"motion is one of {', '.join(MOTIONS)} or an uploaded motion's id "
                      f"({MOTION_PREFIX}...), not {motion!r}", "motion")
    p["seconds"], p["fps"] = check_seconds(p["seconds"]), check_fps(p["fps"])
    p["width"], p["height"] = check_video_size(p["width"], p["height"])
    p["format"] = check_video_format(p["format"])
    p["view"] = p["view"] or DEFAULT_VIEWS.get(motion, "front")
    if p["view"] not in VIEWS:
        raise Invalid(f"view is one of {', '.join(VIEWS)}", "view")
    p["label"] = None if p["label"] is None else bool(p["label"])
    p["root_motion"] = bool(p["root_motion"]) and _is_motion_id(motion)  # only a BVH travels
    try:
        check_hair(p["hair"], p["hair_colour"])
    except ValueError as error:
        raise Invalid(str(error), "hair") from None
    if p["background"] is not None:
        rgb = list(p["background"])
        if len(rgb) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in rgb):
            raise Invalid(f"background must be three integers 0-255, got {p['background']!r}",
                          "background")
        p["background"] = rgb
    return p


def _is_motion_id(value: str) -> bool:
    digest = value[len(MOTION_PREFIX):]
    return value.startswith(MOTION_PREFIX) and len(digest) == 64 and all(
        c in "0123456789abcdef" for c in digest)


def video_key(params: Mapping[str, Any], store: GarmentStore) -> str:
    """The sha256 (hex) naming the video of ``params`` (normalised or raw).

    Invalid for bad parameters; NotFound for an unknown avatar, garment,
    size or colorway.
    """
    p = normalize_video_params(params)
    avatar = requested_avatar(p)
    size_digest, colorway_digest = garment_digests(p, store)
    payload = {"video": VIDEO_VERSION, "params": p, "avatar_shape": [float(x) for x in avatar.shape],
               "hair": list(avatar_hair(avatar)), **appearance_part(avatar_appearance(avatar)),
               "size_digest": size_digest, "colorway_digest": colorway_digest}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def poster_key(key: str) -> str:
    """The content address of the poster of the video named ``key``."""
    return hashlib.sha256(b"video-poster:" + key.encode()).hexdigest()


def stored_motion(motion: str, blobs: BlobStore, keep_root_motion: bool):
    """The studio motion ``motion`` names, parsed from its stored BVH; NotFound if none is stored."""
    from avatars.motion.retarget import BvhMotion  # scipy, torch: job processes only

    try:
        data = blobs.get(motion[len(MOTION_PREFIX):])
    except NotFound:
        raise NotFound(f"no motion {motion!r}; upload its BVH with POST /v1/motions", "motion") from None
    return BvhMotion.from_bvh(data, keep_root_motion=keep_root_motion)


def clip_motion(motion: str, blobs: BlobStore, keep_root_motion: bool = False):
    """What ``make_clip`` takes for a request's ``motion``: a built-in name as it is,
    an uploaded motion's id as its ``BvhMotion``."""
    return motion if motion in MOTIONS else stored_motion(motion, blobs, keep_root_motion)


def run_video(params: Mapping[str, Any], config: Settings) -> str:
    """Make the video ``params`` describe and its poster; return the video blob's digest."""
    from tryon.render.encoding import encode_image  # pyrender, PyAV, torch: job processes only
    from tryon.render.video import render_video
    from tryon.render.video_encoding import poster_frame

    store = GarmentStore(config.garments_dir)
    blobs = open_blob_store(config)
    p = normalize_video_params(params)
    avatar = requested_avatar(p)
    key = video_key(p, store)
    label = access.is_twin_id(avatar.id) if p["label"] is None else p["label"]
    subject = access.credential_subject(avatar.id)

    def make() -> bytes:
        motion = clip_motion(p["motion"], blobs, p["root_motion"])
        video = render_video(
            avatar, p["garment"], p["size"], motion=motion, seconds=p["seconds"], fps=p["fps"],
            width=p["width"], height=p["height"], fmt=p["format"], view=p["view"],
            colorway=p["colorway"], disclosure=label, store=store, motion_name=p["motion"],
            background=None if p["background"] is None else tuple(p["background"]),
            progress=report_progress)
        if subject is not None and p["format"] == "mp4":
            return credential_video(video.data, subject)  # C2PA inside the MP4
        return video.data

    media_type = VIDEO_MEDIA_TYPES[p["format"]]
    digest = stored_output(key, media_type, make, blobs, avatar.id, VIDEO, p["garment"])

    def poster() -> bytes:
        frame = poster_frame(blobs.get(digest))
        rgba = encode_image(frame_with_alpha(frame), "jpeg")
        return access.credential_render(rgba, "jpeg", avatar.id)

    stored_output(poster_key(key), POSTER_MEDIA_TYPE, poster, blobs, avatar.id, "render", p["garment"])
    if subject is not None and p["format"] == "webm":
        stored_output(sidecar_key(key), SIDECAR_MEDIA_TYPE,
                      lambda: sidecar_manifest(blobs.get(digest), "webm", subject),
                      blobs, avatar.id, "video-c2pa", p["garment"])
    return digest


def frame_with_alpha(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8: an (H, W, 3) frame made opaque, as the image encoder takes it."""
    return np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
