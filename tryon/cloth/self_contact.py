"""Self-contact zones of a moving body: skin that touches skin it did not touch in the first frame.

Cloth caught between an arm and the torso, or between the thighs, cannot
stay outside both; penetration there is the body's, not the cloth's. A body
vertex is in a zone in a frame when skin within ``TOUCH_M`` of it lay at
least ``CLOSED_M`` farther from it in the first frame (the A-pose): the
motion brought them together. The ring of skin around it counts too.
Metres.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

TOUCH_M = 0.02
CLOSED_M = 0.01


def self_contact_faces(frame: np.ndarray, first: np.ndarray, faces: np.ndarray,
                       where: np.ndarray | None = None) -> np.ndarray:
    """(F,) bool: triangles with a vertex in a self-contact zone.

    frame, first: (V, 3) body vertices in this frame and in the first, metres;
    faces: (F, 3); where: indices of the vertices to look at (None: all),
    as a whole body's pairs take a tenth of a second.
    """
    tree = cKDTree(frame)
    if where is None:
        pairs = tree.query_pairs(TOUCH_M, output_type="ndarray")  # (P, 2)
    else:
        near = tree.query_ball_point(frame[where], TOUCH_M)
        pairs = np.array([(i, j) for i, js in zip(where, near) for j in js if j != i],
                         dtype=np.int64).reshape(-1, 2)
    now = np.linalg.norm(frame[pairs[:, 0]] - frame[pairs[:, 1]], axis=1)
    apart = np.linalg.norm(first[pairs[:, 0]] - first[pairs[:, 1]], axis=1) > now + CLOSED_M
    touching = np.zeros(len(frame), bool)
    touching[pairs[apart].ravel()] = True
    # and the ring around them: the nearest skin to cloth pinched there may be just outside
    touching[faces[touching[faces].any(axis=1)].ravel()] = True
    return touching[faces].any(axis=1)
