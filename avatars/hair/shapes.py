"""Hair as meshes built on a body's own head: a cap over the scalp, a curtain of
hair falling from it, a bun, locs; and cloth wrapped over the head (a head covering).

Every shape is made from the posed body it is for (vertices (V, 3) metres,
the model's frame: Z up, facing -Y) and the model's scalp
(``avatars.hair.scalp``): the cap is the scalp pushed out along smoothed
normals, so it fits any head in any pose; a curtain falls straight down
from the head's widest circumference and is pushed clear of the neck,
shoulders and back as hair rests on them. Meshes are (vertices (N, 3)
float32, faces (F, 3) int64).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse
import trimesh
from scipy.spatial import cKDTree

from avatars.hair.scalp import Scalp

SMOOTHING_ITERATIONS = 12  # rounds of averaging the cap's normals: volume reads as a mass, not a relief
CLEARANCE_M = 0.012  # hair rests this far off the skin
CURTAIN_COLUMNS = 64
CURTAIN_ROWS = 36
INWARD_M = 0.025  # how far a curtain closes in under the head over its length
WRAP_ITERATIONS = 40  # rounds of relaxing wrapped cloth: enough to bridge the hollow under a chin
REACH_M = 0.08  # wrapped cloth is kept clear of the body within this distance


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _adjacency(count: int, faces: np.ndarray) -> scipy.sparse.csr_matrix:
    """(N, N) 1 where two vertices share an edge."""
    rows = np.concatenate([faces[:, 0], faces[:, 1], faces[:, 2], faces[:, 1], faces[:, 2], faces[:, 0]])
    cols = np.concatenate([faces[:, 1], faces[:, 2], faces[:, 0], faces[:, 0], faces[:, 1], faces[:, 2]])
    adjacency = scipy.sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(count, count)).tocsr()
    adjacency.data[:] = 1.0
    return adjacency


def _smoothed_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(N, 3) unit vertex normals of a mesh, averaged with their neighbours' SMOOTHING_ITERATIONS times."""
    normals = trimesh.Trimesh(vertices, faces, process=False).vertex_normals.copy()
    adjacency = _adjacency(len(vertices), faces)
    degree = np.asarray(adjacency.sum(axis=1)).ravel() + 1.0
    for _ in range(SMOOTHING_ITERATIONS):
        normals = (adjacency @ normals + normals) / degree[:, None]
    return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)


def wrap(body: np.ndarray, body_faces: np.ndarray, covered: np.ndarray, clearance_m: float,
         axis: np.ndarray, hang_below_z: float, hangs: np.ndarray, feeds: np.ndarray,
         iterations: int = WRAP_ITERATIONS) -> tuple[np.ndarray, np.ndarray]:
    """Cloth wrapped over the ``covered`` (V,) bool part of a body (V, 3) metres.

    The part's surface pushed ``clearance_m`` out is relaxed as a taut
    membrane (each vertex pulled to its neighbours' mean) kept ``clearance_m``
    outside the body; where ``hangs`` (V,) bool and below ``hang_below_z`` it
    hangs: no closer to the vertical ``axis`` (a point (3,)) than the cloth
    above it where ``feeds`` (V,) bool, less INWARD_M over its fall, as
    cloth falls from a head past the neck. Its borders are
    smoothed along themselves so they run as a hem does, not along the body's
    triangles.
    """
    faces = np.asarray(body_faces)
    faces = faces[covered[faces].all(axis=1)]
    used, local = np.unique(faces, return_inverse=True)
    faces = local.reshape(-1, 3)
    body_normals = trimesh.Trimesh(body, body_faces, process=False).vertex_normals
    points = body[used] + _smoothed_normals(body[used], faces) * clearance_m
    # the body near the cloth, searched once for every round
    near = cKDTree(points).query(body, distance_upper_bound=REACH_M)[0] < np.inf
    surface, surface_normals = body[near], body_normals[near]
    tree = cKDTree(surface)
    adjacency = _adjacency(len(points), faces)
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    border = _border_adjacency(len(points), faces)
    on_border = np.asarray(border.sum(axis=1)).ravel() > 0
    for i in range(iterations):
        mean = np.where(on_border[:, None], border @ points / np.maximum(border.sum(axis=1), 1),
                        adjacency @ points / degree[:, None])
        points = points + 0.6 * (mean - points)
        if i == iterations // 2:
            points = _hang(points, axis, hang_below_z, hangs[used], feeds[used])
        if i % 4 == 3 or i == iterations - 1:  # a few rounds of relaxing move it millimetres
            points = clear_of(points, surface, surface_normals, clearance_m, reach=REACH_M, tree=tree)
    return points.astype(np.float32), faces.astype(np.int64)


def _border_adjacency(count: int, faces: np.ndarray) -> scipy.sparse.csr_matrix:
    """(N, N) 1 between the two ends of each border edge (an edge of one face only)."""
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    ends = unique[counts == 1]
    return _adjacency(count, np.column_stack([ends, ends[:, :1]]))


def _hang(points: np.ndarray, axis: np.ndarray, below_z: float, hangs: np.ndarray,
          feeds: np.ndarray) -> np.ndarray:
    """``points`` below ``below_z`` where ``hangs`` moved out from the vertical ``axis``
    to the radius of the cloth above them where ``feeds``, in their direction
    (5-degree sectors, 1 cm bands), less INWARD_M per 30 cm of fall."""
    delta = points[:, :2] - axis[:2]
    radius = np.linalg.norm(delta, axis=1)
    sector = ((np.arctan2(delta[:, 1], delta[:, 0]) + math.pi) / math.radians(5.0)).astype(int) % 72
    band = np.floor((below_z - points[:, 2]) / 0.01).astype(int)
    top = band.min()
    grid = np.zeros((72, band.max() - top + 1))
    np.maximum.at(grid, (sector[feeds], band[feeds] - top), radius[feeds])
    for k in range(1, grid.shape[1]):
        grid[:, k] = np.maximum(grid[:, k], grid[:, k - 1] - INWARD_M * 0.01 / 0.3)
    falls = (band > 0) & hangs
    wanted = np.maximum(radius, grid[sector, band - top])
    scale = np.where(falls, wanted / np.maximum(radius, 1e-9), 1.0)
    moved = points.copy()
    moved[:, :2] = axis[:2] + delta * scale[:, None]
    return moved


def cap(body: np.ndarray, body_faces: np.ndarray, scalp: Scalp, crown_m: float, hairline_m: float,
        top_m: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The scalp pushed out: ``hairline_m`` thick at the hairline, ``crown_m`` from 6 cm
    above it, ``top_m`` more on the top of the head (volume); metres."""
    faces = np.asarray(body_faces)[scalp.faces]
    used, local = np.unique(faces, return_inverse=True)
    faces = local.reshape(-1, 3)
    points = body[used].astype(np.float64)
    above = scalp.hairline[used].astype(np.float64)
    thickness = hairline_m + (crown_m - hairline_m) * _smoothstep(above / 0.06)
    if top_m:
        height = points[:, 2] - points[:, 2].min()
        thickness += top_m * _smoothstep(height / max(np.ptp(points[:, 2]), 1e-6)) ** 2
    return (points + _smoothed_normals(points, faces) * thickness[:, None]).astype(np.float32), faces


def _sector_radius(points: np.ndarray, centre: np.ndarray, forward: np.ndarray, azimuth: np.ndarray,
                   heights: np.ndarray, width: float = math.radians(5.0), depth: float = 0.012) -> np.ndarray:
    """(A, H) the largest horizontal distance from the axis through ``centre`` of ``points``
    within ``width`` of each azimuth and ``depth`` metres of each height (0 where none)."""
    delta = points - centre
    side = np.array([-forward[1], forward[0], 0.0])  # to the body's left, seen from the front
    angle = np.arctan2(delta @ side, delta @ forward)
    radius = np.hypot(delta @ side, delta @ forward)
    out = np.zeros((len(azimuth), len(heights)))
    for i, a in enumerate(azimuth):
        near = np.abs((angle - a + math.pi) % (2 * math.pi) - math.pi) < width
        if not near.any():
            continue
        z, r = points[near, 2], radius[near]
        for k, h in enumerate(heights):
            level = np.abs(z - h) < depth
            if level.any():
                out[i, k] = r[level].max()
    return out


def curtain(hair_cap: np.ndarray, obstacles: np.ndarray, centre: np.ndarray, forward: np.ndarray,
            top_z: float, bottom_z: float, front_azimuth: float,
            side_bottom_z: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hair falling from the cap's circumference at ``top_z`` down to ``bottom_z`` (metres),
    round the back between azimuths +-``front_azimuth`` (radians from the face).

    Each column hangs straight down from the cap and moves out only where
    the body or what it wears (``obstacles``: (K, 3) points, arms left out)
    comes within CLEARANCE_M; ``side_bottom_z``: the columns beside the face stop
    there (on the shoulders) while the back falls to ``bottom_z``.
    """
    azimuth = np.linspace(front_azimuth, 2 * math.pi - front_azimuth, CURTAIN_COLUMNS)
    azimuth = (azimuth + math.pi) % (2 * math.pi) - math.pi
    heights = np.linspace(top_z, bottom_z, CURTAIN_ROWS)
    start = _sector_radius(hair_cap, centre, forward, azimuth, [top_z], math.radians(8.0), 0.02)[:, 0]
    start = np.maximum(start - 0.003, 0.05)  # tucked just under the cap
    body_radius = _sector_radius(obstacles, centre, forward, azimuth, heights) + CLEARANCE_M
    # down from the cap, hair closes in under the head a little (INWARD_M over the length)
    # and rests on whatever of the body comes within the clearance
    radius = np.empty_like(body_radius)
    radius[:, 0] = np.maximum(start, body_radius[:, 0])
    for k in range(1, CURTAIN_ROWS):
        radius[:, k] = np.maximum(body_radius[:, k], radius[:, k - 1] - INWARD_M / CURTAIN_ROWS)
    ends = np.full(len(azimuth), bottom_z)
    if side_bottom_z is not None:  # back columns full length, those beside the face to the shoulders
        back = _smoothstep((np.abs(azimuth) - math.radians(130.0)) / math.radians(30.0))
        ends = side_bottom_z + (bottom_z - side_bottom_z) * back
    z = top_z + (ends - top_z)[:, None] * np.linspace(0.0, 1.0, CURTAIN_ROWS)[None, :]
    side = np.array([-forward[1], forward[0], 0.0])
    direction = np.cos(azimuth)[:, None] * forward + np.sin(azimuth)[:, None] * side  # (A, 3)
    # each column's radius at its own heights, from the grid of the full-length one
    col_radius = np.array([np.interp(-z[i], -heights, radius[i]) for i in range(len(azimuth))])
    points = centre[None, None, :2] + direction[:, None, :2] * col_radius[:, :, None]
    vertices = np.concatenate([points, z[:, :, None]], axis=2).reshape(-1, 3)
    return vertices.astype(np.float32), _grid_faces(len(azimuth), CURTAIN_ROWS)


def _grid_faces(columns: int, rows: int) -> np.ndarray:
    """Two triangles per cell of a (columns, rows) vertex grid, row index fastest;
    wound counter-clockwise seen from outside a curtain that runs round the back."""
    c, r = np.meshgrid(np.arange(columns - 1), np.arange(rows - 1), indexing="ij")
    a = (c * rows + r).ravel()
    b, d = a + rows, a + 1
    return np.concatenate([np.stack([a, d, b], axis=1), np.stack([b, d, b + 1], axis=1)]).astype(np.int64)


def bun(centre: np.ndarray, radii: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """An ellipsoid of ``radii`` metres (x, y, z) at ``centre`` (3,)."""
    sphere = trimesh.creation.icosphere(subdivisions=3)
    return (sphere.vertices * np.asarray(radii) + centre).astype(np.float32), np.asarray(sphere.faces, np.int64)


def tubes(paths: list[np.ndarray], radius: float, sides: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Hanging tubes (locs, braids) of ``radius`` metres along (K, 3) polylines, capped by their ends."""
    ring = np.linspace(0.0, 2 * math.pi, sides, endpoint=False)
    vertices, faces, offset = [], [], 0
    for path in paths:
        taper = 1.0 - 0.35 * np.linspace(0.0, 1.0, len(path)) ** 2
        circle = np.stack([np.cos(ring), np.sin(ring), np.zeros(sides)], axis=1)  # horizontal: the tubes hang
        points = path[:, None, :] + circle[None] * (radius * taper)[:, None, None]
        vertices.append(points.reshape(-1, 3))
        faces.append(_ring_faces(len(path), sides) + offset)
        offset += len(path) * sides
    return np.concatenate(vertices).astype(np.float32), np.concatenate(faces)


def _ring_faces(rings: int, sides: int) -> np.ndarray:
    r, s = np.meshgrid(np.arange(rings - 1), np.arange(sides), indexing="ij")
    a = (r * sides + s).ravel()
    b = (r * sides + (s + 1) % sides).ravel()
    return np.concatenate([np.stack([a, b, a + sides], axis=1),
                           np.stack([b, b + sides, a + sides], axis=1)]).astype(np.int64)


def clear_of(points: np.ndarray, surface: np.ndarray, normals: np.ndarray, clearance: float,
             reach: float = 0.05, tree: cKDTree | None = None) -> np.ndarray:
    """(N, 3) ``points`` moved out along the normals (K, 3) of a surface's points (K, 3)
    to lie ``clearance`` metres outside it, where they are within ``reach`` of it;
    ``tree``: a ``cKDTree`` of ``surface``, to reuse."""
    if len(surface) == 0:
        return points
    distance, nearest = (tree or cKDTree(surface)).query(points, distance_upper_bound=reach)
    near = np.isfinite(distance)
    moved = points.copy()
    idx = nearest[near]
    depth = clearance - np.einsum("ij,ij->i", points[near] - surface[idx], normals[idx])
    moved[near] += normals[idx] * np.maximum(depth, 0.0)[:, None]
    return moved
