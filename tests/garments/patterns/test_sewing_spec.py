"""The sewing document a merchandiser sends with a pattern: read, or refused saying why."""

from __future__ import annotations

import json

import pytest

from garments.patterns.pattern import PatternError, Stitch
from garments.patterns.placement import Placement, default_placement
from garments.patterns.sewing_spec import read_sewing_spec


def test_stitches_and_placements_are_read():
    spec = read_sewing_spec(json.dumps({
        "stitches": [{"a": {"piece": "FRONT", "edge": 1}, "b": {"piece": "BACK", "edge": 3}}],
        "placements": {"POCKET": {"part": "torso", "side": 0, "anchor": "waist", "offset_m": -0.05}}}))
    assert spec.stitches == (Stitch(("FRONT", 1), ("BACK", 3)),)
    assert spec.placements == {"POCKET": Placement("torso", 0.0, "waist", -0.05)}
    assert read_sewing_spec(None).stitches is None  # the file's own stitches then


@pytest.mark.parametrize("document, says", [
    ("{not json", "not JSON"),
    ('["FRONT", "BACK"]', "an object"),
    ('{"seams": []}', "an object"),
    ('{"stitches": [{"a": {"piece": "FRONT"}, "b": {"piece": "BACK", "edge": 1}}]}', "stitch 0"),
    ('{"stitches": [{"a": {"piece": "FRONT", "edge": -1}, "b": {"piece": "BACK", "edge": 1}}]}', "stitch 0"),
    ('{"stitches": [{"a": {"piece": "FRONT", "edge": true}, "b": {"piece": "BACK", "edge": 1}}]}', "stitch 0"),
    ('{"placements": {"YOKE": {"part": "tail", "anchor": "neck"}}}', "placement of YOKE"),
    ('{"placements": {"YOKE": {"part": "torso", "anchor": "neck", "side": "left"}}}', "placement of YOKE"),
    ('{"placements": {"YOKE": {"part": "torso", "anchor": "neck", "offset_m": 1e300}}}', "placement of YOKE"),
])
def test_a_malformed_document_is_refused_naming_the_sewing_field(document, says):
    with pytest.raises(PatternError, match=says) as error:
        read_sewing_spec(document)
    assert error.value.field == "sewing"


@pytest.mark.parametrize("name, category, part, side", [
    ("FRONT", "top", "torso", 0.0), ("Back Bodice", "dress", "torso", 180.0),
    ("sleeve_left", "top", "arm_l", 0.0), ("RIGHT SLEEVE", "outerwear", "arm_r", 0.0),
    ("front_left", "trousers", "leg_l", 0.0), ("BACK R", "trousers", "leg_r", 180.0),
    ("Skirt Back", "skirt", "torso", 180.0), ("waistband", "skirt", "torso", 0.0),
    ("frontRight", "top", "torso", -25.0), ("collar", "top", "neck", 0.0),
])
def test_pieces_named_as_cad_names_them_get_a_placement(name, category, part, side):
    placement = default_placement(name, category)
    assert (placement.part, placement.side) == (part, side)


def test_a_piece_whose_name_says_nothing_gets_none():
    assert default_placement("PIECE 7", "top") is None
    assert default_placement("sleeve", "top") is None  # which arm?
