"""POST /v1/catalog/prerender: a batch job of render children, with progress."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem, poll_job
from tests.api.test_renders import render_app, rclient  # noqa: F401  (fixtures)
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


@pytest.fixture()
def skirt() -> str:
    return next(g.id for g in current_garments().list() if g.name == "A-line skirt")


def test_prerender_batch_runs_its_children_and_reports_progress(rclient, auth, skirt):
    from sqlalchemy import select

    from tryon.storage.database import session_scope
    from tryon.storage.models import Job, RenderRecord

    headers = auth("merchant")
    body = {"garments": [skirt], "avatars": ["f165-eu40", "f170-eu46"], "sizes": ["s", "M"],
            "width": 24, "height": 36}
    response = rclient.post("/v1/catalog/prerender", json=body, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    location = response.headers["Location"]
    batch_id = response.get_json()["job"]
    assert location == f"/v1/jobs/{batch_id}" and response.get_json()["total"] == 4
    job = poll_job(rclient, location, headers)
    assert job["kind"] == "batch" and job["status"] == "done", job
    assert job["progress"] == {"done": 4, "total": 4} and job["failed"] == []
    with session_scope() as session:
        children = session.scalars(select(Job).where(Job.batch_id == batch_id)).all()
        assert len(children) == 4 and {c.status for c in children} == {"done"}
        assert {(c.params["avatar"], c.params["size"], c.params["view"]) for c in children} == {
            (a, s, "front") for a in ("f165-eu40", "f170-eu46") for s in ("S", "M")}
        assert all(c.params["dedupe_key"] for c in children)
        assert session.query(RenderRecord).count() == 4
    # the same batch again: every render is stored, so the children are done at once
    again = rclient.post("/v1/catalog/prerender", json=body, headers=headers)
    assert again.status_code == 202
    job = rclient.get(again.headers["Location"], headers=headers).get_json()
    assert job["status"] == "done" and job["progress"] == {"done": 4, "total": 4}


def test_prerender_counts_failed_children(rclient, auth, skirt, monkeypatch):
    import tryon.outputs.tasks

    def boom(params, blobs=None):
        raise RuntimeError("renderer exploded")

    monkeypatch.setitem(tryon.outputs.tasks.TASKS, "render", boom)
    headers = auth("admin")
    response = rclient.post("/v1/catalog/prerender", headers=headers, json={
        "garments": [skirt], "avatars": ["f165-eu40"], "sizes": ["M"], "width": 8, "height": 8})
    assert response.status_code == 202, response.get_data(as_text=True)
    job = poll_job(rclient, response.headers["Location"], headers)
    assert job["status"] == "done" and job["progress"] == {"done": 1, "total": 1}
    assert len(job["failed"]) == 1 and "renderer exploded" in job["failed"][0]["error"]
    assert job["failed"][0]["size"] == "M" and "1 of 1" in job["error"]


def test_prerender_is_bounded_and_validated(rclient, auth, skirt, monkeypatch):
    import tryon.outputs.catalog

    headers = auth("merchant")
    url = "/v1/catalog/prerender"
    limit = tryon.outputs.catalog.MAX_BATCH_RENDERS
    assert limit == 2000
    monkeypatch.setattr(tryon.outputs.catalog, "MAX_BATCH_RENDERS", 3)
    body = assert_problem(rclient.post(url, json={"garments": [skirt], "views": ["front", "back"]},
                                       headers=headers), 422)
    assert "at most 3 renders per batch" in body["detail"] and body["limit"] == 3
    monkeypatch.setattr(tryon.outputs.catalog, "MAX_BATCH_RENDERS", limit)
    assert_problem(rclient.post(url, json={"garments": ["nope"]}, headers=headers), 404, "garments")
    assert_problem(rclient.post(url, json={"garments": [skirt], "avatars": ["nobody"]},
                                headers=headers), 404, "avatars")
    assert_problem(rclient.post(url, json={"garments": [skirt], "views": ["up"]},
                                headers=headers), 422)
    assert_problem(rclient.post(url, json={"garments": [skirt], "width": 5000},
                                headers=headers), 422, "width")
    assert_problem(rclient.post(url, json={}, headers=headers), 422, "garments")
    assert_problem(rclient.post(url, json={"garments": [skirt]}, headers=auth("publishable")), 403)
    assert_problem(rclient.post(url, json={"garments": [skirt]}), 401)
