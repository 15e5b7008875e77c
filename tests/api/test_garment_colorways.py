"""Colorways over HTTP: uploaded with a garment or replaced later, listed, chosen per
render (``&colorway=``) and carried by the GLB as material variants."""

from __future__ import annotations

import io
import json

import numpy as np
import pygltflib
import pytest
from PIL import Image

from tests.api.helpers import assert_problem
from tests.settings import configure, current_garments

pytestmark = pytest.mark.slow  # the body model: uploads are validated on the mannequin

NAVY = (31, 42, 68)


def _tshirt_obj(with_uvs: bool) -> bytes:
    """The sample T-shirt's size M as a pattern tool writes it: OBJ with an object
    name and a material without its MTL, with or without UVs (in pattern cm)."""
    tshirt = next(g for g in current_garments().list() if g.name == "Classic T-shirt")
    mesh = current_garments().load_size(tshirt.id, "M")
    lines = ["# exported by a pattern tool", "o Tee_M", "usemtl FABRIC_1_FRONT"]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in mesh.vertices]
    if with_uvs:
        lines += [f"vt {u * 60:.4f} {v * 60:.4f}" for u, v in mesh.uvs]
        lines += ["f " + " ".join(f"{i + 1}/{i + 1}" for i in face) for face in mesh.faces]
    else:
        lines += ["f " + " ".join(str(i + 1) for i in face) for face in mesh.faces]
    return "\n".join(lines).encode()


def _stripes_jpeg() -> bytes:
    stripes = np.where((np.arange(128) // 16 % 2)[None, :, None] == 1, [230, 200, 40], [20, 110, 60])
    buffer = io.BytesIO()
    Image.fromarray(np.broadcast_to(stripes, (96, 128, 3)).astype(np.uint8)).save(
        buffer, format="JPEG", quality=85)
    return buffer.getvalue()


COLORWAYS = [{"name": "Navy", "color": "#1f2a44"},
             {"name": "Wine velvet", "color": "#5a0a1e", "fabric": "velvet"},
             {"name": "Stripes", "texture": "stripes.jpg"}]


def _upload(client, auth, colorways=COLORWAYS, textures=None, with_uvs=True):
    textures = {"stripes.jpg": _stripes_jpeg()} if textures is None else textures
    form = {"name": "Colour tee", "category": "top", "fabric": "jersey", "fit": "women",
            "size_M": (io.BytesIO(_tshirt_obj(with_uvs)), "tee_M.obj"),
            "colorways": json.dumps(colorways),
            "colorway_texture": [(io.BytesIO(data), name) for name, data in textures.items()]}
    return client.post("/v1/garments", headers=auth("merchant"), data=form,
                       content_type="multipart/form-data")


def test_upload_with_colorways_lists_them_to_shoppers(client, auth, garment_store):
    response = _upload(client, auth)
    assert response.status_code == 201, response.get_json()
    garment = response.get_json()
    assert [(c["id"], c["name"], c["has_texture"], c["fabric"]) for c in garment["colorways"]] == [
        ("navy", "Navy", False, None), ("wine-velvet", "Wine velvet", False, "velvet"),
        ("stripes", "Stripes", True, None)]
    assert garment["colorways"][0]["color"] == "#1f2a44"
    assert "digest" not in garment["colorways"][0] and "texture" not in garment["colorways"][0]
    client.post(f"/v1/garments/{garment['id']}/publish", headers=auth("merchant"))
    shown = client.get(f"/v1/garments/{garment['id']}", headers=auth("publishable")).get_json()
    assert [c["id"] for c in shown["colorways"]] == ["navy", "wine-velvet", "stripes"]
    # the texture is kept, named by its content
    stored = garment_store.colorway(garment["id"], "stripes")
    assert stored.texture == _stripes_jpeg()


@pytest.mark.parametrize("colorways, textures, message", [
    ([{"name": "Navy", "color": "blue"}], {}, "not #RRGGBB"),
    ([{"name": "Print", "texture": "p.png"}], {}, "was not uploaded"),
    ([{"name": "Navy", "color": "#112233"}], {"extra.png": b"\x89PNG"}, "belong to no colorway"),
    ("not a list", {}, "JSON list"),
])
def test_bad_colorways_are_422_and_store_nothing(client, auth, garment_store, colorways, textures,
                                                 message):
    response = _upload(client, auth, colorways, textures)
    assert_problem(response, 422, "colorways")
    assert message in response.get_json()["detail"]
    assert garment_store.list() == []


def test_a_textured_colorway_on_a_garment_without_uvs_is_422(client, auth, garment_store):
    response = _upload(client, auth, with_uvs=False)
    assert_problem(response, 422, "colorways")
    assert "needs UVs" in response.get_json()["detail"]
    assert garment_store.list() == []


def test_put_replaces_and_clears_colorways(client, auth, garment_store):
    garment_id = _upload(client, auth, COLORWAYS[:1], {}).get_json()["id"]
    url = f"/v1/garments/{garment_id}/colorways"
    form = {"colorways": json.dumps([{"name": "Sand", "color": "#d8c8a8", "fabric": "knit"}])}
    assert_problem(client.put(url, headers=auth("publishable"), data=form,
                              content_type="multipart/form-data"), 403)
    changed = client.put(url, headers=auth("merchant"), data=form,
                         content_type="multipart/form-data")
    assert changed.status_code == 200, changed.get_json()
    assert [c["id"] for c in changed.get_json()["colorways"]] == ["sand"]
    assert_problem(client.put(url, headers=auth("merchant"), data={},
                              content_type="multipart/form-data"), 422, "colorways")
    cleared = client.put(url, headers=auth("merchant"), data={"colorways": "[]"},
                         content_type="multipart/form-data")
    assert cleared.get_json()["colorways"] == []
    assert not list((garment_store.root / garment_id / "colorways").glob("*"))
    assert_problem(client.put("/v1/garments/nope-0123456789/colorways", headers=auth("merchant"),
                              data={"colorways": "[]"}, content_type="multipart/form-data"), 404)


def _garment_pixels(image: bytes, bare: bytes) -> np.ndarray:
    """(K, 3) the pixels where the garment differs from the body without it."""
    dressed = np.asarray(Image.open(io.BytesIO(image)).convert("RGB")).astype(int)
    plain = np.asarray(Image.open(io.BytesIO(bare)).convert("RGB")).astype(int)
    return dressed[np.abs(dressed - plain).sum(axis=2) > 60]


def test_renders_and_the_glb_show_each_colorway(client, app, auth, garment_store, tmp_path,
                                                monkeypatch):
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    configure(app, RENDER_BUDGET_S=120)
    garment_id = _upload(client, auth).get_json()["id"]
    headers = auth("merchant")
    base = f"/v1/render?avatar=f165-eu40&width=96&height=144&background=ffffff"
    url = f"{base}&garment={garment_id}&size=M"
    bare = client.get(base, headers=headers)
    renders = {cw: client.get(url + (f"&colorway={cw}" if cw else ""), headers=headers)
               for cw in (None, "navy", "stripes")}
    assert all(r.status_code == 200 for r in renders.values()), \
        {k: r.get_data(as_text=True)[:200] for k, r in renders.items()}
    assert len({r.headers["ETag"] for r in renders.values()}) == 3
    navy = _garment_pixels(renders["navy"].data, bare.data)
    assert len(navy) > 200
    assert np.median(np.abs(navy - NAVY).sum(axis=1)) < 60  # shaded navy, not the file's grey
    stripes = _garment_pixels(renders["stripes"].data, bare.data)
    yellow = (stripes[:, 0] > 120) & (stripes[:, 2] < 90)
    green = (stripes[:, 1] > stripes[:, 0] + 25) & (stripes[:, 1] > stripes[:, 2] + 10)
    assert yellow.mean() > 0.15 and green.mean() > 0.15  # both stripes show
    # unknown colorways and colorways without a garment say so
    missing = client.get(url + "&colorway=plaid", headers=headers)
    assert_problem(missing, 404, "colorway")
    assert "navy, wine-velvet, stripes" in missing.get_json()["detail"]
    assert_problem(client.get(base + "&colorway=navy", headers=headers), 422, "colorway")
    # a colorway redefined under the same name renders anew, never the stale image
    client.put(f"/v1/garments/{garment_id}/colorways", headers=headers,
               data={"colorways": json.dumps([{"name": "Navy", "color": "#202060"}])},
               content_type="multipart/form-data")
    again = client.get(url + "&colorway=navy", headers=headers)
    assert again.status_code == 200 and again.headers["ETag"] != renders["navy"].headers["ETag"]
    # the GLB carries the colorways as variants
    client.put(f"/v1/garments/{garment_id}/colorways", headers=headers,
               data={"colorways": json.dumps(COLORWAYS),
                     "colorway_texture": [(io.BytesIO(_stripes_jpeg()), "stripes.jpg")]},
               content_type="multipart/form-data")
    glb = client.get(f"/v1/scene.glb?avatar=f165-eu40&garment={garment_id}&size=M",
                     headers=headers)
    assert glb.status_code == 200, glb.get_data(as_text=True)[:300]
    gltf = pygltflib.GLTF2.load_from_bytes(glb.data)
    assert [v["name"] for v in gltf.extensions["KHR_materials_variants"]["variants"]] == [
        "Navy", "Wine velvet", "Stripes"]
    assert "KHR_materials_sheen" in gltf.extensionsUsed
