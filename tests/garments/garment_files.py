"""Test garments: a tube around a mannequin's torso, written as real files.

The tube is the mannequin's own surface between waist and chest, offset
along its normals; its cylindrical UVs wrap around, so the OBJ has a UV seam.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

TORSO_BAND = (0.6, 0.72)  # waist to chest, as fractions of stature


def torso_tube(body: trimesh.Trimesh, offset: float = 0.015) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (N, 3) m, faces (F, 3)) of the torso surface moved ``offset``
    metres along the normals (negative: into the body)."""
    vertices, faces = np.asarray(body.vertices), np.asarray(body.faces)
    floor, height = vertices[:, 2].min(), np.ptp(vertices[:, 2])
    in_band = ((vertices[:, 2] >= floor + TORSO_BAND[0] * height)
               & (vertices[:, 2] <= floor + TORSO_BAND[1] * height))
    faces = faces[in_band[faces].all(axis=1)]
    # The band also cuts through both arms: keep the largest piece, the torso.
    graph = coo_matrix((np.ones(2 * len(faces)), (np.repeat(faces[:, 0], 2), faces[:, 1:].ravel())),
                       shape=(len(vertices),) * 2)
    _, label = connected_components(graph, directed=False)
    face_label = label[faces[:, 0]]
    faces = faces[face_label == np.bincount(face_label).argmax()]
    used = np.unique(faces)
    remap = np.full(len(vertices), -1)
    remap[used] = np.arange(len(used))
    return vertices[used] + offset * np.asarray(body.vertex_normals)[used], remap[faces]


def cylinder_uvs(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F, 3, 2) UVs per face corner: angle around the axis, height. Corners
    of faces that straddle the wrap get u + 1, which makes a UV seam."""
    centre = vertices.mean(axis=0)
    u = (np.arctan2(vertices[:, 1] - centre[1], vertices[:, 0] - centre[0]) / (2 * np.pi)) % 1.0
    v = (vertices[:, 2] - vertices[:, 2].min()) / np.ptp(vertices[:, 2])
    corner_u, corner_v = u[faces], v[faces]
    wraps = corner_u.max(axis=1) - corner_u.min(axis=1) > 0.5
    corner_u[wraps] = np.where(corner_u[wraps] < 0.5, corner_u[wraps] + 1.0, corner_u[wraps])
    return np.stack([corner_u, corner_v], axis=2)


def png_bytes(size=(16, 8), color=(180, 40, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def obj_text(vertices, faces, corner_uvs=None, material: str | None = None) -> str:
    """OBJ text; with corner UVs, one 'vt' per distinct corner UV."""
    lines = [f"mtllib {material}.mtl", f"usemtl {material}"] if material else []
    lines += [f"v {x:.10f} {y:.10f} {z:.10f}" for x, y, z in vertices]
    if corner_uvs is None:
        lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]
    else:
        uvs, index = np.unique(corner_uvs.reshape(-1, 2).round(8), axis=0, return_inverse=True)
        lines += [f"vt {s:.8f} {t:.8f}" for s, t in uvs]
        index = index.reshape(-1, 3)
        lines += ["f " + " ".join(f"{v + 1}/{t + 1}" for v, t in zip(face, uv_face))
                  for face, uv_face in zip(faces, index)]
    return "\n".join(lines) + "\n"


def write_obj_with_texture(folder: Path, vertices, faces, stem="tube") -> Path:
    """tube.obj + tube.mtl + tube.png in folder; returns the OBJ's path."""
    uvs = cylinder_uvs(vertices, faces)
    (folder / f"{stem}.obj").write_text(obj_text(vertices, faces, uvs, stem))
    (folder / f"{stem}.mtl").write_text(
        f"newmtl {stem}\nKd 0.2 0.4 0.6\nNs 250\nmap_Kd {stem}.png\n")
    (folder / f"{stem}.png").write_bytes(png_bytes())
    return folder / f"{stem}.obj"


def glb_bytes(vertices, faces) -> bytes:
    """A GLB with per-vertex UVs, a base colour, roughness and a PNG texture."""
    uv = np.stack([np.linspace(0, 1, len(vertices)), np.linspace(1, 0, len(vertices))], axis=1)
    material = PBRMaterial(baseColorFactor=[51, 102, 153, 255], roughnessFactor=0.7,
                           baseColorTexture=Image.open(io.BytesIO(png_bytes())))
    mesh = trimesh.Trimesh(vertices, faces, process=False,
                           visual=TextureVisuals(uv=uv, material=material))
    return mesh.export(file_type="glb")


def ply_bytes(vertices, faces) -> bytes:
    return trimesh.Trimesh(vertices, faces, process=False).export(file_type="ply")
