"""DXF-AAMA / ASTM D6673 patterns as CAD exports them, written here with ezdxf: graded
blocks per piece and size, boundaries as polylines or loose lines, millimetres or
inches, turn points or none, and files that are not patterns at all."""

from __future__ import annotations

import io
import math

import ezdxf
import numpy as np
import pytest

from garments.patterns.pattern import PatternError
from garments.patterns.reading import read_pattern

SIZES = ("S", "M", "L")


def _to_bytes(doc) -> bytes:
    stream = io.StringIO()
    doc.write(stream)
    return stream.getvalue().encode()


def _skirt_panel(width_mm: float, length_mm: float, flare_mm: float) -> list[tuple[float, float]]:
    """A skirt panel's cut line, clockwise as some CAD writes it: waist at the top, flared hem."""
    return [(0.0, 0.0), (-flare_mm, -length_mm), (width_mm + flare_mm, -length_mm), (width_mm, 0.0)][::-1]


def graded_skirt(version: str = "R2000") -> bytes:
    """A graded A-line skirt: FRONT and BACK in S, M, L, one block each, in mm, with
    turn points, a grain line, notches, a dart (internal line), a mirror line and text."""
    doc = ezdxf.new(version)
    for layer in ("1", "2", "4", "6", "7", "8"):
        doc.layers.add(layer)
    space = doc.modelspace()
    space.add_text("Style Name: SKIRT-A01", dxfattribs={"layer": "1"})
    space.add_text("Units: METRIC", dxfattribs={"layer": "1"})
    space.add_text("Sample Size: M", dxfattribs={"layer": "1"})
    for k, size in enumerate(SIZES):
        for piece, width in (("FRONT", 360.0), ("BACK", 380.0)):
            width += 20.0 * k  # graded 2 cm a size
            block = doc.blocks.new(name=f"{piece}_{size}")
            outline = _skirt_panel(width, 600.0, 80.0)
            block.add_lwpolyline(outline, close=True, dxfattribs={"layer": "1"})
            for corner in outline:
                block.add_point(corner, dxfattribs={"layer": "2"})
            block.add_line((width / 2, -100.0), (width / 2, -500.0), dxfattribs={"layer": "7"})
            block.add_line((width / 2, 0.0), (width / 2, -6.0), dxfattribs={"layer": "4"})  # centre notch
            block.add_line((0.0, -200.0), (6.0, -200.0), dxfattribs={"layer": "4"})  # hip notch
            block.add_lwpolyline([(90.0, 0.0), (100.0, -110.0), (110.0, 0.0)], dxfattribs={"layer": "8"})
            block.add_line((0.0, 0.0), (0.0, -600.0), dxfattribs={"layer": "6"})
            for line in (f"Piece Name: {piece}", f"Size: {size}", "Quantity: 1", "Category: SHELL"):
                block.add_text(line, dxfattribs={"layer": "1"})
            space.add_blockref(block.name, (1000.0 * k, 0.0))
    return _to_bytes(doc)


def test_a_graded_pattern_gives_each_piece_in_each_size_with_its_grain_and_notches():
    pattern = read_pattern(graded_skirt(), "skirt-a01.dxf")
    assert pattern.source == "dxf-aama" and pattern.sizes == SIZES
    assert sorted((p.name, p.size) for p in pattern.pieces) == sorted(
        (name, size) for name in ("FRONT", "BACK") for size in SIZES)
    front_m = next(p for p in pattern.pieces if (p.name, p.size) == ("FRONT", "M"))
    # a trapezoid 38 cm at the waist, 54 cm at the hem, 60 cm long: (38 + 54) / 2 * 60 cm^2
    assert front_m.area_cm2 == pytest.approx((38.0 + 54.0) / 2 * 60.0, rel=1e-6)
    assert front_m.area_cm2 > 0  # turned counter-clockwise
    assert len(front_m.corners) == 4 and len(front_m.notches) == 2 and len(front_m.internal) == 1
    assert math.degrees(math.atan2(front_m.grain[1], front_m.grain[0])) == pytest.approx(-90.0)
    areas = [next(p for p in pattern.pieces if (p.name, p.size) == ("BACK", s)).area_cm2 for s in SIZES]
    assert areas[0] < areas[1] < areas[2]
    report = pattern.report()
    assert {p["name"] for p in report["pieces"]} == {"FRONT", "BACK"}
    assert any("millimetres" in note and "METRIC" in note for note in report["notes"])
    assert any(note.startswith("layer 6:") for note in report["notes"])  # the mirror line: not used
    # each edge of a piece runs corner to corner: the waist of the front is 38 cm
    edges = [np.linalg.norm(front_m.edge(k)[-1] - front_m.edge(k)[0]) for k in range(4)]
    assert min(abs(e - 38.0) for e in edges) < 1e-6


def test_loose_boundary_lines_in_inches_without_turn_points_are_joined():
    """An R12 file whose boundary is four LINEs out of order, one reversed, in inches."""
    doc = ezdxf.new("R12")
    doc.layers.add("1")
    doc.modelspace().add_text("Units: ENGLISH", dxfattribs={"layer": "1"})
    block = doc.blocks.new(name="POCKET")
    corners = [(0.0, 0.0), (6.0, 0.0), (6.0, 7.0), (0.0, 7.0)]
    for a, b in ((2, 3), (0, 1), (3, 0), (2, 1)):
        block.add_line(corners[a], corners[b], dxfattribs={"layer": "1"})
    block.add_text("Piece Name: POCKET", dxfattribs={"layer": "1"})
    block.add_text("Quantity: 2", dxfattribs={"layer": "1"})
    pattern = read_pattern(_to_bytes(doc), "pocket.dxf")
    (pocket,) = pattern.pieces
    assert pocket.size is None and pattern.sizes == () and pocket.quantity == 2
    assert pocket.area_cm2 == pytest.approx(6 * 7 * 2.54**2, rel=1e-6)
    assert len(pocket.corners) == 4 and pocket.grain is None
    assert any("inches" in note for note in pattern.notes)


@pytest.mark.parametrize("data, says", [
    (b"\x00\x01 not a drawing", "could not read"),
    (b"", "is empty"),
])
def test_files_that_are_not_dxf_are_refused_saying_why(data, says):
    with pytest.raises(PatternError, match=says):
        read_pattern(data, "pattern.dxf")


def test_a_drawing_without_pattern_pieces_is_refused_saying_what_was_found():
    doc = ezdxf.new("R2000")
    block = doc.blocks.new(name="TITLE")
    block.add_text("Piece Name: nothing here", dxfattribs={"layer": "15"})
    doc.modelspace().add_line((0, 0), (100, 0))
    with pytest.raises(PatternError, match="no boundary on layer 1") as refused:
        read_pattern(_to_bytes(doc), "drawing.dxf")
    assert refused.value.field == "pattern"


def test_a_piece_whose_boundary_crosses_itself_is_left_out_with_a_note():
    doc = ezdxf.new("R2000")
    for name, outline in (("GOOD", [(0, 0), (300, 0), (300, 300), (0, 300)]),
                          ("BOWTIE", [(0, 0), (300, 300), (300, 0), (0, 300)])):
        block = doc.blocks.new(name=name)
        block.add_lwpolyline(outline, close=True, dxfattribs={"layer": "1"})
    pattern = read_pattern(_to_bytes(doc), "two.dxf")
    assert [p.name for p in pattern.pieces] == ["GOOD"]
    assert "piece BOWTIE: its outline crosses itself" in pattern.notes


def test_other_formats_are_named():
    with pytest.raises(PatternError, match="DXF-AAMA"):
        read_pattern(b"%PDF-1.4", "pattern.pdf")


def test_units_the_merchandiser_gives_win_over_the_file():
    pattern = read_pattern(graded_skirt(), "skirt.dxf", units="cm")
    assert max(p.area_cm2 for p in pattern.pieces) > 100 * 1000  # 76 x 60 cm read as 760 x 600 cm
    assert "units: cm (as given)" in pattern.notes
    with pytest.raises(PatternError, match="units are one of"):
        read_pattern(graded_skirt(), "skirt.dxf", units="furlong")


def test_a_long_outline_is_read_and_odd_entities_are_named():
    """A 20,000-point circle (the most a piece may have) and a SPLINE on the boundary layer."""
    doc = ezdxf.new("R2000")
    block = doc.blocks.new(name="CIRCLE_SKIRT")
    angles = np.linspace(0, 2 * np.pi, 20_000, endpoint=False)
    block.add_lwpolyline(np.column_stack([np.cos(angles), np.sin(angles)]) * 700.0, close=True,
                         dxfattribs={"layer": "1"})
    block.add_spline([(0, 0), (100, 50), (200, 0)], dxfattribs={"layer": "1"})
    block.add_text("Quantity: inf", dxfattribs={"layer": "1"})
    pattern = read_pattern(_to_bytes(doc), "circle.dxf")
    (skirt,) = pattern.pieces
    assert skirt.area_cm2 == pytest.approx(np.pi * 70.0**2, rel=1e-3) and skirt.quantity == 1
    assert any("SPLINE, not read" in note for note in pattern.notes)
    assert any("quantity 'inf' not understood" in note for note in pattern.notes)
