"""Draping: a garment in one size, on one body, in one pose.

The garment was authored on the mannequin of its size. Each of its vertices
is bound to the nearest point of that mannequin's surface (triangle,
barycentric coordinates, offset in the triangle's frame) and placed at the
same point of the target body in the target pose: every body of one body
model shares the mannequin's topology, so the transfer is exact and skinning
comes with it. The cloth solver then relaxes the garment quasi-statically
against the body (``tryon.cloth_solver``): a size too small stays stretched,
a size too big hangs loose and folds. Results are cached on disk by a hash
of every input.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from avatars.avatar import Avatar, pose_avatar
from garments.base_outfit import BASE_OFFSET_M
from garments.body_regions import BodyGeometry, body_geometry
from garments.fabrics import fabric as fabric_preset
from garments.garment_mesh import GarmentMesh
from garments.mannequin import letter_size, mannequin
from garments.store import GarmentStore
from garments.surface_binding import bind, nearest_surface_points, place, signed_distance
from tryon.cloth_solver import FabricParams, relax
from tryon.config import data_dir
from tryon.fit import (
    REGIONS, RegionFit, face_stretch, girth_heights, girths, recommendation, region_fits,
    vertex_values,
)

DRAPE_VERSION = "1"  # bump when the solver or transfer changes results
AUTHORING_POSE = "a-pose"
# Clearance kept from the skin: the base outfit plus a little air, so the
# base layer never pokes through the garment.
_MIN_CLEARANCE_M = BASE_OFFSET_M + 0.002
_LENGTH_TOLERANCE = 0.03  # hem moved by more than 3 % of stature: short or long
# Solver steps per drape: by 600 steps a garment has settled to within a few
# millimetres of where 1500 steps take it (measured on the sample garments).
RELAX_STEPS = 600


@dataclass(frozen=True)
class Drape:
    """A draped garment.

    positions: (M, 3) float32 draped physics vertices, metres; faces: (P, 3);
    face_stretch: (P,) largest edge stretch of each face against the authored garment;
    gap: (M,) metres from the body surface (negative inside);
    loose: (M,) bool, vertices in a region that is loose (too much ease);
    render_positions: (N, 3) the render mesh (UV seams split) on the drape;
    fits: verdict per region; advice: a sentence; recommended_size;
    stats: JSON-ready numbers.
    """

    garment_id: str
    size: str
    positions: np.ndarray
    faces: np.ndarray
    face_stretch: np.ndarray
    gap: np.ndarray
    loose: np.ndarray
    render_positions: np.ndarray
    mesh: GarmentMesh
    fits: list[RegionFit]
    advice: str
    recommended_size: str | None
    stats: dict


@lru_cache(maxsize=16)
def _mannequin(fit: str, size: str) -> BodyGeometry:
    return _target(mannequin(fit, size), AUTHORING_POSE)


def _torso_edges(faces: np.ndarray, over_arm: np.ndarray) -> np.ndarray:
    """(E, 2) edges of a garment's faces, leaving out sleeves (vertices over arms)."""
    torso_faces = faces[~over_arm[faces].any(axis=1)]
    return np.unique(np.sort(torso_faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1), axis=0)


def _ease(points, faces, body: BodyGeometry, surface_face) -> dict[str, float]:
    """Garment girth minus body girth (metres) at each girth level of the body,
    for the levels the garment reaches."""
    over_arm = body.arm[body.faces[surface_face, 0]]
    heights = girth_heights(body.levels.crotch, body.levels.shoulder)
    garment = girths(points, _torso_edges(faces, over_arm), heights)
    skin = girths(body.vertices, body.torso_edges, heights)
    return {r: garment[r] - skin[r] for r in heights if garment[r] > 0}


def _designed_ease(garment, size: str, mesh: GarmentMesh) -> dict[str, float]:
    """The ease the design has on its own mannequin (a flare, a loose cut),
    which is not a fit problem. Garment ids carry a hash of their content,
    so (id, size) names it."""
    key = (garment.id, size)
    if key not in _DESIGNED_EASE:
        body = _mannequin(garment.fit, letter_size(garment.fit, size))
        rest = mesh.physics_vertices
        surface = nearest_surface_points(rest, body.vertices, body.faces)
        _DESIGNED_EASE[key] = _ease(rest, mesh.physics_faces, body, surface.face)
        while len(_DESIGNED_EASE) > _DESIGNED_EASE_KEPT:
            _DESIGNED_EASE.pop(next(iter(_DESIGNED_EASE)))
    return _DESIGNED_EASE[key]


_DESIGNED_EASE: dict[tuple[str, str], dict[str, float]] = {}
_DESIGNED_EASE_KEPT = 64


def _target(avatar: Avatar, pose: str) -> BodyGeometry:
    model, body = pose_avatar(avatar, pose)
    return body_geometry(model, body.vertices[0].numpy().astype(np.float64), body.joints[0].numpy())


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


def _cache_key(avatar: Avatar, garment_id: str, size: str, pose: str, digest: str) -> str:
    payload = json.dumps([DRAPE_VERSION, avatar.shape, avatar.sex, garment_id, size, pose, digest])
    return hashlib.sha256(payload.encode()).hexdigest()[:40]


def drape(avatar: Avatar, garment_id: str, size: str, pose: str = "a-pose",
          store: GarmentStore | None = None) -> Drape:
    """Drape one size of a stored garment on ``avatar`` posed as ``pose``."""
    store = store or GarmentStore()
    garment = store.get(garment_id)
    size = str(size).strip().upper()
    mesh = store.load_size(garment_id, size)
    target = _target(avatar, pose)
    start = time.perf_counter()
    result = _solve(garment, size, mesh, target)
    seconds = time.perf_counter() - start
    return _analyse(garment, size, mesh, target, result.positions, seconds, result.iterations,
                    result.converged)


def cached_drape(avatar: Avatar, garment_id: str, size: str, pose: str = "a-pose",
                 store: GarmentStore | None = None) -> Drape:
    """``drape``, kept on disk by a hash of every input (the garment's content
    included) and ``DRAPE_VERSION``."""
    store = store or GarmentStore()
    size = str(size).strip().upper()
    key = _cache_key(avatar, garment_id, size, pose, store.size_digest(garment_id, size))
    path = data_dir() / "cache" / "drapes" / f"{key}.npz"
    if not path.exists():
        result = drape(avatar, garment_id, size, pose, store)
        _save(path, result.positions, [result.stats["seconds"], result.stats["iterations"],
                                       result.stats["converged"]])
        return result
    with np.load(path) as saved:
        positions = saved["positions"]
    seconds, iterations, converged = json.loads(path.with_suffix(".json").read_text())
    garment = store.get(garment_id)
    return _analyse(garment, size, store.load_size(garment_id, size), _target(avatar, pose),
                    positions, seconds, iterations, converged)


def _solve(garment, size, mesh: GarmentMesh, target: BodyGeometry):
    """Transfer the authored garment onto the target body and relax it there."""
    rest = mesh.physics_vertices
    mannequin_vertices = _mannequin(garment.fit, letter_size(garment.fit, size)).vertices
    placed = place(bind(rest, mannequin_vertices, target.faces), target.vertices, target.faces)
    preset = fabric_preset(garment.fabric).quantities()
    fabric = FabricParams(**{**preset, "thickness": max(preset["thickness"], _MIN_CLEARANCE_M)})
    return relax(placed, mesh.physics_faces, rest, target.vertices, target.faces, fabric,
                 max_iterations=RELAX_STEPS)


def _penetration_mm(gap: np.ndarray) -> float:
    return round(max(0.0, -float(gap.min(initial=0.0))) * 1000, 2)


def _save(path, positions, numbers) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, positions=positions)
    path.with_suffix(".json").write_text(json.dumps(numbers))
    os.replace(partial, path)  # the npz appears last, whole: it marks the entry complete


def _analyse(garment, size, mesh, target, positions, seconds, iterations, converged) -> Drape:
    faces = mesh.physics_faces
    rest = mesh.physics_vertices
    stretch = face_stretch(rest, positions.astype(np.float64), faces)
    surface = nearest_surface_points(positions, target.vertices, target.faces)
    gap = signed_distance(positions, surface)
    area = 0.5 * np.linalg.norm(np.cross(rest[faces[:, 1]] - rest[faces[:, 0]],
                                         rest[faces[:, 2]] - rest[faces[:, 0]]), axis=1)
    # cloth between two touching skins (heavy inner thighs) cannot clear both
    pinched = target.self_contact[target.faces[surface.face]].any(axis=1)
    regions = _face_regions(target, surface.face, faces)
    designed = _designed_ease(garment, size, mesh)
    ease = _ease(positions.astype(np.float64), faces, target, surface.face)
    extra_ease = {r: ease[r] - designed[r] for r in ease if r in designed}
    fits = region_fits(stretch, area, regions, extra_ease)
    loose_regions = [REGIONS.index(f.region) for f in fits if f.verdict == "loose"]
    loose = vertex_values(faces, np.isin(regions, loose_regions).astype(float), len(positions)) > 0.5
    torso = regions >= 0
    advice, recommended = recommendation(fits, garment.sizes, size)
    mannequin_height = mannequin(garment.fit, letter_size(garment.fit, size)).height_cm / 100
    fits.append(_length_fit(rest, positions, mannequin_height, target))
    stats = {
        "seconds": round(seconds, 3),
        "iterations": int(iterations),
        "converged": bool(converged),
        "vertices": int(len(positions)),
        "max_penetration_mm": _penetration_mm(gap[~pinched]),
        "pinched_vertices": int(pinched.sum()),
        "pinched_penetration_mm": _penetration_mm(gap[pinched]),
        "torso_mean_stretch": round(float(np.average(np.maximum(stretch[torso], 0), weights=area[torso]))
                                    if torso.any() else 0.0, 4),
        "stretch_percentiles": {f"p{q}": round(float(np.percentile(stretch, q)), 4)
                                for q in (50, 90, 99)},
        "regions": {f.region: {"verdict": f.verdict, "mean_stretch": f.mean_stretch,
                               **({"extra_ease_cm": f.extra_ease_cm} if f.extra_ease_cm is not None else {}),
                               **({"hem_shift_pct": f.hem_shift_pct} if f.hem_shift_pct is not None else {})}
                    for f in fits},
        "verdict": [f.sentence() for f in fits if f.verdict != "fits"] or ["fits everywhere"],
        "advice": advice,
        "recommended_size": recommended,
    }
    return Drape(
        garment_id=garment.id, size=size, positions=positions, faces=faces, face_stretch=stretch,
        gap=gap, loose=loose, render_positions=positions[mesh.render_to_physics], mesh=mesh, fits=fits,
        advice=advice, recommended_size=recommended, stats=stats,
    )
