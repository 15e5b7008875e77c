"""Studio motion on our bodies: a BVH clip retargeted onto any body model by bone directions.

For every BVH frame, forward kinematics gives the world positions of the
joints that match the model's landmark bones (``base.LANDMARKS``), in
metres and our frame (Z up; the BVH character's facing in its first frame
turned to -Y, its left, the "Left" of its joint names, on +X). Each
landmark bone's rotation is then solved, parents before children, as a
rotation vector about world-aligned rest axes, local to its parent's posed
frame (anny's "local-ref" convention, as ``gait.py`` writes poses), and
turned into the model's own frame with ``@ model.pose_frame``:

- pelvis: turns the model's rest frame (left-right axis hip.R to hip.L, up
  axis pelvis to neck) onto the BVH's (its thighs' left-right axis, its
  hips-to-neck axis). No landmark lies between pelvis and neck, so the
  torso follows the spine's overall lean as one piece.
- neck, hip, knee, shoulder, elbow: the smallest turn that lays the model's
  segment to the next landmark (neck-head, hip-knee, knee-ankle,
  shoulder-elbow, elbow-wrist) along the BVH's. Only directions are
  matched, so the BVH's rest pose (T-pose, A-pose) and proportions do not
  matter; a limb's twist follows its parent.
- head, ankle, wrist (no landmark beyond them): the BVH joint's rotation
  relative to the joint of its parent landmark (a nod, a foot's flex, a
  wrist's bend) in the model's rest axes; both rest poses hold these in
  line with the limb.

Every other bone keeps its rest orientation relative to its parent.

Time: frames are slerped between neighbours at the requested times. A clip
whose first and last frames hold the same pose (joints about the hips
within ``LOOP_TOLERANCE_M``) loops, its last frame standing for the first;
any other clip holds its last frame once it ends.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from avatars.body_models.base import LANDMARKS, BodyModel
from avatars.motion.bvh import BvhClip, normalized_name, parse_bvh
from tryon.core.errors import Invalid

SKELETONS = ("CMU", "Mixamo", "3ds Max Biped", "HumanIK/MotionBuilder", "SMPL")
LOOP_TOLERANCE_M = 0.05  # the clip loops when no joint's place about the hips moves further end to end

# Each landmark's joint name in the skeletons we know, spelled as ``normalized_name``
# spells it; "{side}" stands for left/right, "{s}" for l/r (Biped). The first present wins.
_NAMES = {
    "pelvis": ("hips", "pelvis", "hip"),
    "neck": ("neck",),
    "head": ("head",),
    "hip": ("{side}upleg", "{side}_hip", "{s}_thigh", "{side}thigh", "{side}upperleg",
            "{side}_upper_leg"),
    "knee": ("{side}leg", "{side}_knee", "{s}_calf", "{side}knee", "{side}lowerleg", "{side}_lower_leg"),
    "ankle": ("{side}foot", "{side}_ankle", "{s}_foot", "{side}ankle"),
    # Mixamo's and CMU's "LeftShoulder" is the collarbone; SMPL's "left_shoulder" the upper arm
    "shoulder": ("{side}arm", "{side}_shoulder", "{s}_upperarm", "{side}upperarm", "{side}_upper_arm"),
    "elbow": ("{side}forearm", "{side}_elbow", "{s}_forearm", "{side}elbow", "{side}lowerarm",
              "{side}_lower_arm"),
    "wrist": ("{side}hand", "{side}_wrist", "{s}_hand", "{side}wrist"),
}


def _candidates(landmark: str) -> tuple[str, ...]:
    part, _, side = landmark.partition(".")
    word = {"L": "left", "R": "right"}.get(side, "")
    return tuple(name.format(side=word, s=word[:1]) for name in _NAMES[part])


CANDIDATES = {landmark: _candidates(landmark) for landmark in LANDMARKS}
_SEGMENT_TO = {"neck": "head", "hip": "knee", "knee": "ankle", "shoulder": "elbow", "elbow": "wrist"}
_END_FROM = {"head": "neck", "ankle": "knee", "wrist": "elbow"}


def _sided(part: str, landmark: str) -> str:
    """``part`` on the side of ``landmark``: ("knee", "hip.L") -> "knee.L"."""
    return part + landmark[len(landmark.split(".")[0]):]


def bvh_landmarks(clip: BvhClip) -> dict[str, int]:
    """The BVH joint index of every landmark (``LANDMARKS`` order); Invalid naming those missing."""
    index: dict[str, int] = {}
    for j, name in enumerate(clip.skeleton.names):
        index.setdefault(normalized_name(name), j)
    found = {lm: next((index[n] for n in names if n in index), None)
             for lm, names in CANDIDATES.items()}
    missing = [lm for lm, j in found.items() if j is None]
    if missing:
        looked = "; ".join(f"{lm}: {' / '.join(CANDIDATES[lm])}" for lm in missing)
        raise Invalid(f"BVH skeleton lacks joints for {', '.join(missing)} (looked for {looked}); "
                      f"known skeletons: {', '.join(SKELETONS)}", "motion")
    return found


def _unit(v: np.ndarray) -> np.ndarray:
    """(..., 3) vectors scaled to length 1 (zero vectors stay zero)."""
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _basis(left: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(..., 3, 3) right-handed frames with columns (left, back, up) from a body's left
    (..., 3) and up (..., 3) axes: up kept, left made square to it."""
    z = _unit(up)
    x = _unit(left - np.sum(left * z, axis=-1, keepdims=True) * z)
    return np.stack([x, np.cross(z, x), z], axis=-1)


def _turn_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(F, 3, 3) the smallest rotations taking direction ``a`` (3,) onto each of ``b`` (F, 3)."""
    a, b = _unit(a), _unit(b)
    cross = np.cross(a, b)
    sin, cos = np.linalg.norm(cross, axis=-1), b @ a
    # opposite directions: any axis square to ``a`` does
    square = _unit(np.cross(a, np.eye(3)[np.argmin(np.abs(a))]))
    axis = np.where(sin[:, None] > 1e-9, cross / np.maximum(sin, 1e-12)[:, None], square)
    return Rotation.from_rotvec(axis * np.arctan2(sin, cos)[:, None]).as_matrix()


def _facing_turn(positions: np.ndarray, joints: dict[str, int]) -> np.ndarray:
    """(3, 3) turn about Z that brings the left-right axis of the thighs onto +X, so the
    character faces -Y; ``positions`` (N, 3), Z-up, holds them at ``joints[landmark]``."""
    left = positions[joints["hip.L"]] - positions[joints["hip.R"]]
    if np.hypot(left[0], left[1]) < 1e-6:
        raise Invalid("BVH thighs have no left-right spread: cannot tell which way the body faces",
                      "motion")
    angle = -np.arctan2(left[1], left[0])
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


class BvhMotion:
    """A BVH clip as a ``Motion`` (``avatars.motion.clip``): ``make_clip(model, motion, seconds, fps)``.

    keep_root_motion: False keeps the body on the spot (``root_translation`` is
        zero); True moves it over the floor as the BVH's hips move. Vertical
        root motion is dropped either way: the body model stands the lowest
        vertex on the floor in every frame, which already raises and lowers
        the body as its legs bend (a jump's flight is lost).
    period: seconds of one loop, or None when the clip holds its last frame.
    """

    def __init__(self, clip: BvhClip, keep_root_motion: bool = False):
        self.clip, self.keep_root_motion = clip, keep_root_motion
        joints = bvh_landmarks(clip)
        rest = clip.rest_positions()
        for landmark, part in ((lm, lm.split(".")[0]) for lm in LANDMARKS):
            if part in _SEGMENT_TO and np.linalg.norm(
                    rest[joints[_sided(_SEGMENT_TO[part], landmark)]] - rest[joints[landmark]]) < 1e-4:
                raise Invalid(f"BVH joints {clip.skeleton.names[joints[landmark]]!r} and "
                              f"{clip.skeleton.names[joints[_sided(_SEGMENT_TO[part], landmark)]]!r} "
                              "are at the same place: no bone direction to follow", "motion")
        self._index = {lm: k for k, lm in enumerate(joints)}  # landmark -> its place in L
        positions, rotations = clip.forward_kinematics(list(joints.values()))  # (F, L, 3), (F, L, 3, 3)
        turn, rest_turn = _facing_turn(positions[0], self._index), _facing_turn(rest, joints)
        self._positions = positions @ turn.T  # metres, our frame
        # (F, 3, 3) per end landmark: its rotation relative to its parent landmark's, model rest axes
        self._ends = {
            lm: rest_turn @ rotations[:, self._index[_sided(_END_FROM[lm.split(".")[0]], lm)]]
            .transpose(0, 2, 1) @ rotations[:, self._index[lm]] @ rest_turn.T
            for lm in LANDMARKS if lm.split(".")[0] in _END_FROM
        }
        about_hips = self._positions - self._positions[:, [self._index["pelvis"]]]
        closes = np.linalg.norm(about_hips[-1] - about_hips[0], axis=-1).max() < LOOP_TOLERANCE_M
        frames = clip.frame_count
        self.period = (frames - 1) * clip.frame_time if frames > 1 and closes else None

    @classmethod
    def from_bvh(cls, data: bytes | str, keep_root_motion: bool = False,
                 unit: str | None = None) -> BvhMotion:
        """Parse BVH text (``unit``: one of ``bvh.UNITS`` to override the inferred one) and wrap it."""
        return cls(parse_bvh(data, unit), keep_root_motion)

    @property
    def duration(self) -> float:
        """Seconds from the first frame to the last."""
        return (self.clip.frame_count - 1) * self.clip.frame_time

    def _sample(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Frames around ``times`` (T,) s: earlier (T,), later (T,) indices, the weight (T,) of
        the later one, and how many whole loops (T,) have passed."""
        t = np.maximum(np.asarray(times, dtype=np.float64).reshape(-1), 0.0)
        laps = np.zeros_like(t)
        if self.period is not None:
            laps, t = np.divmod(t, self.period)
        last = self.clip.frame_count - 1
        u = np.clip(t / self.clip.frame_time, 0.0, last)
        before = np.minimum(np.floor(u).astype(np.int64), last)
        return before, np.minimum(before + 1, last), u - before, laps

    def poses(self, model: BodyModel, times: np.ndarray) -> torch.Tensor:
        """(T, J, 3) float32 model poses at ``times`` (T,) seconds, in the model's pose convention."""
        before, after, weight, _ = self._sample(times)
        frames, slot = np.unique(np.concatenate([before, after]), return_inverse=True)
        at_frames = self._frame_poses(model, frames)  # (N, J, 3)
        count, bones = len(before), at_frames.shape[1]
        first = Rotation.from_rotvec(at_frames[slot[:count]].reshape(-1, 3))
        second = Rotation.from_rotvec(at_frames[slot[count:]].reshape(-1, 3))
        step = (first.inv() * second).as_rotvec() * np.repeat(weight, bones)[:, None]
        ours = (first * Rotation.from_rotvec(step)).as_rotvec().reshape(count, bones, 3)
        return torch.as_tensor(ours @ model.pose_frame, dtype=torch.float32)

    def root_translation(self, times: np.ndarray) -> np.ndarray:
        """(T, 3) metres the hips have moved over the floor since the first frame, our frame
        (zeros without ``keep_root_motion``; the vertical is always zero)."""
        before, after, weight, laps = self._sample(times)
        out = np.zeros((len(before), 3))
        if self.keep_root_motion:
            hips = self._positions[:, self._index["pelvis"], :2]
            travel = hips - hips[0]
            out[:, :2] = ((1 - weight)[:, None] * travel[before] + weight[:, None] * travel[after]
                          + laps[:, None] * travel[-1])
        return out

    def _frame_poses(self, model: BodyModel, frames: np.ndarray) -> np.ndarray:
        """(N, J, 3) rotation vectors in our frame of the BVH frames ``frames`` (N,) on ``model``."""
        rest = model.forward(model.default_shape()).joints[0].double().numpy()  # pose None: rest
        marks = model.landmarks
        by_bone = {bone: lm for lm, bone in marks.items()}
        at = {lm: self._positions[frames, k] for lm, k in self._index.items()}  # (N, 3) each
        pose = np.zeros((len(frames), len(model.bone_names), 3))
        world: dict[str, np.ndarray] = {}  # landmark -> (N, 3, 3) posed rotation
        for lm in sorted(marks, key=marks.get):  # bones are listed parents first
            bone = int(model.bone_parents[marks[lm]])
            while bone >= 0 and bone not in by_bone:
                bone = int(model.bone_parents[bone])
            above = world[by_bone[bone]] if bone >= 0 else np.eye(3)[None]
            part = lm.split(".")[0]
            if part == "pelvis":
                posed = _basis(at["hip.L"] - at["hip.R"], at["neck"] - at["pelvis"])
                still = _basis(rest[marks["hip.L"]] - rest[marks["hip.R"]],
                               rest[marks["neck"]] - rest[marks["pelvis"]])
                local = above.transpose(0, 2, 1) @ posed @ still.T
            elif part in _SEGMENT_TO:
                child = _sided(_SEGMENT_TO[part], lm)
                target = np.einsum("nba,nb->na", np.broadcast_to(above, (len(frames), 3, 3)),
                                   at[child] - at[lm])  # into the parent's posed frame
                local = _turn_between(rest[marks[child]] - rest[marks[lm]], target)
            else:
                local = self._ends[lm][frames]
            world[lm] = above @ local
            pose[:, marks[lm]] = Rotation.from_matrix(local).as_rotvec()
        return pose
