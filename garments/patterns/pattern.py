"""A sewing pattern as tryon reads it: flat pieces per size, their grain and notches,
and the stitches that join their edges.

Pattern CAD (Gerber, Lectra, Optitex, CLO) exchanges graded patterns as
DXF-AAMA / ASTM D6673 (``garments.patterns.dxf_aama``); GarmentCode writes
JSON specifications with the stitches in them
(``garments.patterns.garmentcode``). Both are read into a ``Pattern``:
centimetres in the piece's own plane, outlines counter-clockwise, each
outline a closed loop of edges between corner vertices. What a reader
could not understand it says in ``Pattern.notes`` rather than failing; a
file it cannot use at all is a ``PatternError`` (422) that says why.
``garments.patterns.reading`` picks the reader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tryon.core.errors import Invalid

MAX_PIECES = 400  # pieces in a file, every size counted
MAX_OUTLINE_POINTS = 20_000  # points on one piece's outline
MAX_COORDINATE_CM = 1.0e4  # 100 m: anything further out is a wrong unit or a broken file
MAX_TURN_POINTS = 2_000  # corners given for one piece


class PatternError(Invalid):
    """A pattern file that cannot be used; the message says what is wrong."""

    def __init__(self, detail: str, field: str = "pattern"):
        super().__init__(detail, field)


@dataclass(frozen=True, eq=False)
class Piece:
    """One pattern piece in one size.

    name: as the file names it ("FRONT", "sleeve_l"); size: its size label, or None
    for a pattern of one size. outline: (K, 2) float64 cm, the cut line,
    counter-clockwise, closed (the last point joins the first). corners: (C,)
    indices into ``outline`` where its edges meet (an edge runs from one corner
    to the next; a stitch names an edge by its number). grain: (2,) unit
    direction of the grain line in the piece's plane, or None when the file
    gives none. notches: (Q, 2) cm, on or near the outline. internal: lines
    drawn inside (darts, placement, sew lines), each (P, 2) cm. quantity: how
    many are cut. placement: GarmentCode's 3D translation (3,) cm and rotation
    (3,) degrees (XYZ Euler) of the piece around the body, or None.
    """

    name: str
    size: str | None
    outline: np.ndarray
    corners: np.ndarray
    grain: np.ndarray | None = None
    notches: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    internal: tuple[np.ndarray, ...] = ()
    quantity: int = 1
    placement: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def area_cm2(self) -> float:
        x, y = self.outline[:, 0], self.outline[:, 1]
        return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))

    @property
    def perimeter_cm(self) -> float:
        return float(np.linalg.norm(np.roll(self.outline, -1, axis=0) - self.outline, axis=1).sum())

    def edge(self, number: int) -> np.ndarray:
        """(P, 2) cm, the points of edge ``number`` from its first corner to the next."""
        start = int(self.corners[number % len(self.corners)])
        end = int(self.corners[(number + 1) % len(self.corners)])
        if end <= start:
            return np.concatenate([self.outline[start:], self.outline[: end + 1]])
        return self.outline[start:end + 1]

    def describe(self) -> dict:
        """The piece as a report lists it."""
        grain = None if self.grain is None else round(math.degrees(math.atan2(self.grain[1], self.grain[0])), 1)
        width, height = np.ptp(self.outline, axis=0)
        edges = [self.edge(k) for k in range(len(self.corners))]
        return {"name": self.name, "size": self.size, "area_cm2": round(self.area_cm2, 1),
                "perimeter_cm": round(self.perimeter_cm, 1), "width_cm": round(float(width), 1),
                "height_cm": round(float(height), 1), "edges": int(len(self.corners)),
                "edge_list": [{"edge": k, "from": [round(float(v), 1) for v in e[0]],
                               "to": [round(float(v), 1) for v in e[-1]],
                               "length_cm": round(float(np.linalg.norm(np.diff(e, axis=0), axis=1).sum()), 1)}
                              for k, e in enumerate(edges)],
                "notch_list": [{"notch": k, "at": [round(float(v), 1) for v in n],
                                "edge": _edge_near(self, n)} for k, n in enumerate(self.notches)],
                "grain_deg": grain, "notches": int(len(self.notches)),
                "internal_lines": len(self.internal), "quantity": self.quantity}


@dataclass(frozen=True)
class Stitch:
    """Two edges sewn together: (piece name, edge number) each, as ``Piece.edge`` numbers them,
    or (piece name, a ``garments.patterns.notches.Span`` between notches or corners)."""

    a: tuple[str, object]
    b: tuple[str, object]


@dataclass(frozen=True, eq=False)
class Pattern:
    """pieces: every piece in every size; sizes: the size labels in the file's order
    (empty for a pattern of one size); stitches: the seams the file gives (GarmentCode),
    else none; notes: what was not understood or was left out, in words; source: the format."""

    pieces: tuple[Piece, ...]
    sizes: tuple[str, ...]
    stitches: tuple[Stitch, ...]
    notes: tuple[str, ...]
    source: str

    def in_size(self, size: str | None) -> tuple[Piece, ...]:
        """The pieces of one size (every piece for a pattern of one size)."""
        return tuple(p for p in self.pieces if p.size == size or p.size is None)

    def report(self, edges: bool = True) -> dict:
        """What was read, as JSON: every piece with its size, area and grain (and, with
        ``edges``, each edge and notch numbered, as a sewing document names them); the
        sizes; the stitches; and what could not be understood."""
        pieces = [p.describe() for p in self.pieces]
        if not edges:  # what a garment keeps of its pattern: the numbering served its purpose
            pieces = [{k: v for k, v in p.items() if k not in ("edge_list", "notch_list")} for p in pieces]
        return {"format": self.source, "sizes": list(self.sizes), "pieces": pieces,
                "stitches": [{"a": {"piece": s.a[0], "edge": s.a[1]}, "b": {"piece": s.b[0], "edge": s.b[1]}}
                             for s in self.stitches],
                "notes": list(self.notes)}


def nearest_on_outline(outline: np.ndarray, point: np.ndarray) -> tuple[int, float, np.ndarray]:
    """Where the closed ``outline`` (K, 2) passes nearest ``point`` (2,): (the segment from
    point k to k + 1, the fraction along it, the point there)."""
    d = np.roll(outline, -1, axis=0) - outline
    t = np.clip(np.einsum("ij,ij->i", point - outline, d) / np.maximum(np.einsum("ij,ij->i", d, d), 1e-12),
                0.0, 1.0)
    on = outline + t[:, None] * d
    segment = int(np.argmin(np.linalg.norm(on - point, axis=1)))
    return segment, float(t[segment]), on[segment]


def _edge_near(piece: Piece, point: np.ndarray) -> int:
    """The number of the edge of ``piece`` that passes nearest ``point`` (2,)."""
    segment = nearest_on_outline(piece.outline, point)[0]
    return int(np.searchsorted(piece.corners, segment, side="right") - 1) % len(piece.corners)


def counter_clockwise(outline: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """``outline`` (K, 2) and its ``corners`` turned counter-clockwise if they run clockwise,
    and whether they were: the edges are then numbered from the other end, the file's
    edge n being ``flipped_edge(n, len(corners))``."""
    x, y = outline[:, 0], outline[:, 1]
    if np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)) >= 0:
        return outline, corners, False
    flipped = outline[::-1].copy()
    return flipped, np.sort((len(outline) - 1 - corners) % len(outline)), True


def flipped_edge(number: int, edges: int) -> int:
    """The number, on an outline turned round by ``counter_clockwise``, of edge ``number``
    of the ``edges`` it had: corner c_n becomes the (C-1-n)-th, so edge n (c_n to
    c_n+1) runs between the new corners C-2-n and C-1-n."""
    return (edges - 2 - number) % edges


def check_outline(name: str, outline: np.ndarray) -> str | None:
    """Why ``outline`` (K, 2) cannot be a piece (too few points, no area, crossing itself), or None."""
    if len(outline) < 3:
        return f"piece {name}: its outline has {len(outline)} points"
    if len(outline) > MAX_OUTLINE_POINTS:
        return f"piece {name}: its outline has {len(outline):,} points; at most {MAX_OUTLINE_POINTS:,}"
    if not np.isfinite(outline).all():
        return f"piece {name}: its outline has non-finite coordinates"
    if np.abs(outline).max() > MAX_COORDINATE_CM:
        return f"piece {name}: its outline reaches {np.abs(outline).max():.3g} cm from the origin; " \
               f"a pattern lies within {MAX_COORDINATE_CM / 100:g} m (are the units right?)"
    if _crosses_itself(outline):
        return f"piece {name}: its outline crosses itself"
    x, y = outline[:, 0], outline[:, 1]
    if abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) < 1e-6:
        return f"piece {name}: its outline encloses no area"
    return None


def _crosses_itself(outline: np.ndarray) -> bool:
    """Whether two non-adjacent segments of the closed polyline cross. Segments are
    binned into a grid of about one segment per cell, and only segments sharing a
    cell are tested: near-linear for an outline of even segments."""
    a, b = outline, np.roll(outline, -1, axis=0)
    k = len(outline)
    low, high = np.minimum(a, b), np.maximum(a, b)
    cell = max(float(np.ptp(outline, axis=0).max()) / max(np.sqrt(k), 1.0), 1e-9)
    first = np.floor((low - outline.min(axis=0)) / cell).astype(np.int64)
    last = np.floor((high - outline.min(axis=0)) / cell).astype(np.int64)
    bins: dict[tuple[int, int], list[int]] = {}
    for i in range(k):
        if np.prod(last[i] - first[i] + 1) > 64:  # a long segment among short ones: test it against all
            bins.setdefault((-1, -1), []).append(i)
            continue
        for cx in range(first[i, 0], last[i, 0] + 1):
            for cy in range(first[i, 1], last[i, 1] + 1):
                bins.setdefault((cx, cy), []).append(i)
    everything = np.arange(k)
    for key, members in bins.items():
        group = np.asarray(members)
        others = everything if key == (-1, -1) else group
        for i in group:
            if _crosses(a, b, i, others, k):
                return True
    return False


def _crosses(a: np.ndarray, b: np.ndarray, i: int, others: np.ndarray, k: int) -> bool:
    """Whether segment i crosses one of ``others`` (not itself, not a neighbour)."""
    j = others[(others != i) & (others != (i + 1) % k) & (others != (i - 1) % k)]
    if not len(j):
        return False
    d_i, d_j = b[i] - a[i], b[j] - a[j]
    cross = d_i[0] * d_j[:, 1] - d_i[1] * d_j[:, 0]
    parallel = np.abs(cross) < 1e-12
    safe = np.where(parallel, 1.0, cross)
    ap = a[j] - a[i]
    t = (ap[:, 0] * d_j[:, 1] - ap[:, 1] * d_j[:, 0]) / safe
    u = (ap[:, 0] * d_i[1] - ap[:, 1] * d_i[0]) / safe
    inside = (t > 1e-9) & (t < 1 - 1e-9) & (u > 1e-9) & (u < 1 - 1e-9)
    return bool(np.any(inside & ~parallel))
