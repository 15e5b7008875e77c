"""The mannequins garments are authored on: one reference body per fit and size.

Garments come in sizes, and each size is authored on the mannequin of that
size: the body of the size chart below, standing in the A-pose, in tryon's
frame (metres, Z-up, facing -Y, feet on z = 0). ``tryon mannequin`` exports
them as OBJ or GLB for CLO, Marvelous Designer or Blender.

Numeric sizes map onto the letter chart (EU women's 32-34 are XS, ...).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import trimesh

from avatars.avatar import Avatar, pose_avatar, solve_avatars, spec
from garments.body_regions import BodyGeometry, posed_geometry
from garments.size_chart import SizeChart, parse_size_chart
from garments.sizes import normalize_size

FITS = ("women", "men")
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
# Size charts, centimetres: (bust/chest, waist, hips); heights per fit.
SIZE_CHARTS = {
    "women": {"XS": (82, 64, 90), "S": (86, 68, 94), "M": (92, 74, 100),
              "L": (98, 80, 106), "XL": (104, 87, 112), "XXL": (112, 96, 120)},
    "men": {"XS": (86, 72, 88), "S": (92, 78, 94), "M": (98, 84, 100),
            "L": (104, 90, 104), "XL": (110, 98, 110), "XXL": (118, 106, 116)},
}
HEIGHTS_CM = {"women": 168, "men": 180}
# EU numeric sizes -> letter sizes (women's 32-54, men's 42-60).
NUMERIC_SIZES = {
    "women": {"32": "XS", "34": "XS", "36": "S", "38": "M", "40": "M", "42": "L",
              "44": "XL", "46": "XL", "48": "XXL", "50": "XXL"},
    "men": {"42": "XS", "44": "XS", "46": "S", "48": "M", "50": "L", "52": "L",
            "54": "XL", "56": "XXL", "58": "XXL"},
}
_SEX = {"women": "female", "men": "male"}


def mannequin_chart(fit: str, sizes) -> SizeChart:
    """The size chart of the mannequins of ``fit`` in ``sizes`` (letter sizes): what
    a garment cut on them is made for, the table a shop would show with it."""
    return parse_size_chart({"unit": "cm", "sizes": {
        size: {"bust": bust, "waist": waist, "hips": hips}
        for size in sizes for bust, waist, hips in [SIZE_CHARTS[fit][letter_size(fit, size)]]}})


def letter_size(fit: str, size: str) -> str:
    """The chart size a garment size is authored on ("38" -> "M" for women)."""
    if fit not in FITS:
        raise ValueError(f"fit must be one of {', '.join(FITS)}, got {fit!r}")
    size = normalize_size(size)
    if size in SIZES:
        return size
    if size in NUMERIC_SIZES[fit]:
        return NUMERIC_SIZES[fit][size]
    known = ", ".join(SIZES + tuple(NUMERIC_SIZES[fit]))
    raise ValueError(f"unknown {fit}'s size {size!r}; sizes are {known}")


@cache
def mannequins() -> dict[tuple[str, str], Avatar]:
    """Every mannequin by (fit, letter size), solved once and cached."""
    specs = [
        spec(f"mannequin-{fit}-{size}", f"{fit.title()}'s mannequin, size {size}", _SEX[fit],
             HEIGHTS_CM[fit], *SIZE_CHARTS[fit][size], "average", 30, 4)
        for fit in FITS for size in SIZES
    ]
    solved = solve_avatars("mannequins", specs)
    return {(fit, size): a for (fit, size), a in zip(
        [(f, s) for f in FITS for s in SIZES], solved)}


def mannequin(fit: str, size: str) -> Avatar:
    return mannequins()[(fit, letter_size(fit, size))]


def mannequin_mesh(fit: str, size: str, pose: str = "a-pose") -> trimesh.Trimesh:
    """The mannequin's surface in tryon's frame; vertex order is the body model's."""
    model, body = pose_avatar(mannequin(fit, size), pose)
    return trimesh.Trimesh(
        body.vertices[0].numpy().astype(np.float64), model.faces, process=False
    )


def mannequin_geometry(fit: str, size: str) -> BodyGeometry:
    """The A-posed mannequin of ``fit`` and ``size``, with its regions and
    landmark heights (``garments.body_regions``)."""
    body = mannequin(fit, size)
    return posed_geometry(body.sex, body.shape, "a-pose")


def export_mannequin(fit: str, size: str, pose: str, path: Path) -> None:
    """Write the mannequin as .obj, .glb or .ply (by suffix), metres, Z-up."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".obj", ".glb", ".ply"):
        raise ValueError("mannequin files are .obj, .glb or .ply")
    mesh = mannequin_mesh(fit, size, pose)
    data = mesh.export(file_type=suffix[1:])
    Path(path).write_bytes(data if isinstance(data, bytes) else data.encode())
