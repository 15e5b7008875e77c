"""A coloured scan to a textured body, end to end: read, fit, bake, render; CIEDE2000 on skin pixels.

The issue's measure: the body rendered with the baked texture against the
true body rendered with the scan's true colours, from the same camera.
The scan is a synthetic one (``avatars.scans.synthetic``) whose points take
a known texture (``synthetic_skin``): the painted skin of a tone, with
lighter and darker blotches and a scalp of another colour.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from avatars.appearance.bake import bake_skin
from avatars.body_models.registry import get_body_model
from avatars.scans.fitting import fit_scan
from avatars.scans.reading import load_scan
from avatars.scans.synthetic import synthetic_scan, synthetic_skin
from tryon.core.colour import delta_e_2000
from tryon.render.renderer import get_renderer
from tryon.render.scene import body_scene

pytestmark = pytest.mark.slow  # the body model, a fit, renders

TONE = 4


def test_a_coloured_scan_becomes_a_body_with_its_colours():
    model = get_body_model("female")
    truth = synthetic_skin(model, TONE, seed=3)
    made = synthetic_scan(model, seed=11, sex="female", points=120_000, noise_m=0.002,
                          file_format="ply", units="mm", y_up=True, skin=truth)
    scan = load_scan(made.data, made.filename)
    assert scan.colours is not None
    fit = fit_scan(scan, "female", model)
    with torch.no_grad():
        posed = model.forward(torch.tensor(fit.shape), fit.pose[None]).vertices[0].numpy()
    posed = posed.astype(np.float64)
    placed = posed @ fit.placement[:3, :3].T + fit.placement[:3, 3]
    baked = bake_skin(model, placed, scan.points, scan.colours, TONE)
    assert baked.seen > 0.85

    # both bodies in the A-pose, same camera: the true body in its colours, the fitted one baked
    pose = model.named_pose("a-pose")[None]
    with torch.no_grad():
        true_body = model.forward(made.shape, pose)
        fitted = model.forward(torch.tensor(fit.shape), pose)
    renders, masks = [], []
    for body, skin in ((true_body, truth), (fitted, baked.texture)):
        vertices, joints = body.vertices[0].numpy(), body.joints[0].numpy()
        scene = body_scene(vertices, model.faces, joints, model.landmarks, model.arm_vertex_mask(), TONE,
                           0.0, 2 / 3, (255, 255, 255), skin=skin)
        renders.append(get_renderer().render(scene, 256, 384)[..., :3].astype(int))
        bare = body_scene(vertices, model.faces, joints, model.landmarks, model.arm_vertex_mask(), 1,
                          0.0, 2 / 3, (255, 255, 255))
        masks.append(get_renderer().render(bare, 256, 384)[..., :3].astype(int))
    # skin pixels: where both flat tone-1 renders show skin (not the base outfit, not the background)
    tone_1 = np.array([246, 237, 228])
    skin = np.ones(renders[0].shape[:2], bool)
    for mask in masks:
        skin &= (np.abs(mask - tone_1).sum(axis=2) < 200) & (mask.sum(axis=2) > 400) & (mask.sum(axis=2) < 760)
    assert skin.sum() > 2000
    difference = delta_e_2000(renders[0][skin], renders[1][skin])
    assert np.mean(difference) < 5.0, np.mean(difference)
