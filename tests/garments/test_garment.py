"""Garment metadata and the normalised per-size meshes."""

from __future__ import annotations

import numpy as np

from garments.garment import Garment
from garments.garment_mesh import GarmentMesh
from garments.ingest.loading import MeshData
from garments.ingest.materials import Material


def test_garment_json_round_trip():
    garment = Garment(id="tee-0123456789", name="Tee", category="top", fabric="jersey",
                      fit="women", sizes=["S", "M"], status="published", base_size="M",
                      reports={"M": {"accepted": True}}, created_at="2026-01-01T00:00:00+00:00")
    assert Garment.from_json(garment.to_json()) == garment


def test_garment_mesh_welds_cleans_and_round_trips(tmp_path):
    # Two triangles split along a UV seam, plus a repeated and a zero-area triangle.
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], float)
    faces = np.array([[0, 1, 2], [3, 5, 4], [0, 1, 2], [0, 0, 1]])
    uvs = np.arange(12, dtype=float).reshape(6, 2)
    material = Material(name="cloth", base_color=(1.0, 0.5, 0.0, 1.0), roughness=0.6,
                        texture=b"\x89PNG fake", texture_name="cloth.png")

    mesh = GarmentMesh.from_mesh(MeshData(vertices, faces, uvs, material))

    assert len(mesh.physics_vertices) == 4
    np.testing.assert_array_equal(mesh.physics_faces, [[0, 1, 2], [1, 3, 2]])
    np.testing.assert_array_equal(mesh.physics_vertices[mesh.render_to_physics], vertices)
    path = tmp_path / "mesh.npz"
    path.write_bytes(mesh.to_bytes())
    loaded = GarmentMesh.load(path)
    for name in ("vertices", "faces", "uvs", "physics_vertices", "physics_faces",
                 "render_to_physics"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(mesh, name))
    assert loaded.material == material
