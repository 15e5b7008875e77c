"""The avatar gallery (``/gallery``) and its live renders, through Flask's test client."""

import pytest

import io

import numpy as np
from PIL import Image

from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


def _skirt():
    return next(g for g in current_garments().list() if g.name == "A-line skirt")


def test_gallery_lists_every_avatar_and_garment(client):
    page = client.get("/gallery").get_data(as_text=True)
    assert page.count('<li>') >= 30 and "f165-eu40" in page
    assert _skirt().id in page and "Computer-generated" in page
    assert 'action="/gallery"' in page and 'href="/"' in page  # the form stays here; the demo is at /


def test_gallery_wears_the_chosen_garment(client):
    skirt = _skirt()
    page = client.get(f"/gallery?garment={skirt.id}&size=L&fit_map=1").get_data(as_text=True)
    assert f"garment={skirt.id}&amp;size=L&amp;fit_map=1" in page and "wearing A-line skirt in size L" in page


def test_render_is_a_png_with_a_strong_etag(client):
    response = client.get("/avatars/f165-eu40/render.png?width=64&height=96")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (64, 96)
    etag = response.headers["ETag"]
    assert not etag.startswith("W/")
    again = client.get("/avatars/f165-eu40/render.png?width=64&height=96",
                       headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_render_wears_the_garment_and_its_fit_map(client):
    skirt = _skirt()
    base = f"/avatars/f165-eu40/render.png?width=96&height=144&garment={skirt.id}&size=M"
    plain = np.asarray(Image.open(io.BytesIO(client.get(base).data)))
    fit_map = np.asarray(Image.open(io.BytesIO(client.get(base + "&fit_map=1").data)))
    bare = np.asarray(Image.open(io.BytesIO(
        client.get("/avatars/f165-eu40/render.png?width=96&height=144").data)))
    assert (np.abs(plain.astype(int) - bare).sum(axis=2) > 30).mean() > 0.02  # the skirt shows
    # the fit map paints the skirt in the map's colours (green: fits)
    greenish = (fit_map[..., 1] > fit_map[..., 0] + 40) & (fit_map[..., 1] > fit_map[..., 2] + 40)
    assert greenish.mean() > 0.02


def test_bad_parameters_are_problems_not_500s(client):
    for url, field in [
        ("/avatars/f165-eu40/render.png?width=0", "width"),
        ("/avatars/f165-eu40/render.png?width=99999", "width"),
        ("/avatars/f165-eu40/render.png?height=abc", "height"),
        ("/avatars/f165-eu40/render.png?view=upside-down", "view"),
        ("/avatars/nobody/render.png", "avatar"),
        ("/avatars/f165-eu40/render.png?garment=nothing&size=M", "garment"),
        (f"/avatars/f165-eu40/render.png?garment={_skirt().id}&size=XXXL", "size"),
    ]:
        response = client.get(url)
        assert 400 <= response.status_code < 500, url
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["field"] == field


def test_health(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
