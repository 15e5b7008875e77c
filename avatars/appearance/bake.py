"""A twin's skin texture baked from a coloured scan: her colours, in the body model's UV layout.

Each texel of the layout (``avatars.appearance.uv_layout``) has a point on
the fitted body, posed and placed as the scan was taken; its colour is the
distance-weighted mean, in linear light, of the scan's points within
``REACH_M`` of it. Texels no scan point reached (under the arms, the soles,
a hole) take the colour of the nearest texel that was seen, nearest on the
body in 3D, so a seam of the layout never brings in a far-away colour. The
eyes and the mouth's inside, which scanners do not capture, keep the
painted ones (``avatars.appearance.skin_texture``). Metres; sRGB 0-255.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from avatars.appearance.face_features import TEXTURE_SIZE, face_features
from avatars.appearance.skin_texture import SkinTexture, skin_texture
from avatars.appearance.uv_layout import rasterize_uv
from avatars.body_models.base import BodyModel
from tryon.core.colour import linear_to_srgb, srgb_to_linear

REACH_M = 0.006  # scan points this close to a texel's point colour it
NEIGHBOURS = 8


@dataclass(frozen=True)
class Bake:
    """texture: the baked ``SkinTexture``; seen: the share (0-1) of the skin's texels
    that scan points reached (the rest were filled from their nearest seen texel)."""

    texture: SkinTexture
    seen: float


def bake_skin(model: BodyModel, body: np.ndarray, points: np.ndarray, colours: np.ndarray,
              tone: int) -> Bake:
    """The skin texture of a scan's colours on the fitted ``body`` (V, 3) metres, posed
    and placed as the scan's ``points`` (N, 3) metres with ``colours`` (N, 3) uint8
    sRGB; ``tone``: the Monk tone whose painted eyes and mouth are kept."""
    features = face_features(model)
    painted = skin_texture(model, tone)
    raster = rasterize_uv(features.uvs, model.uv_faces, TEXTURE_SIZE, features.order)
    body = np.asarray(body, np.float64)
    texel_points = raster.interpolate(body[np.asarray(model.faces)].astype(np.float32))[features.skin]
    distance, nearest = cKDTree(np.asarray(points, np.float64)).query(
        texel_points, NEIGHBOURS, distance_upper_bound=REACH_M)
    reached = np.isfinite(distance)
    weight = np.where(reached, 1.0 / np.maximum(distance, 1e-4), 0.0)
    linear = srgb_to_linear(colours)
    safe = np.where(reached, nearest, 0)
    total = weight.sum(axis=1)
    seen = total > 0
    colour = np.einsum("nk,nkc->nc", weight, linear[safe]) / np.maximum(total, 1e-12)[:, None]
    if seen.any() and not seen.all():  # the unseen take their nearest seen texel's colour
        _, source = cKDTree(texel_points[seen]).query(texel_points[~seen])
        colour[~seen] = colour[seen][source]
    image = painted.image.copy()
    image[features.skin] = np.clip(np.round(linear_to_srgb(colour)), 0, 255).astype(np.uint8)
    return Bake(SkinTexture(painted.uvs, painted.uv_faces, painted.corner_vertex, image),
                float(seen.mean()) if len(seen) else 0.0)
