"""/v1/garments: upload round trip, rejected uploads, listing, publishing, deleting."""

import io

import numpy as np
import pytest
import trimesh

from tests.api.helpers import assert_problem
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


def _sample_obj(size: str = "M") -> bytes:
    skirt = next(g for g in current_garments().list() if g.name == "A-line skirt")
    mesh = current_garments().load_size(skirt.id, size)
    return trimesh.Trimesh(mesh.vertices, mesh.faces, process=False).export(file_type="obj").encode()


def _form(**files) -> dict:
    form = {"name": "Test skirt", "category": "skirt", "fabric": "woven-cotton", "fit": "women"}
    return {**form, **{f"size_{size}": (io.BytesIO(data), name) for size, (data, name) in files.items()}}


def _upload(client, auth, **files):
    return client.post("/v1/garments", headers=auth("merchant"), data=_form(**files),
                       content_type="multipart/form-data")


def test_upload_round_trip(client, auth, garment_store):
    response = _upload(client, auth, M=(_sample_obj("M"), "../../etc/passwd.obj"))
    assert response.status_code == 201, response.get_json()
    garment = response.get_json()
    assert garment["sizes"] == ["M"] and garment["status"] == "draft"
    assert garment["reports"]["M"]["accepted"]
    assert response.headers["Location"] == f"/v1/garments/{garment['id']}"
    # stored under fixed names, the client's name only recorded
    folder = garment_store.root / garment["id"] / "sizes" / "M"
    assert sorted(p.name for p in folder.iterdir()) == ["mesh.npz", "source.obj", "upload.json"]
    # drafts: merchants see them, shoppers do not
    got = client.get(f"/v1/garments/{garment['id']}", headers=auth("merchant")).get_json()
    assert got["id"] == garment["id"] and "reports" in got
    assert_problem(client.get(f"/v1/garments/{garment['id']}", headers=auth("publishable")), 404)
    assert client.get("/v1/garments", headers=auth("publishable")).get_json() == {"garments": []}
    # publish, unpublish, delete
    published = client.post(f"/v1/garments/{garment['id']}/publish", headers=auth("merchant"))
    assert published.get_json()["status"] == "published"
    shown = client.get("/v1/garments", headers=auth("publishable")).get_json()["garments"]
    assert [g["id"] for g in shown] == [garment["id"]] and "reports" not in shown[0]
    assert client.post(f"/v1/garments/{garment['id']}/unpublish",
                       headers=auth("admin")).get_json()["status"] == "draft"
    assert client.delete(f"/v1/garments/{garment['id']}", headers=auth("merchant")).status_code == 204
    assert_problem(client.get(f"/v1/garments/{garment['id']}", headers=auth("merchant")), 404)
    assert garment_store.list() == []


def test_one_size_graded_to_the_others(client, auth, garment_store):
    form = {**_form(M=(_sample_obj("M"), "skirt.obj")), "grade_to": "xs, S,L,XL"}
    response = client.post("/v1/garments", headers=auth("merchant"), data=form,
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    garment = response.get_json()
    assert garment["sizes"] == ["XS", "S", "M", "L", "XL"] and garment["base_size"] == "M"
    hips = {s: np.ptp(garment_store.load_size(garment["id"], s).vertices[:, 0]) for s in ("XS", "XL")}
    assert hips["XL"] > hips["XS"] + 0.04  # graded onto bigger bodies
    bad = client.post("/v1/garments", headers=auth("merchant"), content_type="multipart/form-data",
                      data={**_form(M=(_sample_obj("M"), "skirt.obj")), "grade_to": "XXXL"})
    assert_problem(bad, 422)


def test_rejected_upload_is_422_with_reports_and_stores_nothing(client, auth, garment_store):
    junk = bytes(range(256)) * 20
    response = _upload(client, auth, M=(_sample_obj("M"), "m.obj"), L=(junk, "l.obj"))
    body = assert_problem(response, 422, "size_L")
    assert body["reports"]["M"]["accepted"] and not body["reports"]["L"]["accepted"]
    assert body["reports"]["L"]["findings"][0]["severity"] == "error"
    assert garment_store.list() == []
    assert [p for p in garment_store.root.rglob("*") if p.is_file()] == []


def test_bad_upload_forms_are_422(client, auth, garment_store):
    obj = _sample_obj("M")
    assert_problem(_upload(client, auth), 422, "size_M")  # no files
    unknown_format = _upload(client, auth, M=(obj, "skirt.exe"))
    assert_problem(unknown_format, 422, "size_M")
    for field, value in [("category", "hat"), ("fit", "kids"), ("fabric", "steel"), ("name", "")]:
        data = {**_form(M=(obj, "m.obj")), field: value}
        response = client.post("/v1/garments", headers=auth("merchant"), data=data,
                               content_type="multipart/form-data")
        assert_problem(response, 422, field)
    assert garment_store.list() == []


def test_writes_need_a_merchant_key(client, auth, garment_store):
    assert_problem(_upload(client, lambda _: auth("publishable")), 403)
    for method, url in [("post", "/v1/garments/x/publish"), ("post", "/v1/garments/x/unpublish"),
                        ("delete", "/v1/garments/x")]:
        assert_problem(getattr(client, method)(url, headers=auth("publishable")), 403)
        assert_problem(getattr(client, method)(url, headers=auth("merchant")), 404, "garment_id")
        assert_problem(getattr(client, method)(url), 401)


def test_sample_garments_are_listed(client, auth):
    garments = client.get("/v1/garments", headers=auth("publishable")).get_json()["garments"]
    assert "A-line skirt" in {g["name"] for g in garments}
    assert_problem(client.get("/v1/garments/..%2F..%2Fetc", headers=auth("merchant")), 404)


def test_a_garment_in_the_app_s_own_store_is_rendered_and_fitted_from_it(client, auth,
                                                                        garment_store, tmp_path,
                                                                        monkeypatch):
    """The garment store an app is configured with (``GARMENTS_DIR``) is the one its
    render and fit jobs read: a garment uploaded there renders, in another process's
    job runner as in this one (at 8f293c5 the job read the default store: 'no garment')."""
    from tests.settings import configure

    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    configure(client.application, RENDER_BUDGET_S=300)
    made = _upload(client, auth, M=(_sample_obj("M"), "skirt.obj")).get_json()
    assert client.post(f"/v1/garments/{made['id']}/publish", headers=auth("merchant")).status_code == 200
    assert [g.id for g in garment_store.list()] == [made["id"]]
    assert made["id"] not in {g.id for g in current_garments().list()}  # not in the default store

    render = client.get(f"/v1/render?avatar=f165-eu40&garment={made['id']}&size=M&width=96&height=144",
                        headers=auth("publishable"))
    assert render.status_code == 200, render.get_data(as_text=True)
    assert render.data.startswith(b"\x89PNG\r\n\x1a\n")
    fit = client.get(f"/v1/fit?avatar=f165-eu40&garment={made['id']}&size=M",
                     headers=auth("publishable"))
    assert fit.status_code == 200, fit.get_data(as_text=True)
    assert fit.get_json()["size"] == "M"
