"""The free variables of a scan fit, and the body they start from.

A fit (``avatars.scans.fitting``) moves a body model's shape parameters,
its pose away from the A-pose, and a placement (heading about z and
translation). Shapes start at the average body of the sex with the scan's
stature and stay within adult, sex-typical bounds. Metres and radians.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import roma
import torch

from avatars.body_models.base import BodyModel
from avatars.from_measurements import LIMITS_CM, BodyDescription, solve_body

_SEX_BAND = 0.4  # share of a sex-dependent parameter's range kept on the sex's side


@dataclass
class FitState:
    """Free variables of one fit (tensors are optimised in place)."""

    model: BodyModel
    sex: str
    start: torch.Tensor  # (S,) prior centre
    low: torch.Tensor  # (S,)
    high: torch.Tensor  # (S,)
    shape_u: torch.Tensor  # (S,) (shape - start) / (high - low)
    pose_delta: torch.Tensor  # (J, 3) added to the A-pose
    heading: torch.Tensor  # () turn about the vertical through the pivot, radians
    translation: torch.Tensor  # (3,) metres
    pivot: torch.Tensor  # (3,)
    a_pose: torch.Tensor  # (J, 3)
    loss: float = math.inf

    def shape(self) -> torch.Tensor:
        return self.start + self.shape_u * (self.high - self.low)

    def pose(self) -> torch.Tensor:
        return self.a_pose + self.pose_delta

    def place(self, vertices: torch.Tensor) -> torch.Tensor:
        """(V, 3) model-frame vertices -> scan frame."""
        return (vertices - self.pivot) @ self._turn().T + self.pivot + self.translation

    def _turn(self) -> torch.Tensor:
        """(3, 3) rotation by the heading about z."""
        zero = torch.zeros_like(self.heading)
        return roma.rotvec_to_rotmat(torch.stack([zero, zero, self.heading]))

    def vertices(self) -> torch.Tensor:
        """(V, 3) the posed, placed body, metres."""
        return self.place(self.model.forward(self.shape(), self.pose()).vertices[0])

    def placement(self) -> np.ndarray:
        turn = self._turn().detach().double().numpy()
        matrix = np.eye(4)
        matrix[:3, :3] = turn
        pivot = self.pivot.double().numpy()
        matrix[:3, 3] = pivot - turn @ pivot + self.translation.detach().double().numpy()
        return matrix


def _bounds(model: BodyModel, sex: str):
    """(start, low, high) (S,) shape prior centre and bounds for a scan of ``sex``.

    Age-dependent parameters stay between an 18- and a 90-year-old's;
    parameters that differ between the sexes (anny's gender continuum) stay
    within ``_SEX_BAND`` of the range on the sex's side.
    """
    space = model.shape_space(sex)
    low, high = space.low.clone(), space.high.clone()
    young, old = model.shape_space(sex, 18.0).start, model.shape_space(sex, 90.0).start
    aged = young != old
    low[aged], high[aged] = torch.minimum(young, old)[aged], torch.maximum(young, old)[aged]
    female, male = model.shape_space("female").start, model.shape_space("male").start
    sexed = female != male
    band = _SEX_BAND * (space.high - space.low)
    if sex in ("female", "male"):
        low[sexed] = (space.start - band).clamp_min(space.low)[sexed]
        high[sexed] = (space.start + band).clamp_max(space.high)[sexed]
    return space.start, low, high


def new_state(model: BodyModel, sex: str, stature_m: float, like: FitState | None = None) -> FitState:
    """A fit starting from the average A-posed body of ``sex`` and the scan's stature.

    like: a state whose start body to reuse (skips solving for the stature).
    """
    a_pose = model.named_pose("a-pose")
    if like is not None:
        start, low, high, pivot = like.start, like.low, like.high, like.pivot
    else:
        start, low, high = _bounds(model, sex)
        start = _stature_shape(model, sex, stature_m, start).clamp(low, high)
        with torch.no_grad():
            pivot = model.forward(start, a_pose).vertices[0].mean(dim=0)
    return FitState(
        model=model, sex=sex, start=start, low=low, high=high,
        shape_u=torch.zeros_like(start), pose_delta=torch.zeros_like(a_pose),
        heading=torch.zeros(()), translation=torch.zeros(3), pivot=pivot, a_pose=a_pose,
    )


def _stature_shape(model: BodyModel, sex: str, stature_m: float, fallback: torch.Tensor):
    """(S,) the average body of ``sex`` with the scan's stature (the measurement solver's)."""
    low, high = LIMITS_CM["height"]
    height = float(np.clip(stature_m * 100.0, low, high))
    try:
        return solve_body(BodyDescription(height=height, sex=sex), model).shape
    except ValueError:  # MeasurementError, or a body the measurer cannot read: start average
        return fallback
