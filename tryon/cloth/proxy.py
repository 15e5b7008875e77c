"""A simplified proxy of a large garment, and carrying its motion back to the full mesh.

The cloth solver (``tryon.cloth.solver``) relaxes a garment of many
vertices on a proxy of a few thousand and moves the full mesh as the proxy
moved. Metres.
"""

from __future__ import annotations

import fast_simplification
import numpy as np

from garments.surface_binding import bind, place


def simplify_proxy(vertices: np.ndarray, faces: np.ndarray, target_vertices: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """A proxy of a garment mesh with about ``target_vertices`` vertices, by quadric decimation.

    vertices: (N, 3) metres; faces: (F, 3). Returns ((M, 3) float64, (G, 3) int64).
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    if len(vertices) <= target_vertices:
        return vertices.copy(), faces.copy()
    # a triangle mesh has about twice as many triangles as vertices
    target_faces = int(len(faces) * target_vertices / len(vertices))
    points, triangles = fast_simplification.simplify(vertices, faces, target_count=target_faces, preserve_border=True)
    return np.asarray(points, dtype=np.float64), np.asarray(triangles, dtype=np.int64)


def carry_back(
    full_positions: np.ndarray, proxy_positions: np.ndarray, proxy_faces: np.ndarray, relaxed_proxy: np.ndarray
) -> np.ndarray:
    """Move a full garment mesh as its proxy moved.

    Each full vertex (N, 3) is bound to its closest triangle of the proxy
    before relaxation (proxy_positions (M, 3), proxy_faces (G, 3)) and
    re-placed on the relaxed proxy (M, 3). Returns (N, 3) float64 metres.
    """
    return place(bind(full_positions, proxy_positions, proxy_faces), relaxed_proxy, proxy_faces)
