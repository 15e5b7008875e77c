"""How a drape fits: stretch, penetration, ease and a verdict per region.

Reads a draped garment against the body it was draped on and against the
mannequin it was designed on (``tryon.fit.strain`` has the thresholds and the
words). Units: metres unless a name says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from garments.body_regions import BodyGeometry
from garments.garment import Garment
from garments.garment_mesh import GarmentMesh
from garments.surface_binding import SurfacePoints, nearest_surface_points, signed_distance
from tryon.core.kept import KeptByContent
from tryon.fit.strain import (
    REGIONS,
    SLIDE_M,
    RegionFit,
    face_stretch,
    girth_heights,
    girths,
    region_fits,
    vertex_values,
)

_LENGTH_TOLERANCE = 0.03  # hem moved by more than 3 % of stature: short or long
WAISTBAND_CATEGORIES = ("skirt", "trousers")  # held up at the waist


@dataclass(frozen=True)
class FitReport:
    """face_stretch: (P,) largest edge stretch of each face against the
    authored garment; gap: (M,) metres from the body surface (negative
    inside); loose: (M,) bool, vertices in a region with too much ease;
    fits: verdict per region; stats: JSON-ready numbers. Which size to buy is
    decided over every size (``tryon.fit.advice``), not here."""

    face_stretch: np.ndarray
    gap: np.ndarray
    loose: np.ndarray
    fits: list[RegionFit]
    stats: dict


def _torso_edges(faces: np.ndarray, over_arm: np.ndarray) -> np.ndarray:
    """(E, 2) edges of a garment's faces, sorted, leaving out sleeves (vertices over arms)."""
    edges, of_faces = _EDGES.get([faces], lambda: _unique_edges(faces))
    torso = ~over_arm[faces].any(axis=1)
    kept = np.zeros(len(edges), bool)
    kept[of_faces[torso].ravel()] = True
    return edges[kept]


# A garment's edges, by the content of its faces: it is read on many bodies.
_EDGES = KeptByContent(32)


def _unique_edges(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """((E, 2) the mesh's edges, each (low, high), sorted; (F, 3) each face's edges' rows)."""
    halves = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    edges, row = np.unique(halves, axis=0, return_inverse=True)
    return edges, row.reshape(-1, 3)


def garment_girths(points: np.ndarray, faces: np.ndarray, body: BodyGeometry,
                   surface_face: np.ndarray | None = None,
                   heights: dict[str, float] | None = None) -> dict[str, float]:
    """Tape girth (metres) of a garment (points (M, 3), faces) worn on ``body`` at
    each girth level (hips, waist, chest; or ``heights``, name -> z), sleeves left
    out; 0 where it does not reach. ``surface_face``: each point's nearest body
    face, if known."""
    if surface_face is None:
        surface_face = nearest_surface_points(points, body.vertices, body.faces).face
    over_arm = body.arm[body.faces[surface_face, 0]]
    heights = heights or girth_heights(body.levels.crotch, body.levels.shoulder)
    return girths(points, _torso_edges(faces, over_arm), heights)


def _ease(points, faces, body: BodyGeometry, surface_face) -> dict[str, float]:
    """Garment girth minus body girth (metres) at each girth level of the body,
    for the levels the garment reaches."""
    garment = garment_girths(points, faces, body, surface_face)
    skin = girths(body.vertices, body.torso_edges, girth_heights(body.levels.crotch,
                                                                 body.levels.shoulder))
    return {r: garment[r] - skin[r] for r in garment if garment[r] > 0}


def _designed_ease(garment: Garment, size: str, mesh: GarmentMesh,
                   body: BodyGeometry) -> dict[str, float]:
    """The ease the design has on its own mannequin (a flare, a loose cut),
    which is not a fit problem. Garment ids carry a hash of their content,
    so (id, size) names it."""
    key = (garment.id, size)
    if key not in _DESIGNED_EASE:
        rest = mesh.physics_vertices
        surface = nearest_surface_points(rest, body.vertices, body.faces)
        _DESIGNED_EASE[key] = _ease(rest, mesh.physics_faces, body, surface.face)
        while len(_DESIGNED_EASE) > _DESIGNED_EASE_KEPT:
            _DESIGNED_EASE.pop(next(iter(_DESIGNED_EASE)))
    return _DESIGNED_EASE[key]


_DESIGNED_EASE: dict[tuple[str, str], dict[str, float]] = {}
_DESIGNED_EASE_KEPT = 64


def _face_regions(target: BodyGeometry, surface_face: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(P,) index into REGIONS of the body part under each garment face (-1: none)."""
    body_vertex = target.faces[surface_face[faces[:, 0]], 0]
    z = target.vertices[body_vertex, 2]
    lv = target.levels
    bust_low = lv.waist + 0.45 * (lv.shoulder - lv.waist)
    region = np.full(len(faces), -1)
    region[(z > lv.crotch) & (z < lv.waist - 0.04)] = REGIONS.index("hips")
    region[np.abs(z - lv.waist) <= 0.04] = REGIONS.index("waist")
    region[(z > bust_low) & (z < lv.shoulder - 0.04)] = REGIONS.index("chest")
    region[z >= lv.shoulder - 0.04] = REGIONS.index("shoulders")
    region[target.arm[body_vertex]] = -1  # sleeves
    return region


def _length_fit(rest: np.ndarray, draped: np.ndarray, mannequin_height: float,
                target: BodyGeometry) -> RegionFit:
    """Where the hem falls, relative to stature, against where it was designed to."""
    designed = rest[:, 2].min() / mannequin_height
    worn = draped[:, 2].min() / target.vertices[:, 2].max()
    shift = float(worn - designed)
    verdict = "short" if shift > _LENGTH_TOLERANCE else "long" if shift < -_LENGTH_TOLERANCE else "fits"
    return RegionFit("length", verdict, 0.0, hem_shift_pct=round(shift * 100, 1))


def with_slide(fits: list[RegionFit], rest: np.ndarray, draped: np.ndarray,
               mannequin_body: BodyGeometry, target: BodyGeometry) -> list[RegionFit]:
    """``fits`` with the waist judged by where the waistband sits: its top edge
    against the body's waist, compared with where it sat on its mannequin. A
    waistband that slid down leaves the waist bare, so no face says "loose"
    there: this does (``slid_cm`` > 0). One pushed up by the hips rides up:
    tight (``slid_cm`` < 0). rest, draped: (M, 3) metres."""
    designed = rest[:, 2].max() - mannequin_body.levels.waist
    worn = draped[:, 2].max() - target.levels.waist
    slid = float(designed - worn)
    waist = next((f for f in fits if f.region == "waist"), None)
    if abs(slid) <= SLIDE_M or (slid > 0 and waist is not None and waist.verdict == "tight"):
        return fits
    judged = RegionFit("waist", "loose" if slid > 0 else "tight",
                       waist.mean_stretch if waist else 0.0,
                       waist.extra_ease_cm if waist else None, slid_cm=round(slid * 100, 1))
    return [judged if f is waist else f for f in fits] + ([] if waist else [judged])


def _penetration_mm(gap: np.ndarray) -> float:
    return round(max(0.0, -float(gap.min(initial=0.0))) * 1000, 2)


def fit_report(garment: Garment, size: str, mesh: GarmentMesh, target: BodyGeometry,
               mannequin_body: BodyGeometry, positions: np.ndarray,
               surface: SurfacePoints | None = None) -> FitReport:
    """Read draped ``positions`` (M, 3) of ``mesh`` on ``target``; the garment
    was designed on ``mannequin_body``. ``surface``: the body's points nearest
    ``positions``, if known (the drape has the body's BVH at hand)."""
    faces = mesh.physics_faces
    rest = mesh.physics_vertices
    stretch = face_stretch(rest, positions.astype(np.float64), faces)
    if surface is None:
        surface = nearest_surface_points(positions, target.vertices, target.faces)
    gap = signed_distance(positions, surface)
    area = 0.5 * np.linalg.norm(np.cross(rest[faces[:, 1]] - rest[faces[:, 0]],
                                         rest[faces[:, 2]] - rest[faces[:, 0]]), axis=1)
    # cloth between two touching skins (heavy inner thighs) cannot clear both
    pinched = target.self_contact[target.faces[surface.face]].any(axis=1)
    regions = _face_regions(target, surface.face, faces)
    designed = _designed_ease(garment, size, mesh, mannequin_body)
    ease = _ease(positions.astype(np.float64), faces, target, surface.face)
    extra_ease = {r: ease[r] - designed[r] for r in ease if r in designed}
    fits = region_fits(stretch, area, regions, extra_ease)
    if garment.category in WAISTBAND_CATEGORIES:
        fits = with_slide(fits, rest, positions, mannequin_body, target)
    loose_regions = [REGIONS.index(f.region) for f in fits if f.verdict == "loose"]
    loose = vertex_values(faces, np.isin(regions, loose_regions).astype(float), len(positions)) > 0.5
    torso = regions >= 0
    mannequin_height = float(mannequin_body.vertices[:, 2].max())
    fits.append(_length_fit(rest, positions, mannequin_height, target))
    stats = {
        "max_penetration_mm": _penetration_mm(gap[~pinched]),
        "pinched_vertices": int(pinched.sum()),
        "pinched_penetration_mm": _penetration_mm(gap[pinched]),
        "torso_mean_stretch": round(float(np.average(np.maximum(stretch[torso], 0), weights=area[torso]))
                                    if torso.any() else 0.0, 4),
        "stretch_percentiles": {f"p{q}": round(float(np.percentile(stretch, q)), 4)
                                for q in (50, 90, 99)},
        "regions": {f.region: {"verdict": f.verdict, "mean_stretch": f.mean_stretch,
                               **({"extra_ease_cm": f.extra_ease_cm} if f.extra_ease_cm is not None else {}),
                               **({"hem_shift_pct": f.hem_shift_pct} if f.hem_shift_pct is not None else {}),
                               **({"slid_cm": f.slid_cm} if f.slid_cm is not None else {})}
                    for f in fits},
        "verdict": [f.sentence() for f in fits if f.verdict != "fits"] or ["fits everywhere"],
    }
    return FitReport(face_stretch=stretch, gap=gap, loose=loose, fits=fits, stats=stats)
