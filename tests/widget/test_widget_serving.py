"""Serving the widget's files (types, CORS, caching, what is not served) and its size budget."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

WIDGET = Path(__file__).resolve().parents[2] / "web_widget"
#: Our own code, gzipped file by file, must stay within this (the 3D viewer is not ours).
BUDGET_GZ_BYTES = 40 * 1024
_IMPORT = re.compile(r"""(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\./[^'"]+|\.\./[^'"]+)['"]""")
_DYNAMIC = re.compile(r"""import\(\s*['"](\./[^'"]+|\.\./[^'"]+)['"]\s*\)""")


def own_modules() -> list[Path]:
    """tryon.js and every module it reaches by static or literal dynamic import."""
    seen, todo = [], [WIDGET / "tryon.js"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        text = path.read_text()
        for spec in _IMPORT.findall(text) + _DYNAMIC.findall(text):
            todo.append((path.parent / spec).resolve())
    return seen


def test_entry_module_is_served_for_cross_origin_module_scripts(client):
    response = client.get("/widget/v1/tryon.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    etag = response.headers["ETag"]
    assert not etag.startswith("W/")
    assert response.data == (WIDGET / "tryon.js").read_bytes()
    again = client.get("/widget/v1/tryon.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["Access-Control-Allow-Origin"] == "*"


def test_gzip_when_accepted_with_its_own_etag(client):
    plain = client.get("/widget/v1/lib/widget.js")
    zipped = client.get("/widget/v1/lib/widget.js", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert client.get("/widget/v1/lib/widget.js", headers={
        "Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]}).status_code == 304
    for refusal in ("gzip;q=0", "br, gzip;q=0.0", "identity", "*;q=0"):  # q=0: "not this"
        plain_again = client.get("/widget/v1/lib/widget.js", headers={"Accept-Encoding": refusal})
        assert "Content-Encoding" not in plain_again.headers and plain_again.data == plain.data
    assert client.get("/widget/v1/lib/widget.js", headers={"Accept-Encoding": "*"}
                      ).headers["Content-Encoding"] == "gzip"


def test_every_module_the_entry_reaches_is_served_as_javascript(client):
    modules = own_modules()
    assert len(modules) >= 10, modules
    for path in modules:
        name = path.relative_to(WIDGET).as_posix()
        response = client.get(f"/widget/v1/{name}")
        assert response.status_code == 200, name
        assert response.mimetype == "text/javascript", name


def test_vendored_viewer_and_demo_files(client):
    viewer = client.get("/widget/v1/vendor/model-viewer-4.4.0/model-viewer.min.js")
    assert viewer.status_code == 200 and viewer.mimetype == "text/javascript"
    assert viewer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/widget/v1/demo/demo.css").mimetype == "text/css"
    assert client.get("/widget/v1/demo/demo.js").mimetype == "text/javascript"


@pytest.mark.parametrize("name", [
    "test/api.test.js", "package.json", "README.md", "../api/widget.py", "lib/../../api/widget.py",
    "lib/missing.js", "vendor/model-viewer-4.4.0/LICENSE", "%2e%2e/pyproject.toml",
    "lib/../test/api.test.js", "demo/../test/fit.test.js", "lib/./../test/api.test.js",
    "lib//api.js",
])
def test_nothing_else_is_served(client, name):
    response = client.get(f"/widget/v1/{name}")
    assert response.status_code == 404, name
    assert response.mimetype == "application/problem+json"


def test_own_bundle_is_within_budget_and_loads_no_viewer_eagerly():
    modules = own_modules()
    sizes = {p.relative_to(WIDGET).as_posix(): len(gzip.compress(p.read_bytes(), 9)) for p in modules}
    total = sum(sizes.values())
    print(f"\nwidget bundle: {len(sizes)} modules, {total} bytes gzipped file by file, "
          f"{sum(p.stat().st_size for p in modules)} bytes raw")
    assert total <= BUDGET_GZ_BYTES, sizes
    assert not any("vendor" in name for name in sizes)  # the viewer comes by URL, on demand


def test_widget_code_has_no_eval_and_no_html_parsing():
    for path in own_modules():
        code = path.read_text()
        for banned in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML",
                       "document.write", "setAttribute('style'"):
            assert banned not in code, (path.name, banned)
