"""POST /v1/garments with the avatar a garment was made on: imported by a job, polled,
and then a garment like any other; bad source bodies are refused with the reason."""

from __future__ import annotations

import io

import pytest
import trimesh

from avatars.body_models.registry import get_body_model
from avatars.library import get_avatar
from tests.api.helpers import assert_problem, poll_job
from tests.garments.source_files import exported, t_posed_avatar, write_obj
from tests.settings import configure, current_garments
from tryon.drape.draping import drape

pytestmark = pytest.mark.slow  # fits a body model (about 20 s) and drapes


@pytest.fixture(scope="module")
def clo_export(tmp_path_factory):
    """The sample T-shirt (size M) made on a T-posed avatar of another topology,
    both exported Y-up in centimetres."""
    folder = tmp_path_factory.mktemp("clo")
    samples = current_garments()
    tee = next(g for g in samples.list() if g.name == "Classic T-shirt")
    avatar = get_avatar("m170-eu50")
    remeshed, faces, pelvis = t_posed_avatar(get_body_model(), avatar.shape)
    write_obj(folder / "avatar.obj", exported(remeshed, pelvis), faces)
    made = drape(avatar, tee.id, "M", "t-pose", store=samples)
    write_obj(folder / "tee.obj", exported(made.render_positions, pelvis), made.mesh.faces)
    return folder


def _form(folder, **bodies) -> dict:
    form = {"name": "Imported tee", "category": "top", "fabric": "jersey", "fit": "men",
            "size_M": (io.BytesIO((folder / "tee.obj").read_bytes()), "tee.obj")}
    return {**form, **{field: (io.BytesIO(data), name) for field, (data, name) in bodies.items()}}


def test_an_upload_with_its_avatar_is_imported_by_a_job(client, auth, garment_store, clo_export,
                                                        tmp_path, monkeypatch):
    """... with sizes graded from it and colorways: all of it travels through the job."""
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    configure(client.application, RENDER_BUDGET_S=0)
    avatar = ((clo_export / "avatar.obj").read_bytes(), "avatar.obj")
    queued = client.post("/v1/garments", headers=auth("merchant"), content_type="multipart/form-data",
                         data={**_form(clo_export, source_body=avatar), "grade_to": "S,L",
                               "colorways": '[{"name": "Olive", "color": "#5b6b3a"}]'})
    assert queued.status_code == 202, queued.get_data(as_text=True)
    assert queued.headers["Location"] == queued.get_json()["location"]
    job = poll_job(client, queued.headers["Location"], auth("merchant"), timeout=300)
    assert job["status"] == "done", job
    outcome = client.get(job["result_url"], headers=auth("merchant")).get_json()
    assert outcome["accepted"], outcome
    # the outcome holds validation reports: the merchant's, not a shop's
    assert_problem(client.get(job["result_url"], headers=auth("publishable")), 404, "digest")
    fit = outcome["source_bodies"]["M"]
    assert fit["mean_mm"] < 10 and fit["pose"] == "t-pose", fit
    garment = outcome["garment"]
    stored = client.get(f"/v1/garments/{garment['id']}", headers=auth("merchant")).get_json()
    assert stored["sizes"] == ["S", "M", "L"] and stored["base_size"] == "M"
    assert all(stored["reports"][s]["accepted"] for s in stored["sizes"])
    assert [c["id"] for c in stored["colorways"]] == ["olive"]
    assert garment_store.source_body(garment["id"], "M").report == fit
    assert garment_store.source_body(garment["id"], "S").report["graded_from"] == "M"
    assert list((garment_store.root / ".incoming").iterdir()) == []  # the upload folder is gone
    # worn by a library body in the live 3D view, like any garment
    assert client.post(f"/v1/garments/{garment['id']}/publish",
                       headers=auth("merchant")).status_code == 200
    url = f"/v1/scene.glb?avatar=f152-eu34&garment={garment['id']}&size=M"
    scene = client.get(url, headers=auth("publishable"))
    if scene.status_code == 202:
        assert poll_job(client, scene.headers["Location"], auth("publishable"))["status"] == "done"
        scene = client.get(url, headers=auth("publishable"))
    assert scene.status_code == 200 and scene.data[:4] == b"glTF"
    glb = trimesh.load(io.BytesIO(scene.data), file_type="glb")
    assert "garment" in glb.geometry


def test_the_same_garment_without_its_avatar_is_refused(client, auth, garment_store, clo_export):
    refused = client.post("/v1/garments", headers=auth("merchant"),
                          content_type="multipart/form-data", data=_form(clo_export))
    body = assert_problem(refused, 422, "size_M")
    (finding,) = [f for f in body["reports"]["M"]["findings"] if f["severity"] == "error"]
    assert finding["code"] in ("not_on_body", "off_body") and "--source-body" in finding["message"]


def test_a_source_body_that_is_not_a_body_is_refused_with_the_reason(client, auth, garment_store,
                                                                     clo_export, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    configure(client.application, RENDER_BUDGET_S=60)
    box = trimesh.creation.box([0.5, 0.5, 1.7]).export(file_type="ply")
    refused = client.post("/v1/garments", headers=auth("merchant"),
                          content_type="multipart/form-data",
                          data=_form(clo_export, source_body=(box, "box.ply")))
    body = assert_problem(refused, 422, "source_body")
    assert "points" in body["detail"] or "body" in body["detail"], body
    assert garment_store.list() == []
    assert list((garment_store.root / ".incoming").iterdir()) == []  # its upload is gone too


def test_grading_needs_one_uploaded_size(client, auth, garment_store, clo_export):
    tee = (clo_export / "tee.obj").read_bytes()
    two = {**_form(clo_export), "size_L": (io.BytesIO(tee), "tee_L.obj"), "grade_to": "XL"}
    refused = client.post("/v1/garments", headers=auth("merchant"),
                          content_type="multipart/form-data", data=two)
    assert_problem(refused, 422, "grade_to")
    assert garment_store.list() == []


def test_per_size_source_bodies_must_match_the_sizes(client, auth, garment_store, clo_export):
    avatar = ((clo_export / "avatar.obj").read_bytes(), "avatar.obj")
    stray = client.post("/v1/garments", headers=auth("merchant"),
                        content_type="multipart/form-data",
                        data=_form(clo_export, source_body_L=avatar))
    assert_problem(stray, 422, "source_body_L")
    assert garment_store.list() == []
