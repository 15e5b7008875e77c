"""The hairstyles and hair colours bodies can wear, and the hair mesh of one on a posed body.

Styles (``HAIRSTYLES``): very short, short, bob, shoulder-length, long,
tied back (a bun), afro, locs, and a head covering (a fabric scarf, coloured
from ``COVERING_COLOURS`` by the hair colour asked for). Colours (``HAIR_COLOURS``): natural ones, sRGB.
``hair_mesh`` builds the style on a posed body of a model
(``avatars.hair.shapes``): the same style fits every body and pose.
Metres; the model's frame (Z up, facing -Y).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from avatars.appearance.face_features import connected_parts
from avatars.body_models.base import BodyModel
from avatars.hair import shapes
from avatars.hair.scalp import scalp


@dataclass(frozen=True)
class Hairstyle:
    """crown_m / hairline_m: the cap's thickness on the head and at the hairline;
    top_m: extra volume on top; length_m: how far below the eyes the hair falls
    (None: no curtain); front_deg: where the curtain starts round the face;
    side_length_m: the curtain beside the face stops this far below the eyes
    (on the shoulders); bun, locs: a bun at the back, locs hanging round it;
    covering: a head covering of fabric (a scarf worn over the hair, round the
    face and onto the shoulders) instead of hair."""

    crown_m: float
    hairline_m: float
    top_m: float = 0.0
    length_m: float | None = None
    front_deg: float = 60.0
    side_length_m: float | None = None
    bun: bool = False
    locs: bool = False
    covering: bool = False


HAIRSTYLES = {
    "very-short": Hairstyle(0.004, 0.002),
    "short": Hairstyle(0.014, 0.004, top_m=0.01),
    "bob": Hairstyle(0.014, 0.005, length_m=0.085, front_deg=62.0),
    "shoulder-length": Hairstyle(0.014, 0.005, length_m=0.2, front_deg=62.0, side_length_m=0.17),
    "long": Hairstyle(0.014, 0.005, length_m=0.38, front_deg=62.0, side_length_m=0.17),
    "tied-back": Hairstyle(0.006, 0.003, bun=True),
    "afro": Hairstyle(0.045, 0.022, top_m=0.015),
    "locs": Hairstyle(0.012, 0.004, locs=True),
    "head-covering": Hairstyle(0.016, 0.016, covering=True),
}
HAIR_COLOURS = {  # sRGB
    "black": (28, 24, 22), "dark-brown": (52, 36, 26), "brown": (92, 62, 40), "auburn": (120, 56, 32),
    "blonde": (196, 160, 104), "grey": (150, 146, 140),
}
NO_HAIR = "none"  # asked for instead of a style: the body without hair
DEFAULT_COLOUR = "dark-brown"  # for a body given a style without a colour
# A body made from a shopper's measurements starts with one of these; the shopper can change it.
DEFAULT_HAIR = {"female": ("shoulder-length", DEFAULT_COLOUR), "male": ("short", DEFAULT_COLOUR),
                "neutral": ("short", DEFAULT_COLOUR)}
HAIR_ROUGHNESS = 0.5  # hair has a sheen skin and cotton do not
# a head covering is a fabric: its colour (sRGB) for each hair colour asked for, matte
COVERING_COLOURS = {"black": (30, 30, 36), "dark-brown": (70, 52, 44), "brown": (122, 98, 80),
                    "auburn": (128, 46, 46), "blonde": (206, 190, 160), "grey": (120, 124, 132)}
COVERING_ROUGHNESS = 0.85
# the face left open by a head covering: within this azimuth of the face, and between
# these heights (m) below and above the eyes
FACE_OPENING = (math.radians(52.0), -0.115, 0.05)
COVERING_DEPTH_M = 0.25  # below the eyes, where a head covering ends in front and behind
COVERING_CLEARANCE_M = 0.008
BUN_RADII_M = (0.036, 0.036, 0.032)
LOCS = 16
LOC_RADIUS_M = 0.006


@dataclass(frozen=True)
class HairMesh:
    """vertices: (N, 3) float32 metres; faces: (F, 3) int64; vertex_rgb: (N, 3) uint8
    sRGB (streaks along the hair); roughness: 0-1."""

    vertices: np.ndarray
    faces: np.ndarray
    vertex_rgb: np.ndarray
    roughness: float


def check_hair(style: str | None, colour: str | None) -> None:
    """ValueError naming the choices for an unknown style (or ``NO_HAIR``) or colour; None passes."""
    if style is not None and style not in HAIRSTYLES and style != NO_HAIR:
        raise ValueError(f"hair must be one of {', '.join([*HAIRSTYLES, NO_HAIR])}, got {style!r}")
    if colour is not None and colour not in HAIR_COLOURS:
        raise ValueError(f"hair colour must be one of {', '.join(HAIR_COLOURS)}, got {colour!r}")


def hair_mesh(model: BodyModel, body: np.ndarray, style: str, colour: str,
              worn: np.ndarray | None = None) -> HairMesh:
    """``style`` in ``colour`` on a posed body (V, 3) metres of ``model``; worn: (K, 3)
    points of what the body wears (garments), which long hair falls over, as it does
    over the body (the arms excepted)."""
    check_hair(style, colour)
    spec = HAIRSTYLES[style]
    head = scalp(model)
    body = np.asarray(body, np.float64)
    centre, eyes, forward = head.head_frame(body)
    parts = [shapes.cap(body, model.faces, head, spec.crown_m, spec.hairline_m, spec.top_m)]
    torso = body[~model.arm_vertex_mask()]
    if worn is not None and len(worn):
        torso = np.concatenate([torso, np.asarray(worn, np.float64)])
    if spec.covering:
        return _covering(model, body, head, centre, eyes, forward, colour)
    if spec.length_m is not None:
        top = eyes[2] + 0.03
        side = None if spec.side_length_m is None else eyes[2] - spec.side_length_m
        parts.append(shapes.curtain(parts[0][0], torso, centre, forward, top, eyes[2] - spec.length_m,
                                    math.radians(spec.front_deg), side))
    if spec.bun:  # on the back of the head at eye level, sunk into the hair but not the head
        cap_points = parts[0][0].astype(np.float64)
        level = np.abs(cap_points[:, 2] - eyes[2]) < 0.03
        back = cap_points[level][np.argmax((cap_points[level] - centre) @ -forward)]
        parts.append(shapes.bun(back - forward * BUN_RADII_M[1] * 0.85, BUN_RADII_M))
    if spec.locs:
        parts.append(_locs(parts[0][0], centre, forward, eyes, torso))
    vertices, faces = _merge(parts)
    return HairMesh(vertices, faces, _streaks(vertices, centre, forward, HAIR_COLOURS[colour]), HAIR_ROUGHNESS)


def _covering(model, body, head, centre, eyes, forward, colour) -> HairMesh:
    """A scarf wrapped over the head, neck and the top of the shoulders, the face left
    open in an oval (as tall as the head is, for the template's): the body's surface
    there, wrapped (``shapes.wrap``)."""
    half_width, below, above = FACE_OPENING
    scale = (body[head.head, 2].max() - eyes[2]) / (head.template_head[:, 2].max() - head.eyes[2])
    below, above = below * scale, above * scale
    azimuth = _azimuth(body, centre, forward)
    middle, half_height = eyes[2] + 0.5 * (below + above), 0.5 * (above - below)
    face = (azimuth / half_width) ** 2 + ((body[:, 2] - middle) / half_height) ** 2 < 1.0
    # down to the collarbones in front and behind, to the top of the shoulders at the sides
    lowest = eyes[2] - COVERING_DEPTH_M + 0.06 * np.sin(azimuth) ** 2
    parts = connected_parts(len(body), np.asarray(model.faces))
    skin = parts == np.bincount(parts).argmax()  # not the eyeballs or the mouth
    covered = skin & ~face & ~model.arm_vertex_mask() & (body[:, 2] > lowest)
    # beside the face the cloth follows the cheeks and the jaw; from under the jaw, and
    # round the sides and back from the ears, it falls
    beside_face = azimuth < half_width + math.radians(20.0)
    hangs = ~beside_face | (body[:, 2] < eyes[2] + below - 0.03)
    feeds = ~beside_face | (body[:, 2] < eyes[2] + below + 0.01)
    vertices, faces = shapes.wrap(body, model.faces, covered, COVERING_CLEARANCE_M, centre, eyes[2] + above,
                                  hangs, feeds)
    rgb = np.tile(np.uint8(COVERING_COLOURS[colour]), (len(vertices), 1))
    return HairMesh(vertices, faces, rgb, COVERING_ROUGHNESS)


def _azimuth(points, centre, forward) -> np.ndarray:
    """(N,) radians round the head's axis from the face, 0-pi either side."""
    side = np.array([-forward[1], forward[0], 0.0])
    delta = np.asarray(points, np.float64) - centre
    return np.abs(np.arctan2(delta @ side, delta @ forward))


def _locs(hair_cap, centre, forward, eyes, torso) -> tuple[np.ndarray, np.ndarray]:
    """LOCS tubes from round the back of the cap down to the shoulders."""
    grid, _ = shapes.curtain(hair_cap, torso, centre, forward, eyes[2] + 0.01, eyes[2] - 0.24,
                             math.radians(95.0), eyes[2] - 0.17)
    columns = grid.reshape(shapes.CURTAIN_COLUMNS, shapes.CURTAIN_ROWS, 3)
    pick = np.linspace(0, shapes.CURTAIN_COLUMNS - 1, LOCS).round().astype(int)
    return shapes.tubes([columns[i] for i in pick], LOC_RADIUS_M)


def _merge(parts) -> tuple[np.ndarray, np.ndarray]:
    vertices, faces, offset = [], [], 0
    for v, f in parts:
        vertices.append(np.asarray(v, np.float32))
        faces.append(np.asarray(f, np.int64) + offset)
        offset += len(v)
    return np.concatenate(vertices), np.concatenate(faces)


def _streaks(vertices, centre, forward, rgb) -> np.ndarray:
    """(N, 3) uint8: ``rgb`` lighter and darker in thin bands round the head, as strands are."""
    side = np.array([-forward[1], forward[0], 0.0])
    delta = vertices - centre
    angle = np.arctan2(delta @ side, delta @ forward)
    band = 0.5 + 0.25 * np.sin(angle * 57.0) + 0.25 * np.sin(angle * 23.0 + 1.3)
    colour = np.asarray(rgb, np.float64) * (0.82 + 0.36 * band)[:, None]
    return np.clip(np.round(colour), 0, 255).astype(np.uint8)
