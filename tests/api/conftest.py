"""API fixtures: an app on a fresh SQLite database, and one key of each role.

The body model, the avatar library and the sample garments come from the
prepared data dir (``TRYON_DATA_DIR``, as for every test); only the
database is temporary. Tests that change garments point the app at a
temporary store (``garment_store``), so the samples are never touched.
"""

from __future__ import annotations

import pytest

SHOP = "https://shop.example.com"


@pytest.fixture()
def app(tmp_path, monkeypatch):
    from api import create_app
    from tryon.database import dispose_engines, upgrade_database

    monkeypatch.setenv("TRYON_DATABASE_URL", f"sqlite:///{tmp_path / 'api.sqlite3'}")
    from api.jobs import shutdown_job_queue

    upgrade_database()
    app = create_app({"TESTING": True})
    yield app
    shutdown_job_queue(app)  # its threads must not outlive this test's database
    dispose_engines()


@pytest.fixture()
def keys(app):
    """Plaintext keys by role; the publishable one is bound to ``SHOP``."""
    from tryon.api_keys import create_key
    from tryon.database import session_scope

    with session_scope() as session:
        made = {role: create_key(session, role, [SHOP] if role == "publishable" else [])[1]
                for role in ("publishable", "merchant", "admin", "studio")}
    return made


@pytest.fixture()
def auth(keys):
    """Request headers for a role (the publishable key calls from ``SHOP``)."""
    def headers(role: str) -> dict:
        extra = {"Origin": SHOP} if role == "publishable" else {}
        return {"Authorization": f"Bearer {keys[role]}", **extra}
    return headers


@pytest.fixture()
def garment_store(app, tmp_path):
    from garments.store import GarmentStore

    app.config["GARMENTS_DIR"] = str(tmp_path / "garments")
    return GarmentStore(app.config["GARMENTS_DIR"])
