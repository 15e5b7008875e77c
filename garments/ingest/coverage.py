"""Whether a garment is on a body, as a person means it: around the parts it covers.

A garment is on its mannequin when (1) at each height its category covers
(a top: chest and waist; trousers: hips and each thigh; a skirt: hips; a
dress: chest, waist and hips) a horizontal section of the garment goes
around that part of the body, (2) most of its vertices lie near the body's
surface and (3) no part of it is far off. A bounding box says none of
this: a T-shirt crumpled at the mannequin's feet lies inside its box.

Thresholds, from the sample garments on their mannequins (25 garment sizes,
``tests/garments/ingest/test_coverage.py`` keeps them honest):

- a required section crosses at least ``SURROUND_MIN`` of the 36 ten-degree
  sectors around the body part's centre; the samples cross 97-100 %, a
  skirt's section around one thigh (which it does not surround) 67-69 %;
- the median distance of the vertices to the body is at most
  ``NEAR_MEDIAN_M``; the samples' are 0.9-4.2 cm (an A-line skirt's hem
  stands off the legs);
- no vertex is more than ``FAR_OFF_M`` from the body; the samples' farthest
  are 3-25 cm (a midi dress's flared hem).

Frame: metres, Z-up, the body facing -Y (its left is +X). Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from garments.body_regions import BodyGeometry

SURROUND_MIN = 0.85
NEAR_MEDIAN_M = 0.08
FAR_OFF_M = 0.6
_SECTORS = 36
_BAND_M = 0.01  # half-height of the body slice whose centre a section goes around


@dataclass(frozen=True)
class Part:
    """A body part a category covers: its name, height (m) and side (+1 the
    body's left leg, -1 its right, 0 the torso)."""

    name: str
    height: float
    side: int = 0


@dataclass(frozen=True)
class Surround:
    """How far a garment's section at ``part``'s height goes around it (0-1)."""

    part: Part
    share: float

    @property
    def surrounds(self) -> bool:
        return self.share >= SURROUND_MIN


def covered_parts(category: str, body: BodyGeometry) -> list[Part]:
    """The parts a garment of ``category`` must go around on ``body``."""
    levels = body.levels
    # the bust line: 70 % of the way from crotch to shoulders, inside the band
    # where avatars.measurements looks for the bust (60-88 %), so that a tube
    # top covering the bust is around the chest
    chest = Part("chest", levels.crotch + 0.7 * (levels.shoulder - levels.crotch))
    waist = Part("waist", levels.waist)
    hips = Part("hips", levels.hip)
    thigh = (levels.crotch + levels.knee) / 2
    parts = {"top": [chest, waist], "outerwear": [chest, waist], "dress": [chest, waist, hips],
             "skirt": [hips],
             "trousers": [hips, Part("left thigh", thigh, 1), Part("right thigh", thigh, -1)]}
    return parts[category]


def surround(vertices, faces, body: BodyGeometry, part: Part) -> Surround:
    """The share of sectors around ``part`` that the garment's section crosses.

    vertices: (N, 3) garment, metres; faces: (F, 3). The part's centre is the
    mean of the body's torso (or one leg's) vertices within 1 cm of its height.
    """
    near = ~body.arm & (np.abs(body.vertices[:, 2] - part.height) < _BAND_M)
    if part.side:
        near &= np.sign(body.vertices[:, 0]) == part.side
    centre = body.vertices[near].mean(axis=0)
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    segments = trimesh.intersections.mesh_plane(mesh, [0, 0, 1], [0, 0, part.height])
    # points along each segment of the section, so a coarse mesh's long edges cross their sectors
    along = np.linspace(0.0, 1.0, 9)[None, :, None]
    points = (segments[:, :1] * (1.0 - along) + segments[:, 1:] * along).reshape(-1, 3)
    if part.side:
        points = points[np.sign(points[:, 0]) == part.side]
    if not len(points):
        return Surround(part, 0.0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    sectors = ((angles + np.pi) / (2 * np.pi) * _SECTORS).astype(int) % _SECTORS
    return Surround(part, len(np.unique(sectors)) / _SECTORS)


def looks_y_up(vertices) -> bool:
    """Whether the garment stands along Y rather than Z: exported Y-up, as most
    authoring tools do, its height lies along our depth axis."""
    extent = np.ptp(np.asarray(vertices), axis=0)
    return extent[1] > 1.5 * extent[2]


def looks_turned(vertices) -> bool:
    """Whether the garment is deeper than it is wide: a quarter turn about the
    vertical, since bodies (and what covers them) are wider than deep."""
    extent = np.ptp(np.asarray(vertices), axis=0)
    return extent[1] > 1.1 * extent[0]


def looks_t_posed(vertices, body: BodyGeometry) -> bool:
    """Whether the garment reaches much wider than the A-posed body: sleeves
    made on arms held out level (a T-pose)."""
    width = np.ptp(np.asarray(vertices)[:, 0])
    return width > 1.2 * np.ptp(body.vertices[:, 0])
