"""The neutral base outfit every render puts on a body: leggings and a tank top.

Cut from the body's own skin mesh along smooth curves (``clip_mesh``: the
edges follow level sets, not the staircase of whole triangles) and lifted a
few millimetres off it, so it needs no draping. A tried garment drapes over
it with a collision clearance larger than ``BASE_OFFSET_M``, so the base
layer never pokes through. Units: metres, Z-up.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

LEGGINGS_RGB = (52, 54, 59)
TANK_RGB = (84, 87, 93)
BASE_ROUGHNESS = 0.9
LEGGINGS_OFFSET_M = 0.002  # along the skin normal, clear of z-fighting
TANK_OFFSET_M = 0.003  # over the leggings where they overlap at the waist
BASE_OFFSET_M = TANK_OFFSET_M  # the largest: what a garment must clear
ARMHOLE_SMOOTHING = 20  # diffusion steps, each about one edge long
ARMHOLE_LEVEL = 0.4  # of the diffused arm mask
ARMHOLE_REGION = 0.2  # metres below the shoulder joints that the diffusion covers
NECKLINE_WIDTH = 0.34  # of half the shoulder width
NECKLINE_DEPTH = 0.08  # metres below the shoulder joints
ANKLE_CLEARANCE = 0.04  # metres above the ankle joints where the leggings end
WAIST_OVERLAP = 0.04  # metres the tank top comes down over the leggings


def clip_mesh(
    vertices: np.ndarray, normals: np.ndarray, faces: np.ndarray, field: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the part of a mesh where a per-vertex field is >= 0, cut cleanly.

    Triangles that cross the zero level are cut along it (the field is
    linear along each edge), so the edge is smooth, not a staircase of
    whole triangles. vertices, normals: (V, 3); faces: (F, 3); field: (V,).
    Returns (vertices (V', 3), normals (V', 3), faces (F', 3)), winding kept.
    """
    inside = field[faces] >= 0
    count = inside.sum(axis=1)
    whole = faces[count == 3]
    # Roll each cut triangle so its odd corner comes first (the lone inside
    # corner, or the lone outside one); rolling keeps the winding.
    rolls = []
    for n_in, odd in ((1, True), (2, False)):
        tri = faces[count == n_in]
        first = np.argmax(inside[count == n_in] == odd, axis=1)
        rolls.append(tri[np.arange(len(tri))[:, None], (first[:, None] + np.arange(3)) % 3])
    one, two = rolls

    def cut(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = (field[a] / (field[a] - field[b]))[:, None]
        n = normals[a] + t * (normals[b] - normals[a])
        return vertices[a] + t * (vertices[b] - vertices[a]), n / np.linalg.norm(n, axis=1, keepdims=True)

    # One corner inside: (a, b, c) -> (a, ab, ac).
    ab, ac = cut(one[:, 0], one[:, 1]), cut(one[:, 0], one[:, 2])
    # Two inside, c outside at first: (c, a, b) -> (a, b, bc), (a, bc, ca).
    bc, ca = cut(two[:, 2], two[:, 0]), cut(two[:, 1], two[:, 0])
    n_v, n1, n2 = len(vertices), len(one), len(two)
    new_v = np.concatenate([vertices, ab[0], ac[0], bc[0], ca[0]])
    new_n = np.concatenate([normals, ab[1], ac[1], bc[1], ca[1]])
    i_ab = n_v + np.arange(n1)
    i_ac = i_ab + n1
    i_bc = n_v + 2 * n1 + np.arange(n2)
    i_ca = i_bc + n2
    new_f = np.concatenate([
        whole,
        np.stack([one[:, 0], i_ab, i_ac], axis=1),
        np.stack([two[:, 1], two[:, 2], i_bc], axis=1),
        np.stack([two[:, 1], i_bc, i_ca], axis=1),
    ])
    used = np.zeros(len(new_v), dtype=bool)
    used[new_f] = True
    remap = np.cumsum(used) - 1
    return new_v[used], new_n[used], remap[new_f]


def _neighbour_mean(faces: np.ndarray, n_vertices: int) -> sparse.csr_matrix:
    """(V, V) sparse operator: each vertex's value becomes the mean over itself and its neighbours."""
    rows = np.concatenate([faces[:, [0, 1, 2, 1, 2, 0]].ravel(), np.arange(n_vertices)])
    cols = np.concatenate([faces[:, [1, 2, 0, 0, 1, 2]].ravel(), np.arange(n_vertices)])
    adjacency = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_vertices, n_vertices))
    adjacency.data[:] = 1.0  # an edge shared by two faces was summed twice
    adjacency.data /= np.repeat(np.diff(adjacency.indptr), np.diff(adjacency.indptr))
    return adjacency


def base_outfit(
    vertices: np.ndarray,
    normals: np.ndarray,
    faces: np.ndarray,
    joints: np.ndarray,
    landmarks: dict[str, int],
    arm_mask: np.ndarray,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int, int]]]:
    """[leggings, tank top] as (vertices (n, 3), normals (n, 3), faces (f, 3), sRGB).

    Leggings from the ankles to the waist; a scoop-neck tank top from just
    below the waist to the shoulders, armholes clear of the arms.
    vertices, normals: (V, 3) of the skin; faces: (F, 3); joints: (J, 3)
    metres; landmarks: name -> joint index; arm_mask: (V,) bool.
    """
    def joint(name: str) -> np.ndarray:
        return joints[landmarks[name]]

    z = vertices[:, 2]
    neck = joint("neck")
    shoulder = (joint("shoulder.L")[2] + joint("shoulder.R")[2]) / 2
    hip = (joint("hip.L")[2] + joint("hip.R")[2]) / 2
    waist = hip + 0.45 * (shoulder - hip)
    ankle = (joint("ankle.L")[2] + joint("ankle.R")[2]) / 2
    # Armholes: a level set of the arm mask diffused over the mesh, so the
    # cut is a smooth curve a little clear of the staircase the mask makes.
    # Only the shoulders need it (below the neck, above the armpits).
    corner_z = z[faces]
    around = (corner_z > shoulder - ARMHOLE_REGION).all(axis=1) & (corner_z < neck[2]).all(axis=1)
    local, local_faces = np.unique(faces[around], return_inverse=True)
    smoothing = _neighbour_mean(local_faces.reshape(-1, 3), len(local))
    local_near = arm_mask[local].astype(np.float64)
    for _ in range(ARMHOLE_SMOOTHING):
        local_near = smoothing @ local_near
    near_arm = arm_mask.astype(np.float64)
    near_arm[local] = local_near
    # A U-shaped scoop neckline between the straps (u = |x| / half the shoulder width).
    u = np.abs(vertices[:, 0] - neck[0]) / (abs(joint("shoulder.L")[0] - joint("shoulder.R")[0]) / 2)
    scoop = np.clip(1 - (u / NECKLINE_WIDTH) ** 2, 0, 1)
    top = neck[2] - (neck[2] - shoulder + NECKLINE_DEPTH) * scoop
    not_arm = ARMHOLE_LEVEL - near_arm
    pieces = []
    for field, offset, rgb in (
        (np.minimum.reduce([z - (ankle + ANKLE_CLEARANCE), waist - z, 0.5 - arm_mask]),
         LEGGINGS_OFFSET_M, LEGGINGS_RGB),
        (np.minimum.reduce([z - (waist - WAIST_OVERLAP), top - z, not_arm]), TANK_OFFSET_M, TANK_RGB),
    ):
        v, n, f = clip_mesh(vertices, normals, faces, field)
        pieces.append((v + offset * n, n, f, rgb))
    return pieces
