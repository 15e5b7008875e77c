"""How a pattern's pieces are sewn, as a merchandiser says it: a small JSON document.

DXF-AAMA files carry no stitches, and a piece's name does not always say
which part of the body it dresses. The document gives both::

    {"stitches": [{"a": {"piece": "FRONT", "edge": 1}, "b": {"piece": "BACK", "edge": 7}}],
     "placements": {"POCKET BAG": {"part": "torso", "side": 0, "anchor": "waist",
                                   "offset_m": -0.05}}}

Edges are numbered from 0 round each piece as ``tryon patterns check``
lists them; a stitch joins two edges from end to end (the first point of one
to the last of the other, both pieces seen from outside). A side may name a
stretch of the outline between notches or corners instead,
``{"piece": "FRONT", "from": {"notch": 0}, "to": {"corner": 2}}``, counter-
clockwise from one to the other (``garments.patterns.notches``). Placements
(``garments.patterns.placement.Placement``) override the defaults by piece
name. Both keys are optional; stitches given here replace the file's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from garments.patterns.notches import Mark, Span
from garments.patterns.pattern import PatternError, Stitch
from garments.patterns.placement import Placement

MAX_SEWING_BYTES = 256 * 1024
MAX_STITCHES = 2000


@dataclass(frozen=True)
class SewingSpec:
    """stitches: the seams, or None to take the pattern file's; placements by piece name."""

    stitches: tuple[Stitch, ...] | None
    placements: dict[str, Placement]


def read_sewing_spec(data: bytes | str | None) -> SewingSpec:
    """The document's stitches and placements; PatternError (field ``sewing``) saying what is wrong."""
    if not data:
        return SewingSpec(None, {})
    if len(data) > MAX_SEWING_BYTES:
        raise PatternError(f"the sewing document is {len(data):,} bytes; at most {MAX_SEWING_BYTES:,}", "sewing")
    try:
        spec = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise PatternError(f"the sewing document is not JSON: {error}", "sewing") from None
    if not isinstance(spec, dict) or set(spec) - {"stitches", "placements"}:
        raise PatternError('the sewing document is an object with "stitches" and/or "placements"', "sewing")
    return SewingSpec(_stitches(spec.get("stitches")), _placements(spec.get("placements") or {}))


def _stitches(given) -> tuple[Stitch, ...] | None:
    if given is None:
        return None
    if not isinstance(given, list) or len(given) > MAX_STITCHES:
        raise PatternError(f"stitches must be a list of at most {MAX_STITCHES} edge pairs", "sewing")
    stitches = []
    for number, stitch in enumerate(given):
        if not isinstance(stitch, dict) or set(stitch) != {"a", "b"}:
            raise PatternError(f'stitch {number}: give {{"a": {{"piece", "edge"}}, "b": {{"piece", "edge"}}}}',
                               "sewing")
        stitches.append(Stitch(_side(stitch["a"], number), _side(stitch["b"], number)))
    return tuple(stitches)


def _side(side, number: int) -> tuple[str, int | Span]:
    """One side of stitch ``number``: {"piece", "edge"} or {"piece", "from", "to"}."""
    if not isinstance(side, dict) or not isinstance(side.get("piece"), str):
        raise PatternError(f"stitch {number}: each side names its piece", "sewing")
    if set(side) == {"piece", "edge"}:
        return side["piece"], _number(side["edge"], number)
    if set(side) == {"piece", "from", "to"}:
        return side["piece"], Span(_mark(side["from"], number), _mark(side["to"], number))
    raise PatternError(f'stitch {number}: a side is {{"piece", "edge"}} or {{"piece", "from", "to"}} '
                       '(from and to: {"notch": n} or {"corner": n})', "sewing")


def _mark(mark, number: int) -> Mark:
    if not isinstance(mark, dict) or len(mark) != 1 or next(iter(mark)) not in ("notch", "corner"):
        raise PatternError(f'stitch {number}: from and to are {{"notch": n}} or {{"corner": n}}', "sewing")
    (kind, value), = mark.items()
    return Mark(kind, _number(value, number))


def _number(value, number: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PatternError(f"stitch {number}: edges, notches and corners are numbered from 0", "sewing")
    return value


def _placements(given) -> dict[str, Placement]:
    if not isinstance(given, dict):
        raise PatternError("placements must map piece names to {part, side, anchor, offset_m}", "sewing")
    placements = {}
    for name, entry in given.items():
        if not isinstance(entry, dict) or set(entry) - {"part", "side", "anchor", "offset_m"}:
            raise PatternError(f"placement of {name}: an object with part, side, anchor and offset_m", "sewing")
        try:
            placements[name] = Placement(str(entry.get("part")), float(entry.get("side", 0.0)),
                                         str(entry.get("anchor")), float(entry.get("offset_m", 0.0)))
        except (TypeError, ValueError, OverflowError):
            raise PatternError(f"placement of {name}: side and offset_m are numbers", "sewing") from None
        except PatternError as error:
            raise PatternError(f"placement of {name}: {error}", "sewing") from None
    return placements
