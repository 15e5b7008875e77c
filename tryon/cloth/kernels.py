"""Warp kernels of the cloth relaxation solver (``tryon.cloth.solver``); the body's exact
queries are ``tryon.cloth.collider``'s.

XPBD (Macklin et al. 2016). Edge constraints run Gauss-Seidel over colour
groups of edges that share no vertex, so they write positions directly
(``tryon.cloth.solver`` plans the launches); bending runs Jacobi, adding
corrections into a per-vertex buffer that ``apply_deltas`` averages. Positions are metres, Z-up; ``inv_mass`` is
1/kg, 0 for pinned vertices. On the CPU Warp runs a launch as one serial
loop, so results are deterministic there; on CUDA the order of the bending
buffer's atomic additions is not.
"""

from __future__ import annotations

from tryon.core.settings import point_library_caches

point_library_caches()

import warp as wp  # noqa: E402

DEGENERATE = 1.0e-12  # squared lengths (m^2) below which a constraint is skipped


@wp.func
def fast_atan2(y: float, x: float):
    """atan2 to within 2e-4 rad by a polynomial; libm's took half the time of the bending solve."""
    ax = wp.abs(x)
    ay = wp.abs(y)
    big = wp.max(ax, ay)
    if big == 0.0:
        return 0.0
    a = wp.min(ax, ay) / big
    s = a * a
    r = ((-0.0464964749 * s + 0.15931422) * s - 0.327622764) * s * a + a
    if ay > ax:
        r = 0.5 * wp.pi - r
    if x < 0.0:
        r = wp.pi - r
    if y < 0.0:
        r = -r
    return r


@wp.kernel
def predict(
    x: wp.array[wp.vec3],
    v: wp.array[wp.vec3],
    inv_mass: wp.array[float],
    gravity: wp.vec3,
    dt: float,
    x_prev: wp.array[wp.vec3],
):
    """Explicit step of free motion; remembers where the step started."""
    i = wp.tid()
    x_prev[i] = x[i]
    if inv_mass[i] > 0.0:
        x[i] = x[i] + (v[i] + gravity * dt) * dt


@wp.kernel
def solve_stretch(
    x: wp.array[wp.vec3],
    edges: wp.array[wp.vec2i],
    order: wp.array[wp.int32],
    sweep: wp.vec3i,
    rest_length: wp.array[float],
    compliance: wp.array[float],
    inv_mass: wp.array[float],
    inv_dt2: float,
    lambdas: wp.array[float],
):
    """Edge length constraint C = |xi - xj| - rest; ``compliance`` in m/N, ``inv_dt2`` 1/s^2.

    Gauss-Seidel: each edge moves its vertices directly, over the edges
    ``order[sweep[0]:sweep[0] + sweep[1]]``, ``sweep[2]`` consecutive ones per
    thread (``tryon.cloth.solver`` plans them).
    """
    first = sweep[0] + wp.tid() * sweep[2]
    for k in range(first, wp.min(first + sweep[2], sweep[0] + sweep[1])):
        e = order[k]
        i = edges[e][0]
        j = edges[e][1]
        wi = inv_mass[i]
        wj = inv_mass[j]
        d = x[i] - x[j]
        length_sq = wp.dot(d, d)
        if wi + wj == 0.0 or length_sq < DEGENERATE:
            continue
        length = wp.sqrt(length_sq)
        alpha = compliance[e] * inv_dt2
        dlambda = (rest_length[e] - length - alpha * lambdas[e]) / (wi + wj + alpha)
        lambdas[e] = lambdas[e] + dlambda
        n = d * (dlambda / length)
        x[i] = x[i] + n * wi
        x[j] = x[j] - n * wj


@wp.kernel
def limit_strain(
    x: wp.array[wp.vec3],
    edges: wp.array[wp.vec2i],
    order: wp.array[wp.int32],
    sweep: wp.vec3i,
    max_length: wp.array[float],
    inv_mass: wp.array[float],
):
    """Shorten an edge longer than ``max_length`` (rest * (1 + max strain)) back to it;
    ``sweep`` as in ``solve_stretch``."""
    first = sweep[0] + wp.tid() * sweep[2]
    for k in range(first, wp.min(first + sweep[2], sweep[0] + sweep[1])):
        e = order[k]
        i = edges[e][0]
        j = edges[e][1]
        wi = inv_mass[i]
        wj = inv_mass[j]
        d = x[i] - x[j]
        length = wp.length(d)
        excess = length - max_length[e]
        if excess <= 0.0 or wi + wj == 0.0:
            continue
        n = d * (excess / (length * (wi + wj)))
        x[i] = x[i] - n * wi
        x[j] = x[j] + n * wj


@wp.kernel
def solve_bend(
    x: wp.array[wp.vec3],
    hinges: wp.array[wp.vec4i],
    rest_angle: wp.array[float],
    compliance: wp.array[float],
    inv_mass: wp.array[float],
    inv_dt2: float,
    delta: wp.array[wp.vec3],
    per_thread: int,
):
    """Dihedral angle constraint across an interior edge, one Jacobi iteration per bending step.

    ``compliance`` in 1/(N m) per hinge, ``inv_dt2`` 1/s^2 of the bending step.
    A hinge is (wing1, wing2, edge_a, edge_b): the triangles are
    (edge_a, edge_b, wing1) and (edge_b, edge_a, wing2) in the mesh's winding,
    so a flat hinge has angle 0. Angle gradients after Bridson et al. 2003.
    Each thread takes ``per_thread`` consecutive hinges (all of them on the CPU).
    """
    first = wp.tid() * per_thread
    for h in range(first, wp.min(first + per_thread, hinges.shape[0])):
        i1 = hinges[h][0]
        i2 = hinges[h][1]
        i3 = hinges[h][2]
        i4 = hinges[h][3]
        x1 = x[i1]
        x2 = x[i2]
        x3 = x[i3]
        x4 = x[i4]
        n1 = wp.cross(x1 - x3, x1 - x4)
        n2 = wp.cross(x2 - x4, x2 - x3)
        e = x4 - x3
        n1_sq = wp.dot(n1, n1)
        n2_sq = wp.dot(n2, n2)
        e_sq = wp.dot(e, e)
        if n1_sq < DEGENERATE * DEGENERATE or n2_sq < DEGENERATE * DEGENERATE or e_sq < DEGENERATE:
            continue
        inv_e_len = 1.0 / wp.sqrt(e_sq)
        e_hat = e * inv_e_len
        angle = fast_atan2(wp.dot(wp.cross(n1, n2), e_hat), wp.dot(n1, n2))  # atan2 is scale-free
        c = angle - rest_angle[h]
        # wrap to (-pi, pi]: a hinge folded through flat-backwards stays continuous
        if c > wp.pi:
            c = c - 2.0 * wp.pi
        if c < -wp.pi:
            c = c + 2.0 * wp.pi
        a = n1 * (1.0 / n1_sq)
        b = n2 * (1.0 / n2_sq)
        g1 = a * (-e_sq * inv_e_len)
        g2 = b * (-e_sq * inv_e_len)
        g3 = -(a * wp.dot(x1 - x4, e_hat) + b * wp.dot(x2 - x4, e_hat))
        g4 = a * wp.dot(x1 - x3, e_hat) + b * wp.dot(x2 - x3, e_hat)
        w1 = inv_mass[i1]
        w2 = inv_mass[i2]
        w3 = inv_mass[i3]
        w4 = inv_mass[i4]
        denominator = (
            w1 * wp.dot(g1, g1) + w2 * wp.dot(g2, g2) + w3 * wp.dot(g3, g3) + w4 * wp.dot(g4, g4) + compliance[h] * inv_dt2
        )
        if denominator <= 0.0:
            continue
        dlambda = -c / denominator
        wp.atomic_add(delta, i1, g1 * (w1 * dlambda))
        wp.atomic_add(delta, i2, g2 * (w2 * dlambda))
        wp.atomic_add(delta, i3, g3 * (w3 * dlambda))
        wp.atomic_add(delta, i4, g4 * (w4 * dlambda))


@wp.kernel
def apply_deltas(x: wp.array[wp.vec3], delta: wp.array[wp.vec3], weight: wp.array[float]):
    """Jacobi update: the corrections of a vertex averaged (weight = 1 / their count), then cleared."""
    i = wp.tid()
    x[i] = x[i] + delta[i] * weight[i]
    delta[i] = wp.vec3(0.0)


@wp.func
def outward_contact(mesh: wp.uint64, p: wp.vec3, max_dist: float):
    """(found, nearest body surface point, outward unit normal there) within ``max_dist``."""
    found = False
    point = wp.vec3(0.0)
    normal = wp.vec3(0.0)
    query = wp.mesh_query_point_sign_normal(mesh, p, max_dist)
    if query.result:
        found = True
        point = wp.mesh_eval_position(mesh, query.face, query.u, query.v)
        offset = p - point
        distance = wp.length(offset)
        if distance > 1.0e-6:
            normal = offset / distance
            if query.sign < 0.0:
                normal = -normal
        else:
            normal = wp.mesh_eval_face_normal(mesh, query.face)
    return found, point, normal


@wp.kernel
def refresh_contacts(
    mesh: wp.uint64,
    x: wp.array[wp.vec3],
    max_dist: float,
    contact_point: wp.array[wp.vec3],
    contact_normal: wp.array[wp.vec3],
):
    """Tangent plane of the body under each vertex; normal 0 where the body is farther than ``max_dist``.

    Between refreshes the steps collide against these planes, which is exact
    for a locally flat body and costs no BVH query per step.
    """
    i = wp.tid()
    found, point, normal = outward_contact(mesh, x[i], max_dist)
    contact_point[i] = point
    contact_normal[i] = normal


@wp.kernel
def accumulate_tension(
    x: wp.array[wp.vec3],
    edges: wp.array[wp.vec2i],
    rest_length: wp.array[float],
    stiffness: wp.array[float],
    force: wp.array[wp.vec3],
):
    """Elastic force (N) of the stretched edges on their vertices, ``stiffness`` in N/m.

    Compressed edges add none: cloth buckles rather than push. XPBD moves a
    stiff edge by at most its violation in a step, so the force that motion
    implies is far below the fabric's; friction needs the fabric's.
    """
    e = wp.tid()
    i = edges[e][0]
    j = edges[e][1]
    d = x[j] - x[i]
    length = wp.length(d)
    stretch = length - rest_length[e]
    if stretch <= 0.0:
        return
    f = d * (stiffness[e] * stretch / length)
    wp.atomic_add(force, i, f)
    wp.atomic_sub(force, j, f)


@wp.func
def collide_step(
    start: wp.vec3,
    end: wp.vec3,
    contact_point: wp.vec3,
    n: wp.vec3,
    thickness: float,
    friction: float,
    max_step: float,
    pressed: float,
    skin_step: wp.vec3,
):
    """Where a step from ``start`` to ``end`` ends: capped at ``max_step``, pushed out
    to ``thickness`` off the tangent plane (``contact_point``, outward unit ``n``; n = 0
    away from the body), and its slip over the skin cancelled up to ``friction`` times
    its normal motion: the depth it was pushed out by plus ``pressed`` (m, what a load
    on the body moves it). ``skin_step``: how far the skin under it moved (m)."""
    step = end - start
    step_length = wp.length(step)
    if step_length > max_step:
        step = step * (max_step / step_length)
    p = start + step
    depth = thickness - wp.dot(p - contact_point, n)
    if depth > 0.0 and wp.dot(n, n) > 0.0:
        p = p + n * depth
        slip_vector = (p - start) - skin_step
        tangential = slip_vector - n * wp.dot(slip_vector, n)
        slip = wp.length(tangential)
        if slip > 0.0:
            p = p - tangential * wp.min(1.0, friction * (depth + pressed) / slip)
    return p


@wp.kernel
def collide_with_friction(
    x: wp.array[wp.vec3],
    x_prev: wp.array[wp.vec3],
    inv_mass: wp.array[float],
    force: wp.array[wp.vec3],
    contact_point: wp.array[wp.vec3],
    contact_normal: wp.array[wp.vec3],
    thickness: float,
    friction: float,
    max_step: float,
    dt: float,
):
    """Cap the step's displacement, push out of the body, and apply friction.

    Friction is position-based Coulomb (Macklin et al. 2014): the tangential
    motion of a vertex in contact is cancelled up to ``friction`` times its
    normal motion, the depth it was pushed out by plus what the elastic
    ``force`` (N) pressing it on the body moves it in a step (a tight
    garment, whose pressure the stiff, saturated XPBD edges would not show
    in the depth).
    """
    i = wp.tid()
    w = inv_mass[i]
    if w == 0.0:
        return
    n = contact_normal[i]
    x[i] = collide_step(x_prev[i], x[i], contact_point[i], n, thickness, friction, max_step,
                        wp.max(0.0, -wp.dot(force[i], n)) * w * dt * dt, wp.vec3(0.0))


@wp.kernel
def finish_step(
    x: wp.array[wp.vec3],
    x_prev: wp.array[wp.vec3],
    inv_mass: wp.array[float],
    contact_point: wp.array[wp.vec3],
    contact_normal: wp.array[wp.vec3],
    thickness: float,
    dt: float,
    velocity_keep: float,
    tolerance: float,
    v: wp.array[wp.vec3],
    residual: wp.array[float],
):
    """Push out of the body once more (collision always wins) and up off the floor (z = 0,
    where the body stands: a long hem pools there), then the damped velocity.

    ``residual[0]`` collects the largest displacement of a step (m), ``residual[1]``
    counts the vertices (in every step) that moved more than ``tolerance`` (m).
    """
    i = wp.tid()
    if inv_mass[i] == 0.0:
        v[i] = wp.vec3(0.0)
        return
    p = x[i]
    n = contact_normal[i]
    depth = thickness - wp.dot(p - contact_point[i], n)
    if depth > 0.0:
        p = p + n * depth  # n is 0 away from the body
        x[i] = p
    if p[2] < thickness:
        p = wp.vec3(p[0], p[1], thickness)
        x[i] = p
    moved = p - x_prev[i]
    v[i] = moved * (velocity_keep / dt)
    distance = wp.length(moved)
    wp.atomic_max(residual, 0, distance)
    if distance > tolerance:
        wp.atomic_add(residual, 1, 1.0)
