"""The neutral base outfit every render puts on a body: leggings and a tank top.

Cut from the body's own surface (``garments.body_regions``) a few millimetres
off the skin, so it needs no draping; a tried garment drapes over it with a
collision thickness larger than this offset, so the base layer never pokes
through.
"""

from __future__ import annotations

import numpy as np
import trimesh

from garments.body_regions import BodyGeometry, region_submesh
from garments.sample_garments import straighten_hems

BASE_OFFSET_M = 0.002
BASE_COLOUR = (92, 94, 99)  # sRGB: a soft charcoal that reads as clothing on every skin tone


def _piece(g: BodyGeometry, mask: np.ndarray, normals: np.ndarray) -> trimesh.Trimesh:
    ids, faces = region_submesh(g.faces, mask)
    points = g.vertices[ids] + normals[ids] * BASE_OFFSET_M
    return trimesh.Trimesh(straighten_hems(points, faces), faces, process=False)


def base_outfit(g: BodyGeometry) -> list[trimesh.Trimesh]:
    """[leggings, tank top] fitted to the A- or relaxed-posed body ``g``."""
    normals = trimesh.Trimesh(g.vertices, g.faces, process=False).vertex_normals
    z, lv = g.vertices[:, 2], g.levels
    leggings = ~g.arm & (z > lv.ankle + 0.03) & (z < lv.waist - 0.02)
    tank = ~g.arm & (z > lv.waist - 0.04) & (z < lv.shoulder - 0.06)
    return [_piece(g, leggings, normals), _piece(g, tank, normals)]
