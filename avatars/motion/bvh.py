"""Motion capture as BVH, the text studios exchange: parsed, checked and posed.

A BVH file has a HIERARCHY (joints as ROOT / JOINT / End Site blocks, each
with an OFFSET from its parent and its CHANNELS) and a MOTION section
(``Frames:``, ``Frame Time:`` and one line of channel values per frame).
Every malformed input raises ``Invalid(..., "motion")`` naming the line at
fault; the limits below bound what one upload may cost.

Conventions of the format, as the common exporters (CMU, Mixamo, 3ds Max,
MotionBuilder, Blender) write it: angles are degrees; the rotation channels,
in the order listed, compose as intrinsic Euler angles (``Zrotation
Xrotation Yrotation`` is Rz @ Rx @ Ry on column vectors), evaluated with
``scipy.spatial.transform.Rotation``; position channels replace the joint's
OFFSET (the root's channels are where it is, not how far it moved); in the
rest pose every joint's axes are the file's axes.

Files carry no unit and no up axis. The up axis is where the head is above
the hips in the rest pose (Y in most files, Z in some); the unit is the
one of ``UNITS`` that makes the rest skeleton's standing height (head top
above the hips, plus the hips above the lowest point, the toes) closest to
a person's, unless the caller names it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from tryon.core.errors import Invalid

MAX_BYTES = 20 * 1024 * 1024
MAX_JOINTS = 256
MAX_FRAMES = 30 * 60 * 2  # two minutes at 30 fps
UNITS = {"m": 1.0, "cm": 0.01, "inch": 0.0254, "mm": 0.001}  # metres per file unit
TYPICAL_HEIGHT_M = 1.7  # the unit is chosen to bring the skeleton nearest this height
HEIGHT_RANGE_M = (0.5, 2.6)  # heights a person's skeleton may have, in the chosen unit
CHANNELS = ("xposition", "yposition", "zposition", "xrotation", "yrotation", "zrotation")
_FIELD = "motion"


def _fail(line: int, message: str) -> Invalid:
    return Invalid(f"BVH line {line}: {message}", _FIELD)


def normalized_name(name: str) -> str:
    """A joint name as the name maps spell it: lower case, runs of spaces, '_', '-' and '.'
    as one '_', without a namespace ("mixamorig1:") or a rig's prefix ("Bip01 ", "Character1_")."""
    name = re.sub(r"[\s_.\-]+", "_", name.rsplit(":", 1)[-1].strip().lower())
    return re.sub(r"^(bip\d*|mixamorig\d*|character\d*)_", "", name)


@dataclass(frozen=True)
class BvhSkeleton:
    """The HIERARCHY of a BVH file, in its own units and axes.

    names: J joint names as written, parents before children (file order).
    parents: (J,) int64 parent index, -1 for the root.
    offsets: (J, 3) each joint's rest offset from its parent (the root's: from the origin).
    channels: J tuples of lower-case channel names (``CHANNELS``) in file order;
        frame values are these, joint after joint.
    ends: (J, 3) the offset of the joint's End Site from it, NaN where it has none.
    """

    names: tuple[str, ...]
    parents: np.ndarray
    offsets: np.ndarray
    channels: tuple[tuple[str, ...], ...]
    ends: np.ndarray

    @property
    def channel_count(self) -> int:
        return sum(len(c) for c in self.channels)

    def rest_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(J, 3) joint positions and (J, 3) End Site positions (NaN where none) at rest, file units."""
        positions = np.zeros_like(self.offsets)
        for j, parent in enumerate(self.parents):
            positions[j] = self.offsets[j] + (positions[parent] if parent >= 0 else 0.0)
        return positions, positions + self.ends

    def find(self, name: str) -> int | None:
        """Index of the first joint whose ``normalized_name`` is ``name``, else None."""
        return next((j for j, n in enumerate(self.names) if normalized_name(n) == name), None)


@dataclass(frozen=True)
class BvhClip:
    """A parsed BVH file.

    values: (F, C) channel values per frame in file order (degrees, file units).
    frame_time: seconds from one frame to the next.
    unit: the file's length unit, a key of ``UNITS``.
    to_z_up: (3, 3) rotation taking the file's axes to Z-up ones (identity for a
        Z-up file; for a Y-up one, facing +Z becomes facing -Y, our frame's facing).
    """

    skeleton: BvhSkeleton
    values: np.ndarray
    frame_time: float
    unit: str
    to_z_up: np.ndarray

    @property
    def frame_count(self) -> int:
        return int(self.values.shape[0])

    def rest_positions(self) -> np.ndarray:
        """(J, 3) rest joint positions, metres, Z-up."""
        return UNITS[self.unit] * self.skeleton.rest_positions()[0] @ self.to_z_up.T

    def forward_kinematics(self, joints: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The joints ``joints`` (K indices; None: all J) in every frame, metres and Z-up axes.

        Returns positions (F, K, 3) and rotations (F, K, 3, 3): each joint's
        world rotation from its rest orientation (identity at rest).
        """
        sk, frames = self.skeleton, self.frame_count
        rotations = np.empty((frames, len(sk.names), 3, 3))
        positions = np.empty((frames, len(sk.names), 3))
        column = 0
        for j, channels in enumerate(sk.channels):
            translation = np.repeat(sk.offsets[j][None], frames, axis=0)
            axes, angle_columns = "", []
            for name in channels:
                if name.endswith("position"):
                    translation[:, "xyz".index(name[0])] = self.values[:, column]
                else:
                    axes, angle_columns = axes + name[0].upper(), angle_columns + [column]
                column += 1
            local = (Rotation.from_euler(axes, self.values[:, angle_columns], degrees=True).as_matrix()
                     if axes else np.eye(3))
            parent = sk.parents[j]
            if parent < 0:
                rotations[:, j], positions[:, j] = local, translation
            else:
                rotations[:, j] = rotations[:, parent] @ local
                positions[:, j] = positions[:, parent] + np.einsum(
                    "fab,fb->fa", rotations[:, parent], translation)
        chosen = slice(None) if joints is None else list(joints)
        turn = self.to_z_up
        return (UNITS[self.unit] * positions[:, chosen] @ turn.T,
                np.einsum("ab,fjbc,dc->fjad", turn, rotations[:, chosen], turn))


def parse_bvh(data: bytes | str, unit: str | None = None) -> BvhClip:
    """Parse and check a BVH file; ``unit`` (a key of ``UNITS``) overrides the inferred one."""
    if len(data) > MAX_BYTES:  # bytes, or characters of text
        raise Invalid(f"BVH file is {len(data)} bytes; at most {MAX_BYTES} are accepted", _FIELD)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:  # names in an older exporter's 8-bit code page
            data = data.decode("latin-1")
    lines = [line.strip() for line in data.removeprefix("\ufeff").split("\n")]
    if lines[-1] == "":  # the newline ending the last line starts no line of its own
        lines.pop()
    skeleton, next_line = _hierarchy(lines)
    values, frame_time = _motion(lines, next_line, skeleton.channel_count)
    to_z_up, height = _up_and_height(skeleton)
    if unit is None:
        unit = min(UNITS, key=lambda u: abs(math.log(height * UNITS[u] / TYPICAL_HEIGHT_M)))
        metres = height * UNITS[unit]
        if not HEIGHT_RANGE_M[0] <= metres <= HEIGHT_RANGE_M[1]:
            raise Invalid(f"BVH skeleton stands {height:.4g} units tall: no unit of {', '.join(UNITS)} "
                          f"makes that a person's height", _FIELD)
    elif unit not in UNITS:
        raise Invalid(f"unknown BVH unit {unit!r}; choose one of {', '.join(UNITS)}", _FIELD)
    return BvhClip(skeleton, values, frame_time, unit, to_z_up)


def _numbers(tokens: list[str], line: int, what: str) -> np.ndarray:
    """(N,) float64 of ``tokens``; non-numbers and non-finite values fail."""
    try:
        numbers = np.array(tokens, dtype=np.float64)
    except ValueError:
        bad = next(t for t in tokens if not _is_float(t))
        raise _fail(line, f"{what}: {bad!r} is not a number") from None
    if not np.isfinite(numbers).all():
        raise _fail(line, f"{what}: non-finite value {tokens[int(np.argmin(np.isfinite(numbers)))]!r}")
    return numbers


def _is_float(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _next_content(lines: list[str], i: int) -> int:
    """Index of the first non-blank line from ``i`` (``len(lines)`` if none)."""
    while i < len(lines) and not lines[i]:
        i += 1
    return i


def _hierarchy(lines: list[str]) -> tuple[BvhSkeleton, int]:
    """Parse HIERARCHY up to the root's closing brace; returns the skeleton and the next line's index."""
    i = _next_content(lines, 0)
    if i == len(lines) or lines[i].upper() != "HIERARCHY":
        raise _fail(i + 1, "a BVH file starts with HIERARCHY")
    names: list[str] = []
    parents: list[int] = []
    offsets: list[np.ndarray | None] = []
    channels: list[tuple[str, ...]] = []
    ends: dict[int, np.ndarray] = {}
    stack: list[tuple[str, int]] = []  # open blocks: ("joint", index) or ("end", parent index)
    pending: tuple[str, int] | None = None  # a block named, its '{' not yet read
    for i in range(i + 1, len(lines)):
        line, n = lines[i], i + 1
        if not line:
            continue
        tokens = line.split()
        key = tokens[0].upper()
        opens = len(tokens) > 1 and tokens[-1] == "{"  # "JOINT name {" on one line
        if opens:
            tokens = tokens[:-1]
        if pending is not None and key != "{":
            raise _fail(n, f"expected '{{' to open the block above, found {tokens[0]!r}")
        if key in ("ROOT", "JOINT"):
            if (key == "ROOT") != (not names):
                raise _fail(n, "ROOT must come first, and only once" if key == "ROOT"
                            else "JOINT outside the ROOT")
            if stack and stack[-1][0] == "end":
                raise _fail(n, "an End Site has no joints inside it")
            if len(names) == MAX_JOINTS:
                raise _fail(n, f"more than {MAX_JOINTS} joints")
            name = line.split(None, 1)[1].removesuffix("{").strip() if len(tokens) > 1 else ""
            if not name:
                raise _fail(n, f"{key} without a name")
            names.append(name)
            parents.append(stack[-1][1] if stack else -1)
            offsets.append(None)
            channels.append(())
            pending = ("joint", len(names) - 1)
        elif key == "END":
            if not stack or stack[-1][0] == "end" or [t.upper() for t in tokens] != ["END", "SITE"]:
                raise _fail(n, "'End Site' belongs inside a joint")
            pending = ("end", stack[-1][1])
        elif key == "{":
            opens = True
        elif key == "}":
            if not stack:
                raise _fail(n, "'}' closes nothing")
            kind, j = stack.pop()
            if (kind == "joint" and offsets[j] is None) or (kind == "end" and j not in ends):
                block = f"joint {names[j]!r}" if kind == "joint" else "End Site"
                raise _fail(n, f"{block} has no OFFSET")
            if not stack:
                return _skeleton(names, parents, offsets, channels, ends), i + 1
        elif key == "OFFSET":
            if not stack or len(tokens) != 4:
                raise _fail(n, "OFFSET takes three numbers, inside a joint or End Site")
            kind, j = stack[-1]
            if kind == "joint":
                offsets[j] = _numbers(tokens[1:], n, "OFFSET")
            else:
                ends[j] = _numbers(tokens[1:], n, "OFFSET")
        elif key == "CHANNELS":
            if not stack or stack[-1][0] != "joint":
                raise _fail(n, "CHANNELS belongs inside a ROOT or JOINT")
            channels[stack[-1][1]] = _channels(tokens, n)
        elif key == "MOTION":
            raise _fail(n, f"MOTION before the hierarchy is closed: {len(stack)} '}}' missing")
        else:
            raise _fail(n, f"unexpected {tokens[0]!r} in the HIERARCHY")
        if opens:
            if pending is None:
                raise _fail(n, "'{' without a ROOT, JOINT or End Site before it")
            stack.append(pending)
            pending = None
    if not names:
        raise _fail(len(lines), "the file ends without a ROOT")
    raise _fail(len(lines), "the file ends inside the HIERARCHY: "
                            "a '}' and the MOTION section are missing")


def _channels(tokens: list[str], line: int) -> tuple[str, ...]:
    """The lower-case channel names of a ``CHANNELS n name...`` line."""
    if len(tokens) < 2 or not tokens[1].isdigit():
        raise _fail(line, "CHANNELS needs a count, then the channel names")
    names = tuple(t.lower() for t in tokens[2:])
    if int(tokens[1]) != len(names) or len(names) > len(CHANNELS):
        raise _fail(line, f"CHANNELS says {tokens[1]} but lists {len(names)} "
                          f"(at most {len(CHANNELS)})")
    for name, written in zip(names, tokens[2:]):
        if name not in CHANNELS:
            raise _fail(line, f"unknown channel {written!r}; channels are Xposition ... Zrotation")
    if len(set(names)) != len(names):
        raise _fail(line, "a channel is listed twice")
    return names


def _skeleton(names, parents, offsets, channels, ends) -> BvhSkeleton:
    end_offsets = np.full((len(names), 3), np.nan)
    for j, offset in ends.items():
        end_offsets[j] = offset
    return BvhSkeleton(tuple(names), np.asarray(parents, dtype=np.int64), np.stack(offsets),
                       tuple(channels), end_offsets)


def _motion(lines: list[str], i: int, channel_count: int) -> tuple[np.ndarray, float]:
    """Parse MOTION from line index ``i``: (F, C) frame values and the frame time, s."""
    i = _next_content(lines, i)
    if i == len(lines):
        raise _fail(len(lines), "the file ends after the HIERARCHY: no MOTION section")
    if lines[i].upper() != "MOTION":
        raise _fail(i + 1, f"expected MOTION after the HIERARCHY, found {lines[i].split()[0]!r}")
    if channel_count == 0:
        raise _fail(i + 1, "the skeleton has no CHANNELS: there is nothing to animate")
    i = _next_content(lines, i + 1)
    frames = re.fullmatch(r"frames\s*:\s*(\S+)", lines[i] if i < len(lines) else "", re.IGNORECASE)
    if frames is None or not frames[1].isdigit():
        raise _fail(min(i, len(lines) - 1) + 1, "expected 'Frames: <count>' after MOTION")
    count = int(frames[1])
    if not 1 <= count <= MAX_FRAMES:
        raise _fail(i + 1, f"Frames: {count}; a clip has 1 to {MAX_FRAMES} frames")
    i = _next_content(lines, i + 1)
    frame_time = re.fullmatch(r"frame\s+time\s*:\s*(\S+)", lines[i] if i < len(lines) else "",
                              re.IGNORECASE)
    if frame_time is None:
        raise _fail(min(i, len(lines) - 1) + 1, "expected 'Frame Time: <seconds>' after Frames")
    seconds = float(_numbers([frame_time[1]], i + 1, "Frame Time")[0])
    if seconds <= 0:
        raise _fail(i + 1, f"Frame Time must be positive, got {frame_time[1]}")
    values = np.empty((count, channel_count))
    frame = 0
    for i in range(i + 1, len(lines)):
        if not lines[i]:
            continue
        if frame == count:
            raise _fail(i + 1, f"more frame lines than 'Frames: {count}'")
        tokens = lines[i].split()
        if len(tokens) != channel_count:
            raise _fail(i + 1, f"frame {frame + 1} has {len(tokens)} values; "
                               f"the skeleton has {channel_count} channels")
        values[frame] = _numbers(tokens, i + 1, f"frame {frame + 1}")
        frame += 1
    if frame < count:
        raise _fail(len(lines), f"the file ends after {frame} of the {count} frames 'Frames:' declares")
    return values, seconds


def _up_and_height(skeleton: BvhSkeleton) -> tuple[np.ndarray, float]:
    """(3, 3) rotation taking the file's up axis to +Z, and the standing height in file units.

    Up is the axis along which the head's top is furthest from the hips at rest.
    """
    head = skeleton.find("head")
    if head is None:
        raise Invalid("BVH skeleton has no joint named Head: cannot tell which way is up", _FIELD)
    joints, ends = skeleton.rest_positions()
    below = [j for j in range(len(joints)) if _descends(skeleton.parents, j, head)]
    tips = [ends[j] for j in below if not np.isnan(ends[j]).any()] or [joints[j] for j in below]
    top = max(tips, key=lambda p: float(np.linalg.norm(p - joints[head])))
    rise = top - joints[0]
    axis = int(np.argmax(np.abs(rise)))
    up = np.zeros(3)
    up[axis] = math.copysign(1.0, rise[axis])
    points = np.concatenate([joints, ends[~np.isnan(ends).any(axis=1)]])
    height = float(top @ up - (points @ up).min())
    if height <= 0:
        raise Invalid("BVH skeleton has no height at rest", _FIELD)
    turn_axis = np.cross(up, [0.0, 0.0, 1.0])
    if np.linalg.norm(turn_axis) < 0.5:  # already along Z: none, or half a turn about X
        return (np.eye(3) if up[2] > 0 else np.diag([1.0, -1.0, -1.0])), height
    # a quarter turn between axes: exactly a signed permutation
    return np.round(Rotation.from_rotvec(turn_axis * math.pi / 2).as_matrix()), height


def _descends(parents: np.ndarray, j: int, ancestor: int) -> bool:
    """Whether joint ``j`` is ``ancestor`` or below it."""
    while j >= 0 and j != ancestor:
        j = int(parents[j])
    return j == ancestor
