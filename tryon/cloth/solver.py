"""Quasi-static cloth relaxation: a transferred garment settles on a body.

A garment transferred from the mannequin it was authored on to a target body
has edges longer than authored where the target is bigger and shorter where
it is smaller. ``relax`` lets it settle until at rest: rest lengths and rest
bending come from the authored garment, gravity pulls it down, the body
pushes it out and holds it by friction. A garment too small for the body
stays stretched (that stretch is the fit map, computed elsewhere); one too
big falls and folds; no vertex ends inside the body.

The solver is XPBD in Warp kernels (``tryon.cloth.kernels``; DESIGN.md,
decision 4, says why): edge stretch constraints in graph-coloured
Gauss-Seidel sweeps, dihedral bending by averaged Jacobi, strain limiting,
and collision with friction against tangent planes of the body that a BVH
query refreshes every few steps, and a floor at z = 0 where the body stands. It does not simulate a fall: velocities are
damped hard, and it stops once no vertex moves more than a tolerance in a
step, but for a few creeping stragglers. Coarse time steps let the garment
fall and fold, fine ones settle it: under gravity XPBD leaves a stretch that
grows with the step squared. Large
garments are solved on a simplified proxy and carried back to the full mesh.

Units: metres, kilograms, seconds; Z-up, gravity along -Z.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np

from garments.surface_binding import bind, place
from tryon.cloth import kernels
from tryon.cloth.collider import CONTACT_REACH, BodyCollider
from tryon.cloth.fabric import FabricParams, grain_scale
from tryon.cloth.kernels import wp
from tryon.cloth.proxy import carry_back, simplify_proxy
from tryon.cloth.topology import ClothTopology
from tryon.core.kept import KeptByContent

# Relaxation runs under a fifth of g with bending five times softer: the
# rest shape depends on the bending length (B / weight)^(1/3) and on the
# friction-to-load ratio, which the scaling keeps, while XPBD's spurious
# stretch under load (measured: 5-20 % on a hanging skirt at full g, ~1 % at
# g/5) and the time to settle both shrink.
GRAVITY_SCALE = 0.2
GRAVITY = (0.0, 0.0, -9.81 * GRAVITY_SCALE)  # m/s^2
COARSE_TIME_STEP = 1.0 / 400.0  # s of pseudo-time per step while the garment falls and folds
TIME_STEP = 1.0 / 1000.0  # s per step to settle
SETTLING = 3.0  # fine steps start once the coarse ones move less than this many tolerances (at the fine step)
COARSE_SHARE = 0.6  # of max_iterations at most in coarse steps
POLISH_STEPS = 40  # fine steps on the full mesh after a proxy solve
CONSTRAINT_ITERATIONS = 2  # stretch sweeps per step; float32 XPBD needs at least 2 (DESIGN.md)
BEND_EVERY = 2  # steps per bending solve: the soft bending needs fewer, and costs most
DAMPING_TIME = 0.05  # s: velocities decay by e every DAMPING_TIME, so the garment settles rather than swings
STEPS_PER_CHECK = 10  # steps between contact refreshes and convergence checks
# No verdict of "at rest" before falling cloth reaches its damped speed
# (about 3 DAMPING_TIME): from rest, the first steps move less than any tolerance.
MIN_STEPS = 100
TOLERANCE = 5.0e-5  # m per fine step (5 cm/s): a vertex moving slower is at rest
# At rest also when, over two checks running, no more than this share of the
# vertices still moved more than the tolerance and none more than
# STRAGGLER_TOLERANCES of it: a vertex pinched in a fold or sliding at a contact
# can creep at 1.1-1.2 tolerances for hundreds of steps while the rest is
# still. (Cloth still falling moves at its damped speed, about 2 tolerances
# under GRAVITY_SCALE and DAMPING_TIME; a falling hem is far more than 0.5 %.)
STRAGGLERS = 0.005
STRAGGLER_TOLERANCES = 4.0
MAX_STEP = 2.0e-3  # m a vertex may move in one step, so contacts stay valid
PUSH_OUT_PASSES = 8  # exact collision passes that end a solve, at most


@dataclass
class RelaxResult:
    """positions: (N, 3) float32, metres. iterations: steps taken.
    seconds: wall time of the solve. max_penetration_m: how deep the
    deepest vertex lies inside the body (0 when none does). converged: no
    vertex moved more than the tolerance in a step, or, over two checks
    running, all but STRAGGLERS of them did not and none moved more than
    STRAGGLER_TOLERANCES times it."""

    positions: np.ndarray
    iterations: int
    seconds: float
    max_penetration_m: float
    converged: bool


class ClothState:
    """Warp arrays of one garment being relaxed, and the step that advances them.

    gravity_scale: the share of g the garment hangs under; bending is
    softened by the same factor (see GRAVITY_SCALE); gravity: the
    acceleration its steps apply, m/s^2 (none while pieces are sewn). The dynamics
    (``tryon.cloth.dynamics``) use these arrays at full g. tolerance: metres
    a vertex may move in a fine step and count as at rest.
    """

    def __init__(self, positions, topology: ClothTopology, fabric: FabricParams, pinned, collider: BodyCollider,
                 gravity_scale: float = GRAVITY_SCALE, tolerance: float = TOLERANCE,
                 gravity: tuple[float, float, float] = GRAVITY):
        self.device = device = collider.device
        self.gravity = wp.vec3(*gravity)
        self.tolerance = tolerance  # m per fine step: the vertices that move more are counted
        self.collider = collider
        self.fabric = fabric
        t = topology

        mass = fabric.density * np.maximum(t.vertex_areas, 1e-3 * max(float(t.vertex_areas.mean()), 1e-12))
        inv_mass = np.where(pinned, 0.0, 1.0 / mass)
        # XPBD compliance of each constraint: an edge is a spring of stiffness
        # Y * A_e / L^2 (N/m), a hinge one of B * 3 |e|^2 / (A1 + A2) (N m)
        edge_areas = np.maximum(t.edge_areas, 1e-3 * t.rest_lengths**2)
        stretch_compliance = fabric.stretch_compliance * t.rest_lengths**2 / edge_areas * grain_scale(t, fabric)
        bend_compliance = fabric.bend_compliance / gravity_scale / np.maximum(t.hinge_stiffness_scale, 1e-12)
        bend_count = np.bincount(t.hinges.ravel(), minlength=len(positions))

        def floats(values, dtype=float):
            return wp.array(np.asarray(values, dtype=np.float32), dtype=dtype, device=device)

        def ints(values, dtype=wp.int32):
            return wp.array(np.asarray(values, dtype=np.int32), dtype=dtype, device=device)

        self.x = floats(positions, wp.vec3)
        self.x_prev = wp.zeros_like(self.x)
        self.v = wp.zeros_like(self.x)
        self.inv_mass = floats(inv_mass)
        self.edges = ints(t.edges, wp.vec2i)
        # edges by colour group, and the launches of one Gauss-Seidel sweep over them
        self.edge_order = ints(np.concatenate([*t.edge_groups, np.zeros(0, np.int32)]))
        self.sweeps = _sweeps([len(group) for group in t.edge_groups], device)
        self.hinges_per_thread = 1 if wp.get_device(device).is_cuda else max(len(t.hinges), 1)
        self.rest_lengths = floats(t.rest_lengths)
        self.max_lengths = floats(t.rest_lengths * (1.0 + fabric.max_strain))
        self.stretch_compliance = floats(stretch_compliance)
        self.stretch_stiffness = floats(1.0 / stretch_compliance)
        self.stretch_lambda = wp.zeros(len(t.edges), dtype=float, device=device)
        self.force = wp.zeros_like(self.x)
        self.hinges = ints(t.hinges, wp.vec4i)
        self.rest_angles = floats(t.rest_angles)
        self.bend_compliance = floats(bend_compliance)
        self.bend_delta = wp.zeros_like(self.x)
        self.bend_weight = floats(1.0 / np.maximum(bend_count, 1))
        self.contact_point = wp.zeros_like(self.x)
        self.contact_normal = wp.zeros_like(self.x)
        self.residual = wp.zeros(2, dtype=float, device=device)  # largest step, count over tolerance
        # vertices move at most STEPS_PER_CHECK * MAX_STEP between refreshes
        self.contact_radius = STEPS_PER_CHECK * MAX_STEP + fabric.thickness + 0.01
        self._graphs = {}
        self.iterations = 0
        self.converged = False

    def refresh_contacts(self, radius: float) -> None:
        """The body's tangent plane under each vertex within ``radius`` metres."""
        wp.launch(kernels.refresh_contacts, dim=len(self.x), device=self.device,
                  inputs=[self.collider.mesh.id, self.x, radius, self.contact_point, self.contact_normal])

    def solve_constraints(self, dt: float, bend_dt: float | None) -> None:
        """One step's bending (when ``bend_dt``, the seconds since the last bending
        solve, is given) and stretch sweeps, on positions already predicted."""
        n, d = len(self.x), self.device
        if bend_dt is not None and len(self.hinges):
            wp.launch(kernels.solve_bend, dim=-(-len(self.hinges) // self.hinges_per_thread), device=d,
                      inputs=[self.x, self.hinges, self.rest_angles, self.bend_compliance, self.inv_mass,
                              1.0 / (bend_dt * bend_dt), self.bend_delta, self.hinges_per_thread])
            wp.launch(kernels.apply_deltas, dim=n, device=d, inputs=[self.x, self.bend_delta, self.bend_weight])
        self.stretch_lambda.zero_()
        for _ in range(CONSTRAINT_ITERATIONS):
            for sweep, dim in self.sweeps:
                wp.launch(kernels.solve_stretch, dim=dim, device=d,
                          inputs=[self.x, self.edges, self.edge_order, sweep, self.rest_lengths,
                                  self.stretch_compliance, self.inv_mass, 1.0 / (dt * dt), self.stretch_lambda])

    def limit_strain(self) -> None:
        """No edge longer than its ``max_lengths`` (pinned vertices stay)."""
        for sweep, dim in self.sweeps:
            wp.launch(kernels.limit_strain, dim=dim, device=self.device,
                      inputs=[self.x, self.edges, self.edge_order, sweep, self.max_lengths, self.inv_mass])

    def _step(self, dt: float, bend: bool) -> None:
        n, d = len(self.x), self.device
        wp.launch(kernels.predict, dim=n, device=d, inputs=[self.x, self.v, self.inv_mass, self.gravity, dt,
                                                            self.x_prev])
        self.solve_constraints(dt, dt * BEND_EVERY if bend else None)
        wp.launch(kernels.collide_with_friction, dim=n, device=d,
                  inputs=[self.x, self.x_prev, self.inv_mass, self.force, self.contact_point, self.contact_normal,
                          self.fabric.thickness, self.fabric.friction, MAX_STEP, dt])
        self.limit_strain()  # after friction, which would otherwise hold an edge overstretched
        wp.launch(kernels.finish_step, dim=n, device=d,
                  inputs=[self.x, self.x_prev, self.inv_mass, self.contact_point, self.contact_normal,
                          self.fabric.thickness, dt, math.exp(-dt / DAMPING_TIME), self.tolerance * dt / TIME_STEP,
                          self.v, self.residual])

    def _chunk(self, dt: float) -> None:
        # friction reads the tension of the chunk's start: it changes slowly
        self.refresh_contacts(self.contact_radius)
        self.force.zero_()
        wp.launch(kernels.accumulate_tension, dim=len(self.edges), device=self.device,
                  inputs=[self.x, self.edges, self.rest_lengths, self.stretch_stiffness, self.force])
        self.residual.zero_()
        for k in range(STEPS_PER_CHECK):
            self._step(dt, bend=k % BEND_EVERY == 0)

    def chunk(self, dt: float) -> tuple[float, float]:
        """Advance STEPS_PER_CHECK steps of ``dt`` seconds; (the largest displacement of a
        step, metres; the share of vertices that moved more than the tolerance, over the
        steps, the tolerance scaled by ``dt``).

        The launches are captured once per time step as a graph and replayed
        (a CUDA graph on a GPU, Warp's own replay on the CPU).
        """
        if dt not in self._graphs:
            with wp.ScopedCapture(device=self.device) as capture:
                self._chunk(dt)
            self._graphs[dt] = capture.graph
        wp.capture_launch(self._graphs[dt])
        largest, over = self.residual.numpy()
        return float(largest), float(over) / (len(self.x) * STEPS_PER_CHECK)


def _sweeps(group_sizes, device) -> list[tuple[wp.vec3i, int]]:
    """Launches of a Gauss-Seidel sweep over edges ordered by colour group: (sweep, dim) each.

    On a GPU, one launch per group of edges that share no vertex, one edge
    per thread. On the CPU Warp runs a launch as one serial loop anyway, so
    one thread walks every group in order: the same arithmetic in the same
    order, without a launch per group (their overhead was as large as the work).
    """
    sizes = [int(size) for size in group_sizes if size]
    if not wp.get_device(device).is_cuda:
        return [(wp.vec3i(0, sum(sizes), sum(sizes)), 1)] if sizes else []
    starts = np.cumsum([0, *sizes[:-1]])
    return [(wp.vec3i(int(start), size, 1), size) for start, size in zip(starts, sizes)]


def relax(
    positions: np.ndarray,
    faces: np.ndarray,
    rest_positions: np.ndarray,
    body_vertices: np.ndarray,
    body_faces: np.ndarray,
    fabric: FabricParams = FabricParams(),
    pinned: np.ndarray | None = None,
    max_iterations: int = 1000,
    tolerance: float = TOLERANCE,
    *,
    collider: BodyCollider | None = None,
    proxy_vertices: int | None = 5000,
    face_uvs: np.ndarray | None = None,
) -> RelaxResult:
    """Relax a garment on a body until it is at rest.

    positions: (N, 3) metres, the garment transferred onto the body.
    faces: (F, 3) vertex indices, counter-clockwise seen from outside.
    rest_positions: (N, 3) metres, the authored garment: rest lengths and
        rest bending angles come from it.
    body_vertices: (V, 3) metres and body_faces: (Fb, 3), a closed body mesh;
        its collider is cached, or pass ``collider`` to reuse one directly.
    pinned: optional (N,) bool, vertices that stay where they are.
    max_iterations: steps at most; tolerance: metres, it stops once no vertex
        moves more than this in a step (or all but a few stragglers, see
        ``RelaxResult.converged``). Both are checked every STEPS_PER_CHECK steps.
    proxy_vertices: a garment with more than 1.25 times this many vertices is
        solved on a proxy simplified to about this many and carried back;
        None solves the full mesh.
    face_uvs: optional (F, 3, 2), each face's corners in the fabric's frame (a
        sewn garment's pattern UVs: u across the grain, v along it): the stretch
        stiffness then follows the grain (``FabricParams.weft_ratio``); a proxy,
        which has no UVs, is solved isotropic.

    Safe to call from several threads: solves take turns.
    """
    with SOLVE_LOCK:
        return _relax(positions, faces, rest_positions, body_vertices, body_faces, fabric, pinned,
                      max_iterations, tolerance, collider, proxy_vertices, face_uvs)


# Solves from several threads (a server's request or job threads) take turns:
# Warp's graph capture is global to a device, so a launch from another thread
# during a capture would be recorded into it; on the CPU, Warp runs kernels on
# one thread anyway.
SOLVE_LOCK = threading.Lock()
# A garment's topology (edges, hinges, colouring), by the content of its faces and rest
# shape: a garment is draped on many bodies.
_TOPOLOGIES = KeptByContent(16)


def _relax(positions, faces, rest_positions, body_vertices, body_faces, fabric, pinned,
           max_iterations, tolerance, collider, proxy_vertices, face_uvs) -> RelaxResult:
    start = time.perf_counter()
    positions = np.asarray(positions, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    pinned = np.zeros(len(positions), bool) if pinned is None else np.asarray(pinned, bool)
    collider = collider or BodyCollider.cached(body_vertices, body_faces)

    steps, converged = 0, None
    if proxy_vertices is not None and len(positions) > 1.25 * proxy_vertices:
        proxy_x, proxy_faces = simplify_proxy(positions, faces, proxy_vertices)
        on_full = bind(proxy_x, positions, faces)
        proxy_pinned = np.einsum("pk,pk->p", on_full.bary, pinned[faces[on_full.face]]) > 0.5
        proxy = _settle(proxy_x, proxy_faces, place(on_full, rest_positions, faces), fabric,
                        proxy_pinned, collider, max_iterations, tolerance)
        positions = np.where(pinned[:, None], positions,
                             carry_back(positions, proxy_x, proxy_faces, proxy.x.numpy()))
        steps, converged = proxy.iterations, proxy.converged
        # the full mesh follows the proxy's large, often sliver triangles
        # affinely: a few fine steps on it limit the strain that leaves
        # inside them and push out what dips into the body between them
        max_iterations, coarse = POLISH_STEPS, False
    else:
        coarse = True
    state = _settle(positions, faces, rest_positions, fabric, pinned, collider, max_iterations, tolerance, coarse,
                    face_uvs)
    return RelaxResult(
        positions=state.x.numpy().astype(np.float32),
        iterations=steps + state.iterations,
        seconds=time.perf_counter() - start,
        max_penetration_m=collider.max_penetration(state.x),
        converged=state.converged if converged is None else converged,
    )


def _settle(positions, faces, rest_positions, fabric, pinned, collider, max_iterations, tolerance,
            coarse: bool = True, face_uvs: np.ndarray | None = None) -> ClothState:
    """Step a garment until it is at rest (``RelaxResult.converged``), or ``max_iterations`` steps."""
    keyed = [faces, rest_positions] + ([] if face_uvs is None else [np.asarray(face_uvs)])
    topology = _TOPOLOGIES.get(keyed, lambda: ClothTopology.build(faces, rest_positions, face_uvs))
    state = ClothState(positions, topology, fabric, pinned, collider, tolerance=tolerance)
    return settle(state, max_iterations, tolerance, coarse)


def settle(state: ClothState, max_iterations: int, tolerance: float = TOLERANCE, coarse: bool = True) -> ClothState:
    """Step ``state`` until it is at rest (``RelaxResult.converged``) or ``max_iterations``
    steps, coarse steps first when ``coarse``, then push it out of the body exactly. The
    caller holds SOLVE_LOCK."""
    collider, fabric = state.collider, state.fabric
    # the first search reaches far, for vertices that start deep inside the body
    state.refresh_contacts(CONTACT_REACH)
    # coarse steps while the garment falls and folds; fine ones to settle, as
    # the stretch that XPBD leaves under gravity shrinks with the step squared
    dt = COARSE_TIME_STEP if coarse else TIME_STEP
    creeping = 0  # checks in a row with only stragglers moving
    while state.iterations < max_iterations:
        moved, moving = state.chunk(dt)
        state.iterations += STEPS_PER_CHECK
        stragglers_only = moving < STRAGGLERS and moved < STRAGGLER_TOLERANCES * tolerance
        creeping = creeping + 1 if dt == TIME_STEP and stragglers_only else 0
        if state.iterations < MIN_STEPS:
            continue
        if dt == TIME_STEP and (moved < tolerance or creeping >= 2):
            state.converged = True
            break
        if dt == COARSE_TIME_STEP and (moved * TIME_STEP / dt < SETTLING * tolerance
                                       or state.iterations >= COARSE_SHARE * max_iterations):
            dt = TIME_STEP
    # In a crease, leaving one face can mean entering its neighbour: repeat.
    for _ in range(PUSH_OUT_PASSES):
        if collider.push_out(state.x, state.inv_mass, fabric.thickness) == 0:
            break  # all clear: another pass would move nothing
    return state
