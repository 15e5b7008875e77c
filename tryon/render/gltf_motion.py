"""A clip as an animated GLB: the body, base outfit and garment moving, for live 3D.

Each mesh carries its shape at every key as a morph target (positions only,
the change from the first key), and one animation drives the ``weights`` of
every node: at key k only target k weighs 1, and linear interpolation
between keys blends two neighbouring targets, so no more than two weights
are non-zero at a time (viewers that cap active targets still play it).
Keys are the clip's frames resampled to ``sample_fps``; the last key, at the
clip's length, holds its last frame, as a video shows it for one frame.

Targets are ``KHR_mesh_quantization`` int16, normalised: one step is
1/32767 of the mesh's scale (1 m unless a delta is longer), 0.03 mm. glTF
aligns every vertex attribute to 4 bytes, so a delta takes 8 bytes (6 and
2 of padding; float32 would take 12): a 4 s walk in the midi dress, 25.4k
vertices in all, is 10.8 MB at 12 keys a second, 20.4 MB at 24. No normals
are written, as in ``scene_glb``: viewers then shade the moved triangles
with their own flat normals, right in every frame, where stored normals
would stay those of the first (normal targets would double the size).

The base outfit is cut from the body anew in every render, and its cut
(so its vertex count) changes from frame to frame. Here it is cut once,
from the first frame, and each of its vertices rides on the skin point it
was cut at (``closest_on_surface``), lifted along the skin's normal there
as ``base_outfit`` lifts it. glTF's frame is ``gltf_frame``'s (Y up,
metres, facing +Z). The GLB is trimesh's export with the targets and the
animation added by pygltflib, as ``tryon.render.gltf_looks`` adds looks.
"""

from __future__ import annotations

import io

import numpy as np
import pygltflib
import trimesh
from PIL import Image

from avatars.avatar import Avatar
from avatars.body_models.registry import get_body_model
from avatars.skin_tones import skin_rgb
from garments.base_outfit import (BASE_ROUGHNESS, LEGGINGS_OFFSET_M, TANK_OFFSET_M,
                                  base_outfit)
from garments.ingest.textures import limit_pillow
from garments.store import GarmentStore
from tryon.core.errors import Invalid
from tryon.core.geometry import closest_on_surface
from tryon.drape.motion import MotionDrape
from tryon.render.gltf import gltf_frame
from tryon.render.gltf_looks import add_garment_looks
from tryon.render.scene import SKIN_ROUGHNESS, srgb_to_linear, vertex_normals

QUANTIZATION = "KHR_mesh_quantization"
STEPS = 32767  # int16 normalised: a stored value q means q / 32767 of the mesh's scale
_SHORT, _FLOAT = 5122, 5126
_ARRAY_BUFFER = 34962


def motion_glb(avatar: Avatar, moving: MotionDrape, store: GarmentStore | None = None,
               sample_fps: int = 12) -> bytes:
    """``moving`` (the body, base outfit and garment through a clip) as an animated GLB.

    sample_fps: keys per second of the animation, from 1 to the clip's
    frame rate (more would only repeat what linear interpolation between
    frames gives, so it is capped there); frames between keys are
    interpolated. store: the garment's store, for its colorways as
    material variants and its fabric's sheen (as ``scene_glb``); None
    leaves the garment in its own material only. Raises Invalid for a
    sample_fps below 1, and for a turntable (the body stands still).
    """
    if isinstance(sample_fps, bool) or not isinstance(sample_fps, int) or sample_fps < 1:
        raise Invalid(f"sample_fps must be a positive integer, got {sample_fps!r}", "sample_fps")
    clip = moving.clip
    if clip.orbit or clip.frame_count < 2:
        raise Invalid("a turntable or a single frame does not move: its GLB is scene_glb's", "motion")
    times, frames = key_frames(clip.frame_count, clip.fps, min(sample_fps, clip.fps))
    shapes, target_of_key = np.unique(frames, return_inverse=True)  # shapes[0] == 0: the base
    scene, deltas, scales = trimesh.Scene(), {}, {}
    for name, positions, faces, visual in _meshes(avatar, moving, shapes):
        keys = np.stack([gltf_frame(p) for p in positions]).astype(np.float64)
        delta = keys[1:] - keys[0]
        # a delta over 1 m (a clip that walks away) scales the mesh's node instead of clipping
        scales[name] = max(1.0, float(np.abs(delta).max(initial=0.0)))
        deltas[name] = delta / scales[name]
        mesh = trimesh.Trimesh(keys[0] / scales[name], faces, process=False)
        mesh.visual = visual
        scene.add_geometry(mesh, node_name=name, geom_name=name)
    gltf = pygltflib.GLTF2.load_from_bytes(scene.export(file_type="glb"))
    blob = bytearray(gltf.binary_blob())
    for name in deltas:
        _add_targets(gltf, blob, name, deltas[name], scales[name])
    _add_animation(gltf, blob, clip.motion, times, target_of_key, list(deltas), len(shapes) - 1)
    gltf.buffers[0].byteLength = len(blob)
    gltf.set_binary_blob(bytes(blob))
    gltf.extensionsUsed = sorted({*(gltf.extensionsUsed or []), QUANTIZATION})
    gltf.extensionsRequired = sorted({*(gltf.extensionsRequired or []), QUANTIZATION})
    glb = b"".join(gltf.save_to_bytes())
    if store is None or moving.drape is None:
        return glb
    return add_garment_looks(glb, "garment", moving.drape.mesh.material,
                             store.get(moving.drape.garment_id).fabric,
                             store.colorways(moving.drape.garment_id))


def key_frames(frame_count: int, fps: int, sample_fps: int) -> tuple[np.ndarray, np.ndarray]:
    """(K,) key times, seconds, from 0 to the clip's length ``frame_count / fps``
    every 1 / ``sample_fps``; (K,) the clip frame each shows (fractional
    between frames; the last frame from its own time to the end)."""
    length = frame_count / fps
    count = int(np.ceil(length * sample_fps - 1e-9))  # keys before the end
    times = np.append(np.arange(count) / sample_fps, length)
    return times, np.minimum(times * fps, frame_count - 1)


def _meshes(avatar: Avatar, moving: MotionDrape, shapes: np.ndarray):
    """[(name, (K, N, 3) positions at the fractional clip frames ``shapes`` (K,),
    metres in tryon's frame, (F, 3) faces, trimesh visual)]: body, base outfit, garment."""
    model = get_body_model(avatar.sex)
    faces = np.asarray(model.faces)
    body = _resample(moving.body_vertices, shapes)
    meshes = [("body", body, faces, _matte(skin_rgb(avatar.skin_tone), SKIN_ROUGHNESS))]
    for name, positions, piece_faces, rgb in _carried_outfit(
            body, faces, moving.joints[0], model.landmarks, model.arm_vertex_mask()):
        meshes.append((name, positions, piece_faces, _matte(rgb, BASE_ROUGHNESS)))
    if moving.garment_frames is not None:
        meshes.append(("garment", _resample(moving.garment_frames, shapes),
                       np.asarray(moving.drape.mesh.faces), _garment_visual(moving.drape.mesh)))
    return meshes


def _resample(frames: np.ndarray, at: np.ndarray) -> np.ndarray:
    """(K, N, 3) float64 ``frames`` (T, N, 3) at fractional frame indices ``at`` (K,), linearly."""
    low = np.floor(at).astype(int)
    high = np.minimum(low + 1, len(frames) - 1)
    share = (at - low)[:, None, None]
    return (1 - share) * frames[low].astype(np.float64) + share * frames[high].astype(np.float64)


def _carried_outfit(body: np.ndarray, faces: np.ndarray, joints: np.ndarray, landmarks: dict,
                    arm_mask: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray, tuple]]:
    """[(name, (K, n, 3) positions, (f, 3) faces, sRGB)] of the leggings and tank top,
    cut from ``body`` (K, V, 3) at its first key, with ``joints`` (J, 3) of that
    frame, and carried on the body to every key. Metres, tryon's frame."""
    normals = np.stack([vertex_normals(v, faces) for v in body])
    pieces = []
    for name, (v, n, f, rgb), lift in zip(
            ("leggings", "tank-top"),
            base_outfit(body[0], normals[0], faces, joints, landmarks, arm_mask),
            (LEGGINGS_OFFSET_M, TANK_OFFSET_M)):
        # each outfit vertex is a skin point (a vertex or a point on an edge) lifted along its normal
        face, bary, _ = closest_on_surface(v - lift * n, body[0], faces, neighbours=3)
        corners = faces[face]
        on_skin = np.einsum("nc,kncd->knd", bary, body[:, corners])
        lifted = np.einsum("nc,kncd->knd", bary, normals[:, corners])
        lifted /= np.linalg.norm(lifted, axis=2, keepdims=True)
        pieces.append((name, on_skin + lift * lifted, f, rgb))
    return pieces


def _matte(rgb, roughness: float) -> trimesh.visual.TextureVisuals:
    return trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(
        baseColorFactor=[*srgb_to_linear(rgb), 1.0], metallicFactor=0.0, roughnessFactor=roughness))


def _garment_visual(mesh) -> trimesh.visual.TextureVisuals:
    """The garment's material as ``scene_glb`` writes it: linear base colour, or
    its texture, UVs, roughness, double-sided."""
    material = mesh.material
    rgba = [*srgb_to_linear([round(c * 255) for c in material.base_color[:3]]), 1.0]
    limit_pillow()  # stored textures were measured at import; decode no more than that
    texture = (Image.open(io.BytesIO(material.texture)).convert("RGB")
               if material.texture is not None else None)
    pbr = trimesh.visual.material.PBRMaterial(
        baseColorFactor=[1.0, 1.0, 1.0, 1.0] if texture is not None else rgba,
        baseColorTexture=texture, metallicFactor=0.0, roughnessFactor=float(material.roughness),
        doubleSided=True)
    return trimesh.visual.TextureVisuals(uv=mesh.uvs, material=pbr)


def _append(gltf: pygltflib.GLTF2, blob: bytearray, data: bytes, **view) -> int:
    """Append ``data`` to the binary chunk as a new buffer view; return its index."""
    blob.extend(b"\0" * (-len(blob) % 4))  # glTF aligns buffer views to 4 bytes
    gltf.bufferViews.append(pygltflib.BufferView(buffer=0, byteOffset=len(blob),
                                                 byteLength=len(data), **view))
    blob.extend(data)
    return len(gltf.bufferViews) - 1


def _add_targets(gltf: pygltflib.GLTF2, blob: bytearray, name: str, deltas: np.ndarray,
                 scale: float) -> None:
    """Give the mesh ``name`` one POSITION target per key after the first.

    deltas: (K - 1, N, 3) from the mesh's base, in units of ``scale`` metres
    (|delta| <= 1), stored int16 normalised, each padded to 8 bytes.
    """
    quantized = np.clip(np.round(deltas * STEPS), -STEPS, STEPS).astype(np.int16)
    targets, count = quantized.shape[:2]
    padded = np.zeros((targets, count, 4), np.int16)
    padded[..., :3] = quantized
    view = _append(gltf, blob, padded.tobytes(), byteStride=8, target=_ARRAY_BUFFER)
    mesh, node = _mesh_and_node(gltf, name)
    primitive = gltf.meshes[mesh].primitives[0]
    primitive.targets = []
    for k, target in enumerate(quantized):
        gltf.accessors.append(pygltflib.Accessor(
            bufferView=view, byteOffset=k * count * 8, componentType=_SHORT, normalized=True,
            count=count, type=pygltflib.VEC3, min=target.min(axis=0).tolist(),
            max=target.max(axis=0).tolist()))
        primitive.targets.append({"POSITION": len(gltf.accessors) - 1})
    gltf.meshes[mesh].weights = [0.0] * targets
    if scale != 1.0:
        gltf.nodes[node].scale = [scale] * 3


def _add_animation(gltf: pygltflib.GLTF2, blob: bytearray, name: str, times: np.ndarray,
                   target_of_key: np.ndarray, mesh_names: list[str], targets: int) -> None:
    """One animation of every named mesh's node weights: at key j, target
    ``target_of_key[j] - 1`` weighs 1 (none at the base), linear in between."""
    weights = np.zeros((len(times), targets), np.float32)
    shown = target_of_key > 0
    weights[np.flatnonzero(shown), target_of_key[shown] - 1] = 1.0
    accessors = []
    for data, bounds in ((times.astype(np.float32), True), (weights, False)):
        gltf.accessors.append(pygltflib.Accessor(
            bufferView=_append(gltf, blob, data.tobytes()), componentType=_FLOAT,
            count=data.size, type=pygltflib.SCALAR,
            min=[float(data.min())] if bounds else None,  # an animation input needs its bounds
            max=[float(data.max())] if bounds else None))
        accessors.append(len(gltf.accessors) - 1)
    animation = pygltflib.Animation(name=name, samplers=[], channels=[])
    for mesh_name in mesh_names:
        _, node = _mesh_and_node(gltf, mesh_name)
        animation.samplers.append(pygltflib.AnimationSampler(
            input=accessors[0], output=accessors[1], interpolation="LINEAR"))
        animation.channels.append(pygltflib.AnimationChannel(
            sampler=len(animation.samplers) - 1,
            target=pygltflib.AnimationChannelTarget(node=node, path="weights")))
    gltf.animations.append(animation)


def _mesh_and_node(gltf: pygltflib.GLTF2, name: str) -> tuple[int, int]:
    """Indices of the mesh called ``name`` and of the node that shows it."""
    mesh = next(i for i, m in enumerate(gltf.meshes) if m.name == name)
    return mesh, next(i for i, n in enumerate(gltf.nodes) if n.mesh == mesh)
