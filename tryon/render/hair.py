"""An avatar's hair as a layer of the scene, clear of the garments it falls over.

The hair mesh comes from ``avatars.hair.styles`` (built on the posed body,
long hair falling over the garments worn); where it still meets a garment
(a collar) it is moved out along the garment's normals to lie on it, not
through it.
"""

from __future__ import annotations

import numpy as np

from avatars.avatar import Avatar
from avatars.body_models.base import BodyModel
from avatars.hair.shapes import clear_of
from avatars.hair.styles import DEFAULT_COLOUR, hair_mesh
from tryon.core.kept import KeptByContent
from tryon.core.geometry import vertex_normals
from tryon.render.scene import GarmentLayer

ON_GARMENT_M = 0.004  # hair rests this far off a garment's outside
_KEPT = KeptByContent(16)  # hair layers, about 0.1 MB each


def hair_layer(model: BodyModel, body: np.ndarray, avatar: Avatar,
               worn: tuple[GarmentLayer, ...] = ()) -> GarmentLayer | None:
    """The hair of ``avatar`` on its posed ``body`` (V, 3) metres, over the ``worn`` layers;
    None for an avatar without hair (a twin). Kept for the bodies drawn most recently:
    the views of one try-on share it (a curtain takes 45-55 ms to build)."""
    if avatar.hair is None:
        return None
    parts = [np.asarray(body, np.float64), *(np.asarray(a) for layer in worn for a in (layer.vertices, layer.faces))]
    return _KEPT.get([model.cache_key, avatar.hair, avatar.hair_colour, *parts],
                     lambda: _hair_layer(model, parts[0], avatar, worn))


def _hair_layer(model, body, avatar, worn) -> GarmentLayer:
    garments = [np.asarray(layer.vertices, np.float64) for layer in worn]
    hair = hair_mesh(model, body, avatar.hair, avatar.hair_colour or DEFAULT_COLOUR,
                     np.concatenate(garments) if garments else None)
    vertices = hair.vertices
    for layer in worn:
        garment = np.asarray(layer.vertices, np.float64)
        vertices = clear_of(vertices.astype(np.float64), garment,
                            vertex_normals(garment.astype(np.float32), np.asarray(layer.faces)), ON_GARMENT_M)
    return GarmentLayer(vertices=np.asarray(vertices, np.float32), faces=hair.faces, rgb=(0, 0, 0),
                        roughness=hair.roughness, vertex_rgb=hair.vertex_rgb)
