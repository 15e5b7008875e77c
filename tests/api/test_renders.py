"""/v1/render, /v1/jobs/{id} and /v1/blobs/{digest}: content-addressed renders made by jobs."""

from __future__ import annotations

import threading
import time

import pytest

from tests.api.conftest import SHOP
from tests.api.helpers import assert_problem, poll_job
from tests.settings import configure, current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture()
def render_app(app, tmp_path, monkeypatch):
    """The API app with its own blob folder and an in-process job runner."""
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    configure(app, RENDER_BUDGET_S=0)
    return app


@pytest.fixture()
def rclient(render_app):
    return render_app.test_client()


def _url(**extra) -> str:
    skirt = next(g for g in current_garments().list() if g.name == "A-line skirt").id
    query = {"avatar": "f165-eu40", "garment": skirt, "size": "M", "width": 64, "height": 96, **extra}
    return "/v1/render?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_budget_zero_answers_202_then_the_job_gives_a_png(rclient, auth):
    headers = auth("publishable")
    response = rclient.get(_url(), headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith("/v1/jobs/") and response.headers["Retry-After"] == "1"
    assert response.get_json()["location"] == location
    job = poll_job(rclient, location, headers)
    assert job["status"] == "done", job
    assert job["progress"] == {"done": 1, "total": 1} and job["media_type"] == "image/png"
    image = rclient.get(job["result_url"], headers=headers)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data.startswith(PNG)
    assert image.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # now cached: the render URL answers the same bytes at once, with the key as strong ETag
    hit = rclient.get(_url(), headers=headers)
    assert hit.status_code == 200 and hit.data == image.data and hit.mimetype == "image/png"
    etag = hit.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/") and len(etag) == 66
    assert hit.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = rclient.get(_url(), headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.data
    # another spelling of the same request shares the key
    assert rclient.get(_url(size="m"), headers=headers).headers["ETag"] == etag
    # a different request does not
    other = rclient.get(_url(view="back"), headers={**headers, "If-None-Match": etag})
    assert other.status_code == 202


def test_cold_render_within_the_budget_answers_200(rclient, render_app, auth):
    configure(render_app, RENDER_BUDGET_S=60)
    response = rclient.get(_url(format="jpeg", background="ffffff"), headers=auth("publishable"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/jpeg" and response.data[:3] == b"\xff\xd8\xff"
    assert response.headers["ETag"]


def test_publishable_key_in_the_url_for_img_tags(rclient, render_app, keys):
    configure(render_app, RENDER_BUDGET_S=60)
    url = _url(key=keys["publishable"])
    assert rclient.get(url, headers={"Referer": SHOP + "/product/1"}).status_code == 200
    assert_problem(rclient.get(url, headers={"Referer": "https://evil.example/"}), 403, "Origin")
    assert_problem(rclient.get(url, headers={"Origin": "https://evil.example"}), 403, "Origin")
    assert_problem(rclient.get(_url(key=keys["merchant"])), 401, "key")
    assert_problem(rclient.get(_url()), 401)
    assert_problem(rclient.get(_url(key="nope")), 401, "key")


def test_fifty_identical_requests_render_once(render_app, auth, monkeypatch):
    import tryon.render.try_on

    calls = []
    real = tryon.render.try_on.render_try_on

    def counting(*args, **kwargs):
        calls.append(1)
        time.sleep(0.5)  # stay running while the requests arrive
        return real(*args, **kwargs)

    monkeypatch.setattr(tryon.render.try_on, "render_try_on", counting)
    headers = auth("publishable")
    answers, barrier = [], threading.Barrier(50)

    def call():
        client = render_app.test_client()
        barrier.wait()
        answers.append(client.get(_url(view="left"), headers=headers))

    threads = [threading.Thread(target=call) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 50 and {a.status_code for a in answers} <= {200, 202}
    locations = {a.headers["Location"] for a in answers if a.status_code == 202}
    assert len(locations) == 1
    job = poll_job(render_app.test_client(), locations.pop(), headers)
    assert job["status"] == "done" and len(calls) == 1

    from sqlalchemy import func, select

    from tryon.storage.database import session_scope
    from tryon.storage.models import Job

    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == "render")) == 1


@pytest.mark.parametrize("query, status, field", [
    ("garment=x&size=M", 422, "avatar"),
    ("avatar=f165-eu40&width=0", 422, "width"),
    ("avatar=f165-eu40&height=2049", 422, "height"),
    ("avatar=f165-eu40&width=abc", 422, "width"),
    ("avatar=f165-eu40&view=top", 422, "view"),
    ("avatar=f165-eu40&format=gif", 422, "format"),
    ("avatar=f165-eu40&fit_map=2", 422, "fit_map"),
    ("avatar=f165-eu40&background=red", 422, "background"),
    ("avatar=f165-eu40&background=300,0,0", 422, "background"),
    ("avatar=f165-eu40&size=M", 422, "garment"),
    ("avatar=nobody", 404, "avatar"),
    ("avatar=f165-eu40&garment=nothing&size=M", 404, "garment"),
    ("avatar=f165-eu40&hair=mohawk", 422, "hair"),
    ("avatar=f165-eu40&hair_colour=green", 422, "hair_colour"),
])
def test_bad_render_parameters_are_problems(rclient, auth, query, status, field):
    assert_problem(rclient.get(f"/v1/render?{query}", headers=auth("publishable")), status, field)


def test_a_render_in_other_hair_than_the_body_s_own(rclient, render_app, auth):
    """A shopper changes the hair: another key, another picture; the body's own hair is the default."""
    import io

    import numpy as np
    from PIL import Image

    configure(render_app, RENDER_BUDGET_S=60)
    headers = auth("publishable")
    query = "/v1/render?avatar=f165-eu40&width=128&height=192&background=ffffff"
    own = rclient.get(query, headers=headers)  # f165-eu40 wears an afro, black
    same = rclient.get(query + "&hair=afro&hair_colour=black", headers=headers)
    blonde_bob = rclient.get(query + "&hair=bob&hair_colour=blonde", headers=headers)
    bald = rclient.get(query + "&hair=none", headers=headers)
    for response in (own, same, blonde_bob, bald):
        assert response.status_code == 200, response.get_data(as_text=True)
    assert len({r.headers["ETag"] for r in (own, same, blonde_bob, bald)}) == 4  # asked for: its own key
    assert np.array_equal(*(np.asarray(Image.open(io.BytesIO(r.data))) for r in (own, same)))
    pictures = [np.asarray(Image.open(io.BytesIO(r.data)).convert("RGB")).astype(int)
                for r in (own, blonde_bob, bald)]
    top = [np.flatnonzero((np.abs(p - 255).sum(axis=2) > 30).any(axis=1)).min() for p in pictures]
    assert top[0] < top[2] and top[1] < top[2]  # hair stands above the bald head
    row = pictures[1][top[1] + 3]
    hair = row[np.abs(row - 255).sum(axis=1) > 30]
    assert len(hair) and hair[:, 0].mean() > hair[:, 2].mean() + 20  # blonde: warm, not the black afro


def test_size_not_in_the_garment(rclient, auth):
    assert_problem(rclient.get(_url(size="XXXL"), headers=auth("publishable")), 422, "size")


def test_unknown_jobs_and_blobs_are_404(rclient, auth):
    headers = auth("publishable")
    assert_problem(rclient.get("/v1/jobs/not-a-job", headers=headers), 404, "job_id")
    assert_problem(rclient.get("/v1/jobs/" + "x" * 300, headers=headers), 404, "job_id")
    assert_problem(rclient.get("/v1/blobs/" + "0" * 64, headers=headers), 404, "digest")
    assert_problem(rclient.get("/v1/blobs/..%2f..%2fetc", headers=headers), 404)
    assert_problem(rclient.get("/v1/jobs/x"), 401)
    assert_problem(rclient.get("/v1/blobs/" + "0" * 64), 401)


def test_a_failed_job_reports_its_reason(rclient, render_app, auth):
    from api.extensions import job_queue

    with render_app.app_context():
        job_id = job_queue().submit("render", {"avatar": "nobody"})
        job = job_queue().wait(job_id, 30)
    assert job.status == "failed"
    body = rclient.get(f"/v1/jobs/{job_id}", headers=auth("publishable")).get_json()
    assert body["status"] == "failed" and "nobody" in body["error"] and body["result_url"] is None
    assert body["error_code"] == "not_found"  # for programs: the kind, not a sentence to parse


def test_routes_are_in_the_openapi_document(rclient):
    paths = rclient.get("/v1/openapi.json").get_json()["paths"]
    assert {"/v1/render", "/v1/jobs/{job_id}", "/v1/blobs/{digest}"} <= set(paths)


def test_scene_glb_of_the_draped_garment(rclient, render_app, auth):
    import io

    import trimesh

    headers = auth("publishable")
    url = _url().replace("/v1/render", "/v1/scene.glb").split("&width")[0]
    response = rclient.get(url, headers=headers)
    assert response.status_code == 202
    job = poll_job(rclient, response.headers["Location"], headers)
    assert job["status"] == "done" and job["media_type"] == "model/gltf-binary", job
    glb = rclient.get(url, headers=headers)
    assert glb.status_code == 200 and glb.mimetype == "model/gltf-binary"
    assert glb.data[:4] == b"glTF" and glb.headers["Cache-Control"].endswith("immutable")
    scene = trimesh.load(io.BytesIO(glb.data), file_type="glb")
    assert {"body", "leggings", "tank-top", "garment"} <= set(scene.geometry)
    assert scene.geometry["garment"].visual.uv is not None
    # glTF's frame: Y up (feet on y = 0), the body facing +Z, metres
    (low, high) = scene.geometry["body"].bounds
    assert abs(low[1]) < 0.01 and 1.5 < high[1] < 1.8 and high[2] - low[2] < 0.5
    assert rclient.get(url, headers={**headers, "If-None-Match": glb.headers["ETag"]}).status_code == 304
    assert glb.headers["ETag"] != rclient.get(_url(), headers=headers).headers.get("ETag")
    assert_problem(rclient.get("/v1/scene.glb?avatar=nobody", headers=headers), 404, "avatar")
    assert_problem(rclient.get(url.replace("size=M", "size=XXXL"), headers=headers), 422, "size")


def test_two_fit_maps_stretch_and_ease(rclient, render_app, auth):
    configure(render_app, RENDER_BUDGET_S=120)
    images = {mode: rclient.get(_url(fit_map=mode), headers=auth("publishable"))
              for mode in ("0", "1", "stretch", "ease")}
    assert all(r.status_code == 200 and r.mimetype == "image/png" for r in images.values())
    assert images["1"].headers["ETag"] == images["stretch"].headers["ETag"]  # 1 is stretch
    assert len({images[m].headers["ETag"] for m in ("0", "stretch", "ease")}) == 3
