"""The one interface every body model implements.

A body model maps shape parameters and a pose to a posed, skinned mesh.
Conventions for every backend: metres, Z-up, right-handed, the body faces
-Y (its left hand is on +X), feet on the plane z = 0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class BodyOutput:
    """One forward pass, batched over B bodies.

    vertices: (B, V, 3) posed vertices, metres.
    rest_vertices: (B, V, 3) shaped vertices before skinning, in the model's
        own rest frame (skinning moves them into the posed, floor-standing frame).
    joints: (B, J, 3) posed joint (bone head) positions, metres.
    bone_transforms: (B, J, 4, 4) skinning transforms: a rest-pose point p
        bound to bone j moves to ``bone_transforms[:, j] @ [p, 1]``, so
        ``vertices == linear_blend_skinning(rest_vertices, weights, bone_transforms)``.
    """

    vertices: torch.Tensor
    rest_vertices: torch.Tensor
    joints: torch.Tensor
    bone_transforms: torch.Tensor


# Landmark bones every backend names, used by measurements and fitting.
LANDMARKS = (
    "pelvis", "neck", "head",
    "shoulder.L", "shoulder.R", "elbow.L", "elbow.R", "wrist.L", "wrist.R",
    "hip.L", "hip.R", "knee.L", "knee.R", "ankle.L", "ankle.R",
)


BUILDS = ("slim", "average", "athletic", "curvy", "heavy")


@dataclass(frozen=True)
class ShapeSpace:
    """A bounded region of shape space around a described body.

    start: (S,) the described body, where a search begins and is pulled to.
    free: (S,) bool, the parameters a solver may move.
    low, high: (S,) bounds of every parameter.
    """

    start: torch.Tensor
    free: torch.Tensor
    low: torch.Tensor
    high: torch.Tensor


class BodyModel(ABC):
    """A parametric body model.

    Attributes every backend sets:
        name: backend name ("anny", "smplx").
        cache_key: names the model data, so caches derived from it (the
            solved library) are rebuilt when it changes.
        faces: (F, 3) int64 triangle indices.
        bone_names: J bone names, parents before children.
        bone_parents: (J,) int64 parent index, -1 for the root.
        skinning_weights: (V, J) float32, rows sum to 1.
        uvs: (T, 2) float32 texture coordinates or None.
        uv_faces: (F, 3) int64 indices into ``uvs`` or None.
        shape_names: S names of the shape parameters.
        landmarks: dict from each name in ``LANDMARKS`` to a bone index.
        arm_bones: indices of bones of the arms and hands (clavicle excluded).
        pose_frame: (3, 3) M taking a pose written in our frame (rotation
            vectors about our Z-up, facing -Y axes) to the model's own:
            ``model_pose = our_pose @ pose_frame``. Identity when the model
            is posed in our frame, as anny is.
    """

    name: str
    cache_key: str
    faces: np.ndarray
    bone_names: list[str]
    bone_parents: np.ndarray
    skinning_weights: np.ndarray
    uvs: np.ndarray | None
    uv_faces: np.ndarray | None
    shape_names: list[str]
    landmarks: dict[str, int]
    arm_bones: list[int]
    pose_frame: np.ndarray = np.eye(3, dtype=np.float32)

    @property
    def vertex_count(self) -> int:
        return self.skinning_weights.shape[0]

    @abstractmethod
    def default_shape(self) -> torch.Tensor:
        """(S,) float32 shape parameters of an average adult."""

    @abstractmethod
    def shape_space(
        self, sex: str, age_years: float | None = None, build: str | None = None
    ) -> "ShapeSpace":
        """Where the measurement solver may search for a body of this description.

        sex: female, male or neutral; age_years: adult age or None (35);
        build: one of ``BUILDS`` or None ("average").
        """

    @abstractmethod
    def forward(self, shape: torch.Tensor, pose: torch.Tensor | None = None) -> BodyOutput:
        """Pose and skin bodies.

        shape: (B, S) or (S,) shape parameters (``shape_names``).
        pose: (B, J, 3) or (J, 3) axis-angle rotation of each bone relative
            to its rest orientation, radians; None for the rest pose.
            Batch sizes of 1 broadcast.
        """

    @abstractmethod
    def named_pose(self, name: str) -> torch.Tensor:
        """(J, 3) axis-angle pose for one of ``poses.POSE_NAMES``."""

    def arm_vertex_mask(self) -> np.ndarray:
        """(V,) bool: vertices that follow the arms and hands."""
        return self.skinning_weights[:, self.arm_bones].sum(axis=1) > 0.5
