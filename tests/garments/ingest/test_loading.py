"""Loading OBJ (+MTL, texture), GLB and PLY files from disk and from bytes."""

from __future__ import annotations

import pytest

import io

import numpy as np
import trimesh
from PIL import Image

from garments.ingest.loading import load_mesh, weld
from tests.garments.garment_files import (
    cylinder_uvs, glb_bytes, obj_text, ply_bytes, png_bytes, write_obj_with_texture,
)


@pytest.mark.slow
def test_obj_with_mtl_and_texture_round_trip(tmp_path, tube):
    vertices, faces = tube
    path = write_obj_with_texture(tmp_path, vertices, faces)

    result = load_mesh(path)

    assert result.ok and result.format == "obj"
    mesh = result.mesh
    # The UV seam splits some positions into two vertices ...
    assert len(mesh.vertices) > len(vertices)
    assert mesh.uvs.shape == (len(mesh.vertices), 2)
    # ... and every face corner keeps its own UV.
    np.testing.assert_allclose(mesh.uvs[mesh.faces], cylinder_uvs(vertices, faces), atol=1e-7)
    # Welding gives back the file's positions, in the file's order, and its faces.
    welded = weld(mesh.vertices, mesh.faces)
    np.testing.assert_allclose(welded.vertices, vertices, atol=1e-9)
    np.testing.assert_array_equal(welded.faces, faces)
    np.testing.assert_allclose(welded.vertices[welded.index], mesh.vertices)

    material = mesh.material
    assert material.name == "tube"
    assert material.base_color == (0.2, 0.4, 0.6, 1.0)
    assert material.roughness == np.float64(1.0 - np.sqrt(0.25))
    assert material.texture == png_bytes() and material.texture_name == "tube.png"
    assert set(result.companions) == {"tube.mtl", "tube.png"}


@pytest.mark.slow
def test_obj_without_uvs_keeps_vertex_order(tube):
    vertices, faces = tube
    result = load_mesh(obj_text(vertices, faces).encode(), "tube.obj")
    np.testing.assert_allclose(result.mesh.vertices, vertices, atol=1e-9)
    np.testing.assert_array_equal(result.mesh.faces, faces)
    assert result.mesh.uvs is None and result.mesh.material.texture is None


@pytest.mark.slow
def test_obj_bytes_find_companions_by_name_only(tmp_path, tube):
    vertices, faces = tube
    text = obj_text(vertices, faces, cylinder_uvs(vertices, faces))
    text = "mtllib ../../secret/look.mtl\nusemtl look\n" + text
    mtl = b"newmtl look\nKd 1 0 0\nmap_Kd C:\\textures\\look.png\n"
    result = load_mesh(text.encode(), "upload.obj",
                       companions={"look.mtl": mtl, "look.png": png_bytes()})
    assert result.mesh.material.base_color == (1.0, 0.0, 0.0, 1.0)
    assert result.mesh.material.texture == png_bytes()

    # Next to a file on disk, a reference never leaves the file's folder.
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "look.mtl").write_bytes(mtl)
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / "shirt.obj").write_text(text)
    result = load_mesh(tmp_path / "upload" / "shirt.obj")
    assert result.ok and result.companions == {}
    assert result.mesh.material.texture is None


@pytest.mark.slow
def test_glb_round_trip(tmp_path, tube):
    vertices, faces = tube
    path = tmp_path / "tube.glb"
    path.write_bytes(glb_bytes(vertices, faces))

    result = load_mesh(path)

    assert result.ok and result.format == "glb"
    np.testing.assert_allclose(result.mesh.vertices, vertices, atol=1e-6)  # float32 in GLB
    np.testing.assert_array_equal(result.mesh.faces, faces)
    assert result.mesh.uvs.shape == (len(vertices), 2)
    np.testing.assert_allclose(result.mesh.uvs[:, 0], np.linspace(0, 1, len(vertices)), atol=1e-6)
    material = result.mesh.material
    np.testing.assert_allclose(material.base_color, (0.2, 0.4, 0.6, 1.0), atol=1e-2)
    assert abs(material.roughness - 0.7) < 1e-6
    assert Image.open(io.BytesIO(material.texture)).size == (16, 8)


@pytest.mark.slow
def test_gltf_with_its_buffers(tube):
    vertices, faces = tube
    files = trimesh.Trimesh(vertices, faces, process=False).export(file_type="gltf")
    document = files.pop("model.gltf")

    result = load_mesh(document, "shirt.gltf", companions=files)
    assert result.ok and result.format == "gltf" and set(result.companions) == set(files)
    np.testing.assert_allclose(result.mesh.vertices, vertices, atol=1e-6)

    missing = load_mesh(document, "shirt.gltf")
    assert [e.code for e in missing.errors] == ["missing_file"]
    assert ".bin" in missing.errors[0].message


@pytest.mark.slow
def test_a_missing_mtl_is_a_warning(tube):
    vertices, faces = tube
    result = load_mesh(obj_text(vertices, faces, material="shirt").encode(), "shirt.obj")
    assert result.ok and result.mesh.material.name == "default"
    assert result.warnings == ["The file refers to 'shirt.mtl', not uploaded with it; the garment "
                               "is shown without it."]
    assert result.notes == []


@pytest.mark.slow
def test_ply_round_trip(tmp_path, tube):
    vertices, faces = tube
    path = tmp_path / "tube.ply"
    path.write_bytes(ply_bytes(vertices, faces))

    result = load_mesh(path)

    assert result.ok and result.format == "ply"
    np.testing.assert_allclose(result.mesh.vertices, vertices, atol=1e-6)
    np.testing.assert_array_equal(result.mesh.faces, faces)
    assert result.mesh.uvs is None and result.mesh.material.texture is None


def test_weld_merges_coincident_vertices_only():
    vertices = np.array(
        [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 0], [1, 0, 5e-7]], dtype=float)
    faces = np.array([[0, 1, 2], [3, 4, 2], [5, 4, 1]])
    welded = weld(vertices, faces)
    np.testing.assert_array_equal(welded.index, [0, 1, 2, 1, 3, 1])
    np.testing.assert_array_equal(welded.faces, [[0, 1, 2], [1, 3, 2], [1, 3, 1]])
    assert len(welded.vertices) == 4


def test_problems_are_messages_not_exceptions(tmp_path):
    cases = {
        "empty.obj": (b"", "empty_file"),
        "blank.ply": (b"  \n", "empty_file"),
        "shirt.fbx": (b"Kaydara FBX Binary  \x00", "unknown_format"),
        "noext": (b"v 0 0 0", "unknown_format"),
        "points.obj": (b"# nothing\n", "parse_error"),
        "junk.glb": (b"glTF\x02\x00\x00\x00garbage", "parse_error"),
        "junk.ply": (b"ply\nformat ascii 1.0\nelement vertex 3\n", "parse_error"),
        "cloud.ply": (b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n"
                      b"property float y\nproperty float z\nend_header\n0 0 0\n", "no_faces"),
    }
    for name, (data, code) in cases.items():
        result = load_mesh(data, name)
        assert result.mesh is None, name
        assert [e.code for e in result.errors] == [code], (name, result.errors)
    missing = load_mesh(tmp_path / "missing.obj")
    assert missing.errors[0].code == "unreadable" and "missing.obj" in missing.errors[0].message


def test_obj_errors_name_their_lines():
    text = "\n".join([
        "# a shirt", "v 0 0 0", "v 1 zero 0", "v 0 1 0", "vt 0 0", "f 1 2 3",
        "f 1 2 7", "f 1/2 2/1 3/1", "f -1 -2 -9", "f 1 2", "",
    ])
    result = load_mesh(text.encode(), "shirt.obj")
    found = {(e.line, e.code) for e in result.errors}
    assert found == {(3, "parse_error"), (7, "parse_error"), (8, "parse_error"),
                     (9, "parse_error"), (10, "parse_error")}
    messages = {e.line: e.message for e in result.errors}
    assert "'zero'" in messages[3] and "not a number" in messages[3]
    assert "vertex 7" in messages[7] and "only 3" in messages[7]
    assert "texture coordinate 2" in messages[8]
    assert all(m.startswith(f"Line {line}:") for line, m in messages.items())
