"""What a scan fit minimises: robust kernels and the two-way data term.

The data term (``avatars.scans.fitting`` describes the method) is a robust
Chamfer distance between a placed body and a scan: every scan point to the
body surface, body points to the nearest scan points. Metres.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import cKDTree

from avatars.scans.fit_state import FitState
from avatars.scans.reading import Scan
from tryon.core.geometry import closest_on_surface

_BODY_TO_SCAN_POINTS = 40_000
_BODY_TO_SCAN_WEIGHT = 0.5


def subsample(count: int, wanted: int, rng: np.random.Generator) -> torch.Tensor:
    return torch.from_numpy(np.sort(rng.choice(count, min(count, wanted), replace=False)))


def geman_mcclure(squared: torch.Tensor, sigma: float) -> torch.Tensor:
    """Robust kernel of squared distances: ~d^2 / sigma^2 near 0, -> 1 far away."""
    return squared / (squared + sigma**2)


def pseudo_huber(squared: torch.Tensor, sigma: float) -> torch.Tensor:
    """Robust kernel of squared distances: ~d^2 / (2 sigma^2) near 0, ~d / sigma far away.

    Unlike Geman-McClure it never lets go of a far point, so a limb that
    starts far from its scan points is still pulled to them.
    """
    return torch.sqrt(1.0 + squared / sigma**2) - 1.0


class ScanTarget:
    """The scan as the optimiser sees it.

    points: (N, 3) every scan point; dense: (D, 3) the subsample the body is
    pulled towards, with its KD-tree.
    """

    def __init__(self, scan: Scan, rng: np.random.Generator):
        self.points = torch.from_numpy(np.ascontiguousarray(scan.points, dtype=np.float32))
        self.dense = self.points[subsample(len(self.points), _BODY_TO_SCAN_POINTS, rng)]
        self.tree = cKDTree(self.dense.numpy())
        self.rng = rng
        self.stature_m = float(np.percentile(scan.points[:, 2], 99.95))
        self.starts: dict[tuple[int, str], FitState] = {}  # start bodies by (model id, sex)


def data_term(vertices, faces, vertex_faces, picked, body_subset, target, sigma, kernel=None):
    """Mean robust scan-to-body (point-to-surface) plus body-to-scan distance.

    vertices: (V, 3) placed body; picked: (M, 3) scan points; body_subset:
    (K,) vertex indices pulled towards the scan. Every scan point pulls
    (pseudo-Huber); body points only pull when scan points are near
    (Geman-McClure), so holes in the scan matter little. Scan points beyond
    4 sigma of a body point, where that kernel is flat, are not searched
    for (that keeps the KD-tree queries fast) and count fully.
    """
    # The search runs in numpy; the closest points are re-evaluated in torch
    # from its faces and barycentric coordinates, so gradients reach vertices.
    face, bary, _ = closest_on_surface(picked.numpy(), vertices.detach().numpy(), faces,
                                       vertex_faces=vertex_faces)
    corners = vertices[torch.from_numpy(faces)[torch.from_numpy(face)]]  # (M, 3, 3)
    closest = (corners * torch.from_numpy(bary).float()[..., None]).sum(dim=1)
    forward = (kernel or pseudo_huber)(((picked - closest) ** 2).sum(1), sigma).mean()
    bound = 4.0 * sigma
    body = vertices[body_subset]
    distance, nearest = target.tree.query(body.detach().numpy(), 1, distance_upper_bound=bound)
    found = torch.from_numpy(np.isfinite(distance))
    nearest = torch.from_numpy(np.minimum(nearest, len(target.dense) - 1))
    backward = torch.where(
        found, geman_mcclure(((body - target.dense[nearest]) ** 2).sum(1), sigma), 1.0
    ).mean()
    return forward + _BODY_TO_SCAN_WEIGHT * backward
