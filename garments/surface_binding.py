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

from tryon.core.geometry import closest_on_surface

# Candidate triangles per query: the nearest few by centroid, plus every
# triangle around the nearest vertex. On a body mesh the true nearest
# triangle is among them for any point near the surface.
_NEAREST_CENTROIDS = 8


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
    vertices = np.asarray(body_vertices, dtype=np.float64)
    faces = np.asarray(body_faces, dtype=np.int64)
    face, bary, _ = closest_on_surface(points, vertices, faces, centroids=_NEAREST_CENTROIDS)
    return surface_points_at(face, bary, vertices, faces)


def surface_points_at(face: np.ndarray, bary: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                      pseudo_normals: np.ndarray | None = None) -> SurfacePoints:
    """The ``SurfacePoints`` at (N,) faces and (N, 3) barycentric coordinates of a mesh
    (vertices (V, 3), faces (F, 3)); ``pseudo_normals``: its ``vertex_pseudo_normals``, to reuse."""
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    normals = vertex_pseudo_normals(vertices, faces) if pseudo_normals is None else pseudo_normals
    point = np.einsum("nk,nkj->nj", bary, vertices[faces[face]])
    normal = _unit(np.einsum("nk,nkj->nj", bary, normals[faces[face]]))
    return SurfacePoints(face=face, bary=bary, point=point, normal=normal)


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


def vertex_pseudo_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
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
