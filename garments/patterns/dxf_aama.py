"""DXF-AAMA / ASTM D6673 pattern files, as pattern CAD exports them, read with ezdxf.

The convention: one DXF block per pattern piece (per size, in a graded
file), its layers by number (or by the AAMA names some exporters write):
1 the boundary (cut line) and the piece's system text ("Piece Name: FRONT",
"Size: M", "Quantity: 2"), 2 turn points (the boundary's corners), 4
notches, 7 the grain line, 8 internal lines, 14 sew lines; other layers
(curve points, grade references, mirror, stripe and plaid lines, cut-outs,
drill holes, annotation) are listed in the notes as not used. Style text
outside the blocks ("Style Name:", "Units: METRIC|ENGLISH", "Sample Size:")
applies to every piece.

Units: ENGLISH and ``$INSUNITS`` are taken where they give pieces a
garment's size (3-300 cm across; ezdxf and some exporters write metres for
drawings in millimetres); otherwise millimetres or centimetres, told apart
by the pieces' sizes, which the notes say; or the caller says.
"""

from __future__ import annotations

import io
import logging
import re
from collections import defaultdict

import numpy as np
from ezdxf import recover
from scipy.spatial import cKDTree

from garments.patterns.pattern import (
    MAX_PIECES,
    MAX_TURN_POINTS,
    Pattern,
    PatternError,
    Piece,
    check_outline,
    counter_clockwise,
)
from garments.sizes import normalize_size

LAYERS = {"1": "boundary", "boundary_line": "boundary", "2": "turn", "turn_points": "turn",
          "3": "curve", "curve_points": "curve", "4": "notch", "notches": "notch",
          "5": "grade reference", "grade_reference_line": "grade reference", "6": "mirror",
          "mirror_line": "mirror", "7": "grain", "grain_line": "grain", "8": "internal",
          "internal_line": "internal", "9": "stripe", "stripe_line": "stripe", "10": "plaid",
          "plaid_line": "plaid", "11": "cut-out", "internal_cut_out": "cut-out", "13": "drill",
          "drill_holes": "drill", "14": "sew", "sew_line": "sew", "15": "annotation"}
USED = {"boundary", "turn", "notch", "grain", "internal", "sew"}
READ = ("LINE", "LWPOLYLINE", "POLYLINE", "POINT", "TEXT", "MTEXT")  # the entity types read
MAX_ENTITIES = 50_000  # in one block
MAX_BOUNDARY_PARTS = 2_000  # lines a boundary may come in (joined end to end: quadratic in them)
INSUNITS = {1: (2.54, "inches"), 4: (0.1, "millimetres"), 5: (1.0, "centimetres"), 6: (100.0, "metres")}
GIVEN_UNITS = {"mm": 0.1, "cm": 1.0, "in": 2.54}
MM_ABOVE = 160.0  # pieces typically wider than this (file units) are in millimetres, not centimetres
CORNER_DEG = 25.0  # a boundary turning this much at a point has a corner there (no turn points given)
_TEXT = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$")


def read_dxf(data: bytes, filename: str, units: str | None = None) -> Pattern:
    """The pattern of a DXF-AAMA / ASTM file's bytes (ASCII or binary DXF); ``units``
    (mm, cm or in) when the caller knows them better than the file says."""
    # ezdxf logs each value it repairs as a warning (hundreds for a damaged file): the
    # notes count the repairs instead
    logging.getLogger("ezdxf").setLevel(logging.ERROR)
    try:
        doc, auditor = recover.read(io.BytesIO(data))
    except Exception as error:  # ezdxf raises many types for broken files, as trimesh does
        raise PatternError(f"could not read {filename} as DXF: {error or type(error).__name__}") from None
    notes = [f"{filename}: the DXF needed repairs: {len(auditor.fixes)}"] if auditor.has_fixes else []
    style = _texts(doc.modelspace())
    raw, ignored = [], defaultdict(int)
    blocks = [b for b in doc.blocks if not b.name.startswith("*") and not b.is_any_layout]
    if len(blocks) > MAX_PIECES:
        raise PatternError(f"{filename} has {len(blocks)} blocks; at most {MAX_PIECES} pieces")
    for block in blocks:
        piece = _read_block(block, ignored)
        if piece is None:
            notes.append(f"block {block.name}: no boundary on layer 1; not a pattern piece")
        else:
            raw.append(piece)
    for layer, count in sorted(ignored.items()):
        notes.append(f"layer {layer}: {count} entities not used")
    if not raw:
        return Pattern((), (), (), tuple(notes), "dxf-aama")
    if units is not None:
        if units not in GIVEN_UNITS:
            raise PatternError(f"units are one of {', '.join(GIVEN_UNITS)}", "units")
        scale, unit_note = GIVEN_UNITS[units], f"units: {units} (as given)"
    else:
        scale, unit_note = _units(style, doc.header.get("$INSUNITS", 0), raw)
    notes.append(unit_note)
    pieces, sizes = [], []
    for block_name, fields, outline, turns, grain, notches, internal in raw:
        name = fields.get("piece name") or block_name
        size = fields.get("size") or style.get("sample size")
        size = normalize_size(size) if size else None
        outline = outline * scale
        problem = check_outline(name, outline)
        if problem:
            notes.append(problem)
            continue
        corners = _corners(outline, turns * scale if len(turns) else turns)
        outline, corners, _ = counter_clockwise(outline, corners)
        quantity = _quantity(fields.get("quantity"), name, notes)
        pieces.append(Piece(name, size, outline, corners, grain, notches * scale,
                            tuple(line * scale for line in internal), quantity))
        if size is not None and size not in sizes:
            sizes.append(size)
    named = [(p.name, p.size) for p in pieces]
    for twice in sorted({key for key in named if named.count(key) > 1}, key=str):
        notes.append(f"piece {twice[0]} appears more than once in size {twice[1]}")
    return Pattern(tuple(pieces), tuple(sizes), (), tuple(notes), "dxf-aama")


def _read_block(block, ignored) -> tuple | None:
    """(block name, system text fields, boundary (K, 2) in file units, turn points (T, 2),
    grain (2,) unit or None, notches (Q, 2), internal lines) of one block, or None."""
    lines = defaultdict(list)
    points = defaultdict(list)
    entities = list(block)
    if len(entities) > MAX_ENTITIES:
        raise PatternError(f"block {block.name} holds {len(entities):,} entities; at most {MAX_ENTITIES:,}")
    for entity in entities:
        kind = LAYERS.get(entity.dxf.layer.strip().lower())
        if entity.dxftype() not in READ:  # SPLINE, ARC, CIRCLE...: said, not skipped silently
            ignored[f"{entity.dxf.layer} ({entity.dxftype()}, not read: send polylines)"] += 1
            continue
        if kind not in USED:
            if entity.dxftype() not in ("TEXT", "MTEXT"):
                ignored[entity.dxf.layer] += 1
            continue
        polyline = _polyline(entity)
        if polyline is not None:
            lines[kind].append(polyline)
        elif entity.dxftype() == "POINT":
            points[kind].append(np.asarray(entity.dxf.location, float)[:2])
    boundary = [line for line in lines["boundary"] if len(line)]
    if not boundary:
        return None
    if len(boundary) > MAX_BOUNDARY_PARTS:
        raise PatternError(f"block {block.name}: its boundary comes in {len(boundary):,} pieces; at most "
                           f"{MAX_BOUNDARY_PARTS:,} (export it as one polyline)")
    outline = _join(boundary)
    grain = None
    if lines["grain"]:
        start, end = lines["grain"][0][0], lines["grain"][0][-1]
        if np.linalg.norm(end - start) > 0:
            grain = (end - start) / np.linalg.norm(end - start)
    notches = np.array([line[0] for line in lines["notch"]] + points["notch"]).reshape(-1, 2)
    turns = np.array(points["turn"][:MAX_TURN_POINTS]).reshape(-1, 2)
    internal = tuple(lines["internal"] + lines["sew"])
    return block.name, _texts(block), outline, turns, grain, notches, internal


def _polyline(entity) -> np.ndarray | None:
    """(P, 2) the points of a LINE, LWPOLYLINE or POLYLINE (closed ones repeat no point), or None."""
    kind = entity.dxftype()
    if kind == "LINE":
        return np.array([entity.dxf.start, entity.dxf.end], float)[:, :2]
    if kind == "LWPOLYLINE":
        return np.array([p[:2] for p in entity.get_points("xy")], float).reshape(-1, 2)
    if kind == "POLYLINE":
        return np.array([v.dxf.location for v in entity.vertices], float).reshape(-1, 3)[:, :2]
    return None


def _join(parts: list[np.ndarray]) -> np.ndarray:
    """One closed outline (K, 2) out of boundary lines given in pieces, end to end (the
    nearest free end next, reversed where it runs backwards); repeated points dropped."""
    parts = [p for p in parts if len(p)]
    outline = parts.pop(0)
    while parts:
        tail = outline[-1]
        gaps = [(min(np.linalg.norm(p[0] - tail), np.linalg.norm(p[-1] - tail)), i) for i, p in enumerate(parts)]
        _, i = min(gaps)
        part = parts.pop(i)
        if np.linalg.norm(part[-1] - tail) < np.linalg.norm(part[0] - tail):
            part = part[::-1]
        outline = np.concatenate([outline, part])
    keep = np.linalg.norm(np.diff(outline, axis=0, append=outline[:1]), axis=1) > 1e-9
    return outline[keep] if keep.any() else outline[:1]


def _corners(outline: np.ndarray, turns: np.ndarray) -> np.ndarray:
    """Indices of the outline's corners: its points nearest the turn points, else where it
    turns more than CORNER_DEG; at least one."""
    if len(turns):
        return np.unique(cKDTree(outline).query(turns)[1])
    before = outline - np.roll(outline, 1, axis=0)
    after = np.roll(outline, -1, axis=0) - outline
    angle = np.degrees(np.abs(np.arctan2(before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0],
                                         (before * after).sum(axis=1))))
    corners = np.flatnonzero(angle > CORNER_DEG)
    return corners if len(corners) else np.array([0])


def _texts(layout) -> dict[str, str]:
    """System text ("Name: value") of a block or the model space, keys in lower case."""
    fields = {}
    for entity in layout.query("TEXT MTEXT"):
        text = entity.plain_text() if entity.dxftype() == "MTEXT" else entity.dxf.text
        for line in str(text).splitlines():
            match = _TEXT.match(line)
            if match and match.group(2):
                fields.setdefault(match.group(1).lower(), match.group(2))
    return fields


def _units(style: dict[str, str], insunits: int, raw: list) -> tuple[float, str]:
    """(cm per file unit, a note saying which units were taken and why). A stated unit
    is taken when the pieces come out a garment's size (3-300 cm across); otherwise
    millimetres or centimetres, whichever gives that size."""
    stated = style.get("units", "").strip().upper()
    spans = [float(np.max(np.ptp(outline, axis=0))) for _, _, outline, *_ in raw]
    typical = float(np.median(spans))
    claims = []
    if stated == "ENGLISH":
        claims.append((2.54, "inches (Units: ENGLISH)"))
    if insunits in INSUNITS:
        claims.append((INSUNITS[insunits][0], f"{INSUNITS[insunits][1]} ($INSUNITS {insunits})"))
    for scale, why in claims:
        if 3.0 <= typical * scale <= 300.0:
            return scale, f"units: {why}"
    said = f"{claims[0][1]} would make the pieces {typical * claims[0][0]:.0f} cm across; " if claims else ""
    why = "Units: METRIC" if stated == "METRIC" else "no units stated"
    if typical > MM_ABOVE:
        return 0.1, f"units: millimetres ({said}{why}; pieces {typical:.0f} across)"
    return 1.0, f"units: centimetres ({said}{why}; pieces {typical:.0f} across)"


def _quantity(value: str | None, name: str, notes: list[str]) -> int:
    if value is None:
        return 1
    try:
        quantity = int(float(value))
    except (ValueError, OverflowError):
        quantity = 0
    if not 1 <= quantity <= 20:
        notes.append(f"piece {name}: quantity {value!r} not understood; 1 taken")
        return 1
    return quantity

