"""The animated GLB of a clip, read back as a viewer reads it (pygltflib): keys, the
body's skin and its joints' animation, the garment's morph targets and their weights,
and every key's shape against the MotionDrape it came from."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pygltflib
import pytest
from PIL import Image
from scipy.spatial.transform import Rotation

from avatars.appearance.skin_texture import skin_texture
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
from tests.widget.browser import CHROMIUM, SHOTS

pytestmark = pytest.mark.slow  # needs the prepared body model, and simulates cloth

SECONDS, FPS = 2, 12
SKINNED = {"body", "leggings", "tank-top", "hair"}  # the hair on the head bone alone
QUANTUM_M = 0.5 / STEPS + 1e-6  # int16 rounding, and float32 positions near 1.7 m
# four influences a vertex, fitted to the clip, against the body model's up to nine
# (measured on this clip: 0.67 mm at most, at the shoulders, 0.003 mm on average)
SKIN_MAX_M, SKIN_MEAN_M = 1.5e-3, 0.05e-3


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
def glb(avatar, moving):
    return motion_glb(avatar, moving, current_garments())


@pytest.fixture(scope="module")
def gltf(glb):
    return pygltflib.GLTF2.load_from_bytes(glb)


def _read(gltf: pygltflib.GLTF2, index: int) -> np.ndarray:
    """(count, components) float64 values of an accessor, normalised ints as floats."""
    accessor = gltf.accessors[index]
    view = gltf.bufferViews[accessor.bufferView]
    dtype = {5126: np.float32, 5122: np.int16, 5121: np.uint8}[accessor.componentType]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[accessor.type]
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


def _joint_poses(gltf) -> np.ndarray:
    """(K, J, 4, 4) each joint node's transform at each key, from its animated TRS."""
    [skin], [animation] = gltf.skins, gltf.animations
    output = {(c.target.node, c.target.path): animation.samplers[c.sampler].output
              for c in animation.channels}
    shift = np.stack([_read(gltf, output[j, "translation"]) for j in skin.joints], axis=1)
    spin = np.stack([_read(gltf, output[j, "rotation"]) for j in skin.joints], axis=1)
    poses = np.zeros((*shift.shape[:2], 4, 4))
    poses[..., :3, :3] = Rotation.from_quat(spin.reshape(-1, 4)).as_matrix().reshape(
        *shift.shape[:2], 3, 3)
    poses[..., :3, 3] = shift
    poses[..., 3, 3] = 1.0
    return poses


def _skinned_keys(gltf, name) -> np.ndarray:
    """(K, N, 3) metres: the skinned mesh at each key, as glTF skins it (the inverse
    bind matrices are the identity: a joint's world transform is its bone's)."""
    primitive, _ = _mesh(gltf, name)
    rest = _read(gltf, primitive.attributes.POSITION)
    joints = _read(gltf, primitive.attributes.JOINTS_0).astype(int)
    weights = _read(gltf, primitive.attributes.WEIGHTS_0)
    poses = _joint_poses(gltf)
    return sum(weights[:, a, None] * (np.einsum("knrc,nc->knr", poses[:, joints[:, a], :3, :3], rest)
                                      + poses[:, joints[:, a]][..., :3, 3])
               for a in range(4))


def _skin(avatar):
    """The skin texture the GLB's body carries: its vertices are the body's, split at UV seams."""
    return skin_texture(get_body_model(avatar.sex), avatar.skin_tone)


def _skin_error(gltf, body_vertices, avatar) -> np.ndarray:
    """(K, T) metres from the skinned body at each key (a key a frame, and the last
    frame held to the clip's end) to ``body_vertices`` (T, V, 3), tryon's frame,
    at each of the textured body's T vertices."""
    _, frames = key_frames(len(body_vertices), FPS, FPS)
    split = _skin(avatar).corner_vertex
    expected = np.stack([gltf_frame(body_vertices[int(f)])[split] for f in frames])
    return np.linalg.norm(_skinned_keys(gltf, "body") - expected, axis=2)


def test_keys_resample_the_clip_and_end_at_its_length():
    times, frames = key_frames(48, 24, 12)  # 2 s at 24 fps, every other frame
    assert np.allclose(times, np.append(np.arange(24) / 12, 2.0))
    assert frames.tolist() == [*range(0, 48, 2), 47]  # the last frame is held to the end
    times, frames = key_frames(30, 30, 12)  # 1 s at 30 fps: keys fall between frames
    assert times[-1] == 1.0 and frames[1] == 2.5 and frames[-1] == 29


def test_one_animation_moves_the_joints_and_weighs_two_neighbouring_targets(gltf, moving, avatar):
    assert QUANTIZATION in gltf.extensionsRequired and QUANTIZATION in gltf.extensionsUsed
    assert VARIANTS in gltf.extensionsUsed  # the dress's colorways, as in scene_glb
    [animation] = gltf.animations
    assert animation.name == "walk"
    frames = moving.clip.frame_count  # sampled at the clip's rate: every frame is a key
    times = _read(gltf, animation.samplers[0].input).ravel()
    assert np.all(np.diff(times) > 0) and times[0] == 0.0
    assert times[-1] == pytest.approx(SECONDS) == frames / moving.clip.fps
    assert gltf.accessors[animation.samplers[0].input].max == [pytest.approx(SECONDS)]
    assert {s.input for s in animation.samplers} == {animation.samplers[0].input}
    assert {s.interpolation for s in animation.samplers} == {"LINEAR"}
    [skin] = gltf.skins
    bones = get_body_model(avatar.sex).bone_names
    assert [gltf.nodes[j].name for j in skin.joints] == bones
    paths = {}
    for channel in animation.channels:
        paths.setdefault(channel.target.node, set()).add(channel.target.path)
    [garment] = [n for n, p in paths.items() if p == {"weights"}]
    assert gltf.meshes[gltf.nodes[garment].mesh].name == "garment"
    assert {j: paths[j] for j in skin.joints} == {j: {"translation", "rotation"} for j in skin.joints}
    assert len(paths) == len(skin.joints) + 1
    [weighing] = [animation.samplers[c.sampler] for c in animation.channels if c.target.node == garment]
    weights = _read(gltf, weighing.output).reshape(len(times), frames - 1)
    assert weights.sum(axis=1).tolist() == [0.0] + [1.0] * (len(times) - 1)  # one-hot after the base
    assert (weights[-1] == weights[-2]).all()  # the last frame held to the clip's end
    between = 0.5 * (weights[1:] + weights[:-1])  # halfway between keys
    assert (np.count_nonzero(between, axis=1) <= 2).all()
    primitive, _ = _mesh(gltf, "garment")
    assert len(primitive.targets) == frames - 1
    assert gltf.meshes[gltf.nodes[garment].mesh].weights == [0.0] * (frames - 1)
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


def test_the_body_and_base_outfit_are_one_skin_of_four_influences(gltf):
    [skin] = gltf.skins
    assert skin.inverseBindMatrices is None  # the identity: joints carry the bones' transforms
    root = gltf.nodes[skin.skeleton]
    assert root.children == skin.joints and root.skin is None
    for node in [root] + [gltf.nodes[i] for i in gltf.scenes[0].nodes if gltf.nodes[i].skin == 0]:
        assert node.translation is None and node.rotation is None and node.scale is None
        assert node.matrix is None
    skinned = {gltf.meshes[n.mesh].name for n in gltf.nodes if n.skin == 0}
    assert skinned == SKINNED and skin.skeleton in gltf.scenes[0].nodes
    for name in SKINNED:
        primitive, _ = _mesh(gltf, name)
        assert not primitive.targets  # only the garment has morph targets
        # one set of joints and weights: all three.js (so <model-viewer>) reads
        attributes = {k for k, v in vars(primitive.attributes).items() if v is not None}
        textured = {"TEXCOORD_0"} if name == "body" else set()  # the face
        assert attributes == {"POSITION", "JOINTS_0", "WEIGHTS_0"} | textured
        joints = _read(gltf, primitive.attributes.JOINTS_0)
        weights = _read(gltf, primitive.attributes.WEIGHTS_0)
        assert gltf.accessors[primitive.attributes.JOINTS_0].componentType == 5121
        assert (weights >= 0).all() and np.allclose(weights.sum(axis=1), 1.0, atol=1e-6)
        assert (joints[weights == 0] == 0).all() and joints.max() < len(skin.joints)


def test_each_key_is_its_frame_within_the_quantization_and_the_skinning(gltf, moving, avatar):
    error = np.abs(_key_shapes(gltf, "garment")
                   - np.stack([gltf_frame(f) for f in moving.garment_frames])).max()
    assert error < QUANTUM_M, f"garment: {error * 1000:.4f} mm"
    skin = _skin_error(gltf, moving.body_vertices, avatar)
    assert skin.max() < SKIN_MAX_M and skin.mean() < SKIN_MEAN_M, (
        f"body: {skin.max() * 1000:.3f} mm at most, {skin.mean() * 1000:.4f} on average")
    # a vertex of four bones or fewer keeps its weights: exact but for float32
    few = np.count_nonzero(get_body_model(avatar.sex).skinning_weights, axis=1) <= 4
    assert skin[:, few[_skin(avatar).corner_vertex]].max() < 1e-5


def test_the_base_outfit_rides_on_the_moving_body(gltf, moving, avatar):
    faces = _skin(avatar).uv_faces  # the textured body's
    bodies = _skinned_keys(gltf, "body")
    for name, lift in (("leggings", LEGGINGS_OFFSET_M), ("tank-top", TANK_OFFSET_M)):
        shapes = _skinned_keys(gltf, name)
        for k in (0, len(shapes) // 2, len(shapes) - 1):
            _, _, gap = closest_on_surface(shapes[k], bodies[k], faces, neighbours=3)
            assert np.median(gap) == pytest.approx(lift, abs=0.3e-3), (name, k)
            assert np.percentile(gap, 99) < 2 * lift, (name, k)
    # the legs moved: the leggings are not the still A-pose ones
    legs = _skinned_keys(gltf, "leggings")
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


def test_a_walk_without_a_garment_is_a_skin_alone(avatar):
    bare = drape_motion(avatar, None, None, make_clip(get_body_model(avatar.sex), "walk", 1, 12))
    gltf = pygltflib.GLTF2.load_from_bytes(motion_glb(avatar, bare))
    assert {m.name for m in gltf.meshes} == SKINNED and not gltf.extensionsUsed
    assert {c.target.path for c in gltf.animations[0].channels} == {"translation", "rotation"}
    assert _skin_error(gltf, bare.body_vertices, avatar).max() < SKIN_MAX_M


def test_a_clip_that_walks_away_moves_its_joints_and_scales_the_garment(avatar, moving):
    ahead = np.zeros((moving.clip.frame_count, 1, 3), np.float32)
    ahead[:, 0, 1] = -np.linspace(0.0, 3.0, len(ahead))  # 3 m forwards (-Y, tryon's frame)
    walking = replace(moving, clip=replace(moving.clip, translation=ahead[:, 0]),
                      body_vertices=moving.body_vertices + ahead,
                      garment_frames=moving.garment_frames + ahead)
    gltf = pygltflib.GLTF2.load_from_bytes(motion_glb(avatar, walking))
    _, scale = _mesh(gltf, "garment")
    assert 3.0 < scale < 3.3  # the longest delta: 3 m, and the cloth's own motion
    error = np.abs(_key_shapes(gltf, "garment")
                   - np.stack([gltf_frame(f) for f in walking.garment_frames])).max()
    assert error < scale * QUANTUM_M, f"{error * 1000:.4f} mm"
    # the root motion is in the joints' translations: the body keeps its precision
    assert _skin_error(gltf, walking.body_vertices, avatar).max() < SKIN_MAX_M


# the walk alone on a white page; an empty progress-bar slot: no loading bar over the figure
VIEWER_PAGE = """<!doctype html><body style="margin:0;background:#fff">
<script type="module" src="/model-viewer.min.js"></script>
<model-viewer src="/walk.glb" autoplay animation-name="walk" camera-orbit="20deg 85deg 105%"
  interaction-prompt="none" style="width:240px;height:360px;background:#fff">
<div slot="progress-bar"></div></model-viewer>"""


def test_model_viewer_plays_it_in_chromium(glb):
    """The vendored <model-viewer> (three.js: four influences a vertex, JOINTS_0 only)
    plays the walk: shots in $TRYON_WIDGET_SHOTS, gltf-motion-*.png, to look at."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    viewer = next((Path(__file__).parents[2] / "web_widget" / "vendor").glob("model-viewer-*"))
    files = {"/": (VIEWER_PAGE.encode(), "text/html"), "/walk.glb": (glb, "model/gltf-binary"),
             "/model-viewer.min.js": ((viewer / "model-viewer.min.js").read_bytes(), "text/javascript")}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 240, "height": 360})

        def serve(route):  # from memory: no socket, nothing fetched from elsewhere
            body, kind = files[route.request.url.removeprefix("http://tryon.test")]
            route.fulfill(body=body, content_type=kind)

        page.route("http://tryon.test/**", serve)
        page.goto("http://tryon.test/")
        page.wait_for_function("() => document.querySelector('model-viewer')?.loaded === true",
                               timeout=60_000)
        model = "document.querySelector('model-viewer')"
        assert page.evaluate(f"() => {model}.availableAnimations") == ["walk"]
        assert page.evaluate(f"() => {model}.duration") == pytest.approx(SECONDS)
        shots = []
        for at in (0.0, 0.75, 1.5):
            page.evaluate(f"() => {{ {model}.pause(); {model}.currentTime = {at}; }}")
            page.wait_for_timeout(500)
            png = page.locator("model-viewer").screenshot()
            (SHOTS / f"gltf-motion-{at:.2f}s.png").write_bytes(png)
            shots.append(np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), float))
        browser.close()
    for shot in shots[1:]:
        assert np.abs(shot - shots[0]).mean() > 3, "the walk did not move"
    # a wrong bind or axis throws the body out of shape (a heap across the dress, say): the
    # figure fills the frame's height, and skin runs from its top (head) to its bottom (feet)
    for shot in shots:
        figure = 255 * 3 - shot.sum(axis=2) > 60
        r, g, b = np.moveaxis(shot, 2, 0)
        skin = figure & (r > b + 30) & (g > 0.5 * r)  # this avatar's brown, not red nor grey
        rows, skin_rows = np.flatnonzero(figure.any(axis=1)), np.flatnonzero(skin.any(axis=1))
        # (skin from the forehead: her hair is above it)
        assert np.ptp(rows) > 0.8 * len(shot) and np.ptp(skin_rows) > 0.9 * np.ptp(rows)
