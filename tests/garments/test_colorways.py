"""Colorways: parsing what merchandisers send, the textures they send, and the look each gives."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from garments.colorways import (
    MAX_COLORWAYS,
    Colorway,
    ColorwayError,
    from_stored_form,
    parse_colorways,
    require_uvs,
    write_textures,
)
from garments.fabrics import FABRICS, LOOKS
from garments.ingest.materials import Material


def _image(fmt: str, mode: str = "RGB", size=(64, 48), **save) -> bytes:
    pixels = (np.indices(size[::-1]).sum(axis=0) % 200).astype(np.uint8)
    image = Image.fromarray(pixels, "L").convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def _format(data: bytes) -> tuple[str, str]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.mode


def test_colours_textures_and_fabrics_parse_with_ids_from_names():
    texture = _image("JPEG", quality=80)
    navy, floral = parse_colorways(
        [{"name": " Navy Blue ", "color": "#1F2A44", "fabric": "velvet"},
         {"name": "Floral (Ete)", "texture": "floral.jpg"}], {"floral.jpg": texture})
    assert (navy.id, navy.name, navy.color, navy.fabric) == ("navy-blue", "Navy Blue",
                                                             (31, 42, 68), "velvet")
    assert floral.id == "floral-ete" and floral.texture == texture  # a JPEG is kept byte for byte
    assert floral.summary()["has_texture"] and floral.summary()["color"].startswith("#")
    assert navy.summary() == {"id": "navy-blue", "name": "Navy Blue", "color": "#1f2a44",
                              "has_texture": False, "fabric": "velvet"}


@pytest.mark.parametrize("fmt, mode, save", [
    ("WEBP", "RGB", {"lossless": True}),  # glTF core has no WebP
    ("JPEG", "CMYK", {}),  # browsers' decoders show CMYK JPEGs wrongly or not at all
    ("PNG", "I;16", {}),  # 16-bit grey
])
def test_textures_viewers_cannot_take_become_8_bit_png(fmt, mode, save):
    data = _image(fmt, mode, **save)
    (colorway,) = parse_colorways([{"name": "Print", "texture": "t"}], {"t": data})
    assert _format(colorway.texture)[0] == "PNG"
    assert _format(colorway.texture)[1] in ("RGB", "RGBA")
    assert colorway.texture_suffix == ".png"


@pytest.mark.parametrize("entries, textures, message", [
    ({"name": "Navy"}, {}, "JSON list"),
    ([{"name": "Navy"}], {}, "one of the two"),
    ([{"name": "Navy", "color": "#112233", "texture": "t.png"}], {"t.png": b"x"}, "one of the two"),
    ([{"name": "Navy", "color": "navy"}], {}, "not #RRGGBB"),
    ([{"name": "Navy", "color": "#12345"}], {}, "not #RRGGBB"),
    ([{"name": "", "color": "#112233"}], {}, "name of 1 to"),
    ([{"name": "!!!", "color": "#112233"}], {}, "letter or digit"),
    ([{"name": "a" * 61, "color": "#112233"}], {}, "name of 1 to 60"),
    ([{"name": "Navy", "colour": "#112233"}], {}, "unknown field"),
    ([{"name": "Navy", "color": "#112233", "fabric": "tweed"}], {}, "fabrics are jersey"),
    ([{"name": "Navy", "color": "#112233"}, {"name": "navy", "color": "#000000"}], {},
     "navy is given more than once"),
    ([{"name": "Print", "texture": "missing.png"}], {}, "was not uploaded"),
    ([{"name": "Navy", "color": "#112233"}], {"stray.png": b"x"}, "stray.png belong to no"),
    ([{"name": "Print", "texture": "t.png"}], {"t.png": b"not an image at all"}, "not an image"),
    ([{"name": "Print", "texture": "t.gif"}], {"t.gif": _image("GIF", "P")}, "GIF texture"),
    ([{"name": f"c{i}", "color": "#112233"} for i in range(MAX_COLORWAYS + 1)], {},
     f"at most {MAX_COLORWAYS}"),
])
def test_bad_colorways_say_what_is_wrong(entries, textures, message):
    with pytest.raises(ColorwayError, match=message):
        parse_colorways(entries, textures)


def test_a_truncated_texture_is_refused_before_any_render():
    data = _image("PNG", size=(256, 256))
    with pytest.raises(ColorwayError, match="not an image that can be read"):
        parse_colorways([{"name": "Print", "texture": "t.png"}], {"t.png": data[: len(data) // 2]})


def test_a_texture_over_the_limit_is_refused_from_its_header():
    # a 5000 x 5000 PNG header over a few bytes of data: refused without decoding
    data = _image("PNG", "L", size=(5000, 5000), compress_level=1)
    with pytest.raises(ColorwayError, match="limited to 4,096 x 4,096"):
        parse_colorways([{"name": "Print", "texture": "big.png"}], {"big.png": data})


def test_a_colorway_changes_colour_texture_and_roughness_of_the_garments_material():
    own = Material(name="file", base_color=(0.2, 0.4, 0.6, 1.0), roughness=0.5)
    navy = Colorway("Navy", (31, 42, 68)).material(own)
    assert navy.base_color == pytest.approx((31 / 255, 42 / 255, 68 / 255, 1.0))
    assert navy.roughness == 0.5 and navy.texture is None  # no fabric: the file's roughness
    velvet = Colorway("Wine", (90, 10, 30), fabric="velvet").material(own)
    assert velvet.roughness == LOOKS["velvet"].roughness
    texture = _image("PNG")
    printed = Colorway("Print", None, texture).material(own)
    assert printed.base_color == (1.0, 1.0, 1.0, 1.0) and printed.texture == texture
    assert printed.texture_name == "print.png"


def test_every_fabric_has_a_look_and_only_pile_and_yarn_have_sheen():
    assert set(LOOKS) == set(FABRICS)
    assert {name for name, look in LOOKS.items() if look.sheen > 0} == {"knit", "velvet"}
    assert LOOKS["silk-like"].roughness < LOOKS["woven-cotton"].roughness


def test_stored_colorways_read_back_the_same(tmp_path):
    colorways = parse_colorways(
        [{"name": "Navy", "color": "#1f2a44"},
         {"name": "Print", "texture": "p.png", "fabric": "knit"}], {"p.png": _image("PNG")})
    entries = write_textures(tmp_path, colorways)
    assert [from_stored_form(e, tmp_path) for e in entries] == colorways
    assert [e["digest"] for e in entries] == [c.digest for c in colorways]
    # a new texture under the same name is a new file and a new digest: renders never go stale
    (changed,) = parse_colorways([{"name": "Print", "texture": "p.png"}],
                                 {"p.png": _image("PNG", size=(32, 32))})
    assert changed.digest != colorways[1].digest
    assert write_textures(tmp_path, [changed])[0]["texture"] != entries[1]["texture"]


def test_a_texture_needs_uvs():
    class Mesh:
        uvs = None

    textured = Colorway("Print", None, _image("PNG"))
    require_uvs([Colorway("Navy", (1, 2, 3))], [Mesh()])  # colours need no UVs
    with pytest.raises(ColorwayError, match="Print have a texture, which needs UVs"):
        require_uvs([textured], [Mesh()])
