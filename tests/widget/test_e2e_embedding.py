"""The widget embedded by stores as they really do it: on another origin the key does
not allow, and with an attribute forgotten and set later."""

from __future__ import annotations

import http.server
import re
import threading
import urllib.request

import pytest

from tests.widget.browser import new_page, shot, wait_for_renders

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


class _Shop(http.server.BaseHTTPRequestHandler):
    """A store on another origin embedding the widget with the demo key (not allowed there)."""
    page = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args):
        pass


def test_a_site_the_key_does_not_allow_shows_a_clear_error(server, browser):
    demo = urllib.request.urlopen(f"{server}/", timeout=30).read().decode()
    key, garment = (re.search(rf'{a}="([^"]+)"', demo).group(1) for a in ("key", "garment"))
    _Shop.page = (f'<!doctype html><meta charset="utf-8"><title>Another shop</title>'
                  f'<script type="module" src="{server}/widget/v1/tryon.js"></script>'
                  f'<h1>Another shop</h1>'
                  f'<tryon-viewer garment="{garment}" key="{key}"></tryon-viewer>').encode()
    shop = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Shop)
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    try:
        page = new_page(browser, viewport={"width": 900, "height": 800})
        page.goto(f"http://127.0.0.1:{shop.server_address[1]}/")
        error = page.locator("tryon-viewer .error")
        error.wait_for(state="visible", timeout=60_000)
        text = error.inner_text()
        assert "Try-on isn\u2019t available on this site" in text
        assert f"http://127.0.0.1:{shop.server_address[1]}" in text  # tells the store what to allow
        assert not page.locator("tryon-viewer .panel").is_visible()  # no controls that cannot work
        shot(page, "13-origin-not-allowed")
    finally:
        shop.shutdown()


def test_a_widget_that_could_not_start_starts_once_its_attributes_are_fixed(server, browser):
    page = new_page(browser, viewport={"width": 1100, "height": 900})
    page.goto(f"{server}/")
    wait_for_renders(page)
    first = page.locator("tryon-viewer").first
    key, garment = first.get_attribute("key"), first.get_attribute("garment")
    # the store forgot the key: the widget says so, and nothing steals focus from the page
    page.evaluate("""(garment) => {
        const viewer = document.createElement('tryon-viewer');
        viewer.id = 'late'; viewer.setAttribute('garment', garment);
        document.querySelector('main, body').prepend(viewer);
        document.querySelector('#size-1')?.focus(); }""", garment)
    late = page.locator("#late")
    late.locator(".error").wait_for(state="visible")
    assert "key" in late.locator(".error").inner_text().lower()
    assert page.evaluate("() => document.activeElement?.id") == "size-1"
    page.evaluate("(key) => document.querySelector('#late').setAttribute('key', key)", key)
    page.wait_for_function("""() => {
        const img = document.querySelector('#late').shadowRoot.querySelector('.stage img');
        return img && img.complete && img.naturalWidth > 0; }""")
    assert not late.locator(".error").is_visible()
