"""Keys, roles, origins, CORS, rate limits and request size limits."""

import pytest

import io

from tests.api.conftest import SHOP
from tests.api.helpers import assert_problem


def test_missing_or_wrong_key_is_401(client, keys):
    assert_problem(client.get("/v1/avatars"), 401, "Authorization")
    assert client.get("/v1/avatars").headers["WWW-Authenticate"].startswith("Bearer")
    wrong = keys["merchant"][:-4] + "0000"
    assert_problem(client.get("/v1/avatars", headers={"Authorization": f"Bearer {wrong}"}),
                   401, "Authorization")
    assert_problem(client.get("/v1/avatars", headers={"Authorization": "Basic abc"}), 401)
    assert_problem(client.get("/v1/avatars", headers={"Authorization": "Bearer junk"}), 401)


@pytest.mark.slow
def test_revoked_key_is_401(client, keys, auth):
    from tryon.storage.api_keys import revoke_key
    from tryon.storage.database import session_scope

    assert client.get("/v1/avatars", headers=auth("merchant")).status_code == 200
    with session_scope() as session:
        revoke_key(session, keys["merchant"].split("_")[2])
    assert_problem(client.get("/v1/avatars", headers=auth("merchant")), 401)


@pytest.mark.slow
def test_wrong_role_is_403(client, auth):
    assert_problem(client.get("/v1/avatars", headers=auth("studio")), 403)
    assert_problem(client.post("/v1/garments/x/publish", headers=auth("publishable")), 403)
    assert client.get("/v1/avatars", headers=auth("admin")).status_code == 200  # admin: every role


@pytest.mark.slow
def test_publishable_key_is_bound_to_its_origins(client, keys):
    bearer = {"Authorization": f"Bearer {keys['publishable']}"}
    assert client.get("/v1/avatars", headers={**bearer, "Origin": SHOP}).status_code == 200
    assert client.get("/v1/avatars", headers={**bearer, "Origin": SHOP + ":443"}).status_code == 200
    assert_problem(client.get("/v1/avatars", headers={**bearer, "Origin": "https://evil.example"}),
                   403, "Origin")
    assert_problem(client.get("/v1/avatars", headers=bearer), 403, "Origin")  # no site at all
    # <img> requests carry no Origin: the Referer's origin counts then
    assert client.get("/v1/avatars", headers={**bearer, "Referer": SHOP + "/p/dress?x=1"}
                      ).status_code == 200
    assert_problem(client.get("/v1/avatars", headers={**bearer, "Referer": "https://evil.example/"}),
                   403, "Origin")


@pytest.mark.slow
def test_only_publishable_keys_may_come_in_the_url(client, keys):
    url = f"/v1/avatars?key={keys['publishable']}"
    assert client.get(url, headers={"Referer": SHOP + "/"}).status_code == 200
    assert_problem(client.get(url, headers={"Referer": "https://evil.example/"}), 403)
    assert_problem(client.get(f"/v1/avatars?key={keys['merchant']}"), 401, "key")
    assert_problem(client.get("/v1/avatars?key=nonsense"), 401, "key")


@pytest.mark.slow
def test_cors_headers_only_for_the_keys_origins(client, auth, keys):
    allowed = client.get("/v1/avatars", headers=auth("publishable"))
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in allowed.headers["Vary"]
    refused = client.get("/v1/avatars", headers={"Authorization": f"Bearer {keys['publishable']}",
                                                "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    # a merchant key has no origins: a browser elsewhere gets no CORS grant
    merchant = client.get("/v1/avatars", headers={**auth("merchant"), "Origin": "https://evil.example"})
    assert merchant.status_code == 200 and "Access-Control-Allow-Origin" not in merchant.headers
    preflight = {"Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "Authorization"}
    ok = client.options("/v1/avatars", headers={**preflight, "Origin": SHOP})
    assert ok.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Authorization" in ok.headers["Access-Control-Allow-Headers"]
    no = client.options("/v1/avatars", headers={**preflight, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in no.headers


@pytest.mark.slow
def test_rate_limit_per_key_answers_429_with_retry_after(app, client, auth):
    app.config["RATELIMIT_PER_KEY"] = "3/minute"
    for _ in range(3):
        response = client.get("/v1/avatars", headers=auth("merchant"))
        assert response.status_code == 200 and "Retry-After" not in response.headers
    limited = client.get("/v1/avatars", headers=auth("merchant"))
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) > 0
    # another key from the same IP still has its budget
    assert client.get("/v1/avatars", headers=auth("admin")).status_code == 200
    assert client.get("/healthz").status_code == 200  # operations routes are not limited


@pytest.mark.slow
def test_rate_limit_per_ip(app, client, auth):
    app.config["RATELIMIT_PER_IP"] = "2/minute"
    assert client.get("/v1/avatars", headers=auth("merchant")).status_code == 200
    assert client.get("/v1/avatars", headers=auth("admin")).status_code == 200
    assert_problem(client.get("/v1/avatars", headers=auth("studio")), 429)
    other_ip = client.get("/v1/avatars", headers=auth("merchant"),
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_ip.status_code == 200


def test_uploads_over_the_limit_are_413(app, client, auth):
    from api.routes.garments import MAX_UPLOAD_BYTES

    assert MAX_UPLOAD_BYTES == app.config["MAX_CONTENT_LENGTH"] == 50 * 1024 * 1024
    app.config["MAX_CONTENT_LENGTH"] = 1000  # the same check, without sending 50 MB
    response = client.post("/v1/garments", headers=auth("merchant"),
                           data={"name": "x", "size_M": (io.BytesIO(b"v" * 5000), "a.obj")})
    assert_problem(response, 413)


@pytest.mark.slow
def test_per_ip_limits_behind_a_trusted_proxy(client, auth, tmp_path):
    from api import create_app

    # Behind one trusted proxy, each shopper's address comes from X-Forwarded-For.
    proxied = create_app({"TESTING": True, "TRUSTED_PROXIES": 1, "RATELIMIT_PER_IP": "1/minute",
                          "RATELIMIT_STORAGE_URI": f"tryon-sqlite://{tmp_path / 'proxied.sqlite3'}"})
    proxy = proxied.test_client()
    for shopper in ("203.0.113.1", "203.0.113.2"):
        response = proxy.get("/v1/avatars", headers={**auth("merchant"), "X-Forwarded-For": shopper})
        assert response.status_code == 200
    again = proxy.get("/v1/avatars", headers={**auth("merchant"), "X-Forwarded-For": "203.0.113.1"})
    assert_problem(again, 429)


@pytest.mark.slow
def test_forwarded_for_is_ignored_without_a_trusted_proxy(app, client, auth):
    # Otherwise any client could pick a fresh address for every request.
    app.config["RATELIMIT_PER_IP"] = "1/minute"
    first = client.get("/v1/avatars", headers={**auth("merchant"), "X-Forwarded-For": "203.0.113.1"})
    assert first.status_code == 200
    second = client.get("/v1/avatars", headers={**auth("merchant"), "X-Forwarded-For": "203.0.113.9"})
    assert_problem(second, 429)
