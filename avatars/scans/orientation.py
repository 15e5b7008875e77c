"""Which way is up in a scan: rotations that make it Z-up, found from its floor or its spread.

Scans and avatars come from tools with other conventions (Y-up is common).
A floor plane, when there is one, gives the up axis and levels the scan;
otherwise a standing body's spread does. Frame after: Z-up, a Y-up file's
front turned to -Y (tryon's facing).
"""

from __future__ import annotations

import math

import numpy as np

AXIS_NAMES = ("X", "Y", "Z")


def axis_rotation(axis: int, sign: float) -> np.ndarray:
    """(3, 3) rotation taking the signed coordinate axis to +Z, the front of Y-up files to -Y."""
    if axis == 2:
        return np.eye(3) if sign > 0 else np.diag([1.0, -1.0, -1.0])
    if axis == 1:  # +90 degrees about X: +Y -> +Z, +Z -> -Y
        turn = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
        return turn if sign > 0 else turn.T
    turn = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # +X -> +Z
    return turn if sign > 0 else turn.T


def level(direction: np.ndarray) -> np.ndarray:
    """(3, 3) smallest rotation taking unit ``direction`` to +Z."""
    z = np.array([0.0, 0.0, 1.0])
    axis = np.cross(direction, z)
    s, c = np.linalg.norm(axis), float(direction @ z)
    if s < 1e-12:
        return np.eye(3)
    k = axis / s
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * cross + (1 - c) * cross @ cross


def up_rotation(points: np.ndarray, floor_normal: np.ndarray | None) -> tuple[np.ndarray, str]:
    """(3, 3) rotation that makes the scan Z-up, and a note saying how it was found."""
    if floor_normal is not None:
        axis = int(np.argmax(np.abs(floor_normal)))
        sign = float(np.sign(floor_normal[axis]))
        turn = axis_rotation(axis, sign)
        tilt = math.degrees(math.acos(min(1.0, abs(float(floor_normal[axis])))))
        how = f"from the floor (levelled by {tilt:.1f} degrees)"
        rotation = level(turn @ floor_normal) @ turn
    else:
        # A standing body's points spread evenly from feet to head, while
        # across it most lie in the torso, however far the arms reach: the
        # up axis is the one with the widest interquartile range.
        quartiles = np.percentile(points, [25, 75], axis=0)
        axis = int(np.argmax(quartiles[1] - quartiles[0]))
        sign = 1.0  # without a floor, files are taken to point their up axis up
        how = "from the body's spread (no floor found)"
        rotation = axis_rotation(axis, sign)
    name = f"{'+' if sign > 0 else '-'}{AXIS_NAMES[axis]}"
    action = "kept" if (axis, sign) == (2, 1.0) else "turned to +Z"
    return rotation, f"up axis: {name} {how}, {action}"
