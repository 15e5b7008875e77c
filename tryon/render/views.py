"""Named camera views and the camera pose that frames a body.

A view is a camera azimuth about the vertical (Z) axis, radians: 0 puts the
camera in front of the body (on -Y, looking +Y), pi/2 on the body's left
side (+X), pi behind it, 3*pi/2 on its right side. The camera stays level,
like a product photographer's, so vertical lines stay vertical.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

VIEWS = {
    "front": 0.0,
    "three-quarter": math.pi / 4,  # front-left
    "left": math.pi / 2,
    "back": math.pi,
    "right": 3 * math.pi / 2,
}

# A long lens, as on a fashion shoot: little perspective distortion.
DEFAULT_YFOV = math.radians(22.0)
# Share of the image height left empty above and below the framed points.
DEFAULT_MARGIN = 0.04


def view_azimuth(view: str) -> float:
    """Camera azimuth of a named view, radians."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    return VIEWS[view]


def resolve_view(view: str | float) -> float:
    """Camera azimuth, radians, of a view name or of an azimuth given in radians."""
    if isinstance(view, str):
        return view_azimuth(view)
    if isinstance(view, numbers.Real) and not isinstance(view, bool) and math.isfinite(view):
        return float(view)
    raise ValueError(f"a view is a name ({', '.join(VIEWS)}) or an azimuth in radians, got {view!r}")


def turntable_views(n: int) -> np.ndarray:
    """(n,) camera azimuths, radians, evenly spaced around the body from the front."""
    if n < 1:
        raise ValueError(f"a turntable needs at least one view, got {n}")
    return np.arange(n) * (2 * math.pi / n)


def camera_axes(azimuth: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The level camera's (right, up, forward) unit vectors, each (3,), world frame."""
    forward = np.array([-math.sin(azimuth), math.cos(azimuth), 0.0])
    up = np.array([0.0, 0.0, 1.0])
    right = np.cross(forward, up)
    return right, up, forward


def frame_points(
    points: np.ndarray,
    azimuth: float,
    aspect: float,
    yfov: float = DEFAULT_YFOV,
    margin: float = DEFAULT_MARGIN,
) -> tuple[np.ndarray, float, float]:
    """Camera pose that fits every point inside the image, centred.

    points: (N, 3) world points to keep in view, metres.
    azimuth: camera azimuth, radians (see ``VIEWS``).
    aspect: image width / height.
    yfov: vertical field of view, radians.
    margin: share of the image height (and the same number of pixels of its
        width) kept free on every side.

    Returns (pose, znear, zfar): pose is the (4, 4) camera-to-world matrix in
    pyrender's convention (the camera looks down its -Z, +Y up); znear and
    zfar (metres) enclose the points.
    """
    points = np.asarray(points, dtype=np.float64)
    right, up, forward = camera_axes(azimuth)
    a, b, e = points @ right, points @ up, points @ forward
    ty = math.tan(yfov / 2) * (1 - 2 * margin)
    tx = math.tan(yfov / 2) * (aspect - 2 * margin)
    # With the camera at s*right + h*up - d*forward, a point is in view when
    # |a - s| <= tx * (e + d) and |b - h| <= ty * (e + d). The smallest d
    # that admits some s and h is closed-form. s and h then sit mid-way in
    # their feasible ranges: the image is centred exactly on the tight axis
    # and, on the other, up to the depth spread of the extreme points.
    lo_x, hi_x = np.max(a - tx * e), np.min(a + tx * e)
    lo_y, hi_y = np.max(b - ty * e), np.min(b + ty * e)
    d = max((lo_x - hi_x) / (2 * tx), (lo_y - hi_y) / (2 * ty))
    s, h = (lo_x + hi_x) / 2, (lo_y + hi_y) / 2
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = right, up, -forward
    pose[:3, 3] = s * right + h * up - d * forward
    depths = e + d
    return pose, 0.5 * float(depths.min()), 2.0 * float(depths.max())


def clip_framing(
    points: np.ndarray,
    azimuths: np.ndarray,
    aspect: float,
    yfov: float = DEFAULT_YFOV,
    margin: float = DEFAULT_MARGIN,
) -> tuple[list[np.ndarray], float, float]:
    """One framing for a whole clip: every camera at the same distance and
    height, aimed at the same vertical axis, so nothing zooms or bobs.

    points: (N, 3) world points to keep in view in every frame, metres (all
        the clip's frames together). azimuths: (T,) camera azimuth of each
        frame, radians (the same for a fixed camera, once round for a
        turntable). aspect: width / height.
    Returns ((4, 4) camera-to-world poses, one per azimuth; znear; zfar).
    """
    points = np.asarray(points, dtype=np.float64)
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2])
    ty = math.tan(yfov / 2) * (1 - 2 * margin)
    tx = math.tan(yfov / 2) * (aspect - 2 * margin)
    relative = points - centre
    distance, axes = 0.0, []
    for azimuth in np.asarray(azimuths, dtype=np.float64):
        right, up, forward = camera_axes(float(azimuth))
        a, b, e = relative @ right, relative @ up, relative @ forward
        # in view when |a| <= tx (e + d) and |b| <= ty (e + d), d the distance to the axis
        distance = max(distance, float(np.max(np.maximum(np.abs(a) / tx, np.abs(b) / ty) - e)))
        axes.append((right, up, forward))
    poses = []
    for right, up, forward in axes:
        pose = np.eye(4)
        pose[:3, 0], pose[:3, 1], pose[:3, 2] = right, up, -forward
        pose[:3, 3] = centre - distance * forward
        poses.append(pose)
    reach = float(np.linalg.norm(relative, axis=1).max())
    return poses, max(0.05, 0.5 * (distance - reach)), 2.0 * (distance + reach)
