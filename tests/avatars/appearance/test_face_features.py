"""Where the face's features lie on anny: on the eyeballs, above the eyes, around the mouth."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
import torch
from scipy.sparse import csgraph

from avatars.appearance.face_features import TEXTURE_SIZE, face_features
from avatars.appearance.uv_layout import rasterize_uv

pytestmark = pytest.mark.slow  # the prepared body model


@pytest.fixture(scope="module")
def layout(anny_model):
    """The features, the template body's point under each texel (S, S, 3) and its eye centres."""
    with torch.no_grad():
        body = anny_model.forward(anny_model.default_shape())
    vertices = body.vertices[0].numpy()
    joints = body.joints[0].numpy()
    features = face_features(anny_model)
    raster = rasterize_uv(features.uvs, anny_model.uv_faces, TEXTURE_SIZE)
    points = raster.interpolate(vertices[anny_model.faces])
    eyes = [joints[anny_model.bone_names.index(name)] for name in ("eye.L", "eye.R")]
    return features, points, eyes


def _where(mask: np.ndarray, points: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    return points[mask > threshold]


def _sample(mask: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Nearest-texel values of an (S, S) mask at (K, 2) texture coordinates."""
    size = mask.shape[0]
    cols = np.clip((uv[:, 0] * size).astype(int), 0, size - 1)
    rows = np.clip(((1.0 - uv[:, 1]) * size).astype(int), 0, size - 1)
    return mask[rows, cols]


def test_each_eyeball_shows_a_pupil_and_iris_in_front_and_white_around_them(layout, anny_model):
    features, _, eyes = layout
    with torch.no_grad():
        vertices = anny_model.forward(anny_model.default_shape()).vertices[0].numpy()
    corner_vertex = np.zeros(len(features.uvs), np.int64)
    corner_vertex[anny_model.uv_faces] = anny_model.faces
    faces = anny_model.faces
    edges = scipy.sparse.coo_matrix((np.ones(faces.size), (faces.ravel(), np.roll(faces, 1, axis=1).ravel())),
                                    shape=(len(vertices), len(vertices)))
    parts = csgraph.connected_components(edges, directed=False)[1]
    skin = np.bincount(parts).argmax()
    for eye in eyes:
        near = np.linalg.norm(vertices[corner_vertex] - eye, axis=1) < 0.02
        on_eye = np.flatnonzero(near & (parts[corner_vertex] != skin))  # the eyeball, not the lids
        direction = vertices[corner_vertex[on_eye]] - eye
        forward = -direction[:, 1] / np.linalg.norm(direction, axis=1)  # cos of the angle from -Y
        front = on_eye[forward > 0.99]  # round the pole of the eyeball, within 8 degrees
        side = on_eye[(forward < 0.5) & (forward > -0.5)]  # round its equator
        assert len(front) and len(side) > 4
        assert (_sample(features.pupil, features.uvs[front]) > 0.9).all()
        assert (_sample(features.iris, features.uvs[front]) > 0.9).all()
        assert (_sample(features.iris, features.uvs[side]) < 0.1).all()
        assert (_sample(features.sclera, features.uvs[side]) > 0.9).all()
    # the pupil lies inside the iris, the iris inside the white of the eye, and
    # the iris is laid out large enough to be sharp (not the 7 texels of anny's own layout)
    assert (features.pupil <= features.iris + 1e-6).all() and (features.iris <= features.sclera + 1e-6).all()
    assert 40 < (features.pupil > 0.5).sum() < (features.iris > 0.5).sum() < (features.sclera > 0.5).sum()
    assert (features.iris > 0.5).sum() > 400


def test_a_brow_arches_above_each_eye_and_nowhere_else(layout):
    features, points, eyes = layout
    brow = _where(features.brow, points)
    for eye in eyes:
        mine = brow[np.linalg.norm(brow[:, [0, 2]] - eye[[0, 2]], axis=1) < 0.04]
        assert len(mine) > 50
        height = mine[:, 2] - eye[2]
        assert 0.012 < np.median(height) < 0.025
        assert np.ptp(mine[:, 0]) > 0.025  # it spans the eye
        assert (mine[:, 1] < eye[1]).all()  # on the front of the face
    far = np.min([np.linalg.norm(brow - eye, axis=1) for eye in eyes], axis=0)
    assert far.max() < 0.04


def test_the_lips_lie_around_the_mouth_below_the_nose(layout):
    features, points, eyes = layout
    lips = _where(features.lips, points)
    centre = np.mean(eyes, axis=0)
    assert len(lips) > 100
    below = centre[2] - lips[:, 2]
    assert 0.05 < np.median(below) < 0.09
    assert abs(np.median(lips[:, 0])) < 0.003  # centred
    assert 0.035 < np.ptp(lips[:, 0]) < 0.055  # a mouth's width
    assert (lips[:, 1] < centre[1]).all()
