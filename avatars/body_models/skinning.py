"""Linear blend skinning, shared by every body model and by garments."""

from __future__ import annotations

import torch


def linear_blend_skinning(
    points: torch.Tensor, weights: torch.Tensor, bone_transforms: torch.Tensor
) -> torch.Tensor:
    """Move rest-pose points with their bones.

    points: (B, N, 3) rest-pose positions, metres.
    weights: (N, J) or (B, N, J) skinning weights, rows summing to 1.
    bone_transforms: (B, J, 4, 4) rest-to-posed transform of each bone.
    Returns (B, N, 3) posed positions.
    """
    blended = torch.einsum("...nj,bjrc->bnrc", weights, bone_transforms)  # (B, N, 4, 4)
    return torch.einsum("bnrc,bnc->bnr", blended[..., :3, :3], points) + blended[..., :3, 3]
