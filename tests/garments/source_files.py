"""Garments as another tool exports them: made on its own avatar, in its own frame.

The avatar is a body of the body model in a T-pose, remeshed to another
topology (the body model's own vertices do not survive the export), written
Y-up, facing +Z, in centimetres, with the pelvis at the origin, as research
bodies and many authoring tools write them. A garment made on it is a sample
garment relaxed onto that body by tryon's drape (its own size kept, as an
authoring tool's simulation keeps it), written in the same frame.
"""

from __future__ import annotations

import fast_simplification
import numpy as np
import torch
import trimesh



def t_posed_avatar(model, shape, reduction: float = 0.4):
    """The body of ``shape`` in the T-pose, metres, tryon's frame: (vertices
    (V', 3), faces (F', 3)) simplified by ``reduction`` so that its topology is
    another one, and the body model's own pelvis height, metres."""
    with torch.no_grad():
        body = model.forward(torch.as_tensor(shape, dtype=torch.float32), model.named_pose("t-pose"))
    vertices = body.vertices[0].numpy().astype(np.float64)
    simple_v, simple_f = fast_simplification.simplify(vertices.astype(np.float32),
                                                      np.asarray(model.faces, dtype=np.int32),
                                                      target_reduction=reduction)
    pelvis = float(body.joints[0, model.landmarks["hip.L"], 2])
    return simple_v.astype(np.float64), simple_f.astype(np.int64), pelvis


def exported(vertices, pelvis_height: float) -> np.ndarray:
    """(N, 3) tryon's frame (metres, Z-up, facing -Y) -> the tool's: centimetres,
    Y-up, facing +Z, pelvis at the origin."""
    moved = np.asarray(vertices, dtype=np.float64) - [0.0, 0.0, pelvis_height]
    return np.stack([moved[:, 0], moved[:, 2], -moved[:, 1]], axis=1) * 100.0


def write_obj(path, vertices, faces) -> None:
    trimesh.Trimesh(vertices, faces, process=False).export(path)
