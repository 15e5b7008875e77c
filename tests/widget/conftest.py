"""Widget fixtures: the shared app (``tests/conftest.py``) keeps its demo key file in a
temp folder; the end-to-end tests share one ``tryon serve`` and one Chromium
(``tests/widget/browser.py``)."""

from __future__ import annotations

import os

import pytest

from tests.live_server import tryon_serve
from tests.widget.browser import CHROMIUM, SERVER_ENV, SERVER_LOGS, SHOTS


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    """A real ``tryon serve`` on a free loopback port; yields its base URL."""
    tmp = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "TRYON_DATABASE_URL": f"sqlite:///{tmp / 'server.sqlite3'}",
           "TRYON_BLOB_URL": f"file://{tmp / 'blobs'}", "TRYON_DEMO_KEY_FILE": str(tmp / "demo-key.json"),
           "TRYON_RATELIMIT_STORAGE": f"tryon-sqlite://{tmp / 'ratelimits.sqlite3'}", **SERVER_ENV}
    for name in ("TRYON_BROKER_URL", "TRYON_DEMO_ORIGINS"):
        env.pop(name, None)
    with tryon_serve(env, tmp / "server.log") as live:
        SERVER_LOGS[live.base] = live.log
        yield live.base


@pytest.fixture(scope="package")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="pip install playwright (the test extra)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()
