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

import time
from urllib.parse import urlsplit

import numpy as np
import pytest

from tests.widget.browser import SERVER_LOGS, events, new_page, pixels, shot, wait_for_renders

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")


def test_shopper_tries_on_the_dress(server, browser):
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    answers = []
    page.on("response", lambda r: answers.append((urlsplit(r.url).path, r.status)))
    started = time.monotonic()
    response = page.goto(f"{server}/")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    viewer = page.locator("tryon-viewer").first
    shots = wait_for_renders(page, size="M", view="front", format="webp")
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
    recommendation = events(page, "tryon:recommendation", garment=dress)[0]
    assert recommendation["size"] == "M" and recommendation["regions"]
    assert viewer.locator(".fit .regions li").count() == len(recommendation["regions"])
    # the first render and fit report were jobs: 202, polled, then asked again
    for path in ("/v1/render", "/v1/fit"):
        assert (path, 202) in answers and (path, 200) in answers, (path, answers)
    assert any(p.startswith("/v1/jobs/") and s == 200 for p, s in answers)
    shot(page, "01-desktop-first-render")

    # colours: the garment's colorways as swatches; the first shows first, another re-renders
    assert shots[0]["query"]["colorway"] == "cherry"
    swatches = viewer.locator(".swatches input")
    assert [swatches.nth(i).get_attribute("aria-label") for i in range(swatches.count())] == [
        "Cherry", "Ink", "Wine velvet (velvet)", "Gingham (print)"]
    viewer.get_by_label("Gingham (print)").check()
    gingham = wait_for_renders(page, size="M", colorway="gingham")
    assert "in Gingham" in gingham[0]["alt"]
    assert events(page, "tryon:colorway-change")[-1] == {
        "colorway": "gingham", "garment": dress, "source": "shopper"}
    assert "Gingham" in viewer.locator("legend").first.inner_text()
    shot(page, "01b-colorway-gingham")

    # size: the widget's picker, the event, and the store's own <select> follows
    started = time.monotonic()
    viewer.locator(".sizes label").filter(has_text="L").first.click()
    wait_for_renders(page, size="L")
    print(f"size change to L: {time.monotonic() - started:.1f} s")
    assert events(page, "tryon:size-change", garment=dress)[-1]["size"] == "L"
    assert page.locator("#size-1").input_value() == "L"
    # ... and the store's <select> drives the widget
    page.locator("#size-1").select_option("S")
    wait_for_renders(page, size="S")
    shot(page, "02-size-S")

    # two fit maps, each with its legend
    viewer.get_by_label("Fit map", exact=True).select_option("stretch")
    wait_for_renders(page, size="S", fit_map="stretch")
    assert viewer.get_by_label("Fit map colours").is_visible()
    assert viewer.get_by_label("Fit map colours").locator("li").count() == 3
    assert not viewer.get_by_label("Room map colours").is_visible()
    shot(page, "03-fit-map")
    viewer.get_by_label("Fit map", exact=True).select_option("ease")
    wait_for_renders(page, size="S", fit_map="ease")
    assert viewer.get_by_label("Room map colours").locator("li").count() == 5
    assert not viewer.get_by_label("Fit map colours").is_visible()
    shot(page, "03-ease-map")
    viewer.get_by_label("Fit map", exact=True).select_option("")

    # rotate: arrow keys, then a drag; the view's name is announced
    stage = viewer.locator(".stage")
    stage.focus()
    page.keyboard.press("ArrowLeft")
    wait_for_renders(page, view="three-quarter")
    assert viewer.locator(".turn .view").inner_text() == "Three-quarter"  # announced (aria-live)
    box = stage.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 140, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    wait_for_renders(page, view="back")  # two steps on from three-quarter: left, back
    shot(page, "04-rotated-back")
    page.keyboard.press("Home")
    wait_for_renders(page, view="front")

    # sizes from the keyboard: the picker is a radio group
    viewer.locator(".sizes input:checked").focus()
    page.keyboard.press("ArrowRight")
    wait_for_renders(page, size="M", view="front")
    page.keyboard.press("ArrowLeft")
    wait_for_renders(page, size="S", view="front")

    # compare two sizes side by side
    viewer.get_by_label("Compare with").select_option("XL")
    pair = wait_for_renders(page, count=2)
    assert [s["query"]["size"] for s in pair] == ["S", "XL"]
    assert viewer.locator(".shot .tag").all_inner_texts() == ["Size S", "Size XL"]
    shot(page, "05-compare-S-XL")
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
    shot(page, "06-body-chooser")
    label = cards.first.get_attribute("aria-label")
    cards.first.click()
    assert not dialog.is_visible()
    changed = events(page, "tryon:avatar-change")[-1]
    assert changed["source"] == "library" and label.startswith(changed["avatar"]["label"])
    wait_for_renders(page, avatar=changed["avatar"]["id"], size="S")
    shot(page, "07-tall-body")
    # other hair on this body: the chooser's hair controls, remembered on the device
    viewer.get_by_role("button", name="Change body").click()
    dialog.get_by_label("Hairstyle").select_option("bob")
    wait_for_renders(page, avatar=changed["avatar"]["id"], hair="bob", hair_colour="dark-brown")
    dialog.get_by_label("Blonde hair").check()
    wait_for_renders(page, avatar=changed["avatar"]["id"], hair="bob", hair_colour="blonde")
    dialog.get_by_role("button", name="Close").click()
    shot(page, "07a-hair-bob-blonde")
    assert page.evaluate("() => JSON.parse(localStorage.getItem('tryon:hair:v1'))") == {
        "style": "bob", "colour": "blonde"}
    viewer.get_by_role("button", name="Change body").click()
    dialog.get_by_label("Hairstyle").select_option(label="Head covering")
    wait_for_renders(page, avatar=changed["avatar"]["id"], hair="head-covering", hair_colour="blonde")
    dialog.get_by_role("button", name="Close").click()
    shot(page, "07c-head-covering")
    # the store themes it: dark, and its own accent colour through a custom property
    viewer.locator(".fit .regions").wait_for()
    page.evaluate("""() => { const v = document.querySelector('tryon-viewer');
        v.setAttribute('theme', 'dark');
        v.style.setProperty('--tryon-accent', '#f2b880');
        v.style.setProperty('--tryon-surface', '#2b2622'); }""")  # the demo sets a light surface
    shot(page, "07b-dark-theme")
    background = viewer.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert background == "rgb(23, 24, 27)"
    assert page.evaluate("() => window.__csp") == []


def test_my_measurements_make_a_body_remembered_on_this_device(server, browser):
    page = new_page(browser, viewport={"width": 1100, "height": 900})
    page.goto(f"{server}/")
    viewer = page.locator("tryon-viewer").first
    wait_for_renders(page)
    viewer.get_by_role("button", name="Change body").click()
    viewer.get_by_role("tab", name="My measurements").click()
    form = viewer.locator("dialog form")
    form.get_by_label("Height (cm)").fill("171")
    form.get_by_label("Waist (cm), optional").fill("40")  # below the 55 cm the API accepts
    form.get_by_role("button", name="Show me this body").click()
    assert "between 55 and 140" in form.locator(".field-error").nth(2).inner_text()
    form.get_by_label("Waist (cm), optional").fill("78")
    form.get_by_label("Hips (cm), optional").fill("101")
    shot(page, "08-my-measurements")
    form.get_by_role("button", name="Show me this body").click()
    page.wait_for_function("() => window.__events.some((e) => e.type === 'tryon:avatar-change')",
                           timeout=60_000)
    made = events(page, "tryon:avatar-change")[-1]
    assert made["source"] == "measurements" and made["avatar"]["id"].startswith("m-")
    wait_for_renders(page, avatar=made["avatar"]["id"])
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('tryon:my-body:v1'))")
    assert stored["measurements"] == {"height": 171, "waist": 78, "hips": 101}
    assert viewer.locator(".body").inner_text().startswith("Your measurements")
    shot(page, "09-my-body")
    page.reload()  # remembered: the widget starts with the shopper's body
    wait_for_renders(page, avatar=made["avatar"]["id"])


def test_live_3d_view_loads_the_scene_in_the_vendored_viewer(server, browser):
    page = new_page(browser, viewport={"width": 1100, "height": 900})
    page.goto(f"{server}/")
    viewer = page.locator("tryon-viewer").first
    wait_for_renders(page)
    loaded = []
    page.on("response", lambda r: loaded.append(r.url))
    viewer.get_by_role("button", name="View in 3D").click()
    try:
        page.wait_for_function("""() => document.querySelector('tryon-viewer').shadowRoot
            .querySelector('model-viewer')?.loaded === true""")
    except sync_api.TimeoutError:
        shot(page, "10-3d-view-failed")
        shown = page.evaluate("() => document.querySelector('tryon-viewer').shadowRoot.textContent")
        pytest.fail(f"the 3D view did not load; the widget shows: {' '.join(shown.split())[:600]}\n"
                    f"server log:\n{SERVER_LOGS[server].read_text()[-3000:]}")
    assert any("/widget/v1/vendor/model-viewer-4.4.0/model-viewer.min.js" in u for u in loaded)
    assert any(urlsplit(u).path == "/v1/scene.glb" for u in loaded)
    page.wait_for_timeout(1500)  # let it draw a frame for the screenshot
    shot(page, "10-3d-view")
    upright = page.evaluate("""() => document.querySelector('tryon-viewer').shadowRoot
        .querySelector('model-viewer').getDimensions()""")
    assert upright["y"] > 1.4 > upright["z"]  # standing (Y up in glTF), not lying on its back
    # it turns: a frozen first frame (a refused viewer <style> did that) fails here
    model = "document.querySelector('tryon-viewer').shadowRoot.querySelector('model-viewer')"
    front = pixels(viewer.locator("model-viewer"))
    page.evaluate(f"() => {{ {model}.cameraOrbit = '60deg 90deg 105%'; }}")
    page.wait_for_function(f"() => Math.abs({model}.getCameraOrbit().theta - Math.PI / 3) < 0.01")
    page.wait_for_timeout(800)
    turned = pixels(viewer.locator("model-viewer"))
    assert np.abs(turned - front).mean() > 3, "the 3D view did not redraw when turned"
    # every colorway is a material variant of the one GLB: switching loads nothing
    assert page.evaluate(f"() => {model}.availableVariants") == [
        "Cherry", "Ink", "Wine velvet", "Gingham"]
    assert page.evaluate(f"() => {model}.variantName") == "Cherry"
    # augmented reality where the device has it: the GLB, and for iOS Quick Look the USDZ
    assert page.evaluate(f"() => {model}.ar === true")
    ios = urlsplit(page.evaluate(f"() => {model}.getAttribute('ios-src')"))
    assert ios.path == "/v1/scene.usdz" and "colorway=cherry" in ios.query
    glbs = sum(urlsplit(u).path == "/v1/scene.glb" for u in loaded)
    viewer.get_by_label("Ink").check()
    page.wait_for_function(f"() => {model}.variantName === 'Ink'")
    page.wait_for_timeout(800)
    ink = pixels(viewer.locator("model-viewer"))
    shot(page, "11-3d-view-ink")
    changed = np.abs(ink - turned).sum(axis=2) > 60
    assert changed.mean() > 0.05, "the dress did not change colour"
    assert ink[changed][:, 2].mean() > ink[changed][:, 0].mean()  # cherry red became navy
    assert sum(urlsplit(u).path == "/v1/scene.glb" for u in loaded) == glbs
    ios = urlsplit(page.evaluate(f"() => {model}.getAttribute('ios-src')"))
    assert "colorway=ink" in ios.query  # Quick Look shows the colour on screen
    usdz = page.request.get(f"{server}{ios.path}?{ios.query}", headers={"Origin": server})
    assert usdz.status in (200, 202)  # a USDZ, or its job
    viewer.get_by_role("button", name="Back to pictures").click()
    wait_for_renders(page)
    # The vendored viewer probes WebAssembly at load (three's meshopt decoder, needed only for
    # meshopt-compressed files, which ours are not); a strict CSP refuses it and the viewer
    # works without it. Its <style> elements are allowed by hash. Anything else is a failure.
    known = {"script-src wasm-eval"}
    assert [v for v in page.evaluate("() => window.__csp") if v not in known] == []


def test_phone_360_px_lazy_second_widget_and_sized_images(server, browser):
    page = new_page(browser, viewport={"width": 360, "height": 780}, device_scale_factor=2,
                 is_mobile=True, has_touch=True)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/")
    shots = wait_for_renders(page)
    # 2x screen: the image is chosen for the box's device pixels
    assert int(shots[0]["query"]["width"]) >= 2 * shots[0]["shown"] - 1
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 360  # no sideways scrolling
    shot(page, "11-phone-360", full_page=False)
    # the second widget (lower down) has loaded nothing yet
    skirt = page.locator("tryon-viewer").nth(1).get_attribute("garment")
    assert not any(skirt in u for u in requests), "the second widget loaded before it was near the viewport"
    page.locator("tryon-viewer").nth(1).scroll_into_view_if_needed()
    wait_for_renders(page, nth=1, garment=skirt)
    shot(page, "12-phone-360-second-widget", full_page=False)
