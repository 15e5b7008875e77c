"""Grading: every size of a garment from one base size.

The base garment is bound to the mannequin of its size (see
``garments.surface_binding``) and placed on the mannequin of each other size:
all mannequins of a fit share one topology, so it keeps its ease (the gap to
the body) while the body under it grows or shrinks. A grading rule may also
lengthen or shorten a size: ``length_scale`` 1.04 makes everything below the
garment's top edge 4 % longer (hems and cuffs move; the neckline or
waistband stays).

A base size made on another avatar (``grade_from_source``) is graded the
same way, in the pose it was made in: it is bound to its fitted source
body, and each other size is placed on that size's mannequin shape posed as
the source body was (a T-pose stays a T-pose, so grading never stretches a
sleeve), which becomes that size's source body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from garments.ingest.loading import MeshData
from garments.mannequin import mannequin, mannequin_mesh
from garments.source_body import SourceBody
from garments.surface_binding import bind, place


def grade(mesh: MeshData, fit: str, base_size: str, sizes: Iterable[str],
          length_scale: Mapping[str, float] | None = None) -> dict[str, MeshData]:
    """Each size's mesh from the base size's mesh (metres, on its mannequin).

    Faces, UVs and material are the base's; vertices (N, 3) move. sizes may
    include the base size, which comes back unchanged unless scaled.
    """
    base = mannequin_mesh(fit, base_size)
    return _graded(mesh, bind(mesh.vertices, base.vertices, base.faces), base_size, sizes,
                   length_scale, lambda size: mannequin_mesh(fit, size))


def grade_from_source(mesh: MeshData, source: SourceBody, fit: str, base_size: str,
                      sizes: Iterable[str], length_scale: Mapping[str, float] | None = None
                      ) -> dict[str, tuple[MeshData, SourceBody]]:
    """Each size's mesh and the body it now sits on, from a base size made on
    ``source`` (``mesh`` in the body model's frame, as validation returns it).

    The base size keeps ``source``; every other size gets its mannequin's
    shape in ``source``'s pose, with no transform (its mesh is in the body
    model's frame already).
    """
    authored = source.geometry()
    bodies = {size: source if size == base_size else SourceBody(
        sex=mannequin(fit, size).sex, backend=source.backend, shape=tuple(mannequin(fit, size).shape),
        pose=source.pose, transform=np.eye(4),
        report={"graded_from": base_size, "pose": source.report.get("pose")})
        for size in sizes}
    graded = _graded(mesh, bind(mesh.vertices, authored.vertices, authored.faces), base_size,
                     sizes, length_scale, lambda size: bodies[size].geometry())
    return {size: (graded[size], bodies[size]) for size in graded}


def _graded(mesh: MeshData, binding, base_size: str, sizes: Iterable[str],
            length_scale: Mapping[str, float] | None, body_of) -> dict[str, MeshData]:
    """The base mesh placed on ``body_of(size)`` (anything with vertices and
    faces) for each size, lengths scaled."""
    length_scale = length_scale or {}
    graded = {}
    for size in sizes:
        if size == base_size:
            vertices = mesh.vertices
        else:
            target = body_of(size)
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
