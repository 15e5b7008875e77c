"""A garment moving with a body through a clip: the drape, then the cloth carried on in time.

The clip starts in the A-pose, where the garment is draped
(``tryon.drape.draping``); from there the cloth is simulated forward on the
moving body (``tryon.cloth.dynamics``). On a turntable the body stands still
and so does the garment: its drape serves every frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avatars.avatar import Avatar, avatar_shape
from avatars.body_models.registry import get_body_model
from avatars.motion.clip import Clip
from garments.store import GarmentStore
from tryon.cloth.dynamics import simulate_motion
from tryon.drape.draping import Drape, cached_drape, garment_fabric


@dataclass(frozen=True)
class MotionDrape:
    """A body and its garment in every frame of a clip.

    body_vertices: (T, V, 3) float32 metres; joints: (T, J, 3) metres.
    garment_frames: (T, N, 3) float32 metres, the garment's render mesh in
    each frame, or None without a garment; drape: the static drape it
    started from (mesh, material, fit), or None. stats: JSON-ready numbers
    (cloth seconds, substeps, deepest penetration per frame in mm).
    """

    clip: Clip
    body_vertices: np.ndarray
    joints: np.ndarray
    garment_frames: np.ndarray | None
    drape: Drape | None
    stats: dict


def drape_motion(avatar: Avatar, garment_id: str | None, size: str | None, clip: Clip, *,
                 store: GarmentStore | None = None) -> MotionDrape:
    """Pose ``avatar`` through ``clip`` and move ``garment_id`` in ``size`` with it (or none)."""
    model = get_body_model(avatar.sex)
    body = model.forward(avatar_shape(avatar), clip.poses)
    shift = np.asarray(clip.translation, dtype=np.float32)[:, None]
    vertices = body.vertices.detach().numpy() + shift
    joints = body.joints.detach().numpy() + shift
    if garment_id is None:
        return MotionDrape(clip, vertices, joints, None, None, {})
    if store is None:
        raise TypeError("a garment is draped from its store: pass store=")
    drape = cached_drape(avatar, garment_id, size, "a-pose", store=store)
    if clip.orbit:  # the body stands still: so does the cloth
        frames = np.repeat(drape.render_positions[None], clip.frame_count, axis=0)
        return MotionDrape(clip, vertices, joints, frames, drape, {"cloth_seconds": 0.0})
    garment = store.get(garment_id)
    moved = simulate_motion(drape.positions, drape.faces, drape.mesh.physics_vertices, vertices,
                            model.faces, clip.fps, garment_fabric(garment))
    stats = {"cloth_seconds": round(moved.seconds, 3), "substeps": moved.substeps,
             "penetration_mm": round(float(moved.penetration_m.max()) * 1000, 2),
             "penetration_anywhere_mm": round(float(moved.penetration_anywhere_m.max()) * 1000, 2)}
    return MotionDrape(clip, vertices, joints, moved.frames[:, drape.mesh.render_to_physics], drape, stats)
