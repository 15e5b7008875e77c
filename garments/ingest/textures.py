"""The texture limit: images are measured from their headers before anything decodes them.

A 140 KB GLB can hold a 12000 x 12000 PNG that decodes to 432 MB on every
render. Every image a garment brings (embedded in a GLB, or a file an OBJ's
MTL or a glTF names) is measured from its header, which Pillow reads
without decoding, and a texture over ``MAX_TEXTURE_PIXELS`` refuses the
upload, naming the limit. Pillow's own decompression-bomb limit is set to
the same size for every image tryon reads (``limit_pillow``), so what gets
past a header check still cannot decode beyond it.
"""

from __future__ import annotations

import io
import json
import re
import struct
from collections.abc import Mapping

from PIL import Image

MAX_TEXTURE_SIDE = 4096
MAX_TEXTURE_PIXELS = MAX_TEXTURE_SIDE * MAX_TEXTURE_SIDE  # 16.8 megapixels


class TextureTooLarge(Exception):
    """An image over ``MAX_TEXTURE_PIXELS``; the message names it and the limit."""

    def __init__(self, name: str, pixels: int, size: str = ""):
        super().__init__(
            f"The texture {name!r} is {size}{pixels / 1e6:.0f} megapixels; textures are limited to "
            f"{MAX_TEXTURE_SIDE:,} x {MAX_TEXTURE_SIDE:,} ({MAX_TEXTURE_PIXELS / 1e6:.1f} "
            "megapixels). Downscale it and upload again.")


def limit_pillow() -> None:
    """Make Pillow refuse to decode any image over the texture limit (it raises
    beyond twice its ``MAX_IMAGE_PIXELS``; the same value every time it is set)."""
    Image.MAX_IMAGE_PIXELS = MAX_TEXTURE_PIXELS // 2


def check_image(name: str, data: bytes) -> None:
    """Raise ``TextureTooLarge`` if ``data`` is an image over the limit; bytes
    that are no image Pillow knows are left to the mesh reader."""
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
    except Image.DecompressionBombError as error:  # over twice limit_pillow's: ours too
        found = re.search(r"\((\d+) pixels\)", str(error))
        raise TextureTooLarge(name, int(found.group(1)) if found else MAX_TEXTURE_PIXELS + 1) \
            from None
    except Exception:  # not an image (an MTL, a buffer): not ours to judge here
        return
    if width * height > MAX_TEXTURE_PIXELS:
        raise TextureTooLarge(name, width * height, f"{width:,} x {height:,} pixels, ")


def check_glb_images(data: bytes) -> None:
    """Measure the images embedded in a GLB's binary chunk (``TextureTooLarge``)."""
    if len(data) < 20 or data[:4] != b"glTF":
        return
    json_length, json_type = struct.unpack_from("<II", data, 12)
    if json_type != 0x4E4F534A:  # 'JSON'
        return
    try:
        document = json.loads(data[20:20 + json_length])
    except ValueError:
        return  # the mesh reader says what is wrong with the file
    binary_start = 20 + json_length + 8  # after the BIN chunk's length and type
    views = document.get("bufferViews", [])
    for number, image in enumerate(document.get("images", [])):
        view = image.get("bufferView")
        if not isinstance(view, int) or not 0 <= view < len(views):
            continue
        start = binary_start + int(views[view].get("byteOffset", 0))
        end = start + int(views[view].get("byteLength", 0))
        check_image(image.get("name") or f"image {number}", data[start:end])


def check_obj_textures(obj_text: bytes, files: Mapping[str, bytes]) -> None:
    """Measure the images an OBJ's MTL files name (``map_Kd`` and the like), among
    the files uploaded with it (``TextureTooLarge``)."""
    for line in obj_text.decode("utf-8", errors="replace").splitlines():
        tokens = line.split()
        if not tokens or tokens[0] != "mtllib":
            continue
        for mtl_name in tokens[1:]:
            mtl = files.get(_base(mtl_name))
            if mtl is None:
                continue
            for statement in mtl.decode("utf-8", errors="replace").splitlines():
                words = statement.split()
                if len(words) > 1 and words[0].lower().startswith(("map_", "bump", "disp", "norm")):
                    image = files.get(_base(words[-1]))
                    if image is not None:
                        check_image(words[-1], image)


def check_gltf_images(document: bytes, files: Mapping[str, bytes]) -> None:
    """Measure the image files a glTF names, among the files uploaded with it."""
    try:
        images = json.loads(document).get("images", [])
    except (ValueError, AttributeError):
        return  # the mesh reader says what is wrong with the file
    for image in images:
        uri = image.get("uri") if isinstance(image, dict) else None
        if isinstance(uri, str) and not uri.startswith("data:"):
            data = files.get(_base(uri))
            if data is not None:
                check_image(uri, data)


def _base(name: str) -> str:
    """The file name a reference ends in ('tex/a.png', 'tex\\\\a.png' -> 'a.png')."""
    return str(name).strip().replace("\\", "/").rsplit("/", 1)[-1]
