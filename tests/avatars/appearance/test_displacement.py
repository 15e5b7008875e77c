"""A scan's detail as an offset along the normals: fitted to points with hair volume,
carried by the skeleton exactly as skinning the displaced rest surface would."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from avatars.appearance.displacement import MAX_OFFSET_M, displace, fit_displacement
from avatars.body_models.skinning import linear_blend_skinning
from avatars.hair.scalp import scalp
from tryon.core.geometry import vertex_normals

pytestmark = pytest.mark.slow  # the prepared body model


def _body(model, pose="a-pose"):
    with torch.no_grad():
        return model.forward(model.default_shape(), model.named_pose(pose)[None])


def test_a_displaced_body_is_its_displaced_rest_surface_skinned(anny_model):
    rng = np.random.default_rng(0)
    displacement = rng.uniform(-0.01, 0.02, anny_model.vertex_count).astype(np.float32)
    for pose in ("a-pose", "t-pose"):
        out = _body(anny_model, pose)
        rest = out.rest_vertices[0].double().numpy()
        lifted = rest + vertex_normals(rest, np.asarray(anny_model.faces)) * displacement[:, None]
        expected = linear_blend_skinning(torch.as_tensor(lifted, dtype=torch.float32)[None],
                                         torch.as_tensor(anny_model.skinning_weights), out.bone_transforms)
        assert (displace(anny_model, out, displacement) - expected).abs().max() < 1e-5
    assert displace(anny_model, out, None) is out.vertices


def test_hair_volume_and_noise_are_fitted_holes_relax_and_clutter_is_ignored(anny_model):
    """Points 1 cm off the scalp (hair) and on the body elsewhere, with 1 mm noise, a
    hole on the back and clutter beside the body: the displacement finds the hair to
    within 2 mm, stays near 0 elsewhere and in the hole, and ignores the clutter."""
    rng = np.random.default_rng(1)
    body = _body(anny_model).vertices[0].double().numpy()
    faces = np.asarray(anny_model.faces)
    normals = vertex_normals(body, faces)
    on_scalp = np.zeros(len(body), bool)
    on_scalp[np.unique(faces[scalp(anny_model).faces])] = True
    truth = np.where(on_scalp, 0.010, 0.0)
    # points: each vertex's displaced position, resampled 6 times with noise
    picks = np.repeat(np.arange(len(body)), 6)
    points = body[picks] + normals[picks] * truth[picks, None] + rng.normal(0, 0.001, (len(picks), 3))
    back = np.argmin(body[:, 1] * -1 + np.abs(body[:, 2] - 1.2) * 5)  # a point on the upper back
    hole = np.linalg.norm(body - body[back], axis=1) < 0.06
    points = points[~hole[picks]]
    clutter = body[rng.choice(len(body), 300)] + rng.uniform(0.2, 0.4, (300, 3))
    fitted = fit_displacement(body, faces, np.concatenate([points, clutter]))
    assert fitted.dtype == np.float32 and np.abs(fitted).max() <= MAX_OFFSET_M
    crown = on_scalp & (body[:, 2] > np.percentile(body[on_scalp, 2], 50))
    assert np.abs(fitted[crown] - 0.010).mean() < 0.002
    elsewhere = ~on_scalp & ~hole
    assert np.abs(fitted[elsewhere]).mean() < 0.001
    assert np.abs(fitted[hole]).max() < 0.004


def test_a_twin_s_displacement_is_on_every_body_posed_for_her(anny_model):
    """Renders (``pose_avatar``), drapes (``posed_geometry``: garments collide with it) and
    clips (``pose_body``) all pose the displaced body."""
    from dataclasses import replace

    from avatars.appearance.captured import Appearance, CapturedAppearance, appearance_digest
    from avatars.avatar import pose_avatar, pose_body
    from avatars.library import library
    from garments.body_regions import posed_geometry

    displacement = np.full(anny_model.vertex_count, 0.01, np.float32)
    data = CapturedAppearance(anny_model.name, None, displacement).to_bytes()
    plain = library()["f165-eu40"]
    twin = replace(plain, id="t-displaced", appearance=Appearance(appearance_digest(data), lambda: data))
    model, drawn = pose_avatar(twin)
    _, bare = pose_avatar(plain)
    lift = np.linalg.norm((drawn.vertices - bare.vertices)[0].numpy(), axis=1)
    _near(lift, 0.01)
    draped_on = posed_geometry(twin.sex, twin.shape, "a-pose", twin.appearance).vertices
    assert np.abs(draped_on - drawn.vertices[0].numpy()).max() < 1e-5
    walking = pose_body(model, twin, model.named_pose("t-pose")[None].repeat(2, 1, 1))
    _near(np.linalg.norm((walking.vertices - model.forward(
        torch.tensor(twin.shape), model.named_pose("t-pose")[None].repeat(2, 1, 1)).vertices).numpy(), axis=2),
        0.01)


def _near(lengths: np.ndarray, wanted: float) -> None:
    """Lengths of offsets carried by skinning: as wanted, a little less where bones blend
    (a blend of rotations is shorter than a rotation)."""
    assert np.percentile(np.abs(lengths - wanted), 90) < 1e-4 and lengths.max() < wanted * 1.001
    assert lengths.min() > wanted * 0.8
