"""The widget's try-on video end to end: the demo storefront in headless Chromium
against a real ``tryon serve`` (the fixtures of ``tests/widget/conftest.py``).

A small viewport keeps the clip the smallest the widget asks for (a 256 px
stage: 256x384, a 4 s turntable at 24 fps). Needs Debian's ``chromium``
(which plays H.264) and the ``playwright`` Python package; skipped without them.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.widget.browser import new_page, shot, wait_for_renders

pytestmark = pytest.mark.slow  # drapes, renders and a video job on a live server
pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")

#: (500 - 120 px) * 2/3 = 253 px: the stage is at most 256 px wide, so the clip is 256x384
VIEWPORT = {"width": 360, "height": 500}
ROOT = "document.querySelector('tryon-viewer').shadowRoot"
VIDEO = f"{ROOT}.querySelector('.stage video')"


def open_widget(server, browser, **media):
    """The demo page at the small viewport, its first picture shown and its stage in view."""
    page = new_page(browser, viewport=VIEWPORT)
    if media:
        page.emulate_media(**media)
    page.goto(f"{server}/")
    wait_for_renders(page)
    viewer = page.locator("tryon-viewer").first
    viewer.locator(".stage").scroll_into_view_if_needed()
    return page, viewer


def video_state(page) -> dict:
    return page.evaluate(f"""() => {{ const v = {VIDEO}; return v && {{
        paused: v.paused, time: v.currentTime, muted: v.muted, mutedAttr: v.hasAttribute('muted'),
        loop: v.loop, inline: v.hasAttribute('playsinline'), poster: v.poster, src: v.currentSrc || v.src,
        width: v.videoWidth, height: v.videoHeight, label: v.getAttribute('aria-label') }}; }}""")


def wait_until_playing(page) -> None:
    page.wait_for_function(f"() => {{ const v = {VIDEO}; return v && !v.paused && v.currentTime > 0; }}")


def test_play_shows_the_turntable_muted_looping_inline_and_leaves_with_a_new_view(server, browser):
    page, viewer = open_widget(server, browser)
    answers = []
    page.on("response", lambda r: answers.append((urlsplit(r.url).path, r.status)))
    # every text the busy indicator shows while the clip is made
    page.evaluate(f"""() => {{ const text = {ROOT}.querySelector('.busy-text'); window.__busy = [];
        new MutationObserver(() => window.__busy.push(text.textContent))
          .observe(text, {{ childList: true, characterData: true, subtree: true }}); }}""")
    assert viewer.get_by_label("Video motion").input_value() == "turntable"
    viewer.get_by_role("button", name="Play video").click()
    wait_until_playing(page)

    clip = video_state(page)
    assert clip["muted"] and clip["mutedAttr"] and clip["loop"] and clip["inline"]
    poster, src = urlsplit(clip["poster"]), urlsplit(clip["src"])
    assert poster.path == "/v1/video/poster" and src.path == "/v1/video"
    query = {k: v[0] for k, v in parse_qs(src.query).items()}
    assert {k: query[k] for k in ("motion", "size", "colorway", "seconds", "fps", "format",
                                  "width", "height")} == {
        "motion": "turntable", "size": "M", "colorway": "cherry", "seconds": "4", "fps": "24",
        "format": "mp4", "width": "256", "height": "384"}
    assert parse_qs(poster.query) == parse_qs(src.query)
    assert (clip["width"], clip["height"]) == (256, 384)
    assert "Computer-generated video" in clip["label"] and "turntable video" in clip["label"]
    # the clip's job was followed through its poster, with its progress shown
    assert ("/v1/video/poster", 202) in answers and ("/v1/video/poster", 200) in answers, answers
    assert any(path == "/v1/video" and status in (200, 206) for path, status in answers), answers
    busy = page.evaluate("() => window.__busy")
    assert "Making the video\u2026" in busy, busy
    assert any(t.startswith("Making the video\u2026 ") and t.endswith(" %") for t in busy), busy
    print(f"\nbusy texts while the clip was made: {sorted(set(busy))}")
    assert viewer.get_by_role("button", name="Back to pictures").is_visible()
    assert viewer.locator(".turn .view").inner_text() == "Turntable"
    shot(page, "13-video-turntable", full_page=True)

    # out of view it pauses; back in view it plays on
    page.evaluate("() => window.scrollTo(0, document.scrollingElement.scrollHeight)")
    page.wait_for_function(f"() => {VIDEO}.paused")
    viewer.locator(".stage").scroll_into_view_if_needed()
    wait_until_playing(page)

    # the keyboard pauses and plays it; the button says what it will do
    pause = viewer.get_by_role("button", name="Pause the video")
    pause.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {VIDEO}.paused")
    play = viewer.get_by_role("button", name="Play the video")
    assert play.evaluate("(b) => b.matches(':focus-visible')")
    page.keyboard.press("Space")
    wait_until_playing(page)

    # choosing a view leaves the clip for the pictures
    viewer.get_by_role("button", name="Turn the body left").click()
    wait_for_renders(page, view="three-quarter")
    assert viewer.locator(".turn .view").inner_text() == "Three-quarter"
    assert page.evaluate(f"() => {VIDEO}") is None
    assert viewer.get_by_role("button", name="Play video").is_visible()
    assert not viewer.locator(".play-pause").is_visible()
    assert page.evaluate("() => window.__csp") == []


def test_reduced_motion_shows_the_poster_until_the_shopper_presses_play(server, browser):
    page, viewer = open_widget(server, browser, reduced_motion="reduce")
    assert page.evaluate("() => matchMedia('(prefers-reduced-motion: reduce)').matches")
    viewer.get_by_role("button", name="Play video").click()
    play = viewer.get_by_role("button", name="Play the video")
    play.wait_for()
    page.wait_for_function(f"() => {VIDEO}.readyState >= 2")  # it could play now
    page.wait_for_timeout(1500)
    clip = video_state(page)
    assert clip["paused"] and clip["time"] == 0 and urlsplit(clip["poster"]).path == "/v1/video/poster"
    shot(page, "14-video-reduced-motion-poster", full_page=True)
    play.click()
    wait_until_playing(page)
    assert viewer.get_by_role("button", name="Pause the video").is_visible()
    shot(page, "15-video-reduced-motion-playing", full_page=True)
    # scrolled away it pauses, and back in view it waits for the shopper again
    page.evaluate("() => window.scrollTo(0, document.scrollingElement.scrollHeight)")
    page.wait_for_function(f"() => {VIDEO}.paused")
    viewer.locator(".stage").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    assert video_state(page)["paused"]
    assert viewer.get_by_role("button", name="Play the video").is_visible()


def test_with_the_walk_chosen_the_3d_view_walks(server, browser):
    page, viewer = open_widget(server, browser)
    viewer.get_by_label("Video motion").select_option("walk")
    loaded = []
    page.on("response", lambda r: loaded.append(r.url))
    viewer.get_by_role("button", name="View in 3D").click()
    model = f"{ROOT}.querySelector('model-viewer')"
    page.wait_for_function(f"() => {model}?.loaded === true", timeout=180_000)
    scene = next(urlsplit(u) for u in loaded if urlsplit(u).path == "/v1/scene.glb")
    assert parse_qs(scene.query)["motion"] == ["walk"]
    assert page.evaluate(f"() => {model}.availableAnimations.length") == 1
    page.wait_for_function(f"() => !{model}.paused && {model}.currentTime > 0.5")
    assert page.evaluate(f"() => {model}.duration") == pytest.approx(4.0, abs=0.1)
    viewer.locator(".stage").scroll_into_view_if_needed()
    shot(page, "video-3d-walk")
    # back to the turntable: the 3D view stands still again
    viewer.get_by_label("Video motion").select_option("turntable")
    page.wait_for_function(f"() => {model}?.loaded === true && {model}.availableAnimations.length === 0",
                           timeout=60_000)
