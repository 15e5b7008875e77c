"""Validation reports: every rejection from a crafted file, and what passes."""

from __future__ import annotations

import pytest

import os
import time

import numpy as np
import trimesh

from garments.ingest import placement
from garments.ingest.validation import MAX_TRIANGLES, validate_file
from tests.garments.garment_files import obj_text, ply_bytes, torso_tube

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


def test_good_tube_is_accepted_with_its_hems(tube):
    vertices, faces = tube
    report, mesh = validate_file(ply_bytes(vertices, faces), "women", "M", "tube.ply")

    assert report.accepted and report.codes("error") == [] and report.codes("warning") == []
    assert report.stats["units"] == "metres" and report.stats["pieces"] == 1
    hems = report.findings[-1]
    assert hems.code == "open_edges" and len(hems.details["loops"]) == 2
    top, bottom = hems.details["loops"]
    # The band runs from 0.60 to 0.72 of 1.68 m; the hems go round the torso.
    assert abs(top["height_m"] - 1.20) < 0.03 and abs(bottom["height_m"] - 1.02) < 0.03
    assert 0.8 < bottom["length_m"] < top["length_m"] < 1.3
    assert "cm around at 1.02 m height" in hems.message
    np.testing.assert_allclose(mesh.vertices, vertices, atol=1e-6)
    assert report.as_dict()["accepted"] is True


def test_truncated_obj(tube):
    vertices, faces = tube
    text = obj_text(vertices, faces)
    cut = text[: text.rstrip("\n").rfind(" ")]  # the upload stopped in the last face
    report, mesh = validate_file(cut.encode(), "women", "M", "tube.obj")

    assert not report.accepted and mesh is None
    finding = report.findings[0]
    last_line = cut.count("\n") + 1
    assert finding.code == "truncated" and finding.details == {"line": last_line}
    assert finding.message.startswith(f"Line {last_line}, the last line, is cut off")


def test_nan_vertex_in_obj_names_its_line(tube):
    vertices, faces = tube
    lines = obj_text(vertices, faces).splitlines()
    lines[4] = "v 0.1 nan 1.0"
    report, _ = validate_file("\n".join(lines).encode(), "women", "M", "tube.obj")
    assert not report.accepted
    assert [(f.code, f.details) for f in report.findings] == [("non_finite", {"line": 5})]


def test_nan_vertex_in_ply(tube):
    vertices, faces = tube
    vertices = vertices.copy()
    vertices[[3, 40]] = np.nan
    report, _ = validate_file(ply_bytes(vertices, faces), "women", "M", "tube.ply")
    assert not report.accepted and report.codes("error") == ["non_finite"]
    assert report.findings[0].details["vertices"] == [4, 41]
    assert "2 vertices" in report.findings[0].message


def test_too_many_triangles(tmp_path, mannequin_m):
    side = 389  # a 389 x 389 grid: 301,088 triangles
    x, z = np.meshgrid(np.linspace(-0.3, 0.3, side), np.linspace(0.9, 1.3, side))
    vertices = np.stack([x.ravel(), np.full(x.size, -0.2), z.ravel()], axis=1)
    i = np.arange(side - 1)
    corner = (i[:, None] * side + i[None, :]).ravel()
    faces = np.concatenate([np.stack([corner, corner + 1, corner + side], 1),
                            np.stack([corner + 1, corner + side + 1, corner + side], 1)])
    path = tmp_path / "dense.ply"
    path.write_bytes(ply_bytes(vertices, faces))

    report, mesh = validate_file(path, "women", "M")

    assert len(faces) == 301_088 and mesh is None
    assert report.codes("error") == ["too_many_triangles"]
    assert MAX_TRIANGLES == 200_000 and "the limit is 200,000" in report.findings[0].message


def test_millimetres_are_converted_and_reported(tube):
    vertices, faces = tube
    report, mesh = validate_file(obj_text(vertices * 1000, faces).encode(), "women", "M", "mm.obj")

    assert report.accepted and report.stats["units"] == "millimetres"
    converted = [f for f in report.findings if f.code == "units_converted"]
    assert len(converted) == 1 and converted[0].severity == "info"
    assert "millimetres" in converted[0].message and converted[0].details["scale"] == 0.001
    np.testing.assert_allclose(mesh.vertices, vertices, atol=1e-9)


def test_centimetres_are_converted(tube):
    vertices, faces = tube
    report, mesh = validate_file(ply_bytes(vertices * 100, faces), "women", "M", "cm.ply")
    assert report.accepted and report.stats["units"] == "centimetres"
    np.testing.assert_allclose(mesh.vertices, vertices, atol=1e-6)


def test_garment_two_metres_off_the_body(tube):
    vertices, faces = tube
    moved = ply_bytes(vertices + [2.0, 0.0, 0.0], faces)
    report, mesh = validate_file(moved, "women", "M", "t.ply")
    assert not report.accepted and mesh is None
    assert report.codes("error") == ["off_body"]
    assert "to its left" in report.findings[-1].message


def test_garment_deep_inside_the_body_says_where(mannequin_m):
    vertices, faces = torso_tube(mannequin_m, offset=-0.04)
    report, _ = validate_file(ply_bytes(vertices, faces), "women", "M", "t.ply")

    assert report.codes("error") == ["inside_body"]
    finding = report.findings[-1]
    assert finding.details["share"] > 0.9
    regions = [r["region"] for r in finding.details["regions"]]
    assert "front of the chest" in regions and "back of the waist" in regions
    assert f"mostly at the {regions[0]} (" in finding.message
    assert all(0.02 < r["depth_m"] < 0.045 for r in finding.details["regions"])


def test_a_few_vertices_inside_is_a_warning(mannequin_m, tube):
    vertices, faces = tube
    vertices = vertices.copy()
    chest = np.argmin(vertices[:, 1] + np.abs(vertices[:, 2] - 1.15))  # frontmost, chest height
    vertices[chest, 1] += 0.08  # pushed 8 cm back, into the chest
    report, _ = validate_file(ply_bytes(vertices, faces), "women", "M", "t.ply")
    assert report.accepted and report.codes("warning") == ["inside_body"]
    assert "front of the chest" in report.findings[-1].message


def test_empty_file(tmp_path):
    path = tmp_path / "shirt.obj"
    path.write_bytes(b"")
    report, mesh = validate_file(path, "women", "M")
    assert mesh is None and report.codes("error") == ["empty_file"]
    assert report.findings[0].message == "The file is empty."


def test_binary_junk_named_obj(tmp_path):
    path = tmp_path / "shirt.obj"
    path.write_bytes(os.urandom(4096))
    report, _ = validate_file(path, "women", "M")
    assert report.codes("error") == ["not_text"]
    assert "binary data" in report.findings[0].message


def test_glb_renamed_to_obj_says_so(tube):
    vertices, faces = tube
    glb = trimesh.Trimesh(vertices, faces, process=False).export(file_type="glb")
    report, _ = validate_file(glb, "women", "M", "shirt.obj")
    assert "looks like a GLB file" in report.findings[0].message


def test_unknown_extension():
    report, _ = validate_file(b"solid shirt\n", "women", "M", "shirt.stl")
    assert report.codes("error") == ["unknown_format"]
    assert "OBJ" in report.findings[0].message and "'.stl'" in report.findings[0].message


def test_topology_findings(tube):
    vertices, faces = tube
    far_piece = vertices[faces[0]] + [0.0, -0.02, 0.0]  # a loose triangle, a pocket
    vertices = np.concatenate([vertices, far_piece, vertices[faces[5][:1]]])
    n = len(tube[0])
    faces = np.concatenate([
        faces,
        faces[:2],  # two triangles twice
        [[n, n + 1, n + 2]],  # the separate piece
        [[faces[10][0], faces[10][1], faces[10][0]]],  # a corner repeated: no area
        [[faces[20][0], faces[20][1], n + 3]],  # a third triangle on an edge
    ])
    report, _ = validate_file(ply_bytes(vertices, faces), "women", "M", "t.ply")

    assert report.accepted
    by_code = {f.code: f for f in report.findings}
    assert by_code["duplicate_faces"].details["count"] == 2
    assert by_code["degenerate_faces"].details["count"] == 1
    assert by_code["non_manifold_edges"].details["count"] == 1
    assert by_code["pieces"].details["count"] == 2
    assert {f.severity for f in report.findings
            if f.code not in ("pieces", "open_edges")} == {"warning"}


def test_inside_check_is_fast(mannequin_m, tube):
    vertices, faces = tube
    for _ in range(3):  # 497 -> ~28k vertices
        vertices, faces = trimesh.remesh.subdivide(vertices, faces)
    vertices = vertices[:20_000]
    start = time.perf_counter()
    depth, _ = placement.depth_inside(vertices, mannequin_m.vertices, mannequin_m.faces)
    assert time.perf_counter() - start < 1.0
    assert (np.abs(depth + 0.015) < 0.006).mean() > 0.95  # 1.5 cm outside
