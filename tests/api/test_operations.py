"""The OpenAPI document, health, readiness, metrics, and errors as problems."""

import pytest

from tests.api.helpers import assert_problem

ROUTES = ["/v1/avatars", "/v1/avatars/{avatar_id}", "/v1/garments", "/v1/garments/{garment_id}",
          "/v1/garments/{garment_id}/publish", "/v1/garments/{garment_id}/unpublish", "/v1/fit",
          "/healthz", "/readyz"]


def test_openapi_document(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    assert set(ROUTES) <= set(spec["paths"])
    assert set(spec["paths"]["/v1/garments/{garment_id}"]) >= {"get", "delete"}
    upload = spec["paths"]["/v1/garments"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    assert spec["components"]["securitySchemes"]["bearerKey"]["scheme"] == "bearer"
    assert spec["paths"]["/v1/avatars"]["get"]["security"] == [{"bearerKey": []}]


@pytest.mark.slow
def test_health_and_readiness(client, app, monkeypatch):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ok"
    assert ready["checks"] == {"database": "ok", "body_model": "ok"}
    monkeypatch.setenv("TRYON_DATABASE_URL", "sqlite:////nonexistent/dir/db.sqlite3")
    assert_problem(client.get("/readyz"), 503)


@pytest.mark.slow
def test_metrics_count_requests(client, auth):
    client.get("/v1/avatars", headers=auth("merchant"))
    client.get("/v1/avatars")
    page = client.get("/metrics").get_data(as_text=True)
    assert 'tryon_http_requests_total{method="GET",route="/v1/avatars",status="200"} 1.0' in page
    assert 'route="/v1/avatars",status="401"' in page
    assert "tryon_http_request_duration_seconds_bucket" in page


def test_unknown_routes_and_methods_are_problems(client, auth):
    assert_problem(client.get("/v1/nothing"), 404)
    assert_problem(client.put("/v1/avatars", headers=auth("merchant")), 405)


def test_an_unexpected_failure_is_a_500_problem_not_a_traceback(app, client, auth, monkeypatch):
    import api.routes.avatars

    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.routes.avatars, "library", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    body = assert_problem(client.get("/v1/avatars", headers=auth("merchant")), 500)
    assert "secret" not in body["detail"]


@pytest.mark.parametrize("path", ["/v1//avatars", "//v1/avatars", "/v1/avatars/",
                                  "/v1/openapi.json/"])
def test_no_answer_points_at_the_host_the_client_named(client, path):
    """werkzeug would redirect these to http://<Host header>/...; we never build a URL
    from the Host header (issue 12, item 8)."""
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code < 300 or response.status_code >= 400, response.headers
    assert "evil.example" not in response.headers.get("Location", "")


def test_malformed_inputs_are_4xx_problems_not_500s(client, keys):
    """Issue 12, item 5: each of these was a 500."""
    from api.json_bodies import MAX_JSON_BYTES

    key = keys["publishable"]
    # a Referer urlsplit cannot read: no origin, so a publishable key is refused
    assert_problem(client.get(f"/v1/avatars?key={key}", headers={"Referer": "http://["}), 403)
    headers = {"Authorization": f"Bearer {key}", "Origin": "https://shop.example.com",
               "Content-Type": "application/json"}
    deep = "[" * 100_000 + "]" * 100_000
    assert_problem(client.post("/v1/avatars", data=deep, headers=headers), 400, "body")
    # brackets inside strings do not count as nesting
    quoted = '{"height": 170, "sex": "' + "[" * 200 + '"}'
    assert client.post("/v1/avatars", data=quoted, headers=headers).status_code == 422
    big = '{"height": 170, "pad": "' + "x" * MAX_JSON_BYTES + '"}'
    assert_problem(client.post("/v1/avatars", data=big, headers=headers), 413, "body")
    # '²' is a digit to str.isdigit, not to int()
    assert_problem(client.get("/avatars/f165-eu40/render.png?width=²"), 400, "width")
