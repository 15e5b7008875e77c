"""Shared fixtures: the real body model, a fresh database, and the one app fixture.

Tests use the data directory that `make test` prepared (``./.tryon`` unless
``TRYON_DATA_DIR`` says otherwise); sockets other than loopback are blocked
(pytest-socket, see pyproject.toml), so nothing can download.

An app's settings are fixed when it is built (``api.extensions``): a test
says what it needs through ``app_config`` (a folder's conftest overrides
it), or rebuilds them later with ``tests.settings.configure``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def anny_model():
    from avatars.body_models.registry import get_body_model

    return get_body_model("neutral")


@pytest.fixture(scope="session")
def skirt_id() -> str:
    """The id of the sample "A-line skirt"."""
    from tests.settings import current_garments

    return next(g.id for g in current_garments().list() if g.name == "A-line skirt")


@pytest.fixture()
def render_params(skirt_id) -> dict:
    """A small render of the sample skirt on a library body."""
    return {"avatar": "f165-eu40", "garment": skirt_id, "size": "M", "width": 96, "height": 144}


@pytest.fixture()
def fresh_database(tmp_path, monkeypatch) -> str:
    """A new SQLite database for this test, migrated, named in the environment
    (so subprocesses share it)."""
    from tryon.storage.database import dispose_engines, upgrade_database

    url = f"sqlite:///{tmp_path / 'tryon.sqlite3'}"
    monkeypatch.setenv("TRYON_DATABASE_URL", url)
    upgrade_database()
    yield url
    dispose_engines()


@pytest.fixture()
def app_config() -> dict:
    """App config the ``app`` fixture adds to its defaults (override per folder)."""
    return {}


@pytest.fixture()
def app(request, fresh_database, app_config, tmp_path, monkeypatch):
    """The API app on a fresh database, with the prepared body model, library and
    sample garments; a temporary garment store when the test asks for
    ``garment_store``, so the samples are never touched."""
    from api import create_app
    from api.extensions import shutdown_job_queue

    monkeypatch.delenv("TRYON_DEMO_ORIGINS", raising=False)
    config = {"TESTING": True, "DEMO_KEY_FILE": str(tmp_path / "demo-key.json"),
              "RATELIMIT_STORAGE_URI": f"tryon-sqlite://{tmp_path / 'ratelimits.sqlite3'}"}
    if "garment_store" in request.fixturenames:
        config["GARMENTS_DIR"] = str(tmp_path / "garments")
    app = create_app({**config, **app_config})
    yield app
    shutdown_job_queue(app)  # its threads must not outlive this test's database


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def garment_store(app):
    """The app's own garment store, empty (see ``app``)."""
    from api.extensions import settings_of
    from garments.store import GarmentStore

    return GarmentStore(settings_of(app).garments_dir)
