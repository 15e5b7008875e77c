"""Colorways: one garment in several colours or fabrics, as merchandisers sell it.

A colorway changes how a garment looks, never how it drapes: the cut and the
cloth's physics (the garment's fabric preset) are shared by every colorway,
as in CLO's and Browzwear's colorways, so all colorways of a size share one
drape and showing another colorway costs one render, not one drape.

A colorway has a name shown to shoppers, a base colour (sRGB ``#RRGGBB``)
or a texture (PNG, JPEG or WebP, within the texture limit of
``garments.ingest.textures``; it needs the garment's UVs), and optionally a
fabric, which gives it that fabric's look (``garments.fabrics.LOOKS``:
roughness, and sheen for knits and velvet). Its id is the slug of its name,
which is what a render names (``&colorway=navy``).

Limits: ``MAX_COLORWAYS`` per garment, names of 1 to ``MAX_NAME`` characters,
each name (and so each id) once.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from garments.fabrics import LOOKS
from garments.ingest.materials import Material
from garments.ingest.textures import TextureTooLarge, check_image, limit_pillow
from tryon.core.files import atomic_write

MAX_COLORWAYS = 24
MAX_NAME = 60
TEXTURE_FORMATS = {"PNG": ".png", "JPEG": ".jpg"}  # what core glTF carries; WebP becomes PNG
# Pixel formats browsers' and glTF viewers' decoders take as they are.
_VIEWER_MODES = {"PNG": ("1", "L", "LA", "P", "RGB", "RGBA"), "JPEG": ("L", "RGB")}
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
_FIELDS = {"name", "color", "texture", "fabric"}


class ColorwayError(ValueError):
    """A colorway that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Colorway:
    """name: as shoppers see it; color: sRGB (0-255) or None when textured;
    texture: the encoded image (PNG or JPEG bytes) or None; fabric: a
    key of ``LOOKS`` or None (the garment's own look)."""

    name: str
    color: tuple[int, int, int] | None = None
    texture: bytes | None = None
    fabric: str | None = None

    @property
    def id(self) -> str:
        """The slug of the name: 'Navy Blue' -> 'navy-blue'."""
        return colorway_id(self.name)

    @property
    def texture_suffix(self) -> str | None:
        """The file suffix of the texture's format ('.png'), or None."""
        if self.texture is None:
            return None
        with Image.open(io.BytesIO(self.texture)) as image:
            return TEXTURE_FORMATS[image.format]

    @property
    def digest(self) -> str:
        """SHA-256 over everything that changes how the colorway looks."""
        text = json.dumps([self.name, self.color, self.fabric], separators=(",", ":"))
        texture = hashlib.sha256(self.texture or b"").hexdigest()
        return hashlib.sha256(f"{text}:{texture}".encode()).hexdigest()

    def summary(self) -> dict:
        """JSON-ready, as a garment lists it: id, name, ``color`` as ``#rrggbb``
        (the texture's mean colour when textured, for a swatch), has_texture, fabric."""
        return {"id": self.id, "name": self.name, "color": "#%02x%02x%02x" % self.swatch_rgb(),
                "has_texture": self.texture is not None, "fabric": self.fabric}

    def swatch_rgb(self) -> tuple[int, int, int]:
        """The colour a swatch shows: the base colour, or the texture's mean."""
        if self.color is not None:
            return self.color
        limit_pillow()
        with Image.open(io.BytesIO(self.texture)) as image:
            mean = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        return tuple(int(c) for c in mean)

    def material(self, garment_material: Material) -> Material:
        """The garment's material in this colorway: its colour or texture, and its
        fabric's roughness (the garment's own roughness without a fabric)."""
        roughness = (LOOKS[self.fabric].roughness if self.fabric is not None
                     else garment_material.roughness)
        color = (1.0, 1.0, 1.0, 1.0) if self.color is None else (
            *(c / 255.0 for c in self.color), 1.0)
        return replace(garment_material, name=self.name, base_color=color, roughness=roughness,
                       texture=self.texture,
                       texture_name=None if self.texture is None else f"{self.id}{self.texture_suffix}")


def colorway_id(name: str) -> str:
    """The id of a colorway called ``name``: ASCII slug, [a-z0-9-]."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def parse_colorways(entries, textures: Mapping[str, bytes]) -> list[Colorway]:
    """Colorways from their JSON description.

    entries: a list of objects with ``name`` (required), ``color``
    ("#RRGGBB"), ``texture`` (the name of a file in ``textures``) and
    ``fabric`` (a key of ``LOOKS``); exactly one of color and texture.
    textures: the texture files by name; has_uvs: whether every size of the
    garment has UVs (a texture needs them). ColorwayError names the entry
    and what is wrong.
    """
    if not isinstance(entries, list):
        raise ColorwayError("colorways are a JSON list of objects such as "
                            '{"name": "Navy", "color": "#1f2a44"}')
    if len(entries) > MAX_COLORWAYS:
        raise ColorwayError(f"{len(entries)} colorways; a garment has at most {MAX_COLORWAYS}")
    colorways = [_parse_one(number, entry, textures)
                 for number, entry in enumerate(entries, start=1)]
    ids = [c.id for c in colorways]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ColorwayError(f"colorway names must differ (as slugs): {', '.join(repeated)} "
                            "is given more than once")
    unused = sorted(set(textures) - {e.get("texture") for e in entries if isinstance(e, dict)})
    if unused:
        raise ColorwayError(f"texture file(s) {', '.join(unused)} belong to no colorway: name "
                            'each in a colorway\'s "texture"')
    return colorways


def _parse_one(number: int, entry, textures: Mapping[str, bytes]) -> Colorway:
    where = f"colorway {number}"
    if not isinstance(entry, dict):
        raise ColorwayError(f"{where} is not an object with a name and a color or texture")
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise ColorwayError(f"{where}: unknown field(s) {', '.join(unknown)}; a colorway has "
                            f"{', '.join(sorted(_FIELDS))}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME \
            or not colorway_id(name) or not name.isprintable():
        raise ColorwayError(f"{where}: a name of 1 to {MAX_NAME} printable characters with a "
                            f"letter or digit, please (got {name!r})")
    where = f"colorway {name!r}"
    fabric = entry.get("fabric")
    if fabric is not None and fabric not in LOOKS:
        raise ColorwayError(f"{where}: unknown fabric {fabric!r}; fabrics are {', '.join(LOOKS)}")
    color, texture_name = entry.get("color"), entry.get("texture")
    if (color is None) == (texture_name is None):
        raise ColorwayError(f'{where}: give a "color" ("#RRGGBB") or a "texture" (a file), '
                            "one of the two")
    if color is not None:
        found = _HEX.match(color) if isinstance(color, str) else None
        if found is None:
            raise ColorwayError(f"{where}: color {color!r} is not #RRGGBB (sRGB hex)")
        value = int(found.group(1), 16)
        return Colorway(name.strip(), (value >> 16, (value >> 8) & 255, value & 255), None, fabric)
    if not isinstance(texture_name, str) or texture_name not in textures:
        raise ColorwayError(f"{where}: texture {texture_name!r} was not uploaded with it")
    return Colorway(name.strip(), None, _checked_texture(where, textures[texture_name]), fabric)


def _checked_texture(where: str, data: bytes) -> bytes:
    """The bytes of a texture Pillow can decode, in a form every glTF viewer
    reads: 8-bit PNG and RGB or grey JPEG as uploaded; WebP, CMYK JPEG and
    16-bit PNG re-encoded as 8-bit PNG (lossless)."""
    try:
        check_image(where, data)
        limit_pillow()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # a truncated file fails here, not in a render
            kind, mode = image.format, image.mode
            if kind in TEXTURE_FORMATS and mode in _VIEWER_MODES[kind]:
                return data
            if kind not in (*TEXTURE_FORMATS, "WEBP"):
                raise ColorwayError(f"{where}: a {kind} texture; send PNG, JPEG or WebP")
            buffer = io.BytesIO()
            image.convert("RGBA" if "A" in mode else "RGB").save(buffer, format="PNG")
            return buffer.getvalue()
    except TextureTooLarge as error:
        raise ColorwayError(str(error)) from None
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ColorwayError(f"{where}: the texture is not an image that can be read ({error})") \
            from None


def stored_form(colorway: Colorway) -> dict:
    """How a garment keeps a colorway (in ``garment.json``): its ``summary()``,
    the texture's file name (content-named, so a new texture never overwrites
    one a render is reading) and the digest."""
    texture = None if colorway.texture is None else \
        f"{colorway.digest[:16]}{colorway.texture_suffix}"
    return {**colorway.summary(), "texture": texture, "digest": colorway.digest}


def from_stored_form(entry: Mapping, folder: Path) -> Colorway:
    """The inverse of ``stored_form``, reading the texture from
    ``folder/colorways`` (where ``write_textures`` put it)."""
    color = entry["color"] if entry["texture"] is None else None
    rgb = None if color is None else tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
    return Colorway(entry["name"], rgb,
                    None if entry["texture"] is None
                    else (folder / "colorways" / entry["texture"]).read_bytes(),
                    entry["fabric"])


def require_uvs(colorways: Iterable[Colorway], meshes: Iterable) -> None:
    """ColorwayError if a colorway has a texture and some size has no UVs to map it."""
    textured = [c.name for c in colorways if c.texture is not None]
    if textured and any(mesh.uvs is None for mesh in meshes):
        raise ColorwayError(f"colorway(s) {', '.join(textured)} have a texture, which needs UVs, "
                            "and this garment's meshes have none: export it with its UV layout, "
                            "or give those colorways a color")


def write_textures(folder: Path, colorways: list[Colorway]) -> list[dict]:
    """Write each colorway's texture under ``folder/colorways`` (named by content);
    return the colorways' stored forms."""
    entries = [stored_form(c) for c in colorways]
    for colorway, entry in zip(colorways, entries):
        if entry["texture"] is not None:
            path = folder / "colorways" / entry["texture"]
            path.parent.mkdir(exist_ok=True)
            if not path.exists():
                atomic_write(path, colorway.texture)
    return entries
