"""``tryon serve`` as a real server: gunicorn, two worker processes, a cold render over HTTP."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.live_server import TRYON, tryon_serve
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

SHOP = "https://shop.example.com"


def _get(url: str, headers: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture()
def server_env(tmp_path):
    env = {**os.environ, "TRYON_DATABASE_URL": f"sqlite:///{tmp_path / 'server.sqlite3'}",
           "TRYON_BLOB_URL": f"file://{tmp_path / 'blobs'}", "TRYON_RENDER_BUDGET_S": "2",
           "TRYON_DEMO_KEY_FILE": str(tmp_path / "demo-key.json")}
    env.pop("TRYON_BROKER_URL", None)
    return env


def test_tryon_serve_renders_for_a_publishable_key(server_env, tmp_path):
    made = subprocess.run([*TRYON, "keys", "create", "--role", "publishable", "--origin", SHOP],
                          env=server_env, capture_output=True, text=True, timeout=120, check=True)
    key = made.stdout.strip().splitlines()[-1]
    with tryon_serve(server_env, tmp_path / "server.log") as live:
        base, server = live.base, live.process
        assert "warmed up in" in live.log_text()  # before it served

        skirt = next(g for g in current_garments().list() if g.name == "A-line skirt").id
        url = f"{base}/v1/render?avatar=f165-eu40&garment={skirt}&size=M&width=64&height=96"
        headers = {"Authorization": f"Bearer {key}", "Origin": SHOP}
        assert _get(url, {**headers, "Origin": "https://evil.example"})[0] == 403
        deadline = time.monotonic() + 180
        while True:
            status, response_headers, body = _get(url, headers)
            assert status in (200, 202), body
            if status == 200:
                break
            assert response_headers["Location"].startswith("/v1/jobs/")
            assert time.monotonic() < deadline, "the render never finished"
            time.sleep(0.5)
        assert body.startswith(b"\x89PNG\r\n\x1a\n") and response_headers["Content-Type"] == "image/png"
        assert response_headers["Access-Control-Allow-Origin"] == SHOP
        assert _get(url, {**headers, "If-None-Match": response_headers["ETag"]})[0] == 304
        assert _get(f"{base}/", {})[0] == 200  # the demo storefront
        # two workers: gunicorn's master and its children
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
        assert len(children.stdout.split()) == 2, live.log_text()
    assert server.returncode == 0, live.log_text()  # a clean stop on SIGTERM
