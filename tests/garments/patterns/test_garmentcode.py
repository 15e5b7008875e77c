"""GarmentCode specifications written here by hand (the format GarmentCode and its
dataset use): straight, quadratic, cubic and arc edges, placements, stitches; and
malformed ones."""

from __future__ import annotations

import json
import math

import pytest

from garments.patterns.pattern import PatternError
from garments.patterns.reading import read_pattern


def _spec(panels: dict, stitches: list, **properties) -> bytes:
    return json.dumps({"pattern": {"panels": panels, "stitches": stitches},
                       "properties": {"curvature_coords": "relative", "units_in_meter": 100,
                                      **properties}}).encode()


def _panel(vertices, edges, translation=(0.0, 100.0, 15.0)):
    return {"translation": list(translation), "rotation": [0.0, 0.0, 0.0], "vertices": vertices,
            "edges": edges}


def _square_with(curvature=None, size=40.0):
    """A square of ``size`` cm whose top edge (edge 2, from (size, size) to (0, size)) has ``curvature``."""
    top = {"endpoints": [2, 3], **({"curvature": curvature} if curvature else {})}
    return _panel([[0, 0], [size, 0], [size, size], [0, size]],
                  [{"endpoints": [0, 1]}, {"endpoints": [1, 2]}, top, {"endpoints": [3, 0]}])


def test_panels_and_stitches_are_read_with_their_curves_in_centimetres():
    panels = {"front": _square_with(), "back": _square_with(),
              "bulge": _square_with({"type": "circle", "params": [20.0, 0, 1]}),
              "curve": _square_with({"type": "quadratic", "params": [[0.5, 0.25]]})}
    stitches = [[{"panel": "front", "edge": 1}, {"panel": "back", "edge": 3}],
                [{"panel": "front", "edge": 3}, {"panel": "back", "edge": 1}]]
    pattern = read_pattern(_spec(panels, stitches), "shirt_specification.json")
    assert pattern.source == "garmentcode" and pattern.notes == ()
    pieces = {p.name: p for p in pattern.pieces}
    assert pieces["front"].area_cm2 == pytest.approx(1600.0)
    # the top edge, a half circle of radius 20 cm bulging out of the square (to the right
    # of its direction, which runs right to left along the top)
    assert pieces["bulge"].area_cm2 == pytest.approx(1600.0 + math.pi * 20.0**2 / 2, rel=2e-3)
    # a quadratic Bezier with its control point a quarter of the edge off it: a parabola
    # whose area is 2/3 * 40 * (0.25 * 40 / 2)
    assert abs(pieces["curve"].area_cm2 - 1600.0) == pytest.approx(2 / 3 * 40 * 5.0, rel=2e-3)
    assert [(s.a, s.b) for s in pattern.stitches] == [(("front", 1), ("back", 3)), (("front", 3), ("back", 1))]
    translation, rotation = pieces["front"].placement
    assert list(translation) == [0.0, 100.0, 15.0] and list(rotation) == [0.0, 0.0, 0.0]
    # the stitched edges are the square's sides, corner to corner
    assert len(pieces["front"].edge(1)) == 2


def test_metres_are_read_as_centimetres():
    panel = _panel([[0, 0], [0.5, 0], [0.5, 0.6], [0, 0.6]],
                   [{"endpoints": [0, 1]}, {"endpoints": [1, 2]}, {"endpoints": [2, 3]}, {"endpoints": [3, 0]}])
    pattern = read_pattern(_spec({"skirt": panel}, [], units_in_meter=1), "skirt.json")
    assert pattern.pieces[0].area_cm2 == pytest.approx(50.0 * 60.0)


def test_what_is_not_understood_is_named_and_the_rest_read():
    broken = _panel([[0, 0], [10, 0], [10, 10]], [{"endpoints": [0, 1]}, {"endpoints": [2, 0]}])
    unknown = _square_with({"type": "spline", "params": []})
    stitches = [[{"panel": "front", "edge": 7}, {"panel": "back", "edge": 0}],
                [{"panel": "front"}],
                [{"panel": "front", "edge": 0}, {"panel": "back", "edge": 2}]]
    pattern = read_pattern(_spec({"front": _square_with(), "back": _square_with(), "broken": broken,
                                  "unknown": unknown}, stitches), "mixed.json")
    assert sorted(p.name for p in pattern.pieces) == ["back", "front"]
    notes = " | ".join(pattern.notes)
    assert "panel broken: not understood" in notes and "edge 1 starts at vertex 2" in notes
    assert "panel unknown: not understood" in notes and "'spline'" in notes
    assert "stitch 0: panel front has no edge 7" in notes and "stitch 1: not two" in notes
    assert len(pattern.stitches) == 1


@pytest.mark.parametrize("data, says", [
    (b"{not json", "could not read"),
    (json.dumps({"panels": {}}).encode(), "no pattern.panels"),
    (json.dumps([1, 2, 3]).encode(), "no pattern.panels"),
    (_spec({"a": _square_with()}, [], units_in_meter="x"), "units_in_meter"),
])
def test_files_that_are_not_specifications_are_refused_saying_why(data, says):
    with pytest.raises(PatternError, match=says):
        read_pattern(data, "pattern.json")


def test_a_specification_with_no_usable_panel_is_refused():
    broken = _panel([[0, 0], [10, 0]], [{"endpoints": [0, 1]}, {"endpoints": [1, 0]}])
    with pytest.raises(PatternError, match="no usable pattern piece.*2 points"):
        read_pattern(_spec({"flat": broken}, []), "flat.json")


def test_a_clockwise_panel_s_stitches_still_name_the_edges_the_file_meant():
    """The file's edge 0 of a clockwise panel is its left side; read counter-clockwise the
    edges are numbered from the other end, and the stitch must follow its edge."""
    clockwise = _panel([[0, 0], [0, 50], [30, 50], [30, 0]],  # left, top, right, bottom
                       [{"endpoints": [0, 1]}, {"endpoints": [1, 2]}, {"endpoints": [2, 3]}, {"endpoints": [3, 0]}])
    stitches = [[{"panel": "cw", "edge": 0}, {"panel": "ccw", "edge": 1}],
                [{"panel": "cw", "edge": 1}, {"panel": "ccw", "edge": 2}]]
    pattern = read_pattern(_spec({"cw": clockwise, "ccw": _square_with()}, stitches), "cw.json")
    pieces = {p.name: p for p in pattern.pieces}
    left, top = pattern.stitches[0].a, pattern.stitches[1].a
    assert sorted(map(tuple, pieces["cw"].edge(left[1])[[0, -1]].tolist())) == [(0.0, 0.0), (0.0, 50.0)]
    assert sorted(map(tuple, pieces["cw"].edge(top[1])[[0, -1]].tolist())) == [(0.0, 50.0), (30.0, 50.0)]


@pytest.mark.parametrize("data", [
    b'{"pattern": {"panels": {"a": 1}}, "x": ' + b"9" * 5000 + b"}",  # an integer past Python's limit
    _spec({"a": _square_with()}, [], units_in_meter=10**400),
    _spec({"a": _square_with()}, [], units_in_meter=-100),
])
def test_numbers_out_of_range_are_refused_not_crashed_on(data):
    with pytest.raises(PatternError):
        read_pattern(data, "odd.json")
