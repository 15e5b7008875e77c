"""A body model's UV layout as a texel grid: which triangle covers each texel, and where in it.

Texel (row r, column c) of an S x S texture has its centre at
u = (c + 0.5) / S, v = 1 - (r + 0.5) / S: row 0 is the top of the image,
v = 1, as glTF viewers and pyrender read an image (pyrender uploads the
bottom row first). Every texture painted or baked on a body
(``avatars.appearance.face_features``) is computed per texel from this grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

# Texels around every UV island filled from the island's edge: a texture is
# sampled with bilinear filtering and mipmaps, so texels just outside an
# island bleed into it at its seams.
ISLAND_PADDING = 4


@dataclass(frozen=True)
class UvRaster:
    """face: (S, S) int32 triangle under each texel (-1 outside every island);
    bary: (S, S, 3) float32 barycentric coordinates of the texel centre in it
    (clipped to the triangle where a texel only touches it)."""

    face: np.ndarray
    bary: np.ndarray

    def interpolate(self, corner_values: np.ndarray) -> np.ndarray:
        """(S, S, C) values at the texels from (F, 3, C) values at each triangle's corners
        (zero outside the islands)."""
        covered = self.face >= 0
        out = np.zeros((*self.face.shape, corner_values.shape[-1]), np.float32)
        corners = corner_values[self.face[covered]]  # (K, 3, C)
        out[covered] = np.einsum("kj,kjc->kc", self.bary[covered], corners)
        return out


def rasterize_uv(uvs: np.ndarray, uv_faces: np.ndarray, size: int, order: np.ndarray | None = None) -> UvRaster:
    """The texel grid of a UV layout. uvs: (T, 2) in [0, 1]; uv_faces: (F, 3) indices into uvs;
    order: (F,) the order the triangles are drawn in (where they overlap, the last drawn
    holds the texel); None: index order.

    Pillow fills each triangle with its index (24-bit RGB): a scanline fill
    in C, where a Python loop over 27k triangles would take seconds.
    """
    uvs = np.asarray(uvs, np.float64)
    uv_faces = np.asarray(uv_faces, np.int64)
    if len(uv_faces) >= 2**24 - 1:
        raise ValueError(f"at most {2**24 - 2} triangles, got {len(uv_faces)}")
    pixels = np.column_stack([uvs[:, 0] * size, (1.0 - uvs[:, 1]) * size])
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    order = np.arange(len(uv_faces)) if order is None else np.asarray(order, np.int64)
    for index, triangle in zip(order, pixels[uv_faces[order]]):
        label = int(index) + 1
        draw.polygon([tuple(p) for p in triangle], fill=(label >> 16, (label >> 8) & 255, label & 255))
    rgb = np.asarray(image).astype(np.int64)
    face = ((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]) - 1
    face[face >= len(uv_faces)] = -1  # the white background
    face = _pad_islands(face)
    bary = _barycentric(pixels, uv_faces, face, size)
    return UvRaster(face=face.astype(np.int32), bary=bary)


def free_disk(face: np.ndarray) -> tuple[float, float, float]:
    """(column, row, radius) in texels of the largest empty disk of a raster's ``face``
    grid, clear of every island's padding and of the image's border."""
    empty = np.pad(face < 0, 1, constant_values=False)
    distance = ndimage.distance_transform_edt(empty)[1:-1, 1:-1]
    row, col = np.unravel_index(int(distance.argmax()), distance.shape)
    return col + 0.5, row + 0.5, float(distance[row, col])


def _pad_islands(face: np.ndarray) -> np.ndarray:
    """Texels within ISLAND_PADDING of an island take its nearest texel's triangle."""
    empty = face < 0
    distance, (rows, cols) = ndimage.distance_transform_edt(empty, return_indices=True)
    padded = face[rows, cols]
    return np.where(empty & (distance > ISLAND_PADDING), -1, padded)


def _barycentric(pixels: np.ndarray, uv_faces: np.ndarray, face: np.ndarray, size: int) -> np.ndarray:
    """(S, S, 3) coordinates of each texel centre in its triangle. A texel on an
    edge may carry its neighbour's label (a polygon fill covers its border
    texels): where the centre lies outside its triangle, the triangle of the
    3 x 3 neighbourhood that holds it best is taken (``face`` is updated)."""
    rows, cols = np.nonzero(face >= 0)
    point = np.column_stack([cols + 0.5, rows + 0.5])
    weights = _weights(pixels[uv_faces[face[rows, cols]]], point)
    outside = np.flatnonzero(weights.min(axis=1) < -1e-6)
    best = weights[outside].min(axis=1)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            r = np.clip(rows[outside] + dr, 0, size - 1)
            c = np.clip(cols[outside] + dc, 0, size - 1)
            candidate = face[r, c]
            w = _weights(pixels[uv_faces[np.maximum(candidate, 0)]], point[outside])
            better = (candidate >= 0) & (w.min(axis=1) > best)
            best[better] = w[better].min(axis=1)
            weights[outside[better]] = w[better]
            face[rows[outside[better]], cols[outside[better]]] = candidate[better]
    weights = np.clip(weights, 0.0, None)
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
    bary = np.zeros((size, size, 3), np.float32)
    bary[rows, cols] = weights
    return bary


def _weights(corners: np.ndarray, point: np.ndarray) -> np.ndarray:
    """(K, 3) barycentric coordinates of (K, 2) points in (K, 3, 2) triangles (negative outside)."""
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    v0, v1, v2 = b - a, c - a, point - a
    det = v0[:, 0] * v1[:, 1] - v0[:, 1] * v1[:, 0]
    det = np.where(np.abs(det) < 1e-12, 1e-12, det)
    beta = (v2[:, 0] * v1[:, 1] - v2[:, 1] * v1[:, 0]) / det
    gamma = (v0[:, 0] * v2[:, 1] - v0[:, 1] * v2[:, 0]) / det
    return np.column_stack([1.0 - beta - gamma, beta, gamma])
