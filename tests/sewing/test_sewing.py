"""Patterns sewn round the mannequins by the solver: seams closed, nothing inside the body,
girths as the pattern's, woven cloth unstrained; a graded DXF sewn with a stitches
document; and what cannot be sewn refused saying why."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from avatars.body_models.registry import get_body_model
from garments.mannequin import mannequin, mannequin_geometry
from garments.patterns.pattern import PatternError, Stitch
from garments.patterns.reading import read_pattern
from garments.patterns.sewing_spec import read_sewing_spec
from garments.sample_patterns.catalogue import SAMPLES
from tests.garments.patterns.test_dxf_aama import graded_skirt
from tryon.cloth.fabric import solver_fabric
from tryon.sewing.garment_files import sew_files
from tryon.sewing.sewing import sew

pytestmark = pytest.mark.slow  # the body model and the solver


def _sew_sample(key: str, size: str):
    sample = next(s for s in SAMPLES if s.key == key)
    pattern = read_pattern(sample.pattern_bytes(size), f"{size}.json")
    body = mannequin(sample.fit, size)
    return pattern, sew(pattern, None, sample.category, mannequin_geometry(sample.fit, size),
                        get_body_model(body.sex).landmarks, solver_fabric(sample.fabric), sample.placements)


def _girths(sewn, pieces: tuple[str, ...], row_cm: float) -> tuple[float, float]:
    """(the pattern's girth, the sewn garment's) along the line y = ``row_cm`` of ``pieces``,
    cm: the pieces' widths on that line laid side by side, and the length of that line where
    the sewing left it, as a tape laid along the garment's surface reads it (each mesh edge
    crossing the line gives a point, interpolated)."""
    flat_girth, sewn_girth = 0.0, 0.0
    for piece in (p for p in sewn.pieces if p.name in pieces):
        edges = np.concatenate([piece.faces[:, [0, 1]], piece.faces[:, [1, 2]], piece.faces[:, [2, 0]]])
        y = piece.flat[edges, 1]
        crossing = (y[:, 0] - row_cm) * (y[:, 1] - row_cm) < 0
        t = ((row_cm - y[crossing, 0]) / (y[crossing, 1] - y[crossing, 0]))[:, None]
        a, b = edges[crossing, 0], edges[crossing, 1]
        x = piece.flat[a, 0] + t[:, 0] * (piece.flat[b, 0] - piece.flat[a, 0])
        vertices = sewn.vertices[piece.vertex_ids]
        line = (vertices[a] + t * (vertices[b] - vertices[a]))[np.argsort(x)]
        flat_girth += np.ptp(x)
        sewn_girth += np.linalg.norm(np.diff(line, axis=0), axis=1).sum() * 100.0
    return flat_girth, sewn_girth


def test_a_t_shirt_is_sewn_closed_round_its_mannequin_as_its_pattern_measures():
    pattern, sewn = _sew_sample("tshirt", "M")
    report = sewn.report
    assert report["seam_gap_pulled_mm"] <= 5.0  # the pull alone brings every stitch within 5 mm
    assert report["seams_closed"] and report["seam_gap_mm"] <= 2.0
    assert report["penetration_mm"] <= 1.0 and report["at_rest"]
    # every stitch joined: a stitched edge's vertices are the other edge's
    outline = sum(len(p.flat) for p in sewn.pieces)
    assert report["vertices"] < outline and len(np.unique(sewn.faces)) == report["vertices"]
    edges = np.sort(np.concatenate([sewn.faces[:, [0, 1]], sewn.faces[:, [1, 2]], sewn.faces[:, [2, 0]]]), axis=1)
    unique, uses = np.unique(edges, axis=0, return_counts=True)
    assert set(uses.tolist()) <= {1, 2}  # one surface: no seam sewn onto a third piece
    # open edges: the hem, the two cuffs, the neckband's top: nothing else left unsewn
    open_edges = unique[uses == 1]
    open_cm = np.linalg.norm(sewn.vertices[open_edges[:, 0]] - sewn.vertices[open_edges[:, 1]], axis=1).sum() * 100
    piece = {p.name: p for p in pattern.pieces}
    hems_cm = (np.ptp(piece["front"].outline[:, 0]) * 2 + 2 * np.linalg.norm(np.diff(piece["sleeve_left"].edge(0), axis=0))
               + np.linalg.norm(np.diff(piece["neckband"].edge(len(piece["neckband"].corners) - 2), axis=0)))
    assert open_cm == pytest.approx(hems_cm, rel=0.1)
    front = next(p for p in pattern.pieces if p.name == "front")
    chest_row = float(front.outline[front.corners[2], 1]) - 6.0  # 6 cm below the underarm
    flat, sewn_girth = _girths(sewn, ("front", "back"), chest_row)
    assert sewn_girth == pytest.approx(flat, abs=1.0)


@pytest.mark.parametrize("key, pieces, below_top_cm", [("skirt", ("skirt_front", "skirt_back"), 15.0),
                                                       ("blouse", ("front_left", "front_right", "back"), 30.0)])
def test_woven_garments_settle_unstrained_and_keep_their_girth(key, pieces, below_top_cm):
    pattern, sewn = _sew_sample(key, "M")
    assert sewn.report["stretch_p95"] <= 0.02 and sewn.report["at_rest"]
    top = max(float(p.outline[:, 1].max()) for p in pattern.pieces if p.name == pieces[0])
    flat, sewn_girth = _girths(sewn, pieces, top - below_top_cm)
    assert sewn_girth == pytest.approx(flat, abs=1.0)


def _side_seams(pattern) -> dict:
    """The sewing document of the DXF skirt: FRONT's slanted edges to BACK's, as a
    merchandiser reads them off ``tryon patterns check``'s edge list."""
    def slanted(name):
        piece = next(p for p in pattern.report()["pieces"] if p["name"] == name and p["size"] == "M")
        sides = [e for e in piece["edge_list"] if abs(e["from"][1] - e["to"][1]) > 50]
        return sorted(sides, key=lambda e: e["from"][0])  # the left side first
    front, back = slanted("FRONT"), slanted("BACK")
    return {"stitches": [{"a": {"piece": "FRONT", "edge": front[0]["edge"]}, "b": {"piece": "BACK", "edge": back[1]["edge"]}},
                         {"a": {"piece": "FRONT", "edge": front[1]["edge"]}, "b": {"piece": "BACK", "edge": back[0]["edge"]}}]}


def test_a_graded_dxf_is_sewn_in_each_size_with_a_stitches_document(tmp_path):
    pattern = read_pattern(graded_skirt(), "skirt-a01.dxf")
    spec = read_sewing_spec(json.dumps(_side_seams(pattern)))
    paths, reports = sew_files(pattern, {"S": "S", "L": "L"}, "skirt", "woven-cotton", "women", tmp_path,
                               stitches=spec.stitches, placements=spec.placements)
    assert sorted(paths) == ["L", "S"] and all(p.exists() for p in paths.values())
    for report in reports.values():
        assert report["seams_closed"] and report["penetration_mm"] <= 1.0 and report["stitches"] == 2
    assert reports["L"]["vertices"] > reports["S"]["vertices"]  # graded: the L is bigger


def test_what_cannot_be_sewn_is_refused_saying_why():
    pattern = read_pattern(graded_skirt(), "skirt-a01.dxf")
    body = mannequin_geometry("women", "M")
    landmarks = get_body_model("female").landmarks
    fabric = solver_fabric("woven-cotton")
    with pytest.raises(PatternError, match="nothing of how its pieces are sewn"):
        sew(pattern, "M", "skirt", body, landmarks, fabric)
    with pytest.raises(PatternError, match="piece 'YOKE', which this size does not have"):
        sew(pattern, "M", "skirt", body, landmarks, fabric, stitches=(Stitch(("FRONT", 0), ("YOKE", 1)),))
    with pytest.raises(PatternError, match="edge 9 of FRONT, which has 4"):
        sew(pattern, "M", "skirt", body, landmarks, fabric, stitches=(Stitch(("FRONT", 9), ("BACK", 1)),))
    with pytest.raises(PatternError, match="stitched twice"):
        sew(pattern, "M", "skirt", body, landmarks, fabric,
            stitches=(Stitch(("FRONT", 1), ("BACK", 1)), Stitch(("FRONT", 1), ("BACK", 3))))
    unnamed = replace(pattern, pieces=tuple(replace(p, name=f"PIECE {p.name[0]}") for p in pattern.pieces))
    with pytest.raises(PatternError, match="no placement for PIECE F, PIECE B") as error:
        sew(unnamed, "M", "top", body, landmarks, fabric, stitches=(Stitch(("PIECE F", 1), ("PIECE B", 3)),))
    assert error.value.field == "placements"


def test_side_seams_sewn_notch_to_notch_meet_at_their_notches():
    from tests.garments.patterns.test_notches import _notch, notched_skirt

    pattern = read_pattern(notched_skirt(), "skirt.dxf")
    front, back = _notch(pattern, "FRONT", 1), _notch(pattern, "BACK", -1)  # both on the wearer's left
    # FRONT's left side runs from corner 1 (hem) to 2 (waist), BACK's from 3 (waist) to 0 (hem)
    spec = read_sewing_spec(json.dumps({"stitches": [
        {"a": {"piece": "FRONT", "from": {"notch": front}, "to": {"corner": 2}},
         "b": {"piece": "BACK", "from": {"corner": 3}, "to": {"notch": back}}},
        {"a": {"piece": "FRONT", "from": {"corner": 1}, "to": {"notch": front}},
         "b": {"piece": "BACK", "from": {"notch": back}, "to": {"corner": 0}}},
        {"a": {"piece": "FRONT", "edge": 3}, "b": {"piece": "BACK", "edge": 1}}]}))
    sewn = sew(pattern, None, "skirt", mannequin_geometry("women", "S"), get_body_model("female").landmarks,
               solver_fabric("woven-cotton"), stitches=spec.stitches)
    assert sewn.report["seams_closed"] and sewn.report["stitches"] == 3 and sewn.report["penetration_mm"] <= 1.0
    # the two notches were sewn to one point, 18 cm below the waist on both pieces
    at = {}
    for piece in sewn.pieces:
        notch = next(p for p in pattern.pieces if p.name == piece.name).notches[front if piece.name == "FRONT" else back]
        at[piece.name] = piece.vertex_ids[np.argmin(np.linalg.norm(piece.flat - notch, axis=1))]
    assert at["FRONT"] == at["BACK"]
