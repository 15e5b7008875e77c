"""A pattern sewn round a mannequin by the cloth solver, as pattern CAD sews it.

Each piece of one size is meshed flat (``garments.patterns.meshing``) with its
stitched edges cut into equal numbers of segments, wrapped round the body
part it dresses (``garments.patterns.placement``), and the stitches are drawn
together: each stitch is a length constraint whose length shrinks to zero
over SEW_STEPS steps, without gravity, the body colliding. The seams are
then welded into one mesh, and that mesh is released into the quasi-static
relaxation under gravity (``tryon.cloth.solver.settle``). Rest lengths come
from the flat pattern all along, and the rest bending is flat, so the sewn
garment's strain is measured against the pattern it was cut from.

Units: the pattern's centimetres in, metres out (tryon's frame).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from garments.body_regions import BodyGeometry
from garments.patterns.meshing import PieceMesh, mesh_piece, segments_for
from garments.patterns.notches import split_at_marks
from garments.patterns.pattern import Pattern, PatternError, Piece, Stitch
from garments.patterns.placement import Placement, anchor_along, body_tube, default_placement, tube_perimeters, wrap
from tryon.cloth.collider import BodyCollider
from tryon.cloth.fabric import FabricParams
from tryon.cloth.solver import COARSE_TIME_STEP, SOLVE_LOCK, STEPS_PER_CHECK, ClothState, settle
from tryon.cloth.topology import ClothTopology
from tryon.sewing.seams import flat_lengths, joined_pairs, rest_lengths_of, stitch_pairs, weld, weld_labels

# the mesh's edge length on the flat piece, cm: a flat triangle on a curve (a bust) sags
# inside it by L^2 / 8R; at 2 cm the base layer showed through at the bust
SPACING_CM = 1.5
SEW_STEPS = 400  # steps over which the stitches pull their edges together
HOLD_STEPS = 200  # steps more with the stitches closed, before the seams are welded
STITCH_COMPLIANCE = 1.0e-8  # m/N: a stitch is far stiffer than the cloth
RELAX_STEPS = 3000
SEAM_CLOSED_M = 0.002  # a seam is closed when no stitch is open wider
CLOSE_PASSES = 8


@dataclass(frozen=True)
class SewnPiece:
    """A piece in the sewn garment: flat (n, 2) cm, its vertices' ids (n,) in the garment's
    mesh, and its faces (f, 3) into ``flat``."""

    name: str
    flat: np.ndarray
    vertex_ids: np.ndarray
    faces: np.ndarray
    grain: np.ndarray  # (2,) unit, in the flat piece's plane


@dataclass(frozen=True)
class SewnGarment:
    """vertices (N, 3) m and faces (F, 3) of the sewn garment on its mannequin; its pieces
    (where each flat piece's points went); report: what the sewing measured."""

    vertices: np.ndarray
    faces: np.ndarray
    pieces: tuple[SewnPiece, ...]
    report: dict


def sew(pattern: Pattern, size: str | None, category: str, body: BodyGeometry, landmarks: dict,
        fabric: FabricParams, placements: dict[str, Placement] | None = None,
        stitches: tuple[Stitch, ...] | None = None, spacing_cm: float = SPACING_CM,
        progress: Callable[[float, str], None] = lambda share, message: None) -> SewnGarment:
    """Sew the pieces of ``size`` of ``pattern`` round ``body`` (an A-posed mannequin;
    ``landmarks`` its model's) in ``fabric``. ``placements`` by piece name override the
    defaults by name; ``stitches`` those of the file. PatternError, saying why, when the
    pieces cannot be placed or sewn."""
    start = time.perf_counter()
    pieces, stitches, placed = check_sewable(pattern, size, category, placements, stitches)
    meshes = _mesh(pieces, stitches, spacing_cm)
    progress(0.05, "pieces meshed")
    first, count = {}, 0
    for piece in pieces:
        first[piece.name], count = count, count + len(meshes[piece.name].points)
    flat = np.vstack([meshes[p.name].points for p in pieces])
    # each point in its piece's fabric frame (across the grain, along it), cm
    in_fabric = np.vstack([meshes[p.name].points @ grain_frame(_grain(p)) for p in pieces])
    faces = np.vstack([meshes[p.name].faces + first[p.name] for p in pieces])
    positions = _wrap_all(pieces, meshes, placed, body, landmarks, spacing_cm)
    labels, welded = weld_labels(stitch_pairs(meshes, first, stitches)[0], count)
    collider = BodyCollider.cached(body.vertices, body.faces)  # a size is sewn again, a mannequin drapes
    with SOLVE_LOCK:
        sewn, pulled_gap, gap = _pull_together(positions, faces, flat, in_fabric[faces], joined_pairs(labels),
                                               fabric, collider, progress)
        vertices, welded_faces, kept = weld(sewn, faces, labels, welded)
        progress(0.75, "seams welded; settling")
        topology = _flat_topology(welded_faces, vertices, flat_lengths(faces, flat, labels), in_fabric[faces[kept]])
        state = settle(ClothState(vertices, topology, fabric, np.zeros(welded, bool), collider), RELAX_STEPS)
        vertices = state.x.numpy().astype(np.float64)
        penetration = collider.max_penetration(state.x)
    strain = np.linalg.norm(vertices[topology.edges[:, 0]] - vertices[topology.edges[:, 1]], axis=1) \
        / topology.rest_lengths - 1.0
    progress(1.0, "sewn")
    sewn_pieces = tuple(SewnPiece(p.name, meshes[p.name].points, labels[first[p.name]:first[p.name]
                                  + len(meshes[p.name].points)], meshes[p.name].faces,
                                  _grain(p)) for p in pieces)
    report = {"size": size, "pieces": len(pieces), "stitches": len(stitches),
              "vertices": int(welded), "faces": int(len(welded_faces)),
              "seam_gap_pulled_mm": round(pulled_gap * 1000.0, 2),
              "seam_gap_mm": round(gap * 1000.0, 2), "seams_closed": bool(gap <= SEAM_CLOSED_M),
              "penetration_mm": round(penetration * 1000.0, 2),
              "stretch_p95": round(float(np.percentile(np.maximum(strain, 0.0), 95)), 4),
              "stretch_max": round(float(strain.max(initial=0.0)), 4),
              "compression_p95": round(float(np.percentile(np.maximum(-strain, 0.0), 95)), 4),
              "relax_steps": state.iterations, "at_rest": state.converged,
              "seconds": round(time.perf_counter() - start, 2)}
    return SewnGarment(vertices, welded_faces, sewn_pieces, report)


def check_sewable(pattern: Pattern, size: str | None, category: str, placements: dict[str, Placement] | None = None,
                  stitches: tuple[Stitch, ...] | None = None) -> tuple:
    """What ``sew`` checks before it meshes anything (fast): the pieces of ``size`` with a
    corner at every notch a stitch names, the stitches as edge numbers, and each piece's
    placement. PatternError (field ``sewing`` or ``placements``) saying what is wrong."""
    stitches = pattern.stitches if stitches is None else stitches
    pieces, stitches = split_at_marks(pattern.in_size(size), stitches)
    _check(pieces, stitches)
    return pieces, stitches, _placements(pieces, category, placements or {})


def _check(pieces: tuple[Piece, ...], stitches: tuple[Stitch, ...]) -> None:
    names = [p.name for p in pieces]
    if len(set(names)) != len(names):
        raise PatternError("two pieces of one size share a name: "
                           + ", ".join(sorted({n for n in names if names.count(n) > 1})))
    if not stitches:
        raise PatternError("the pattern says nothing of how its pieces are sewn: send a sewing "
                           "document with its stitches (edge pairs by piece name and edge number)", "sewing")
    edges = {p.name: len(p.corners) for p in pieces}
    used = set()
    for stitch in stitches:
        for name, edge in (stitch.a, stitch.b):
            if name not in edges:
                raise PatternError(f"a stitch names piece {name!r}, which this size does not have "
                                   f"(pieces: {', '.join(names)})", "sewing")
            if not 0 <= edge < edges[name]:
                raise PatternError(f"a stitch names edge {edge} of {name}, which has {edges[name]}", "sewing")
            if (name, edge) in used:
                raise PatternError(f"edge {edge} of {name} is stitched twice", "sewing")
            used.add((name, edge))


def _placements(pieces, category: str, given: dict[str, Placement]) -> dict[str, Placement]:
    placed = {p.name: given.get(p.name) or default_placement(p.name, category) for p in pieces}
    missing = [name for name, placement in placed.items() if placement is None]
    if missing:
        raise PatternError(f"no placement for {', '.join(missing)}: their names do not say which part "
                           "of the body they dress; send placements, e.g. "
                           '{"' + missing[0] + '": {"part": "torso", "side": 0, "anchor": "neck"}}', "placements")
    return placed


def _mesh(pieces, stitches, spacing_cm: float) -> dict[str, PieceMesh]:
    """Every piece meshed, each stitch's two edges cut into the same number of segments."""
    lengths = {(p.name, e): float(np.linalg.norm(np.diff(p.edge(e), axis=0), axis=1).sum())
               for p in pieces for e in range(len(p.corners))}
    segments = {key: segments_for(length, spacing_cm) for key, length in lengths.items()}
    for stitch in stitches:
        segments[stitch.a] = segments[stitch.b] = max(segments[stitch.a], segments[stitch.b])
    return {p.name: mesh_piece(p.name, [p.edge(e) for e in range(len(p.corners))],
                               [segments[(p.name, e)] for e in range(len(p.corners))], spacing_cm)
            for p in pieces}


def _wrap_all(pieces, meshes, placed, body: BodyGeometry, landmarks: dict, spacing_cm: float) -> np.ndarray:
    """(N, 3) m, every piece's points wrapped round its part, the pieces laid end to end."""
    tubes = {part: body_tube(body, part, landmarks) for part in {p.part for p in placed.values()}}
    tops = {p.name: anchor_along(body, tubes[placed[p.name].part], placed[p.name]) for p in pieces}
    perimeters = {part: tube_perimeters(tube, [(meshes[p.name].points, tops[p.name]) for p in pieces
                                               if placed[p.name].part == part], spacing_cm)
                  for part, tube in tubes.items()}
    return np.vstack([wrap(meshes[p.name].points, tubes[placed[p.name].part], tops[p.name],
                           placed[p.name].side, perimeters[placed[p.name].part]) for p in pieces])


def _flat_topology(faces: np.ndarray, positions: np.ndarray, flat: dict, face_grain: np.ndarray) -> ClothTopology:
    """The mesh's constraints with the flat pattern's lengths, flat rest bending and each
    edge's direction to the grain (``face_grain`` (F, 3, 2), the faces' corners in the
    fabric's frame)."""
    topology = ClothTopology.build(faces, positions, face_grain)
    return replace(topology, rest_lengths=rest_lengths_of(topology.edges, flat),
                   rest_angles=np.zeros_like(topology.rest_angles))


def _pull_together(positions, faces, flat, face_grain, pairs, fabric: FabricParams, collider: BodyCollider,
                   progress) -> tuple[np.ndarray, float, float]:
    """The pieces with their stitches drawn shut: (N, 3) m, and the widest stitch left, m,
    when the pull ends and after the closing pass."""
    cloth = _flat_topology(faces, positions, flat_lengths(faces, flat), face_grain)
    opening = np.linalg.norm(positions[pairs[:, 0]] - positions[pairs[:, 1]], axis=1)
    topology = cloth.with_edges(pairs, np.maximum(opening, 1e-4))  # areas of 1e-3 L^2: not 0/0
    # without friction: cloth drawn over the body by its seams slides rather than stays stretched
    state = ClothState(positions, topology, replace(fabric, friction=0.0), np.zeros(len(positions), bool),
                       collider, gravity=(0.0, 0.0, 0.0))
    stitches = slice(len(cloth.edges), None)
    compliance = state.stretch_compliance.numpy()
    compliance[stitches] = STITCH_COMPLIANCE
    state.stretch_compliance.assign(compliance)
    stiffness = state.stretch_stiffness.numpy()
    stiffness[stitches] = 0.0  # a stitch's pull is no tension friction should read
    state.stretch_stiffness.assign(stiffness)
    rest, limit = state.rest_lengths.numpy(), state.max_lengths.numpy()
    state.refresh_contacts(0.1)
    for step in range(0, SEW_STEPS + HOLD_STEPS, STEPS_PER_CHECK):
        share = max(0.0, 1.0 - (step + STEPS_PER_CHECK) / SEW_STEPS)
        rest[stitches] = limit[stitches] = opening * share
        state.rest_lengths.assign(rest)
        state.max_lengths.assign(limit)
        state.chunk(COARSE_TIME_STEP)
        if step % 100 == 0:
            progress(0.05 + 0.65 * step / (SEW_STEPS + HOLD_STEPS), "sewing")
    pulled = state.x.numpy().astype(np.float64)
    _close(state, pairs, collider)
    x = state.x.numpy().astype(np.float64)
    return x, _widest(pulled, pairs), _widest(x, pairs)


def _widest(x: np.ndarray, pairs: np.ndarray) -> float:
    """The widest gap, m, between vertices ``pairs`` (P, 2) join."""
    return float(np.linalg.norm(x[pairs[:, 0]] - x[pairs[:, 1]], axis=1).max(initial=0.0))


def _close(state: ClothState, pairs: np.ndarray, collider: BodyCollider) -> None:
    """The last pass of the sewing: each seam's joined vertices moved to where they meet, then
    out of the body, CLOSE_PASSES times. Where the body's contact pushed a junction a few
    millimetres apart it closes here; the cloth round it follows in the relaxation."""
    joined = np.unique(pairs)
    labels, _ = weld_labels(pairs, len(state.x))
    members = labels[joined]
    count = np.bincount(members)
    for _ in range(CLOSE_PASSES):
        x = state.x.numpy()
        meeting = np.zeros((len(count), 3))
        np.add.at(meeting, members, x[joined])
        x[joined] = (meeting / np.maximum(count, 1)[:, None])[members]
        state.x.assign(x)
        if collider.push_out(state.x, state.inv_mass, state.fabric.thickness) == 0:
            break


def _grain(piece: Piece) -> np.ndarray:
    """(2,) unit: the piece's grain line, or its y axis when the file gives none."""
    return np.array([0.0, 1.0]) if piece.grain is None else np.asarray(piece.grain, float)


def grain_frame(grain: np.ndarray) -> np.ndarray:
    """(2, 2): a piece's flat points times this are in its fabric's frame (across the grain,
    to its right so the piece is not mirrored; along it)."""
    return np.column_stack([[grain[1], -grain[0]], grain])
