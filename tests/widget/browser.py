"""Headless Chromium against a real ``tryon serve``: the fixtures' settings and the
helpers the end-to-end tests share (``tests/widget/conftest.py`` holds the fixtures).

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and the
``playwright`` Python package (the ``test`` extra); the tests skip without them.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("TRYON_WIDGET_SHOTS", "/tmp/widget-shots"))
RENDER_TIMEOUT_MS = 180_000  # cold drapes and renders on a loaded 2-core machine

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
#: What every e2e server gets, beside a fresh database, blob folder and demo key.
SERVER_ENV = {
    # one loopback address plays every shopper of the run: the per-IP budget of a crowd
    "TRYON_RATELIMIT_PER_IP": "5000/minute",
    # whatever is not stored yet answers 202 at once: the widget must follow the job
    "TRYON_RENDER_BUDGET_S": "0"}


def new_page(browser, **context):
    page = browser.new_context(**context).new_page()
    page.add_init_script(RECORDER)
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    return page


def wait_for_renders(page, nth: int = 0, count: int = 1, **params) -> list[dict]:
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
    found = page.evaluate("""(nth) => [...document.querySelectorAll('tryon-viewer')[nth].shadowRoot
        .querySelectorAll('.stage img')].map((img) => ({src: img.currentSrc, natural: img.naturalWidth,
        shown: img.getBoundingClientRect().width, alt: img.alt}))""", nth)
    for image in found:
        image["query"] = {k: v[0] for k, v in parse_qs(urlsplit(image["src"]).query).items()}
        assert urlsplit(image["src"]).path == "/v1/render"
    return found


def events(page, kind: str, **match) -> list[dict]:
    """The details of the events of one kind so far, optionally those whose detail has ``match``."""
    return [e["detail"] for e in page.evaluate("() => window.__events")
            if e["type"] == kind and all(e["detail"].get(k) == v for k, v in match.items())]


def pixels(locator) -> np.ndarray:
    """(H, W, 3) float RGB of an element as the browser shows it."""
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB"), dtype=float)


def shot(page, name: str, **kwargs) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), **kwargs)
