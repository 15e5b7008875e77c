"""Seams: which vertices a stitch joins, and the one mesh the joined pieces make.

A stitch joins two edges cut into the same number of segments
(``garments.patterns.meshing``). Both pieces are seen from outside, their
outlines counter-clockwise, so two edges sewn right side to right side run
opposite ways: the first point of one meets the last of the other. Where
seams meet (an underarm, where sleeve, side and armhole seams cross) the
joins chain, and every vertex of a chain becomes one vertex of the garment.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from garments.patterns.meshing import PieceMesh
from garments.patterns.pattern import PatternError, Stitch


def stitch_pairs(meshes: dict[str, PieceMesh], first_vertex: dict[str, int],
                 stitches: tuple[Stitch, ...]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The joined vertex pairs (P, 2) of every stitch, as indices into the pieces' vertices
    laid end to end (piece ``name`` from ``first_vertex[name]``), and each stitch's pairs."""
    seams = []
    for stitch in stitches:
        (a_name, a_edge), (b_name, b_edge) = stitch.a, stitch.b
        a = meshes[a_name].edge_points[a_edge] + first_vertex[a_name]
        b = meshes[b_name].edge_points[b_edge][::-1] + first_vertex[b_name]
        if len(a) != len(b):
            raise PatternError(f"stitch {a_name}:{a_edge} - {b_name}:{b_edge}: its edges were cut "
                               f"into {len(a) - 1} and {len(b) - 1} segments", "sewing")
        seams.append(np.stack([a, b], axis=1))
    pairs = np.concatenate(seams) if seams else np.zeros((0, 2), np.int64)
    return pairs, seams


def weld_labels(pairs: np.ndarray, count: int) -> tuple[np.ndarray, int]:
    """(count,) the welded vertex of each of ``count`` vertices joined by ``pairs`` (P, 2),
    and how many welded vertices there are."""
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(count, count))
    welded, labels = connected_components(graph, directed=False)
    return labels, welded


def joined_pairs(labels: np.ndarray) -> np.ndarray:
    """(P, 2) every pair of vertices that ``labels`` (``weld_labels``) weld into one: where
    seams meet (an underarm, a waistband's end), each vertex of the junction is pulled
    towards every other directly, not along a chain of stitches."""
    order = np.argsort(labels, kind="stable")
    starts = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    groups = [g for g in np.split(order, starts[1:]) if len(g) > 1]
    pairs = [np.stack(np.triu_indices(len(g), 1), axis=1) for g in groups]
    return np.concatenate([g[p] for g, p in zip(groups, pairs)]) if pairs else np.zeros((0, 2), np.int64)


def weld(positions: np.ndarray, faces: np.ndarray, labels: np.ndarray, welded: int
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The joined mesh: (W, 3) each welded vertex at the mean of its vertices, the faces
    (F', 3) that keep three distinct corners, and which of ``faces`` (F,) they are."""
    merged = np.zeros((welded, 3))
    np.add.at(merged, labels, positions)
    merged /= np.bincount(labels, minlength=welded)[:, None]
    faces = labels[faces]
    keep = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 2] != faces[:, 0])
    return merged, faces[keep], keep


def flat_lengths(faces: np.ndarray, flat_cm: np.ndarray, labels: np.ndarray | None = None) -> dict[int, float]:
    """Each edge's length in the flat pattern, metres, keyed ``min * n + max`` by its
    (welded, when ``labels`` are given) vertices; a seam edge that two pieces share has
    the mean of its two lengths. faces (F, 3) into ``flat_cm`` (N, 2) cm."""
    edges = np.unique(np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]),
                              axis=1), axis=0)
    lengths = np.linalg.norm(flat_cm[edges[:, 0]] - flat_cm[edges[:, 1]], axis=1) / 100.0
    if labels is not None:
        edges = np.sort(labels[edges], axis=1)
    n = int(edges.max()) + 1 if len(edges) else 0
    keys = edges[:, 0] * n + edges[:, 1]
    unique, inverse = np.unique(keys, return_inverse=True)
    means = np.bincount(inverse, weights=lengths) / np.bincount(inverse)
    return {"n": n, "keys": unique, "lengths": means}


def rest_lengths_of(edges: np.ndarray, flat: dict) -> np.ndarray:
    """(E,) m, the flat pattern's length of each edge (E, 2) (``flat_lengths``'s table)."""
    keys = np.sort(edges, axis=1)
    keys = keys[:, 0] * flat["n"] + keys[:, 1]
    at = np.clip(np.searchsorted(flat["keys"], keys), 0, len(flat["keys"]) - 1)
    if not np.array_equal(flat["keys"][at], keys):
        raise ValueError("an edge of the sewn mesh is in no piece")
    return flat["lengths"][at]
