import math

import numpy as np
import pytest
import torch

from avatars.body_models.poses import POSE_NAMES
from avatars.body_models.skinning import linear_blend_skinning

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


def test_topology_and_skinning_data(anny_model):
    assert anny_model.vertex_count == 13718
    assert anny_model.faces.shape == (27420, 3)
    assert len(anny_model.bone_names) == 104 and anny_model.bone_parents[0] == -1
    np.testing.assert_allclose(anny_model.skinning_weights.sum(axis=1), 1.0, atol=1e-5)
    assert anny_model.uvs.shape[1] == 2 and anny_model.uv_faces.shape == anny_model.faces.shape
    assert set(anny_model.landmarks) >= {"shoulder.L", "hip.R", "wrist.L"}


def test_body_stands_on_the_floor_facing_minus_y(anny_model):
    out = anny_model.forward(anny_model.default_shape(), anny_model.named_pose("a-pose"))
    v, j = out.vertices[0], out.joints[0]
    assert v[:, 2].min().item() == pytest.approx(0.0, abs=1e-6)
    assert j[anny_model.landmarks["shoulder.L"], 0] > 0  # its left is +X
    nose_side = v[v[:, 2] > v[:, 2].max() - 0.15]  # head: the face bulges towards -Y
    assert nose_side[:, 1].min() < j[anny_model.landmarks["head"], 1] - 0.08


def test_skinning_reproduces_the_model(anny_model):
    shapes = torch.stack([anny_model.default_shape()] * 2)
    shapes[1, 4] = 0.9
    out = anny_model.forward(shapes, anny_model.named_pose("relaxed"))
    weights = torch.from_numpy(anny_model.skinning_weights)
    skinned = linear_blend_skinning(out.rest_vertices, weights, out.bone_transforms)
    torch.testing.assert_close(skinned, out.vertices, atol=1e-5, rtol=0)


def test_batched_forward_matches_single(anny_model):
    shapes = torch.rand(4, len(anny_model.shape_names))
    batch = anny_model.forward(shapes).vertices
    for i in range(4):
        torch.testing.assert_close(batch[i], anny_model.forward(shapes[i]).vertices[0], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name, drop", [("a-pose", 45), ("t-pose", 0), ("relaxed", 72)])
def test_named_poses_place_the_arms(anny_model, name, drop):
    out = anny_model.forward(anny_model.default_shape(), anny_model.named_pose(name))
    j, lm = out.joints[0], anny_model.landmarks
    for side in "LR":
        upper = j[lm[f"elbow.{side}"]] - j[lm[f"shoulder.{side}"]]
        angle = math.degrees(math.atan2(-upper[2], math.hypot(upper[0], upper[1])))
        assert angle == pytest.approx(drop, abs=2)
        assert (upper[0] > 0) == (side == "L")


def test_unknown_pose(anny_model):
    with pytest.raises(ValueError, match="unknown pose"):
        anny_model.named_pose("cartwheel")
    assert "a-pose" in POSE_NAMES
