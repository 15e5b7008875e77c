"""A clip: a body's poses at a video's frame times, blended in from the A-pose.

Every clip starts in the A-pose the garments are draped in and blends into
its motion over ``BLEND_S``, as the authoring tools do, so that the cloth
simulation starts from the static drape. A clip's motion is a procedural one
(``avatars.motion.gait``), ``turntable`` (the body stands still in the
A-pose while the camera goes round), or any object with a
``poses(model, times)`` method, such as a studio's retargeted BVH
(``avatars.motion.retarget.BvhMotion``). Names: ``avatars.motion.names``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import roma
import torch

from avatars.body_models.base import BodyModel
from avatars.motion.gait import gait_pose
from avatars.motion.names import TURNTABLE

BLEND_S = 0.5  # s from the A-pose into the motion


class Motion(Protocol):
    """Body motion from elsewhere (a BVH file, say) in a body model's poses."""

    def poses(self, model: BodyModel, times: np.ndarray) -> torch.Tensor:
        """(T, J, 3) poses at ``times`` (T,) seconds from the motion's start."""

    def root_translation(self, times: np.ndarray) -> np.ndarray:
        """(T, 3) metres the body has moved from where it started, our frame (zeros: in place)."""


@dataclass(frozen=True)
class Clip:
    """poses: (T, J, 3) model poses, one per frame; fps: frames per second;
    motion: its name; translation: (T, 3) metres the body has moved from
    where it started (our frame; zeros for a motion in place)."""

    motion: str
    fps: int
    poses: torch.Tensor
    translation: np.ndarray

    @property
    def frame_count(self) -> int:
        return int(self.poses.shape[0])

    @property
    def orbit(self) -> bool:
        """Whether the camera goes once round the body."""
        return self.motion == TURNTABLE


def frame_times(seconds: float, fps: int) -> np.ndarray:
    """(T,) frame times, seconds: T = round(seconds * fps) frames from 0."""
    return np.arange(int(round(seconds * fps))) / fps


def blend_weights(times: np.ndarray, blend_s: float = BLEND_S) -> np.ndarray:
    """(T,) 0 at the start, easing to 1 at ``blend_s`` seconds (smoothstep)."""
    t = np.clip(np.asarray(times, dtype=np.float64) / blend_s, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def blend_from(start: torch.Tensor, poses: torch.Tensor, weights: np.ndarray) -> torch.Tensor:
    """(T, J, 3) each bone slerped from ``start`` (J, 3) to ``poses`` (T, J, 3) by ``weights`` (T,).

    Slerped in the model's own frame: a rotation and its slerp are the same
    in any frame.
    """
    frames, bones, _ = poses.shape
    first = start[None].expand(frames, bones, 3).reshape(-1, 3).double()
    last = poses.reshape(-1, 3).double()
    w = torch.as_tensor(np.repeat(weights, bones), dtype=torch.float64)
    # rotvec_slerp interpolates at shared steps; weights differ per frame, so compose instead
    delta = roma.rotvec_composition([last, roma.rotvec_inverse(first)])
    return roma.rotvec_composition([delta * w[:, None], first]).reshape(frames, bones, 3).float()


def make_clip(model: BodyModel, motion: str | Motion, seconds: float, fps: int,
              name: str | None = None) -> Clip:
    """The clip of ``motion`` (a name from ``avatars.motion.names.MOTIONS`` or a ``Motion``)
    for ``seconds`` at ``fps``."""
    times = frame_times(seconds, fps)
    a_pose = model.named_pose("a-pose")
    still = np.zeros((len(times), 3))
    if motion == TURNTABLE:
        return Clip(TURNTABLE, fps, a_pose[None].expand(len(times), -1, -1).clone(), still)
    if isinstance(motion, str):
        poses, name, translation = gait_pose(model, times, motion), motion, still
    else:
        poses, translation = motion.poses(model, times), motion.root_translation(times)
    weights = blend_weights(times)
    return Clip(name or "custom", fps, blend_from(a_pose, poses, weights),
                np.asarray(translation, dtype=np.float64) * weights[:, None])
