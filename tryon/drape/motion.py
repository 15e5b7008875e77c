"""A garment moving with a body through a clip: the drape, then the cloth carried on in time.

The clip starts in the A-pose, where the garment is draped
(``tryon.drape.draping``); from there the cloth is simulated forward on the
moving body (``tryon.cloth.dynamics``). On a turntable the body stands still
and so does the garment: its drape serves every frame. The simulated
frames are kept in the avatar's drape folder by a hash of the drape's
inputs and the clip's poses, so a clip's video in another format or size,
and its animated GLB, simulate it once (as float16 offsets from the drape:
steps of 0.25 mm at most, for offsets under half a metre).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from avatars.avatar import Avatar, avatar_surface, pose_body
from avatars.body_models.registry import get_body_model
from avatars.motion.clip import Clip
from garments.store import GarmentStore
from tryon.cloth.dynamics import simulate_motion
from tryon.core.files import atomic_path, atomic_write
from tryon.drape.cache import drape_cache_dir
from tryon.drape.draping import DRAPE_VERSION, Drape, cached_drape, face_grain, garment_fabric

DYNAMICS_VERSION = "4"  # bump when the cloth dynamics change their results (3: settled until at rest; 4: a floor)


@dataclass(frozen=True)
class MotionDrape:
    """A body and its garment in every frame of a clip.

    body_vertices: (T, V, 3) float32 metres; joints: (T, J, 3) metres.
    garment_frames: (T, N, 3) float32 metres, the garment's render mesh in
    each frame, or None without a garment; drape: the static drape it
    started from (mesh, material, fit), or None. stats: JSON-ready numbers
    (cloth seconds, substeps, seconds settled before the clip, deepest penetration per frame in mm).
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
    body = pose_body(model, avatar, clip.poses)
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
    path = drape_cache_dir(avatar.id) / f"clip-{_clip_key(avatar, garment_id, drape.size, clip, store)}.npz"
    if path.exists():
        with np.load(path) as saved:
            frames = drape.render_positions + saved["offsets"].astype(np.float32)
        stats = json.loads(path.with_suffix(".json").read_text())
        return MotionDrape(clip, vertices, joints, frames, drape, stats)
    garment = store.get(garment_id)
    moved = simulate_motion(drape.positions, drape.faces, drape.mesh.physics_vertices, vertices,
                            model.faces, clip.fps, garment_fabric(garment), face_uvs=face_grain(garment, drape.mesh))
    stats = {"cloth_seconds": round(moved.seconds, 3), "substeps": moved.substeps,
             "pre_roll_s": round(moved.pre_roll_s, 2),
             "penetration_mm": round(float(moved.penetration_m.max()) * 1000, 2),
             "penetration_anywhere_mm": round(float(moved.penetration_anywhere_m.max()) * 1000, 2)}
    frames = moved.frames[:, drape.mesh.render_to_physics]
    atomic_write(path.with_suffix(".json"), json.dumps(stats))
    with atomic_path(path) as partial, open(partial, "wb") as f:
        np.savez(f, offsets=(frames - drape.render_positions).astype(np.float16))  # appears last, whole
    return MotionDrape(clip, vertices, joints, frames, drape, stats)


def _clip_key(avatar: Avatar, garment_id: str, size: str, clip: Clip, store: GarmentStore) -> str:
    """sha256 (40 hex) over the drape's inputs, the clip's poses, travel and rate, and the versions."""
    digest = hashlib.sha256(json.dumps([DRAPE_VERSION, DYNAMICS_VERSION, avatar.shape, *avatar_surface(avatar), avatar.sex,
                                        garment_id, size, store.size_digest(garment_id, size),
                                        clip.fps]).encode())
    digest.update(np.ascontiguousarray(clip.poses.numpy(), dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(clip.translation, dtype=np.float32).tobytes())
    return digest.hexdigest()[:40]
