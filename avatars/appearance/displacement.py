"""A scan's detail the shape space cannot hold: an offset of every body vertex along its normal.

The body model's shape parameters give a twin her proportions; her face,
ears, hair volume and the small forms of her body are left over as a
distance, per vertex, between the fitted surface and the scan. The
displacement is a scalar per vertex, metres along the vertex normal of the
shaped body in its rest pose, so it moves with the skeleton: a posed body
is ``vertices + R(v) * s(v) * n_rest(v)`` where ``R(v)`` is the vertex's
skinning rotation (the linear part of its blended bone transform), exactly
what skinning ``rest + s * n_rest`` would give. Metres throughout.

Fitting (``fit_displacement``) solves a screened smoothing problem: each
vertex wants the median offset, along its normal, of the scan points that
fall nearest to it; neighbours want the same offset; a weak pull to zero
lets holes and unseen areas (soles, armpits) relax to the fitted body.
Points far from the body (clutter the reading left, a scanner's stand) or
beside a vertex rather than over it are not used.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import spsolve
from scipy.spatial import cKDTree

from avatars.body_models.base import BodyModel, BodyOutput
from tryon.core.geometry import vertex_normals

MAX_OFFSET_M = 0.05  # hair volume, a bun; beyond it a point is not the body's
MAX_BESIDE_M = 0.008  # a point this far beside a vertex's normal line is not over it
SMOOTHING = 0.5  # neighbour agreement against a vertex's own evidence
TO_ZERO = 0.01  # the pull to the fitted body where no point is seen
MIN_POINTS = 2  # fewer points than this leave a vertex unseen
PASSES = 3  # offsets are measured again from the displaced surface


def rest_offsets(model: BodyModel, rest: np.ndarray, displacement: np.ndarray) -> np.ndarray:
    """(V, 3) metres: ``displacement`` (V,) along the normals of the ``rest`` (V, 3) body;
    ``rest + rest_offsets(...)`` is the displaced body a skin carries."""
    return vertex_normals(np.asarray(rest, np.float64), np.asarray(model.faces)) \
        * np.asarray(displacement, np.float64)[:, None]


def displace(model: BodyModel, out: BodyOutput, displacement: np.ndarray | None) -> torch.Tensor:
    """(B, V, 3) the posed vertices of ``out`` with ``displacement`` (V,) metres along the
    rest normals, carried by the skinning rotations; ``out.vertices`` when None."""
    if displacement is None:
        return out.vertices
    offset = torch.as_tensor(rest_offsets(model, out.rest_vertices[0].detach().numpy(), displacement),
                             dtype=out.vertices.dtype)
    weights = torch.as_tensor(model.skinning_weights, dtype=out.vertices.dtype)
    rotation = torch.einsum("vj,bjrc->bvrc", weights, out.bone_transforms[..., :3, :3].to(out.vertices.dtype))
    return out.vertices + torch.einsum("bvrc,vc->bvr", rotation, offset)


def fit_displacement(vertices: np.ndarray, faces: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(V,) float32 metres: the offset along each vertex normal that takes the fitted
    body (``vertices`` (V, 3) metres, posed and placed as the scan) onto the scan's
    ``points`` (N, 3) metres. Unseen vertices relax towards 0."""
    vertices = np.asarray(vertices, np.float64)
    faces = np.asarray(faces, np.int64)
    points = np.asarray(points, np.float64)
    normals = vertex_normals(vertices, faces)
    laplacian = _graph_laplacian(len(vertices), faces)
    offset = np.zeros(len(vertices))
    for _ in range(PASSES):
        wanted, evidence = _offsets_seen(vertices + offset[:, None] * normals, vertices, normals, points)
        system = sp.diags(evidence + TO_ZERO) + SMOOTHING * laplacian
        offset = spsolve(system.tocsc(), evidence * wanted)
        offset = np.clip(offset, -MAX_OFFSET_M, MAX_OFFSET_M)
    return offset.astype(np.float32)


def _offsets_seen(surface, base, normals, points) -> tuple[np.ndarray, np.ndarray]:
    """(V,) median offset along the normal of the points nearest each vertex of
    ``surface``, measured from ``base``; (V,) how much to trust it (0: unseen)."""
    distance, nearest = cKDTree(surface).query(points, distance_upper_bound=MAX_OFFSET_M)
    kept = np.isfinite(distance)
    nearest, points = nearest[kept], points[kept]
    along = np.einsum("nc,nc->n", points - base[nearest], normals[nearest])
    beside = np.linalg.norm(points - surface[nearest] - ((points - surface[nearest]) * normals[nearest]).sum(1)[:, None]
                            * normals[nearest], axis=1)
    over = (beside < MAX_BESIDE_M) & (np.abs(along) < MAX_OFFSET_M)
    nearest, along = nearest[over], along[over]
    count = np.bincount(nearest, minlength=len(base))
    wanted = np.zeros(len(base))
    order = np.lexsort((along, nearest))  # by vertex, then by offset: medians by index
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    seen = count >= MIN_POINTS
    lower = along[order][starts[seen] + (count[seen] - 1) // 2]
    upper = along[order][starts[seen] + count[seen] // 2]
    wanted[seen] = 0.5 * (lower + upper)
    return wanted, np.where(seen, np.minimum(count, 8) / 8.0, 0.0)


def _graph_laplacian(vertex_count: int, faces: np.ndarray) -> sp.csr_matrix:
    """(V, V) the uniform graph Laplacian of the mesh's edges (degree minus adjacency)."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    adjacency = sp.coo_matrix((np.ones(2 * len(edges)), (np.r_[edges[:, 0], edges[:, 1]],
                                                          np.r_[edges[:, 1], edges[:, 0]])),
                              shape=(vertex_count, vertex_count)).tocsr()
    return sp.diags(np.asarray(adjacency.sum(axis=1)).ravel()) - adjacency
