"""Shared fixtures: the real body model and a Flask test client.

Tests use the data directory that `make test` prepared (``./.tryon`` unless
``TRYON_DATA_DIR`` says otherwise); sockets other than loopback are blocked
(pytest-socket, see pyproject.toml), so nothing can download.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def anny_model():
    from avatars.registry import get_body_model

    return get_body_model("neutral")


@pytest.fixture()
def app():
    from api import create_app

    return create_app({"TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()
