"""How a draped garment fits: stretch per face, a fit map, and a verdict per
body region that a shopper can read.

Stretch is measured against the garment as authored (on its mannequin):
for each triangle, the largest stretch of its three edges (0.05 = an edge
5 % longer than in the pattern). Edges, not the deformation gradient: cloth
that buckles into folds shears its triangles, which a principal stretch
would report as tension. Thresholds:

- tight: stretch above ``TIGHT_STRETCH`` (3 %);
- loose: no stretch (below 1 %) and more than ``LOOSE_EASE_M`` (6 cm, about
  one size step) more ease than the design has on its mannequin. Ease is
  what a tailor means by it: the garment's girth minus the body's, both as a
  tape measures them (convex hull of the horizontal section), at the hips,
  waist and chest levels. A flared hem has ease by design: that is not loose;
- loose too: a waistband (skirts, trousers) that sits more than ``SLIDE_M``
  (3 cm) lower on the body's waist than it was designed to sit on its
  mannequin's: the garment slid down until the hips held it; tight, one
  that sits more than that higher: the hips pushed it up;
- fits: everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avatars.measurements import convex_girth, horizontal_sections

TIGHT_STRETCH = 0.03
SLIDE_M = 0.03  # a waistband 3 cm below where it was designed to sit: too big at the waist
RELAXED_STRETCH = 0.01
LOOSE_EASE_M = 0.06
# Heights of the girths, as a fraction of the way from crotch to shoulders.
GIRTH_LEVELS = {"hips": 0.15, "waist": 0.55, "chest": 0.8}
REGIONS = ("shoulders", "chest", "waist", "hips")
# Fit-map colours, sRGB 0-255.
FIT_COLOURS = {"loose": (66, 133, 244), "fits": (52, 168, 83), "tight": (234, 67, 53)}
# Ease map: room between body and cloth (cm) -> sRGB, interpolated between the stops.
EASE_STOPS_CM = (0.0, 1.0, 3.0, 6.0, 10.0)
EASE_COLOURS = ((202, 0, 32), (244, 165, 130), (247, 247, 247), (146, 197, 222), (5, 113, 176))
FIT_MAPS = ("stretch", "ease")


def face_stretch(rest: np.ndarray, deformed: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F,) largest relative stretch of each triangle's edges (negative when
    all are shorter than authored). rest, deformed: (N, 3) metres; faces (F, 3)."""
    stretch = []
    for a, b in ((0, 1), (1, 2), (2, 0)):
        rest_length = np.linalg.norm(rest[faces[:, a]] - rest[faces[:, b]], axis=1)
        length = np.linalg.norm(deformed[faces[:, a]] - deformed[faces[:, b]], axis=1)
        stretch.append(length / np.maximum(rest_length, 1e-12) - 1.0)
    return np.max(stretch, axis=0)


def fit_class(stretch: np.ndarray, loose: np.ndarray) -> np.ndarray:
    """Per element: 0 loose, 1 fits, 2 tight, from stretch and whether the
    element lies in a loose region (bool), same shape."""
    classes = np.ones(np.shape(stretch), dtype=np.int8)
    classes[np.asarray(loose) & (np.asarray(stretch) < RELAXED_STRETCH)] = 0
    classes[np.asarray(stretch) > TIGHT_STRETCH] = 2
    return classes


def fit_map_colours(vertex_stretch: np.ndarray, vertex_loose: np.ndarray) -> np.ndarray:
    """(N, 3) uint8 sRGB fit-map colour per vertex."""
    palette = np.array([FIT_COLOURS[k] for k in ("loose", "fits", "tight")], dtype=np.uint8)
    return palette[fit_class(vertex_stretch, vertex_loose)]


def ease_map_colours(gap_m: np.ndarray) -> np.ndarray:
    """(N, 3) uint8 sRGB per vertex from its distance to the body (N,) in metres:
    red where the cloth touches, white at 3 cm, blue from 10 cm of room."""
    cm = np.clip(np.asarray(gap_m, dtype=np.float64) * 100, EASE_STOPS_CM[0], EASE_STOPS_CM[-1])
    palette = np.asarray(EASE_COLOURS, dtype=np.float64)
    return np.stack([np.interp(cm, EASE_STOPS_CM, palette[:, c]) for c in range(3)],
                    axis=1).round().astype(np.uint8)


def girth_heights(crotch_z: float, shoulder_z: float) -> dict[str, float]:
    """z (metres) of each girth in ``GIRTH_LEVELS`` on a body."""
    return {r: crotch_z + t * (shoulder_z - crotch_z) for r, t in GIRTH_LEVELS.items()}


def girths(points: np.ndarray, edges: np.ndarray, heights: dict[str, float]) -> dict[str, float]:
    """Tape girth (metres) of a mesh at named heights; 0 where it has no section.

    points: (N, 3) metres; edges: (E, 2) of the part to measure."""
    names = list(heights)
    sections = horizontal_sections(points, edges, np.array([heights[n] for n in names]))
    return {n: convex_girth(section) for n, section in zip(names, sections)}


def vertex_values(faces: np.ndarray, face_values: np.ndarray, n_vertices: int) -> np.ndarray:
    """(N,) mean of the (F,) values of the faces around each vertex."""
    total = np.bincount(faces.ravel(), np.repeat(face_values, 3), minlength=n_vertices)
    count = np.bincount(faces.ravel(), minlength=n_vertices)
    return total / np.maximum(count, 1)


@dataclass(frozen=True)
class RegionFit:
    region: str
    verdict: str  # loose, fits, tight
    mean_stretch: float
    extra_ease_cm: float | None = None  # girth ease beyond the design's (hips, waist, chest)
    hem_shift_pct: float | None = None  # length only: hem height change, % of stature
    slid_cm: float | None = None  # waist only: cm the waistband sits below (-: above) its design

    def sentence(self) -> str:
        if self.slid_cm is not None and self.verdict == "loose":
            return f"slides down {self.slid_cm:g} cm: too big at the waist"
        if self.slid_cm is not None and self.verdict == "tight":
            return f"rides up {-self.slid_cm:g} cm: too small at the hips"
        return f"{self.verdict} at {self.region}" if self.verdict != "fits" else f"fits at {self.region}"


def region_fits(
    face_stretch: np.ndarray, face_area: np.ndarray, face_region: np.ndarray,
    extra_ease: dict[str, float],
) -> list[RegionFit]:
    """Verdict per region from (F,) stretch, area (m^2), region index into
    ``REGIONS`` (-1: none) and the ease beyond the design's per girth region
    (metres); regions the garment misses are left out."""
    fits = []
    for i, region in enumerate(REGIONS):
        mask = face_region == i
        if face_area[mask].sum() < 1e-4:
            continue
        stretch = float(np.average(face_stretch[mask], weights=face_area[mask]))
        ease = extra_ease.get(region)
        loose = ease is not None and ease > LOOSE_EASE_M
        verdict = ("loose", "fits", "tight")[int(fit_class(stretch, loose))]
        fits.append(RegionFit(region, verdict, round(stretch, 4),
                              None if ease is None else round(ease * 100, 1)))
    return fits
