"""Stitches addressed by notches: a DXF skirt whose side seams carry hip notches, its seams
named from notch to corner; notches that do not exist and stretches past a corner refused."""

from __future__ import annotations

import io
import json

import ezdxf
import numpy as np
import pytest

from garments.patterns.notches import split_at_marks
from garments.patterns.pattern import PatternError
from garments.patterns.reading import read_pattern
from garments.patterns.sewing_spec import read_sewing_spec


def notched_skirt() -> bytes:
    """FRONT and BACK panels in cm, as an R12 CAD export: a boundary polyline with turn
    points, and a notch on each side 18 cm below the waist (drawn as short lines)."""
    doc = ezdxf.new("R12")
    for layer in ("1", "2", "4"):
        doc.layers.add(layer)
    space = doc.modelspace()
    space.add_text("Units: METRIC", dxfattribs={"layer": "1"})
    for k, (name, width) in enumerate((("FRONT", 36.0), ("BACK", 38.0))):
        block = doc.blocks.new(name=name)
        outline = [(0.0, 0.0), (width, 0.0), (width + 8.0, -60.0), (-8.0, -60.0)]  # clockwise
        block.add_polyline2d(outline, close=True, dxfattribs={"layer": "1"})
        for corner in outline:
            block.add_point(corner, dxfattribs={"layer": "2"})
        for x, dx in ((-2.4, -0.5), (width + 2.4, 0.5)):  # the hip notches, just off the cut line
            block.add_line((x, -18.0), (x + dx, -18.0), dxfattribs={"layer": "4"})
        block.add_text(f"Piece Name: {name}", dxfattribs={"layer": "1"})
        space.add_blockref(name, (100.0 * k, 0.0))
    stream = io.StringIO()
    doc.write(stream)
    return stream.getvalue().encode()


def _notch(pattern, piece: str, x_sign: float) -> int:
    found = next(p for p in pattern.report()["pieces"] if p["name"] == piece)
    return next(n["notch"] for n in found["notch_list"] if np.sign(n["at"][0] - 10) == x_sign)


def test_a_seam_named_from_notch_to_corner_becomes_an_edge_of_its_own():
    pattern = read_pattern(notched_skirt(), "skirt.dxf")
    report = {p["name"]: p for p in pattern.report()["pieces"]}
    assert [len(p["notch_list"]) for p in report.values()] == [2, 2]
    front_left, back_right = _notch(pattern, "FRONT", 1), _notch(pattern, "BACK", -1)
    spec = read_sewing_spec(json.dumps({"stitches": [
        {"a": {"piece": "FRONT", "from": {"notch": front_left}, "to": {"corner": 2}},
         "b": {"piece": "BACK", "from": {"corner": 3}, "to": {"notch": back_right}}},
        {"a": {"piece": "FRONT", "edge": 3}, "b": {"piece": "BACK", "edge": 1}}]}))
    pieces, stitches = split_at_marks(pattern.pieces, spec.stitches)
    front = next(p for p in pieces if p.name == "FRONT")
    assert len(front.corners) == 5  # the notch is a corner now
    (a_name, a_edge), (b_name, b_edge) = stitches[0].a, stitches[0].b
    upper = front.edge(a_edge)
    assert upper[0] == pytest.approx([36.0 + 18.0 * 8.0 / 60.0, -18.0], abs=0.05)  # on the cut line
    assert upper[-1] == pytest.approx([36.0, 0.0])
    back = next(p for p in pieces if p.name == "BACK")
    assert np.linalg.norm(np.diff(back.edge(b_edge), axis=0), axis=1).sum() == pytest.approx(
        np.hypot(18.0, 18.0 * 8.0 / 60.0), abs=0.1)
    # the edge-numbered stitch follows its edge to its new number
    before = next(p for p in pattern.pieces if p.name == "FRONT").edge(3)
    after = front.edge(stitches[1].a[1])
    assert np.allclose([after[0], after[-1]], [before[0], before[-1]])


@pytest.mark.parametrize("side, says", [
    ({"piece": "FRONT", "from": {"notch": 7}, "to": {"corner": 2}}, "no notch 7"),
    ({"piece": "FRONT", "from": {"corner": 0}, "to": {"corner": 2}}, "runs past a corner"),
    ({"piece": "FRONT", "from": {"corner": 9}, "to": {"corner": 0}}, "no corner 9"),
])
def test_a_stretch_that_is_not_one_is_refused(side, says):
    pattern = read_pattern(notched_skirt(), "skirt.dxf")
    spec = read_sewing_spec(json.dumps({"stitches": [{"a": side, "b": {"piece": "BACK", "edge": 0}}]}))
    with pytest.raises(PatternError, match=says) as error:
        split_at_marks(pattern.pieces, spec.stitches)
    assert error.value.field == "sewing"


def test_an_edge_named_by_number_that_a_notch_splits_is_refused():
    pattern = read_pattern(notched_skirt(), "skirt.dxf")
    notch = _notch(pattern, "FRONT", 1)
    front = next(p for p in pattern.report()["pieces"] if p["name"] == "FRONT")
    split_edge = next(n["edge"] for n in front["notch_list"] if n["notch"] == notch)
    spec = read_sewing_spec(json.dumps({"stitches": [
        {"a": {"piece": "FRONT", "from": {"notch": notch}, "to": {"corner": (split_edge + 1) % 4}},
         "b": {"piece": "BACK", "edge": 0}},
        {"a": {"piece": "FRONT", "edge": split_edge}, "b": {"piece": "BACK", "edge": 2}}]}))
    with pytest.raises(PatternError, match=f"edge {split_edge} of FRONT is split"):
        split_at_marks(pattern.pieces, spec.stitches)
