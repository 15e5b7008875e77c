"""A sewn garment as the file a merchandiser would upload: an OBJ with its pattern's UVs.

Each piece keeps its own vertices, so the UV seams are the garment's seams;
the store welds the pieces into one physics mesh where their vertices meet
(``garments.garment_mesh``). UVs are the flat pattern in metres of fabric, u
across the grain and v along it: a print tile of 1 x 1 is a metre of cloth,
lying on every piece as it was cut.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import trimesh

from avatars.body_models.registry import get_body_model
from garments.mannequin import mannequin, mannequin_geometry
from garments.patterns.pattern import Pattern, Stitch
from tryon.cloth.fabric import solver_fabric
from tryon.sewing.sewing import SewnGarment, grain_frame, sew


def sewn_mesh(sewn: SewnGarment) -> trimesh.Trimesh:
    """The render mesh: every piece's vertices where the sewing left them, its UVs."""
    vertices, faces, uvs, offset = [], [], [], 0
    for piece in sewn.pieces:
        vertices.append(sewn.vertices[piece.vertex_ids])
        faces.append(piece.faces + offset)
        uvs.append(piece.flat @ grain_frame(piece.grain) / 100.0)  # metres of fabric
        offset += len(piece.flat)
    return trimesh.Trimesh(np.vstack(vertices), np.vstack(faces), process=False,
                           visual=trimesh.visual.TextureVisuals(uv=np.vstack(uvs)))


def write_obj(mesh: trimesh.Trimesh, colour: str, folder: Path, stem: str) -> Path:
    """Write ``stem``.obj with its UVs and ``stem``.mtl with the base colour ``#rrggbb``."""
    rgb = [int(colour[i: i + 2], 16) for i in (1, 3, 5)]
    visual = trimesh.visual.TextureVisuals(
        uv=mesh.visual.uv, material=trimesh.visual.material.SimpleMaterial(diffuse=rgb + [255]))
    textured = trimesh.Trimesh(mesh.vertices, mesh.faces, visual=visual, process=False)
    text, files = trimesh.exchange.obj.export_obj(textured, include_texture=True, return_texture=True,
                                                  mtl_name=f"{stem}.mtl")
    for name, data in files.items():
        (folder / name).write_bytes(data)
    path = folder / f"{stem}.obj"
    path.write_text(text)
    return path


def sew_files(pattern: Pattern, sizes: dict[str, str | None], category: str, fabric: str, fit: str,
              folder: Path, colour: str = "#8a8f98", placements: dict | None = None,
              stitches: tuple[Stitch, ...] | None = None,
              progress: Callable[[float, str], None] = lambda share, message: None) -> tuple[dict, dict]:
    """Sew ``pattern`` in each size of ``sizes`` ({garment size: the pattern's size label, or
    None for a pattern of one size}) on the ``fit``'s mannequin of that size, in ``fabric``
    (a preset name), and write each as ``folder/<size>.obj``. Returns ({size: path},
    {size: the sewing's report})."""
    params = solver_fabric(fabric)
    paths, reports = {}, {}
    for number, (size, label) in enumerate(sizes.items()):
        body = mannequin(fit, size)
        model = get_body_model(body.sex)

        def step(share: float, message: str, number=number) -> None:
            progress((number + share) / len(sizes), f"size {size}: {message}")

        sewn = sew(pattern, label, category, mannequin_geometry(fit, size), model.landmarks, params,
                   placements, stitches, progress=step)
        paths[size] = write_obj(sewn_mesh(sewn), colour, folder, size)
        reports[size] = sewn.report
    return paths, reports
