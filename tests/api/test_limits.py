"""Rate limits hold as documented: exempt routes spend no budget, and every server
process on a machine counts against one budget."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem

pytestmark = pytest.mark.slow  # the app's routes load the library (body model)


def test_health_checks_preflights_and_widget_files_spend_no_budget(app, client, auth):
    app.config["RATELIMIT_PER_IP"] = "2/minute"
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code in (200, 503)
        assert client.get("/metrics").status_code == 200
        assert client.get("/widget/v1/tryon.js").status_code == 200
        assert client.options("/v1/avatars", headers={
            "Origin": "https://shop.example.com", "Access-Control-Request-Method": "GET"}
        ).status_code in (200, 204)
    assert client.get("/v1/avatars", headers=auth("merchant")).status_code == 200
    assert client.get("/v1/avatars", headers=auth("admin")).status_code == 200
    assert_problem(client.get("/v1/avatars", headers=auth("studio")), 429)


def test_server_processes_share_one_budget(app, client, auth, tmp_path):
    """Two apps on one counter file are two ``tryon serve`` workers: a client whose
    requests land on both still gets the documented limit, not twice it."""
    from api import create_app

    shared = app.config["RATELIMIT_STORAGE_URI"]
    assert shared.startswith("tryon-sqlite:///")
    other = create_app({"TESTING": True, "RATELIMIT_STORAGE_URI": shared,
                        "RATELIMIT_PER_IP": "3/minute"}).test_client()
    app.config["RATELIMIT_PER_IP"] = "3/minute"
    assert client.get("/v1/avatars", headers=auth("merchant")).status_code == 200
    assert other.get("/v1/avatars", headers=auth("merchant")).status_code == 200
    assert client.get("/v1/avatars", headers=auth("admin")).status_code == 200
    assert_problem(other.get("/v1/avatars", headers=auth("admin")), 429)
    limited = client.get("/v1/avatars", headers=auth("studio"))
    assert_problem(limited, 429)
    assert 0 < int(limited.headers["Retry-After"]) <= 60
