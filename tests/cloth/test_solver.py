"""The cloth relaxation solver, run for real on small garments and bodies.

Metres, Z-up. Meshes are built here: a cloth square, open tubes, a sphere
and a closed cylinder standing in for the body.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from tryon.cloth.collider import BodyCollider
from tryon.cloth.proxy import carry_back, simplify_proxy
from tryon.cloth.fabric import FabricParams
from tryon.cloth.solver import relax

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

FABRIC = FabricParams()


def grid(n: int, size: float, z: float) -> tuple[np.ndarray, np.ndarray]:
    """An n x n vertex square cloth of side ``size``, flat at height z, facing +Z."""
    u = np.linspace(-size / 2, size / 2, n)
    x, y = np.meshgrid(u, u, indexing="ij")
    vertices = np.stack([x.ravel(), y.ravel(), np.full(n * n, z)], axis=1)
    idx = np.arange(n * n).reshape(n, n)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    return vertices, np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])


def tube(radius, z_top: float, z_bottom: float, around: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """An open tube about the Z axis, wound outward; ``radius`` a number or (rows,) per ring, top first."""
    z = np.linspace(z_top, z_bottom, rows)
    r = np.broadcast_to(np.asarray(radius, dtype=float), z.shape)
    angle = np.linspace(0.0, 2.0 * np.pi, around, endpoint=False)
    vertices = np.stack([np.outer(r, np.cos(angle)).ravel(), np.outer(r, np.sin(angle)).ravel(),
                         np.repeat(z, around)], axis=1)
    ring = np.arange(around)
    faces = []
    for row in range(rows - 1):
        a, b = row * around + ring, row * around + (ring + 1) % around
        faces += [np.stack([a, a + around, b], 1), np.stack([b, a + around, b + around], 1)]
    return vertices, np.concatenate(faces)


def edge_strain(positions, rest, faces) -> np.ndarray:
    edges = np.unique(np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1), axis=0)
    length = np.linalg.norm(positions[edges[:, 0]] - positions[edges[:, 1]], axis=1)
    return length / np.linalg.norm(rest[edges[:, 0]] - rest[edges[:, 1]], axis=1) - 1.0


@pytest.fixture(scope="module")
def body_cylinder() -> trimesh.Trimesh:
    """A closed cylinder of radius 0.1 m from z = 0 to 1 m."""
    body = trimesh.creation.cylinder(radius=0.1, height=1.0, sections=64)
    body.apply_translation([0.0, 0.0, 0.5])
    return body


def test_square_dropped_on_sphere_rests_on_it():
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.1)
    cloth, faces = grid(25, 0.3, 0.13)  # 3 cm above the top of the sphere

    result = relax(cloth, faces, cloth, sphere.vertices, sphere.faces, FABRIC, max_iterations=3000)

    x = result.positions
    assert x.shape == cloth.shape and x.dtype == np.float32
    assert result.converged
    assert result.max_penetration_m <= 1e-3
    assert np.linalg.norm(x, axis=1).min() >= 0.1 - 1e-3  # nothing inside the sphere
    centre = np.linalg.norm(cloth[:, :2], axis=1) < 0.02
    assert np.allclose(x[centre, 2], 0.1 + FABRIC.thickness, atol=3e-3)  # resting on the top
    assert x[:, 2].min() < 0.05  # the rim drapes down around it
    strain = edge_strain(x, cloth, faces)
    assert strain.max() <= FABRIC.max_strain + 1e-3 and strain.min() > -0.5  # no blow-up


def test_tube_too_small_for_body_stays_stretched(body_cylinder):
    rest, faces = tube(0.095, 0.8, 0.5, 64, 16)  # authored 5 % smaller around than the body
    placed, _ = tube(0.102, 0.8, 0.5, 64, 16)  # transferred onto it

    result = relax(placed, faces, rest, body_cylinder.vertices, body_cylinder.faces, FABRIC)

    x = result.positions
    assert result.max_penetration_m <= 1e-3
    assert np.linalg.norm(x[:, :2], axis=1).min() >= 0.1 - 1e-3
    assert edge_strain(x, rest, faces).mean() > 0.01  # still stretched: the fit map shows it tight
    assert np.abs(x[:, 2] - placed[:, 2]).max() < 0.01  # friction holds it up


def test_tube_too_big_for_body_hangs_and_folds(body_cylinder):
    rows = 24
    rest, faces = tube(0.14, 0.9, 0.5, 64, rows)  # authored 4 cm looser than the body
    placed, _ = tube(0.103, 0.9, 0.55, 64, rows)  # transferred from a smaller body: shrunk
    top = np.arange(64)

    result = relax(placed, faces, rest, body_cylinder.vertices, body_cylinder.faces, FABRIC,
                   pinned=np.isin(np.arange(len(placed)), top), max_iterations=600)

    x = result.positions
    assert result.converged
    assert result.max_penetration_m <= 1e-3
    assert np.array_equal(x[top], placed[top].astype(np.float32))  # pinned
    assert (x[-64:, 2] - placed[-64:, 2]).mean() < -0.02  # the hem fell
    radius = np.linalg.norm(x[:, :2], axis=1).reshape(rows, 64)[rows // 2:]
    # folds: each ring waves between the body and the rest radius, its edges
    # at rest length (cloth bends rather than shrinks), so its mean radius is
    # well inside the rest radius: not an expanded rigid shell
    assert (radius.max(axis=1) - radius.min(axis=1)).min() > 0.02
    assert radius.mean(axis=1).max() < 0.13
    assert np.abs(edge_strain(x, rest, faces)[64:]).mean() < 0.01  # below the pinned band, near rest lengths


def test_same_inputs_same_outputs_on_cpu(body_cylinder):
    rest, faces = tube(0.095, 0.8, 0.6, 40, 8)
    placed, _ = tube(0.102, 0.8, 0.6, 40, 8)

    def run():
        collider = BodyCollider(body_cylinder.vertices, body_cylinder.faces, device="cpu")
        return relax(placed, faces, rest, None, None, FABRIC, max_iterations=100, collider=collider)

    first, second = run(), run()
    assert np.array_equal(first.positions, second.positions)
    assert first.iterations == second.iterations


def test_collider_cached_per_body(body_cylinder):
    first = BodyCollider.cached(body_cylinder.vertices, body_cylinder.faces)
    again = BodyCollider.cached(body_cylinder.vertices.copy(), body_cylinder.faces.copy())
    assert first is again


def test_carry_back_follows_the_proxy():
    full, faces = tube(0.12, 0.8, 0.4, 60, 40)
    proxy, proxy_faces = simplify_proxy(full, faces, target_vertices=600)
    assert len(proxy) < 800 and proxy_faces.max() < len(proxy)

    assert np.allclose(carry_back(full, proxy, proxy_faces, proxy), full, rtol=0.0, atol=1e-9)

    angle = 0.3  # a rigid motion of the proxy moves the full mesh the same way
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]])
    shift = np.array([0.01, -0.02, 0.03])
    moved = carry_back(full, proxy, proxy_faces, proxy @ rotation.T + shift)
    assert np.allclose(moved, full @ rotation.T + shift, rtol=0.0, atol=1e-7)


def test_large_garment_solved_on_proxy(body_cylinder):
    rest, faces = tube(0.095, 0.8, 0.5, 80, 30)
    placed, _ = tube(0.102, 0.8, 0.5, 80, 30)

    result = relax(placed, faces, rest, body_cylinder.vertices, body_cylinder.faces, FABRIC,
                   max_iterations=300, proxy_vertices=600)

    assert result.positions.shape == placed.shape
    assert result.max_penetration_m <= 1e-3
    assert edge_strain(result.positions, rest, faces).mean() > 0.01


def _hanging_strip(grain_deg: float | None, fabric: FabricParams, body_cylinder) -> float:
    """How much longer a 20 x 60 cm strip hanging from its top edge ends, its grain at
    ``grain_deg`` to its length (None: not known)."""
    flat, faces = grid(13, 0.6, 0.0)  # 60 x 60 cm; kept 20 cm wide below
    keep_vertices = np.abs(flat[:, 1]) <= 0.1 + 1e-9
    index = np.cumsum(keep_vertices) - 1
    faces = index[faces[keep_vertices[faces].all(axis=1)]]
    flat = flat[keep_vertices]
    rest = np.column_stack([flat[:, 1], np.full(len(flat), 0.5), 1.5 + flat[:, 0]])  # hanging in y = 0.5
    top = rest[:, 2] > 1.8 - 1e-6
    angle = np.radians(grain_deg or 0.0)
    along = np.array([np.sin(angle), np.cos(angle)])  # the grain in (width, length) coordinates
    frame = np.column_stack([[along[1], -along[0]], along])
    face_uvs = None if grain_deg is None else (np.column_stack([flat[:, 1], flat[:, 0]]) @ frame)[faces]
    x = relax(rest, faces, rest, body_cylinder.vertices, body_cylinder.faces, fabric, pinned=top,
              max_iterations=800, face_uvs=face_uvs).positions
    return float(np.ptp(x[:, 2]) / np.ptp(rest[:, 2]) - 1.0)


def test_a_woven_strip_gives_most_on_the_bias(body_cylinder):
    woven = FabricParams(stretch_compliance=0.05, density=0.3, max_strain=0.5, weft_ratio=1.3, shear_ratio=30.0)
    straight, bias = _hanging_strip(0.0, woven, body_cylinder), _hanging_strip(45.0, woven, body_cylinder)
    across = _hanging_strip(90.0, woven, body_cylinder)
    assert 0.0 < straight < across < bias and bias > 3.0 * straight, (straight, across, bias)
    isotropic = FabricParams(stretch_compliance=0.05, density=0.3, max_strain=0.5)
    unknown = _hanging_strip(None, isotropic, body_cylinder)
    assert _hanging_strip(45.0, isotropic, body_cylinder) == pytest.approx(unknown, rel=1e-3)
