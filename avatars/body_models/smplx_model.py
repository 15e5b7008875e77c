"""The SMPL-X body model, for operators who hold a SMPL-X licence.

SMPL-X and the ``smplx`` code are licensed for non-commercial research only,
so this backend is an optional extra (``pip install tryon[smplx]``) that
nothing imports unless the operator selects it and supplies the model files
``SMPLX_{NEUTRAL,MALE,FEMALE}.npz``.

SMPL-X has its own frame: metres, Y-up, the body faces +Z with its left hand
on +X. Pose parameters stay in that frame, so SMPL-X poses from elsewhere
apply unchanged; the output is turned into ours (Z-up, facing -Y) and lifted
onto the floor by a fixed transform folded into the bone transforms.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import smplx
import torch
from smplx.joint_names import JOINT_NAMES
from smplx.lbs import (
    batch_rigid_transform,
    batch_rodrigues,
    blend_shapes,
    vertices2joints,
)

from avatars.body_models.base import BodyModel, BodyOutput, ShapeSpace
from avatars.body_models.poses import arm_pose
from avatars.body_models.skinning import linear_blend_skinning

LICENCE_NOTE = (
    "SMPL-X model files must be obtained under licence from https://smpl-x.is.tue.mpg.de "
    "(the npz download, e.g. SMPL-X v1.1)"
)
SEXES = ("female", "male", "neutral")  # one SMPLX_<SEX>.npz each
VERTEX_COUNT = 10_475
JOINT_COUNT = 55  # global orient, 21 body, jaw, 2 eyes, 2 x 15 finger joints
BETA_COUNT = 10
EXPRESSION_COUNT = 10  # SMPL-X v1.0 files hold 10 betas + 10 expressions; v1.1 300 + 100
BETA_LIMIT = 3.0  # betas are unit-variance PCA coefficients: +-3 spans nearly every body

# Required arrays and their shapes; a name stands for a size that must agree
# wherever it appears. vt/ft (texture coordinates) are optional.
_REQUIRED = {
    "v_template": (VERTEX_COUNT, 3),
    "f": ("F", 3),
    "shapedirs": (VERTEX_COUNT, 3, "K"),
    "posedirs": (VERTEX_COUNT, 3, (JOINT_COUNT - 1) * 9),
    "J_regressor": (JOINT_COUNT, VERTEX_COUNT),
    "kintree_table": (2, JOINT_COUNT),
    "weights": (VERTEX_COUNT, JOINT_COUNT),
    "hands_componentsl": (45, 45),
    "hands_componentsr": (45, 45),
    "hands_meanl": (45,),
    "hands_meanr": (45,),
    "lmk_faces_idx": ("L",),
    "lmk_bary_coords": ("L", 3),
}
_OPTIONAL = {"vt": ("T", 2), "ft": ("F", 3)}

# SMPL-X frame -> ours, homogeneous: +90 degrees about X takes +Y (up) to +Z
# and +Z (the front) to -Y.
_TO_OURS = torch.tensor(
    [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
)

_LANDMARK_BONES = {
    "pelvis": "pelvis", "neck": "neck", "head": "head",
    "shoulder.L": "left_shoulder", "shoulder.R": "right_shoulder",
    "elbow.L": "left_elbow", "elbow.R": "right_elbow",
    "wrist.L": "left_wrist", "wrist.R": "right_wrist",
    "hip.L": "left_hip", "hip.R": "right_hip",
    "knee.L": "left_knee", "knee.R": "right_knee",
    "ankle.L": "left_ankle", "ankle.R": "right_ankle",
}
_ARM_PARTS = ("shoulder", "elbow", "wrist", "index", "middle", "ring", "pinky", "thumb")


class BodyModelDataError(ValueError):
    """SMPL-X model data is missing or malformed; the message says what and where."""

    def __init__(self, problem: str):
        super().__init__(f"{problem}. {LICENCE_NOTE}.")


def find_model_file(model_dir: str | Path, sex: str) -> Path:
    """The ``SMPLX_<SEX>.npz`` in ``model_dir`` or in its ``smplx/`` folder.

    The second is the layout ``smplx.create`` expects of a models folder.
    """
    if not str(model_dir):
        raise BodyModelDataError("no SMPL-X model directory given (set TRYON_SMPLX_DIR)")
    directory = Path(model_dir).expanduser()
    if not directory.is_dir():
        raise BodyModelDataError(f"SMPL-X model directory {directory} does not exist")
    name = f"SMPLX_{sex.upper()}.npz"
    for path in (directory / name, directory / "smplx" / name):
        if path.is_file():
            return path
    raise BodyModelDataError(f"{name} not found in {directory} (nor in {directory / 'smplx'})")


def _array_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Shape of every array in an ``.npz``, read from headers, not loading the data."""
    shapes = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                with archive.open(member) as stream:
                    major, _ = np.lib.format.read_magic(stream)
                    read_header = (
                        np.lib.format.read_array_header_1_0
                        if major == 1
                        else np.lib.format.read_array_header_2_0
                    )
                    shapes[member.removesuffix(".npy")] = read_header(stream)[0]
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise BodyModelDataError(f"{path} is not a readable .npz file ({error})") from error
    return shapes


def check_model_file(path: Path) -> None:
    """Raise one ``BodyModelDataError`` listing every missing or misshapen array."""
    shapes = _array_shapes(path)
    problems = []
    missing = [key for key in _REQUIRED if key not in shapes]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    sizes: dict[str, int] = {}  # the sizes named in the specs, from their first appearance
    for key, expected in (_REQUIRED | _OPTIONAL).items():
        shape = shapes.get(key)
        if shape is None:
            continue
        if len(shape) == len(expected):
            for want, got in zip(expected, shape):
                if isinstance(want, str):
                    sizes.setdefault(want, got)
        wanted = tuple(sizes.get(d, d) if isinstance(d, str) else d for d in expected)
        if shape != wanted:
            problems.append(f"{key} has shape {shape}, expected ({', '.join(map(str, wanted))})")
    if sizes.get("K", BETA_COUNT + EXPRESSION_COUNT) < BETA_COUNT + EXPRESSION_COUNT:
        problems.append(
            f"shapedirs has {sizes['K']} components, expected at least "
            f"{BETA_COUNT + EXPRESSION_COUNT} ({BETA_COUNT} shape + {EXPRESSION_COUNT} expression)"
        )
    if problems:
        raise BodyModelDataError(f"malformed SMPL-X model file {path}: {'; '.join(problems)}")


def _fingerprint(path: Path) -> str:
    """Short digest of a model file's contents, from the CRC-32 the zip keeps of each array."""
    with zipfile.ZipFile(path) as archive:
        members = sorted(f"{i.filename}:{i.CRC:08x}:{i.file_size}" for i in archive.infolist())
    return hashlib.sha256("\n".join(members).encode()).hexdigest()[:12]


class SmplxBodyModel(BodyModel):
    """SMPL-X with its first ten shape coefficients (betas).

    Shape vector (S = 10): betas, within +-``BETA_LIMIT``, 0 for the average
    body of the file's sex. Pose (J = 55, 3): SMPL-X axis-angle rotations,
    radians, each in its parent's frame, as ``smplx`` takes them: global
    orient, 21 body joints, jaw, two eyes, then 15 joints per hand (flat
    hands at zero). The face keeps a neutral expression.
    """

    name = "smplx"

    def __init__(self, model_dir: str | Path, sex: str = "neutral"):
        if sex not in SEXES:
            raise ValueError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
        path = find_model_file(model_dir, sex)
        check_model_file(path)
        self._model = smplx.create(
            str(path),
            model_type="smplx",
            gender=sex,
            ext="npz",
            use_pca=False,
            flat_hand_mean=True,  # pose zero is the template, hands flat
            num_betas=BETA_COUNT,
            num_expression_coeffs=EXPRESSION_COUNT,
        ).eval()
        self.sex = sex
        self.cache_key = f"smplx-{sex}-{_fingerprint(path)}"
        self.faces = np.asarray(self._model.faces, dtype=np.int64)
        self.bone_names = [n.removesuffix("_smplhf") for n in JOINT_NAMES[:JOINT_COUNT]]
        self.bone_parents = self._model.parents.numpy().astype(np.int64)
        self._weights = self._model.lbs_weights
        self.skinning_weights = self._weights.numpy()
        with np.load(path) as data:
            has_uvs = "vt" in data.files and "ft" in data.files
            self.uvs = data["vt"].astype(np.float32) if has_uvs else None
            self.uv_faces = data["ft"].astype(np.int64) if has_uvs else None
        self.shape_names = [f"beta{i}" for i in range(BETA_COUNT)]
        self.landmarks = {k: self.bone_names.index(b) for k, b in _LANDMARK_BONES.items()}
        self.pose_frame = _TO_OURS[:3, :3].numpy()
        self.arm_bones = [
            i
            for i, bone in enumerate(self.bone_names)
            if bone.startswith(("left_", "right_"))
            and bone.split("_", 1)[1].rstrip("123") in _ARM_PARTS
        ]
        self._rest_joints: torch.Tensor | None = None

    def default_shape(self) -> torch.Tensor:
        return torch.zeros(BETA_COUNT)

    def shape_space(self, sex, age_years=None, build=None) -> ShapeSpace:
        """All ten betas, free within +-``BETA_LIMIT``, from the average body.

        The model file fixes the sex, and betas are principal components with
        no age or build axis, so these hints are left to the measurements.
        """
        start = self.default_shape()
        low = torch.full_like(start, -BETA_LIMIT)
        return ShapeSpace(
            start=start, free=torch.ones(BETA_COUNT, dtype=torch.bool), low=low, high=-low
        )

    def forward(self, shape: torch.Tensor, pose: torch.Tensor | None = None) -> BodyOutput:
        model = self._model
        betas = torch.as_tensor(shape, dtype=torch.float32)
        betas = betas[None] if betas.dim() == 1 else betas
        if pose is None:
            pose = torch.zeros(JOINT_COUNT, 3)
        pose = torch.as_tensor(pose, dtype=torch.float32)
        pose = pose[None] if pose.dim() == 2 else pose
        batch = max(betas.shape[0], pose.shape[0])
        betas, pose = betas.expand(batch, -1), pose.expand(batch, -1, -1)

        v_shaped = model.v_template + blend_shapes(betas, model.shapedirs)  # (B, V, 3)
        rest_joints = vertices2joints(model.J_regressor, v_shaped)  # (B, J, 3)
        rotations = batch_rodrigues(pose.reshape(-1, 3)).view(batch, JOINT_COUNT, 3, 3)
        # Pose correctives, driven by every joint's rotation but the root's.
        features = (rotations[:, 1:] - torch.eye(3)).reshape(batch, -1)
        rest_vertices = v_shaped + (features @ model.posedirs).view(batch, -1, 3)
        posed_joints, transforms = batch_rigid_transform(rotations, rest_joints, model.parents)

        transforms = _TO_OURS @ transforms
        vertices = linear_blend_skinning(rest_vertices, self._weights, transforms)
        # Stand on the floor: shift so the lowest posed vertex is at z = 0.
        shift = torch.zeros(batch, 3)
        shift[:, 2] = -vertices[..., 2].amin(dim=1)
        floor = torch.eye(4).repeat(batch, 1, 1)
        floor[:, :3, 3] = shift
        return BodyOutput(
            vertices=vertices + shift[:, None],
            rest_vertices=rest_vertices,
            joints=posed_joints @ _TO_OURS[:3, :3].T + shift[:, None],
            bone_transforms=floor[:, None] @ transforms,
        )

    def named_pose(self, name: str) -> torch.Tensor:
        if self._rest_joints is None:
            with torch.no_grad():
                self._rest_joints = self.forward(self.default_shape()).joints[0]
        # arm_pose solves in our frame. A rotation R there is C^T R C in
        # SMPL-X's frame (C = _TO_OURS), whose rotation vector is C^T v.
        pose = arm_pose(self._rest_joints, self.landmarks, JOINT_COUNT, name)
        return pose @ _TO_OURS[:3, :3]
