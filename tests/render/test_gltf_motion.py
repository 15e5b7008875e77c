"""The animated GLB of a clip, read back as a viewer reads it (pygltflib): keys, morph
targets and their weights, and every key's shape against the MotionDrape it came from."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pygltflib
import pytest

from avatars.body_models.registry import get_body_model
from avatars.library import get_avatar
from avatars.motion.clip import make_clip
from garments.base_outfit import LEGGINGS_OFFSET_M, TANK_OFFSET_M
from tryon.core.errors import Invalid
from tryon.core.geometry import closest_on_surface
from tryon.drape.motion import drape_motion
from tryon.render.gltf import gltf_frame
from tryon.render.gltf_looks import VARIANTS
from tryon.render.gltf_motion import QUANTIZATION, STEPS, key_frames, motion_glb
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, and simulates cloth

SECONDS, FPS = 2, 12
MESHES = {"body", "leggings", "tank-top", "garment"}
QUANTUM_M = 0.5 / STEPS + 1e-6  # int16 rounding, and float32 positions near 1.7 m


@pytest.fixture(scope="module")
def avatar():
    return get_avatar("f165-eu40")


@pytest.fixture(scope="module")
def dress_id():
    return next(g.id for g in current_garments().list() if g.name == "Midi dress")


@pytest.fixture(scope="module")
def moving(avatar, dress_id):
    clip = make_clip(get_body_model(avatar.sex), "walk", SECONDS, FPS)
    return drape_motion(avatar, dress_id, "M", clip, store=current_garments())


@pytest.fixture(scope="module")
def gltf(avatar, moving):
    return pygltflib.GLTF2.load_from_bytes(motion_glb(avatar, moving, current_garments()))


def _read(gltf: pygltflib.GLTF2, index: int) -> np.ndarray:
    """(count, components) float64 values of an accessor, normalised ints as floats."""
    accessor = gltf.accessors[index]
    view = gltf.bufferViews[accessor.bufferView]
    dtype = {5126: np.float32, 5122: np.int16}[accessor.componentType]
    width = {"SCALAR": 1, "VEC3": 3}[accessor.type]
    stride = view.byteStride or width * np.dtype(dtype).itemsize
    start = view.byteOffset + (accessor.byteOffset or 0)
    rows = np.frombuffer(gltf.binary_blob(), np.uint8, accessor.count * stride, start)
    values = rows.reshape(-1, stride)[:, :width * np.dtype(dtype).itemsize].copy().view(dtype)
    return values / STEPS if accessor.normalized else values.astype(np.float64)


def _mesh(gltf, name):
    index = next(i for i, m in enumerate(gltf.meshes) if m.name == name)
    node = next(n for n in gltf.nodes if n.mesh == index)
    return gltf.meshes[index].primitives[0], (node.scale or [1.0])[0]


def _key_shapes(gltf, name) -> np.ndarray:
    """(targets + 1, N, 3) metres: the mesh at its base and at each of its targets."""
    primitive, scale = _mesh(gltf, name)
    base = _read(gltf, primitive.attributes.POSITION)
    return scale * np.stack([base] + [base + _read(gltf, t["POSITION"]) for t in primitive.targets])


def test_keys_resample_the_clip_and_end_at_its_length():
    times, frames = key_frames(48, 24, 12)  # 2 s at 24 fps, every other frame
    assert np.allclose(times, np.append(np.arange(24) / 12, 2.0))
    assert frames.tolist() == [*range(0, 48, 2), 47]  # the last frame is held to the end
    times, frames = key_frames(30, 30, 12)  # 1 s at 30 fps: keys fall between frames
    assert times[-1] == 1.0 and frames[1] == 2.5 and frames[-1] == 29


def test_one_animation_weighs_two_neighbouring_targets_at_a_time(gltf, moving):
    assert QUANTIZATION in gltf.extensionsRequired and QUANTIZATION in gltf.extensionsUsed
    assert VARIANTS in gltf.extensionsUsed  # the dress's colorways, as in scene_glb
    [animation] = gltf.animations
    assert animation.name == "walk"
    frames = moving.clip.frame_count  # sampled at the clip's rate: every frame is a key
    times = _read(gltf, animation.samplers[0].input).ravel()
    assert np.all(np.diff(times) > 0) and times[0] == 0.0
    assert times[-1] == pytest.approx(SECONDS) == frames / moving.clip.fps
    assert gltf.accessors[animation.samplers[0].input].max == [pytest.approx(SECONDS)]
    animated = {gltf.meshes[gltf.nodes[c.target.node].mesh].name for c in animation.channels}
    assert animated == MESHES and {c.target.path for c in animation.channels} == {"weights"}
    for sampler in animation.samplers:
        assert sampler.interpolation == "LINEAR"
        weights = _read(gltf, sampler.output).reshape(len(times), frames - 1)
        assert weights.sum(axis=1).tolist() == [0.0] + [1.0] * (len(times) - 1)  # one-hot after the base
        assert (weights[-1] == weights[-2]).all()  # the last frame held to the clip's end
        between = 0.5 * (weights[1:] + weights[:-1])  # halfway between keys
        assert (np.count_nonzero(between, axis=1) <= 2).all()
    for mesh in gltf.meshes:
        primitive = mesh.primitives[0]
        assert len(primitive.targets) == frames - 1 and mesh.weights == [0.0] * (frames - 1)
        for target in primitive.targets:
            accessor = gltf.accessors[target["POSITION"]]
            values = np.round(_read(gltf, target["POSITION"]) * STEPS)
            assert accessor.componentType == 5122 and accessor.normalized
            # glTF requires bounds on POSITION, in the stored integers
            assert accessor.min == values.min(axis=0).tolist()
            assert accessor.max == values.max(axis=0).tolist()
        view = gltf.bufferViews[gltf.accessors[primitive.targets[0]["POSITION"]].bufferView]
        count = gltf.accessors[primitive.attributes.POSITION].count
        assert view.byteStride == 8 and view.byteLength == 8 * count * (frames - 1)


def test_each_key_is_its_frame_within_the_quantization(gltf, moving):
    for name, frames in (("garment", moving.garment_frames), ("body", moving.body_vertices)):
        shapes = _key_shapes(gltf, name)
        expected = np.stack([gltf_frame(f) for f in frames])
        error = np.abs(shapes - expected).max()
        assert error < QUANTUM_M, f"{name}: {error * 1000:.4f} mm"


def test_the_base_outfit_rides_on_the_moving_body(gltf, moving, avatar):
    faces = np.asarray(get_body_model(avatar.sex).faces)
    bodies = _key_shapes(gltf, "body")
    for name, lift in (("leggings", LEGGINGS_OFFSET_M), ("tank-top", TANK_OFFSET_M)):
        shapes = _key_shapes(gltf, name)
        for k in (0, len(shapes) // 2, len(shapes) - 1):
            _, _, gap = closest_on_surface(shapes[k], bodies[k], faces, neighbours=3)
            assert np.median(gap) == pytest.approx(lift, abs=0.3e-3), (name, k)
            assert np.percentile(gap, 99) < 2 * lift, (name, k)
    # the legs moved: the leggings are not the still A-pose ones
    legs = _key_shapes(gltf, "leggings")
    assert np.abs(legs[len(legs) // 2] - legs[0]).max() > 0.05


def test_a_textured_garment_keeps_its_texture_and_fewer_keys_make_fewer_targets(
        avatar, moving, dress_id):
    gingham = current_garments().colorway(dress_id, "gingham")
    mesh = moving.drape.mesh
    textured = replace(moving, drape=replace(moving.drape, mesh=replace(
        mesh, material=gingham.material(mesh.material))))
    gltf = pygltflib.GLTF2.load_from_bytes(motion_glb(avatar, textured, sample_fps=6))
    primitive, _ = _mesh(gltf, "garment")
    material = gltf.materials[primitive.material]
    assert material.pbrMetallicRoughness.baseColorTexture is not None and material.doubleSided
    assert primitive.attributes.TEXCOORD_0 is not None
    assert VARIANTS not in (gltf.extensionsUsed or [])  # no store: no colorways
    # 6 keys a second over 2 s, and the clip's last frame at its end: 13 shapes
    assert len(primitive.targets) == 12
    times = _read(gltf, gltf.animations[0].samplers[0].input).ravel()
    assert times[-1] == pytest.approx(SECONDS) and len(times) == 13


def test_a_still_clip_or_a_bad_rate_is_refused(avatar, moving):
    with pytest.raises(Invalid) as refused:
        motion_glb(avatar, moving, sample_fps=0)
    assert refused.value.field == "sample_fps"
    turntable = make_clip(get_body_model(avatar.sex), "turntable", 1, 12)
    with pytest.raises(Invalid):
        motion_glb(avatar, drape_motion(avatar, None, None, turntable))


def test_a_clip_that_walks_away_scales_its_nodes_and_keeps_its_precision(avatar, moving):
    ahead = np.zeros((moving.clip.frame_count, 1, 3), np.float32)
    ahead[:, 0, 1] = -np.linspace(0.0, 3.0, len(ahead))  # 3 m forwards (-Y, tryon's frame)
    walking = replace(moving, body_vertices=moving.body_vertices + ahead,
                      garment_frames=moving.garment_frames + ahead)
    gltf = pygltflib.GLTF2.load_from_bytes(motion_glb(avatar, walking))
    _, scale = _mesh(gltf, "garment")
    assert 3.0 < scale < 3.3  # the longest delta: 3 m, and the cloth's own motion
    error = np.abs(_key_shapes(gltf, "garment")
                   - np.stack([gltf_frame(f) for f in walking.garment_frames])).max()
    assert error < scale * QUANTUM_M, f"{error * 1000:.4f} mm"
