"""Encode rendered RGBA frames as PNG, JPEG or WebP bytes.

Output depends only on the pixels and the options: Pillow writes no
timestamps or metadata here, so the same frame always encodes to the same
bytes (renders are cached by content).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tryon.render.params import check_format


def flatten(rgba: np.ndarray, background: tuple[int, int, int]) -> Image.Image:
    """RGB image of an (H, W, 4) uint8 straight-alpha frame laid over a solid sRGB colour."""
    under = Image.new("RGBA", (rgba.shape[1], rgba.shape[0]), (*background, 255))
    return Image.alpha_composite(under, Image.fromarray(rgba, "RGBA")).convert("RGB")


def encode_image(
    rgba: np.ndarray,
    fmt: str = "png",
    background: tuple[int, int, int] | None = None,
    quality: int = 90,
) -> bytes:
    """Encode an (H, W, 4) uint8 straight-alpha frame.

    PNG and WebP keep the alpha channel; JPEG has none, so the frame is
    flattened onto ``background`` (sRGB 0-255; white when None). ``quality``
    (1-100) applies to JPEG and WebP; PNG is lossless.
    """
    fmt = check_format(fmt)
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected an (H, W, 4) RGBA array, got shape {rgba.shape}")
    out = io.BytesIO()
    if fmt == "jpeg":
        flatten(rgba, background or (255, 255, 255)).save(out, "JPEG", quality=quality, optimize=False)
    elif fmt == "webp":
        # Method 2: half the time of the default 4 for ~10% larger files.
        Image.fromarray(rgba, "RGBA").save(out, "WEBP", quality=quality, method=2)
    else:
        # Level 3 is several times faster than the default 6 for a few % in size.
        Image.fromarray(rgba, "RGBA").save(out, "PNG", compress_level=3)
    return out.getvalue()
