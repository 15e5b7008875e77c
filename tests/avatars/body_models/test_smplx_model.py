"""The SMPL-X backend, on synthetic model files with the real layout."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import smplx
import torch

from avatars.body_models import registry
from avatars.body_models.base import LANDMARKS
from avatars.body_models.skinning import linear_blend_skinning
from avatars.body_models.smplx_model import JOINT_COUNT, VERTEX_COUNT, BodyModelDataError, SmplxBodyModel
from tests.avatars.synthetic_smplx import synthetic_smplx_arrays

# SMPL-X frame (Y-up, facing +Z) -> ours (Z-up, facing -Y).
TO_OURS = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@pytest.fixture(scope="module")
def model(smplx_dir: Path) -> SmplxBodyModel:
    return SmplxBodyModel(smplx_dir, "neutral")


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    return synthetic_smplx_arrays("neutral")


def to_ours_on_floor(vertices: torch.Tensor, *points: torch.Tensor) -> list[torch.Tensor]:
    """(B, N, 3) SMPL-X-frame vertices, then any other points, in our frame,
    all lifted so that the lowest vertex is at z = 0."""
    vertices = vertices @ TO_OURS.T
    lift = torch.nn.functional.pad(-vertices[..., 2].amin(1)[:, None, None], (2, 0))  # (B, 1, 3)
    return [vertices + lift] + [p @ TO_OURS.T + lift for p in points]


def random_parameters(batch: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    betas = torch.randn(batch, 10, generator=generator)
    pose = 0.4 * torch.randn(batch, JOINT_COUNT, 3, generator=generator)
    return betas, pose


def test_loads_through_smplx_create(smplx_dir, monkeypatch):
    calls, create = [], smplx.create

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return create(*args, **kwargs)

    monkeypatch.setattr(smplx, "create", spy)
    model = SmplxBodyModel(smplx_dir, "female")
    assert len(calls) == 1 and calls[0]["ext"] == "npz" and calls[0]["use_pca"] is False
    assert model.sex == "female" and model.cache_key.startswith("smplx-female-")


def test_describes_the_skeleton_and_mesh(model, arrays):
    assert model.name == "smplx"
    assert model.vertex_count == VERTEX_COUNT
    assert len(model.bone_names) == JOINT_COUNT
    assert model.bone_names[:3] == ["pelvis", "left_hip", "right_hip"]
    assert model.bone_names[22:25] == ["jaw", "left_eye", "right_eye"]
    assert model.bone_parents[0] == -1
    assert all(model.bone_parents[j] < j for j in range(1, JOINT_COUNT))  # parents first
    assert model.skinning_weights.shape == (VERTEX_COUNT, JOINT_COUNT)
    assert model.skinning_weights.dtype == np.float32
    np.testing.assert_allclose(model.skinning_weights.sum(1), 1.0, atol=1e-6)
    assert model.faces.dtype == np.int64
    np.testing.assert_array_equal(model.faces, arrays["f"])
    assert model.uvs.dtype == np.float32 and model.uvs.shape == arrays["vt"].shape
    np.testing.assert_array_equal(model.uv_faces, arrays["ft"])
    assert model.shape_names == [f"beta{i}" for i in range(10)]
    assert set(model.landmarks) == set(LANDMARKS)
    assert model.bone_names[model.landmarks["wrist.L"]] == "left_wrist"
    arm_names = {model.bone_names[i] for i in model.arm_bones}
    assert {"left_shoulder", "right_elbow", "left_wrist", "right_thumb3"} <= arm_names
    assert len(arm_names) == 6 + 30 and not any("collar" in n for n in arm_names)
    assert model.arm_vertex_mask().any()


def test_shape_space_spans_the_betas(model):
    space = model.shape_space("neutral", 35.0, "athletic")
    assert torch.equal(space.start, torch.zeros(10)) and bool(space.free.all())
    assert bool((space.low < 0).all()) and torch.equal(space.high, -space.low)


def test_cache_key_follows_the_file(smplx_dir, model):
    assert model.cache_key != SmplxBodyModel(smplx_dir, "male").cache_key
    assert model.cache_key == SmplxBodyModel(smplx_dir, "neutral").cache_key


def test_zero_parameters_give_the_template_standing_on_the_floor(model, arrays):
    out = model.forward(torch.zeros(10), torch.zeros(JOINT_COUNT, 3))
    template = torch.from_numpy(arrays["v_template"])[None]
    torch.testing.assert_close(out.rest_vertices, template)
    torch.testing.assert_close(out.vertices, to_ours_on_floor(template)[0], atol=1e-6, rtol=0)
    vertices = out.vertices[0]
    assert float(vertices[:, 2].min()) == 0.0
    assert 1.6 < float(vertices[:, 2].max()) < 1.9  # a standing adult
    joints = out.joints[0]
    assert joints[model.landmarks["wrist.L"], 0] > 0.5  # left hand on +X
    toe, ankle = joints[model.bone_names.index("left_foot")], joints[model.landmarks["ankle.L"]]
    assert toe[1] < ankle[1] - 0.05  # feet point to -Y: the body faces -Y


def test_joints_are_regressed_from_the_vertices_at_rest(model, arrays):
    betas, _ = random_parameters(2)
    out = model.forward(betas)
    regressed = torch.einsum("jv,bvc->bjc", torch.from_numpy(arrays["J_regressor"]), out.vertices)
    torch.testing.assert_close(out.joints, regressed, atol=1e-5, rtol=0)


def test_one_bone_moves_only_its_region(model):
    elbow = model.landmarks["elbow.L"]
    subtree = {elbow}
    for bone, parent in enumerate(model.bone_parents):
        if parent in subtree:
            subtree.add(bone)
    region = model.skinning_weights[:, sorted(subtree)].sum(1) > 0
    pose = torch.zeros(JOINT_COUNT, 3)
    pose[elbow] = torch.tensor([0.3, 0.9, -0.2])
    rest = model.forward(model.default_shape()).vertices[0]
    bent = model.forward(model.default_shape(), pose).vertices[0]
    moved = (bent - rest).norm(dim=1)
    assert float(moved[~region].max()) < 1e-6
    assert float(moved[region].max()) > 0.05
    assert subtree >= {elbow, model.landmarks["wrist.L"]} and len(subtree) == 2 + 15


def test_matches_smplx_forward(smplx_dir, model):
    betas, pose = random_parameters(3, seed=1)
    reference = smplx.create(
        str(smplx_dir / "SMPLX_NEUTRAL.npz"), model_type="smplx", use_pca=False,
        flat_hand_mean=True, num_betas=10, batch_size=3,
    )
    with torch.no_grad():
        theirs = reference(
            betas=betas,
            global_orient=pose[:, 0],
            body_pose=pose[:, 1:22].reshape(3, -1),
            jaw_pose=pose[:, 22],
            leye_pose=pose[:, 23],
            reye_pose=pose[:, 24],
            left_hand_pose=pose[:, 25:40].reshape(3, -1),
            right_hand_pose=pose[:, 40:55].reshape(3, -1),
        )
        ours = model.forward(betas, pose)
    vertices, joints = to_ours_on_floor(theirs.vertices, theirs.joints[:, :JOINT_COUNT])
    torch.testing.assert_close(ours.vertices, vertices, atol=1e-5, rtol=0)
    torch.testing.assert_close(ours.joints, joints, atol=1e-5, rtol=0)


def test_skinning_the_rest_vertices_gives_the_vertices(model):
    betas, pose = random_parameters(2, seed=2)
    out = model.forward(betas, pose)
    assert out.rest_vertices.shape == out.vertices.shape == (2, VERTEX_COUNT, 3)
    assert out.bone_transforms.shape == (2, JOINT_COUNT, 4, 4)
    weights = torch.from_numpy(model.skinning_weights)
    skinned = linear_blend_skinning(out.rest_vertices, weights, out.bone_transforms)
    torch.testing.assert_close(skinned, out.vertices, atol=1e-6, rtol=0)


def test_batches_of_one_broadcast(model):
    betas, pose = random_parameters(3, seed=3)
    assert model.forward(betas[0], pose).vertices.shape == (3, VERTEX_COUNT, 3)
    assert model.forward(betas).vertices.shape == (3, VERTEX_COUNT, 3)
    together = model.forward(betas[:1], pose).vertices
    torch.testing.assert_close(together[2:], model.forward(betas[0], pose[2]).vertices)


def _arm_angles(model, name: str) -> dict[str, tuple[float, float, float]]:
    """Per side: upper-arm angle below horizontal, elbow bend, forearm forward (-Y) component."""
    joints = model.forward(model.default_shape(), model.named_pose(name)).joints[0]
    angles = {}
    for side in "LR":
        shoulder, elbow, wrist = (
            joints[model.landmarks[f"{joint}.{side}"]] for joint in ("shoulder", "elbow", "wrist")
        )
        upper, fore = elbow - shoulder, wrist - elbow
        assert abs(float(upper[1])) < 1e-5 * float(upper.norm())  # in the frontal plane
        assert float(upper[0]) * (1 if side == "L" else -1) > 0  # out to its own side
        drop = math.degrees(math.atan2(-float(upper[2]), abs(float(upper[0]))))
        cosine = float(torch.dot(upper, fore) / (upper.norm() * fore.norm()))
        bend = math.degrees(math.acos(min(1.0, cosine)))
        angles[side] = (drop, bend, -float(fore[1]) / float(fore.norm()))
    return angles


@pytest.mark.parametrize(
    ("name", "drop", "bend"), [("a-pose", 45.0, 0.0), ("t-pose", 0.0, 0.0), ("relaxed", 72.0, 15.0)]
)
def test_named_poses_place_the_arms(model, name, drop, bend):
    for got_drop, got_bend, forward in _arm_angles(model, name).values():
        assert got_drop == pytest.approx(drop, abs=0.1)
        assert got_bend == pytest.approx(bend, abs=0.1)
        # The forearm bends to the front (-Y).
        assert forward == pytest.approx(math.sin(math.radians(bend)), abs=1e-3)


def test_named_pose_moves_only_arms(model):
    pose = model.named_pose("a-pose")
    assert pose.shape == (JOINT_COUNT, 3)
    assert set(torch.nonzero(pose.norm(dim=1) > 0).flatten().tolist()) <= set(model.arm_bones)
    with pytest.raises(ValueError, match="unknown pose"):
        model.named_pose("cartwheel")


def test_accepts_the_smplx_models_folder_layout(smplx_dir, tmp_path):
    (tmp_path / "smplx").mkdir()
    (tmp_path / "smplx" / "SMPLX_NEUTRAL.npz").symlink_to(smplx_dir / "SMPLX_NEUTRAL.npz")
    assert SmplxBodyModel(tmp_path, "neutral").vertex_count == VERTEX_COUNT


def test_uvs_are_none_without_vt_ft(tmp_path, arrays):
    np.savez_compressed(
        tmp_path / "SMPLX_NEUTRAL.npz", **{k: v for k, v in arrays.items() if k not in ("vt", "ft")}
    )
    model = SmplxBodyModel(tmp_path, "neutral")
    assert model.uvs is None and model.uv_faces is None


def _data_error(model_dir, sex="neutral") -> str:
    with pytest.raises(BodyModelDataError) as caught:
        SmplxBodyModel(model_dir, sex)
    message = str(caught.value)
    assert "smpl-x.is.tue.mpg.de" in message and "licence" in message
    return message


def test_missing_directory_is_named(tmp_path):
    assert str(tmp_path / "absent") in _data_error(tmp_path / "absent")
    assert "TRYON_SMPLX_DIR" in _data_error("")


def test_missing_file_is_named(tmp_path):
    message = _data_error(tmp_path, "male")
    assert "SMPLX_MALE.npz" in message and str(tmp_path) in message


def test_missing_keys_are_named(tmp_path, arrays):
    path = tmp_path / "SMPLX_NEUTRAL.npz"
    kept = {k: v for k, v in arrays.items() if k not in ("posedirs", "weights")}
    np.savez_compressed(path, **kept)
    message = _data_error(tmp_path)
    assert str(path) in message and "missing posedirs, weights" in message


def test_wrong_shapes_are_named(tmp_path, arrays):
    broken = dict(arrays, J_regressor=arrays["J_regressor"][:52], ft=arrays["ft"][:10])
    np.savez_compressed(tmp_path / "SMPLX_NEUTRAL.npz", **broken)
    message = _data_error(tmp_path)
    assert "J_regressor has shape (52, 10475), expected (55, 10475)" in message
    assert f"ft has shape (10, 3), expected ({len(arrays['f'])}, 3)" in message


def test_too_few_shape_components_are_named(tmp_path, arrays):
    few = dict(arrays, shapedirs=arrays["shapedirs"][..., :10])
    np.savez_compressed(tmp_path / "SMPLX_NEUTRAL.npz", **few)
    assert "shapedirs has 10 components, expected at least 20" in _data_error(tmp_path)


def test_unreadable_file_is_named(tmp_path):
    (tmp_path / "SMPLX_NEUTRAL.npz").write_bytes(b"not a zip archive")
    assert "not a readable .npz" in _data_error(tmp_path)


def test_rejects_unknown_sex(smplx_dir):
    with pytest.raises(ValueError, match="sex must be one of"):
        SmplxBodyModel(smplx_dir, "other")


def test_registry_selects_smplx(smplx_dir, monkeypatch):
    monkeypatch.setenv("TRYON_BODY_MODEL", "smplx")
    monkeypatch.setenv("TRYON_SMPLX_DIR", str(smplx_dir))
    registry._load.cache_clear()
    try:
        model = registry.get_body_model("female")
        assert isinstance(model, SmplxBodyModel) and model.sex == "female"
        assert registry.get_body_model("female") is model  # loaded once
    finally:
        registry._load.cache_clear()


def test_default_path_never_imports_smplx():
    # smplx carries a non-commercial licence: only the SMPL-X backend may load it.
    code = (
        "import sys, avatars.body_models.registry, avatars.body_models.base, avatars.body_models.poses, avatars.body_models.skinning; "
        "sys.exit('smplx' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[3]
    env = dict(os.environ, PYTHONPATH=str(root))
    assert subprocess.run([sys.executable, "-c", code], cwd=root, env=env).returncode == 0
