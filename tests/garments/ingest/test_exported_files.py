"""OBJ files as CLO, Marvelous Designer, Browzwear and Blender export them.

Each fixture (hand-written, Y-up, centimetres, as the tools write them) has
one oddity; ``clo_export.obj`` has them all at once. Loading only: no body
model, mannequin or validation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from garments.ingest.loading import load_mesh
from garments.ingest.polygons import ear_clip

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str):
    result = load_mesh(FIXTURES / name)
    assert result.ok, result.errors
    return result


def uv_of(mesh, point) -> np.ndarray:
    """The UV (2,) of the one vertex at point (3,)."""
    at = np.flatnonzero(np.all(np.isclose(mesh.vertices, point), axis=1))
    assert len(at) == 1, (point, at)
    return mesh.uvs[at[0]]


def triangle_areas(mesh) -> np.ndarray:
    """(F,) signed areas (cm^2) of the faces seen from +z (all faces lie in z planes)."""
    a, b, c = (mesh.vertices[mesh.faces[:, i], :2] for i in range(3))
    return 0.5 * ((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0])


def notes_about(result, word: str) -> list[str]:
    return [note for note in result.notes if f"'{word}'" in note]


def test_skipped_statements_get_one_note_per_kind():
    result = load("skipped_statements.obj")
    expected = {"vp": 3, "l": 2, "p": 1, "cstype": 3, "deg": 2, "curv": 2, "parm": 1,
                "end": 2, "lod": 1, "vertex_weight": 1}
    for key, count in expected.items():
        (note,) = notes_about(result, key)
        assert note.startswith(f"Skipped {count} '{key}' statement"), note
    assert "Skipped 3 'cstype' statements (free-form curves and surfaces), which garments " \
        "do not use." in result.notes
    assert "not part of the OBJ format" in notes_about(result, "vertex_weight")[0]
    assert result.warnings == []
    assert result.mesh.vertices.shape == (4, 3) and result.mesh.faces.shape == (2, 3)


def test_missing_mtl_is_a_warning():
    result = load("missing_mtl.obj")
    assert len(result.warnings) == 1 and "'Pocket_Materials.mtl'" in result.warnings[0]
    assert not any("Pocket_Materials" in note for note in result.notes)
    assert result.mesh.material.name == "default"
    assert result.mesh.faces.shape == (2, 3)
    np.testing.assert_allclose(uv_of(result.mesh, (6.0, 117.0, 13.2)), (0.4, 0.5))


def test_missing_texture_is_a_warning_and_the_colour_stays():
    result = load("missing_texture.obj")
    assert len(result.warnings) == 1 and "'textures/denim_twill.png'" in result.warnings[0]
    material = result.mesh.material
    assert material.name == "Denim" and material.texture is None
    np.testing.assert_allclose(material.base_color, (0.1, 0.2, 0.6, 1.0), atol=1 / 255)
    assert set(result.companions) == {"missing_texture.mtl"}


def test_pattern_space_uvs_are_kept_as_they_are():
    result = load("pattern_uvs.obj")
    mesh = result.mesh
    assert mesh.vertices.shape == (5, 3) and mesh.faces.shape == (3, 3)
    assert mesh.uvs.shape == (5, 2)
    for point, uv in [((-15, 135, -9), (112.5, 40)), ((15, 145, -8), (142.5, 50)),
                      ((0, 150, -7.5), (127.5, 55))]:
        np.testing.assert_array_equal(uv_of(mesh, point), uv)  # not rescaled
    (note,) = [note for note in result.notes if "0-1" in note]
    assert "repeat" in note and "(112.5, 40) to (142.5, 55)" in note


def test_unused_vertices_are_dropped_and_faces_follow():
    result = load("unused_vertices.obj")
    mesh = result.mesh
    assert "Dropped 3 vertices that no face uses." in result.notes
    # The file's used vertices 2, 3, 5, 6, in the file's order.
    np.testing.assert_array_equal(mesh.vertices, [[30, 100, 2], [34, 100, 2], [34, 104, 2],
                                                  [30, 104, 2]])
    np.testing.assert_array_equal(mesh.vertices[mesh.faces], [
        [[30, 100, 2], [34, 100, 2], [34, 104, 2]], [[30, 100, 2], [34, 104, 2], [30, 104, 2]]])
    np.testing.assert_array_equal(mesh.uvs, [[0, 0], [0.5, 0], [0.5, 0.25], [0, 0.25]])


def test_quads_and_ngons_are_ear_clipped_with_their_uvs():
    result = load("polygons.obj")
    mesh = result.mesh
    sizes = [3, 4, 4, 6]  # a triangle, a quad, a dart (concave quad), an L (concave)
    assert len(mesh.faces) == sum(n - 2 for n in sizes) == 9
    assert "Split 2 quads and 1 polygon of more sides into 8 triangles." in result.notes
    assert mesh.vertices.shape == (17, 3)
    areas = triangle_areas(mesh)
    # Ear clipping: every triangle inside its polygon, facing the polygon's way,
    # the polygon's area covered once (a fan would overlap the dart and the L).
    assert (areas > 0).all()
    np.testing.assert_allclose([areas[:1].sum(), areas[1:3].sum(), areas[3:5].sum(),
                                areas[5:].sum()], [50, 100, 200, 600])
    # Every corner keeps its UV: here u = x / 100 (the L's shifted by 0.15).
    for vertex, uv in zip(mesh.vertices, mesh.uvs):
        shift = 0.15 if vertex[0] >= 70 else 0.0
        np.testing.assert_allclose(uv, (vertex[0] / 100 - shift, (vertex[1] - 100) / 100))


def test_ear_clip_of_a_self_crossing_polygon_still_gives_n_minus_2():
    bow_tie = np.array([[0, 0, 0], [2, 2, 0], [2, 0, 0], [0, 2, 0], [1, 3, 0]], dtype=float)
    assert ear_clip(bow_tie).shape == (3, 3)
    assert ear_clip(np.zeros((5, 3))).shape == (3, 3)  # no area at all


def test_vertex_colours_after_positions():
    result = load("vertex_colours.obj")
    mesh = result.mesh
    np.testing.assert_array_equal(mesh.vertices, [[-3, 110, -11], [3, 110, -11],
                                                  [3, 114, -11], [-3, 114, -11]])
    assert mesh.faces.shape == (2, 3)
    assert mesh.material.name == "vertex colours"
    np.testing.assert_allclose(mesh.material.base_color, (0.9, 0.1, 0.1, 1.0), atol=1 / 255)


def test_pieces_and_layers_load_as_one_mesh():
    result = load("pieces_and_layers.obj")
    mesh = result.mesh
    assert mesh.vertices.shape == (12, 3) and mesh.faces.shape == (6, 3)
    # The lining's faces count back ('f -4 -3 -2') to the lining's own vertices.
    lining = mesh.vertices[mesh.faces[4:]]
    np.testing.assert_array_equal(lining[..., 2], 11.7)
    np.testing.assert_array_equal(lining[0], [[-19.5, 100.5, 11.7], [19.5, 100.5, 11.7],
                                              [19.5, 129.5, 11.7]])
    assert sorted(set(mesh.vertices[:, 2])) == [-12.0, 11.7, 12.0]


def test_a_clo_export_with_everything_at_once():
    result = load("clo_export.obj")
    mesh = result.mesh
    assert len(result.warnings) == 1 and "'clo_export.mtl'" in result.warnings[0]
    for key in ("vp", "l", "cstype"):
        assert len(notes_about(result, key)) == 1, key
    assert not any(f"'{key}'" in note for key in ("o", "g", "s", "vn") for note in result.notes)
    assert "Split 8 quads and 1 polygon of more sides into 19 triangles." in result.notes
    assert "Dropped 1 vertex that no face uses." in result.notes
    assert any("repeat" in note for note in result.notes)
    # Shell, lining and collar all there; per-corner normals split nothing.
    assert mesh.vertices.shape == (23, 3) and mesh.faces.shape == (19, 3)
    assert not np.isclose(mesh.vertices, 0).all(axis=1).any()  # the stray (0, 0, 0)
    np.testing.assert_allclose(uv_of(mesh, (0, 120, 12.5)), (30, 40))
    np.testing.assert_allclose(uv_of(mesh, (0, 120, 12.2)), (90, 40))  # lining, 3 mm in
    np.testing.assert_allclose(uv_of(mesh, (0, 151, 7.5)), (18, 89))
    assert np.isfinite(mesh.uvs).all() and mesh.uvs.shape == (23, 2)


@pytest.mark.parametrize("faces, with_uvs", [
    ("f 1/1 2/2 3/3\nf 1 3 4\n", False), ("f 1/1 2/2 3/3\nf 1/1 3/3 4/4\n", True)])
def test_faces_without_uvs_drop_them_all(faces, with_uvs):
    text = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n" + faces
    result = load_mesh(text.encode(), "mixed.obj")
    assert result.ok and (result.mesh.uvs is not None) == with_uvs
    assert any("some do not" in note for note in result.notes) != with_uvs
