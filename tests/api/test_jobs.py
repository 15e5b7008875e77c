"""/v1/blobs/{digest}: an output's bytes by their hash, to the keys that may see them."""

from __future__ import annotations

import hashlib
import io

import pytest
import trimesh

from tests.api.helpers import assert_problem
from tests.settings import configure, current_garments

pytestmark = pytest.mark.slow  # uploads are validated on the mannequin; renders drape


def _skirt_obj() -> bytes:
    skirt = next(g for g in current_garments().list() if g.name == "A-line skirt")
    mesh = current_garments().load_size(skirt.id, "M")
    return trimesh.Trimesh(mesh.vertices, mesh.faces, process=False).export(file_type="obj").encode()


def test_a_draft_garments_render_is_not_served_by_digest_to_shops(client, app, auth,
                                                                  garment_store, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    configure(app, RENDER_BUDGET_S=120)
    uploaded = client.post("/v1/garments", headers=auth("merchant"),
                           content_type="multipart/form-data",
                           data={"name": "Unreleased skirt", "category": "skirt",
                                 "fabric": "woven-cotton", "fit": "women",
                                 "size_M": (io.BytesIO(_skirt_obj()), "skirt.obj")})
    garment = uploaded.get_json()["id"]
    render = client.get(f"/v1/render?avatar=f165-eu40&garment={garment}&size=M&width=64"
                        "&height=96", headers=auth("merchant"))
    assert render.status_code == 200, render.get_data(as_text=True)
    blob = f"/v1/blobs/{hashlib.sha256(render.data).hexdigest()}"
    assert client.get(blob, headers=auth("merchant")).data == render.data
    assert_problem(client.get(blob, headers=auth("publishable")), 404, "digest")  # a draft
    client.post(f"/v1/garments/{garment}/publish", headers=auth("merchant"))
    shown = client.get(blob, headers=auth("publishable"))
    assert shown.status_code == 200 and shown.data == render.data
    client.post(f"/v1/garments/{garment}/unpublish", headers=auth("merchant"))
    assert_problem(client.get(blob, headers=auth("publishable")), 404, "digest")
    # a render of no garment is anyone's
    bare = client.get("/v1/render?avatar=f165-eu40&width=64&height=96", headers=auth("merchant"))
    bare_blob = f"/v1/blobs/{hashlib.sha256(bare.data).hexdigest()}"
    assert client.get(bare_blob, headers=auth("publishable")).status_code == 200
