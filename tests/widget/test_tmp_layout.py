from tests.widget.browser import new_page, shot, wait_for_renders
from tests.widget.test_e2e_video import VIDEO, wait_until_playing


def test_layout(server, browser):
    for name, vp in (("desk", {"width": 1280, "height": 900}), ("phone", {"width": 360, "height": 780})):
        page = new_page(browser, viewport=vp)
        page.goto(f"{server}/")
        wait_for_renders(page)
        viewer = page.locator("tryon-viewer").first
        shot(page, f"tmp-{name}-0")
        viewer.get_by_role("button", name="Play video").click()
        page.wait_for_timeout(2500)
        shot(page, f"tmp-{name}-1-progress")
        wait_until_playing(page)
        page.wait_for_timeout(1000)
        shot(page, f"tmp-{name}-2-playing")
        viewer.get_by_label("Video motion").select_option("walk")
        page.wait_for_timeout(3000)
        shot(page, f"tmp-{name}-3-walk-progress")
        if name == "desk":
            wait_until_playing(page)
            page.wait_for_timeout(1500)
            shot(page, f"tmp-{name}-4-walk")
            print(page.evaluate(f"() => {VIDEO}.src"))
