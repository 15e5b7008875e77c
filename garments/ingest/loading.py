"""Loading garment meshes: OBJ (with MTL and textures), GLB/glTF and PLY.

``load_mesh`` never raises for anything about the file: a bad file comes
back as plain-language ``LoadError``s (with line numbers for OBJ). The mesh
keeps the file's vertex order (a file of several meshes is joined into one,
all its pieces and layers kept) less the vertices no face uses; where an OBJ
gives one position several UVs (a UV seam) the position is split into one
vertex per UV, as rendering needs. UVs are kept as the file gives them, also
outside 0-1. An OBJ's quads and n-gons are triangulated (``polygons``) and
statements a garment does not use are skipped with a note
(``obj_statements``).
``weld`` merges such coincident vertices back into one for physics.

Files a mesh refers to (an OBJ's MTL and textures, a glTF's buffers and
images) are looked up by their base name only: next to the uploaded file, or
in the ``companions`` given with uploaded bytes. A reference can never reach
another folder.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from trimesh.resolvers import Resolver

from garments.ingest.materials import Material, material_from_visual
from garments.ingest.obj_scan import scan_obj
from garments.ingest.textures import (
    TextureTooLarge, check_glb_images, check_gltf_images, check_image, check_obj_textures,
    limit_pillow,
)

FORMATS = {".obj": "obj", ".glb": "glb", ".gltf": "gltf", ".ply": "ply"}
FORMAT_NAMES = {"obj": "OBJ", "glb": "GLB", "gltf": "glTF", "ply": "PLY"}


@dataclass(frozen=True)
class MeshData:
    """A garment mesh for rendering.

    vertices: (N, 3) float64, in the file's units until normalised;
    faces: (F, 3) int64; uvs: (N, 2) float64 texture coordinates as the file
    gives them (pattern-space UVs run past 0-1: the texture repeats), or None.
    """

    vertices: np.ndarray
    faces: np.ndarray
    uvs: np.ndarray | None
    material: Material


@dataclass(frozen=True)
class LoadError:
    code: str  # "empty_file", "unknown_format", "not_text", "parse_error", "truncated", ...
    message: str
    line: int | None = None


@dataclass
class LoadResult:
    """mesh is None exactly when errors is not empty. companions: the files
    read alongside the mesh, by base name; warnings: what the garment lacks
    because a file it refers to (an MTL, a texture) was not uploaded;
    notes: other things worth telling."""

    mesh: MeshData | None = None
    errors: list[LoadError] = field(default_factory=list)
    format: str | None = None
    companions: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class Welded(NamedTuple):
    """vertices (M, 3); faces (F, 3) int64 into them; index (N,) int64: the
    welded vertex of each input vertex."""

    vertices: np.ndarray
    faces: np.ndarray
    index: np.ndarray


def load_mesh(source: str | os.PathLike | bytes, filename: str | None = None,
              companions: Mapping[str, bytes] | None = None) -> LoadResult:
    """Load a garment mesh from a path, or from bytes plus their filename.

    filename: names the format (by extension) and appears in messages; for a
    path it defaults to the path's name. companions: the files the mesh may
    refer to (MTL, textures, .bin), by base name; for a path they default to
    the files next to it (``FolderFiles``).
    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        path = Path(source)
        filename = filename or path.name
        try:
            data = path.read_bytes()
        except OSError as error:
            return LoadResult(errors=[LoadError("unreadable", f"The file {filename!r} could "
                                                f"not be read ({error.strerror or error}).")])
        companions = FolderFiles(path.parent) if companions is None else companions

    suffix = Path(filename or "").suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        shown = f"'{suffix}'" if suffix else "without an extension"
        return LoadResult(errors=[LoadError(
            "unknown_format", f"Files {shown} are not supported: upload OBJ (with its MTL and "
            "textures), GLB, glTF or PLY.")])
    if not data.strip():
        return LoadResult(format=fmt, errors=[LoadError("empty_file", "The file is empty.")])

    maintain_order, notes = True, []
    if fmt == "obj":
        scan = scan_obj(data)
        if scan.problems:
            errors = [LoadError(p.code, p.message, p.line) for p in scan.problems]
            if scan.more_problems:
                errors.append(LoadError("parse_error", f"... and {scan.more_problems:,} more "
                                        "problems like these."))
            return LoadResult(format=fmt, errors=errors)
        # Triangles without normals: trimesh's unmerging path keeps the file's
        # order and UVs (see obj_scan), where its order-keeping one loses them.
        data, notes, maintain_order = scan.text.encode(), scan.notes, False

    limit_pillow()
    resolver = _CompanionResolver(companions or {})
    try:
        if fmt == "glb":
            check_glb_images(data)
        elif fmt == "obj":
            check_obj_textures(data, resolver.files)
        elif fmt == "gltf":
            check_gltf_images(data, resolver.files)
        scene = trimesh.load_scene(io.BytesIO(data), file_type=fmt, resolver=resolver,
                                   process=False, maintain_order=maintain_order)
    except TextureTooLarge as error:
        return LoadResult(format=fmt, errors=[LoadError("texture_too_large", str(error))])
    except Exception as error:  # trimesh raises many types for damaged files
        if resolver.missing:
            needed = _names(resolver.missing)
            return LoadResult(format=fmt, errors=[LoadError(
                "missing_file", f"The {FORMAT_NAMES[fmt]} file needs {needed}, not uploaded with "
                "it. Upload the files together.")])
        return LoadResult(format=fmt, errors=[LoadError(
            "parse_error", f"The {FORMAT_NAMES[fmt]} file could not be read; it may be damaged "
            f"or truncated ({error}).")])
    result = _from_scene(scene, resolver.read)
    result.format = fmt
    if result.ok:
        result.notes[:0] = notes
        result.notes.extend(_uv_range_notes(result.mesh.uvs))
        if resolver.missing:
            result.warnings.append(f"The file refers to {_names(resolver.missing)}, not "
                                   "uploaded with it; the garment is shown without it.")
    return result


def _uv_range_notes(uvs: np.ndarray | None) -> list[str]:
    """A note when UVs (N, 2) leave 0-1, as pattern-space UVs (in centimetres,
    say) do: they are kept as they are, and the texture tiles across them."""
    if uvs is None or not len(uvs):
        return []
    low, high = uvs.min(axis=0), uvs.max(axis=0)
    if low.min() >= -1e-6 and high.max() <= 1 + 1e-6:
        return []
    return [f"Texture coordinates run from ({low[0]:g}, {low[1]:g}) to ({high[0]:g}, "
            f"{high[1]:g}), outside 0-1 (pattern space): they are kept as they are, so the "
            "texture will repeat across the garment."]


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in dict.fromkeys(names))


def weld(vertices, faces, tolerance: float = 1e-6) -> Welded:
    """Merge vertices closer than ``tolerance`` (the vertices' units, metres
    once normalised), and those in one ``tolerance`` grid cell. Welded
    vertices keep the order of their first copy.

    vertices: (N, 3) finite; faces: (F, 3). Time and memory grow with N, not
    with how many vertices coincide: copies of one position are one grid cell
    before any pair is sought (pairs of 12,000 copies took 4.4 GB), and
    distinct cells within ``tolerance`` of each other are at most 26 per cell.
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    count = len(vertices)
    _, cell, members = np.unique(np.floor(vertices / tolerance).astype(np.int64), axis=0,
                                 return_index=True, return_inverse=True)
    members = members.reshape(-1)
    pairs = cKDTree(vertices[cell]).query_pairs(tolerance, output_type="ndarray")
    cells = len(cell)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(cells, cells))
    groups, cell_label = connected_components(graph, directed=False)
    label = cell_label[members]
    first = np.full(groups, count, dtype=np.int64)
    np.minimum.at(first, label, np.arange(count))
    rank = np.empty(groups, dtype=np.int64)
    rank[np.argsort(first)] = np.arange(groups)
    index = rank[label]
    return Welded(vertices[np.sort(first)], index[np.asarray(faces, dtype=np.int64)], index)


def _from_scene(scene: trimesh.Scene, files: dict[str, bytes]) -> LoadResult:
    """One MeshData from every triangle mesh of a scene, placed by its node."""
    pieces = []
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        geometry = scene.geometry[name]
        if isinstance(geometry, trimesh.Trimesh) and len(geometry.faces):
            pieces.append((np.asarray(transform, dtype=np.float64), geometry))
    if not pieces:
        points = any(len(getattr(g, "vertices", ())) for g in scene.geometry.values())
        message = ("The file has points but no faces: a garment must be a surface mesh."
                   if points else "The file holds no mesh.")
        return LoadResult(errors=[LoadError("no_faces", message)], companions=files)

    vertices, faces, uvs, offset = [], [], [], 0
    for transform, mesh in pieces:
        piece_faces = np.asarray(mesh.faces, dtype=np.int64)
        if piece_faces.min() < 0 or piece_faces.max() >= len(mesh.vertices):
            return LoadResult(errors=[LoadError(
                "parse_error", f"Some faces refer to vertices the file does not have (it has "
                f"{len(mesh.vertices):,}).")], companions=files)
        rotation = transform[:3, :3]
        if np.linalg.det(rotation) < 0:  # a mirroring node turns faces inside out
            piece_faces = piece_faces[:, ::-1]
        vertices.append(np.asarray(mesh.vertices, dtype=np.float64) @ rotation.T + transform[:3, 3])
        faces.append(piece_faces + offset)
        offset += len(mesh.vertices)
        uv = getattr(mesh.visual, "uv", None)
        uvs.append(None if uv is None or len(uv) != len(mesh.vertices) else np.asarray(uv))

    notes = []
    if len(pieces) > 1:
        notes.append(f"The file holds {len(pieces)} meshes; they were joined into one garment "
                     "with the material of the largest.")
    if any(uv is None for uv in uvs) and not all(uv is None for uv in uvs):
        notes.append("Only some meshes have texture coordinates, so none are kept.")
    largest = max((mesh for _, mesh in pieces), key=lambda mesh: len(mesh.faces))
    all_uvs = None if any(uv is None for uv in uvs) else np.concatenate(uvs).astype(np.float64)
    vertices, faces = np.concatenate(vertices), np.concatenate(faces)
    # Keep the vertices faces use, in order (a PLY or glTF may carry others;
    # an OBJ's are dropped by trimesh and noted by the scan).
    used = np.unique(faces)
    if len(used) < len(vertices):
        dropped = len(vertices) - len(used)
        notes.append(f"Dropped {dropped:,} {'vertex' if dropped == 1 else 'vertices'} that no "
                     "face uses.")
        remap = np.zeros(len(vertices), dtype=np.int64)
        remap[used] = np.arange(len(used))
        vertices, faces = vertices[used], remap[faces]
        all_uvs = None if all_uvs is None else all_uvs[used]
    mesh = MeshData(vertices=vertices, faces=faces, uvs=all_uvs,
                    material=material_from_visual(largest.visual, files))
    return LoadResult(mesh=mesh, companions=files, notes=notes)


class FolderFiles(Mapping[str, bytes]):
    """The regular files directly in one folder, by name, read on access.

    Names with a folder part, '..', and symbolic links are never served.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def __getitem__(self, name: str) -> bytes:
        path = self.folder / name
        if _base_name(name) != name or path.is_symlink() or not path.is_file():
            raise KeyError(name)
        try:
            return path.read_bytes()
        except OSError:
            raise KeyError(name) from None

    def __iter__(self):
        return (p.name for p in sorted(self.folder.iterdir())
                if p.is_file() and not p.is_symlink())

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _CompanionResolver(Resolver):
    """Serves the files a mesh refers to by base name, and remembers what it read."""

    def __init__(self, files: Mapping[str, bytes]):
        self.files = files
        self.read: dict[str, bytes] = {}
        self.missing: list[str] = []

    def get(self, name):
        base = _base_name(name)
        data = self.files.get(base) if base else None
        if data is None:
            self.missing.append(str(name))
            raise FileNotFoundError(f"{name!r} was not uploaded with the mesh")
        check_image(base, bytes(data))  # before trimesh decodes it (TextureTooLarge)
        self.read[base] = bytes(data)
        return self.read[base]

    def write(self, name, data):
        raise PermissionError("loading never writes files")

    def namespaced(self, namespace):
        return self  # references are flattened to base names anyway

    def keys(self):
        return self.read.keys()


def _base_name(name) -> str | None:
    """The last part of a reference ('tex/a.png', 'tex\\a.png' -> 'a.png'); None for '..'."""
    base = str(name).strip().replace("\\", "/").rsplit("/", 1)[-1]
    return None if base in ("", ".", "..") else base
