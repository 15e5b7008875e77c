"""``tryon serve`` as a real server: gunicorn, two worker processes, a cold render over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from email.message import Message

import pytest

from tests.live_server import TRYON, tryon_serve
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

SHOP = "https://shop.example.com"


def _get(url: str, headers: dict) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()  # case-insensitive
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture()
def server_env(tmp_path):
    env = {**os.environ, "TRYON_DATABASE_URL": f"sqlite:///{tmp_path / 'server.sqlite3'}",
           "TRYON_BLOB_URL": f"file://{tmp_path / 'blobs'}", "TRYON_RENDER_BUDGET_S": "2",
           "TRYON_DEMO_KEY_FILE": str(tmp_path / "demo-key.json"),
           "TRYON_RATELIMIT_STORAGE": f"tryon-sqlite://{tmp_path / 'ratelimits.sqlite3'}"}
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
        _assert_server_refusals_are_problems(base)
        _assert_a_scan_over_64_mib_reaches_the_app(base, server_env)
        # two workers: gunicorn's master and its children
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
        assert len(children.stdout.split()) == 2, live.log_text()
    assert server.returncode == 0, live.log_text()  # a clean stop on SIGTERM


def _raw(base: str, request: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are; the answer's status, headers (lower-case names) and body."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := conn.recv(65536):  # the server closes after a refusal
                received += chunk
        except ConnectionResetError:  # it closed with our bytes unread: its answer came first
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def _assert_server_refusals_are_problems(base: str) -> None:
    """What waitress refuses before the app sees it is a problem document too."""
    import json

    for request, status, words in (
        (b"POST /v1/twins HTTP/1.1\r\nHost: x\r\nContent-Length: 300000000\r\n\r\n", 413,
         f"larger than {200 * 2**20 + 2**20:,} bytes"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n", 431,
         "headers are larger"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400, "not valid"),
    ):
        got, headers, body = _raw(base, request)
        assert got == status, body
        assert headers["content-type"] == "application/problem+json", body
        problem = json.loads(body)
        assert problem["status"] == status and words in problem["detail"], problem


def _assert_a_scan_over_64_mib_reaches_the_app(base: str, server_env: dict) -> None:
    """Scans may be up to 200 MB (a 2M-point ASCII PLY is 60-80 MB): the server reads
    them whole and the app answers (403 here: no consent), not the server's 413."""
    import json

    made = subprocess.run([*TRYON, "keys", "create", "--role", "studio"], env=server_env,
                          capture_output=True, text=True, timeout=120, check=True)
    key = made.stdout.strip().splitlines()[-1]
    boundary = "scanboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"consent\"\r\n\r\ncg-none\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"scan\"; filename=\"s.ply\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + b"0" * (70 * 2**20) + (
            f"\r\n--{boundary}--\r\n").encode()
    request = (f"POST /v1/twins HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    status, headers, answer = _raw(base, request)
    assert status == 403 and json.loads(answer)["field"] == "consent", answer[:500]


def _stall(base: str, key: str) -> socket.socket:
    """A connection that sends a request's headers and 12 of its 1,000 body bytes, then nothing."""
    host, port = base.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=5)
    conn.sendall(f"POST /v1/avatars HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}"
                 f"\r\nOrigin: {SHOP}\r\nContent-Type: application/json\r\nContent-Length: 1000"
                 "\r\n\r\n".encode() + b'{"height_cm"')
    return conn


def _timed_get(url: str, headers: dict) -> tuple[int, float]:
    start = time.perf_counter()
    status = _get(url, headers)[0]
    return status, time.perf_counter() - start


def test_fifty_stalled_uploads_hold_no_thread(server_env, tmp_path):
    """Each connection sends headers and part of a body, then stalls (a publishable key is
    public, so anyone can): the server still answers at once."""
    made = subprocess.run([*TRYON, "keys", "create", "--role", "publishable", "--origin", SHOP],
                          env=server_env, capture_output=True, text=True, timeout=120, check=True)
    key = made.stdout.strip().splitlines()[-1]
    with tryon_serve(server_env, tmp_path / "server.log") as live:
        headers = {"Authorization": f"Bearer {key}", "Origin": SHOP}
        url = f"{live.base}/v1/render?avatar=f165-eu40&width=64&height=96"
        deadline = time.monotonic() + 120
        while _get(url, headers)[0] != 200:  # the bare body: one cached render to ask for
            assert time.monotonic() < deadline
            time.sleep(0.3)
        stalled = [_stall(live.base, key) for _ in range(50)]
        try:
            time.sleep(0.5)  # every stalled request is in
            timings = {"/healthz": [], "render": []}
            for _ in range(10):
                status, seconds = _timed_get(f"{live.base}/healthz", {})
                assert status == 200
                timings["/healthz"].append(seconds)
                status, seconds = _timed_get(url, headers)
                assert status == 200
                timings["render"].append(seconds)
            for route, seconds in timings.items():
                assert sorted(seconds)[5] < 0.1, (route, seconds)  # median
                assert max(seconds) < 0.5, (route, seconds)
        finally:
            for conn in stalled:
                conn.close()


def test_each_worker_keeps_sweeping_what_killed_uploads_left(tmp_path):
    from api.server import keep_sweeping
    from garments.store import STALE_IMPORT_S, GarmentStore

    store = GarmentStore(tmp_path / "garments")
    old, fresh = store.incoming() / "upload-killed", store.incoming() / "upload-running"
    for folder in (old, fresh):
        (folder / "M").mkdir(parents=True)
        (folder / "M" / "skirt.obj").write_text("v 0 0 0\n")
    hours_ago = time.time() - STALE_IMPORT_S - 60
    os.utime(old, (hours_ago, hours_ago))
    keep_sweeping(store, every_s=0.05)
    deadline = time.monotonic() + 10
    while old.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not old.exists() and fresh.exists()  # a live upload is never that old
