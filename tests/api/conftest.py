"""API fixtures: one key of each role (the app itself is ``tests/conftest.py``'s)."""

from __future__ import annotations

import pytest

SHOP = "https://shop.example.com"


@pytest.fixture()
def keys(app):
    """Plaintext keys by role; the publishable one is bound to ``SHOP``."""
    from tryon.storage.api_keys import create_key
    from tryon.storage.database import session_scope

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
def fuzz_app(app, garment_store, tmp_path, monkeypatch):
    """The app for fuzzing: its own blob folder and garment store, jobs in this
    process and never waited for (202 at once), no rate limits."""
    from tests.settings import configure

    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    configure(app, RENDER_BUDGET_S=0, RATELIMIT_ENABLED=False)
    return app
