"""A body as the cloth collides with it: a Warp BVH, cached per body.

Metres; Z-up. Inside and outside come from the angle-weighted normals at
the nearest point of the body surface (``tryon.cloth.kernels.outward_contact``); the
exact passes and measures are this module's kernels.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from tryon.cloth.kernels import outward_contact, wp

CONTACT_REACH = 0.5  # m: the exact searches, for vertices that start deep inside
NEAREST_REACH = 1.0e3  # m: nearest points anywhere
SETTLED_DEPTH = wp.constant(1.0e-6)  # m: a push-out pass that moves no vertex further moved none
COLLIDERS_KEPT = 4  # bodies whose collider the cache keeps


class BodyCollider:
    """A body mesh as Warp BVH, built once and reused for every garment on it.

    vertices: (V, 3) metres; faces: (F, 3), wound counter-clockwise seen from
    outside; the mesh should be closed, as inside/outside comes from the
    angle-weighted normals at the nearest point.
    """

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, device=None):
        self.device = wp.get_device(device) if device is not None else wp.get_preferred_device()
        self.points = wp.array(np.asarray(vertices, dtype=np.float32), dtype=wp.vec3, device=self.device)
        # m/s of each vertex, for a moving body (``tryon.cloth.dynamics``); zero otherwise
        self.velocities = wp.zeros_like(self.points)
        self._indices = wp.array(np.asarray(faces, dtype=np.int32).ravel(), dtype=wp.int32, device=self.device)
        self.mesh = wp.Mesh(points=self.points, indices=self._indices, velocities=self.velocities)

    @classmethod
    def cached(cls, vertices: np.ndarray, faces: np.ndarray) -> BodyCollider:
        """The collider of this body, from a small cache keyed by the mesh's bytes."""
        vertices = np.ascontiguousarray(vertices, dtype=np.float32)
        faces = np.ascontiguousarray(faces, dtype=np.int32)
        key = hashlib.blake2b(vertices.tobytes() + faces.tobytes(), digest_size=16).digest()
        with _COLLIDERS_LOCK:
            collider = _COLLIDERS.pop(key, None) or cls(vertices, faces)
            _COLLIDERS[key] = collider  # most recently used last
            while len(_COLLIDERS) > COLLIDERS_KEPT:
                _COLLIDERS.popitem(last=False)
        return collider

    def push_out(self, x: wp.array, inv_mass: wp.array, thickness: float) -> int:
        """Move every free vertex of ``x`` to at least ``thickness`` outside the body; how many moved."""
        moved = wp.zeros(1, dtype=wp.int32, device=self.device)
        wp.launch(push_out, dim=len(x), inputs=[self.mesh.id, x, inv_mass, thickness, CONTACT_REACH, moved],
                  device=self.device)
        return int(moved.numpy()[0])

    def faces_under(self, x: wp.array, depth: float = 1.0e-3) -> np.ndarray:
        """Indices of the triangles nearest to the vertices of ``x`` more than ``depth`` m inside the body."""
        face = wp.full(len(x), -1, dtype=wp.int32, device=self.device)
        wp.launch(faces_under, dim=len(x), inputs=[self.mesh.id, x, CONTACT_REACH, depth, face],
                  device=self.device)
        face = face.numpy()
        return face[face >= 0]

    def nearest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(face (N,), barycentric coordinates (N, 3)) of the body surface point nearest
        each of (N, 3) points, metres, wherever they are: the BVH's exact answer."""
        x = wp.array(np.asarray(points, dtype=np.float32), dtype=wp.vec3, device=self.device)
        face = wp.zeros(len(x), dtype=wp.int32, device=self.device)
        uv = wp.zeros(len(x), dtype=wp.vec2, device=self.device)
        wp.launch(nearest_points, dim=len(x), inputs=[self.mesh.id, x, NEAREST_REACH, face, uv],
                  device=self.device)
        uv = uv.numpy().astype(np.float64)
        # Warp's (u, v) weigh the first two corners: point = u p0 + v p1 + (1 - u - v) p2
        return face.numpy().astype(np.int64), np.column_stack([uv, 1.0 - uv.sum(axis=1)])

    def max_penetration(self, x: wp.array) -> float:
        """How deep the deepest vertex of ``x`` lies inside the body, metres."""
        out = wp.zeros(1, dtype=float, device=self.device)
        wp.launch(measure_penetration, dim=len(x), inputs=[self.mesh.id, x, CONTACT_REACH, out],
                  device=self.device)
        return float(out.numpy()[0])


_COLLIDERS: OrderedDict[bytes, BodyCollider] = OrderedDict()
_COLLIDERS_LOCK = threading.Lock()


@wp.kernel
def push_out(
    mesh: wp.uint64,
    x: wp.array[wp.vec3],
    inv_mass: wp.array[float],
    thickness: float,
    max_dist: float,
    moved: wp.array[wp.int32],
):
    """Exact collision pass against the body mesh itself (no tangent planes); ``moved[0]``
    counts the vertices it moved by more than SETTLED_DEPTH."""
    i = wp.tid()
    if inv_mass[i] == 0.0:
        return
    found, point, normal = outward_contact(mesh, x[i], max_dist)
    if found:
        depth = thickness - wp.dot(x[i] - point, normal)
        if depth > 0.0:
            x[i] = x[i] + normal * depth
            if depth > SETTLED_DEPTH:  # float rounding leaves some a hair inside on every pass
                wp.atomic_add(moved, 0, 1)


@wp.kernel
def faces_under(mesh: wp.uint64, x: wp.array[wp.vec3], max_dist: float, depth: float, face: wp.array[wp.int32]):
    """``face[i]``: the body triangle nearest to vertex i where it lies more than ``depth`` inside, else unchanged."""
    i = wp.tid()
    query = wp.mesh_query_point_sign_normal(mesh, x[i], max_dist)
    if query.result and query.sign < 0.0:
        point = wp.mesh_eval_position(mesh, query.face, query.u, query.v)
        if wp.length(x[i] - point) > depth:
            face[i] = query.face


@wp.kernel
def nearest_points(mesh: wp.uint64, x: wp.array[wp.vec3], max_dist: float, face: wp.array[wp.int32],
                   uv: wp.array[wp.vec2]):
    """``face[i]``, ``uv[i]``: where on the body the point nearest to ``x[i]`` lies."""
    i = wp.tid()
    query = wp.mesh_query_point_no_sign(mesh, x[i], max_dist)
    face[i] = query.face
    uv[i] = wp.vec2(query.u, query.v)


@wp.kernel
def measure_penetration(mesh: wp.uint64, x: wp.array[wp.vec3], max_dist: float, penetration: wp.array[float]):
    """``penetration[0]``: the deepest any vertex lies inside the body (m), 0 if none does."""
    i = wp.tid()
    query = wp.mesh_query_point_sign_normal(mesh, x[i], max_dist)
    if query.result and query.sign < 0.0:
        point = wp.mesh_eval_position(mesh, query.face, query.u, query.v)
        wp.atomic_max(penetration, 0, wp.length(x[i] - point))
