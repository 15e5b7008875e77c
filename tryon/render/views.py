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
