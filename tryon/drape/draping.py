"""Draping: a garment in one size, on one body, in one pose.

The garment was authored on a body: the mannequin of its size, or the
fitted source body it was uploaded with (``garments.source_body``). Each of
its vertices is bound to the nearest point of that body's surface (triangle,
barycentric coordinates, offset in the triangle's frame) and placed at the
same point of the target body in the target pose: every body of one body
model shares one topology, so the transfer is exact and skinning comes with
it. The cloth solver then relaxes the garment quasi-statically
against the body (``tryon.cloth.solver``): a size too small stays stretched,
a size too big hangs loose and folds. Results are cached on disk by a hash
of every input.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

import numpy as np

from avatars.avatar import Avatar, avatar_surface
from garments.body_regions import BodyGeometry, posed_geometry
from garments.garment_mesh import GarmentMesh
from garments.mannequin import mannequin_geometry
from garments.sizes import normalize_size
from garments.store import GarmentStore
from garments.surface_binding import Binding, bind, place, surface_points_at, vertex_pseudo_normals
from tryon.cloth.collider import BodyCollider
from tryon.cloth.fabric import FabricParams, solver_fabric
from tryon.cloth.solver import SOLVE_LOCK, relax
from tryon.core.files import atomic_path, atomic_write
from tryon.core.kept import KeptByContent
from tryon.drape.cache import drape_cache_dir
from tryon.fit.report import fit_report
from tryon.fit.strain import RegionFit

DRAPE_VERSION = "3"  # bump when the solver or transfer changes results (2: at rest but for stragglers; 3: a floor)
AUTHORING_POSE = "a-pose"
# Solver steps per drape: by 600 steps a garment has settled to within a few
# millimetres of where 1500 steps take it (measured on the sample garments).
RELAX_STEPS = 600


@dataclass(frozen=True)
class Drape:
    """A draped garment.

    positions: (M, 3) float32 draped physics vertices, metres; faces: (P, 3);
    face_stretch, gap, loose, fits: the fit (``tryon.fit.report.FitReport``);
    render_positions: (N, 3) the render mesh (UV seams split) on the drape;
    stats: JSON-ready numbers (solve time, iterations and the fit's).
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
    stats: dict


def authored_on(store: GarmentStore, garment, size: str) -> BodyGeometry:
    """The body a size was made on: its fitted source body (posed as it was
    found, a T-pose say), else the size's mannequin in the A-pose."""
    source = store.source_body(garment.id, size)
    if source is not None:
        return source.geometry()
    return mannequin_geometry(garment.fit, size)


def _target(avatar: Avatar, pose: str) -> BodyGeometry:
    """The posed body and its regions, kept for the bodies draped on most
    recently (a shopper tries several sizes and garments on one body)."""
    return posed_geometry(avatar.sex, avatar.shape, pose, avatar.appearance)


def _cache_key(avatar: Avatar, garment_id: str, size: str, pose: str, digest: str) -> str:
    payload = json.dumps([DRAPE_VERSION, avatar.shape, avatar.sex, garment_id, size, pose, digest,
                          *avatar_surface(avatar)])
    return hashlib.sha256(payload.encode()).hexdigest()[:40]


def drape(avatar: Avatar, garment_id: str, size: str, pose: str = "a-pose", *,
          store: GarmentStore) -> Drape:
    """Drape one size of a garment of ``store`` on ``avatar`` posed as ``pose``."""
    garment = store.get(garment_id)
    size = normalize_size(size)
    mesh = store.load_size(garment_id, size)
    target = _target(avatar, pose)
    start = time.perf_counter()
    authored = authored_on(store, garment, size)
    result = _solve(garment, mesh, authored, target)
    seconds = time.perf_counter() - start
    return _analyse(garment, size, mesh, authored, target, result.positions, seconds,
                    result.iterations, result.converged)


def cached_drape(avatar: Avatar, garment_id: str, size: str, pose: str = "a-pose", *,
                 store: GarmentStore) -> Drape:
    """``drape``, kept on disk by a hash of every input (the garment's content
    included) and ``DRAPE_VERSION``."""
    size = normalize_size(size)
    key = _cache_key(avatar, garment_id, size, pose, store.size_digest(garment_id, size))
    path = drape_cache_dir(avatar.id) / f"{key}.npz"
    if not path.exists():
        result = drape(avatar, garment_id, size, pose, store=store)
        _save(path, result.positions, [result.stats["seconds"], result.stats["iterations"],
                                       result.stats["converged"]])
        return result
    with np.load(path) as saved:
        positions = saved["positions"]
    seconds, iterations, converged = json.loads(path.with_suffix(".json").read_text())
    garment = store.get(garment_id)
    return _analyse(garment, size, store.load_size(garment_id, size),
                    authored_on(store, garment, size), _target(avatar, pose),
                    positions, seconds, iterations, converged)


def _solve(garment, mesh: GarmentMesh, authored: BodyGeometry, target: BodyGeometry):
    """Transfer the garment from the body it was made on onto the target body
    (one body model, one topology: the binding is exact) and relax it there."""
    rest = mesh.physics_vertices
    placed = place(_bound(rest, authored), target.vertices, target.faces)
    return relax(placed, mesh.physics_faces, rest, target.vertices, target.faces,
                 garment_fabric(garment), max_iterations=RELAX_STEPS, face_uvs=face_grain(garment, mesh))


# Bindings of garments to the bodies they were made on, by content: a garment
# goes onto many bodies, and its closest points were a tenth of a warm drape.
_BINDINGS = KeptByContent(32)  # about 0.3 MB each for a 5k-vertex garment
_PSEUDO_NORMALS = KeptByContent(8)  # of the bodies draped on most recently


def _bound(rest: np.ndarray, authored: BodyGeometry) -> Binding:
    """``bind(rest, authored)``, kept for the garments bound most recently."""
    return _BINDINGS.get([rest, authored.vertices, authored.faces],
                         lambda: bind(rest, authored.vertices, authored.faces))


def face_grain(garment, mesh: GarmentMesh):
    """(P, 3, 2) the fabric's frame at each physics face's corners for a garment sewn from a
    pattern (its UVs: u across the grain, v along it), else None: the grain of an uploaded
    mesh is not known, whatever its UVs."""
    return mesh.physics_face_uvs() if garment.pattern is not None else None


def garment_fabric(garment) -> FabricParams:
    """The solver's fabric of a garment (``tryon.cloth.fabric``)."""
    return solver_fabric(garment.fabric)


def _save(path, positions, numbers) -> None:
    atomic_write(path.with_suffix(".json"), json.dumps(numbers))
    with atomic_path(path) as partial, open(partial, "wb") as f:
        np.savez(f, positions=positions)  # the npz appears last, whole: it marks the entry complete


def _analyse(garment, size, mesh, authored, target, positions, seconds, iterations,
             converged) -> Drape:
    # the body's BVH finds the nearest points exactly, ten times faster than numpy; Warp
    # launches take the solver's turn (a launch during another thread's capture joins it)
    with SOLVE_LOCK:
        face, bary = BodyCollider.cached(target.vertices, target.faces).nearest(positions)
    normals = _PSEUDO_NORMALS.get([target.vertices, target.faces],
                                  lambda: vertex_pseudo_normals(target.vertices, target.faces))
    surface = surface_points_at(face, bary, target.vertices, target.faces, normals)
    report = fit_report(garment, size, mesh, target, authored, positions, surface)
    stats = {"seconds": round(seconds, 3), "iterations": int(iterations),
             "converged": bool(converged), "vertices": int(len(positions)), **report.stats}
    return Drape(
        garment_id=garment.id, size=size, positions=positions, faces=mesh.physics_faces,
        face_stretch=report.face_stretch, gap=report.gap, loose=report.loose,
        render_positions=positions[mesh.render_to_physics], mesh=mesh, fits=report.fits,
        stats=stats,
    )
