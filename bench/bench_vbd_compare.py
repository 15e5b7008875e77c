"""Our drape against Newton's VBD cloth solver: same garment, body, start and fabric.

The sample "A-line skirt", size M (~4.5k vertices), is transferred from the
mannequin it was authored on to library avatar "f160-eu50" exactly as
``tryon.drape.draping`` does it (bind to the mannequin surface, place on the body).
From that one start array our XPBD relaxation (``tryon.cloth.solver.relax``
called as ``tryon.drape.draping`` calls it) and Newton 1.8's ``SolverVBD`` each
settle the garment; both take their rest shape from the authored garment.
Printed per solver: wall seconds, max penetration into the body (mm), mean
and p95 edge strain against the authored rest lengths, and how far the hem
moved from the start (mean mm along Z of the vertices within 2 cm of the
authored hem; negative: it fell).

Newton is a bench-only extra (``pip install .[bench]``), not a runtime
dependency; without it the bench says so and exits.
Run: cd /work/main && PYTHONPATH=. .venv/bin/python bench/bench_vbd_compare.py [CAP_S]
CAP_S: wall seconds Newton may simulate before it is stopped (default 60).
Units: metres, kilograms, seconds; Z-up, gravity along -Z. Warp runs on the
CPU (one thread) here; times are wall clock and noisy on a shared machine.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from avatars.avatar import pose_avatar
from avatars.library import get_avatar
from garments.fabrics import fabric as fabric_preset
from garments.mannequin import letter_size, mannequin
from garments.store import GarmentStore
from tryon.cloth.fabric import MIN_CLEARANCE_M
from tryon.core.settings import settings
from garments.surface_binding import bind, nearest_surface_points, place, signed_distance
from tryon.drape import draping as tryon_drape  # imports Warp with tryon's kernel cache
from tryon.cloth.fabric import FabricParams
from tryon.cloth.solver import relax

try:
    import newton
except ImportError:
    sys.exit("bench_vbd_compare needs Newton, a bench-only extra: .venv/bin/pip install newton==1.8.0")
import warp as wp  # noqa: E402  (after tryon, which points Warp's cache)

AVATAR, GARMENT, SIZE = "f160-eu50", "A-line skirt", "M"
FRAME_DT = 1.0 / 60.0  # s between rest checks
# Newton's cloth examples run 10 substeps of 10 VBD iterations; with those
# (or 10 x 40) the woven skirt slides off even the mannequin it was authored
# on, stretched 20-40 % at the waist whatever its stiffness: Gauss-Seidel
# left that far from converged is softer than the fabric. 5 x 100 holds it
# there (about 10 cm below where it was authored).
SUBSTEPS, ITERATIONS = 5, 100
REST_SPEED = 0.05  # m/s: at rest once no vertex moves faster (ours: 5e-5 m per 1 ms step)
POISSON = 1.0 / 3.0  # of an equilateral spring network, which our edge springs are
DAMPING_TIME = 0.01  # s: Newton's stiffness-proportional damping, kd = ke * this
CONTACT_KE = 1.0e4  # N/m per vertex: Newton's body contact penalty (~0.1 mm deep under tension)
HEM_BAND = 0.02  # m above the lowest authored vertex: the hem

NOTES = """notes:
- one start array (tryon's bind/place transfer), same rest shape (the authored garment),
  same body, same fabric preset; Newton takes the rest shape in add_cloth_mesh and
  the start in state.particle_q, so a start differing from rest is expressible.
- mapping: stretch 1/compliance = k N/m -> neo-Hookean membrane Lame mu = lambda = 3k/8
  (Young's k, Poisson 1/3); bending B = 1/compliance N m -> per-hinge edge_ke =
  3 B |e| / (A1 + A2), our discrete-shell weight; density kg/m^2 as is; friction ->
  soft_contact_mu and shape mu; thickness (raised to the base-outfit clearance, as
  ours) -> particle_radius.
- not expressible in VBD: our strain limit (max_strain) and quasi-static relaxation;
  Newton simulates the fall at full g (ours relaxes at g/5, bending /5, damped).
  Neither solver does self-contact here.
- Newton needs {it} VBD iterations x {sub} substeps and divide-and-truncate (see source).
  Its wall s leaves out setup (model, solver, kernel load: {setup:.1f} s); ours includes
  its collider build. Ours stops at the product's step cap even if not converged.
- times are wall clock on 2 shared CPU cores, one Warp CPU thread: noisy."""


def _body(avatar, pose: str = "a-pose") -> tuple[np.ndarray, np.ndarray]:
    """(V, 3) float64 vertices and (F, 3) faces of an avatar's posed body mesh."""
    model, out = pose_avatar(avatar, pose)
    return out.vertices[0].numpy().astype(np.float64), np.asarray(model.faces)


def _inputs():
    """Garment, its mesh, target body (vertices, faces) and the transferred start (N, 3),
    built as ``tryon.drape.draping._solve`` builds it."""
    store = GarmentStore(settings().garments_dir)
    garment = next(g for g in store.list() if g.name == GARMENT)
    mesh = store.load_size(garment.id, SIZE)
    body, body_faces = _body(get_avatar(AVATAR))
    authored_on, _ = _body(mannequin(garment.fit, letter_size(garment.fit, SIZE)), tryon_drape.AUTHORING_POSE)
    start = place(bind(mesh.physics_vertices, authored_on, body_faces), body, body_faces)
    return garment, mesh, body, body_faces, start


def _edges(faces: np.ndarray) -> np.ndarray:
    """(E, 2) unique vertex pairs of a triangle mesh."""
    return np.unique(np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1), axis=0)


def _metrics(x, rest, faces, body, body_faces, start, hem) -> tuple[float, float, float, float]:
    """(penetration mm, mean edge strain, p95 edge strain, hem dz mm) of positions x (N, 3)."""
    edges = _edges(faces)
    strain = (np.linalg.norm(x[edges[:, 0]] - x[edges[:, 1]], axis=1)
              / np.linalg.norm(rest[edges[:, 0]] - rest[edges[:, 1]], axis=1) - 1.0)
    gap = signed_distance(x, nearest_surface_points(x, body, body_faces))
    return (max(0.0, -float(gap.min())) * 1e3, float(strain.mean()), float(np.percentile(strain, 95)),
            float((x[hem, 2] - start[hem, 2]).mean()) * 1e3)


def _newton(start, rest, faces, body, body_faces, fabric: dict, cap: float):
    """Simulate with SolverVBD until at rest or ``cap`` wall seconds.

    Returns (positions (N, 3), setup s, simulation s, frames, at rest)."""
    began = time.perf_counter()
    k = 1.0 / fabric["stretch_compliance"]  # N/m, membrane stiffness
    builder = newton.ModelBuilder()  # Z-up, gravity -9.81 along -Z
    builder.default_shape_cfg.mu = fabric["friction"]
    builder.default_shape_cfg.ke = CONTACT_KE
    builder.add_shape_mesh(body=-1, mesh=newton.Mesh(body.astype(np.float32), body_faces.astype(np.int32)))
    mu = k / (2.0 * (1.0 + POISSON))
    lam = k * POISSON / (1.0 - POISSON**2)
    builder.add_cloth_mesh(pos=wp.vec3(0.0), rot=wp.quat_identity(), scale=1.0, vel=wp.vec3(0.0),
                           vertices=rest.astype(np.float32), indices=faces.ravel().astype(np.int32),
                           density=fabric["density"], tri_ke=mu, tri_ka=lam, tri_kd=mu * DAMPING_TIME,
                           edge_ke=0.0, edge_kd=0.0, particle_radius=fabric["thickness"])
    builder.color(include_bending=True)
    model = builder.finalize(device="cpu")
    # Newton's hinge energy is 0.5 ke |e| dtheta^2, a discrete shell's
    # 0.5 B 3 |e|^2 / (A1 + A2) dtheta^2: per-hinge ke = 3 B |e| / (A1 + A2)
    hinge = model.edge_indices.numpy()  # (opposite 1, opposite 2, edge start, edge end); -1: boundary
    inner = hinge[:, 0] >= 0
    o1, o2, a, b = (hinge[inner, c] for c in range(4))

    def area(p, q, r):
        return 0.5 * np.linalg.norm(np.cross(rest[q] - rest[p], rest[r] - rest[p]), axis=1)

    props = model.edge_bending_properties.numpy()
    props[inner, 0] = 3.0 * np.linalg.norm(rest[b] - rest[a], axis=1) / (
        fabric["bend_compliance"] * (area(o1, a, b) + area(o2, a, b)))
    props[inner, 1] = props[inner, 0] * DAMPING_TIME
    model.edge_bending_properties.assign(props)
    model.soft_contact_ke = CONTACT_KE
    model.soft_contact_kd = 0.0
    model.soft_contact_mu = fabric["friction"]

    pipeline = newton.CollisionPipeline(model, soft_contact_gap=0.01)
    # The transferred start has hem edges stretched up to 4x (a flared hem
    # bound to two legs); released, they snap through the body and the solve
    # blows up. Divide-and-truncate caps each step's motion against contacts.
    solver = newton.solvers.SolverVBD(model, iterations=ITERATIONS, collision_pipeline=pipeline,
                                      rigid_soft_enable_dat=True)
    state, next_state = model.state(), model.state()
    state.particle_q.assign(start.astype(np.float32))  # starts transferred; rest stays authored
    control = model.control()

    def substep():
        nonlocal state, next_state
        state.clear_forces()
        solver.step(state, next_state, control, None, FRAME_DT / SUBSTEPS)
        state, next_state = next_state, state

    substep()  # loads (first run: compiles) the kernels: setup, not simulation
    setup = time.perf_counter() - began
    began, frames, at_rest = time.perf_counter(), 0, False
    while not at_rest and time.perf_counter() - began < cap:
        for _ in range(SUBSTEPS):
            substep()
        frames += 1
        at_rest = float(np.linalg.norm(state.particle_qd.numpy(), axis=1).max()) < REST_SPEED
    return state.particle_q.numpy().astype(np.float64), setup, time.perf_counter() - began, frames, at_rest


def main() -> None:
    garment, mesh, body, body_faces, start = _inputs()
    rest, faces = mesh.physics_vertices, mesh.physics_faces
    fabric = fabric_preset(garment.fabric).quantities()
    # our drape keeps the base outfit's clearance from the skin: Newton gets the same margin
    fabric["thickness"] = max(fabric["thickness"], MIN_CLEARANCE_M)
    hem = rest[:, 2] < rest[:, 2].min() + HEM_BAND
    print(f"{GARMENT} {SIZE} ({len(rest)} vertices, {garment.fabric}) on {AVATAR}, "
          f"transferred from the {garment.fit}'s {letter_size(garment.fit, SIZE)} mannequin")

    began = time.perf_counter()  # the product's relax call, on the same start array
    ours = relax(start, faces, rest, body, body_faces, FabricParams(**fabric),
                 max_iterations=tryon_drape.RELAX_STEPS)
    ours_s = time.perf_counter() - began
    x, setup, newton_s, frames, at_rest = _newton(start, rest, faces, body, body_faces, fabric,
                                                    float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)

    rows = [("start (transferred)", start, float("nan"), ""),
            ("ours (XPBD relax)", ours.positions.astype(np.float64), ours_s,
             f"{ours.iterations} steps, converged={ours.converged}"),
            ("newton SolverVBD", x, newton_s,
             f"{frames * SUBSTEPS} steps ({frames * FRAME_DT:.2f} s simulated), at rest={at_rest}")]
    print(f"{'':22}{'wall s':>8}{'pen mm':>8}{'mean strain':>13}{'p95 strain':>12}{'hem dz mm':>11}")
    for name, positions, seconds, note in rows:
        pen, mean, p95, hem_dz = _metrics(positions, rest, faces, body, body_faces, start, hem)
        print(f"{name:22}{seconds:8.2f}{pen:8.2f}{mean:13.4f}{p95:12.4f}{hem_dz:11.1f}  {note}")
    print(NOTES.format(it=ITERATIONS, sub=SUBSTEPS, setup=setup))


if __name__ == "__main__":
    main()
