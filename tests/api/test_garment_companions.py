"""/v1/garments: OBJ companions (MTL, texture) and numeric EU size fields."""

from __future__ import annotations

import pytest

import io

import numpy as np
from PIL import Image

from tests.api.helpers import assert_problem
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

FORM = {"name": "Textured skirt", "category": "skirt", "fabric": "woven-cotton", "fit": "women"}


def _textured_obj() -> tuple[bytes, bytes, bytes]:
    """(OBJ with UVs naming skirt.mtl, the MTL naming skirt-diffuse.png, the PNG)."""
    skirt = next(g for g in current_garments().list() if g.name == "A-line skirt")
    mesh = current_garments().load_size(skirt.id, "M")
    vertices = np.asarray(mesh.vertices)
    uvs = np.asarray(mesh.uvs) if getattr(mesh, "uvs", None) is not None else None
    if uvs is None or len(uvs) != len(vertices):
        uvs = (vertices[:, :2] - vertices[:, :2].min(0)) / np.ptp(vertices[:, :2], axis=0)
    lines = ["mtllib skirt.mtl", "usemtl cloth"]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in vertices]
    lines += [f"vt {u:.6f} {v:.6f}" for u, v in uvs]
    lines += ["f " + " ".join(f"{i + 1}/{i + 1}" for i in face) for face in np.asarray(mesh.faces)]
    mtl = b"newmtl cloth\nKd 1.0 1.0 1.0\nmap_Kd skirt-diffuse.png\n"
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 40)).save(png, format="PNG")
    return "\n".join(lines).encode() + b"\n", mtl, png.getvalue()


def _post(client, auth, files: dict, companions: list):
    data = {**FORM, **{f"size_{s}": (io.BytesIO(b), n) for s, (b, n) in files.items()},
            "companion": [(io.BytesIO(b), n) for b, n in companions]}
    return client.post("/v1/garments", headers=auth("merchant"), data=data,
                       content_type="multipart/form-data")


def test_obj_with_mtl_and_texture_keeps_its_texture(client, auth, garment_store):
    obj, mtl, png = _textured_obj()
    response = _post(client, auth, {"M": (obj, "skirt.obj"), "L": (obj, "skirt.obj")},
                     [(mtl, "skirt.mtl"), (png, "skirt-diffuse.png")])
    assert response.status_code == 201, response.get_json()
    garment = response.get_json()
    for size in ("M", "L"):
        stored = garment_store.load_size(garment["id"], size)
        assert stored.material.texture is not None
        assert Image.open(io.BytesIO(stored.material.texture)).getpixel((0, 0))[:3] == (200, 30, 40)
    folder = garment_store.root / garment["id"] / "sizes" / "M"
    names = sorted(p.name for p in folder.iterdir())
    assert "source.obj" in names and sum(n.startswith("companion-") for n in names) == 2


def test_without_companions_the_obj_has_no_texture(client, auth, garment_store):
    obj, _, _ = _textured_obj()
    response = _post(client, auth, {"M": (obj, "skirt.obj")}, [])
    assert response.status_code == 201, response.get_json()
    assert garment_store.load_size(response.get_json()["id"], "M").material.texture is None


def test_bad_companion_names_are_refused(client, auth, garment_store):
    obj, mtl, png = _textured_obj()
    for name in ("../evil.mtl", "a/b.mtl", "..", ".hidden.mtl", "évil.mtl", "a b.mtl", "",
                 "upload.obj"):
        response = _post(client, auth, {"M": (obj, "skirt.obj")}, [(mtl, name)])
        assert_problem(response, 422, "companion")
    dup = _post(client, auth, {"M": (obj, "skirt.obj")}, [(mtl, "skirt.mtl"), (mtl, "skirt.mtl")])
    assert_problem(dup, 422, "companion")
    assert garment_store.list() == []


def test_numeric_eu_size_fields(client, auth, garment_store):
    obj, mtl, png = _textured_obj()
    response = _post(client, auth, {"38": (obj, "skirt.obj"), "42": (obj, "skirt.obj")},
                     [(mtl, "skirt.mtl"), (png, "skirt-diffuse.png")])
    assert response.status_code == 201, response.get_json()
    assert sorted(response.get_json()["sizes"]) == ["38", "42"]
    # a numeric size not on the fit's chart (men's 56 for a women's garment) is 422
    bad = _post(client, auth, {"56": (obj, "skirt.obj")}, [])
    assert bad.status_code == 422
