"""Procedural body motion: a walk, a catwalk, an idle sway and a turn on the spot.

Licence-free motion that ships with tryon: joint angles are smooth periodic
functions of the gait phase, written for the landmark bones every body model
names (``avatars.body_models.base.LANDMARKS``), so one motion drives anny and
SMPL-X alike. The body walks in place, as on a treadmill: root motion is
left out so that a product clip keeps the garment in frame; the body model's
floor shift keeps the lowest foot on the ground in every frame.

Angles are in degrees where they are parameters, radians in arrays. Rotation
vectors are written in our frame (Z up, the body faces -Y, its left on +X),
each local to its parent bone (whose rest axes are world-aligned), and
turned into the model's own frame with ``BodyModel.pose_frame``. About +X, a
positive angle swings a hanging limb backwards (towards +Y).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import roma
import torch

from avatars.body_models.base import BodyModel
from avatars.motion.names import GAIT_MOTIONS


@dataclass(frozen=True)
class Gait:
    """How a body moves in a gait cycle.

    cadence: steps per minute (two steps make a stride).
    hip_swing: degrees the thigh swings forward of vertical at its most
        (backwards it reaches a third of that less).
    knee_bend: degrees the knee bends in the swing phase at its most.
    arm_swing: degrees the upper arm swings either way.
    hip_sway: degrees the pelvis rolls side to side (the catwalk's hip sway).
    cross_over: degrees each thigh turns inwards, so the feet land on a line.
    """

    cadence: float = 108.0
    hip_swing: float = 22.0
    knee_bend: float = 55.0
    arm_swing: float = 14.0
    hip_sway: float = 2.0
    cross_over: float = 0.0


GAITS = {
    "walk": Gait(),
    "catwalk": Gait(cadence=116.0, hip_swing=24.0, knee_bend=50.0, arm_swing=8.0, hip_sway=6.0,
                    cross_over=4.0),
}
SWAY_PERIOD_S = 4.0  # one shift of weight to each side and back
SWAY_DEGREES = 3.0  # pelvis roll at the furthest point of the sway
TURN_STEP_S = 0.8  # s per pair of steps while turning on the spot


def _rotvec(axis: str, radians: np.ndarray) -> np.ndarray:
    """(T, 3) rotation vectors about a world axis ('x', 'y' or 'z') by (T,) angles."""
    out = np.zeros((len(radians), 3))
    out[:, "xyz".index(axis)] = radians
    return out


def _compose(*rotvecs: np.ndarray) -> np.ndarray:
    """(T, 3) the rotation that applies the last of ``rotvecs`` first."""
    return roma.rotvec_composition([torch.as_tensor(r, dtype=torch.float64) for r in rotvecs]).numpy()


def _bump(phase: np.ndarray, centre: float, width: float) -> np.ndarray:
    """A smooth periodic bump in [0, 1]: 1 at ``centre`` of the cycle, 0 beyond ``width`` either side."""
    distance = np.abs((phase - centre + 0.5) % 1.0 - 0.5)
    return np.where(distance < width, 0.5 * (1 + np.cos(math.pi * distance / width)), 0.0)


def _leg(phase: np.ndarray, gait: Gait) -> dict[str, np.ndarray]:
    """Angles (radians) of one leg through a stride; phase 0 is the heel strike.

    hip: thigh flexion (forward positive), knee: bend, ankle: dorsiflexion.
    """
    wave = np.cos(2 * math.pi * phase)  # +1 at heel strike (thigh forward), -1 at toe-off
    hip = np.radians(gait.hip_swing) * (0.5 + 0.5 * wave) - np.radians(gait.hip_swing * 2 / 3) * (0.5 - 0.5 * wave)
    # a small bend as the leg takes the weight, the large one while it swings through
    knee = np.radians(15.0) * _bump(phase, 0.12, 0.12) + np.radians(gait.knee_bend) * _bump(phase, 0.72, 0.22)
    ankle = np.radians(8.0) * np.sin(2 * math.pi * (phase - 0.1))
    return {"hip": hip, "knee": knee, "ankle": ankle}


def gait_pose(model: BodyModel, times: np.ndarray, motion: str) -> torch.Tensor:
    """(T, J, 3) model poses of ``motion`` (walk, catwalk, sway, turn) at ``times`` seconds."""
    if motion not in GAIT_MOTIONS:
        raise ValueError(f"unknown motion {motion!r}; choose one of {', '.join(GAIT_MOTIONS)}")
    times = np.asarray(times, dtype=np.float64)
    frames = len(times)
    # arms hang relaxed while the body moves (the clip blends them in from the A-pose)
    ours = model.named_pose("relaxed").double().numpy() @ model.pose_frame.T  # (J, 3) our frame
    pose = np.repeat(ours[None], frames, axis=0)
    lm = model.landmarks
    if motion in GAITS:
        gait = GAITS[motion]
        phase = (times * gait.cadence / 120.0) % 1.0
        for side, sign, shift in (("L", 1.0, 0.0), ("R", -1.0, 0.5)):
            leg = _leg((phase + shift) % 1.0, gait)
            # about +Y a positive angle takes a hanging left leg inwards (towards -X)
            cross = np.full(frames, np.radians(gait.cross_over) * sign)
            pose[:, lm[f"hip.{side}"]] = _compose(_rotvec("y", cross), _rotvec("x", -leg["hip"]))
            pose[:, lm[f"knee.{side}"]] = _rotvec("x", leg["knee"])
            pose[:, lm[f"ankle.{side}"]] = _rotvec("x", -leg["ankle"])
            # the arm swings with the opposite leg
            swing = np.radians(gait.arm_swing) * np.cos(2 * math.pi * (phase + shift + 0.5))
            pose[:, lm[f"shoulder.{side}"]] = _compose(_rotvec("x", -swing), pose[:, lm[f"shoulder.{side}"]])
            elbow = np.radians(8.0) + np.radians(10.0) * np.clip(swing / max(np.radians(gait.arm_swing), 1e-9), 0, 1)
            pose[:, lm[f"elbow.{side}"]] = _compose(_rotvec("x", -elbow), pose[:, lm[f"elbow.{side}"]])
        # the pelvis turns with the forward thigh and drops on the swing side
        yaw = np.radians(4.0) * np.cos(2 * math.pi * phase)
        roll = np.radians(gait.hip_sway) * np.sin(2 * math.pi * phase)
        pose[:, lm["pelvis"]] = _compose(_rotvec("z", yaw), _rotvec("y", roll))
        for side in ("L", "R"):  # the legs keep to the vertical under the rolling pelvis
            pose[:, lm[f"hip.{side}"]] = _compose(_rotvec("y", -roll), pose[:, lm[f"hip.{side}"]])
    elif motion == "sway":
        roll = np.radians(SWAY_DEGREES) * np.sin(2 * math.pi * times / SWAY_PERIOD_S)
        pose[:, lm["pelvis"]] = _rotvec("y", roll)
        for side in ("L", "R"):
            pose[:, lm[f"hip.{side}"]] = _rotvec("y", -roll)
        pose[:, lm["neck"]] = _rotvec("y", -0.5 * roll)
    else:  # turn: once round on the spot, easing in and out, stepping as it turns
        share = np.clip(times / max(times[-1], 1e-9), 0.0, 1.0)
        pose[:, lm["pelvis"]] = _rotvec("z", 2 * math.pi * share * share * (3 - 2 * share))
        wave = np.sin(2 * math.pi * times / TURN_STEP_S) * np.sin(math.pi * share)
        for side, sign in (("L", 1.0), ("R", -1.0)):  # the feet step in turn
            lift = np.radians(12.0) * np.maximum(0.0, sign * wave)
            pose[:, lm[f"hip.{side}"]] = _rotvec("x", -lift)
            pose[:, lm[f"knee.{side}"]] = _rotvec("x", 2 * lift)
    return torch.as_tensor(pose @ model.pose_frame, dtype=torch.float32)
