"""Sewing patterns: ``POST /v1/patterns/check``, what tryon reads in a pattern file.

A merchandiser sends a DXF-AAMA / ASTM D6673 export or a GarmentCode
specification and gets back every piece with its size, area and grain, the
stitches the file gives, and what could not be understood; nothing is
stored. A file that cannot be used is a 422 saying why
(``garments.patterns``).
"""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, File, Float, Integer, List, Nested, String
from apiflask.validators import OneOf

from api.auth import SECURITY, require_key
from garments.patterns.reading import read_pattern

patterns = APIBlueprint("patterns", __name__, url_prefix="/v1", tag="Patterns")

PatternForm = Schema.from_dict({
    "pattern": File(required=True, metadata={
        "description": "a DXF-AAMA / ASTM D6673 .dxf (graded: a block per piece and size) or a "
                       "GarmentCode .json specification; at most 20 MB"}),
    "units": String(validate=OneOf(["mm", "cm", "in"]), metadata={
        "description": "a DXF's units, where the file states them wrongly or not at all"}),
}, name="PatternForm")


class PieceOut(Schema):
    name = String()
    size = String(allow_none=True)
    area_cm2 = Float()
    perimeter_cm = Float()
    width_cm = Float()
    height_cm = Float()
    edges = Integer(metadata={"description": "edges between corners, numbered from 0 as stitches name them"})
    edge_list = List(Dict(), metadata={
        "description": "each edge: {edge: its number, from: [x, y], to: [x, y] cm, length_cm}, round the "
                       "piece counter-clockwise seen from outside"})
    grain_deg = Float(allow_none=True, metadata={"description": "the grain line's angle from the piece's x axis"})
    notches = Integer()
    internal_lines = Integer()
    quantity = Integer()


class PatternReport(Schema):
    format = String(metadata={"description": "dxf-aama or garmentcode"})
    sizes = List(String())
    pieces = List(Nested(PieceOut))
    stitches = List(Dict(), metadata={"description": "{a: {piece, edge}, b: {piece, edge}} each"})
    notes = List(String(), metadata={"description": "what was left out or not understood, and the units taken"})


@patterns.post("/patterns/check")
@require_key("merchant")
@patterns.input(PatternForm, location="form_and_files")
@patterns.output(PatternReport)
@patterns.doc(security=SECURITY, responses=[413, 422])
def check_pattern(form_and_files_data):
    """Say what tryon reads in a sewing pattern file; nothing is stored."""
    upload = form_and_files_data["pattern"]
    return read_pattern(upload.read(), upload.filename or "pattern", form_and_files_data.get("units")).report()
