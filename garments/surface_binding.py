"""Binding points to a body surface, and placing them on another body.

A point is bound to its nearest point on the body surface: the triangle, the
barycentric coordinates of the nearest point in it, and the offset from that
point expressed in the triangle's own frame (mostly along its normal; the
tangential part is non-zero only where the nearest point lies on an edge or a
corner). Placing evaluates the same triangle, coordinates and offset on
another body of the same topology (every avatar of one body model), so
``place(bind(p, body), body)`` gives back ``p`` exactly, and a garment follows
its body from one size, shape or pose to another.

All lengths are metres. Shapes: points (N, 3), body vertices (V, 3), body
faces (F, 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.spatial import cKDTree

# Candidate triangles per query: the nearest few by centroid, plus every
# triangle around the nearest vertex. On a body mesh the true nearest
# triangle is among them for any point near the surface.
_NEAREST_CENTROIDS = 8
_CHUNK = 16384  # queries per batch: bounds memory for large garments


@dataclass(frozen=True)
class Binding:
    """Points attached to a body surface.

    face: (N,) int64 triangle index; bary: (N, 3) barycentric coordinates of
    the nearest surface point in that triangle; offset: (N, 3) metres from
    that surface point to the bound point, in the triangle frame (edge
    tangent, bitangent, normal): ``offset[:, 2]`` is the distance along the
    outward normal.
    """

    face: np.ndarray
    bary: np.ndarray
    offset: np.ndarray


class SurfacePoints(NamedTuple):
    """Nearest surface points of queries: face (N,), bary (N, 3), point (N, 3)
    metres, normal (N, 3) unit outward pseudo-normal at the point."""

    face: np.ndarray
    bary: np.ndarray
    point: np.ndarray
    normal: np.ndarray


def bind(points, body_vertices, body_faces) -> Binding:
    """Bind (N, 3) points to the body surface (V, 3) / (F, 3)."""
    points = np.asarray(points, dtype=np.float64)
    nearest = nearest_surface_points(points, body_vertices, body_faces)
    frames = triangle_frames(body_vertices, np.asarray(body_faces)[nearest.face])
    offset = np.einsum("nij,nj->ni", frames, points - nearest.point)
    return Binding(face=nearest.face, bary=nearest.bary, offset=offset)


def place(binding: Binding, body_vertices, body_faces) -> np.ndarray:
    """(N, 3) positions of bound points on a body of the binding's topology."""
    vertices = np.asarray(body_vertices, dtype=np.float64)
    faces = np.asarray(body_faces)[binding.face]  # (N, 3): each point's triangle
    surface = np.einsum("nk,nkj->nj", binding.bary, vertices[faces])
    frames = triangle_frames(vertices, faces)
    return surface + np.einsum("nij,ni->nj", frames, binding.offset)


def signed_distance(points, surface: SurfacePoints) -> np.ndarray:
    """(N,) metres from the surface, negative inside the body.

    The sign comes from the angle-weighted pseudo-normal at the nearest point,
    which is correct at corners too (Bærentzen and Aanæs, 2005) and close to
    it on edges.
    """
    delta = np.asarray(points, dtype=np.float64) - surface.point
    inside = np.einsum("ij,ij->i", delta, surface.normal) < 0
    return np.where(inside, -1.0, 1.0) * np.linalg.norm(delta, axis=1)


def nearest_surface_points(points, body_vertices, body_faces) -> SurfacePoints:
    """Nearest point on a triangle mesh for each of (N, 3) query points."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    vertices = np.asarray(body_vertices, dtype=np.float64)
    faces = np.asarray(body_faces, dtype=np.int64)
    triangles = vertices[faces]  # (F, 3, 3)

    k = min(_NEAREST_CENTROIDS, len(faces))
    _, by_centroid = cKDTree(triangles.mean(axis=1)).query(points, k=k)
    by_centroid = np.asarray(by_centroid).reshape(len(points), k)
    _, nearest_vertex = cKDTree(vertices).query(points)
    candidates = np.concatenate(
        [by_centroid, _faces_around(faces, len(vertices))[nearest_vertex]], axis=1)
    candidates = np.where(candidates >= 0, candidates, by_centroid[:, :1])  # pad with a real one

    face = np.empty(len(points), dtype=np.int64)
    bary = np.empty((len(points), 3))
    for chunk in np.array_split(np.arange(len(points)), max(1, len(points) // _CHUNK)):
        face[chunk], bary[chunk] = _nearest_candidate(points[chunk], triangles, candidates[chunk])
    point = np.einsum("nk,nkj->nj", bary, triangles[face])
    corner_normals = _vertex_pseudo_normals(vertices, faces)[faces[face]]
    normal = _unit(np.einsum("nk,nkj->nj", bary, corner_normals))
    return SurfacePoints(face=face, bary=bary, point=point, normal=normal)


def _nearest_candidate(points, triangles, candidates):
    """(face (n,), bary (n, 3)) of the nearest of (n, C) candidate triangles."""
    corners = triangles[candidates]  # (n, C, 3, 3)
    bary = _closest_on_triangles(points[:, None, :], corners)
    closest = np.einsum("nck,nckj->ncj", bary, corners)
    best = np.argmin(np.linalg.norm(closest - points[:, None, :], axis=2), axis=1)
    rows = np.arange(len(points))
    return candidates[rows, best], bary[rows, best]


def triangle_frames(vertices, faces) -> np.ndarray:
    """(F, 3, 3) orthonormal frames of (F, 3) triangles, rows (edge tangent,
    bitangent, normal).

    The tangent follows the triangle's first edge, so the frame turns with
    the triangle when the body changes shape or pose.
    """
    triangles = np.asarray(vertices, dtype=np.float64)[np.asarray(faces)]
    tangent = _unit(triangles[:, 1] - triangles[:, 0])
    normal = _unit(np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]))
    return np.stack([tangent, np.cross(normal, tangent), normal], axis=1)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _faces_around(faces: np.ndarray, vertex_count: int) -> np.ndarray:
    """(V, M) triangles around each vertex, padded with -1."""
    corner_vertex = faces.reshape(-1)
    corner_face = np.repeat(np.arange(len(faces)), 3)
    order = np.argsort(corner_vertex, kind="stable")
    corner_vertex, corner_face = corner_vertex[order], corner_face[order]
    counts = np.bincount(corner_vertex, minlength=vertex_count)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(len(corner_vertex)) - starts[corner_vertex]
    around = np.full((vertex_count, max(int(counts.max()), 1)), -1, dtype=np.int64)
    around[corner_vertex, slot] = corner_face
    return around


def _vertex_pseudo_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V, 3) unit vertex normals, each face weighted by its corner angle."""
    triangles = vertices[faces]
    face_normal = _unit(np.cross(triangles[:, 1] - triangles[:, 0],
                                 triangles[:, 2] - triangles[:, 0]))
    normals = np.zeros_like(vertices)
    for corner in range(3):
        a = _unit(triangles[:, (corner + 1) % 3] - triangles[:, corner])
        b = _unit(triangles[:, (corner + 2) % 3] - triangles[:, corner])
        angle = np.arccos(np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0))
        np.add.at(normals, faces[:, corner], face_normal * angle[:, None])
    return _unit(normals)


def _closest_on_triangles(p: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Barycentric coordinates (..., 3) of the point of each triangle nearest p.

    p: (..., 3), triangles: (..., 3, 3). Ericson, Real-Time Collision
    Detection, 5.1.5, vectorised: the first region that holds wins.
    """
    a, b, c = triangles[..., 0, :], triangles[..., 1, :], triangles[..., 2, :]
    ab, ac = b - a, c - a
    ap, bp, cp = p - a, p - b, p - c
    d1, d2 = _dot(ab, ap), _dot(ac, ap)
    d3, d4 = _dot(ab, bp), _dot(ac, bp)
    d5, d6 = _dot(ab, cp), _dot(ac, cp)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2

    with np.errstate(divide="ignore", invalid="ignore"):
        t_ab = d1 / (d1 - d3)
        t_ac = d2 / (d2 - d6)
        t_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        total = va + vb + vc
        v_in, w_in = vb / total, vc / total
    zero, one = np.zeros_like(d1), np.ones_like(d1)
    regions = [
        (d1 <= 0) & (d2 <= 0),  # corner a
        (d3 >= 0) & (d4 <= d3),  # corner b
        (vc <= 0) & (d1 >= 0) & (d3 <= 0),  # edge ab
        (d6 >= 0) & (d5 <= d6),  # corner c
        (vb <= 0) & (d2 >= 0) & (d6 <= 0),  # edge ac
        (va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0),  # edge bc
    ]
    v = np.select(regions, [zero, one, t_ab, zero, zero, 1 - t_bc], v_in)
    w = np.select(regions, [zero, zero, zero, one, t_ac, t_bc], w_in)
    bary = np.stack([1 - v - w, v, w], axis=-1)
    # A degenerate (zero-area) triangle: fall back to its first corner.
    return np.where(np.isfinite(bary).all(axis=-1, keepdims=True), bary, [1.0, 0.0, 0.0])


def _dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.einsum("...j,...j->...", x, y)
