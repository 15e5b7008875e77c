"""Scans sent zipped: an OBJ with its MTL and texture as a scanner exports them, in a folder
of the archive, in millimetres and Y up; and archives that hold no single scan."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image
from trimesh.exchange.obj import export_obj

from avatars.scans.archive import MAX_MEMBERS
from avatars.scans.reading import ScanError, load_scan

pytestmark = pytest.mark.slow  # the prepared body model


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def textured_obj(anny_model):
    """(files of a textured OBJ: obj, mtl, png; the texture's colour at each of its vertices):
    the body in mm, Y up, left half of the texture green, right half purple."""
    with torch.no_grad():
        body = anny_model.forward(anny_model.default_shape(), anny_model.named_pose("a-pose"))
    vertices = body.vertices[0].numpy().astype(np.float64) * 1000.0
    image = Image.new("RGB", (64, 8), (40, 160, 60))
    image.paste((120, 40, 150), (32, 0, 64, 8))
    u = (vertices[:, 0] - vertices[:, 0].min()) / np.ptp(vertices[:, 0])  # left to right of the body
    uv = np.column_stack([u, np.full(len(u), 0.5)])
    mesh = trimesh.Trimesh(np.column_stack([vertices[:, 0], vertices[:, 2], -vertices[:, 1]]),
                           anny_model.faces, process=False,
                           visual=trimesh.visual.TextureVisuals(uv=uv, image=image))
    obj, textures = export_obj(mesh, include_texture=True, return_texture=True, mtl_name="body.mtl")
    return {"body.obj": obj.encode(), **textures}


def test_a_zipped_textured_obj_gives_its_texture_s_colours(textured_obj):
    files = {f"export 2026-03/{name}": data for name, data in textured_obj.items()}
    files["__MACOSX/export 2026-03/._body.obj"] = b"\x00\x05\x16\x07"  # what macOS's archiver adds
    scan = load_scan(_zip(files), "ada-scan.zip")
    assert scan.colours is not None and len(scan.colours) == len(scan.points)
    assert 1.5 < np.ptp(scan.points[:, 2]) < 2.0  # millimetres and Y up were found
    x = scan.points[:, 0]
    green = scan.colours[:, 1] > scan.colours[:, 0]
    left, right = x < np.percentile(x, 30), x > np.percentile(x, 70)
    # one side green, the other purple (which side depends on the facing the reading keeps)
    assert {green[left].mean() > 0.95, green[right].mean() < 0.05} == {True} or \
        {green[right].mean() > 0.95, green[left].mean() < 0.05} == {True}


def test_an_obj_without_its_mtl_and_texture_is_read_without_colours(textured_obj):
    """Not trimesh's grey placeholder texture taken for her colours."""
    for data, name in ((_zip({"body.obj": textured_obj["body.obj"]}), "scan.zip"),
                       (textured_obj["body.obj"], "body.obj")):
        scan = load_scan(data, name)
        assert scan.colours is None and len(scan.points) > 10_000


@pytest.mark.parametrize("files, says", [
    ({"a.obj": b"v 0 0 0\n", "b.ply": b"ply\n"}, "exactly one OBJ, PLY or GLB scan (found: a.obj, b.ply)"),
    ({"notes.txt": b"hello"}, "exactly one OBJ, PLY or GLB scan (found: none)"),
    ({f"t{i}.png": b"x" for i in range(MAX_MEMBERS + 1)}, f"at most {MAX_MEMBERS}"),
])
def test_an_archive_without_one_scan_is_refused_saying_what_to_send(files, says):
    with pytest.raises(ScanError) as caught:
        load_scan(_zip(files), "scan.zip")
    assert says in str(caught.value)


def test_a_file_named_zip_that_is_not_one_is_refused():
    with pytest.raises(ScanError, match="not a ZIP archive"):
        load_scan(b"ply\nformat ascii 1.0\n", "scan.zip")
