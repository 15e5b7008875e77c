import math

import numpy as np
import pytest
import torch
import trimesh

from avatars.measurements import (
    convex_girth, horizontal_sections, measure_shapes, measurer_for, unique_edges,
)


def ellipse_perimeter(a, b):
    """Ramanujan's second approximation (relative error < 1e-9 here)."""
    h = ((a - b) / (a + b)) ** 2
    return math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))


@pytest.mark.parametrize("a,b", [(0.15, 0.10), (0.20, 0.20), (0.18, 0.07)])
def test_girth_of_elliptic_cylinder(a, b):
    cylinder = trimesh.creation.cylinder(radius=1.0, height=1.0, sections=720)
    vertices = cylinder.vertices * [a, b, 1.0]
    heights = np.array([-0.3, 0.0, 0.25])
    for points in horizontal_sections(vertices, unique_edges(cylinder.faces), heights):
        assert convex_girth(points) == pytest.approx(ellipse_perimeter(a, b), rel=2e-4)


def test_plane_above_mesh_has_no_section():
    box = trimesh.creation.box()
    (points,) = horizontal_sections(box.vertices, unique_edges(box.faces), np.array([2.0]))
    assert len(points) == 0 and convex_girth(points) == 0.0


def _shape(model, **phenotypes):
    shape = model.default_shape().clone()
    for name, value in phenotypes.items():
        shape[model.shape_names.index(name)] = value
    return shape


@pytest.mark.slow
def test_default_body_has_plausible_adult_measurements(anny_model):
    (m,) = measure_shapes(anny_model, anny_model.default_shape()[None], breasts=False)
    assert 160 < m.stature < 200
    assert m.hip_girth > m.waist_girth and m.chest_girth > m.waist_girth
    assert 0.4 < m.inseam / m.stature < 0.52  # adults: inseam is 45-48 % of stature
    assert 30 < m.shoulder_width < 50 and 40 < m.arm_length < 70


@pytest.mark.slow
def test_measurements_follow_the_body(anny_model):
    short, tall = measure_shapes(
        anny_model, torch.stack([_shape(anny_model, height=0.3), _shape(anny_model, height=0.7)]), False
    )
    assert tall.stature > short.stature + 10 and tall.inseam > short.inseam + 5
    assert tall.arm_length > short.arm_length
    thin, heavy = measure_shapes(
        anny_model, torch.stack([_shape(anny_model, weight=0.1), _shape(anny_model, weight=0.9)]), False
    )
    assert heavy.waist_girth > thin.waist_girth + 3 and heavy.hip_girth > thin.hip_girth + 3
    assert heavy.stature == pytest.approx(thin.stature, abs=1.0)


@pytest.mark.slow
def test_under_bust_only_on_bodies_with_breasts(anny_model):
    woman = _shape(anny_model, gender=1.0)
    (with_breasts,) = measure_shapes(anny_model, woman[None], breasts=True)
    (without,) = measure_shapes(anny_model, woman[None], breasts=False)
    assert without.under_bust_girth is None
    assert with_breasts.waist_girth < with_breasts.under_bust_girth < with_breasts.chest_girth


@pytest.mark.slow
def test_arms_do_not_count_in_girths(anny_model):
    """Girths are the torso's: with the hands hanging at hip level (relaxed
    pose) waist and hips measure as in the A-pose."""
    shape = anny_model.default_shape()
    measurer = measurer_for(anny_model)
    results = []
    for pose in ("a-pose", "relaxed"):
        out = anny_model.forward(shape, anny_model.named_pose(pose))
        results.append(measurer.measure(
            out.vertices[0].detach().numpy(), out.joints[0].detach().numpy(),
            anny_model.landmarks, breasts=False,
        ))
    a_pose, relaxed = results
    for field in ("waist_girth", "hip_girth"):
        assert getattr(relaxed, field) == pytest.approx(getattr(a_pose, field), abs=1.0)
