"""A pattern piece as a triangle mesh: even edges, its outline kept exactly.

The outline is resampled edge by edge (a stitch needs both of its edges cut
into the same number of segments, so the caller says how many), the inside
is filled with a hexagonal lattice of the same spacing, and the points are
joined by scipy's Delaunay triangulation (Qhull). The result conforms to the
outline without a constrained triangulation: every outline segment is at
most the spacing long and no lattice point comes within 0.6 spacing of the
outline, so each segment's diametral circle holds no other point, which
makes it a Delaunay edge (a Gabriel edge). (Triangle and MeshPy, which
constrain edges directly, wrap Shewchuk's Triangle, whose licence forbids
commercial use.) A few Laplacian passes then even out the lattice where it
meets the outline.

Units: centimetres, in the piece's plane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import Delaunay, cKDTree

from garments.patterns.pattern import PatternError

CLEARANCE = 0.6  # lattice points kept this many spacings from the outline
SMOOTHING_PASSES = 4
MAX_PIECE_VERTICES = 20_000


@dataclass(frozen=True)
class PieceMesh:
    """points: (N, 2) cm, the first B of them the outline, counter-clockwise;
    faces: (F, 3) counter-clockwise; edge_points: for each edge of the piece,
    the indices (P_e + 1,) of its points from its first corner to the next."""

    points: np.ndarray
    faces: np.ndarray
    edge_points: tuple[np.ndarray, ...]

    @property
    def outline_count(self) -> int:
        return int(sum(len(e) - 1 for e in self.edge_points))


def resample(polyline: np.ndarray, segments: int) -> np.ndarray:
    """(segments + 1, 2) points evenly spaced by arc length along ``polyline`` (P, 2),
    both of its ends kept."""
    steps = np.linalg.norm(np.diff(polyline, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    targets = np.linspace(0.0, along[-1], segments + 1)
    return np.column_stack([np.interp(targets, along, polyline[:, k]) for k in range(2)])


def segments_for(length_cm: float, spacing_cm: float) -> int:
    """How many segments an edge of ``length_cm`` is cut into at ``spacing_cm``."""
    return max(1, math.ceil(length_cm / spacing_cm - 1e-9))


def mesh_piece(name: str, edges: list[np.ndarray], segments: list[int], spacing_cm: float) -> PieceMesh:
    """Triangulate the piece whose outline is the loop of ``edges`` (each (P, 2) cm, from its
    corner to the next, counter-clockwise), edge e cut into ``segments[e]`` even segments,
    the inside at ``spacing_cm``. PatternError if the outline cannot be meshed so."""
    outline, edge_points = [], []
    for edge, count in zip(edges, segments):
        start = len(outline)
        outline.extend(resample(edge, count)[:-1])
        edge_points.append(np.arange(start, start + count + 1))
    outline = np.asarray(outline)
    boundary = len(outline)
    edge_points[-1][-1] = 0  # the last edge ends where the first began
    longest = float(np.linalg.norm(outline - np.roll(outline, -1, axis=0), axis=1).max())
    if longest > 1.5 * spacing_cm:
        raise PatternError(f"piece {name}: an outline segment of {longest:.1f} cm; at most "
                           f"{1.5 * spacing_cm:.1f} at a spacing of {spacing_cm:g} cm")
    outline_tree = cKDTree(_densify(outline, spacing_cm / 8.0))
    inner = _lattice(outline, outline_tree, spacing_cm)
    if boundary + len(inner) > MAX_PIECE_VERTICES:
        raise PatternError(f"piece {name} would have {boundary + len(inner):,} vertices; at most "
                           f"{MAX_PIECE_VERTICES:,} (use a coarser spacing)")
    points = np.vstack([outline, inner])
    faces = _triangulate(points, boundary)
    for _ in range(SMOOTHING_PASSES):
        moved = _neighbour_means(points, faces)[boundary:]
        # a point whose neighbours wrap round a corner could leave the piece: it stays
        clear = (outline_tree.query(moved)[0] > 0.5 * spacing_cm) & _inside(moved, outline)
        points[boundary:][clear] = moved[clear]
        faces = _triangulate(points, boundary)
    _check_conforms(name, points, faces, boundary)
    return PieceMesh(points, faces, tuple(edge_points))


def _densify(outline: np.ndarray, step: float) -> np.ndarray:
    """(M, 2) points every ``step`` or closer along the closed ``outline`` (K, 2)."""
    return np.vstack([resample(np.vstack([a, b]), max(1, math.ceil(np.linalg.norm(b - a) / step)))
                      for a, b in zip(outline, np.roll(outline, -1, axis=0))])


def _lattice(outline: np.ndarray, outline_tree: cKDTree, spacing: float) -> np.ndarray:
    """(M, 2) points of a hexagonal lattice inside ``outline``, CLEARANCE spacings clear of it."""
    low, high = outline.min(axis=0), outline.max(axis=0)
    row = spacing * math.sqrt(3.0) / 2.0
    ys = np.arange(low[1] + row / 2.0, high[1], row)
    rows = []
    for r, y in enumerate(ys):
        xs = np.arange(low[0] + (spacing / 2.0 if r % 2 else 0.0), high[0], spacing)
        rows.append(np.column_stack([xs, np.full(len(xs), y)]))
    grid = np.vstack(rows) if rows else np.zeros((0, 2))
    grid = grid[_inside(grid, outline)]
    if not len(grid):
        return grid
    return grid[outline_tree.query(grid)[0] > CLEARANCE * spacing]


def _inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """(N,) bool: the points inside the closed ``polygon`` (K, 2), by the even-odd rule.
    (Written here rather than taking shapely for one test on a few thousand points.)"""
    a, b = polygon, np.roll(polygon, -1, axis=0)
    px, py = points[:, None, 0], points[:, None, 1]
    straddles = (a[None, :, 1] > py) != (b[None, :, 1] > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = a[None, :, 0] + (py - a[None, :, 1]) * (b[None, :, 0] - a[None, :, 0]) / (b[None, :, 1] - a[None, :, 1])
    return (np.count_nonzero(straddles & (px < x_at), axis=1) % 2) == 1


def _triangulate(points: np.ndarray, boundary: int) -> np.ndarray:
    """The Delaunay triangles of ``points`` inside the outline (its first ``boundary``
    points), counter-clockwise."""
    faces = Delaunay(points).simplices.astype(np.int64)
    a, b, c = (points[faces[:, k]] for k in range(3))
    twice_area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    longest = np.max([np.linalg.norm(b - a, axis=1), np.linalg.norm(c - b, axis=1),
                      np.linalg.norm(a - c, axis=1)], axis=0)
    # Qhull joins collinear points of a straight outline edge on the hull into flat triangles
    keep = (np.abs(twice_area) > 1e-6 * longest**2) & _inside(points[faces].mean(axis=1), points[:boundary])
    faces, clockwise = faces[keep], twice_area[keep] < 0
    faces[clockwise] = faces[clockwise][:, [0, 2, 1]]
    return faces


def _neighbour_means(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(N, 2) the mean of each point's neighbours in ``faces``."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    sums = np.zeros_like(points)
    np.add.at(sums, edges[:, 0], points[edges[:, 1]])
    np.add.at(sums, edges[:, 1], points[edges[:, 0]])
    counts = np.bincount(edges.ravel(), minlength=len(points))
    return np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], points)


def _check_conforms(name: str, points: np.ndarray, faces: np.ndarray, boundary: int) -> None:
    """PatternError unless every outline segment is the edge of exactly one triangle and
    the triangles cover the piece's area."""
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    keys, counts = np.unique(edges[:, 0] * len(points) + edges[:, 1], return_counts=True)
    ring = np.arange(boundary)
    outline_keys = np.sort(np.stack([ring, np.roll(ring, -1)], axis=1), axis=1)
    outline_keys = outline_keys[:, 0] * len(points) + outline_keys[:, 1]
    found = dict(zip(keys.tolist(), counts.tolist()))
    missing = [k for k in outline_keys.tolist() if found.get(k) != 1]
    a, b, c = (points[faces[:, k]] for k in range(3))
    area = 0.5 * np.sum((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))
    x, y = points[:boundary, 0], points[:boundary, 1]
    piece_area = 0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    if missing or abs(area - piece_area) > 1e-6 * max(piece_area, 1.0):
        where = points[missing[0] // len(points)] if missing else points[0]
        raise PatternError(f"piece {name} could not be meshed along its outline near "
                           f"({where[0]:.1f}, {where[1]:.1f}) cm: a part narrower than the mesh "
                           "spacing, or edges of very different spacing meeting at a sharp corner")
