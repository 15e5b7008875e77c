"""Grading: every size of a garment from one base size.

The base garment is bound to the mannequin of its size (see
``garments.surface_binding``) and placed on the mannequin of each other size:
all mannequins of a fit share one topology, so it keeps its ease (the gap to
the body) while the body under it grows or shrinks. A grading rule may also
lengthen or shorten a size: ``length_scale`` 1.04 makes everything below the
garment's top edge 4 % longer (hems and cuffs move; the neckline or
waistband stays).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from garments.ingest.loading import MeshData
from garments.mannequin import mannequin_mesh
from garments.surface_binding import bind, place


def grade(mesh: MeshData, fit: str, base_size: str, sizes: Iterable[str],
          length_scale: Mapping[str, float] | None = None) -> dict[str, MeshData]:
    """Each size's mesh from the base size's mesh (metres, on its mannequin).

    Faces, UVs and material are the base's; vertices (N, 3) move. sizes may
    include the base size, which comes back unchanged unless scaled.
    """
    length_scale = length_scale or {}
    base = mannequin_mesh(fit, base_size)
    binding = bind(mesh.vertices, base.vertices, base.faces)
    graded = {}
    for size in sizes:
        if size == base_size:
            vertices = mesh.vertices
        else:
            target = mannequin_mesh(fit, size)
            vertices = place(binding, target.vertices, target.faces)
        scale = float(length_scale.get(size, 1.0))
        if scale != 1.0:
            vertices = scale_length(vertices, scale)
        graded[size] = MeshData(vertices, mesh.faces, mesh.uvs, mesh.material)
    return graded


def scale_length(vertices, factor: float) -> np.ndarray:
    """(N, 3) vertices with heights below the top scaled by ``factor`` about it."""
    vertices = np.array(vertices, dtype=np.float64)
    top = vertices[:, 2].max()
    vertices[:, 2] = top - factor * (top - vertices[:, 2])
    return vertices
