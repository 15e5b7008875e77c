"""Try-on videos: a body moving in a garment, or turning on a turntable, as MP4 or WebM.

Composes the pipeline: the clip's poses (``avatars.motion``), the garment
moving with the body (``tryon.drape.motion``), one render per frame through
the process's render thread, and the encoder (``tryon.render.video_encoding``).
The whole clip keeps one framing (``tryon.render.views.clip_framing``): the
camera neither zooms nor bobs. A turntable renders one scene from every
side; a motion builds each frame's scene.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from avatars.avatar import Avatar, avatar_skin
from avatars.body_models.registry import get_body_model
from avatars.motion.clip import Clip, Motion, make_clip
from garments.store import GarmentStore
from tryon.drape.motion import MotionDrape, drape_motion
from tryon.render.body import check_background
from tryon.render.disclosure import draw_disclosure
from tryon.render.hair import hair_layer
from tryon.render.renderer import get_renderer
from tryon.render.scene import aim, body_scene, contact_shadow
from tryon.render.try_on import garment_layer
from tryon.render.video_encoding import encode_video
from tryon.render.video_params import check_fps, check_seconds, check_video_format, check_video_size
from tryon.render.views import clip_framing, resolve_view

DEFAULT_BACKGROUND = (255, 255, 255)  # video has no alpha: a white studio
FRAMING_SAMPLE = 4  # every 4th vertex of every frame bounds the framing: plenty on a dense body


@dataclass(frozen=True)
class Video:
    """data: the encoded file; stats: JSON-ready timings (seconds of cloth,
    rendering, encoding) and the drape's numbers."""

    data: bytes
    stats: dict


def _azimuths(clip: Clip, view) -> np.ndarray:
    start = resolve_view(view)
    if clip.orbit:  # once round, from the view asked for
        return start + np.arange(clip.frame_count) * (2 * np.pi / clip.frame_count)
    return np.full(clip.frame_count, start)


def clip_frames(avatar: Avatar, moving: MotionDrape, width: int, height: int, view="front",
                background=DEFAULT_BACKGROUND, colorway_material=None,
                disclosure: bool = False) -> Iterator[np.ndarray]:
    """(H, W, 3) uint8 frames of a ``MotionDrape``, one per clip frame, in one framing."""
    model = get_body_model(avatar.sex)
    arm_mask = model.arm_vertex_mask()
    clip = moving.clip
    azimuths = _azimuths(clip, view)
    layer = None if moving.drape is None else garment_layer(moving.drape, None, colorway_material)
    points = [moving.body_vertices[:, ::FRAMING_SAMPLE].reshape(-1, 3)]
    if moving.garment_frames is not None:
        points.append(moving.garment_frames[:, ::FRAMING_SAMPLE].reshape(-1, 3))
    first_hair = hair_layer(model, moving.body_vertices[0], avatar)
    if first_hair is not None:  # an afro stands above the head
        points.append(first_hair.vertices)
    # the floor shadow reaches past the feet: keep its corners in view too
    points += [contact_shadow(frame, True)[1] for frame in moving.body_vertices[:: max(1, clip.fps // 4)]]
    poses, znear, zfar = clip_framing(np.concatenate(points), azimuths, width / height)
    renderer = get_renderer()
    skin = avatar_skin(model, avatar)
    scene = None
    for k in range(clip.frame_count):
        if scene is None or not clip.orbit:
            garments = () if layer is None else (replace(layer, vertices=moving.garment_frames[k]),)
            hair = hair_layer(model, moving.body_vertices[k], avatar, garments)
            garments += (hair,) if hair else ()
            scene = body_scene(moving.body_vertices[k], model.faces, moving.joints[k], model.landmarks,
                               arm_mask, avatar.skin_tone, float(azimuths[k]), width / height,
                               background, garments, camera=(poses[k], znear, zfar), skin=skin)
        else:
            aim(scene, float(azimuths[k]), poses[k])
        rgba = renderer.render(scene, width, height)
        yield (draw_disclosure(rgba) if disclosure else rgba)[..., :3]


def render_video(avatar: Avatar, garment_id: str | None = None, size: str | None = None, *,
                 motion: str | Motion = "turntable", seconds: float = 4.0, fps: int = 24,
                 width: int = 512, height: int = 768, fmt: str = "mp4", view="front",
                 colorway: str | None = None, background=DEFAULT_BACKGROUND,
                 disclosure: bool = False, store: GarmentStore | None = None,
                 motion_name: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Video:
    """A clip of ``avatar`` wearing ``garment_id`` in ``size`` (or the base outfit alone).

    motion: a name from ``avatars.motion.names.MOTIONS`` or a ``Motion`` (a
    studio's BVH); seconds 1-10; fps 12-30; width, height: even pixels
    (``tryon.render.video_params``); fmt: mp4 or webm; view: where the
    camera stands (a turntable starts there); disclosure: the visible
    digital-replica label on every frame; progress: called with (parts
    done, parts in all) as the clip is made (the cloth counts for half the
    frames, each rendered frame for one). Raises Invalid for values out of range.
    """
    fmt = check_video_format(fmt)
    width, height = check_video_size(width, height)
    fps, seconds = check_fps(fps), check_seconds(seconds)
    background = check_background(background) or DEFAULT_BACKGROUND
    start = time.perf_counter()
    clip = make_clip(get_body_model(avatar.sex), motion, seconds, fps, motion_name)
    moving = drape_motion(avatar, garment_id, size, clip, store=store)
    material = None
    if colorway is not None:
        material = store.colorway(garment_id, colorway).material(moving.drape.mesh.material)
    simulated = time.perf_counter()
    total = clip.frame_count + clip.frame_count // 2
    rendering = [0.0]  # seconds spent making frames, as the encoder pulls them

    def frames() -> Iterator[np.ndarray]:
        # one frame at a time into the encoder: 300 frames of 1080x1920 would hold 1.9 GB
        made = clip_frames(avatar, moving, width, height, view, background, material, disclosure)
        for count in range(1, clip.frame_count + 1):
            started = time.perf_counter()
            frame = next(made)
            rendering[0] += time.perf_counter() - started
            yield frame
            if progress is not None and count % fps == 0:  # about once a second of clip
                progress(clip.frame_count // 2 + count, total)

    data = encode_video(frames(), fps, fmt, {"comment": "Computer-generated try-on video (tryon)"})
    encoded = time.perf_counter()
    stats = {**moving.stats, "frames": clip.frame_count, "motion": clip.motion,
             "simulate_seconds": round(simulated - start, 3), "render_seconds": round(rendering[0], 3),
             "encode_seconds": round(encoded - simulated - rendering[0], 3)}
    return Video(data, stats)
