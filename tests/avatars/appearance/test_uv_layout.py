"""The UV texel grid: coverage, barycentric coordinates, island padding."""

from __future__ import annotations

import numpy as np

from avatars.appearance.uv_layout import ISLAND_PADDING, rasterize_uv


def test_a_square_of_two_triangles_covers_every_texel_and_interpolates_exactly():
    uvs = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    uv_faces = np.array([[0, 1, 2], [0, 2, 3]])
    raster = rasterize_uv(uvs, uv_faces, 16)
    assert (raster.face >= 0).all()
    # a linear function of (u, v) at the corners comes back exactly at every texel centre
    corner_values = np.stack([uvs[uv_faces][..., 0] * 2.0 + uvs[uv_faces][..., 1] * 3.0], axis=-1)
    values = raster.interpolate(corner_values.astype(np.float32))[..., 0]
    centres = (np.arange(16) + 0.5) / 16
    u = centres[None, :]
    v = 1.0 - centres[:, None]  # row 0 is the top of the image, v = 1
    np.testing.assert_allclose(values, 2.0 * u + 3.0 * v, atol=1e-5)
    # texels above the diagonal u = v lie in the second triangle
    assert raster.face[0, 0] == 1 and raster.face[-1, -1] == 0


def test_islands_are_padded_and_the_rest_stays_empty():
    uvs = np.array([[0.25, 0.25], [0.5, 0.25], [0.25, 0.5]])  # one small triangle in a 64-texel grid
    raster = rasterize_uv(uvs, np.array([[0, 1, 2]]), 64)
    covered = raster.face >= 0
    rows, cols = np.nonzero(covered)
    # the triangle spans columns 16-32 and rows 32-48; padding reaches ISLAND_PADDING texels further
    assert cols.min() >= 16 - ISLAND_PADDING - 1 and cols.max() <= 32 + ISLAND_PADDING
    assert rows.max() <= 48 + ISLAND_PADDING
    assert not covered[0, 0] and not covered[-1, -1]
    np.testing.assert_allclose(raster.bary[covered].sum(axis=1), 1.0, atol=1e-6)
