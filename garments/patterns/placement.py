"""Where each pattern piece starts before it is sewn: wrapped round a part of the body.

Pattern CAD arranges pieces around the avatar before simulating; tryon wraps
each flat piece round a tube about the body part it dresses (the torso, an
arm, a leg, the neck), as a sheet of paper rolls onto a can: the piece's x
runs round the tube, its y along the tube's axis. The tube's cross-section
at each level is an ellipse round the body's section there, clearance
outside it, and large enough that the pieces on the tube span it side by
side; the pieces sewn round a body part then start with their seams facing
each other. Lengths along a level are kept exactly, so the piece starts
unstretched.

A piece is viewed from outside the garment, y up: a front's x runs to the
wearer's left, a back's to her right, a left sleeve's towards her back, a
right sleeve's towards her front (``wrap``). Which part and which side a
piece dresses comes from its ``Placement``: given by the merchandiser, or by
default from the piece's name (``default_placement``: front, back, sleeve,
skirt, leg, waistband, collar...).

Units: the pattern's centimetres in, tryon's metres out (Z up, facing -Y).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from garments.body_regions import BodyGeometry
from garments.patterns.pattern import PatternError

PARTS = ("torso", "neck", "arm_l", "arm_r", "leg_l", "leg_r")
CLEARANCE_M = 0.025  # between the body's section and the tube the pieces start on
LEVEL_STEP_M = 0.01  # the tube's sections are this far apart along its axis
SMOOTHING_LEVELS = 7  # sections smoothed over this many levels
# where a piece's top starts on its part, metres along the part's axis from a landmark
ANCHORS = ("neck", "shoulder", "waist", "hip", "shoulder_joint")


@dataclass(frozen=True)
class Placement:
    """part: the body part the piece wraps (``PARTS``); side: degrees round the part from
    its front (torso, neck, legs: the front; arms: the top of the arm), counter-clockwise
    seen from above the part (90: the wearer's left side on the torso); anchor and
    offset_m: the piece's top lies ``offset_m`` above the ``anchor`` landmark along the
    part's axis."""

    part: str
    side: float
    anchor: str
    offset_m: float = 0.0

    def __post_init__(self):
        if self.part not in PARTS:
            raise PatternError(f"placement part {self.part!r}: one of {', '.join(PARTS)}", "placements")
        if self.anchor not in ANCHORS:
            raise PatternError(f"placement anchor {self.anchor!r}: one of {', '.join(ANCHORS)}", "placements")
        if not (math.isfinite(self.side) and math.isfinite(self.offset_m) and abs(self.offset_m) < 1.0):
            raise PatternError("placement side and offset_m must be numbers (offset under 1 m)", "placements")


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()))


def default_placement(name: str, category: str) -> Placement | None:
    """The placement of a piece named ``name`` in a garment of ``category`` (``garments.garment
    .CATEGORIES``), or None when the name does not say (the merchandiser then gives one)."""
    words = _words(name)
    left = bool(words & {"left", "l", "lt"})
    right = bool(words & {"right", "r", "rt"})
    back = bool(words & {"back", "bk", "rear"})
    front = bool(words & {"front", "fr", "frt"}) or not back
    if words & {"collar", "neckband", "stand", "band"} and not words & {"waistband", "waist"}:
        return Placement("neck", 0.0 if front and not (words & {"collar", "stand"} and back) else 180.0,
                         "neck", 0.06)
    if words & {"waistband", "waist"}:
        return Placement("torso", 0.0 if front else 180.0, "waist", 0.03)
    if words & {"sleeve", "slv"}:
        if not (left or right):
            return None
        return Placement("arm_l" if left else "arm_r", 0.0, "shoulder_joint", 0.05)
    if category == "trousers" or words & {"leg", "trouser", "pant", "pants", "jeans"}:
        if not (left or right):
            return None
        return Placement("leg_l" if left else "leg_r", 180.0 if back else 0.0, "waist", 0.0)
    if category == "skirt" or words & {"skirt"}:
        if not words & {"skirt", "front", "fr", "frt", "back", "bk", "rear"}:
            return None
        return Placement("torso", 180.0 if back else 0.0, "waist", 0.0)
    if words & {"front", "back", "bodice", "body", "fr", "bk", "frt"}:
        # a front cut in two halves (a shirt's, a jacket's) sits either side of the centre
        side = 180.0 if back else 0.0
        if left and not back:
            side = 25.0
        elif right and not back:
            side = -25.0
        return Placement("torso", side, "neck", 0.0)
    return None


@dataclass(frozen=True)
class Tube:
    """A body part's tube: origin (3,) m and axis (3,) unit (up the part), front (3,) unit
    (side 0) perpendicular to it; per level along the axis (L levels from ``start_m``,
    LEVEL_STEP_M apart): centre (L, 2) m in (front, axis x front) coordinates and the
    body's semi-axes (L, 2) m along those, clearance included."""

    origin: np.ndarray
    axis: np.ndarray
    front: np.ndarray
    start_m: float
    centre: np.ndarray
    semi_axes: np.ndarray

    def level(self, along_m: np.ndarray) -> np.ndarray:
        """(N,) int, the level nearest each position along the axis (clamped)."""
        return np.clip(np.round((along_m - self.start_m) / LEVEL_STEP_M), 0, len(self.centre) - 1).astype(int)


def body_tube(g: BodyGeometry, part: str, model_landmarks: dict) -> Tube:
    """The tube of ``part`` of the A-posed body ``g``."""
    v, lv = g.vertices, g.levels
    if part in ("arm_l", "arm_r"):
        side = 1.0 if part == "arm_l" else -1.0
        shoulder, wrist = (g.joints[model_landmarks[f"{j}.{'L' if side > 0 else 'R'}"]] for j in ("shoulder", "wrist"))
        axis = _unit(shoulder - wrist)
        up = np.array([0.0, 0.0, 1.0])
        front = _unit(up - axis * (axis @ up))  # the top of the arm
        members = g.arm & (np.sign(v[:, 0]) == side)
        origin = shoulder
    else:
        axis, front, origin = np.array([0.0, 0.0, 1.0]), np.array([0.0, -1.0, 0.0]), np.zeros(3)
        members = ~g.arm & (v[:, 2] < lv.neck + 0.08)
        if part == "neck":
            neck = g.joints[model_landmarks["neck"]]
            members &= (v[:, 2] > lv.shoulder) & (np.linalg.norm(v[:, :2] - neck[:2], axis=1) < 0.09)
        elif part in ("leg_l", "leg_r"):
            members &= (np.sign(v[:, 0]) == (1.0 if part == "leg_l" else -1.0)) & (v[:, 2] < lv.waist + 0.1)
    side_axis = np.cross(axis, front)
    local = v[members] - origin
    along, p, q = local @ axis, local @ front, local @ side_axis
    start = float(along.min())
    bins = np.round((along - start) / LEVEL_STEP_M).astype(int)
    count = int(bins.max()) + 1
    centre, semi = np.zeros((count, 2)), np.zeros((count, 2))
    for k in range(count):
        here = bins == k
        if not here.any():
            centre[k], semi[k] = centre[k - 1], semi[k - 1]
            continue
        lo = np.array([p[here].min(), q[here].min()])
        hi = np.array([p[here].max(), q[here].max()])
        centre[k], semi[k] = (lo + hi) / 2.0, (hi - lo) / 2.0 + CLEARANCE_M
    # sections 1 cm apart are noisy (few vertices, an elbow): smooth them along the axis,
    # so neighbouring rows of a piece start on neighbouring sections
    return Tube(origin, axis, front, start, uniform_filter1d(centre, SMOOTHING_LEVELS, axis=0, mode="nearest"),
                maximum_filter1d(semi, SMOOTHING_LEVELS, axis=0, mode="nearest"))


def anchor_along(g: BodyGeometry, tube: Tube, placement: Placement) -> float:
    """Metres along ``tube``'s axis where a piece placed by ``placement`` has its top."""
    lv = g.levels
    heights = {"neck": lv.neck - 0.02, "shoulder": lv.shoulder, "waist": lv.waist, "hip": lv.hip}
    if placement.anchor == "shoulder_joint":
        return placement.offset_m  # the arms' tubes start at the shoulder joint
    return float((np.array([0.0, 0.0, heights[placement.anchor]]) - tube.origin) @ tube.axis) + placement.offset_m


def ellipse_arc(semi_axes: np.ndarray, samples: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Angles (S + 1,) from the front round the ellipse of ``semi_axes`` (2,) (along the
    front, along the side) and the arc length (S + 1,) m from the front to each."""
    theta = np.linspace(0.0, 2.0 * np.pi, samples + 1)
    points = np.column_stack([semi_axes[0] * np.cos(theta), semi_axes[1] * np.sin(theta)])
    return theta, np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])


def wrap(points_cm: np.ndarray, tube: Tube, along_top_m: float, side_deg: float,
         perimeter_m: np.ndarray) -> np.ndarray:
    """(N, 3) m: the piece's points (N, 2) cm wrapped round ``tube``, its top at
    ``along_top_m`` and its centre line at ``side_deg``; ``perimeter_m`` (L,) the tube's
    perimeter at each level (the ellipse of its semi-axes scaled up to it)."""
    x = (points_cm[:, 0] - (points_cm[:, 0].min() + points_cm[:, 0].max()) / 2.0) / 100.0
    along = along_top_m - (points_cm[:, 1].max() - points_cm[:, 1]) / 100.0
    level = tube.level(along)
    out = np.zeros((len(points_cm), 3))
    for k in np.unique(level):
        here = level == k
        theta, arc = ellipse_arc(tube.semi_axes[k])
        scale = perimeter_m[k] / arc[-1]
        centre_arc = np.interp(math.radians(side_deg) % (2 * np.pi), theta, arc) * scale
        angle = np.interp((centre_arc + x[here]) % perimeter_m[k], arc * scale, theta)
        p = tube.centre[k, 0] + tube.semi_axes[k, 0] * scale * np.cos(angle)
        q = tube.centre[k, 1] + tube.semi_axes[k, 1] * scale * np.sin(angle)
        out[here] = tube.origin + np.outer(along[here], tube.axis) + np.outer(p, tube.front) \
            + np.outer(q, np.cross(tube.axis, tube.front))
    return out


def tube_perimeters(tube: Tube, pieces: list[tuple[np.ndarray, float]], spacing_cm: float) -> np.ndarray:
    """(L,) m, the tube's perimeter at each level: round the body's ellipse, or the widths
    of the ``pieces`` (points (N, 2) cm, their top's position along the axis, m) on that
    level laid side by side, whichever is longer. Smoothed along the axis, so a piece's
    neighbouring rows start on tubes of about one size."""
    levels = len(tube.centre)
    body = np.array([ellipse_arc(tube.semi_axes[k], 64)[1][-1] for k in range(levels)])
    widths = np.zeros(levels)
    for points, along_top in pieces:
        along = along_top - (points[:, 1].max() - points[:, 1]) / 100.0
        for k in range(levels):
            row = points[np.abs(along - (tube.start_m + k * LEVEL_STEP_M)) <= spacing_cm / 200.0, 0]
            if len(row):
                widths[k] += (row.max() - row.min()) / 100.0
    widest = maximum_filter1d(np.maximum(body, widths), SMOOTHING_LEVELS, mode="nearest")
    return uniform_filter1d(widest, SMOOTHING_LEVELS, mode="nearest")


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)
