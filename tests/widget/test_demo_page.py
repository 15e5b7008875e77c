"""The demo storefront at ``/``: the widget on two sample garments, a strict CSP,
and its publishable key, made on first use for this server's own origins only."""

from __future__ import annotations

import pytest

import json
import re
import stat
from pathlib import Path

from tests.settings import configure, current_garments

LOOPBACK = {"http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"}


def _key(session_key: str):
    from tryon.storage.api_keys import verify_key
    from tryon.storage.database import session_scope

    with session_scope() as session:
        key = verify_key(session, session_key)
        return None if key is None else (key.role, set(key.origins), key.label)


def _viewers(page: str) -> list[dict]:
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
            for attrs in re.findall(r"<tryon-viewer([^>]*)>", page)]


@pytest.mark.slow
def test_demo_page_shows_the_widget_on_two_sample_garments(client):
    response = client.get("/", base_url="http://127.0.0.1:8000")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    names = {g.id: g.name for g in current_garments().list()}
    viewers = _viewers(page)
    assert [names[v["garment"]] for v in viewers] == ["Midi dress", "A-line skirt"]
    assert len({v["key"] for v in viewers}) == 1
    assert _key(viewers[0]["key"]) == ("publishable", LOOPBACK, "demo storefront")
    assert '<script type="module" src="/widget/v1/tryon.js"></script>' in page
    assert response.headers["Cache-Control"] == "no-store"


def test_demo_page_needs_no_inline_script_or_style(client):
    response = client.get("/", base_url="http://127.0.0.1:8000")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    # styles: our files, and the 3D viewer's own <style> elements by hash, nothing else inline
    styles = re.search(r"style-src ([^;]*);", csp).group(1).split()
    assert styles[0] == "'self'" and all(s.startswith("'sha256-") for s in styles[1:])
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    page = response.get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []  # every script is a file
    assert "<style" not in page and " style=" not in page and " on" + "click=" not in page


@pytest.mark.slow
def test_demo_key_is_made_once_and_kept_private(client, app):
    first = _viewers(client.get("/", base_url="http://127.0.0.1:8000").get_data(as_text=True))[0]["key"]
    second = _viewers(client.get("/", base_url="http://localhost:8000").get_data(as_text=True))[0]["key"]
    assert first == second  # the same origins, both loopback names
    path = Path(app.config["DEMO_KEY_FILE"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entries = json.loads(path.read_text())["keys"]
    assert [e["key"] for e in entries] == [first] and set(entries[0]["origins"]) == LOOPBACK
    other_port = _viewers(client.get("/", base_url="http://127.0.0.1:9000").get_data(as_text=True))[0]["key"]
    assert other_port != first and len(json.loads(path.read_text())["keys"]) == 2
    assert _key(first) is not None  # the first port's key still works


@pytest.mark.slow
def test_a_stale_or_revoked_demo_key_is_replaced(client, app):
    from tryon.storage.api_keys import revoke_key
    from tryon.storage.database import session_scope

    path = Path(app.config["DEMO_KEY_FILE"])
    first = _viewers(client.get("/", base_url="http://127.0.0.1:8000").get_data(as_text=True))[0]["key"]
    with session_scope() as session:
        revoke_key(session, first.split("_")[2])
    replaced = _viewers(client.get("/", base_url="http://127.0.0.1:8000").get_data(as_text=True))[0]["key"]
    assert replaced != first and _key(replaced)[0] == "publishable"
    path.write_text("{not json")
    again = _viewers(client.get("/", base_url="http://127.0.0.1:8000").get_data(as_text=True))[0]["key"]
    assert _key(again)[0] == "publishable" and stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.slow
def test_no_key_for_a_host_name_that_is_not_ours(client, app):
    response = client.get("/", base_url="http://evil.example")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _viewers(page) == []
    assert "only made for this machine" in page and "TRYON_DEMO_ORIGINS" in page
    assert not Path(app.config["DEMO_KEY_FILE"]).exists()


def test_no_key_for_a_remote_client_or_a_port_we_do_not_serve(client, app):
    # The Host header is the client's word: a loopback name from afar, or a
    # port this server does not listen on, must not have keys made.
    remote = client.get("/", base_url="http://127.0.0.1:8000",
                        environ_base={"REMOTE_ADDR": "203.0.113.7"})
    other_port = client.get("/", base_url="http://127.0.0.1:8000",
                            headers={"Host": "localhost:9123"})
    assert _viewers(remote.get_data(as_text=True)) == []
    assert _viewers(other_port.get_data(as_text=True)) == []
    assert not Path(app.config["DEMO_KEY_FILE"]).exists()


@pytest.mark.slow
def test_configured_demo_origins_get_a_key(client, app):
    configure(app, DEMO_ORIGINS="https://shop.example, https://www.shop.example")
    key = _viewers(client.get("/", base_url="https://shop.example").get_data(as_text=True))[0]["key"]
    assert _key(key)[1] == {"https://shop.example", "https://www.shop.example"}
    assert _viewers(client.get("/", base_url="https://elsewhere.example").get_data(as_text=True)) == []


@pytest.mark.slow
def test_the_key_works_for_the_widget_from_the_demo_origin_only(client):
    key = _viewers(client.get("/", base_url="http://127.0.0.1:8000").get_data(as_text=True))[0]["key"]
    ok = client.get(f"/v1/avatars?key={key}", headers={"Origin": "http://127.0.0.1:8000"})
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    assert client.get(f"/v1/avatars?key={key}", headers={"Origin": "https://evil.example"}).status_code == 403
