"""Binding points to a body surface and placing them on another body."""

from __future__ import annotations

import pytest

import numpy as np

from garments.mannequin import mannequin_mesh
from garments.surface_binding import (
    bind, nearest_surface_points, place, signed_distance, triangle_frames,
)
from tests.garments.garment_files import torso_tube

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


def _points_near(body, count, seed=0):
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(body.vertices), count)
    offset = rng.uniform(-0.01, 0.05, (count, 1))
    jitter = rng.normal(0, 0.003, (count, 3))
    return body.vertices[index] + offset * body.vertex_normals[index] + jitter


def test_nearest_points_are_nearest(mannequin_m):
    points = _points_near(mannequin_m, 60)
    nearest = nearest_surface_points(points, mannequin_m.vertices, mannequin_m.faces)
    found = np.linalg.norm(nearest.point - points, axis=1)

    # Brute force over a dense sampling of every triangle: no sample is nearer.
    s, t = np.meshgrid(np.linspace(0, 1, 7), np.linspace(0, 1, 7))
    s, t = s[(s + t) <= 1], t[(s + t) <= 1]
    sampled = np.full(len(points), np.inf)
    for chunk in np.array_split(mannequin_m.triangles, 60):
        a, ab, ac = chunk[:, 0], chunk[:, 1] - chunk[:, 0], chunk[:, 2] - chunk[:, 0]
        samples = (a[:, None] + s[None, :, None] * ab[:, None] + t[None, :, None] * ac[:, None])
        distance = np.linalg.norm(points[:, None] - samples.reshape(1, -1, 3), axis=2)
        sampled = np.minimum(sampled, distance.min(axis=1))
    assert (found <= sampled + 1e-12).all()
    assert np.allclose(nearest.bary.sum(axis=1), 1.0) and (nearest.bary >= -1e-12).all()
    corners = mannequin_m.vertices[mannequin_m.faces[nearest.face]]
    np.testing.assert_allclose(np.einsum("nk,nkj->nj", nearest.bary, corners), nearest.point)


def test_bind_then_place_on_the_same_body_is_exact(mannequin_m):
    points = _points_near(mannequin_m, 2000)
    binding = bind(points, mannequin_m.vertices, mannequin_m.faces)
    np.testing.assert_allclose(place(binding, mannequin_m.vertices, mannequin_m.faces), points,
                               atol=1e-12)


def test_placed_points_follow_a_larger_body(mannequin_m, tube):
    vertices, _ = tube
    larger = mannequin_mesh("women", "XL")
    binding = bind(vertices, mannequin_m.vertices, mannequin_m.faces)
    moved = place(binding, larger.vertices, larger.faces)
    # Same ease over the larger body: the distance along the normal is kept
    # (a point may now be nearest another triangle, hence the quantile).
    after = bind(moved, larger.vertices, larger.faces)
    change = np.abs(after.offset[:, 2] - binding.offset[:, 2])
    assert np.median(change) < 5e-4 and np.quantile(change, 0.99) < 3e-3
    def radius(v):
        return np.linalg.norm(v[:, :2] - v[:, :2].mean(axis=0), axis=1).mean()

    assert radius(moved) > radius(vertices) + 0.01


def test_signed_distance_is_negative_inside(mannequin_m):
    body = (mannequin_m.vertices, mannequin_m.faces)
    for offset in (0.015, -0.03):
        points, _ = torso_tube(mannequin_m, offset)
        distance = signed_distance(points, nearest_surface_points(points, *body))
        assert (np.sign(distance) == np.sign(offset)).all()
        assert np.median(np.abs(distance - offset)) < 2e-3


def test_triangle_frames_are_orthonormal(mannequin_m):
    frames = triangle_frames(mannequin_m.vertices, mannequin_m.faces)
    identity = np.broadcast_to(np.eye(3), frames.shape)
    np.testing.assert_allclose(frames @ frames.transpose(0, 2, 1), identity, atol=1e-9)
