"""Where hair grows on a body model: the scalp inside a hairline, and the head's frame.

Found once per body model on its template body (default shape, rest pose),
as a set of the body's triangles: every body of the model shares them, so
a hairstyle built on a body's own scalp (``avatars.hair.shapes``) fits that
head in any shape and pose.

The hairline is a height above the eyes that falls with the azimuth round
the head: high over the forehead, lower at the temples, behind the ears and
down to the nape. Metres; the model's frame (Z up, facing -Y).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from avatars.appearance.face_features import connected_parts
from avatars.body_models.base import BodyModel

HEAD_BONES = ("head",)  # anny's and SMPL-X's
EYE_BONES = (("eye.L", "eye.R"), ("left_eye", "right_eye"))
HEAD_WEIGHT = 0.5  # a vertex of the head: at least this skinning weight on the head bone
# hairline: (azimuth round the head from the front, radians; height above the eyes, m)
HAIRLINE = ((0.0, 0.058), (math.radians(40), 0.05), (math.radians(75), 0.03), (math.radians(95), 0.012),
            (math.radians(120), -0.02), (math.pi, -0.055))
HEAD_CENTRE_BEHIND_EYES = 0.075  # m: the axis the azimuth turns round, behind the eyes
HEAD_CENTRE_ABOVE_EYES = 0.02


@dataclass(frozen=True)
class Scalp:
    """faces: (K,) indices of the body's triangles that grow hair; hairline:
    (V,) float32 metres each vertex lies above the hairline (negative below);
    head: (H,) the head's vertices and template_head (H, 3) where they lie on
    the template, whose head has its centre (3,) and eyes (3,) between the eyes."""

    faces: np.ndarray
    hairline: np.ndarray
    head: np.ndarray
    template_head: np.ndarray
    centre: np.ndarray
    eyes: np.ndarray

    def head_frame(self, body: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(centre (3,), eyes (3,), forward (3,) horizontal unit) of the head of a posed
        ``body`` (V, 3): the template's, moved by the rigid motion that best takes the
        template's head vertices to the body's (Kabsch), so a turned head turns its hair."""
        source, target = self.template_head, np.asarray(body, np.float64)[self.head]
        source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
        u, _, vt = np.linalg.svd((source - source_mean).T @ (target - target_mean))
        flip = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
        rotation = (u @ flip @ vt).T
        forward = rotation @ np.array([0.0, -1.0, 0.0])
        forward[2] = 0.0
        centre, eyes = (rotation @ (p - source_mean) + target_mean for p in (self.centre, self.eyes))
        return centre, eyes, forward / max(np.linalg.norm(forward), 1e-9)


@lru_cache(maxsize=4)
def scalp(model: BodyModel) -> Scalp:
    """The scalp of ``model``'s bodies."""
    body = model.forward(model.default_shape())
    vertices = body.vertices[0].detach().numpy().astype(np.float64)
    joints = body.joints[0].detach().numpy().astype(np.float64)
    pair = next(p for p in EYE_BONES if all(name in model.bone_names for name in p))
    eyes = np.mean([joints[model.bone_names.index(name)] for name in pair], axis=0)
    head_bone = next(model.bone_names.index(b) for b in HEAD_BONES if b in model.bone_names)
    on_head = np.asarray(model.skinning_weights)[:, head_bone] >= HEAD_WEIGHT
    centre = eyes + [0.0, HEAD_CENTRE_BEHIND_EYES, HEAD_CENTRE_ABOVE_EYES]
    above = head_hairline_height(vertices, centre, eyes)
    faces = np.asarray(model.faces)
    grows = (on_head & (above > 0.0))[faces].all(axis=1)
    head = np.flatnonzero(on_head)
    parts = connected_parts(len(vertices), faces)
    skin = parts[faces[:, 0]] == np.bincount(parts).argmax()  # not the eyeballs or the mouth
    return Scalp(np.flatnonzero(grows & skin), above.astype(np.float32), head, vertices[head], centre, eyes)


def head_hairline_height(points: np.ndarray, centre: np.ndarray, eyes: np.ndarray) -> np.ndarray:
    """(N,) metres ``points`` (N, 3) lie above the hairline of a head centred at ``centre``."""
    azimuth = np.abs(np.arctan2(points[:, 0] - centre[0], -(points[:, 1] - centre[1])))  # 0 front, pi back
    angles, heights = zip(*HAIRLINE)
    return points[:, 2] - eyes[2] - np.interp(azimuth, angles, heights)
