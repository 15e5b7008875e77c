"""Topology checks of a garment mesh: pure functions, metres.

Run on the welded mesh (see ``garments.ingest.loading.weld``), where UV seams no
longer split the surface. Shapes: vertices (V, 3), faces (F, 3) int.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

MIN_AREA = 1e-12  # m², a 1 µm square: below it a triangle has no direction


@dataclass(frozen=True)
class BoundaryLoop:
    """An open edge of the surface (hem, neckline, cuff): length and mean
    height in metres, with its lowest and highest point."""

    length: float
    height: float
    bottom: float
    top: float

    def as_dict(self) -> dict:
        return {"length_m": round(self.length, 4), "height_m": round(self.height, 4),
                "bottom_m": round(self.bottom, 4), "top_m": round(self.top, 4)}


def degenerate_faces(vertices, faces, min_area: float = MIN_AREA) -> np.ndarray:
    """(F,) bool: triangles with a repeated corner or (almost) no area."""
    vertices, faces = np.asarray(vertices), np.asarray(faces)
    a, b, c = faces.T
    repeated = (a == b) | (b == c) | (a == c)
    corners = vertices[faces]
    edge_1, edge_2 = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    area = 0.5 * np.linalg.norm(np.cross(edge_1, edge_2), axis=1)
    return repeated | (area < min_area)


def duplicate_faces(faces) -> np.ndarray:
    """(F,) bool: every copy after the first of a triangle (any winding)."""
    key = np.sort(np.asarray(faces), axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    duplicate = np.ones(len(key), dtype=bool)
    duplicate[first] = False
    return duplicate


def edge_use(faces) -> tuple[np.ndarray, np.ndarray]:
    """(edges (E, 2) sorted vertex pairs, count (E,) triangles using each)."""
    faces = np.asarray(faces, dtype=np.int64)
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    base = int(faces.max()) + 1 if len(faces) else 1
    keys, count = np.unique(edges[:, 0] * base + edges[:, 1], return_counts=True)  # 1-D: fast
    return np.stack([keys // base, keys % base], axis=1), count


def non_manifold_edges(faces) -> np.ndarray:
    """(K, 2) edges shared by more than two triangles."""
    edges, count = edge_use(faces)
    return edges[count > 2]


def piece_count(faces, vertex_count: int) -> int:
    """Separate pieces: groups of triangles connected through shared vertices."""
    faces = np.asarray(faces)
    used = np.unique(faces)
    rows = np.repeat(faces[:, 0], 2)
    cols = faces[:, 1:].reshape(-1)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(vertex_count, vertex_count))
    _, label = connected_components(graph, directed=False)
    return len(np.unique(label[used]))


def boundary_loops(vertices, faces) -> list[BoundaryLoop]:
    """Open edges, grouped into loops, highest first."""
    vertices = np.asarray(vertices)
    edges, count = edge_use(faces)
    edges = edges[count == 1]
    if not len(edges):
        return []
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])),
                       shape=(len(vertices), len(vertices)))
    _, label = connected_components(graph, directed=False)
    edge_label = label[edges[:, 0]]
    edge_length = np.linalg.norm(vertices[edges[:, 0]] - vertices[edges[:, 1]], axis=1)
    loops = []
    for group in np.unique(edge_label):
        on_loop = np.unique(edges[edge_label == group])
        z = vertices[on_loop, 2]
        length = float(edge_length[edge_label == group].sum())
        loops.append(BoundaryLoop(length=length, height=float(z.mean()),
                                  bottom=float(z.min()), top=float(z.max())))
    return sorted(loops, key=lambda loop: -loop.height)
