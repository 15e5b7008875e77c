"""Cloth that moves: a draped garment simulated forward in time on a moving body.

``simulate_motion`` starts from the static drape (``tryon.cloth.solver``,
on the clip's first frame, the A-pose) and steps the garment through the
body's frames with inertia, full gravity, air drag, and collision with
friction against the moving skin, so a skirt swings and a hem lags behind
the legs. It is not a static drape per frame.

Where the drape lies on the skin (shoulders, a waistband, a tight bodice)
the cloth is anchored to the skin and moves with it: under its own tension
it sticks there, and position-based friction alone lets a strapless dress
slide off at full g in a fraction of a second (measured). Everything else
(a skirt, a hem, loose sleeves) moves freely. The same XPBD constraints as
the relaxation (stretch in coloured
Gauss-Seidel sweeps, bending, strain limiting; ``tryon.cloth.kernels``) run
in substeps of a frame; between two frames the body moves linearly and its
BVH is refitted every substep (``tryon.cloth.motion_kernels``). Before the
first frame the garment settles on the still body until at rest (``_settle``): the
static drape came to rest under a fifth of g and now hangs under all of it.
Large garments move on their proxy, and the full mesh follows it
(``tryon.cloth.proxy``). Metres, seconds, Z-up.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from garments.surface_binding import bind, place
from tryon.cloth import kernels, motion_kernels
from tryon.cloth.collider import BodyCollider
from tryon.cloth.kernels import wp
from tryon.cloth.proxy import simplify_proxy
from tryon.cloth.self_contact import self_contact_faces
from tryon.cloth.fabric import FabricParams
from tryon.cloth.solver import SOLVE_LOCK, ClothState
from tryon.cloth.topology import ClothTopology

GRAVITY = (0.0, 0.0, -9.81)  # m/s^2
SUBSTEP_RATE = 480.0  # substeps per second of motion, at least
DAMPING_TIME_S = 0.4  # s: air drag takes a velocity down by e in this time
# Before the clip the garment settles on the still first frame: the static
# drape came to rest under a fifth of g and must come to rest under all of
# it. It settles in the clip's substeps (under gravity XPBD's rest state
# depends on the step) for at least PRE_ROLL_MIN_S, then until 99 % of it
# moves slower than AT_REST_M_PER_S, or PRE_ROLL_MAX_S. Measured on the
# A-line skirt in a still clip: after 0.4 s of settling it moved 17 mm a
# frame; after 2 s a fold still slipped by 5.6 mm a frame 0.8 s into the
# clip (on an AMD EPYC; 1.4 mm on a Xeon); after 4 s, 0.2 mm.
PRE_ROLL_MIN_S = 2.0
PRE_ROLL_MAX_S = 5.0
PRE_ROLL_WINDOW_S = 0.1  # s between checks of the garment's speed
AT_REST_M_PER_S = 0.005
AT_REST_PERCENTILE = 99.0
PRE_ROLL_DAMPING_TIME_S = 0.3
MAX_STEP_M = 0.02  # m a vertex may move in a substep: a cap against blow-ups, never reached by cloth that follows
CONTACT_RADIUS_M = 0.05  # m around each vertex in which the skin is looked for each substep
BEND_EVERY = 2  # substeps per bending solve
# Exact collision passes on each frame's full mesh. One left a zip jacket's
# side 5 mm inside a turning torso under the arm; three cleared it (measured).
FRAME_PUSH_OUT_PASSES = 3
# Substeps per BVH query of the skin under the cloth; in between, the
# tangent planes move with the skin. The queries cost most: a 4 s walk of
# the midi dress took 24 s querying every substep, 11 s every fourth, with
# the same deepest penetration (0.8 mm; measured).
CONTACTS_EVERY = 4
# Cloth within this much of its clearance from the skin in the drape is held
# where it lies on the skin (static friction under the garment's own
# tension, which the tight parts have; the rest moves freely).
ANCHOR_GAP_M = 0.003
# No edge ends a substep longer than in the drape (or at rest), plus this
# strain. Fabric barely stretches under its own weight; XPBD with a few
# iterations per substep does, under full g, by 5-20 % (DESIGN.md, decision
# 4), which made a standing skirt creep down for seconds (measured).
MOTION_STRAIN = 0.01


@dataclass(frozen=True)
class MotionResult:
    """frames: (T, N, 3) float32 garment positions per frame, metres.
    penetration_m: (T,) how deep the deepest vertex lies inside the body in
    each frame, outside the body's self-contact zones
    (``tryon.cloth.self_contact``); penetration_anywhere_m: (T,) the same
    inside them too. seconds: wall time; substeps: substeps taken;
    pre_roll_s: seconds the garment settled before the first frame."""

    frames: np.ndarray
    penetration_m: np.ndarray
    penetration_anywhere_m: np.ndarray
    seconds: float
    substeps: int
    pre_roll_s: float


class _MovingCloth:
    """The garment's Warp state, the moving body, and one substep."""

    def __init__(self, positions, faces, rest_positions, body: BodyCollider, fabric: FabricParams,
                 anchored: np.ndarray, face_uvs: np.ndarray | None = None):
        self.body = body
        self.fabric = fabric
        topology = ClothTopology.build(faces, rest_positions, face_uvs)
        self.cloth = ClothState(positions, topology, fabric, anchored, body, gravity_scale=1.0)
        draped = np.linalg.norm(positions[topology.edges[:, 0]] - positions[topology.edges[:, 1]], axis=1)
        self.cloth.max_lengths.assign(
            (np.maximum(draped, topology.rest_lengths) * (1.0 + MOTION_STRAIN)).astype(np.float32))
        self.anchor_index = wp.array(np.flatnonzero(anchored).astype(np.int32), dtype=wp.int32, device=body.device)
        self.contact_velocity = wp.zeros_like(self.cloth.x)
        self.substeps = 0
        self._graphs = {}

    def move_body(self, start: wp.array, end: wp.array, share: float, frame_time: float,
                  anchors: tuple[wp.array, wp.array]) -> None:
        """The body and the anchored cloth ``share`` of the way from one frame to the next."""
        wp.launch(motion_kernels.move_body, dim=len(start), device=self.body.device,
                  inputs=[start, end, share, frame_time, self.body.points, self.body.velocities])
        self.body.mesh.refit()
        if len(self.anchor_index):
            wp.launch(motion_kernels.move_anchors, dim=len(self.anchor_index), device=self.body.device,
                      inputs=[self.anchor_index, anchors[0], anchors[1], share, self.cloth.x])

    def substep(self, dt: float, damping_time: float = DAMPING_TIME_S) -> None:
        """Advance the cloth ``dt`` seconds on the body where ``move_body`` put it.

        The launches are captured once per (dt, damping, bending or not) as a
        graph and replayed: the body's refit between substeps is not a launch
        and cannot be captured, so a graph is one substep.
        """
        key = (dt, damping_time, self.substeps % BEND_EVERY == 0, self.substeps % CONTACTS_EVERY == 0)
        if key not in self._graphs:
            with wp.ScopedCapture(device=self.body.device) as capture:
                self._substep(*key)
            self._graphs[key] = capture.graph
        wp.capture_launch(self._graphs[key])
        self.substeps += 1

    def _substep(self, dt: float, damping_time: float, bend: bool, contacts: bool) -> None:
        c, d, n = self.cloth, self.body.device, len(self.cloth.x)
        if contacts:
            wp.launch(motion_kernels.moving_contacts, dim=n, device=d,
                      inputs=[self.body.mesh.id, c.x, CONTACT_RADIUS_M, c.contact_point, c.contact_normal,
                              self.contact_velocity])
        else:  # the tangent planes move with the skin under them
            wp.launch(motion_kernels.advect_contacts, dim=n, device=d,
                      inputs=[c.contact_point, self.contact_velocity, dt])
        wp.launch(kernels.predict, dim=n, device=d, inputs=[c.x, c.v, c.inv_mass, wp.vec3(*GRAVITY), dt, c.x_prev])
        c.solve_constraints(dt, dt * BEND_EVERY if bend else None)
        wp.launch(motion_kernels.collide_moving, dim=n, device=d,
                  inputs=[c.x, c.x_prev, c.inv_mass, c.contact_point, c.contact_normal, self.contact_velocity,
                          self.fabric.thickness, self.fabric.friction, MAX_STEP_M, dt])
        c.limit_strain()
        wp.launch(kernels.finish_step, dim=n, device=d,
                  inputs=[c.x, c.x_prev, c.inv_mass, c.contact_point, c.contact_normal, self.fabric.thickness,
                          dt, math.exp(-dt / damping_time), math.inf, c.v, c.residual])


def simulate_motion(
    positions: np.ndarray,
    faces: np.ndarray,
    rest_positions: np.ndarray,
    body_frames: np.ndarray,
    body_faces: np.ndarray,
    fps: float,
    fabric: FabricParams = FabricParams(),
    *,
    proxy_vertices: int | None = 5000,
    face_uvs: np.ndarray | None = None,
) -> MotionResult:
    """Move a draped garment with a body through a clip.

    positions: (N, 3) metres, the garment draped at rest on ``body_frames[0]``.
    faces: (F, 3); rest_positions: (N, 3) metres, the authored garment.
    body_frames: (T, V, 3) metres, the body in each frame; body_faces: (Fb, 3).
    fps: frames per second of ``body_frames``.
    proxy_vertices: a garment of more than 1.25 times this many vertices
        moves on a proxy of about this many (None: the full mesh).
    face_uvs: optional (F, 3, 2), the fabric's frame at each face's corners
        (``tryon.cloth.solver.relax``); a proxy moves isotropic.
    Returns the garment in every frame; frame 0 is after the pre-roll.
    Bodies of one topology only: anchors follow the skin's triangles.
    """
    with SOLVE_LOCK:
        return _simulate(positions, faces, rest_positions, body_frames, body_faces, fps, fabric, proxy_vertices,
                         face_uvs)


def _simulate(positions, faces, rest_positions, body_frames, body_faces, fps, fabric, proxy_vertices, face_uvs):
    start_time = time.perf_counter()
    positions = np.asarray(positions, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    body_frames = np.asarray(body_frames, dtype=np.float32)
    body = BodyCollider(body_frames[0], body_faces)
    on_proxy = None
    sim_x, sim_faces, sim_rest = positions, faces, rest_positions
    if proxy_vertices is not None and len(positions) > 1.25 * proxy_vertices:
        sim_x, sim_faces = simplify_proxy(positions, faces, proxy_vertices)
        on_full = bind(sim_x, positions, faces)
        sim_rest = place(on_full, rest_positions, faces)
        on_proxy = bind(positions, sim_x, sim_faces)
        face_uvs = None
    on_skin = bind(sim_x, body_frames[0], body_faces)
    anchored = np.linalg.norm(on_skin.offset, axis=1) < fabric.thickness + ANCHOR_GAP_M
    on_skin = type(on_skin)(face=on_skin.face[anchored], bary=on_skin.bary[anchored],
                            offset=on_skin.offset[anchored])
    moving = _MovingCloth(sim_x, sim_faces, sim_rest, body, fabric, anchored, face_uvs)
    substeps = max(1, math.ceil(SUBSTEP_RATE / fps))
    dt = 1.0 / (fps * substeps)
    device = body.device
    frames_on_device = [wp.array(frame, dtype=wp.vec3, device=device) for frame in body_frames]
    anchors = [wp.array(place(on_skin, frame, body_faces).astype(np.float32), dtype=wp.vec3, device=device)
               for frame in body_frames]
    moving.move_body(frames_on_device[0], frames_on_device[0], 0.0, 1.0 / fps, (anchors[0], anchors[0]))
    pre_roll_s = _settle(moving, dt)
    full = wp.zeros(len(positions), dtype=wp.vec3, device=body.device)
    inv_mass = wp.ones(len(positions), dtype=float, device=body.device)
    out = np.empty((len(body_frames), len(positions), 3), np.float32)
    penetration = np.zeros((len(body_frames), 2))
    for k in range(len(body_frames)):
        if k > 0:
            for s in range(1, substeps + 1):
                moving.move_body(frames_on_device[k - 1], frames_on_device[k], s / substeps, 1.0 / fps,
                                 (anchors[k - 1], anchors[k]))
                moving.substep(dt)
        x = moving.cloth.x.numpy()
        full.assign((place(on_proxy, x, sim_faces) if on_proxy is not None else x).astype(np.float32))
        # the full mesh between proxy vertices, and cloth held on folding skin, may dip
        # into the body: exact passes (in a crease, leaving one face can mean entering the next)
        for _ in range(FRAME_PUSH_OUT_PASSES):
            if body.push_out(full, inv_mass, fabric.thickness) == 0:
                break
        penetration[k] = _penetration(body, full, body_frames[k], body_frames[0], body_faces)
        out[k] = full.numpy()
    return MotionResult(frames=out, penetration_m=penetration[:, 0], penetration_anywhere_m=penetration[:, 1],
                        seconds=time.perf_counter() - start_time, substeps=moving.substeps, pre_roll_s=pre_roll_s)


def _settle(moving: _MovingCloth, dt: float) -> float:
    """Step the garment on the still first frame until it is at rest (see PRE_ROLL_MIN_S); seconds taken."""
    window = max(1, round(PRE_ROLL_WINDOW_S / dt))
    settled, before = 0.0, moving.cloth.x.numpy().copy()
    while settled < PRE_ROLL_MAX_S - 0.5 * window * dt:
        for _ in range(window):
            moving.substep(dt, PRE_ROLL_DAMPING_TIME_S)
        settled += window * dt
        after = moving.cloth.x.numpy().copy()
        # net motion over the window, not a substep's: cloth in contact moves
        # out and back every substep. A vertex or two caught between touching
        # skins (an armpit) may tremble for ever: the 99th percentile decides.
        speed = np.percentile(np.linalg.norm(after - before, axis=1), AT_REST_PERCENTILE) / (window * dt)
        if settled >= PRE_ROLL_MIN_S and speed < AT_REST_M_PER_S:
            break
        before = after
    return settled


def _penetration(body: BodyCollider, x: wp.array, frame, first, faces) -> tuple[float, float]:
    """(deepest outside the self-contact zones, deepest anywhere), metres."""
    anywhere = body.max_penetration(x)
    if anywhere == 0.0:
        return 0.0, 0.0
    near = np.unique(np.asarray(faces)[body.faces_under(x)].ravel())  # skin the penetration is at
    zones = wp.array(self_contact_faces(frame, first, faces, near).astype(np.int32), dtype=wp.int32,
                     device=body.device)
    outside = wp.zeros(1, dtype=float, device=body.device)
    wp.launch(motion_kernels.penetration_outside, dim=len(x), device=body.device,
              inputs=[body.mesh.id, x, CONTACT_RADIUS_M * 10, zones, outside])
    return float(outside.numpy()[0]), anywhere
