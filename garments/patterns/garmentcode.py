"""GarmentCode pattern specifications (JSON): panels with edges and curves, and stitches.

The format GarmentCode (Korosteleva and Sorkine-Hornung, 2023) and its
dataset write: ``pattern.panels`` maps a panel's name to its 2D
``vertices``, a loop of ``edges`` (``endpoints`` [i, j], optional
``curvature``: ``quadratic`` or ``cubic`` Bezier control points, or a
``circle`` arc [radius, large arc, right]) and its 3D placement
(``translation``, ``rotation`` in degrees); ``pattern.stitches`` pairs
edges as [{"panel", "edge"}, {"panel", "edge"}]; ``properties`` give the
units (``units_in_meter``, 100 for centimetres) and whether curve control
points are ``relative`` to their edge (its start at (0, 0), its end at
(1, 0)) or ``absolute``. Curves are sampled every CURVE_STEP_CM.
"""

from __future__ import annotations

import json
import math

import numpy as np

from garments.patterns.pattern import (
    MAX_COORDINATE_CM,
    MAX_PIECES,
    Pattern,
    PatternError,
    Piece,
    Stitch,
    check_outline,
    counter_clockwise,
    flipped_edge,
)

CURVE_STEP_CM = 1.0
MAX_CURVE_POINTS = 200


def read_garmentcode(data: bytes, filename: str) -> Pattern:
    """The pattern of a GarmentCode specification's bytes (one size: GarmentCode
    makes a pattern per body)."""
    try:
        spec = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise PatternError(f"could not read {filename} as JSON: {error}") from None
    pattern = spec.get("pattern") if isinstance(spec, dict) else None
    panels = pattern.get("panels") if isinstance(pattern, dict) else None
    if not isinstance(panels, dict) or not panels:
        raise PatternError(f"{filename} is not a GarmentCode specification: it has no "
                           "pattern.panels (a mapping of panel names to vertices and edges)")
    properties = spec.get("properties") or {}
    if not isinstance(properties, dict):
        raise PatternError("properties must be an object (units_in_meter, curvature_coords)")
    try:
        units_in_meter = float(properties.get("units_in_meter", 100))
    except (TypeError, ValueError, OverflowError):
        units_in_meter = math.nan
    if not 0.0 < units_in_meter < 1e9:
        raise PatternError("properties.units_in_meter must be a positive number (100: centimetres)")
    scale = 100.0 / units_in_meter
    if len(panels) > MAX_PIECES:
        raise PatternError(f"{filename} has {len(panels)} panels; at most {MAX_PIECES}")
    relative = properties.get("curvature_coords", "relative") != "absolute"
    notes, pieces, edge_counts, turned = [], [], {}, {}
    for name, panel in panels.items():
        try:
            piece, turned[str(name)] = _panel(str(name), panel, scale, relative)
        except (KeyError, IndexError, TypeError, ValueError, OverflowError) as error:
            notes.append(f"panel {name}: not understood ({type(error).__name__}: {error}); left out")
            continue
        problem = check_outline(piece.name, piece.outline)
        if problem:
            notes.append(problem)
            continue
        pieces.append(piece)
        edge_counts[piece.name] = len(piece.corners)
    stitches, given = [], pattern.get("stitches") or []
    if not isinstance(given, list):
        notes.append("pattern.stitches is not a list of edge pairs; no stitches read")
        given = []
    for number, stitch in enumerate(given):
        try:
            (a, b) = ((str(side["panel"]), int(side["edge"])) for side in stitch)
        except (KeyError, TypeError, ValueError):
            notes.append(f"stitch {number}: not two {{panel, edge}} sides; left out")
            continue
        missing = [side for side in (a, b) if not 0 <= side[1] < edge_counts.get(side[0], 0)]
        if missing:
            notes.append(f"stitch {number}: panel {missing[0][0]} has no edge {missing[0][1]}; left out")
            continue
        # the file numbers a clockwise panel's edges the other way round
        a, b = ((name, flipped_edge(edge, edge_counts[name]) if turned[name] else edge) for name, edge in (a, b))
        stitches.append(Stitch(a, b))
    return Pattern(tuple(pieces), (), tuple(stitches), tuple(notes), "garmentcode")


def _panel(name: str, panel: dict, scale: float, relative: bool) -> tuple[Piece, bool]:
    """The panel as a piece, and whether its outline was turned counter-clockwise."""
    vertices = np.asarray(panel["vertices"], dtype=float).reshape(-1, 2) * scale
    if not np.isfinite(vertices).all() or np.abs(vertices).max(initial=0.0) > MAX_COORDINATE_CM:
        raise ValueError(f"its vertices lie beyond {MAX_COORDINATE_CM / 100:g} m")
    points, corners, previous_end = [], [], None
    for number, edge in enumerate(panel["edges"]):
        i, j = (int(k) for k in edge["endpoints"])
        if previous_end is not None and i != previous_end:
            raise ValueError(f"edge {number} starts at vertex {i}, not where edge {number - 1} ended")
        previous_end = j
        corners.append(len(points))
        curve = _edge_points(vertices[i], vertices[j], edge.get("curvature"), scale, relative)
        if not np.isfinite(curve).all() or np.abs(curve).max() > MAX_COORDINATE_CM:
            raise ValueError(f"edge {number}'s curve reaches beyond {MAX_COORDINATE_CM / 100:g} m")
        points.extend(curve[:-1])
    if previous_end != int(panel["edges"][0]["endpoints"][0]):
        raise ValueError("its edges do not close into a loop")
    outline, corners, turned = counter_clockwise(np.asarray(points), np.asarray(corners))
    placement = None
    if "translation" in panel:
        placement = (np.asarray(panel["translation"], float) * scale,
                     np.asarray(panel.get("rotation", (0.0, 0.0, 0.0)), float))
    return Piece(name, None, outline, corners, placement=placement), turned


def _edge_points(start, end, curvature, scale, relative) -> np.ndarray:
    """(P, 2) cm from ``start`` to ``end`` inclusive along the edge's curve."""
    length = float(np.linalg.norm(end - start))
    if not curvature:
        return np.stack([start, end])
    kind, params = curvature["type"], curvature["params"]
    if kind == "circle":
        radius = float(params[0]) * scale
        if not 0.0 <= radius <= MAX_COORDINATE_CM:
            raise ValueError(f"an arc of radius {radius:.3g} cm")
        return _arc(start, end, radius, bool(params[1]), bool(params[2]))
    if kind not in ("quadratic", "cubic"):
        raise ValueError(f"curvature {kind!r} (quadratic, cubic or circle)")
    controls = np.asarray(params, float).reshape(-1, 2)
    if not np.isfinite(controls).all() or np.abs(controls).max(initial=0.0) > MAX_COORDINATE_CM:
        raise ValueError("its control points lie beyond 100 m")
    if relative:  # in the edge's frame: x along it, y to its left, both in edge lengths
        along, left = end - start, np.array([-(end - start)[1], (end - start)[0]])
        controls = start + controls[:, :1] * along + controls[:, 1:] * left
    else:
        controls = controls * scale
    nodes = np.concatenate([[start], controls, [end]])
    count = int(np.clip(math.ceil(length / CURVE_STEP_CM), 4, MAX_CURVE_POINTS))
    t = np.linspace(0.0, 1.0, count + 1)[:, None]
    degree = len(nodes) - 1
    return sum(math.comb(degree, k) * t**k * (1 - t) ** (degree - k) * nodes[k] for k in range(degree + 1))


def _arc(start, end, radius, large, right) -> np.ndarray:
    """Points of the circular arc of ``radius`` from ``start`` to ``end``, the large or the
    small one, bulging to the right of start->end when ``right`` (as SVG's arc flags)."""
    chord = end - start
    half = float(np.linalg.norm(chord)) / 2.0
    radius = max(radius, half)
    left = np.array([-chord[1], chord[0]]) / max(2.0 * half, 1e-12)
    offset = math.sqrt(max(radius**2 - half**2, 0.0))
    # the centre lies opposite the bulge for the small arc, on its side for the large one
    bulge = -left if right else left
    centre = (start + end) / 2.0 + (bulge if large else -bulge) * offset
    a0 = math.atan2(*(start - centre)[::-1])
    a1 = math.atan2(*(end - centre)[::-1])
    sweep = (a1 - a0) % (2 * math.pi)  # counter-clockwise from start to end
    mid = (start + end) / 2.0 + bulge * (radius - offset if not large else radius + offset)
    a_mid = math.atan2(*(mid - centre)[::-1])
    if (a_mid - a0) % (2 * math.pi) > sweep:  # the bulge is the other way round
        sweep -= 2 * math.pi
    count = int(np.clip(math.ceil(abs(sweep) * radius / CURVE_STEP_CM), 4, MAX_CURVE_POINTS))
    angles = a0 + sweep * np.linspace(0.0, 1.0, count + 1)
    points = centre + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    points[0], points[-1] = start, end
    return points
