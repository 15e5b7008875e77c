"""Triangulating an OBJ's quads and n-gons by ear clipping.

Garment exports are mostly quads (CLO, Marvelous Designer) with some
n-gons (Blender panels, darts); these can be concave, where a plain fan
makes overlapping triangles. Each polygon is flattened onto its plane
(Newell normal) and cut by earcut (``mapbox-earcut``), which gives n - 2
triangles from the polygon's own corners and adds no vertices; trimesh's OBJ
reader would fan them. Quads, the bulk of a file, are done at once with
numpy rather than one earcut call each: their one ear test is which
diagonal lies inside.
"""

from __future__ import annotations

import mapbox_earcut
import numpy as np


def triangulate(sizes: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Triangles of polygons whose corners are listed one polygon after another.

    sizes: (P,) int, corners of each polygon (3 or more); points: (C, 3)
    float, C = sizes.sum(), the corners' positions (any unit). Returns
    (sum(sizes - 2), 3) int64 indices into the C corners, polygon by polygon
    in order, each keeping its polygon's winding.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    parts, owners = [], []

    triangles = sizes == 3
    parts.append(starts[triangles, None] + np.arange(3))
    owners.append(np.flatnonzero(triangles))

    quads = np.flatnonzero(sizes == 4)
    if len(quads):
        corners = starts[quads, None] + np.arange(4)
        p = points[corners]  # (Q, 4, 3)
        normal = _newell(p)
        diagonal = p[:, 2] - p[:, 0]
        side1 = np.einsum("ij,ij->i", np.cross(diagonal, p[:, 1] - p[:, 0]), normal)
        side3 = np.einsum("ij,ij->i", np.cross(diagonal, p[:, 3] - p[:, 0]), normal)
        # Diagonal 0-2 is inside unless corner 1 or 3 is the reflex one.
        order = np.where(((side1 > 0) | (side3 < 0))[:, None],
                         [1, 2, 3, 1, 3, 0], [0, 1, 2, 0, 2, 3])
        parts.append(np.take_along_axis(corners, order, axis=1).reshape(-1, 3))
        owners.append(np.repeat(quads, 2))

    for polygon in np.flatnonzero(sizes > 4):  # rare: one at a time
        start = starts[polygon]
        local = ear_clip(points[start:start + sizes[polygon]])
        parts.append(local + start)
        owners.append(np.full(len(local), polygon))

    owner = np.concatenate(owners)
    result = np.concatenate(parts).astype(np.int64).reshape(-1, 3)
    return result[np.argsort(owner, kind="stable")]


def ear_clip(points: np.ndarray) -> np.ndarray:
    """(n - 2, 3) int64 triangles of one polygon, indices into points (n, 3).

    The polygon is flattened onto its plane and triangulated by earcut
    (mapbox's). A polygon that folds over itself or has no area, which earcut
    cannot cut, gets a fan from its first corner: still n - 2 triangles.
    """
    count = len(points)
    normal = _newell(points[None])[0]
    length = np.linalg.norm(normal)
    if length <= 1e-12 * max(np.ptp(points, axis=0).max(), 1e-30) ** 2:
        return _fan(count)
    normal /= length
    # An in-plane basis (u, v, normal) that is right-handed, so the polygon
    # runs counter-clockwise in (u, v).
    u = np.cross(normal, [1.0, 0.0, 0.0] if abs(normal[0]) < 0.9 else [0.0, 1.0, 0.0])
    u /= np.linalg.norm(u)
    flat = np.stack([points @ u, points @ np.cross(normal, u)], axis=1)
    triangles = mapbox_earcut.triangulate_float64(
        flat, np.array([count], dtype=np.uint32)).astype(np.int64).reshape(-1, 3)
    if len(triangles) != count - 2:
        return _fan(count)
    a, b, c = (flat[triangles[:, i]] for i in range(3))
    clockwise = ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1])
                 - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])) < 0
    triangles[clockwise] = triangles[clockwise][:, ::-1]  # the polygon's own winding
    return triangles


def _fan(count: int) -> np.ndarray:
    """(count - 2, 3) triangles fanning from corner 0."""
    i = np.arange(1, count - 1)
    return np.stack([np.zeros_like(i), i, i + 1], axis=1).astype(np.int64)


def _newell(points: np.ndarray) -> np.ndarray:
    """(P, 3) Newell normals of polygons points (P, n, 3): their area vectors, x2."""
    points = points - points.mean(axis=1, keepdims=True)  # exact far from the origin too
    following = np.roll(points, -1, axis=1)
    return np.cross(points, following).sum(axis=1)
