"""Baking a coloured scan's colours onto the body's UV layout, measured in CIEDE2000.

The scan is made here: points sampled on a real anny body with 1 mm of
noise, each coloured from a known texture (the painted skin of tone 6 with
blotches of lighter and darker skin, and brown hair over the scalp), with a
hole where a scanner saw nothing. The bake of those points onto the body
must give the known texture back.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from avatars.appearance.bake import bake_skin
from avatars.appearance.face_features import face_features
from avatars.appearance.skin_texture import skin_texture
from avatars.appearance.uv_layout import rasterize_uv
from avatars.hair.scalp import scalp
from tryon.core.colour import delta_e_2000 as delta_e

pytestmark = pytest.mark.slow  # the prepared body model

HAIR = (70, 46, 30)
TONE = 6


@pytest.fixture(scope="module")
def scene(anny_model):
    """(body (V, 3), truth texture (S, S, 3), points (N, 3), colours (N, 3), hole centre (3,))."""
    with torch.no_grad():
        body = anny_model.forward(anny_model.default_shape(), anny_model.named_pose("a-pose"))
    vertices = body.vertices[0].numpy().astype(np.float64)
    faces = np.asarray(anny_model.faces)
    features = face_features(anny_model)
    size = features.skin.shape[0]
    truth = skin_texture(anny_model, TONE).image.astype(np.float64)
    rows, cols = np.mgrid[0:size, 0:size]
    blotches = 1.0 + 0.08 * np.sin(cols / 23.0) * np.cos(rows / 31.0)  # lighter and darker skin
    truth[features.skin] *= blotches[features.skin][:, None]
    raster = rasterize_uv(features.uvs, anny_model.uv_faces, size, features.order)
    head = scalp(anny_model)
    on_scalp = np.isin(raster.face, head.faces) & features.skin
    truth[on_scalp] = HAIR
    truth = np.clip(np.round(truth), 0, 255).astype(np.uint8)

    rng = np.random.default_rng(7)
    corners = vertices[faces]
    area = 0.5 * np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1)
    face = rng.choice(len(faces), 250_000, p=area / area.sum())
    bary = rng.dirichlet(np.ones(3), len(face))
    points = np.einsum("nk,nkc->nc", bary, corners[face])
    uv = np.einsum("nk,nkc->nc", bary, features.uvs[anny_model.uv_faces[face]])
    texel_rows = np.clip(((1.0 - uv[:, 1]) * size).astype(int), 0, size - 1)
    texel_cols = np.clip((uv[:, 0] * size).astype(int), 0, size - 1)
    colours = truth[texel_rows, texel_cols]
    points = points + rng.normal(0.0, 0.001, points.shape)  # scanner noise
    hole = vertices[np.argmax(vertices[:, 1] * (np.abs(vertices[:, 2] - 1.2) < 0.05))]  # the back, at 1.2 m
    keep = np.linalg.norm(points - hole, axis=1) > 0.04
    return vertices, truth, points[keep], colours[keep], hole


def test_the_bake_gives_the_scan_s_colours_back(anny_model, scene):
    vertices, truth, points, colours, _ = scene
    baked = bake_skin(anny_model, vertices, points, colours, TONE)
    skin = face_features(anny_model).skin
    difference = delta_e(baked.texture.image[skin], truth[skin])
    assert np.mean(difference) < 3.0, np.mean(difference)
    assert np.percentile(difference, 90) < 6.0
    assert 0.9 < baked.seen < 1.0  # the hole, and the soles and crotch the points reach less
    # the painted eyes are kept: the texture is the painted one off the skin
    np.testing.assert_array_equal(baked.texture.image[~skin], skin_texture(anny_model, TONE).image[~skin])


def test_a_hole_takes_the_colour_of_the_skin_around_it(anny_model, scene):
    vertices, truth, points, colours, hole = scene
    baked = bake_skin(anny_model, vertices, points, colours, TONE)
    features = face_features(anny_model)
    raster = rasterize_uv(features.uvs, anny_model.uv_faces, features.skin.shape[0], features.order)
    texel_points = raster.interpolate(vertices[np.asarray(anny_model.faces)].astype(np.float32))
    in_hole = features.skin & (np.linalg.norm(texel_points - hole, axis=2) < 0.03)
    assert in_hole.sum() > 100
    assert np.mean(delta_e(baked.texture.image[in_hole], truth[in_hole])) < 8.0


def test_a_body_fitted_a_little_off_still_gets_its_colours(anny_model, scene):
    vertices, truth, points, colours, _ = scene
    from tryon.core.geometry import vertex_normals

    off = vertices + 0.002 * vertex_normals(vertices.astype(np.float32), anny_model.faces)  # 2 mm out
    baked = bake_skin(anny_model, off, points, colours, TONE)
    skin = face_features(anny_model).skin
    assert np.mean(delta_e(baked.texture.image[skin], truth[skin])) < 4.0
