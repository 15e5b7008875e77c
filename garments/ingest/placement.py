"""How a garment sits on its mannequin: units, distance, and parts inside.

Garments are authored on a mannequin (``garments.mannequin``) and must come
back where they were made: same units (metres), same place. These pure
functions measure that; ``garments.ingest.validation`` words the findings.
Frame: metres, Z-up, the body facing -Y, so its left is +X.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from garments.surface_binding import nearest_surface_points, signed_distance

# (metres per file unit, name), in order of preference when several fit.
UNITS = ((1.0, "metres"), (0.01, "centimetres"), (0.001, "millimetres"))
# A garment's largest extent, as a fraction of the mannequin's height.
PLAUSIBLE_EXTENT = (0.05, 1.5)

# Height bands of a standing adult, upper bound as a fraction of stature.
BODY_BANDS = (
    (0.04, "feet"), (0.27, "lower legs"), (0.32, "knees"), (0.47, "thighs"), (0.56, "hips"),
    (0.65, "waist"), (0.77, "chest"), (0.84, "shoulders"), (0.88, "neck"), (np.inf, "head"),
)


@dataclass(frozen=True)
class InsideRegion:
    """Garment vertices deep inside the body in one region: count, and the
    deepest in metres."""

    name: str
    count: int
    depth: float


def guess_unit_scale(vertices, body_vertices) -> tuple[float, str] | None:
    """(metres per unit, unit name) that makes a garment fit its mannequin.

    A unit fits when the garment's largest extent becomes a plausible
    fraction of the mannequin's height; of those that fit, the one that puts
    the garment's centre nearest the mannequin wins (metres on a tie). None
    when no unit fits. vertices: (N, 3) file units; body_vertices: (V, 3) m.
    """
    vertices, body = np.asarray(vertices), np.asarray(body_vertices)
    height = np.ptp(body[:, 2])
    extent = np.ptp(vertices, axis=0).max()
    centre = (vertices.min(axis=0) + vertices.max(axis=0)) / 2
    fitting = [(scale, name) for scale, name in UNITS
               if PLAUSIBLE_EXTENT[0] * height <= scale * extent <= PLAUSIBLE_EXTENT[1] * height]
    if not fitting:
        return None
    return min(fitting, key=lambda unit: np.linalg.norm(offset_from_box(unit[0] * centre, body)))


def offset_from_body(vertices, body_vertices) -> np.ndarray:
    """(3,) metres from the mannequin's bounding box to the garment's centre
    (zero when the centre lies within the box)."""
    vertices = np.asarray(vertices)
    centre = (vertices.min(axis=0) + vertices.max(axis=0)) / 2
    return offset_from_box(centre, np.asarray(body_vertices))


def offset_from_box(point, box_vertices) -> np.ndarray:
    """(3,) from the bounding box of (V, 3) points to a point; zero inside."""
    low, high = box_vertices.min(axis=0), box_vertices.max(axis=0)
    return point - np.clip(point, low, high)


def direction_words(offset) -> str:
    """'to the mannequin's left', 'in front of it', ... for its largest part."""
    axis = int(np.argmax(np.abs(offset)))
    words = (("to its right", "to its left"), ("in front of it", "behind it"),
             ("below it", "above it"))
    return words[axis][int(offset[axis] > 0)]


def depth_inside(vertices, body_vertices, body_faces):
    """(depth (N,) metres, positive inside the body; nearest surface points)."""
    surface = nearest_surface_points(vertices, body_vertices, body_faces)
    return -signed_distance(vertices, surface), surface


def inside_regions(depth, surface, body_vertices, threshold: float) -> list[InsideRegion]:
    """Where vertices deeper than ``threshold`` metres lie, most first.

    depth: (N,) from ``depth_inside``; regions are named by the height of
    the nearest surface point and the way its normal faces.
    """
    body = np.asarray(body_vertices)
    inside = np.flatnonzero(depth > threshold)
    floor, stature = body[:, 2].min(), np.ptp(body[:, 2])
    names = [region_name((surface.point[i, 2] - floor) / stature, surface.normal[i])
             for i in inside]
    deepest: dict[str, float] = {}
    for name, d in zip(names, depth[inside]):
        deepest[name] = max(deepest.get(name, 0.0), float(d))
    return [InsideRegion(name, count, deepest[name])
            for name, count in Counter(names).most_common()]


def region_name(height_fraction: float, normal) -> str:
    """'front of the chest', 'left side of the waist', ... (the body's sides)."""
    band = next(name for top, name in BODY_BANDS if height_fraction < top)
    nx, ny = normal[0], normal[1]
    if abs(ny) >= abs(nx):
        side = "front" if ny < 0 else "back"
    else:
        side = "left side" if nx > 0 else "right side"
    return f"{side} of the {band}"
