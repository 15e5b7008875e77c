"""Synthetic body scans of known bodies, for tests and benchmarks.

``synthetic_scan`` poses a body of random shape in a random, plausible
standing pose (arms between T-pose and relaxed, every bone jittered, any
heading), samples its surface like a scanner would (no soles, a few holes,
Gaussian noise), adds a floor and some clutter (a box on the floor and stray
points), optionally turns it Y-up and into millimetres or centimetres, and
writes PLY, OBJ or GLB bytes. Everything is seeded; the truth comes back.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import roma
import torch
import trimesh
from scipy.spatial import cKDTree

from avatars.appearance.face_features import face_features
from avatars.appearance.skin_texture import SkinTexture, skin_texture
from avatars.appearance.uv_layout import rasterize_uv
from avatars.body_models.base import BUILDS, BodyModel
from avatars.hair.scalp import scalp

_UNIT_SCALE = {"m": 1.0, "cm": 100.0, "mm": 1000.0}
# Ours (Z-up, facing -Y) -> Y-up facing +Z: -90 degrees about X.
_TO_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
_JOINT_JITTER_RAD = 0.06
_LIMB_JITTER_RAD = {"hip": 0.12, "knee": 0.08, "elbow": 0.15, "shoulder": 0.1, "neck": 0.1}


@dataclass(frozen=True)
class SyntheticScan:
    """A scan file and the body it was made from.

    data, filename: the file, ready for ``avatars.scans.reading.load_scan``.
    sex: female or male; shape: (S,) shape parameters; pose: (J, 3) the
        model's pose; heading: turn about z applied after posing, radians.
    vertices: (V, 3) the true body surface in our frame (Z-up, metres,
        feet on z = 0), as placed in the scene before any file conversion;
        faces: (F, 3) its triangles.
    body_points: (N, 3) the scan's body points in that frame (noise included).
    floor_points, clutter_points: how many of each the file holds.
    body_colours: (N, 3) uint8 colours of ``body_points``, or None (no skin given).
    """

    data: bytes
    filename: str
    sex: str
    shape: torch.Tensor
    pose: torch.Tensor
    heading: float
    vertices: np.ndarray
    faces: np.ndarray
    body_points: np.ndarray
    floor_points: int
    clutter_points: int
    body_colours: np.ndarray | None = None


def random_shape(model: BodyModel, sex: str, rng: np.random.Generator) -> torch.Tensor:
    """(S,) a random adult body of ``sex``: the model's shape space for a random
    age and build, its free parameters spread by 12% of their range."""
    age = float(rng.uniform(20.0, 65.0))
    space = model.shape_space(sex, age, BUILDS[rng.integers(len(BUILDS))])
    noise = torch.from_numpy(rng.normal(size=len(space.start))).float()
    spread = 0.12 * (space.high - space.low) * noise
    shape = torch.where(space.free, space.start + spread, space.start)
    if "gender" in model.shape_names:  # a continuum in anny: stay near the sex asked for
        g = model.shape_names.index("gender")
        shape[g] = float(abs(space.start[g] - rng.uniform(0.0, 0.2)))
    return torch.minimum(torch.maximum(shape, space.low), space.high)


def random_pose(model: BodyModel, rng: np.random.Generator) -> torch.Tensor:
    """(J, 3) a plausible standing pose: arms between the T-pose and relaxed,
    every bone jittered a little, limbs a little more."""
    mix = float(rng.uniform(0.25, 0.9))
    pose = (1.0 - mix) * model.named_pose("t-pose") + mix * model.named_pose("relaxed")
    sigma = np.full(len(model.bone_names), _JOINT_JITTER_RAD)
    for landmark, bone in model.landmarks.items():
        sigma[bone] = _LIMB_JITTER_RAD.get(landmark.split(".")[0], sigma[bone])
    sigma[np.flatnonzero(model.bone_parents < 0)] = 0.0  # the heading is applied apart
    jitter = rng.normal(size=pose.shape) * sigma[:, None]
    return pose + torch.from_numpy(jitter).float()


def _sample_body(vertices, faces, count, rng):
    """(N, 3) scanner-like points on a body surface (no soles, holes, no noise yet) and
    (N,) the triangle each lies on."""
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    seed = int(rng.integers(2**31))
    points, triangles = trimesh.sample.sample_surface(mesh, int(count * 1.15), seed=seed)
    seen = points[:, 2] > 0.005  # soles on the floor are not seen
    points, triangles = points[seen], triangles[seen]
    tree = cKDTree(points)
    hidden = np.zeros(len(points), dtype=bool)
    for centre in points[rng.choice(len(points), 6, replace=False)]:
        hidden[tree.query_ball_point(centre, float(rng.uniform(0.03, 0.08)))] = True
    order = rng.permutation(int((~hidden).sum()))[:count]
    return points[~hidden][order], triangles[~hidden][order]


def _hair_lift(model: BodyModel, vertices: np.ndarray, triangles: np.ndarray, volume_m: float) -> np.ndarray:
    """(N, 3) how far hair lifts each point off the scalp: along its triangle's normal,
    ``volume_m`` over the top half of the scalp, fading to 0 at its lowest edge."""
    faces = np.asarray(model.faces)
    on_scalp = np.zeros(len(faces), bool)
    on_scalp[scalp(model).faces] = True
    corners = vertices[faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    height = corners[:, :, 2].mean(axis=1)
    low, high = height[on_scalp].min(), height[on_scalp].max()
    fade = np.clip((height - low) / (0.5 * (high - low)), 0.0, 1.0)
    lift = np.where(on_scalp, volume_m * fade * fade * (3 - 2 * fade), 0.0)
    return normals[triangles] * lift[triangles, None]


def _texture_colours(points, triangles, vertices, faces, skin) -> np.ndarray:
    """(N, 3) uint8: the colour of ``skin`` (a ``SkinTexture``) under each point on its triangle."""
    bary = trimesh.triangles.points_to_barycentric(vertices[faces[triangles]], points)
    uv = np.einsum("nk,nkc->nc", bary, skin.uvs[skin.uv_faces[triangles]])
    size = skin.image.shape[0]
    rows = np.clip(((1.0 - uv[:, 1]) * size).astype(int), 0, size - 1)
    cols = np.clip((uv[:, 0] * size).astype(int), 0, size - 1)
    return skin.image[rows, cols]


def _floor_and_clutter(body: np.ndarray, count: int, rng):
    """Floor points (a 2.4 m square), a box on the floor and stray points near the body."""
    centre = np.median(body[:, :2], axis=0)
    floor = np.column_stack([centre + rng.uniform(-1.2, 1.2, (count, 2)), np.zeros(count)])
    floor = floor[cKDTree(body[body[:, 2] < 0.05, :2]).query(floor[:, :2])[0] > 0.02]
    size = rng.uniform(0.2, 0.45, 3)
    angle = rng.uniform(0, 2 * math.pi)
    where = centre + 0.9 * np.array([math.cos(angle), math.sin(angle)])
    box = trimesh.creation.box(
        size, trimesh.transformations.translation_matrix([*where, size[2] / 2])
    )
    box_points, _ = trimesh.sample.sample_surface(box, 3000, seed=int(rng.integers(2**31)))
    stray = np.column_stack([centre + rng.uniform(-1.5, 1.5, (400, 2)), rng.uniform(0, 2.3, 400)])
    stray = stray[cKDTree(body).query(stray)[0] > 0.3]
    return floor, np.concatenate([box_points, stray])


def synthetic_scan(
    model: BodyModel,
    seed: int,
    sex: str | None = None,
    points: int = 100_000,
    noise_m: float = 0.003,
    file_format: str = "ply",
    units: str = "m",
    y_up: bool = False,
    floor: bool = True,
    clutter: bool = True,
    skin=None,
    hair_volume_m: float = 0.0,
) -> SyntheticScan:
    """A seeded synthetic scan of a random body of ``model``.

    points: how many body points (the floor adds about 15%, clutter ~3,400).
    noise_m: standard deviation of the Gaussian noise on every coordinate.
    file_format: ply, obj or glb (a point cloud); units: m, cm or mm.
    skin: a ``SkinTexture`` of the model: the body's points take its colours
        (the floor grey, clutter brown) and the file carries them (PLY, GLB).
    hair_volume_m: hair standing off the scalp by up to this much (the
        crown; less towards the hairline), detail no body shape holds.
    """
    rng = np.random.default_rng(seed)
    sex = sex or ("female", "male")[rng.integers(2)]
    shape, pose = random_shape(model, sex, rng), random_pose(model, rng)
    heading = float(rng.uniform(0.0, 2.0 * math.pi))
    with torch.no_grad():
        vertices = model.forward(shape, pose).vertices[0]
    turn = roma.rotvec_to_rotmat(torch.tensor([0.0, 0.0, heading]))
    vertices = (vertices @ turn.T).numpy().astype(np.float64)
    vertices[:, :2] += rng.uniform(-0.3, 0.3, 2)  # off the origin, as scanners leave it
    body, triangles = _sample_body(vertices, model.faces, points, rng)
    colours = None if skin is None else _texture_colours(body, triangles, vertices, np.asarray(model.faces), skin)
    if hair_volume_m:
        body = body + _hair_lift(model, vertices, triangles, hair_volume_m)
    floor_points = clutter_points = np.empty((0, 3))
    if floor or clutter:
        floor_points, clutter_points = _floor_and_clutter(body, int(0.15 * points), rng)
        floor_points = floor_points if floor else floor_points[:0]
        clutter_points = clutter_points if clutter else clutter_points[:0]
    body = body + rng.normal(0.0, noise_m, body.shape)
    floor_points = floor_points + rng.normal(0.0, noise_m, floor_points.shape)
    cloud = np.concatenate([body, floor_points, clutter_points])
    shuffle = rng.permutation(len(cloud))
    cloud = cloud[shuffle]
    cloud_colours = None
    if colours is not None:
        cloud_colours = np.concatenate([colours, np.full((len(floor_points), 3), 128, np.uint8),
                                        np.tile(np.uint8([120, 90, 60]), (len(clutter_points), 1))])[shuffle]
    if y_up:
        cloud = cloud @ _TO_Y_UP.T
    cloud = cloud * _UNIT_SCALE[units]
    return SyntheticScan(
        data=write_points(cloud, file_format, cloud_colours),
        filename=f"synthetic-{seed}.{file_format}",
        sex=sex, shape=shape, pose=pose, heading=heading,
        vertices=vertices, faces=model.faces, body_points=body,
        floor_points=len(floor_points), clutter_points=len(clutter_points), body_colours=colours,
    )


def synthetic_skin(model: BodyModel, tone: int, seed: int = 0) -> SkinTexture:
    """A ``SkinTexture`` of known colours to scan: the painted skin of Monk ``tone``
    (``avatars.appearance.skin_texture``), lighter and darker in blotches of a few
    centimetres, the scalp another colour (short hair, seeded)."""
    rng = np.random.default_rng(seed)
    painted, features = skin_texture(model, tone), face_features(model)
    size = features.skin.shape[0]
    image = painted.image.astype(np.float64)
    rows, cols = np.mgrid[0:size, 0:size]
    phase = rng.uniform(0.0, 2 * math.pi, 2)
    blotches = 1.0 + 0.06 * np.sin(cols / 17.0 + phase[0]) * np.cos(rows / 29.0 + phase[1])
    image[features.skin] *= blotches[features.skin][:, None]
    raster = rasterize_uv(features.uvs, model.uv_faces, size, features.order)
    image[np.isin(raster.face, scalp(model).faces) & features.skin] = rng.integers(30, 140, 3)
    return SkinTexture(painted.uvs, painted.uv_faces, painted.corner_vertex,
                       np.clip(np.round(image), 0, 255).astype(np.uint8))


def write_points(points: np.ndarray, file_format: str, colours: np.ndarray | None = None) -> bytes:
    """(N, 3) points as a PLY, OBJ or GLB point cloud file's bytes; colours: (N, 3) uint8 or None."""
    rgba = None if colours is None else np.column_stack([colours, np.full(len(colours), 255, np.uint8)])
    cloud = trimesh.PointCloud(np.asarray(points, dtype=np.float64), colors=rgba)
    if file_format == "glb":
        return trimesh.Scene(cloud).export(file_type="glb")
    buffer = io.BytesIO()
    cloud.export(buffer, file_type=file_format)
    return buffer.getvalue()
