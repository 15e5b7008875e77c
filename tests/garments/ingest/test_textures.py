"""Texture bombs: an image over the texture limit refuses the upload before anything
decodes it, whether a GLB embeds it or an OBJ's MTL or a glTF names it."""

from __future__ import annotations

import json
import struct
import time
import zlib

import pytest
from PIL import Image

from garments.ingest.loading import load_mesh
from garments.ingest.textures import MAX_TEXTURE_PIXELS

TRIANGLE = "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nusemtl cloth\nf 1/1 2/2 3/3\n"


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels: what a bomb looks like to a header reader
    (a real 12000 x 12000 PNG of one colour is 450 KB and decodes to 432 MB)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) \
        + chunk(b"IEND", b"")


def glb_with_image(image: bytes) -> bytes:
    padded = image + b"\0" * (-len(image) % 4)
    document = json.dumps({
        "asset": {"version": "2.0"}, "buffers": [{"byteLength": len(padded)}],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": len(image)}],
        "images": [{"bufferView": 0, "mimeType": "image/png", "name": "print"}]}).encode()
    document += b" " * (-len(document) % 4)
    chunks = (struct.pack("<II", len(document), 0x4E4F534A) + document
              + struct.pack("<II", len(padded), 0x004E4942) + padded)
    return b"glTF" + struct.pack("<II", 2, 12 + len(chunks)) + chunks


@pytest.mark.parametrize("kind", ["glb", "obj", "gltf"])
def test_a_texture_over_the_limit_is_refused_naming_the_limit(kind):
    bomb = png_header(12_000, 12_000)
    start = time.perf_counter()
    if kind == "glb":
        result = load_mesh(glb_with_image(bomb), "bomb.glb")
    elif kind == "obj":
        mtl = b"newmtl cloth\nKd 1 1 1\nmap_Kd maps\\print.png\n"
        result = load_mesh(f"mtllib shirt.mtl\n{TRIANGLE}".encode(), "shirt.obj",
                           companions={"shirt.mtl": mtl, "print.png": bomb})
    else:
        document = json.dumps({"asset": {"version": "2.0"},
                               "images": [{"uri": "print.png"}]}).encode()
        result = load_mesh(document, "shirt.gltf", companions={"print.png": bomb})
    assert time.perf_counter() - start < 1.0  # measured, not decoded
    assert [e.code for e in result.errors] == ["texture_too_large"], result.errors
    message = result.errors[0].message
    assert "144 megapixels" in message and "4,096 x 4,096" in message and "Downscale" in message


def test_pillow_refuses_to_decode_past_the_limit_for_every_image_read_after_loading():
    load_mesh(f"{TRIANGLE}".encode(), "plain.obj")  # any load sets the limit
    assert Image.MAX_IMAGE_PIXELS * 2 == MAX_TEXTURE_PIXELS
    with pytest.raises(Image.DecompressionBombError):
        Image.open(__import__("io").BytesIO(png_header(5_000, 5_000)))
