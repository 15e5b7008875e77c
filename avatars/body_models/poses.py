"""Named poses: A-pose (the try-on default), T-pose and a relaxed stance.

Each backend turns a name into per-bone axis-angle rotations (radians) in its
own convention. For anny the rotations are "local-ref": each bone turns about
world-aligned axes at its head, carried along by its parents. The arm angles
are solved from the model's rest skeleton, so a pose means the same thing on
every body: in the A-pose the upper arms hang 45 degrees below horizontal
with straight elbows; in the T-pose they are horizontal; relaxed, they hang
72 degrees below horizontal with elbows bent 15 degrees forward.
"""

from __future__ import annotations

import math

import roma
import torch

POSE_NAMES = ("a-pose", "t-pose", "relaxed")
DEFAULT_POSE = "a-pose"

# (upper-arm angle below horizontal, elbow bend forward), degrees.
_ARM_ANGLES = {"a-pose": (45.0, 0.0), "t-pose": (0.0, 0.0), "relaxed": (72.0, 15.0)}


def check_pose_name(name: str) -> str:
    if name not in POSE_NAMES:
        raise ValueError(f"unknown pose {name!r}; choose one of {', '.join(POSE_NAMES)}")
    return name


def _rotation_between(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(3,) axis-angle that turns direction a onto direction b."""
    a, b = a / a.norm(), b / b.norm()
    axis = torch.linalg.cross(a, b)
    angle = torch.atan2(axis.norm(), torch.dot(a, b))
    return axis / axis.norm().clamp_min(1e-12) * angle


def arm_pose(
    rest_joints: torch.Tensor, landmarks: dict[str, int], bone_count: int, name: str
) -> torch.Tensor:
    """(J, 3) axis-angle pose that places both arms as ``name`` asks.

    rest_joints: (J, 3) joint positions of the model's rest pose, metres,
        in a frame whose axes the bone rotations are expressed in.
    """
    drop, bend = (math.radians(x) for x in _ARM_ANGLES[check_pose_name(name)])
    pose = torch.zeros(bone_count, 3)
    for side, sign in (("L", 1.0), ("R", -1.0)):
        shoulder, elbow, wrist = (
            rest_joints[landmarks[f"{joint}.{side}"]] for joint in ("shoulder", "elbow", "wrist")
        )
        upper = elbow - shoulder
        target_upper = torch.tensor([sign * math.cos(drop), 0.0, -math.sin(drop)])
        shoulder_rot = _rotation_between(upper, target_upper)
        # Straighten the forearm onto the upper arm, then bend it forward (-Y).
        forearm = wrist - elbow
        straight = _rotation_between(forearm, upper)
        forward_axis = torch.linalg.cross(upper / upper.norm(), torch.tensor([0.0, -1.0, 0.0]))
        bent = roma.rotvec_composition(
            [forward_axis / forward_axis.norm() * bend, straight]
        )
        pose[landmarks[f"shoulder.{side}"]] = shoulder_rot
        pose[landmarks[f"elbow.{side}"]] = bent
    return pose
