"""BVH motion on the anny body: bone directions, facing, units, root motion, time.

The files in ``files/`` are written as their exporters write them: a CMU walk-like
clip (cm, Y-up), a Mixamo T-pose (cm), a 3ds Max Biped clip (inches, CRLF) and an
SMPL-named clip (metres, Z-up, facing +Y). Their frames hold known joint angles:
the left knee bent 60 degrees under a thigh 30 degrees forward, the left upper arm
raised 40 degrees above horizontal, the right one lowered 60 degrees below it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from avatars.body_models.registry import get_body_model
from avatars.motion.clip import make_clip
from avatars.motion.retarget import BvhMotion
from tryon.core.errors import Invalid

pytestmark = pytest.mark.slow  # needs the prepared body model

FILES = Path(__file__).parent / "files"
RAISED_LEFT = [math.cos(math.radians(40)), 0.0, math.sin(math.radians(40))]
LOWERED_RIGHT = [-math.cos(math.radians(60)), 0.0, -math.sin(math.radians(60))]


@pytest.fixture(scope="module")
def model():
    return get_body_model("female")


def motion(name: str, **kwargs) -> BvhMotion:
    return BvhMotion.from_bvh((FILES / name).read_bytes(), **kwargs)


def frames(m: BvhMotion, *indices: float) -> np.ndarray:
    return np.asarray(indices, dtype=np.float64) * m.clip.frame_time


def posed(model, m: BvhMotion, times: np.ndarray) -> dict[str, np.ndarray]:
    """Posed landmark joints of the body: name -> (T, 3) metres."""
    joints = model.forward(model.default_shape(), m.poses(model, times)).joints.numpy()
    return {name: joints[:, bone] for name, bone in model.landmarks.items()}


def direction(j: dict[str, np.ndarray], start: str, end: str) -> np.ndarray:
    v = j[end] - j[start]
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def degrees_between(a: np.ndarray, b) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(np.sum(a * np.asarray(b), axis=-1), -1.0, 1.0)))


def knee_bend(j: dict[str, np.ndarray], side: str = "L") -> np.ndarray:
    return degrees_between(direction(j, f"hip.{side}", f"knee.{side}"),
                           direction(j, f"knee.{side}", f"ankle.{side}"))


def test_cmu_knee_bends_back_as_the_bvh_does(model):
    m = motion("cmu_walk_cm.bvh")
    j = posed(model, m, frames(m, 0, 1, 2, 3))
    np.testing.assert_allclose(knee_bend(j), [0, 30, 60, 60], atol=5)
    assert knee_bend(j, "R").max() < 5
    # frame 3: thigh straight down, the shin 60 degrees back (+Y: the body faces -Y)
    assert degrees_between(direction(j, "hip.L", "knee.L")[3], [0, 0, -1]) < 5
    expected_shin = [0, math.sin(math.radians(60)), -0.5]
    assert degrees_between(direction(j, "knee.L", "ankle.L")[3], expected_shin) < 5


def test_cmu_upper_arms_point_as_the_bvh_does(model):
    m = motion("cmu_walk_cm.bvh")
    j = posed(model, m, frames(m, 2, 3))
    assert degrees_between(direction(j, "shoulder.L", "elbow.L")[0], RAISED_LEFT) < 5
    assert degrees_between(direction(j, "shoulder.R", "elbow.R")[0], LOWERED_RIGHT) < 5
    # frame 3: the left arm straight forward, which is -Y
    assert degrees_between(direction(j, "shoulder.L", "elbow.L")[1], [0, -1, 0]) < 5
    assert degrees_between(direction(j, "elbow.L", "wrist.L")[1], [0, -1, 0]) < 5


def test_cmu_head_and_foot_turn_with_their_joints(model):
    m = motion("cmu_walk_cm.bvh")
    ours = m.poses(model, frames(m, 1, 3)).numpy() @ model.pose_frame.T  # back into our frame
    # frame 1: LeftFoot Xrotation -20 (toes up); frame 3: Head Xrotation 15 (a nod forward)
    np.testing.assert_allclose(ours[0, model.landmarks["ankle.L"]], [math.radians(-20), 0, 0], atol=0.01)
    np.testing.assert_allclose(ours[1, model.landmarks["head"]], [math.radians(15), 0, 0], atol=0.01)


def test_mixamo_t_pose_gives_horizontal_arms(model):
    m = motion("mixamo_tpose.bvh")
    j = posed(model, m, frames(m, 0))
    for side, sign in (("L", 1.0), ("R", -1.0)):
        for start, end in (("shoulder", "elbow"), ("elbow", "wrist")):
            assert degrees_between(direction(j, f"{start}.{side}", f"{end}.{side}")[0], [sign, 0, 0]) < 5
        assert degrees_between(direction(j, f"hip.{side}", f"knee.{side}")[0], [0, 0, -1]) < 5


@pytest.mark.parametrize("name, unit", [("biped_inches.bvh", "inch"), ("smpl_zup_m.bvh", "m")])
def test_units_and_frames_give_the_same_poses(model, name, unit):
    """The same angles in centimetres (CMU, Y-up), inches (Biped) and metres (SMPL, Z-up,
    facing +Y, its left on -X) pose the body alike and move it alike."""
    cmu, other = motion("cmu_walk_cm.bvh", keep_root_motion=True), motion(name, keep_root_motion=True)
    assert other.clip.unit == unit
    j_cmu, j_other = posed(model, cmu, frames(cmu, 2)), posed(model, other, frames(other, 1))
    limbs = (("hip", "knee"), ("knee", "ankle"), ("shoulder", "elbow"), ("elbow", "wrist"))
    for side in ("L", "R"):
        for start, end in limbs:
            a, b = (direction(j, f"{start}.{side}", f"{end}.{side}") for j in (j_cmu, j_other))
            assert degrees_between(a, b)[0] < 2, (start, side)
    assert degrees_between(direction(j_other, "shoulder.L", "elbow.L")[0], RAISED_LEFT) < 5
    assert knee_bend(j_other)[0] == pytest.approx(60, abs=5)
    # both hips move 10 cm forward in their own units: 0.1 m towards -Y
    np.testing.assert_allclose(other.root_translation(frames(other, 1)), [[0, -0.1, 0]], atol=1e-3)
    np.testing.assert_allclose(cmu.root_translation(frames(cmu, 2)), [[0, -0.1, 0]], atol=1e-3)


def test_root_motion_kept_or_removed(model):
    kept, still = motion("cmu_walk_cm.bvh", keep_root_motion=True), motion("cmu_walk_cm.bvh")
    times = frames(kept, 0, 1, 2, 3, 4)
    expected = np.stack([np.zeros(5), -0.05 * np.arange(5), np.zeros(5)], axis=1)  # 5 cm a frame
    np.testing.assert_allclose(kept.root_translation(times), expected, atol=1e-6)
    np.testing.assert_array_equal(still.root_translation(times), np.zeros((5, 3)))
    np.testing.assert_allclose(kept.poses(model, times), still.poses(model, times))


def test_a_named_unit_scales_the_travel_not_the_poses(model):
    cm, metres = (motion("cmu_walk_cm.bvh", keep_root_motion=True, unit=u) for u in ("cm", "m"))
    times = frames(cm, 1, 2)
    np.testing.assert_allclose(metres.root_translation(times), 100 * cm.root_translation(times),
                               atol=1e-9)
    np.testing.assert_allclose(metres.poses(model, times), cm.poses(model, times), atol=1e-5)


def test_a_clip_ending_where_it_began_loops(model):
    m = motion("cmu_walk_cm.bvh", keep_root_motion=True)  # frame 4 repeats frame 0's pose
    assert m.period == pytest.approx(4 * m.clip.frame_time) == pytest.approx(m.duration)
    times = frames(m, 1, 2, 2.5)
    np.testing.assert_allclose(m.poses(model, times + m.period), m.poses(model, times), atol=1e-5)
    # a lap travels 20 cm, so one frame into the second lap is 25 cm from the start
    np.testing.assert_allclose(m.root_translation(frames(m, 5)), [[0, -0.25, 0]], atol=1e-6)


def test_a_clip_ending_elsewhere_holds_its_last_frame(model):
    m = motion("smpl_zup_m.bvh", keep_root_motion=True)
    assert m.period is None
    last = frames(m, 1)
    np.testing.assert_allclose(m.poses(model, [10.0]), m.poses(model, last))
    np.testing.assert_allclose(m.root_translation([10.0]), m.root_translation(last))


def test_frames_are_slerped_between(model):
    m = motion("cmu_walk_cm.bvh")
    j = posed(model, m, frames(m, 1.5))  # the knee bends 30 then 60 degrees
    assert knee_bend(j)[0] == pytest.approx(45, abs=2)


def test_make_clip_takes_the_motion(model):
    clip = make_clip(model, motion("cmu_walk_cm.bvh", keep_root_motion=True), seconds=1.0, fps=30,
                     name="cmu walk")
    assert clip.poses.shape == (30, len(model.bone_names), 3) and clip.translation.shape == (30, 3)
    assert clip.motion == "cmu walk"
    assert np.isfinite(clip.poses.numpy()).all() and clip.translation[-1, 1] < -0.2


def test_unknown_bone_names_are_named(model):
    text = (FILES / "cmu_walk_cm.bvh").read_text()
    renamed = text.replace("JOINT LeftUpLeg", "JOINT LThighBone").replace("JOINT RightForeArm",
                                                                           "JOINT RElbowBone")
    with pytest.raises(Invalid) as caught:
        BvhMotion.from_bvh(renamed)
    message = str(caught.value)
    assert caught.value.field == "motion"
    assert "lacks joints for elbow.R, hip.L" in message and "knee.L" not in message.split("(")[0]
    assert "leftupleg / left_hip / l_thigh" in message
    assert "CMU, Mixamo, 3ds Max Biped, HumanIK/MotionBuilder, SMPL" in message
