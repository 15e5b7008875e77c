"""Warp kernels of cloth on a moving body (``tryon.cloth.dynamics``).

The body is a Warp mesh whose points and velocities are set every substep
(``move_body``) and whose BVH is refitted. Contacts carry the body's
velocity at the contact point, so friction acts on the cloth's motion
relative to the skin: a sleeve is carried by the arm it lies on, and a hem
that the legs do not touch swings free. Metres, seconds; Z-up.
"""

from __future__ import annotations

from tryon.cloth import kernels
from tryon.cloth.kernels import wp


@wp.kernel
def move_body(
    start: wp.array[wp.vec3],
    end: wp.array[wp.vec3],
    share: float,
    frame_time: float,
    points: wp.array[wp.vec3],
    velocities: wp.array[wp.vec3],
):
    """The body ``share`` (0-1) of the way from one frame's vertices to the next; velocities in m/s."""
    i = wp.tid()
    points[i] = start[i] + (end[i] - start[i]) * share
    velocities[i] = (end[i] - start[i]) / frame_time


@wp.kernel
def move_anchors(
    index: wp.array[wp.int32],
    start: wp.array[wp.vec3],
    end: wp.array[wp.vec3],
    share: float,
    x: wp.array[wp.vec3],
):
    """Anchored cloth vertices ``index`` moved ``share`` (0-1) of the way between two frames' places."""
    k = wp.tid()
    x[index[k]] = start[k] + (end[k] - start[k]) * share


@wp.kernel
def moving_contacts(
    mesh: wp.uint64,
    x: wp.array[wp.vec3],
    max_dist: float,
    contact_point: wp.array[wp.vec3],
    contact_normal: wp.array[wp.vec3],
    contact_velocity: wp.array[wp.vec3],
):
    """Tangent plane of the body under each vertex and the body's velocity there (m/s).

    Normal 0 where the body is farther than ``max_dist``.
    """
    i = wp.tid()
    point = wp.vec3(0.0)
    normal = wp.vec3(0.0)
    velocity = wp.vec3(0.0)
    query = wp.mesh_query_point_sign_normal(mesh, x[i], max_dist)
    if query.result:  # as kernels.outward_contact, keeping the face for the velocity
        point = wp.mesh_eval_position(mesh, query.face, query.u, query.v)
        velocity = wp.mesh_eval_velocity(mesh, query.face, query.u, query.v)
        offset = x[i] - point
        distance = wp.length(offset)
        if distance > 1.0e-6:
            normal = offset / distance
            if query.sign < 0.0:
                normal = -normal
        else:
            normal = wp.mesh_eval_face_normal(mesh, query.face)
    contact_point[i] = point
    contact_normal[i] = normal
    contact_velocity[i] = velocity


@wp.kernel
def advect_contacts(contact_point: wp.array[wp.vec3], contact_velocity: wp.array[wp.vec3], dt: float):
    """Tangent planes carried ``dt`` seconds along with the skin under them."""
    i = wp.tid()
    contact_point[i] = contact_point[i] + contact_velocity[i] * dt


@wp.kernel
def collide_moving(
    x: wp.array[wp.vec3],
    x_prev: wp.array[wp.vec3],
    inv_mass: wp.array[float],
    contact_point: wp.array[wp.vec3],
    contact_normal: wp.array[wp.vec3],
    contact_velocity: wp.array[wp.vec3],
    thickness: float,
    friction: float,
    max_step: float,
    dt: float,
):
    """Cap the step, push out of the body, and apply Coulomb friction to the motion relative to the skin.

    Position-based friction (Macklin et al. 2014): the tangential slip over
    the skin (the vertex's motion less the body's under it) is cancelled up
    to ``friction`` times the depth the vertex was pushed out by.
    """
    i = wp.tid()
    if inv_mass[i] == 0.0:
        return
    x[i] = kernels.collide_step(x_prev[i], x[i], contact_point[i], contact_normal[i], thickness, friction,
                                max_step, 0.0, contact_velocity[i] * dt)


@wp.kernel
def penetration_outside(
    mesh: wp.uint64,
    x: wp.array[wp.vec3],
    max_dist: float,
    excluded_face: wp.array[wp.int32],
    penetration: wp.array[float],
):
    """``penetration[0]``: the deepest any vertex lies inside the body (m), leaving out
    vertices whose nearest skin is on an ``excluded_face`` (1: a self-contact zone)."""
    i = wp.tid()
    query = wp.mesh_query_point_sign_normal(mesh, x[i], max_dist)
    if query.result and query.sign < 0.0 and excluded_face[query.face] == 0:
        point = wp.mesh_eval_position(mesh, query.face, query.u, query.v)
        wp.atomic_max(penetration, 0, wp.length(x[i] - point))
