"""Stitches addressed by notches, as pattern makers address seams.

A seam rarely runs corner to corner: a side seam stops at the armhole notch,
a sleeve cap is eased between the notches that match the armhole's. A side
of a stitch may therefore name a stretch of a piece's outline between two
marks, notches or corners (``Span``), instead of an edge number. Before a
pattern is sewn, ``split_at_marks`` makes every notch a stitch names a
corner of its piece (projected onto the outline, inserted where it falls
between points), so each span becomes an edge, and renumbers the stitches
that name edges by number.

Notches are numbered from 0 in the order the file gives them, as
``tryon patterns check`` lists them; corners as the edges starting there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from garments.patterns.pattern import PatternError, Piece, Stitch, nearest_on_outline

ON_POINT_CM = 0.05  # a notch this close to an outline point is that point


@dataclass(frozen=True)
class Mark:
    """A point of a piece's outline: ``kind`` "notch" or "corner", and its number."""

    kind: str
    number: int


@dataclass(frozen=True)
class Span:
    """The piece's outline from ``start`` to ``end``, counter-clockwise (seen from outside)."""

    start: Mark
    end: Mark


def split_at_marks(pieces: tuple[Piece, ...], stitches: tuple[Stitch, ...]) -> tuple[tuple[Piece, ...],
                                                                                    tuple[Stitch, ...]]:
    """The pieces with a corner at every notch a stitch names, and the stitches with every
    side an edge number of those pieces. PatternError (field ``sewing``) saying why when a
    notch does not exist, a span runs past a corner, or an edge named by number was split."""
    named = {p.name: p for p in pieces}
    wanted: dict[str, set[int]] = {}  # the notches named, by every piece a span names
    for stitch in stitches:
        for name, side in (stitch.a, stitch.b):
            if isinstance(side, Span) and name in named:
                wanted.setdefault(name, set()).update(
                    mark.number for mark in (side.start, side.end) if mark.kind == "notch")
    split = {name: _split(named[name], notches) for name, notches in wanted.items()}
    resolved = tuple(Stitch(_side(stitch.a, named, split), _side(stitch.b, named, split)) for stitch in stitches)
    return tuple(split[p.name][0] if p.name in split else p for p in pieces), resolved


def _split(piece: Piece, notches: set[int]) -> tuple[Piece, dict[int, int], dict[int, int]]:
    """(the piece with a corner at each of ``notches``, {notch: its outline index},
    {old corner index into the outline: new index})."""
    for notch in notches:
        if not 0 <= notch < len(piece.notches):
            raise PatternError(f"piece {piece.name} has {len(piece.notches)} notches: no notch {notch}", "sewing")
    outline = piece.outline
    k = len(outline)
    on_vertex, inserts = {}, []  # notch -> outline point; (segment, t, notch) to insert
    for notch in sorted(notches):
        segment, t, at = nearest_on_outline(outline, piece.notches[notch])
        if np.linalg.norm(at - outline[segment]) < ON_POINT_CM:
            on_vertex[notch] = segment
        elif np.linalg.norm(at - outline[(segment + 1) % k]) < ON_POINT_CM:
            on_vertex[notch] = (segment + 1) % k
        else:
            inserts.append((segment, t, notch))
    points, index_of_notch, new_index = [], {}, np.zeros(k, np.int64)
    for segment in range(k):
        new_index[segment] = len(points)
        points.append(outline[segment])
        for _, t, notch in sorted(x for x in inserts if x[0] == segment):
            index_of_notch[notch] = len(points)
            points.append(outline[segment] + t * (outline[(segment + 1) % k] - outline[segment]))
    index_of_notch.update({notch: int(new_index[vertex]) for notch, vertex in on_vertex.items()})
    corners_of = {int(c): int(new_index[c]) for c in piece.corners}
    corners = np.unique(np.concatenate([list(corners_of.values()), list(index_of_notch.values())])).astype(np.int64)
    return replace(piece, outline=np.asarray(points), corners=corners), index_of_notch, corners_of


def _side(side: tuple[str, int | Span], named: dict[str, Piece], split: dict) -> tuple[str, int]:
    """A stitch's side as (piece name, edge number) of the split pieces."""
    name, where = side
    if name not in split:
        return side  # unknown pieces and edge numbers are checked where the pattern is sewn
    piece, notch_index, corner_index = split[name]
    corners = list(piece.corners)
    if not isinstance(where, Span):
        old = [int(c) for c in named[name].corners]
        if not 0 <= where < len(old):
            return side
        start, end = corner_index[old[where]], corner_index[old[(where + 1) % len(old)]]
        k = corners.index(start)
        if corners[(k + 1) % len(corners)] != end:
            raise PatternError(f"edge {where} of {name} is split by a notch another stitch names: "
                               "name its parts by their notches", "sewing")
        return name, k
    ends = []
    for mark in (where.start, where.end):
        if mark.kind == "notch":
            ends.append(notch_index[mark.number])
        elif 0 <= mark.number < len(named[name].corners):
            ends.append(corner_index[int(named[name].corners[mark.number])])
        else:
            raise PatternError(f"piece {name} has {len(named[name].corners)} corners: no corner {mark.number}",
                               "sewing")
    k = corners.index(ends[0])
    if corners[(k + 1) % len(corners)] != ends[1]:
        raise PatternError(f"the stretch of {name} from {where.start.kind} {where.start.number} to "
                           f"{where.end.kind} {where.end.number} runs past a corner or another notch: "
                           "stitch it in parts", "sewing")
    return name, k
