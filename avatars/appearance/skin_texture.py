"""The skin texture of a body: its tone, with eyes, brows and lips painted on.

Modest on purpose: a good product photo of a person, not a portrait. Eyes
have an off-white sclera (pure white stares), an iris and a pupil; brows
are a soft arch; lips are a little darker than the skin, redder on light
skin and deeper on dark skin. One texture per body model and tone, shared
by every body of that model (``avatars.appearance.face_features``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from avatars.appearance.face_features import face_features
from avatars.body_models.base import BodyModel
from avatars.skin_tones import skin_rgb

SCLERA = (226, 222, 215)
PUPIL = (22, 20, 20)
MOUTH = (92, 46, 44)
# Iris and brow colours by Monk tone (sRGB): lighter skin, a range of eye
# colours; darker skin, browns.
IRIS = {1: (92, 116, 134), 2: (88, 104, 78), 3: (112, 86, 56), 4: (96, 70, 46), 5: (82, 56, 36),
        6: (70, 46, 30), 7: (62, 40, 26), 8: (52, 34, 22), 9: (44, 30, 22), 10: (38, 27, 20)}
BROW = {1: (120, 94, 70), 2: (104, 80, 60), 3: (92, 70, 52), 4: (76, 58, 44), 5: (62, 47, 36),
        6: (48, 37, 29), 7: (40, 31, 25), 8: (33, 26, 22), 9: (26, 22, 19), 10: (22, 19, 17)}
BROW_OPACITY = 0.75


@dataclass(frozen=True, eq=False)
class SkinTexture:
    """uvs: (T, 2) float32; uv_faces: (F, 3) int64 into uvs, one row per body
    face; corner_vertex: (T,) the body vertex of each texture coordinate (a
    textured mesh takes ``vertices[corner_vertex]`` with ``uv_faces``: UV
    seams split vertices); image: (S, S, 3) uint8 sRGB, row 0 at v = 1.
    Compared and hashed by identity: one object per model and tone."""

    uvs: np.ndarray
    uv_faces: np.ndarray
    corner_vertex: np.ndarray
    image: np.ndarray


def lip_rgb(tone: int) -> tuple[int, int, int]:
    """sRGB of the lips for a Monk tone: the skin, a little darker and redder."""
    skin = np.asarray(skin_rgb(tone), float)
    scale = np.array([0.86, 0.70, 0.70]) if tone <= 5 else np.array([0.80, 0.72, 0.72])
    return tuple(int(round(c)) for c in np.clip(skin * scale, 0, 255))


@lru_cache(maxsize=24)
def skin_texture(model: BodyModel, tone: int) -> SkinTexture | None:
    """The skin texture of ``model``'s bodies in Monk ``tone``; None for a model without UVs."""
    if model.uvs is None or model.uv_faces is None:
        return None
    features = face_features(model)
    image = np.empty((*features.sclera.shape, 3), np.float32)
    image[:] = skin_rgb(tone)
    for mask, colour, opacity in ((features.lips, lip_rgb(tone), 1.0), (features.brow, BROW[tone], BROW_OPACITY),
                                  (features.mouth, MOUTH, 1.0), (features.sclera, SCLERA, 1.0),
                                  (features.iris, IRIS[tone], 1.0), (features.pupil, PUPIL, 1.0)):
        weight = (mask * opacity)[..., None]
        image = image * (1.0 - weight) + np.asarray(colour, np.float32) * weight
    uv_faces = np.asarray(model.uv_faces, np.int64)
    corner_vertex = np.zeros(len(features.uvs), np.int64)
    corner_vertex[uv_faces] = model.faces
    return SkinTexture(features.uvs, uv_faces, corner_vertex, np.round(image).astype(np.uint8))
