"""How a draped garment fits: stretch per face, a fit map, and a verdict per
body region that a shopper can read.

Stretch is measured against the garment as authored (on its mannequin):
for each triangle, the largest stretch of its three edges (0.05 = an edge
5 % longer than in the pattern). Edges, not the deformation gradient: cloth
that buckles into folds shears its triangles, which a principal stretch
would report as tension. Thresholds:

- tight: stretch above ``TIGHT_STRETCH`` (3 %);
- loose: no stretch (below 1 %) and more than ``LOOSE_ROOM_M`` (2.5 cm)
  more room between garment and body than the design has on its mannequin
  (a flared hem stands off the legs by design: that is not loose);
- fits: everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TIGHT_STRETCH = 0.03
RELAXED_STRETCH = 0.01
LOOSE_ROOM_M = 0.025
VERY_TIGHT_STRETCH = 0.08  # two sizes up
REGIONS = ("shoulders", "chest", "waist", "hips")
# Fit-map colours, sRGB 0-255.
FIT_COLOURS = {"loose": (66, 133, 244), "fits": (52, 168, 83), "tight": (234, 67, 53)}


def face_stretch(rest: np.ndarray, deformed: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F,) largest relative stretch of each triangle's edges (negative when
    all are shorter than authored). rest, deformed: (N, 3) metres; faces (F, 3)."""
    stretch = []
    for a, b in ((0, 1), (1, 2), (2, 0)):
        rest_length = np.linalg.norm(rest[faces[:, a]] - rest[faces[:, b]], axis=1)
        length = np.linalg.norm(deformed[faces[:, a]] - deformed[faces[:, b]], axis=1)
        stretch.append(length / np.maximum(rest_length, 1e-12) - 1.0)
    return np.max(stretch, axis=0)


def fit_class(stretch: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Per element: 0 loose, 1 fits, 2 tight. stretch and extra room (metres
    of gap beyond the designed one), same shape."""
    classes = np.ones(stretch.shape, dtype=np.int8)
    classes[(stretch < RELAXED_STRETCH) & (room > LOOSE_ROOM_M)] = 0
    classes[stretch > TIGHT_STRETCH] = 2
    return classes


def fit_map_colours(vertex_stretch: np.ndarray, room: np.ndarray) -> np.ndarray:
    """(N, 3) uint8 sRGB fit-map colour per vertex from stretch and extra room (m)."""
    palette = np.array([FIT_COLOURS[k] for k in ("loose", "fits", "tight")], dtype=np.uint8)
    return palette[fit_class(vertex_stretch, room)]


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
    extra_room_cm: float  # mean gap to the body beyond the designed one
    hem_shift_pct: float | None = None  # length only: hem height change, % of stature

    def sentence(self) -> str:
        return f"{self.verdict} at {self.region}" if self.verdict != "fits" else f"fits at {self.region}"


def region_fits(
    face_stretch: np.ndarray, face_room: np.ndarray, face_area: np.ndarray, face_region: np.ndarray
) -> list[RegionFit]:
    """Verdict per region from (F,) stretch, extra room (m), area (m^2) and region
    index into ``REGIONS`` (-1: none); regions the garment misses are left out."""
    fits = []
    for i, region in enumerate(REGIONS):
        mask = face_region == i
        if face_area[mask].sum() < 1e-4:
            continue
        weights = face_area[mask]
        stretch = float(np.average(face_stretch[mask], weights=weights))
        room = float(np.average(face_room[mask], weights=weights))
        verdict = ("loose", "fits", "tight")[int(fit_class(np.array(stretch), np.array(room)))]
        fits.append(RegionFit(region, verdict, round(stretch, 4), round(room * 100, 1)))
    return fits


def recommendation(fits: list[RegionFit], sizes: list[str], size: str) -> tuple[str, str | None]:
    """(sentence, recommended size) from region verdicts on ``size``, given the
    garment's sizes from smallest to largest."""
    index = sizes.index(size)
    tight = [f for f in fits if f.verdict == "tight"]
    if tight:
        steps = 2 if any(f.mean_stretch > VERY_TIGHT_STRETCH for f in tight) else 1
        target = min(index + steps, len(sizes) - 1)
        if target == index:
            return "tight even in the largest size", None
        return f"{target - index} size{'s' if target - index > 1 else ''} up recommended", sizes[target]
    if fits and all(f.verdict == "loose" for f in fits) and index > 0:
        return "1 size down recommended", sizes[index - 1]
    return "this size fits", size
