"""The widget end to end: a real ``tryon serve`` (gunicorn, two workers, fresh
database and blob store), the demo storefront in headless Chromium.

Each step asserts on what the browser actually loaded (the <img>'s
``currentSrc`` and ``naturalWidth``), on the widget's events, and on the
Content-Security-Policy violations the page reported (none). Screenshots go
to ``$TRYON_WIDGET_SHOTS`` (default ``/tmp/widget-shots``), outside git.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and the
``playwright`` Python package (the ``test`` extra); skipped without them.
"""

from __future__ import annotations

import http.server
import io
import os
import re
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from tests.live_server import tryon_serve

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("TRYON_WIDGET_SHOTS", "/tmp/widget-shots"))
RENDER_TIMEOUT_MS = 180_000  # cold drapes and renders on a loaded 2-core machine

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)

# Recorded in every page before its scripts run (CDP init scripts are not subject to the page's CSP).
RECORDER = """
window.__events = [];
window.__csp = [];
for (const type of ['tryon:size-change', 'tryon:avatar-change', 'tryon:recommendation',
                    'tryon:colorway-change']) {
  document.addEventListener(type, (e) => window.__events.push({ type, detail: e.detail }));
}
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


SERVER_LOGS: dict[str, Path] = {}  # base URL -> its server's log, for failure messages


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real ``tryon serve`` on a free loopback port; yields its base URL."""
    tmp = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "TRYON_DATABASE_URL": f"sqlite:///{tmp / 'server.sqlite3'}",
           "TRYON_BLOB_URL": f"file://{tmp / 'blobs'}", "TRYON_DEMO_KEY_FILE": str(tmp / "demo-key.json"),
           "TRYON_RATELIMIT_STORAGE": f"tryon-sqlite://{tmp / 'ratelimits.sqlite3'}",
           # one loopback address plays every shopper of the run: the per-IP budget of a crowd
           "TRYON_RATELIMIT_PER_IP": "5000/minute",
           # whatever is not stored yet answers 202 at once: the widget must follow the job
           "TRYON_RENDER_BUDGET_S": "0"}
    for name in ("TRYON_BROKER_URL", "TRYON_DEMO_ORIGINS"):
        env.pop(name, None)
    with tryon_serve(env, tmp / "server.log") as live:
        SERVER_LOGS[live.base] = live.log
        yield live.base


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _page(browser, **context):
    page = browser.new_context(**context).new_page()
    page.add_init_script(RECORDER)
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    return page


def _wait_for_renders(page, nth: int = 0, count: int = 1, **params) -> list[dict]:
    """Wait until the nth widget shows ``count`` loaded renders whose URLs have ``params``;
    returns each image's URL parameters and natural width."""
    wanted = {k: str(v) for k, v in params.items()}
    page.wait_for_function("""([nth, count, wanted]) => {
      const root = document.querySelectorAll('tryon-viewer')[nth]?.shadowRoot;
      const imgs = root ? [...root.querySelectorAll('.stage img')] : [];
      if (imgs.length !== count || !root.querySelector('.busy').hidden) return false;
      return imgs.every((img) => {
        if (!img.complete || img.naturalWidth === 0 || !img.currentSrc) return false;
        const q = new URL(img.currentSrc).searchParams;
        return Object.entries(wanted).every(([k, v]) => q.get(k) === v);
      });
    }""", arg=[nth, count, wanted])
    shots = page.evaluate("""(nth) => [...document.querySelectorAll('tryon-viewer')[nth].shadowRoot
        .querySelectorAll('.stage img')].map((img) => ({src: img.currentSrc, natural: img.naturalWidth,
        shown: img.getBoundingClientRect().width, alt: img.alt}))""", nth)
    for shot in shots:
        shot["query"] = {k: v[0] for k, v in parse_qs(urlsplit(shot["src"]).query).items()}
        assert urlsplit(shot["src"]).path == "/v1/render"
    return shots


def _events(page, kind: str, **match) -> list[dict]:
    """The details of the events of one kind so far, optionally those whose detail has ``match``."""
    return [e["detail"] for e in page.evaluate("() => window.__events")
            if e["type"] == kind and all(e["detail"].get(k) == v for k, v in match.items())]


def _pixels(locator) -> np.ndarray:
    """(H, W, 3) float RGB of an element as the browser shows it."""
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB"), dtype=float)


def _shot(page, name: str, **kwargs) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), **kwargs)


def test_shopper_tries_on_the_dress(server, browser):
    page = _page(browser, viewport={"width": 1280, "height": 900})
    answers = []
    page.on("response", lambda r: answers.append((urlsplit(r.url).path, r.status)))
    started = time.monotonic()
    response = page.goto(f"{server}/")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    viewer = page.locator("tryon-viewer").first
    shots = _wait_for_renders(page, size="M", view="front", format="webp")
    print(f"\nfirst render on a cold server: {time.monotonic() - started:.1f} s")
    img = shots[0]
    width = int(img["query"]["width"])
    assert width in (256, 384, 512, 768, 1024) and int(img["query"]["height"]) == width * 3 // 2
    assert img["shown"] <= width and img["natural"] > 0  # sized for the box (density-corrected)
    assert "computer-generated" in img["alt"].lower()
    assert viewer.locator(".disclosure").inner_text().startswith("Computer-generated image")
    dress = viewer.get_attribute("garment")
    page.wait_for_function("(g) => window.__events.some((e) => e.type === 'tryon:recommendation' "
                           "&& e.detail.garment === g)", arg=dress)
    recommendation = _events(page, "tryon:recommendation", garment=dress)[0]
    assert recommendation["size"] == "M" and recommendation["regions"]
    assert viewer.locator(".fit .regions li").count() == len(recommendation["regions"])
    # the first render and fit report were jobs: 202, polled, then asked again
    for path in ("/v1/render", "/v1/fit"):
        assert (path, 202) in answers and (path, 200) in answers, (path, answers)
    assert any(p.startswith("/v1/jobs/") and s == 200 for p, s in answers)
    _shot(page, "01-desktop-first-render")

    # colours: the garment's colorways as swatches; the first shows first, another re-renders
    assert shots[0]["query"]["colorway"] == "cherry"
    swatches = viewer.locator(".swatches input")
    assert [swatches.nth(i).get_attribute("aria-label") for i in range(swatches.count())] == [
        "Cherry", "Ink", "Wine velvet (velvet)", "Gingham (print)"]
    viewer.get_by_label("Gingham (print)").check()
    gingham = _wait_for_renders(page, size="M", colorway="gingham")
    assert "in Gingham" in gingham[0]["alt"]
    assert _events(page, "tryon:colorway-change")[-1] == {
        "colorway": "gingham", "garment": dress, "source": "shopper"}
    assert "Gingham" in viewer.locator("legend").first.inner_text()
    _shot(page, "01b-colorway-gingham")

    # size: the widget's picker, the event, and the store's own <select> follows
    started = time.monotonic()
    viewer.locator(".sizes label").filter(has_text="L").first.click()
    _wait_for_renders(page, size="L")
    print(f"size change to L: {time.monotonic() - started:.1f} s")
    assert _events(page, "tryon:size-change", garment=dress)[-1]["size"] == "L"
    assert page.locator("#size-1").input_value() == "L"
    # ... and the store's <select> drives the widget
    page.locator("#size-1").select_option("S")
    _wait_for_renders(page, size="S")
    _shot(page, "02-size-S")

    # fit map with its legend
    viewer.get_by_label("Show fit map").check()
    _wait_for_renders(page, size="S", fit_map=1)
    assert viewer.locator(".legend").is_visible()
    assert viewer.locator(".legend li").count() == 3
    _shot(page, "03-fit-map")
    viewer.get_by_label("Show fit map").uncheck()

    # rotate: arrow keys, then a drag; the view's name is announced
    stage = viewer.locator(".stage")
    stage.focus()
    page.keyboard.press("ArrowLeft")
    _wait_for_renders(page, view="three-quarter")
    assert viewer.locator(".turn .view").inner_text() == "Three-quarter"  # announced (aria-live)
    box = stage.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 140, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    _wait_for_renders(page, view="back")  # two steps on from three-quarter: left, back
    _shot(page, "04-rotated-back")
    page.keyboard.press("Home")
    _wait_for_renders(page, view="front")

    # sizes from the keyboard: the picker is a radio group
    viewer.locator(".sizes input:checked").focus()
    page.keyboard.press("ArrowRight")
    _wait_for_renders(page, size="M", view="front")
    page.keyboard.press("ArrowLeft")
    _wait_for_renders(page, size="S", view="front")

    # compare two sizes side by side
    viewer.get_by_label("Compare with").select_option("XL")
    pair = _wait_for_renders(page, count=2)
    assert [s["query"]["size"] for s in pair] == ["S", "XL"]
    assert viewer.locator(".shot .tag").all_inner_texts() == ["Size S", "Size XL"]
    _shot(page, "05-compare-S-XL")
    viewer.get_by_label("Compare with").select_option("")

    # another body from the library, filtered by height and skin tone
    viewer.get_by_role("button", name="Change body").click()
    dialog = viewer.locator("dialog")
    assert dialog.is_visible()
    dialog.locator(".filters select").first.select_option("180-plus")  # height
    cards = dialog.locator(".card")
    assert 0 < cards.count() < 32
    page.wait_for_function("""() => [...document.querySelector('tryon-viewer').shadowRoot
        .querySelectorAll('dialog .card img')].every((i) => i.complete && i.naturalWidth > 0)""")
    _shot(page, "06-body-chooser")
    label = cards.first.get_attribute("aria-label")
    cards.first.click()
    assert not dialog.is_visible()
    changed = _events(page, "tryon:avatar-change")[-1]
    assert changed["source"] == "library" and label.startswith(changed["avatar"]["label"])
    _wait_for_renders(page, avatar=changed["avatar"]["id"], size="S")
    _shot(page, "07-tall-body")
    # the store themes it: dark, and its own accent colour through a custom property
    viewer.locator(".fit .regions").wait_for()
    page.evaluate("""() => { const v = document.querySelector('tryon-viewer');
        v.setAttribute('theme', 'dark');
        v.style.setProperty('--tryon-accent', '#f2b880');
        v.style.setProperty('--tryon-surface', '#2b2622'); }""")  # the demo sets a light surface
    _shot(page, "07b-dark-theme")
    background = viewer.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert background == "rgb(23, 24, 27)"
    assert page.evaluate("() => window.__csp") == []


def test_my_measurements_make_a_body_remembered_on_this_device(server, browser):
    page = _page(browser, viewport={"width": 1100, "height": 900})
    page.goto(f"{server}/")
    viewer = page.locator("tryon-viewer").first
    _wait_for_renders(page)
    viewer.get_by_role("button", name="Change body").click()
    viewer.get_by_role("tab", name="My measurements").click()
    form = viewer.locator("dialog form")
    form.get_by_label("Height (cm)").fill("171")
    form.get_by_label("Waist (cm), optional").fill("40")  # below the 55 cm the API accepts
    form.get_by_role("button", name="Show me this body").click()
    assert "between 55 and 140" in form.locator(".field-error").nth(2).inner_text()
    form.get_by_label("Waist (cm), optional").fill("78")
    form.get_by_label("Hips (cm), optional").fill("101")
    _shot(page, "08-my-measurements")
    form.get_by_role("button", name="Show me this body").click()
    page.wait_for_function("() => window.__events.some((e) => e.type === 'tryon:avatar-change')",
                           timeout=60_000)
    made = _events(page, "tryon:avatar-change")[-1]
    assert made["source"] == "measurements" and made["avatar"]["id"].startswith("m-")
    _wait_for_renders(page, avatar=made["avatar"]["id"])
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('tryon:my-body:v1'))")
    assert stored["measurements"] == {"height": 171, "waist": 78, "hips": 101}
    assert viewer.locator(".body").inner_text().startswith("Your measurements")
    _shot(page, "09-my-body")
    page.reload()  # remembered: the widget starts with the shopper's body
    _wait_for_renders(page, avatar=made["avatar"]["id"])


def test_live_3d_view_loads_the_scene_in_the_vendored_viewer(server, browser):
    page = _page(browser, viewport={"width": 1100, "height": 900})
    page.goto(f"{server}/")
    viewer = page.locator("tryon-viewer").first
    _wait_for_renders(page)
    loaded = []
    page.on("response", lambda r: loaded.append(r.url))
    viewer.get_by_role("button", name="View in 3D").click()
    try:
        page.wait_for_function("""() => document.querySelector('tryon-viewer').shadowRoot
            .querySelector('model-viewer')?.loaded === true""")
    except sync_api.TimeoutError:
        _shot(page, "10-3d-view-failed")
        shown = page.evaluate("() => document.querySelector('tryon-viewer').shadowRoot.textContent")
        pytest.fail(f"the 3D view did not load; the widget shows: {' '.join(shown.split())[:600]}\n"
                    f"server log:\n{SERVER_LOGS[server].read_text()[-3000:]}")
    assert any("/widget/v1/vendor/model-viewer-4.4.0/model-viewer.min.js" in u for u in loaded)
    assert any(urlsplit(u).path == "/v1/scene.glb" for u in loaded)
    page.wait_for_timeout(1500)  # let it draw a frame for the screenshot
    _shot(page, "10-3d-view")
    upright = page.evaluate("""() => document.querySelector('tryon-viewer').shadowRoot
        .querySelector('model-viewer').getDimensions()""")
    assert upright["y"] > 1.4 > upright["z"]  # standing (Y up in glTF), not lying on its back
    # it turns: a frozen first frame (a refused viewer <style> did that) fails here
    model = "document.querySelector('tryon-viewer').shadowRoot.querySelector('model-viewer')"
    front = _pixels(viewer.locator("model-viewer"))
    page.evaluate(f"() => {{ {model}.cameraOrbit = '60deg 90deg 105%'; }}")
    page.wait_for_function(f"() => Math.abs({model}.getCameraOrbit().theta - Math.PI / 3) < 0.01")
    page.wait_for_timeout(800)
    turned = _pixels(viewer.locator("model-viewer"))
    assert np.abs(turned - front).mean() > 3, "the 3D view did not redraw when turned"
    # every colorway is a material variant of the one GLB: switching loads nothing
    assert page.evaluate(f"() => {model}.availableVariants") == [
        "Cherry", "Ink", "Wine velvet", "Gingham"]
    assert page.evaluate(f"() => {model}.variantName") == "Cherry"
    glbs = sum(urlsplit(u).path == "/v1/scene.glb" for u in loaded)
    viewer.get_by_label("Ink").check()
    page.wait_for_function(f"() => {model}.variantName === 'Ink'")
    page.wait_for_timeout(800)
    ink = _pixels(viewer.locator("model-viewer"))
    _shot(page, "11-3d-view-ink")
    changed = np.abs(ink - turned).sum(axis=2) > 60
    assert changed.mean() > 0.05, "the dress did not change colour"
    assert ink[changed][:, 2].mean() > ink[changed][:, 0].mean()  # cherry red became navy
    assert sum(urlsplit(u).path == "/v1/scene.glb" for u in loaded) == glbs
    viewer.get_by_role("button", name="Back to pictures").click()
    _wait_for_renders(page)
    # The vendored viewer probes WebAssembly at load (three's meshopt decoder, needed only for
    # meshopt-compressed files, which ours are not); a strict CSP refuses it and the viewer
    # works without it. Its <style> elements are allowed by hash. Anything else is a failure.
    known = {"script-src wasm-eval"}
    assert [v for v in page.evaluate("() => window.__csp") if v not in known] == []


def test_phone_360_px_lazy_second_widget_and_sized_images(server, browser):
    page = _page(browser, viewport={"width": 360, "height": 780}, device_scale_factor=2,
                 is_mobile=True, has_touch=True)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/")
    shots = _wait_for_renders(page)
    # 2x screen: the image is chosen for the box's device pixels
    assert int(shots[0]["query"]["width"]) >= 2 * shots[0]["shown"] - 1
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 360  # no sideways scrolling
    _shot(page, "11-phone-360", full_page=False)
    # the second widget (lower down) has loaded nothing yet
    skirt = page.locator("tryon-viewer").nth(1).get_attribute("garment")
    assert not any(skirt in u for u in requests), "the second widget loaded before it was near the viewport"
    page.locator("tryon-viewer").nth(1).scroll_into_view_if_needed()
    _wait_for_renders(page, nth=1, garment=skirt)
    _shot(page, "12-phone-360-second-widget", full_page=False)


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
        page = _page(browser, viewport={"width": 900, "height": 800})
        page.goto(f"http://127.0.0.1:{shop.server_address[1]}/")
        error = page.locator("tryon-viewer .error")
        error.wait_for(state="visible", timeout=60_000)
        text = error.inner_text()
        assert "Try-on isn\u2019t available on this site" in text
        assert f"http://127.0.0.1:{shop.server_address[1]}" in text  # tells the store what to allow
        assert not page.locator("tryon-viewer .panel").is_visible()  # no controls that cannot work
        _shot(page, "13-origin-not-allowed")
    finally:
        shop.shutdown()


def test_a_widget_that_could_not_start_starts_once_its_attributes_are_fixed(server, browser):
    page = _page(browser, viewport={"width": 1100, "height": 900})
    page.goto(f"{server}/")
    _wait_for_renders(page)
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
