"""One size of a stored garment, normalised: metres, tryon's frame.

Two meshes of one surface: the render mesh as uploaded (UV seams split, so
every vertex has one UV) and the physics mesh (coincident vertices welded,
triangles without area and repeated triangles left out), with the map from
one to the other so a draped physics mesh can be shown with the render mesh:
``render_vertices = physics_vertices[render_to_physics]``.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass

import numpy as np

from garments.ingest.loading import MeshData, weld
from garments.ingest.materials import Material
from garments.ingest.mesh_checks import degenerate_faces, duplicate_faces


@dataclass(frozen=True)
class GarmentMesh:
    """vertices (N, 3) float64 m, faces (F, 3) int64, uvs (N, 2) or None;
    physics_vertices (M, 3) float64 m, physics_faces (P, 3) int64;
    render_to_physics (N,) int64; material."""

    vertices: np.ndarray
    faces: np.ndarray
    uvs: np.ndarray | None
    physics_vertices: np.ndarray
    physics_faces: np.ndarray
    render_to_physics: np.ndarray
    material: Material

    @classmethod
    def from_mesh(cls, mesh: MeshData) -> GarmentMesh:
        """Weld and clean a validated mesh in metres."""
        welded = weld(mesh.vertices, mesh.faces)
        bad = degenerate_faces(welded.vertices, welded.faces) | duplicate_faces(welded.faces)
        return cls(vertices=np.asarray(mesh.vertices, dtype=np.float64),
                   faces=np.asarray(mesh.faces, dtype=np.int64), uvs=mesh.uvs,
                   physics_vertices=welded.vertices, physics_faces=welded.faces[~bad],
                   render_to_physics=welded.index, material=mesh.material)

    def physics_face_uvs(self) -> np.ndarray | None:
        """(P, 3, 2) the UVs of each physics face's corners, from the render face it came
        from (seams split UVs, so a welded vertex has one UV per side), or None without
        UVs. A sewn garment's UVs are its pattern in metres of fabric, v along the grain."""
        if self.uvs is None:
            return None
        n = np.int64(len(self.physics_vertices))
        welded = self.render_to_physics[self.faces]
        keys = (welded[:, 0] * n + welded[:, 1]) * n + welded[:, 2]
        order = np.argsort(keys, kind="stable")
        wanted = (self.physics_faces[:, 0] * n + self.physics_faces[:, 1]) * n + self.physics_faces[:, 2]
        found = order[np.clip(np.searchsorted(keys[order], wanted), 0, len(order) - 1)]
        return self.uvs[self.faces[found]]

    def to_bytes(self) -> bytes:
        """A compressed npz (no pickles)."""
        arrays = {
            "vertices": self.vertices, "faces": self.faces,
            "physics_vertices": self.physics_vertices, "physics_faces": self.physics_faces,
            "render_to_physics": self.render_to_physics,
            "material": np.array(json.dumps(self.material.as_dict())),
            "texture": np.frombuffer(self.material.texture or b"", dtype=np.uint8),
        }
        if self.uvs is not None:
            arrays["uvs"] = self.uvs
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def load(cls, path: str | os.PathLike) -> GarmentMesh:
        with np.load(path, allow_pickle=False) as data:
            texture = data["texture"].tobytes() or None
            return cls(
                vertices=data["vertices"], faces=data["faces"],
                uvs=data["uvs"] if "uvs" in data else None,
                physics_vertices=data["physics_vertices"], physics_faces=data["physics_faces"],
                render_to_physics=data["render_to_physics"],
                material=Material.from_dict(json.loads(str(data["material"])), texture))
