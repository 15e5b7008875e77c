"""Widget fixtures: an app on a fresh SQLite database, with the demo key file in a temp folder."""

from __future__ import annotations

import pytest


@pytest.fixture()
def app(tmp_path, monkeypatch):
    from api import create_app
    from tryon.database import dispose_engines, upgrade_database

    monkeypatch.setenv("TRYON_DATABASE_URL", f"sqlite:///{tmp_path / 'widget.sqlite3'}")
    monkeypatch.delenv("TRYON_DEMO_ORIGINS", raising=False)
    upgrade_database()
    yield create_app({"TESTING": True, "DEMO_KEY_FILE": str(tmp_path / "demo-key.json")})
    dispose_engines()


@pytest.fixture()
def client(app):
    return app.test_client()
