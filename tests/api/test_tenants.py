"""Stores kept apart: two tenants on one tryon see nothing of each other's garments,
jobs, drafts' renders or shoppers' bodies; admins see all."""

from __future__ import annotations

import hashlib
import io

import pytest
import trimesh

from tests.api.helpers import assert_problem
from tests.settings import configure, current_garments

pytestmark = pytest.mark.slow  # uploads are validated on the mannequin; renders drape

OTHER_SHOP = "https://other-brand.example"
BODY = {"height": 168, "waist": 74, "hips": 99, "sex": "female", "skin_tone": 3}


@pytest.fixture()
def other(app):
    """Headers by role for the keys of a second tenant, ``brand-b``."""
    from tryon.storage.api_keys import create_key
    from tryon.storage.database import session_scope
    from tryon.storage.tenants import create_tenant

    with session_scope() as session:
        create_tenant(session, "brand-b", "Brand B")
        made = {role: create_key(session, role, [OTHER_SHOP] if role == "publishable" else [],
                                 tenant="brand-b")[1] for role in ("publishable", "merchant")}

    def headers(role: str) -> dict:
        extra = {"Origin": OTHER_SHOP} if role == "publishable" else {}
        return {"Authorization": f"Bearer {made[role]}", **extra}
    return headers


def _upload(client, headers) -> dict:
    skirt = next(g for g in current_garments().list() if g.name == "A-line skirt")
    mesh = current_garments().load_size(skirt.id, "M")
    obj = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False).export(file_type="obj")
    response = client.post("/v1/garments", headers=headers, content_type="multipart/form-data",
                           data={"name": "Skirt", "category": "skirt", "fabric": "woven-cotton",
                                 "fit": "women", "size_M": (io.BytesIO(obj.encode()), "m.obj")})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_another_tenants_garments_do_not_exist(client, auth, other, garment_store):
    mine = _upload(client, auth("merchant"))["id"]
    theirs = _upload(client, other("merchant"))["id"]
    assert mine != theirs  # the same files, another tenant: another garment
    assert "tenant" not in client.get(f"/v1/garments/{mine}", headers=auth("merchant")).get_json()
    for method, path in [("get", ""), ("post", "/publish"), ("post", "/unpublish"),
                         ("delete", "")]:
        answer = getattr(client, method)(f"/v1/garments/{mine}{path}", headers=other("merchant"))
        assert_problem(answer, 404, "garment_id")
    assert_problem(client.put(f"/v1/garments/{mine}/colorways", headers=other("merchant"),
                              data={"colorways": "[]"}, content_type="multipart/form-data"), 404)
    listed = client.get("/v1/garments", headers=other("merchant")).get_json()["garments"]
    assert [g["id"] for g in listed] == [theirs]
    every = client.get("/v1/garments", headers=auth("admin")).get_json()["garments"]
    assert {g["id"] for g in every} == {mine, theirs}
    # published, it is still only my shop's
    client.post(f"/v1/garments/{mine}/publish", headers=auth("merchant"))
    assert_problem(client.get(f"/v1/garments/{mine}", headers=other("publishable")), 404)
    render = client.get(f"/v1/render?avatar=f165-eu40&garment={mine}&size=M",
                        headers=other("publishable"))
    assert_problem(render, 404, "garment")
    assert client.get(f"/v1/garments/{mine}", headers=auth("publishable")).status_code == 200


def test_jobs_and_draft_renders_are_their_tenants(client, app, auth, other, garment_store,
                                                  tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    configure(app, RENDER_BUDGET_S=120)
    draft = _upload(client, auth("merchant"))["id"]
    batch = client.post("/v1/catalog/prerender", headers=auth("merchant"),
                        json={"garments": [draft], "avatars": ["f165-eu40"], "views": ["front"],
                              "width": 64, "height": 96})
    assert batch.status_code == 202, batch.get_json()
    job = batch.headers["Location"]
    assert client.get(job, headers=auth("merchant")).status_code == 200
    assert_problem(client.get(job, headers=other("merchant")), 404, "job_id")
    assert client.get(job, headers=auth("admin")).status_code == 200
    render = client.get(f"/v1/render?avatar=f165-eu40&garment={draft}&size=M&width=64&height=96",
                        headers=auth("merchant"))
    assert render.status_code == 200
    blob = f"/v1/blobs/{hashlib.sha256(render.data).hexdigest()}"
    assert client.get(blob, headers=auth("merchant")).status_code == 200
    assert_problem(client.get(blob, headers=other("merchant")), 404, "digest")


def test_a_shoppers_body_is_seen_only_where_it_was_made(client, auth, other):
    made = client.post("/v1/avatars", json=BODY, headers=auth("publishable"))
    assert made.status_code == 201, made.get_json()
    body = f"/v1/avatars/{made.get_json()['id']}"
    assert client.get(body, headers=auth("publishable")).status_code == 200
    assert client.get(body, headers=auth("merchant")).status_code == 200  # its shop's tenant
    assert client.get(body, headers=auth("admin")).status_code == 200
    assert_problem(client.get(body, headers=other("publishable")), 404, "avatar_id")
    assert_problem(client.get(body, headers=other("merchant")), 404, "avatar_id")
    render = client.get(f"/v1/render?avatar={made.get_json()['id']}", headers=other("publishable"))
    assert_problem(render, 404, "avatar")
    # the same measurements from the other shop: now its body too
    again = client.post("/v1/avatars", json=BODY, headers=other("publishable"))
    assert again.get_json()["id"] == made.get_json()["id"]
    assert client.get(body, headers=other("publishable")).status_code == 200


def test_new_bodies_have_their_own_tighter_limit(app, client, auth):
    app.config["RATELIMIT_NEW_BODY_PER_IP"] = "2/minute"
    for height in (160, 170):
        made = client.post("/v1/avatars", json={**BODY, "height": height},
                           headers=auth("publishable"))
        assert made.status_code == 201
    assert_problem(client.post("/v1/avatars", json=BODY, headers=auth("publishable")), 429)
    assert client.get("/v1/avatars", headers=auth("publishable")).status_code == 200
