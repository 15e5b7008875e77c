"""/v1/fit: per-region verdicts and the recommended size, made by a fit job
(a drape) and then served content-addressed."""

import json

import pytest

from tests.api.helpers import assert_problem, fit_answer
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
    response = fit_answer(fit_client, url, auth("publishable"))
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


def test_fit_answers_202_with_the_chart_s_advice_while_the_drapes_run(app, fit_client, auth):
    configure(app, RENDER_BUDGET_S=0)
    url = f"/v1/fit?avatar=f165-eu40&garment={_skirt_id()}&size=L"
    queued = fit_client.get(url, headers=auth("publishable"))
    assert queued.status_code == 202 and queued.headers["Retry-After"] == "1"
    early = queued.get_json()["recommendation"]
    # EU 40 body: bust 92, waist 76, hips 100 on the skirt's chart (waist M 74, L 80)
    assert (early["basis"], early["recommended_size"], early["alternative_size"]) == ("chart", "M", "L")
    assert early["summary"] == "M, or L if you prefer it looser" and early["pending"]
    report = fit_answer(fit_client, url, auth("publishable"))
    assert report.status_code == 200 and report.get_json()["size"] == "L"
    final = report.get_json()["recommendation"]
    assert final["basis"] == "chart and drapes" and final["recommended_size"] == "M"


def test_one_recommendation_whatever_size_is_on_screen(fit_client, auth):
    skirt, headers = _skirt_id(), auth("publishable")
    every = fit_answer(fit_client, f"/v1/fit?avatar=f165-eu40&garment={skirt}", headers).get_json()
    assert every["recommended_size"] == "M" and set(every["sizes"]) == {"XS", "S", "M", "L", "XL"}
    for size in every["sizes"]:
        one = fit_client.get(f"/v1/fit?avatar=f165-eu40&garment={skirt}&size={size}",
                             headers=headers).get_json()
        assert one["size"] == size and one["recommended_size"] == "M", one
        assert one["recommendation"] == every["recommendation"]
    # an XL skirt on an EU 40 body slides down until the hips hold it: too big at the waist
    xl = every["sizes"]["XL"]
    assert xl["verdict"] == "loose" and any(r.startswith("slides down") for r in xl["reasons"]), xl
    assert every["sizes"]["XS"]["verdict"] == "tight"
    assert every["recommendation"]["reasons"] and every["advice"] == every["recommendation"]["summary"]


def test_fit_of_a_body_from_measurements(fit_client, auth):
    made = fit_client.post("/v1/avatars", json={"height": 166, "waist": 76, "hips": 100,
                                                "sex": "female"},
                           headers=auth("publishable")).get_json()
    report = fit_answer(fit_client, f"/v1/fit?avatar={made['id']}&garment={_skirt_id()}&size=L",
                        auth("publishable")).get_json()
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


def test_without_a_size_chart_the_drapes_decide(app, auth, garment_store, tmp_path, monkeypatch):
    from tests.api.test_garments import _form, _sample_obj

    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    configure(app, RENDER_BUDGET_S=120)
    client = app.test_client()
    made = client.post("/v1/garments", headers=auth("merchant"), content_type="multipart/form-data",
                       data=_form(**{s: (_sample_obj(s), f"{s}.obj") for s in ("S", "M", "L")}))
    assert made.status_code == 201, made.get_json()
    garment = made.get_json()["id"]
    every = fit_answer(client, f"/v1/fit?avatar=f165-eu40&garment={garment}",
                        auth("merchant")).get_json()
    advice = every["recommendation"]
    assert advice["basis"] == "drapes" and advice["chart_position"] is None
    assert {s: v["verdict"] for s, v in every["sizes"].items()}["S"] == "tight"
    assert advice["recommended_size"] == "M", advice


def test_stores_report_the_size_bought_and_read_the_match_rate(fit_client, auth, tmp_path):
    import os
    import subprocess
    import sys

    skirt, headers = _skirt_id(), auth("publishable")
    advice = fit_answer(fit_client, f"/v1/fit?avatar=f165-eu40&garment={skirt}",
                         headers).get_json()["recommendation"]
    assert advice["recommended_size"] == "M" and advice["id"].startswith("fr1.")
    for bought in ("M", "M", "L", "S"):
        sent = fit_client.post("/v1/fit/outcomes", json={"recommendation": advice["id"],
                                                         "bought_size": bought.lower()},
                               headers=auth("merchant"))
        assert sent.status_code == 204, sent.get_json()
    assert_problem(fit_client.post("/v1/fit/outcomes", json={"recommendation": "M",
                                                             "bought_size": "M"},
                                   headers=auth("merchant")), 422, "recommendation")
    assert_problem(fit_client.post("/v1/fit/outcomes", json={"recommendation": advice["id"],
                                                             "bought_size": "XXL"},
                                   headers=auth("merchant")), 422, "bought_size")
    assert_problem(fit_client.post("/v1/fit/outcomes", json={"recommendation": advice["id"],
                                                             "bought_size": "M"},
                                   headers=headers), 403)
    report = fit_client.get(f"/v1/fit/outcomes?garment={skirt}", headers=auth("merchant"))
    rates = report.get_json()["garments"][skirt]
    assert (rates["purchases"], rates["bought_recommended"], rates["match_rate"]) == (4, 2, 0.5)
    assert rates["bought_alternative"] == 1 and set(rates["by_recommended_size"]) == {"M"}
    cli = subprocess.run([sys.executable, "-m", "tryon.cli", "fit", "report", "--json"],
                         capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)[skirt]["match_rate"] == 0.5
