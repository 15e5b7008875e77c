"""Constraints of a cloth mesh and their rest state: edges, hinges, areas, edge colours.

Metres and radians, from the authored garment (``tryon.cloth.solver``
relaxes a transferred one towards this rest state).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from tryon.cloth.kernels import wp


@dataclass(frozen=True)
class ClothTopology:
    """Constraints of a triangle mesh and their rest state, from the authored garment.

    edges: (E, 2) vertex pairs; rest_lengths: (E,) m; edge_areas: (E,) m^2,
    the rest area each edge stands for (a third of its triangles').
    hinges: (H, 4) (wing1, wing2, edge_a, edge_b) for each edge shared by two
    triangles; rest_angles: (H,) rad; hinge_stiffness_scale: (H,) the
    discrete-shell factor 3 |e|^2 / (A1 + A2) (dimensionless).
    vertex_areas: (N,) m^2, a third of the rest area of the vertex's triangles.
    edge_groups: edge indices in colour groups that share no vertex, for
    Gauss-Seidel sweeps whose groups run in parallel.
    edge_grain: (E, 2) each edge's unit direction in the fabric's frame (across
    the grain, along it), from the faces' pattern UVs; None when unknown.
    """

    edges: np.ndarray
    rest_lengths: np.ndarray
    edge_areas: np.ndarray
    hinges: np.ndarray
    rest_angles: np.ndarray
    hinge_stiffness_scale: np.ndarray
    vertex_areas: np.ndarray
    edge_groups: tuple[np.ndarray, ...]
    edge_grain: np.ndarray | None = None

    @classmethod
    def build(cls, faces: np.ndarray, rest_positions: np.ndarray, face_uvs: np.ndarray | None = None) -> ClothTopology:
        """face_uvs: optional (F, 3, 2), each face's corners in the fabric's frame (u across the
        grain, v along it: a sewn garment's pattern UVs), for ``edge_grain``."""
        faces = np.asarray(faces, dtype=np.int64)
        rest = np.asarray(rest_positions, dtype=np.float64)
        n = len(rest)
        areas = 0.5 * np.linalg.norm(np.cross(rest[faces[:, 1]] - rest[faces[:, 0]],
                                              rest[faces[:, 2]] - rest[faces[:, 0]]), axis=1)
        # half-edges a -> b of each triangle, and the corner opposite them
        a = faces.ravel()
        b = faces[:, [1, 2, 0]].ravel()
        c = faces[:, [2, 0, 1]].ravel()
        key = np.minimum(a, b) * n + np.maximum(a, b)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        first = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        counts = np.diff(np.r_[first, len(sorted_key)])
        edges = np.stack([sorted_key[first] // n, sorted_key[first] % n], axis=1)
        edge_of_half = np.repeat(np.arange(len(first)), counts)
        edge_areas = np.bincount(edge_of_half, weights=np.repeat(areas, 3)[order] / 3.0, minlength=len(first))
        rest_lengths = np.linalg.norm(rest[edges[:, 0]] - rest[edges[:, 1]], axis=1)

        shared = first[counts == 2]  # manifold interior edges; boundary and non-manifold ones get no hinge
        h1, h2 = order[shared], order[shared + 1]
        hinges = np.stack([c[h1], c[h2], a[h1], b[h1]], axis=1)
        x1, x2, x3, x4 = (rest[hinges[:, k]] for k in range(4))
        n1 = np.cross(x1 - x3, x1 - x4)
        n2 = np.cross(x2 - x4, x2 - x3)
        e = x4 - x3
        e_len = np.linalg.norm(e, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            n1h = n1 / np.linalg.norm(n1, axis=1, keepdims=True)
            n2h = n2 / np.linalg.norm(n2, axis=1, keepdims=True)
            sin = np.einsum("ij,ij->i", np.cross(n1h, n2h), e / e_len[:, None])
            rest_angles = np.nan_to_num(np.arctan2(sin, np.einsum("ij,ij->i", n1h, n2h)))
        pair_area = areas[h1 // 3] + areas[h2 // 3]
        scale = 3.0 * e_len**2 / np.maximum(pair_area, 1e-12)

        vertex_areas = np.bincount(faces.ravel(), weights=np.repeat(areas, 3) / 3.0, minlength=n)
        grain = None
        if face_uvs is not None:  # each edge's direction in its first face's own UVs (seams split UVs)
            corners = np.asarray(face_uvs, dtype=np.float64).reshape(-1, 3, 2)
            ends = np.stack([corners[:, [1, 2, 0]], corners], axis=2).reshape(-1, 2, 2)[order[first]]
            grain = ends[:, 0] - ends[:, 1]
            grain /= np.maximum(np.linalg.norm(grain, axis=1, keepdims=True), 1e-12)
        return cls(edges, rest_lengths, edge_areas, hinges, rest_angles, scale, vertex_areas, _colour_edges(edges),
                   grain)

    def with_edges(self, edges: np.ndarray, rest_lengths: np.ndarray) -> ClothTopology:
        """This topology with more length constraints (E2, 2) of ``rest_lengths`` (E2,) m and
        no area (a seam's stitches), the edges coloured anew; they come after the mesh's."""
        all_edges = np.concatenate([self.edges, np.asarray(edges, dtype=self.edges.dtype).reshape(-1, 2)])
        grain = None if self.edge_grain is None else np.concatenate(
            [self.edge_grain, np.tile([0.0, 1.0], (len(rest_lengths), 1))])
        return replace(self, edges=all_edges,
                       rest_lengths=np.concatenate([self.rest_lengths, rest_lengths]),
                       edge_areas=np.concatenate([self.edge_areas, np.zeros(len(rest_lengths))]),
                       edge_groups=_colour_edges(all_edges), edge_grain=grain)


def _colour_edges(edges: np.ndarray) -> tuple[np.ndarray, ...]:
    """Edge indices grouped so that no two edges of a group share a vertex. edges: (E, 2)."""
    if len(edges) == 0:
        return ()
    vertex, edge = edges.ravel(), np.repeat(np.arange(len(edges)), 2)
    order = np.argsort(vertex, kind="stable")
    vertex, edge = vertex[order], edge[order]
    conflicts = []  # edges that meet at a vertex: pairs within each run of equal vertex
    for k in range(1, len(vertex)):
        same = vertex[k:] == vertex[:-k]
        if not same.any():
            break
        conflicts.append(np.stack([edge[:-k][same], edge[k:][same]], axis=1))
    colours = wp.zeros(len(edges), dtype=wp.int32, device="cpu")
    if conflicts:
        pairs = wp.array(np.concatenate(conflicts).astype(np.int32), dtype=wp.int32, device="cpu")
        wp.utils.graph_coloring_assign(pairs, colours, wp.utils.GraphColoringAlgorithm.MCS)
    colour = colours.numpy()
    return tuple(np.flatnonzero(colour == c) for c in range(colour.max() + 1))
