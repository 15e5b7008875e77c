"""Try-on images: garment over the base outfit, fit map with legend, two sizes."""

import io

import numpy as np
import pytest
from PIL import Image

from avatars.library import get_avatar
from tryon.fit.strain import FIT_COLOURS
from tryon.render.try_on import render_size_comparison, try_on_rgba
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

BACKGROUND = (255, 255, 255)


@pytest.fixture(scope="module")
def tshirt_id():
    return next(g.id for g in current_garments().list() if g.name == "Classic T-shirt")


def _share_near(image, rgb, tolerance=60):
    return (np.abs(image[..., :3].astype(int) - rgb).sum(axis=2) < tolerance).mean()


def test_fit_map_shows_tight_on_a_small_size_and_fits_on_a_large_one(tshirt_id):
    body = get_avatar("m182-eu54")  # chest 108 cm: S is two sizes small, XL fits
    small, small_drape = try_on_rgba(body, tshirt_id, "S", width=128, height=192,
                                     fit_map="stretch", background=BACKGROUND, store=current_garments())
    large, large_drape = try_on_rgba(body, tshirt_id, "XL", width=128, height=192,
                                     fit_map="stretch", background=BACKGROUND, store=current_garments())
    assert any(f.verdict == "tight" for f in small_drape.fits)
    assert all(f.verdict != "tight" for f in large_drape.fits)
    assert _share_near(small, FIT_COLOURS["tight"]) > 3 * _share_near(large, FIT_COLOURS["tight"])
    assert _share_near(large, FIT_COLOURS["fits"]) > 0.05


def test_garment_covers_the_base_outfit_where_it_is_worn(tshirt_id):
    body = get_avatar("m178-eu52")
    bare, _ = try_on_rgba(body, width=128, height=192, background=BACKGROUND)
    dressed, drape = try_on_rgba(body, tshirt_id, "L", width=128, height=192, background=BACKGROUND,
                                 store=current_garments())
    r, g, b = drape.mesh.material.base_color[:3]
    assert b > r + 0.2  # the sample T-shirt is blue; nothing else in the scene is

    def blue(image):
        return (image[..., 2].astype(int) > image[..., 0].astype(int) + 40).mean()

    assert blue(dressed) > 0.05 and blue(bare) < 0.002


def test_size_comparison_is_two_captioned_images(tshirt_id):
    png = render_size_comparison(get_avatar("m170-eu50"), tshirt_id, ("S", "L"), width=96,
                                 height=144, background=BACKGROUND, store=current_garments())
    image = np.asarray(Image.open(io.BytesIO(png)))
    assert image.shape[:2] == (144, 192)
    left, right = image[:, :96], image[:, 96:]
    assert np.abs(left.astype(int) - right).sum() > 0  # the sizes look different


def test_the_comparison_s_captions_come_from_the_one_recommendation():
    from dataclasses import asdict

    from tryon.drape.draping import cached_drape
    from tryon.fit.advice import recommend
    from tryon.render.try_on import size_caption

    store = current_garments()
    skirt = next(g for g in store.list() if g.name == "A-line skirt")
    body = get_avatar("f165-eu40")  # EU 40: the chart's M; an XL slides down
    reports = {s: {"regions": [asdict(f) for f in cached_drape(body, skirt.id, s,
                                                              store=store).fits]}
               for s in skirt.sizes}
    advice = recommend(skirt.category, skirt.sizes, body.measurements, reports,
                       store.size_chart(skirt.id))
    assert size_caption("M", advice, reports["M"], "skirt") == "size M: recommended"
    xl = size_caption("XL", advice, reports["XL"], "skirt")
    assert xl.startswith("size XL: slides down") and xl.endswith("; M recommended"), xl
    assert size_caption("XS", advice, reports["XS"], "skirt").startswith("size XS: tight")


def test_the_ease_map_shows_room_a_larger_size_leaves():
    store = current_garments()
    dress = next(g.id for g in store.list() if g.name == "Midi dress")
    body = get_avatar("f152-eu34")  # the XS chart's body: an XL dress stands off it
    close, _ = try_on_rgba(body, dress, "XS", width=160, height=240, fit_map="ease",
                           background=BACKGROUND, store=store)
    roomy, _ = try_on_rgba(body, dress, "XL", width=160, height=240, fit_map="ease",
                           background=BACKGROUND, store=store)

    def share(image, warm: bool) -> float:  # red for cloth on the body, blue for room
        rgb = image[..., :3].astype(int)
        return float(((rgb[..., 0] - rgb[..., 2] > 60) if warm else (rgb[..., 2] - rgb[..., 0] > 60)).mean())

    assert share(close, warm=True) > 1.5 * share(roomy, warm=True)
    assert share(roomy, warm=False) > 1.5 * share(close, warm=False)
