"""BVH parsing: real exporters' layouts, units, up axes, Euler orders, and every malformed input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from avatars.motion.bvh import MAX_BYTES, MAX_FRAMES, MAX_JOINTS, normalized_name, parse_bvh
from tryon.core.errors import Invalid

FILES = Path(__file__).parent / "files"

# A person 175 cm tall cut down to three joints, as a hand-written file would be.
TINY = """HIERARCHY
ROOT Hips
{
  OFFSET 0.0 0.0 0.0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Head
  {
    OFFSET 0.0 60.0 0.0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0.0 20.0 0.0
    }
  }
  JOINT Leg
  {
    OFFSET 0.0 -90.0 0.0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0.0 -5.0 0.0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
0.0 95.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
0.0 95.0 10.0 0.0 0.0 0.0 90.0 90.0 0.0 0.0 0.0 0.0
"""


def read(name: str) -> bytes:
    return (FILES / name).read_bytes()


def test_cmu_file_in_centimetres_y_up():
    clip = parse_bvh(read("cmu_walk_cm.bvh"))
    sk = clip.skeleton
    assert len(sk.names) == 25 and sk.names[:3] == ("Hips", "LHipJoint", "LeftUpLeg")
    assert sk.channels[0] == ("xposition", "yposition", "zposition",
                              "zrotation", "yrotation", "xrotation")
    assert clip.unit == "cm" and clip.frame_count == 5 and clip.frame_time == pytest.approx(0.033333)
    np.testing.assert_allclose(clip.to_z_up @ [0, 1, 0], [0, 0, 1], atol=1e-12)  # Y up becomes Z up
    np.testing.assert_allclose(clip.to_z_up @ [0, 0, 1], [0, -1, 0], atol=1e-12)  # facing +Z: -Y
    positions, rotations = clip.forward_kinematics()
    assert positions.shape == (5, 25, 3) and rotations.shape == (5, 25, 3, 3)
    foot = sk.names.index("LeftFoot")
    # hips at 95 cm, thigh joint 8.5 cm lower and 1.5 cm forward, then 42 + 41 cm of leg
    np.testing.assert_allclose(positions[0, foot], [0.09, -0.015, 0.035], atol=1e-9)
    # frame 3: the thigh straight, the knee bent 60 degrees: the foot swings back (+Y) and up
    knee = sk.names.index("LeftLeg")
    np.testing.assert_allclose(positions[3, foot] - positions[3, knee],
                               [0, 0.41 * math.sin(math.radians(60)), -0.41 * 0.5], atol=1e-9)


def test_position_channels_replace_the_offset():
    clip = parse_bvh(read("mixamo_tpose.bvh"))  # Hips OFFSET 0 100 0 and channels 0 100 0
    assert clip.skeleton.offsets[0][1] == 100.0
    positions, _ = clip.forward_kinematics()
    np.testing.assert_allclose(positions[0, 0], [0, 0, 1.0], atol=1e-9)


@pytest.mark.parametrize("name, unit", [("cmu_walk_cm.bvh", "cm"), ("mixamo_tpose.bvh", "cm"),
                                        ("biped_inches.bvh", "inch"), ("smpl_zup_m.bvh", "m")])
def test_units_are_inferred_from_the_height(name, unit):
    clip = parse_bvh(read(name))
    assert clip.unit == unit
    rest = clip.rest_positions()
    assert 1.3 < np.ptp(rest[:, 2]) < 1.8  # joints span a person, in metres


def test_the_same_skeleton_in_centimetres_and_inches_stands_the_same():
    cm, inch = parse_bvh(read("cmu_walk_cm.bvh")), parse_bvh(read("biped_inches.bvh"))
    rest_cm, rest_inch = cm.rest_positions(), inch.rest_positions()
    # CMU's root OFFSET is zero, the Biped's its standing height: compare heads above the hips
    head_cm = rest_cm[cm.skeleton.names.index("Head")] - rest_cm[0]
    head_inch = rest_inch[inch.skeleton.names.index("Bip01 Head")] - rest_inch[0]
    np.testing.assert_allclose(head_cm, head_inch, atol=1e-3)  # CRLF lines read alike, too
    assert head_cm[2] == pytest.approx(0.53)


def test_z_up_file_keeps_its_axes():
    clip = parse_bvh(read("smpl_zup_m.bvh"))
    np.testing.assert_allclose(clip.to_z_up, np.eye(3))
    positions, _ = clip.forward_kinematics()
    assert positions[0, clip.skeleton.names.index("head"), 2] > positions[0, 0, 2] + 0.4


def test_unit_can_be_named():
    assert parse_bvh(read("cmu_walk_cm.bvh"), unit="inch").unit == "inch"
    with pytest.raises(Invalid, match="unknown BVH unit 'furlong'"):
        parse_bvh(read("cmu_walk_cm.bvh"), unit="furlong")


def test_rotation_channel_order_is_the_euler_order():
    up_in_file = [0.0, 1.0, 0.0]
    # Zrotation 90 then Xrotation 90, intrinsic: Rz @ Rx takes the head's +Y to +Z (forward)
    zx = parse_bvh(TINY)
    _, rotations = zx.forward_kinematics()
    np.testing.assert_allclose(rotations[1, 1] @ zx.to_z_up @ up_in_file, [0, -1, 0], atol=1e-9)
    # the same numbers listed Xrotation first: Rx @ Rz takes +Y to -X
    xz = parse_bvh(TINY.replace("CHANNELS 3 Zrotation Xrotation Yrotation\n    End Site\n    {\n"
                                "      OFFSET 0.0 20.0", "CHANNELS 3 Xrotation Zrotation Yrotation\n"
                                "    End Site\n    {\n      OFFSET 0.0 20.0"))
    assert xz.skeleton.channels[1] == ("xrotation", "zrotation", "yrotation")
    _, rotations = xz.forward_kinematics()
    np.testing.assert_allclose(rotations[1, 1] @ xz.to_z_up @ up_in_file, [-1, 0, 0], atol=1e-9)


def test_layout_variants_parse():
    # braces on the joint's line, tabs, a BOM, trailing blank lines, three channels on the root
    text = ("\ufeffHIERARCHY\nROOT Hips {\n\tOFFSET 0 95 0\n\tCHANNELS 3 Zrotation Xrotation Yrotation\n"
            "\tJOINT Head {\n\t\tOFFSET 0 60 0\n\t\tCHANNELS 3 Zrotation Xrotation Yrotation\n"
            "\t\tEnd Site {\n\t\t\tOFFSET 0 20 0\n\t\t}\n\t}\n\tJOINT Leg {\n\t\tOFFSET 0 -90 0\n"
            "\t\tCHANNELS 1 Xrotation\n\t\tEnd Site {\n\t\t\tOFFSET 0 -5 0\n\t\t}\n\t}\n}\n"
            "MOTION\nFrames:\t1\nFrame Time:\t0.0083333\n0 0 0 0 0 0 45\n\n\n")
    clip = parse_bvh(text.encode("utf-8"))
    assert clip.skeleton.channels[2] == ("xrotation",) and clip.values.shape == (1, 7)
    positions, _ = clip.forward_kinematics()
    np.testing.assert_allclose(positions[0, 0], [0, 0, 0.95])  # no position channels: the OFFSET


@pytest.mark.parametrize("name, expected", [
    ("mixamorig:LeftUpLeg", "leftupleg"), ("mixamorig1:LeftUpLeg", "leftupleg"),
    ("Bip01 L Thigh", "l_thigh"), ("Bip001_L_UpperArm", "l_upperarm"),
    ("left_shoulder", "left_shoulder"), ("LeftShoulder", "leftshoulder"), ("Character1:Hips", "hips"),
    ("Character1_LeftUpLeg", "leftupleg"),
])
def test_normalized_names(name, expected):
    assert normalized_name(name) == expected


def _with(old: str, new: str) -> str:
    assert old in TINY
    return TINY.replace(old, new, 1)


@pytest.mark.parametrize("text, line, what", [
    (_with("0.0 95.0 10.0 0.0 0.0 0.0 90.0 90.0 0.0 0.0 0.0 0.0", "0.0 95.0 10.0 0.0 0.0 0.0 90.0 90.0"),
     29, "frame 2 has 8 values; the skeleton has 12 channels"),
    (TINY.split("MOTION")[0], 24, "no MOTION section"),
    (TINY.split("}\nMOTION")[0], 23, "MOTION section are missing"),
    (_with("CHANNELS 3 Zrotation Xrotation Yrotation", "CHANNELS 3 Zrotation Wrotation Yrotation"),
     9, "unknown channel 'Wrotation'"),
    (_with("CHANNELS 3 Zrotation Xrotation Yrotation", "CHANNELS 3 Zrotation Xrotation"), 9,
     "CHANNELS says 3 but lists 2"),
    (_with("CHANNELS 3 Zrotation Xrotation Yrotation", "CHANNELS 3 Zrotation Xrotation Zrotation"), 9,
     "listed twice"),
    (_with("0.0 95.0 10.0 0.0", "0.0 95.0 nan 0.0"), 29, "non-finite value 'nan'"),
    (_with("0.0 95.0 10.0 0.0", "0.0 95.0 1e999 0.0"), 29, "non-finite"),
    (_with("0.0 95.0 10.0 0.0", "0.0 95.0 ten 0.0"), 29, "'ten' is not a number"),
    (_with("OFFSET 0.0 60.0 0.0", "OFFSET 0.0 nan 0.0"), 8, "OFFSET: non-finite"),
    (_with("OFFSET 0.0 60.0 0.0", "OFFSET 0.0 60.0"), 8, "OFFSET takes three numbers"),
    (_with("Frames: 2", f"Frames: {MAX_FRAMES + 1}"), 26, f"a clip has 1 to {MAX_FRAMES} frames"),
    (_with("Frames: 2", "Frames: 0"), 26, "a clip has 1 to"),
    (_with("Frames: 2", "Frames: 3"), 29, "ends after 2 of the 3 frames"),
    (_with("Frames: 2", "Frames: 1"), 29, "more frame lines than 'Frames: 1'"),
    (_with("Frames: 2", "Frame count 2"), 26, "expected 'Frames: <count>'"),
    (_with("Frame Time: 0.04", "Frame Time: 0"), 27, "Frame Time must be positive"),
    (_with("Frame Time: 0.04", "Frame Time: -0.04"), 27, "Frame Time must be positive"),
    (_with("Frame Time: 0.04", "Frame Time: inf"), 27, "non-finite"),
    (_with("HIERARCHY", "HIERARCHIE"), 1, "starts with HIERARCHY"),
    (_with("  JOINT Head\n  {", "  JOINT Head\n  OFFSET 0 0 0\n  {"), 7, "expected '{'"),
    (_with("      OFFSET 0.0 20.0 0.0\n", ""), 12, "End Site has no OFFSET"),
    (_with("  JOINT Leg", "  ROOT Leg"), 15, "ROOT must come first"),
    (_with("  JOINT Leg", "  BONE Leg"), 15, "unexpected 'BONE'"),
    (_with("}\nMOTION", "MOTION"), 24, "MOTION before the hierarchy is closed"),
])
def test_malformed_files_name_the_line(text, line, what):
    with pytest.raises(Invalid) as caught:
        parse_bvh(text)
    assert caught.value.field == "motion"
    assert f"BVH line {line}: " in str(caught.value) and what in str(caught.value)


def test_too_many_bytes():
    with pytest.raises(Invalid, match=f"at most {MAX_BYTES}"):
        parse_bvh(b" " * (MAX_BYTES + 1))


def test_too_many_joints():
    chain = "".join(f"JOINT j{k}\n{{\nOFFSET 0 0.1 0\nCHANNELS 1 Xrotation\n" for k in range(MAX_JOINTS))
    text = "HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 1 Xrotation\n" + chain
    line = 6 + 4 * MAX_JOINTS - 4  # the JOINT line of joint MAX_JOINTS + 1
    with pytest.raises(Invalid, match=f"BVH line {line}: more than {MAX_JOINTS} joints"):
        parse_bvh(text)


def test_a_skeleton_without_a_head_cannot_be_stood_up():
    with pytest.raises(Invalid, match="no joint named Head"):
        parse_bvh(_with("JOINT Head", "JOINT Skull"))


def test_a_skeleton_of_no_human_size():
    giant = _with("OFFSET 0.0 -90.0 0.0", "OFFSET 0.0 -9000.0 0.0")  # 91 m in cm, 9 m in mm
    with pytest.raises(Invalid, match="no unit of m, cm, inch, mm makes that a person's height"):
        parse_bvh(giant)
