"""Body measurements after ISO 8559-1, taken from the mesh, in centimetres.

Girths are horizontal plane sections of the torso (arms and hands left out
by their skinning weights), measured as a tape would: the perimeter of the
section's convex hull. Levels are found the way a tailor finds them, between
the crotch and the shoulder joints (fraction t = 0 at the crotch, 1 at the
shoulders): hip girth is the largest girth for t in [0, 0.4], waist girth the
smallest for t in [0.35, 0.65] (natural waist), bust/chest girth the largest
for t in [0.6, 0.88]; under-bust (bodies with breasts) is the girth just
below the breasts: below the steepest rise of girth between waist and bust. Stature is floor to crown; inseam is floor to
crotch; shoulder width is the distance between the shoulder joint centres
(a biacromial proxy); arm length runs shoulder joint, elbow, wrist.

Bodies must be measured standing in the A-pose, feet on z = 0, metres.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy.spatial import ConvexHull

from avatars.body_models.base import BodyModel

_STEP_M = 0.004  # vertical spacing of the girth scan
_HIP_BAND, _WAIST_BAND, _BUST_BAND = (0.0, 0.4), (0.35, 0.65), (0.6, 0.88)


@dataclass(frozen=True)
class Measurements:
    """ISO 8559-1 body measurements, centimetres."""

    stature: float
    chest_girth: float  # bust girth on bodies with breasts
    under_bust_girth: float | None
    waist_girth: float
    hip_girth: float
    inseam: float
    shoulder_width: float
    arm_length: float

    def as_dict(self) -> dict[str, float | None]:
        return {k: (None if v is None else round(v, 1)) for k, v in asdict(self).items()}


def unique_edges(faces: np.ndarray) -> np.ndarray:
    """(E, 2) sorted vertex pairs of the edges of (F, 3) triangles."""
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    return np.unique(edges, axis=0)


def horizontal_sections(
    vertices: np.ndarray, edges: np.ndarray, heights: np.ndarray
) -> list[np.ndarray]:
    """Points where the mesh edges cross horizontal planes.

    vertices: (V, 3) metres; edges: (E, 2) vertex indices; heights: (H,)
    increasing z of each plane, metres. Returns H arrays of (N_h, 2) xy
    crossing points.
    """
    a, b = vertices[edges[:, 0]], vertices[edges[:, 1]]
    # Edge e crosses every plane with lo_e < z <= hi_e: enumerate those pairs at once.
    first = np.searchsorted(heights, np.minimum(a[:, 2], b[:, 2]), side="right")
    stop = np.searchsorted(heights, np.maximum(a[:, 2], b[:, 2]), side="right")
    counts = stop - first
    edge = np.repeat(np.arange(len(edges)), counts)
    level = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    ea, eb = a[edge], b[edge]
    t = (heights[level] - ea[:, 2]) / (eb[:, 2] - ea[:, 2])
    points = ea[:, :2] + t[:, None] * (eb[:, :2] - ea[:, :2])
    order = np.argsort(level, kind="stable")
    bounds = np.cumsum(np.bincount(level, minlength=len(heights)))[:-1]
    return np.split(points[order], bounds)


def convex_girth(points: np.ndarray) -> float:
    """Perimeter of the convex hull of (N, 2) points: a tape's length, same units."""
    if len(points) < 3:
        return 0.0
    return float(ConvexHull(points).area)  # in 2-D, "area" is the perimeter


def _girth_scan(vertices, torso_edges, z_low, z_high):
    heights = np.arange(z_low, z_high, _STEP_M)
    girths = np.array(
        [convex_girth(p) for p in horizontal_sections(vertices, torso_edges, heights)]
    )
    return heights, girths


def _band(t, girths, band, pick) -> int:
    """Index of the girth ``pick`` (np.nanargmax/np.nanargmin) chooses within a band of t."""
    inside = (t >= band[0]) & (t <= band[1])
    return int(pick(np.where(inside, girths, np.nan)))


class BodyMeasurer:
    """Measures bodies of one topology.

    faces: (F, 3); arm_mask: (V,) bool vertices of arms and hands;
    crotch_vertex: index of the crotch vertex of this topology (see
    ``find_crotch_vertex``).
    """

    def __init__(self, faces: np.ndarray, arm_mask: np.ndarray, crotch_vertex: int):
        torso_faces = faces[~arm_mask[faces].any(axis=1)]
        self.torso_edges = unique_edges(torso_faces)
        self.crotch_vertex = crotch_vertex

    def measure(
        self, vertices: np.ndarray, joints: np.ndarray, landmarks: dict[str, int], breasts: bool
    ) -> Measurements:
        """Measure one A-posed body: vertices (V, 3), joints (J, 3), metres."""
        crotch_z = float(vertices[self.crotch_vertex, 2])
        shoulder_z = float(joints[[landmarks["shoulder.L"], landmarks["shoulder.R"]], 2].mean())
        heights, girths = _girth_scan(vertices, self.torso_edges, crotch_z, shoulder_z)
        t = (heights - crotch_z) / (shoulder_z - crotch_z)
        hip = girths[_band(t, girths, _HIP_BAND, np.nanargmax)]
        i_waist = _band(t, girths, _WAIST_BAND, np.nanargmin)
        i_bust = _band(t, girths, _BUST_BAND, np.nanargmax)
        under_bust = None
        if breasts and i_bust > i_waist + 1:
            rise = np.diff(girths[i_waist : i_bust + 1])
            under_bust = girths[i_waist + int(np.argmax(rise))]

        def joint_distance(a, b):
            return float(np.linalg.norm(joints[landmarks[a]] - joints[landmarks[b]]))

        arm = np.mean([
            joint_distance(f"shoulder.{s}", f"elbow.{s}") + joint_distance(f"elbow.{s}", f"wrist.{s}")
            for s in "LR"
        ])
        cm = 100.0
        return Measurements(
            stature=float(vertices[:, 2].max() - vertices[:, 2].min()) * cm,
            chest_girth=float(girths[i_bust]) * cm,
            under_bust_girth=None if under_bust is None else float(under_bust) * cm,
            waist_girth=float(girths[i_waist]) * cm,
            hip_girth=float(hip) * cm,
            inseam=(crotch_z - float(vertices[:, 2].min())) * cm,
            shoulder_width=joint_distance("shoulder.L", "shoulder.R") * cm,
            arm_length=float(arm) * cm,
        )


def find_crotch_vertex(vertices: np.ndarray, joints: np.ndarray, landmarks: dict[str, int]) -> int:
    """Index of the crotch vertex of an A-posed reference body of a topology.

    The crotch is the lowest surface point between the hip joints: the lowest
    vertex within 1.5 cm of the mid-sagittal plane, above the knees.
    """
    hip_l, hip_r = joints[landmarks["hip.L"]], joints[landmarks["hip.R"]]
    mid_x = 0.5 * (hip_l[0] + hip_r[0])
    knee_z = joints[[landmarks["knee.L"], landmarks["knee.R"]], 2].max()
    candidates = np.flatnonzero(
        (np.abs(vertices[:, 0] - mid_x) < 0.015) & (vertices[:, 2] > knee_z)
        & (vertices[:, 2] < 0.5 * (hip_l[2] + hip_r[2]))
    )
    return int(candidates[np.argmin(vertices[candidates, 2])])


@functools.cache
def measurer_for(model: BodyModel) -> BodyMeasurer:
    """The measurer of a body model's topology (crotch found on its default body)."""
    out = model.forward(model.default_shape(), model.named_pose("a-pose"))
    vertices, joints = out.vertices[0].detach().numpy(), out.joints[0].detach().numpy()
    crotch = find_crotch_vertex(vertices, joints, model.landmarks)
    return BodyMeasurer(model.faces, model.arm_vertex_mask(), crotch)


@torch.no_grad()
def measure_shapes(model: BodyModel, shapes: torch.Tensor, breasts: bool) -> list[Measurements]:
    """Measure (B, S) shapes of ``model``, each posed in the A-pose."""
    out = model.forward(shapes, model.named_pose("a-pose"))
    measurer = measurer_for(model)
    return [
        measurer.measure(v.numpy(), j.numpy(), model.landmarks, breasts)
        for v, j in zip(out.vertices, out.joints)
    ]
