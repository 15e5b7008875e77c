"""What a scan file says of each point besides where it is: normals and colours.

trimesh reads them: a PLY point cloud's ``nx ny nz`` and ``red green
blue`` properties, a mesh's vertex colours, or its texture sampled at each
vertex's UV (``to_color``). Colours are sRGB 0-255.
"""

from __future__ import annotations

import numpy as np
import trimesh

PLACEHOLDER_TEXELS = 4  # a texture this small is trimesh's placeholder, not a scan's colours


def cloud_normals(cloud) -> np.ndarray | None:
    """(N, 3) normals a PLY point cloud carried (nx, ny, nz), else None."""
    raw = cloud.metadata.get("_ply_raw", {}).get("vertex", {}).get("data")
    # trimesh keeps binary PLY properties as a structured array, ASCII ones as a dict
    names = set(raw) if isinstance(raw, dict) else set(getattr(raw, "dtype", None) and
                                                      raw.dtype.names or ())
    if {"nx", "ny", "nz"} <= names:
        return np.column_stack([raw["nx"], raw["ny"], raw["nz"]]).astype(np.float64)
    return None


def cloud_colours(cloud: trimesh.PointCloud) -> np.ndarray | None:
    """(N, 3) uint8 colours a point cloud carried, else None."""
    colours = np.asarray(getattr(cloud, "colors", ()))
    return colours[:, :3] if len(colours) == len(cloud.vertices) else None


def has_colour(mesh: trimesh.Trimesh) -> bool:
    """Whether a mesh has colour of its own: vertex colours, or a texture with UVs."""
    visual = mesh.visual
    if visual.kind == "vertex":
        return True
    if visual.kind == "texture":
        image = _image(getattr(visual, "material", None))
        # trimesh puts a 2x2 grey image where an OBJ's MTL or texture is missing: no scan's colours
        return image is not None and image.size[0] * image.size[1] > PLACEHOLDER_TEXELS and \
            getattr(visual, "uv", None) is not None
    return False


def surface_colours(mesh: trimesh.Trimesh, points: np.ndarray, faces: np.ndarray) -> np.ndarray | None:
    """(N, 3) uint8 colours at ``points`` (N, 3) on the mesh's triangles ``faces`` (N,):
    its vertex colours blended, or its texture read at the blended UVs; None without colour.
    (trimesh's own ``sample_surface(sample_color=True)`` reads no glTF material's texture.)"""
    if not has_colour(mesh):
        return None
    bary = trimesh.triangles.points_to_barycentric(mesh.triangles[faces], points)
    corners = mesh.faces[faces]
    if mesh.visual.kind == "vertex":
        colours = np.asarray(mesh.visual.vertex_colors, np.float64)[corners, :3]
        return np.clip(np.round(np.einsum("nk,nkc->nc", bary, colours)), 0, 255).astype(np.uint8)
    uv = np.einsum("nk,nkc->nc", bary, np.asarray(mesh.visual.uv, np.float64)[corners])
    return np.asarray(trimesh.visual.color.uv_to_color(uv, _image(mesh.visual.material)))[:, :3]


def _image(material):
    """A material's colour image: a simple material's ``image``, a PBR one's base colour texture."""
    return getattr(material, "image", None) or getattr(material, "baseColorTexture", None)


def vertex_colours(mesh: trimesh.Trimesh) -> np.ndarray | None:
    """(V, 3) uint8 colours of a mesh's vertices (a texture sampled at their UVs), or None."""
    if not has_colour(mesh):
        return None
    visual = mesh.visual if mesh.visual.kind == "vertex" else mesh.visual.to_color()
    return np.asarray(visual.vertex_colors)[:, :3]
