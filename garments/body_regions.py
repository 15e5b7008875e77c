"""Where on a body a garment goes: vertex regions and levels from landmarks.

Sample garments and the base outfit are cut from a body's own surface, so
regions are defined on the body model's topology with its skinning weights
(arms and hands) and its landmarks (heights of the neck, shoulders, hips,
crotch, knees and ankles). Units: metres, Z-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import trimesh
from scipy.spatial import cKDTree

from avatars.appearance.captured import Appearance
from avatars.appearance.displacement import displace
from avatars.body_models.base import BodyModel
from avatars.body_models.registry import get_body_model
from avatars.measurements import measurer_for

CONTACT_REACH_M = 0.012  # about one body-mesh edge: vertices this close may be in contact
SEPARATE_M = 0.05  # ... if they are this far apart on the T-posed average body


@dataclass(frozen=True)
class BodyLevels:
    """Heights (z, metres) of a standing body's landmarks."""

    neck: float
    shoulder: float
    waist: float  # natural waist: 55 % of the way from crotch to shoulders
    hip: float  # hip joints
    crotch: float
    knee: float
    ankle: float


@dataclass(frozen=True)
class BodyGeometry:
    """One posed body: vertices (V, 3), faces (F, 3), joints (J, 3), and per
    vertex: arm (V,) bool and arm_reach (V,) metres along the arm from the
    shoulder joint (0 off the arms); wrist_reach: the wrist's, metres."""

    vertices: np.ndarray
    faces: np.ndarray
    joints: np.ndarray
    arm: np.ndarray
    arm_reach: np.ndarray
    wrist_reach: float
    levels: BodyLevels
    torso_edges: np.ndarray
    self_contact: np.ndarray  # (V,) bool, see ``self_contact``


def _reach_along(points, start, middle, end):
    """Distance from ``start`` along the polyline start-middle-end of each
    point's closest segment, metres. points (N, 3)."""
    reach = []
    offset = 0.0
    for a, b in ((start, middle), (middle, end)):
        axis = b - a
        length = np.linalg.norm(axis)
        t = np.clip((points - a) @ axis / length**2, 0, 1)
        distance = np.linalg.norm(points - (a + t[:, None] * axis), axis=1)
        reach.append((distance, offset + t * length))
        offset += length
    (d1, r1), (d2, r2) = reach
    return np.where(d1 <= d2, r1, r2)


@lru_cache(maxsize=32)
def posed_geometry(sex: str, shape: tuple[float, ...], pose: str | tuple,
                   appearance: Appearance | None = None) -> BodyGeometry:
    """The body of ``shape`` (S,) posed as the named ``pose`` or as the (J, 3)
    axis-angle rows of a fitted pose, with its regions and levels; with a
    twin's captured ``appearance``, its surface displaced as hers. The most
    recent are kept: a shopper tries several sizes and garments on one body."""
    model = get_body_model(sex)
    rotations = (model.named_pose(pose) if isinstance(pose, str)
                 else torch.tensor(pose, dtype=torch.float32))
    with torch.no_grad():
        body = model.forward(torch.tensor(shape, dtype=torch.float32), rotations)
        vertices = body.vertices if appearance is None else displace(
            model, body, appearance.load().displacement(model))
    return body_geometry(model, vertices[0].numpy().astype(np.float64),
                         body.joints[0].numpy().astype(np.float64))


def body_geometry(model: BodyModel, vertices: np.ndarray, joints: np.ndarray) -> BodyGeometry:
    """Regions and levels of an A-posed body of ``model``."""
    lm = model.landmarks
    arm = model.arm_vertex_mask()
    reach = np.zeros(len(vertices))
    for side, sign in (("L", 1), ("R", -1)):
        on_side = arm & (np.sign(vertices[:, 0]) == sign)
        shoulder, elbow, wrist = (joints[lm[f"{j}.{side}"]] for j in ("shoulder", "elbow", "wrist"))
        reach[on_side] = _reach_along(vertices[on_side], shoulder, elbow, wrist)
    measurer = measurer_for(model)
    crotch = float(vertices[measurer.crotch_vertex, 2])
    shoulder = float(joints[[lm["shoulder.L"], lm["shoulder.R"]], 2].mean())
    levels = BodyLevels(
        neck=float(joints[lm["neck"], 2]),
        shoulder=shoulder,
        waist=crotch + 0.55 * (shoulder - crotch),
        hip=float(joints[[lm["hip.L"], lm["hip.R"]], 2].mean()),
        crotch=crotch,
        knee=float(joints[[lm["knee.L"], lm["knee.R"]], 2].mean()),
        ankle=float(joints[[lm["ankle.L"], lm["ankle.R"]], 2].mean()),
    )
    wrist_reach = float(np.linalg.norm(joints[lm["elbow.L"]] - joints[lm["shoulder.L"]])
                        + np.linalg.norm(joints[lm["wrist.L"]] - joints[lm["elbow.L"]]))
    return BodyGeometry(vertices, model.faces, joints, arm, reach, wrist_reach, levels,
                        measurer.torso_edges, self_contact(model, vertices))


@lru_cache(maxsize=4)
def _spread_body(model: BodyModel) -> np.ndarray:
    """(V, 3) the model's average body in the T-pose: no two parts touch."""
    out = model.forward(model.default_shape(), model.named_pose("t-pose"))
    return out.vertices[0].detach().numpy()


def self_contact(model: BodyModel, vertices: np.ndarray) -> np.ndarray:
    """(V,) bool: skin touching, or passing through, another part of the body.

    On heavy bodies the body model's inner thighs, belly and thighs, upper
    arms and flanks touch and interpenetrate; cloth there is pinched between
    two skins and cannot be outside both, so penetration is measured outside
    these zones. Two vertices are in contact when they are within
    ``CONTACT_REACH_M`` of each other here but ``SEPARATE_M`` apart on the
    same model's T-posed average body (so they are not mesh neighbours);
    the zone then grows by one ring of neighbours.
    """
    pairs = cKDTree(vertices).query_pairs(CONTACT_REACH_M, output_type="ndarray")
    spread = _spread_body(model)
    apart = np.linalg.norm(spread[pairs[:, 0]] - spread[pairs[:, 1]], axis=1) > SEPARATE_M
    contact = np.zeros(len(vertices), dtype=bool)
    contact[pairs[apart].ravel()] = True
    faces = model.faces
    contact[faces[contact[faces].any(axis=1)].ravel()] = True
    return contact


def region_submesh(faces: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The largest connected piece of the faces whose corners are all in ``mask``.

    Returns (vertex_ids (n,) into the body, faces (f, 3) into vertex_ids).
    """
    kept = faces[mask[faces].all(axis=1)]
    labels = trimesh.graph.connected_component_labels(
        trimesh.graph.face_adjacency(kept), node_count=len(kept)
    )
    kept = kept[labels == np.bincount(labels).argmax()]
    vertex_ids, local = np.unique(kept, return_inverse=True)
    return vertex_ids, local.reshape(-1, 3)
