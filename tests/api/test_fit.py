"""/v1/fit: per-region verdicts and the recommended size, made by a fit job
(a drape) and then served content-addressed."""

import pytest

from tests.api.helpers import assert_problem, poll_job
from tests.settings import configure, current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


@pytest.fixture()
def fit_client(app, tmp_path, monkeypatch):
    """A client whose fit requests wait long enough for a drape on a busy CPU."""
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    configure(app, RENDER_BUDGET_S=120)
    return app.test_client()


def _skirt_id() -> str:
    return next(g for g in current_garments().list() if g.name == "A-line skirt").id


def test_fit_of_a_library_avatar(fit_client, auth):
    url = f"/v1/fit?avatar=f165-eu40&garment={_skirt_id()}&size=m"
    response = fit_client.get(url, headers=auth("publishable"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    report = response.get_json()
    assert report["size"] == "M" and report["avatar"] == "f165-eu40" and report["advice"]
    assert report["regions"] and {r["verdict"] for r in report["regions"]} <= {"loose", "fits", "tight"}
    assert report["recommended_size"] in current_garments().get(_skirt_id()).sizes
    # content-addressed like a render: a strong ETag, and 304 for a client that has it
    etag = response.headers["ETag"]
    assert etag.startswith('"') and len(etag) == 66
    again = fit_client.get(url, headers={**auth("publishable"), "If-None-Match": etag})
    assert again.status_code == 304


def test_fit_answers_202_with_a_job_when_the_drape_takes_longer(app, fit_client, auth):
    configure(app, RENDER_BUDGET_S=0)
    url = f"/v1/fit?avatar=m178-eu52&garment={_skirt_id()}&size=L"
    queued = fit_client.get(url, headers=auth("publishable"))
    assert queued.status_code == 202 and queued.headers["Retry-After"] == "1"
    job = poll_job(fit_client, queued.headers["Location"], auth("publishable"))
    assert job["status"] == "done" and job["media_type"] == "application/json", job
    report = fit_client.get(url, headers=auth("publishable"))
    assert report.status_code == 200 and report.get_json()["size"] == "L"


def test_fit_of_a_body_from_measurements(fit_client, auth):
    made = fit_client.post("/v1/avatars", json={"height": 166, "waist": 76, "hips": 100,
                                                "sex": "female"},
                           headers=auth("publishable")).get_json()
    report = fit_client.get(f"/v1/fit?avatar={made['id']}&garment={_skirt_id()}&size=L",
                            headers=auth("publishable")).get_json()
    assert report["avatar"] == made["id"] and report["regions"]


def test_fit_errors(fit_client, auth):
    skirt = _skirt_id()
    for query, status, field in [
        (f"garment={skirt}&size=M", 422, "avatar"),
        (f"avatar=nobody&garment={skirt}&size=M", 404, "avatar"),
        ("avatar=f165-eu40&garment=nothing&size=M", 404, "garment"),
        (f"avatar=f165-eu40&garment={skirt}&size=XXXL", 422, "size"),
    ]:
        assert_problem(fit_client.get(f"/v1/fit?{query}", headers=auth("publishable")), status, field)
    assert_problem(fit_client.get(f"/v1/fit?avatar=f165-eu40&garment={skirt}&size=M"), 401)
